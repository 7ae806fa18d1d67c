-- How often each rule hit, by the hour (epoch ms / 3600000) of the writes that hit it, counted
-- with each write's history entry in its transaction. shadow is true for a shadow rule's
-- would-hit. A write adds to the row of its user's shard (a hash of the user's uid, 0-7), so
-- concurrent writes that hit the same rule wait on one another's row lock only within a shard;
-- a read sums the shards.
CREATE TABLE rule_hits (
    tenant_id        TEXT NOT NULL,
    hour             BIGINT NOT NULL,
    rule_instance_id TEXT NOT NULL,
    shadow           BOOLEAN NOT NULL,
    shard            SMALLINT NOT NULL,
    hits             BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, hour, rule_instance_id, shadow, shard)
);
