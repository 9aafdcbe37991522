-- Columns the first schema carried for features that never came (per-user config salts, Stripe billing):
-- nothing reads or writes them.
ALTER TABLE users DROP COLUMN IF EXISTS config_salt;
ALTER TABLE user_subs DROP COLUMN IF EXISTS stripe_customer_id, DROP COLUMN IF EXISTS stripe_subscription_id;
