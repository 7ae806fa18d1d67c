-- Each tenant's own request rate limit (a token bucket: rps per second, at most burst). Tenants
-- without a row get the server's default. Servers read the whole table every few seconds, so it
-- holds one small row per limited tenant and nothing else.
CREATE TABLE tenant_rate_limits (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id),
    rps        REAL NOT NULL,
    burst      INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
