-- Named leases shared by every replica of every service: who may run a periodic job now, and until when.
-- A holder renews its lease each round; one that dies stops renewing, and another takes the name once the
-- lease has run out.
CREATE TABLE chillproxy_leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    until      timestamptz NOT NULL,
    taken_at   timestamptz NOT NULL DEFAULT now()
);
