-- indexer.search and pool.usage events not yet in JetStream (libs/outbox.py): none is lost while NATS is away
CREATE TABLE stream_proxy_outbox (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject  text NOT NULL,
    event_id text NOT NULL,
    body     bytea NOT NULL
);
