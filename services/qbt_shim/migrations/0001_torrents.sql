-- qbt-shim's state: the torrents Sonarr and Radarr added, their files, categories. A restart resumes from
-- here: the phase says what is left to do, each file how much of it is on disk.

CREATE TABLE qbt_categories (
    name      text PRIMARY KEY,
    save_path text NOT NULL                          -- absolute, inside DOWNLOAD_ROOT
);

CREATE TABLE qbt_torrents (
    hash           char(40) PRIMARY KEY,             -- the info hash the client computed, lowercase hex
    name           text NOT NULL,
    magnet         text,                             -- one of magnet / torrent_file
    torrent_file   bytea,
    category       text NOT NULL DEFAULT '',
    tags           text NOT NULL DEFAULT '',
    save_path      text NOT NULL,
    phase          text NOT NULL DEFAULT 'queued'
                   CHECK (phase IN ('queued', 'submitted', 'cloud', 'local', 'completed', 'error')),
    stopped        boolean NOT NULL DEFAULT false,
    torbox_id      bigint,
    torbox_queued_id bigint,
    cloud_state    text NOT NULL DEFAULT '',         -- TorBox's download_state, as it said it
    cloud_progress double precision NOT NULL DEFAULT 0,
    cloud_speed    bigint NOT NULL DEFAULT 0,
    cloud_eta      bigint,
    size           bigint NOT NULL DEFAULT 0,
    error          text,
    retry_at       timestamptz,                      -- queued: not before (a TorBox limit said wait)
    added_on       timestamptz NOT NULL DEFAULT now(),
    completion_on  timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX qbt_torrents_active ON qbt_torrents (phase) WHERE phase NOT IN ('completed', 'error');

CREATE TABLE qbt_files (
    hash        char(40) NOT NULL REFERENCES qbt_torrents (hash) ON DELETE CASCADE,
    index       integer NOT NULL,                    -- its position in the torrent
    path        text NOT NULL,                       -- inside the torrent's folder, '/' separated
    size        bigint NOT NULL,
    torbox_file_id integer NOT NULL,
    downloaded  bigint NOT NULL DEFAULT 0,           -- bytes in its .part file (or all of it when done)
    done        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (hash, index)
);

-- torrent.status events not yet in JetStream (libs/outbox.py): none is lost while NATS is away
CREATE TABLE qbt_outbox (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject  text NOT NULL,
    event_id text NOT NULL,
    body     bytea NOT NULL
);
