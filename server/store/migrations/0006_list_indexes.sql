-- Each filter of the users list has an index in the list's order (newest first, ties by id), so
-- that a filtered page reads only its own rows however many users a tenant has, with or without
-- planner statistics (BenchmarkListAtScale).
CREATE INDEX users_tenant_status_created ON users (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX users_tenant_type_created ON users (tenant_id, type, created_at DESC, id DESC);
CREATE INDEX users_tenant_email_created ON users (tenant_id, email_lower, created_at DESC, id DESC);
DROP INDEX users_tenant_email;
