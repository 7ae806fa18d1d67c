package postgres

import (
	"context"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// ScreeningVersion implements vigil.Store.
func (s *Store) ScreeningVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT version FROM screening_state WHERE id = 1`).Scan(&v)
	return v, mapError(err)
}

// ScreeningLists implements vigil.Store.
func (s *Store) ScreeningLists(ctx context.Context) ([]vigil.ScreeningList, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, tenant_id, source, name, kind, format, published, entries,
		refreshed_at, version FROM screening_lists ORDER BY id`)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScreeningList)
	return out, mapError(err)
}

// ScreeningEntries implements vigil.Store.
func (s *Store) ScreeningEntries(ctx context.Context, listID string, fn func(vigil.ScreeningEntry) error) error {
	rows, err := s.pool.Query(ctx, `SELECT entry_id, digest, body FROM screening_entries WHERE list_id = $1 ORDER BY entry_id`, listID)
	if err != nil {
		return mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		e := vigil.ScreeningEntry{ListID: listID}
		if err := rows.Scan(&e.EntryID, &e.Digest, &e.Body); err != nil {
			return mapError(err)
		}
		if err := fn(e); err != nil {
			return mapError(err)
		}
	}
	return mapError(rows.Err())
}

// ScreeningSearch implements vigil.Store.
func (s *Store) ScreeningSearch(ctx context.Context, tenantID, searchID string) (vigil.ScreeningSearch, error) {
	r := vigil.ScreeningSearch{TenantID: tenantID, SearchID: searchID}
	err := s.pool.QueryRow(ctx, `SELECT user_id, created_at, body FROM screening_searches WHERE tenant_id = $1 AND search_id = $2`,
		tenantID, searchID).Scan(&r.UserID, &r.CreatedAt, &r.Body)
	return r, mapError(err)
}

// ScreeningClearings implements vigil.Store.
func (s *Store) ScreeningClearings(ctx context.Context, tenantID, userID string) ([]vigil.ScreeningClearing, error) {
	rows, err := s.pool.Query(ctx, `SELECT hit_id, digest, reason, actor, created_at FROM screening_clearings
		WHERE tenant_id = $1 AND user_id = $2 ORDER BY hit_id`, tenantID, userID)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []vigil.ScreeningClearing
	for rows.Next() {
		c := vigil.ScreeningClearing{TenantID: tenantID, UserID: userID}
		if err := rows.Scan(&c.HitID, &c.Digest, &c.Reason, &c.Actor, &c.CreatedAt); err != nil {
			return nil, mapError(err)
		}
		out = append(out, c)
	}
	return out, mapError(rows.Err())
}

func (t *pgTx) PutScreeningList(ctx context.Context, l vigil.ScreeningList, put []vigil.ScreeningEntry, removed []string) error {
	if _, err := t.tx.Exec(ctx, `INSERT INTO screening_lists (id, tenant_id, source, name, kind, format, published, entries,
		refreshed_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET tenant_id = excluded.tenant_id, source = excluded.source, name = excluded.name,
		kind = excluded.kind, format = excluded.format, published = excluded.published, entries = excluded.entries,
		refreshed_at = excluded.refreshed_at, version = excluded.version`,
		l.ID, l.TenantID, l.Source, l.Name, l.Kind, l.Format, l.Published, l.Entries, l.RefreshedAt, l.Version); err != nil {
		return mapError(err)
	}
	// Entries go in batches of statements, one round trip per batch: a first import of a large
	// list is hundreds of thousands of rows.
	sts := make([]statement, 0, 512)
	flush := func() error {
		err := t.sendBatch(ctx, sts)
		sts = sts[:0]
		return err
	}
	for _, id := range removed {
		sts = append(sts, statement{sql: `DELETE FROM screening_entries WHERE list_id = $1 AND entry_id = $2`, args: []any{l.ID, id}})
		if len(sts) == cap(sts) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for _, e := range put {
		sts = append(sts, statement{sql: `INSERT INTO screening_entries (list_id, entry_id, digest, body) VALUES ($1, $2, $3, $4)
			ON CONFLICT (list_id, entry_id) DO UPDATE SET digest = excluded.digest, body = excluded.body`,
			args: []any{l.ID, e.EntryID, e.Digest, e.Body}})
		if len(sts) == cap(sts) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	_, err := t.tx.Exec(ctx, `UPDATE screening_state SET version = version + 1 WHERE id = 1`)
	return mapError(err)
}

func (t *pgTx) PutScreeningSearches(ctx context.Context, searches []vigil.ScreeningSearch) error {
	for _, r := range searches {
		if _, err := t.tx.Exec(ctx, `INSERT INTO screening_searches (tenant_id, search_id, user_id, created_at, body)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, search_id) DO NOTHING`,
			r.TenantID, r.SearchID, r.UserID, r.CreatedAt, r.Body); err != nil {
			return mapError(err)
		}
	}
	return nil
}

func (t *pgTx) PutScreeningClearing(ctx context.Context, c vigil.ScreeningClearing) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO screening_clearings (tenant_id, user_id, hit_id, digest, reason, actor, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, user_id, hit_id) DO UPDATE SET digest = excluded.digest,
		reason = excluded.reason, actor = excluded.actor, created_at = excluded.created_at`,
		c.TenantID, c.UserID, c.HitID, c.Digest, c.Reason, c.Actor, c.CreatedAt)
	return mapError(err)
}

// ScreeningUsers implements vigil.Store.
func (s *Store) ScreeningUsers(ctx context.Context, afterTenant, afterUID string, limit int) ([]vigil.UserRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE (tenant_id, uid) > ($1, $2)
		ORDER BY tenant_id, uid LIMIT $3`, afterTenant, afterUID, limit)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	users, err := sqlrow.Users(rows)
	return users, mapError(err)
}
