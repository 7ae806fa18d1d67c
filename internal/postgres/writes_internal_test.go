package postgres

import (
	"strconv"
	"strings"
	"testing"
)

// TestUpdateUserIfSQL: the conditional write's SQL numbers the rows' parameters after the
// update's, one insert per row (entries first, the audit record last), and is made once per
// shape.
func TestUpdateUserIfSQL(t *testing.T) {
	tests := []struct {
		entries, deliveries int
		inserts             []string
		lastParam           int
	}{
		{1, 0, []string{"user_entries", "audit_log"}, 37},
		{1, 2, []string{"user_entries", "webhook_deliveries", "webhook_deliveries", "audit_log"}, 67},
		{0, 0, []string{"audit_log"}, 23},
	}
	for _, tc := range tests {
		sql := updateUserIfSQL(tc.entries, tc.deliveries, false, false)
		for i, table := range tc.inserts {
			if !strings.Contains(sql, "row"+strconv.Itoa(i)+" AS (INSERT INTO "+table+" ") {
				t.Errorf("%d entries, %d deliveries: insert %d is not into %s:\n%s", tc.entries, tc.deliveries, i, table, sql)
			}
		}
		if n := strings.Count(sql, "INSERT INTO"); n != len(tc.inserts) {
			t.Errorf("%d entries, %d deliveries: %d inserts, want %d", tc.entries, tc.deliveries, n, len(tc.inserts))
		}
		last := "$" + strconv.Itoa(tc.lastParam)
		if !strings.Contains(sql, last) || strings.Contains(sql, "$"+strconv.Itoa(tc.lastParam+1)) {
			t.Errorf("%d entries, %d deliveries: the last parameter is not %s:\n%s", tc.entries, tc.deliveries, last, sql)
		}
		if again := updateUserIfSQL(tc.entries, tc.deliveries, false, false); again != sql {
			t.Errorf("%d entries, %d deliveries: a second call made other SQL", tc.entries, tc.deliveries)
		}
	}
}

// TestUpdateUserIfSQLQueuesTerms: a write that changes its user's terms queues them with two
// parameters after the rows' (the user's created_at and the terms the index holds), and only
// where the update changed the user.
func TestUpdateUserIfSQLQueuesTerms(t *testing.T) {
	sql := updateUserIfSQL(1, 0, true, false)
	if !strings.Contains(sql, "INSERT INTO user_terms_pending") || !strings.Contains(sql, "$38::bigint, $39::text, $14 FROM changed") {
		t.Errorf("the terms are not queued after the rows' parameters:\n%s", sql)
	}
	if strings.Contains(sql, "$40") || strings.Contains(sql, "INSERT INTO user_terms ") {
		t.Errorf("the write touches the index itself, or takes more parameters:\n%s", sql)
	}
}
