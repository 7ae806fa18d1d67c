-- Batches: batchId is an idempotency key per tenant and batch kind; the first response is kept
-- for an identical retry.
CREATE TABLE batches (
    tenant_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    batch_id     TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    response     BYTEA NOT NULL,
    successful   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, batch_id)
);

-- Each successful record of a batch: the history entry it produced (or replayed).
CREATE TABLE batch_records (
    tenant_id TEXT NOT NULL,
    kind      TEXT NOT NULL,
    batch_id  TEXT NOT NULL,
    position  BIGINT NOT NULL,
    user_uid  TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, batch_id, position)
);
