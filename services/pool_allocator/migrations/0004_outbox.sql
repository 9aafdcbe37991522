-- alert.raised events (a key failing, and recovering) written with the key's new status, published to
-- JetStream after the commit (libs/outbox.py): none is lost while NATS is away.
CREATE TABLE pool_outbox (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject  text NOT NULL,
    event_id text NOT NULL,
    body     bytea NOT NULL
);
