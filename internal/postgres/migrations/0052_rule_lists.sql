-- The rule lists that compact stored responses name (vigil/rule_lists.go): the versions and
-- actions of the rules one evaluation executed, stored once per tenant under a key made from
-- their content, instead of in every history entry's response.
CREATE TABLE rule_lists (
    tenant_id TEXT NOT NULL,
    key       TEXT NOT NULL,
    document  BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
