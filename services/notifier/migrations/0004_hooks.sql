-- Sonarr's and Radarr's webhooks: what each path in the refresh queue became (a file imported, or one renamed
-- or deleted: Emby reads it, Jellyfin rescans the folder either way), and the events received, the last of
-- each source shown on the settings page.
ALTER TABLE notifier_refresh_queue
    ADD COLUMN change text NOT NULL DEFAULT 'Created' CHECK (change IN ('Created', 'Modified', 'Deleted'));

CREATE TABLE notifier_hook_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        text NOT NULL CHECK (source IN ('sonarr', 'radarr')),
    event_type    text NOT NULL,
    instance_name text,
    title         text,
    paths         integer NOT NULL,
    handled       boolean NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifier_hook_events_last ON notifier_hook_events (source, id DESC);
