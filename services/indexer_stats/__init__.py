"""indexer-stats: per-indexer performance, health and ranking. SPEC §3.3."""
