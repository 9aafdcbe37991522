"""What the Prowlarr poller writes: indexer metadata, Prowlarr's counters, snapshots, blocks."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from libs.prowlarr import IndexerCounters, IndexerInfo


async def sync_indexers(conn: asyncpg.Connection, indexers: list[IndexerInfo]) -> None:
    """Upsert every indexer Prowlarr has; one it no longer has is kept (its history) but disabled."""
    await conn.execute(
        """
        INSERT INTO prowlarr_indexers AS i (indexer_id, prowlarr_id, indexer_name, is_enabled, protocol, privacy,
                                            priority, supports_imdb, supports_tv_imdb, description, language,
                                            indexer_type)
        SELECT * FROM unnest($1::int[], $1::int[], $2::text[], $3::bool[], $4::text[], $5::text[], $6::int[],
                             $7::bool[], $8::bool[], $9::text[], $10::text[], $11::text[])
        ON CONFLICT (indexer_id) DO UPDATE SET
            prowlarr_id = EXCLUDED.prowlarr_id, indexer_name = EXCLUDED.indexer_name,
            is_enabled = EXCLUDED.is_enabled, protocol = EXCLUDED.protocol, privacy = EXCLUDED.privacy,
            priority = EXCLUDED.priority, supports_imdb = EXCLUDED.supports_imdb,
            supports_tv_imdb = EXCLUDED.supports_tv_imdb, description = EXCLUDED.description,
            language = EXCLUDED.language, indexer_type = EXCLUDED.indexer_type, updated_at = now()
        """,
        [i.id for i in indexers],
        [i.name for i in indexers],
        [i.enable for i in indexers],
        [i.protocol for i in indexers],
        [i.privacy for i in indexers],
        [i.priority for i in indexers],
        [i.supports_imdb for i in indexers],
        [i.supports_tv_imdb for i in indexers],
        [i.description for i in indexers],
        [i.language for i in indexers],
        [i.implementation for i in indexers],
    )
    await conn.execute(
        "UPDATE prowlarr_indexers SET is_enabled = false, updated_at = now() "
        "WHERE NOT (indexer_id = ANY($1::int[])) AND is_enabled",
        [i.id for i in indexers],
    )


async def snapshot_counters(conn: asyncpg.Connection, counters: list[IndexerCounters]) -> None:
    """Prowlarr's query and grab counters onto the indexers, plus a log row and a history row each."""
    if not counters:
        return
    ids = [c.indexer_id for c in counters]
    await conn.execute(
        """
        UPDATE prowlarr_indexers i SET queries_total = c.queries, grabs_total = c.grabs, rss_queries = c.rss,
               auth_queries = c.auth, failed_queries = c.failed_queries, failed_grabs = c.failed_grabs,
               avg_grab_response_time = c.grab_ms, updated_at = now()
        FROM unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[])
             AS c(indexer_id, queries, grabs, rss, auth, failed_queries, failed_grabs, grab_ms)
        WHERE i.indexer_id = c.indexer_id
        """,
        ids,
        [c.number_of_queries for c in counters],
        [c.number_of_grabs for c in counters],
        [c.number_of_rss_queries for c in counters],
        [c.number_of_auth_queries for c in counters],
        [c.number_of_failed_queries for c in counters],
        [c.number_of_failed_grabs for c in counters],
        [c.average_grab_response_time for c in counters],
    )
    await conn.execute(
        """
        INSERT INTO prowlarr_indexer_logs (indexer_id, queries_count)
        SELECT i.id, i.queries_total FROM prowlarr_indexers i WHERE i.indexer_id = ANY($1::int[])
        """,
        ids,
    )
    await conn.execute(
        """
        INSERT INTO prowlarr_stats_history (indexer_id, queries_total, grabs_total, avg_response_time, success_rate)
        SELECT i.id, i.queries_total, i.grabs_total, i.avg_response_time, i.success_rate
        FROM prowlarr_indexers i WHERE i.indexer_id = ANY($1::int[])
        """,
        ids,
    )


async def set_blocks(conn: asyncpg.Connection, blocks: dict[int, datetime | None]) -> None:
    """Blocked indexers get Prowlarr's `disabledTill`; every other one is unblocked."""
    await conn.execute(
        """
        UPDATE prowlarr_indexers i SET disabled_till = b.till
        FROM (SELECT p.indexer_id, b.till FROM prowlarr_indexers p
              LEFT JOIN unnest($1::int[], $2::timestamptz[]) AS b(indexer_id, till) ON b.indexer_id = p.indexer_id) b
        WHERE i.indexer_id = b.indexer_id AND i.disabled_till IS DISTINCT FROM b.till
        """,
        list(blocks),
        list(blocks.values()),
    )
