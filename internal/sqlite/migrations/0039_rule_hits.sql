-- How often each rule hit: a row per UTC day (epoch ms / 86400000), rule and shadow flag, with a
-- column per hour of the day (h00 to h23, by the hour of the writes that hit), counted with each
-- write's history entry in its transaction. shadow is 1 for a shadow rule's would-hit. The
-- console reads a tenant's last 30 days of rows (one per rule and day) instead of the users'
-- histories; a row per day rather than per hour makes that read 24 times smaller.
CREATE TABLE rule_hits (
    tenant_id        TEXT NOT NULL,
    day              INTEGER NOT NULL,
    rule_instance_id TEXT NOT NULL,
    shadow           INTEGER NOT NULL,
    h00             INTEGER NOT NULL DEFAULT 0,
    h01             INTEGER NOT NULL DEFAULT 0,
    h02             INTEGER NOT NULL DEFAULT 0,
    h03             INTEGER NOT NULL DEFAULT 0,
    h04             INTEGER NOT NULL DEFAULT 0,
    h05             INTEGER NOT NULL DEFAULT 0,
    h06             INTEGER NOT NULL DEFAULT 0,
    h07             INTEGER NOT NULL DEFAULT 0,
    h08             INTEGER NOT NULL DEFAULT 0,
    h09             INTEGER NOT NULL DEFAULT 0,
    h10             INTEGER NOT NULL DEFAULT 0,
    h11             INTEGER NOT NULL DEFAULT 0,
    h12             INTEGER NOT NULL DEFAULT 0,
    h13             INTEGER NOT NULL DEFAULT 0,
    h14             INTEGER NOT NULL DEFAULT 0,
    h15             INTEGER NOT NULL DEFAULT 0,
    h16             INTEGER NOT NULL DEFAULT 0,
    h17             INTEGER NOT NULL DEFAULT 0,
    h18             INTEGER NOT NULL DEFAULT 0,
    h19             INTEGER NOT NULL DEFAULT 0,
    h20             INTEGER NOT NULL DEFAULT 0,
    h21             INTEGER NOT NULL DEFAULT 0,
    h22             INTEGER NOT NULL DEFAULT 0,
    h23             INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, rule_instance_id, shadow)
) WITHOUT ROWID;
