-- How often each rule hit, by the hour (epoch ms / 3600000) of the writes that hit it, counted
-- with each write's history entry in its transaction. shadow is 1 for a shadow rule's would-hit.
-- The console reads a tenant's last 30 days of it instead of the users' histories.
CREATE TABLE rule_hits (
    tenant_id        TEXT NOT NULL,
    hour             INTEGER NOT NULL,
    rule_instance_id TEXT NOT NULL,
    shadow           INTEGER NOT NULL,
    hits             INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, hour, rule_instance_id, shadow)
) WITHOUT ROWID;
