-- Tombstones of erased users: a hash of the tenant and the user id (never the id itself), so
-- the id can be refused afterwards without being kept.
CREATE TABLE erased_users (
    tenant_id TEXT NOT NULL,
    user_key  BLOB NOT NULL,
    erased_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_key)
);
-- Erasure finds a user's batch records and webhook deliveries by its uid.
CREATE INDEX batch_records_user ON batch_records (tenant_id, user_uid);
CREATE INDEX webhook_deliveries_user ON webhook_deliveries (tenant_id, order_key);
