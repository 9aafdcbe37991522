-- pool-allocator's tables: users, subscriptions, the TorBox key pool, its slots, device
-- assignments, health history, stream sessions and usage logs.

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    uuid          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL,
    password_hash text NOT NULL,
    config        text,
    config_salt   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    accessed_at   timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE user_subs (
    id                     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid                   uuid NOT NULL UNIQUE REFERENCES users (uuid) ON DELETE CASCADE,
    sub_type               text NOT NULL DEFAULT 'free' CHECK (sub_type IN ('free', 'pro', 'premium')),
    sub_status             text NOT NULL DEFAULT 'active' CHECK (sub_status IN ('active', 'cancelled', 'suspended')),
    trial                  boolean NOT NULL DEFAULT false,
    trial_startdate        timestamptz,
    trial_enddate          timestamptz,
    stripe_customer_id     text,
    stripe_subscription_id text,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT trial OR trial_enddate IS NOT NULL)
);

CREATE TABLE torbox_pool (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    api_key                    text NOT NULL,               -- encrypted with SECRET_KEY
    api_key_fingerprint        text NOT NULL UNIQUE,        -- keyed hash: finds a duplicate without decrypting
    label                      text,
    is_active                  boolean NOT NULL DEFAULT true,
    priority                   integer NOT NULL DEFAULT 0,
    max_user_slots             integer NOT NULL DEFAULT 100 CHECK (max_user_slots > 0),
    current_user_slots         integer NOT NULL DEFAULT 0,
    max_concurrent_streams     integer NOT NULL DEFAULT 35 CHECK (max_concurrent_streams > 0),
    current_concurrent_streams integer NOT NULL DEFAULT 0 CHECK (current_concurrent_streams >= 0),
    status                     varchar(16) NOT NULL DEFAULT 'healthy'
                               CHECK (status IN ('healthy', 'degraded', 'failing', 'disabled')),
    status_reason              text,
    last_success_at            timestamptz,
    last_failure_at            timestamptz,
    consecutive_failures       integer NOT NULL DEFAULT 0,
    total_failures_24h         integer NOT NULL DEFAULT 0,
    total_requests_24h         integer NOT NULL DEFAULT 0,
    failure_rate_24h           real NOT NULL DEFAULT 0,
    avg_response_time          integer,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    CHECK (current_user_slots BETWEEN 0 AND max_user_slots)
);
CREATE INDEX idx_torbox_pool_is_active ON torbox_pool (is_active);
CREATE INDEX idx_torbox_pool_priority ON torbox_pool (priority);

-- One row per slot position; a slot holds at most one user and a user holds at most one slot.
CREATE TABLE torbox_slots (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    pool_key_id      uuid NOT NULL REFERENCES torbox_pool (id) ON DELETE CASCADE,
    slot_number      integer NOT NULL CHECK (slot_number >= 1),
    user_id          uuid REFERENCES users (uuid) ON DELETE SET NULL,
    assigned_at      timestamptz,
    last_activity_at timestamptz,
    is_active        boolean NOT NULL DEFAULT false,
    total_streams    integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (pool_key_id, slot_number),
    CHECK (is_active = (user_id IS NOT NULL))
);
CREATE UNIQUE INDEX torbox_slots_one_slot_per_user ON torbox_slots (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX idx_torbox_slots_pool_key ON torbox_slots (pool_key_id);
CREATE INDEX idx_torbox_slots_user_id ON torbox_slots (user_id);
CREATE INDEX idx_torbox_slots_active ON torbox_slots (is_active, last_activity_at);
CREATE INDEX torbox_slots_free ON torbox_slots (pool_key_id, slot_number) WHERE user_id IS NULL;

CREATE TABLE torbox_assignments (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id              uuid NOT NULL REFERENCES users (uuid) ON DELETE CASCADE,
    device_id            text NOT NULL,
    slot_id              uuid REFERENCES torbox_slots (id) ON DELETE SET NULL,
    assigned_pool_key_id uuid REFERENCES torbox_pool (id) ON DELETE SET NULL,
    last_used_at         timestamptz NOT NULL DEFAULT now(),
    created_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, device_id)
);
CREATE INDEX torbox_assignments_recent ON torbox_assignments (user_id, last_used_at);

