-- A user's webhook deliveries, newest first (the console's user page): the outbox's order key of
-- a user's write is the user's uid. The index replaces the erasure migration's on (tenant_id,
-- order_key), whose lookups (an erasure's) it serves as well.
DROP INDEX webhook_deliveries_user;
CREATE INDEX webhook_deliveries_user_newest ON webhook_deliveries (tenant_id, order_key, created_at, seq, id);
