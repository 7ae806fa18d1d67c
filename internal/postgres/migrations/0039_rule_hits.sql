-- How often each rule hit: a row per UTC day (epoch ms / 86400000), rule and shadow flag, with a
-- column per hour of the day (h00 to h23, by the hour of the writes that hit), counted with each
-- write's history entry in its transaction. shadow is true for a shadow rule's would-hit. A
-- write adds to the row of its user's shard (a hash of the user's uid, 0-7), so concurrent
-- writes that hit the same rule wait on one another's row lock only within a shard; a read
-- sums the shards. A row per day rather than per hour makes the console's read of 30 days 24
-- times smaller.
CREATE TABLE rule_hits (
    tenant_id        TEXT NOT NULL,
    day              BIGINT NOT NULL,
    rule_instance_id TEXT NOT NULL,
    shadow           BOOLEAN NOT NULL,
    shard            SMALLINT NOT NULL,
    h00             BIGINT NOT NULL DEFAULT 0,
    h01             BIGINT NOT NULL DEFAULT 0,
    h02             BIGINT NOT NULL DEFAULT 0,
    h03             BIGINT NOT NULL DEFAULT 0,
    h04             BIGINT NOT NULL DEFAULT 0,
    h05             BIGINT NOT NULL DEFAULT 0,
    h06             BIGINT NOT NULL DEFAULT 0,
    h07             BIGINT NOT NULL DEFAULT 0,
    h08             BIGINT NOT NULL DEFAULT 0,
    h09             BIGINT NOT NULL DEFAULT 0,
    h10             BIGINT NOT NULL DEFAULT 0,
    h11             BIGINT NOT NULL DEFAULT 0,
    h12             BIGINT NOT NULL DEFAULT 0,
    h13             BIGINT NOT NULL DEFAULT 0,
    h14             BIGINT NOT NULL DEFAULT 0,
    h15             BIGINT NOT NULL DEFAULT 0,
    h16             BIGINT NOT NULL DEFAULT 0,
    h17             BIGINT NOT NULL DEFAULT 0,
    h18             BIGINT NOT NULL DEFAULT 0,
    h19             BIGINT NOT NULL DEFAULT 0,
    h20             BIGINT NOT NULL DEFAULT 0,
    h21             BIGINT NOT NULL DEFAULT 0,
    h22             BIGINT NOT NULL DEFAULT 0,
    h23             BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, rule_instance_id, shadow, shard)
);
