-- The uid index leads with uid. With (tenant_id, uid) it shared its first column with the primary
-- key (tenant_id, user_id), so on a new database, whose tables have no statistics yet, a generic
-- plan of the lookup by userId could pick it: it matched tenant_id only and filtered every user
-- of the tenant. Led by uid, it cannot serve that lookup, and still serves (tenant_id, uid).
DROP INDEX users_uid;
CREATE UNIQUE INDEX users_uid ON users (uid, tenant_id);
