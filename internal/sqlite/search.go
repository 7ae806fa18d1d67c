package sqlite

import (
	"context"
	"strconv"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// SearchUsers implements vigil.Store.
func (s *Store) SearchUsers(ctx context.Context, tenantID string, q vigil.UserQuery) ([]vigil.UserRecord, error) {
	if err := s.catchUpTerms(ctx); err != nil {
		return nil, err
	}
	placeholder := func(n int) string { return "?" + strconv.Itoa(n) }
	if count, args := sqlrow.PrefixCountSQL(tenantID, q, placeholder); count != "" {
		var n int
		if err := s.reads().QueryRowContext(ctx, count, args...).Scan(&n); err != nil {
			return nil, err
		}
		q.AnyByUser = n >= sqlrow.ProbeAbove
	}
	query, args := sqlrow.SearchUsersSQL(tenantID, q, userColumns, sqlrow.SearchDialect{Placeholder: placeholder, Contains: contains})
	rows, err := s.reads().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlrow.Users(rows)
}

// contains is SQLite's condition that haystack holds needle: the search checks a text on each
// user in its row's terms, so the database keeps no by-user index of them (migration 0055).
func contains(haystack, needle string) string { return "instr(" + haystack + ", " + needle + ") > 0" }

// UnindexedUsers implements vigil.Store.
func (s *Store) UnindexedUsers(ctx context.Context, limit int) ([]vigil.UserRecord, error) {
	rows, err := s.reads().QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+sqlrow.UnindexedUsersWhere+` LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlrow.Users(rows)
}
