-- notifier's integrations document (one row; API keys inside are encrypted with SECRET_KEY) and the media
-- server refreshes waiting for their window: a completion is stored here before its event is acknowledged,
-- so none is lost, and each server gets one call per window with every path that waited.

CREATE TABLE notifier_settings (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    document   jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifier_refresh_queue (
    server      text NOT NULL CHECK (server IN ('jellyfin', 'emby')),
    path        text NOT NULL,                    -- as the server sees it; '' asks for a full library refresh
    queued_at   timestamptz NOT NULL DEFAULT now(),
    attempts    integer NOT NULL DEFAULT 0,
    next_try_at timestamptz NOT NULL DEFAULT now(),
    last_error  text,
    PRIMARY KEY (server, path)
);

CREATE TABLE notifier_refresh_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server     text NOT NULL,
    paths      integer NOT NULL,
    full_scan  boolean NOT NULL,
    ok         boolean NOT NULL,
    error      text,
    at         timestamptz NOT NULL DEFAULT now()
);
