-- Download clients the notifier follows (secrets encrypted with SECRET_KEY) and the downloads it tracks in
-- them; a poll matches each download by the client's id, else by its normalised title.

CREATE TABLE notifier_clients (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    type            text NOT NULL CHECK (type IN ('sabnzbd', 'qbittorrent', 'transmission', 'nzbget')),
    name            text NOT NULL,
    host            text NOT NULL,
    port            integer NOT NULL,
    use_ssl         boolean NOT NULL DEFAULT false,
    api_key         text,                              -- encrypted
    username        text,
    password        text,                              -- encrypted
    category        text,
    enabled         boolean NOT NULL DEFAULT true,
    priority        integer NOT NULL DEFAULT 0,
    last_error      text,
    last_checked_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifier_downloads (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id          uuid NOT NULL REFERENCES notifier_clients (id) ON DELETE CASCADE,
    client_download_id text,
    title              text,
    state              text NOT NULL DEFAULT 'queued',
    progress           double precision NOT NULL DEFAULT 0,
    speed_bytes        bigint NOT NULL DEFAULT 0,
    eta_seconds        bigint,
    final_path         text,
    error              text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (client_download_id IS NOT NULL OR title IS NOT NULL)
);
CREATE INDEX notifier_downloads_open ON notifier_downloads (client_id)
    WHERE state NOT IN ('completed', 'failed', 'removed');

-- download.status events not yet in JetStream (libs/outbox.py)
CREATE TABLE notifier_outbox (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject  text NOT NULL,
    event_id text NOT NULL,
    body     bytea NOT NULL
);
