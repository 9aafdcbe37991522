-- alert.raised events (an indexer going down, and coming back) written with its new status, published to
-- JetStream after the commit (libs/outbox.py).
CREATE TABLE indexer_stats_outbox (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject  text NOT NULL,
    event_id text NOT NULL,
    body     bytea NOT NULL
);
