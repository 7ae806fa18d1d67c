package sqlite

import (
	"context"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// ScreeningVersion implements vigil.Store.
func (s *Store) ScreeningVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.read.QueryRowContext(ctx, `SELECT version FROM screening_state WHERE id = 1`).Scan(&v)
	return v, notFound(err)
}

// ScreeningLists implements vigil.Store.
func (s *Store) ScreeningLists(ctx context.Context) ([]vigil.ScreeningList, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, tenant_id, source, name, kind, format, published, entries,
		refreshed_at, version FROM screening_lists ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlrow.Collect(rows, sqlrow.ScreeningList)
}

// ScreeningEntries implements vigil.Store.
func (s *Store) ScreeningEntries(ctx context.Context, listID string, fn func(vigil.ScreeningEntry) error) error {
	rows, err := s.read.QueryContext(ctx, `SELECT entry_id, digest, body FROM screening_entries WHERE list_id = ? ORDER BY entry_id`, listID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e := vigil.ScreeningEntry{ListID: listID}
		if err := rows.Scan(&e.EntryID, &e.Digest, &e.Body); err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ScreeningSearch implements vigil.Store.
func (s *Store) ScreeningSearch(ctx context.Context, tenantID, searchID string) (vigil.ScreeningSearch, error) {
	r := vigil.ScreeningSearch{TenantID: tenantID, SearchID: searchID}
	err := s.read.QueryRowContext(ctx, `SELECT user_id, created_at, body FROM screening_searches WHERE tenant_id = ? AND search_id = ?`,
		tenantID, searchID).Scan(&r.UserID, &r.CreatedAt, &r.Body)
	return r, notFound(err)
}

// ScreeningClearings implements vigil.Store.
func (s *Store) ScreeningClearings(ctx context.Context, tenantID, userID string) ([]vigil.ScreeningClearing, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT hit_id, digest, reason, actor, created_at FROM screening_clearings
		WHERE tenant_id = ? AND user_id = ? ORDER BY hit_id`, tenantID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []vigil.ScreeningClearing
	for rows.Next() {
		c := vigil.ScreeningClearing{TenantID: tenantID, UserID: userID}
		if err := rows.Scan(&c.HitID, &c.Digest, &c.Reason, &c.Actor, &c.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (t *sqlTx) PutScreeningList(ctx context.Context, l vigil.ScreeningList, put []vigil.ScreeningEntry, removed []string) error {
	q := t.q()
	if _, err := q.ExecContext(ctx, `INSERT INTO screening_lists (id, tenant_id, source, name, kind, format, published, entries,
		refreshed_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET tenant_id = excluded.tenant_id, source = excluded.source, name = excluded.name,
		kind = excluded.kind, format = excluded.format, published = excluded.published, entries = excluded.entries,
		refreshed_at = excluded.refreshed_at, version = excluded.version`,
		l.ID, l.TenantID, l.Source, l.Name, l.Kind, l.Format, l.Published, l.Entries, l.RefreshedAt, l.Version); err != nil {
		return err
	}
	for _, id := range removed {
		if _, err := q.ExecContext(ctx, `DELETE FROM screening_entries WHERE list_id = ? AND entry_id = ?`, l.ID, id); err != nil {
			return err
		}
	}
	for _, e := range put {
		if _, err := q.ExecContext(ctx, `INSERT INTO screening_entries (list_id, entry_id, digest, body) VALUES (?, ?, ?, ?)
			ON CONFLICT (list_id, entry_id) DO UPDATE SET digest = excluded.digest, body = excluded.body`,
			l.ID, e.EntryID, e.Digest, e.Body); err != nil {
			return err
		}
	}
	_, err := q.ExecContext(ctx, `UPDATE screening_state SET version = version + 1 WHERE id = 1`)
	return err
}

func (t *sqlTx) PutScreeningSearches(ctx context.Context, searches []vigil.ScreeningSearch) error {
	for _, r := range searches {
		if _, err := t.q().ExecContext(ctx, `INSERT INTO screening_searches (tenant_id, search_id, user_id, created_at, body)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, search_id) DO NOTHING`,
			r.TenantID, r.SearchID, r.UserID, r.CreatedAt, r.Body); err != nil {
			return err
		}
	}
	return nil
}

func (t *sqlTx) PutScreeningClearing(ctx context.Context, c vigil.ScreeningClearing) error {
	_, err := t.q().ExecContext(ctx, `INSERT INTO screening_clearings (tenant_id, user_id, hit_id, digest, reason, actor, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, user_id, hit_id) DO UPDATE SET digest = excluded.digest,
		reason = excluded.reason, actor = excluded.actor, created_at = excluded.created_at`,
		c.TenantID, c.UserID, c.HitID, c.Digest, c.Reason, c.Actor, c.CreatedAt)
	return err
}

// ScreeningUsers implements vigil.Store.
func (s *Store) ScreeningUsers(ctx context.Context, afterTenant, afterUID string, limit int) ([]vigil.UserRecord, error) {
	rows, err := s.reads().QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE (tenant_id, uid) > (?, ?)
		ORDER BY tenant_id, uid LIMIT ?`, afterTenant, afterUID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlrow.Users(rows)
}
