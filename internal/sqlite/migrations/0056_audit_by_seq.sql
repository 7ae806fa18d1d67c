-- Since every change seals its audit record as it writes it (audit_chain.go), a sealed record
-- is read only by its place in the chain, yet audit_log kept it in three b-trees (the table, its
-- (tenant_id, id) key and the chain index), each of which every commit wrote a leaf of: about a
-- sixth of what a commit wrote. Sealed records now live in one b-tree ordered by the chain;
-- records not yet sealed (a database an older build wrote) wait in audit_unsealed, which the
-- sealer empties into it. Ids are the server's own (time-ordered UUIDs) and are not keyed here.
ALTER TABLE audit_log RENAME TO audit_log_before;
CREATE TABLE audit_log (
    tenant_id  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    id         TEXT NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    request_id TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    digest     BLOB,
    prev_hash  BLOB,
    hash       BLOB,
    PRIMARY KEY (tenant_id, seq)
) WITHOUT ROWID;
INSERT INTO audit_log (tenant_id, seq, id, at, actor, request_id, action, target, digest, prev_hash, hash)
    SELECT tenant_id, seq, id, at, actor, request_id, action, target, digest, prev_hash, hash
    FROM audit_log_before WHERE seq IS NOT NULL ORDER BY tenant_id, seq;
CREATE TABLE audit_unsealed (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    request_id TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    digest     BLOB,
    PRIMARY KEY (tenant_id, id)
);
-- The sealer's order.
CREATE INDEX audit_unsealed_order ON audit_unsealed (tenant_id, at, id);
INSERT INTO audit_unsealed (tenant_id, id, at, actor, request_id, action, target, digest)
    SELECT tenant_id, id, at, actor, request_id, action, target, digest
    FROM audit_log_before WHERE seq IS NULL;
DROP TABLE audit_log_before;
