-- Every search measured, not only stream-proxy's: the searches and grabs Sonarr and Radarr make through
-- Prowlarr, read from Prowlarr's history (the newest id read is the cursor), each with who made it.
ALTER TABLE prowlarr_search_logs ADD COLUMN source text NOT NULL DEFAULT 'stream-proxy';

CREATE TABLE prowlarr_grabs (
    id          uuid PRIMARY KEY,                      -- from Prowlarr's history id: read twice, kept once
    indexer_id  uuid NOT NULL REFERENCES prowlarr_indexers (id) ON DELETE CASCADE,
    source      text NOT NULL,
    successful  boolean NOT NULL,
    title       text,
    timestamp   timestamptz NOT NULL
);
CREATE INDEX prowlarr_grabs_indexer_time ON prowlarr_grabs (indexer_id, timestamp);

CREATE TABLE prowlarr_history_cursor (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    last_id    integer NOT NULL,                       -- the newest history record read
    updated_at timestamptz NOT NULL DEFAULT now()
);
