package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-aml/vigil/internal/sqlrow"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// SearchUsers implements vigil.Store.
func (s *Store) SearchUsers(ctx context.Context, tenantID string, q vigil.UserQuery) ([]vigil.UserRecord, error) {
	if err := s.catchUpTerms(ctx); err != nil {
		return nil, err
	}
	placeholder := func(n int) string { return "$" + strconv.Itoa(n) }
	if count, args := sqlrow.PrefixCountSQL(tenantID, q, placeholder); count != "" {
		var n int
		if err := s.pool.QueryRow(ctx, count, append([]any{pgx.QueryExecModeExec}, args...)...).Scan(&n); err != nil {
			return nil, mapError(err)
		}
		q.AnyByUser = n >= sqlrow.ProbeAbove
	}
	query, args := sqlrow.SearchUsersSQL(tenantID, q, userColumns, sqlrow.SearchDialect{Placeholder: placeholder, Contains: contains})
	// Planned for its arguments each time (an unnamed statement): a cached generic plan cannot
	// tell a term most users have ("*", a common state) from a rare one, and sorted whole
	// ranges where the index gives the newest first (BENCHMARKS.md).
	rows, err := s.pool.Query(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	users, err := sqlrow.Users(rows)
	return users, mapError(err)
}

// contains is PostgreSQL's condition that haystack holds needle: the search checks a text on
// each user in its row's terms, so the database keeps no by-user index of them (migration 0054).
func contains(haystack, needle string) string { return "strpos(" + haystack + ", " + needle + ") > 0" }

// UnindexedUsers implements vigil.Store.
func (s *Store) UnindexedUsers(ctx context.Context, limit int) ([]vigil.UserRecord, error) {
	// legacy_terms is sqlrow.UnindexedUsersWhere, stored (migration 0055).
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE legacy_terms LIMIT $1`, limit)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	users, err := sqlrow.Users(rows)
	return users, mapError(err)
}
