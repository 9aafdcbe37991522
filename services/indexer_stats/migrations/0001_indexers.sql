-- indexer-stats' tables: indexers, every search, Prowlarr's own counters, hourly metrics,
-- snapshots, and the one row of global figures.

CREATE TABLE prowlarr_indexers (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    indexer_name            text NOT NULL,
    indexer_id              integer NOT NULL UNIQUE,      -- Prowlarr's id of the indexer
    prowlarr_id             integer,
    is_enabled              boolean NOT NULL DEFAULT true,
    protocol                varchar(16) NOT NULL DEFAULT 'torrent',
    priority                integer NOT NULL DEFAULT 25,
    supports_imdb           boolean NOT NULL DEFAULT false,  -- movie search by IMDb id
    supports_tv_imdb        boolean NOT NULL DEFAULT false,  -- tv search by IMDb id
    disabled_till           timestamptz,                   -- Prowlarr blocked it until then
    total_requests_24h      integer NOT NULL DEFAULT 0,
    successful_requests_24h integer NOT NULL DEFAULT 0,
    failed_requests_24h     integer NOT NULL DEFAULT 0,
    timeout_count_24h       integer NOT NULL DEFAULT 0,
    queries_24h             integer NOT NULL DEFAULT 0,
    grabs_24h               integer NOT NULL DEFAULT 0,
    queries_total           integer NOT NULL DEFAULT 0,
    grabs_total             integer NOT NULL DEFAULT 0,
    rss_queries             integer NOT NULL DEFAULT 0,
    auth_queries            integer NOT NULL DEFAULT 0,
    failed_queries          integer NOT NULL DEFAULT 0,
    failed_grabs            integer NOT NULL DEFAULT 0,
    avg_response_time       integer,
    median_response_time    integer,
    p95_response_time       integer,
    avg_grab_response_time  integer,
    status                  varchar(16) NOT NULL DEFAULT 'operational'
                            CHECK (status IN ('operational', 'degraded', 'down')),
    success_rate            numeric(5, 2),
    last_check_at           timestamptz,
    last_success_at         timestamptz,
    last_failure_at         timestamptz,
    indexer_type            text,
    description             text,
    language                varchar(32),
    privacy                 varchar(16),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE prowlarr_search_logs (
    id            uuid PRIMARY KEY,                       -- the event id: a redelivery is a no-op
    indexer_id    uuid NOT NULL REFERENCES prowlarr_indexers (id) ON DELETE CASCADE,
    search_id     text,
    search_query  text,
    search_type   text,
    imdb_id       text,
    tmdb_id       text,
    response_time integer NOT NULL,
    http_status   integer,
    results_count integer NOT NULL DEFAULT 0,
    was_successful boolean NOT NULL,
    outcome       varchar(16) NOT NULL CHECK (outcome IN ('success', 'failure', 'timeout')),
    error_type    varchar(32),
    error_message text,
    user_uuid     uuid,
    timestamp     timestamptz NOT NULL
);
-- the seed's per-indexer index, with the time added: it serves lookups by indexer and by indexer and time,
-- and every insert maintains one index fewer than two separate ones would cost
CREATE INDEX idx_prowlarr_search_indexer ON prowlarr_search_logs (indexer_id, timestamp);
CREATE INDEX prowlarr_search_logs_time ON prowlarr_search_logs (timestamp);

CREATE TABLE prowlarr_indexer_logs (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    indexer_id    uuid NOT NULL REFERENCES prowlarr_indexers (id) ON DELETE CASCADE,
    queries_count integer NOT NULL,
    timestamp     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX prowlarr_indexer_logs_indexer_time ON prowlarr_indexer_logs (indexer_id, timestamp);

CREATE TABLE prowlarr_indexer_metrics (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    indexer_id             uuid NOT NULL REFERENCES prowlarr_indexers (id) ON DELETE CASCADE,
    hour_bucket            timestamptz NOT NULL,
    total_requests         integer NOT NULL DEFAULT 0,
    successful_requests    integer NOT NULL DEFAULT 0,
    failed_requests        integer NOT NULL DEFAULT 0,
    timeout_requests       integer NOT NULL DEFAULT 0,
    avg_response_time      integer,
    min_response_time      integer,
    max_response_time      integer,
    p50_response_time      integer,
    p95_response_time      integer,
    total_results_returned integer NOT NULL DEFAULT 0,
    sum_response_time      bigint NOT NULL DEFAULT 0,    -- keeps the average exact as rows are added
    percentiles_at         timestamptz,                  -- when p50/p95 were last computed from the logs
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (indexer_id, hour_bucket)
);
CREATE INDEX prowlarr_indexer_metrics_hour ON prowlarr_indexer_metrics (hour_bucket);

CREATE TABLE prowlarr_stats_history (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    indexer_id        uuid NOT NULL REFERENCES prowlarr_indexers (id) ON DELETE CASCADE,
    queries_total     integer NOT NULL,
    grabs_total       integer NOT NULL,
    avg_response_time integer,
    success_rate      numeric(5, 2),
    snapshot_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX prowlarr_stats_history_indexer_time ON prowlarr_stats_history (indexer_id, snapshot_at);

CREATE TABLE prowlarr_global_stats (
    id                         integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    total_searches_24h         integer NOT NULL DEFAULT 0,
    successful_searches_24h    integer NOT NULL DEFAULT 0,
    failed_searches_24h        integer NOT NULL DEFAULT 0,
    timeout_searches_24h       integer NOT NULL DEFAULT 0,
    avg_response_time_24h      integer,
    p95_response_time_24h      integer,
    slowest_indexer_id         uuid REFERENCES prowlarr_indexers (id) ON DELETE SET NULL,
    slowest_indexer_avg_time   integer,
    most_reliable_indexer_id   uuid REFERENCES prowlarr_indexers (id) ON DELETE SET NULL,
    most_reliable_success_rate real,
    last_updated_at            timestamptz NOT NULL DEFAULT now()
);
INSERT INTO prowlarr_global_stats (id) VALUES (1);
