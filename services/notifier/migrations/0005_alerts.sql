-- Alerts: what each subject last told (and what waits for its quiet period to end), the alerts accepted,
-- and their delivery to each target, retried with back-off until sent.
CREATE TABLE notifier_alert_subjects (
    subject     text PRIMARY KEY,
    sent_state  text,                 -- the state last told; a repeat of it is not told again
    sent_at     timestamptz,
    pending     jsonb,                -- a change within the quiet period: told when it ends, if still true
    pending_due timestamptz
);
CREATE INDEX notifier_alert_subjects_due ON notifier_alert_subjects (pending_due) WHERE pending IS NOT NULL;

CREATE TABLE notifier_alerts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject     text NOT NULL,
    state       text NOT NULL,
    title       text NOT NULL,
    message     text NOT NULL,
    source      text NOT NULL,
    raised_at   timestamptz NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifier_alert_deliveries (
    alert_id    bigint NOT NULL REFERENCES notifier_alerts (id) ON DELETE CASCADE,
    target      text NOT NULL,        -- the target's name in the integrations document
    attempts    integer NOT NULL DEFAULT 0,
    next_try_at timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    last_error  text,
    PRIMARY KEY (alert_id, target)
);
CREATE INDEX notifier_alert_deliveries_due ON notifier_alert_deliveries (next_try_at) WHERE sent_at IS NULL;