CREATE TABLE torbox_pool_health (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    pool_key_id          uuid NOT NULL REFERENCES torbox_pool (id) ON DELETE CASCADE,
    timestamp            timestamptz NOT NULL DEFAULT now(),
    check_type           varchar(32) NOT NULL,
    endpoint             text,
    http_status          integer,
    response_time        integer,
    was_successful       boolean NOT NULL,
    error_type           varchar(32),
    error_message        text,
    consecutive_failures integer NOT NULL DEFAULT 0
);
CREATE INDEX torbox_pool_health_recent ON torbox_pool_health (pool_key_id, timestamp);

CREATE TABLE torbox_concurrency_log (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    pool_key_id       uuid NOT NULL REFERENCES torbox_pool (id) ON DELETE CASCADE,
    user_id           uuid NOT NULL REFERENCES users (uuid) ON DELETE CASCADE,
    slot_id           uuid REFERENCES torbox_slots (id) ON DELETE SET NULL,
    device_id         text,
    stream_started_at timestamptz NOT NULL DEFAULT now(),
    stream_ended_at   timestamptz,
    duration_seconds  integer,
    end_reason        varchar(16),
    stream_type       varchar(16),
    imdb_id           varchar(32),
    torrent_hash      varchar(64)
);
CREATE INDEX idx_torbox_concurrency_pool_active ON torbox_concurrency_log (pool_key_id, stream_ended_at)
    WHERE stream_ended_at IS NULL;
CREATE INDEX torbox_concurrency_open_since ON torbox_concurrency_log (stream_started_at)
    WHERE stream_ended_at IS NULL;

-- Usage rows keep no foreign keys: a record must be storable even after its user or key was removed.
CREATE TABLE torbox_usage_logs (
    id               uuid PRIMARY KEY,                      -- the event id: a redelivery is a no-op
    user_id          uuid NOT NULL,
    pool_key_id      uuid,
    device_id        text,
    action           text NOT NULL,
    stream_type      varchar(16),
    title            text,
    imdb_id          text,
    torrent_hash     text,
    debrid_service   varchar(16) NOT NULL DEFAULT 'torbox',
    was_cached       boolean,
    bytes            bigint,
    endpoint         text,
    response_time_ms integer,
    status_code      integer,
    was_successful   boolean,
    error_type       varchar(32),
    timestamp        timestamptz NOT NULL
);
CREATE INDEX torbox_usage_logs_user ON torbox_usage_logs (user_id, timestamp);
CREATE INDEX torbox_usage_logs_key ON torbox_usage_logs (pool_key_id, timestamp);

-- Periodic jobs run once per period across every allocator process: the first to insert the row runs it.
CREATE TABLE pool_job_runs (
    job        text NOT NULL,
    period     timestamptz NOT NULL,
    runner     text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    result     jsonb,
    PRIMARY KEY (job, period)
);

CREATE VIEW v_pool_status AS
SELECT p.id AS pool_key_id,
       p.label,
       p.priority,
       p.current_user_slots,
       p.max_user_slots,
       p.current_concurrent_streams,
       p.max_concurrent_streams,
       p.status,
       p.status_reason,
       p.is_active,
       round(100.0 * p.current_user_slots / p.max_user_slots, 1) AS slot_utilization_pct,
       round(100.0 * p.current_concurrent_streams / p.max_concurrent_streams, 1) AS concurrency_utilization_pct,
       CASE WHEN p.current_user_slots >= 0.95 * p.max_user_slots THEN 'CRITICAL'
            WHEN p.current_user_slots >= 0.80 * p.max_user_slots THEN 'WARNING'
            ELSE 'OK' END AS slot_status,
       -- 30/35 and 33/35 of the seed, scaled to the key's own limit
       CASE WHEN p.current_concurrent_streams * 35 >= 33 * p.max_concurrent_streams THEN 'CRITICAL'
            WHEN p.current_concurrent_streams * 35 >= 30 * p.max_concurrent_streams THEN 'WARNING'
            ELSE 'OK' END AS concurrency_status
FROM torbox_pool p;

CREATE VIEW v_user_slots AS
SELECT u.uuid AS user_id,
       u.email,
       s.id AS slot_id,
       s.slot_number,
       s.pool_key_id,
       s.assigned_at,
       s.last_activity_at,
       s.total_streams,
       s.is_active,
       p.status AS pool_status,
       round((extract(epoch FROM now() - s.last_activity_at) / 86400)::numeric, 2) AS days_since_activity
FROM torbox_slots s
JOIN users u ON u.uuid = s.user_id
JOIN torbox_pool p ON p.id = s.pool_key_id;
