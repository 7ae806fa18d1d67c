package sqlrow

import (
	"strconv"
	"strings"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// SearchUsersSQL builds the query of Store.SearchUsers for both stores and returns it with its
// arguments: placeholder names the nth argument (from 1). columns are the users columns to
// select, as UserWith reads them. It reads one term's range of the user_terms index (with no
// term, vigil.TermAll's) newest first, checks every other term by its primary key, and joins
// only the page's users.
func SearchUsersSQL(tenantID string, q vigil.UserQuery, columns string, placeholder func(n int) string) (string, []any) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return placeholder(len(args))
	}
	tenant := arg(tenantID)
	var where []string
	bounds := func(alias string) {
		if q.CreatedFrom > 0 {
			where = append(where, alias+".created_at >= "+arg(q.CreatedFrom))
		}
		if q.CreatedTo > 0 {
			where = append(where, alias+".created_at <= "+arg(q.CreatedTo))
		}
		if q.AfterUID != "" {
			// A row comparison, which both databases use as a bound of the index range.
			where = append(where, "("+alias+".created_at, "+alias+".uid) < ("+arg(q.AfterCreatedAt)+", "+arg(q.AfterUID)+")")
		}
	}
	limit := strconv.Itoa(q.Limit)
	if len(q.Any) == 0 && len(q.All) == 0 {
		q.All = []string{vigil.TermAll}
	}
	// t0 is the driving term's rows: one range of the index, or, for a text query, the union of
	// one range per field (an OR of ranges would make SQLite scan the tenant's terms).
	from := "user_terms t0"
	rest, distinct := q.All, ""
	if len(q.Any) > 0 {
		var branches []string
		for _, term := range q.Any {
			// The casts type the parameters for PostgreSQL, which cannot infer them in a union.
			var cond string
			if q.AnyPrefix {
				cond = "term >= CAST(" + arg(term) + " AS TEXT) AND term < CAST(" + arg(vigil.TermPrefixEnd(term)) + " AS TEXT)"
			} else {
				cond = "term = CAST(" + arg(term) + " AS TEXT)"
			}
			branches = append(branches, "SELECT tenant_id, created_at, uid FROM user_terms WHERE tenant_id = "+tenant+" AND "+cond)
		}
		from = "(" + strings.Join(branches, " UNION ALL ") + ") t0"
		if len(q.Any) > 1 {
			distinct = "DISTINCT "
		}
	} else {
		where = append(where, "t0.tenant_id = "+tenant, "t0.term = "+arg(q.All[0]))
		rest = q.All[1:]
	}
	for _, term := range rest {
		where = append(where, "EXISTS (SELECT 1 FROM user_terms t WHERE t.tenant_id = t0.tenant_id AND t.term = "+arg(term)+
			" AND t.created_at = t0.created_at AND t.uid = t0.uid)")
	}
	bounds("t0")
	if len(where) == 0 {
		where = append(where, "1 = 1")
	}
	return "SELECT " + prefixed("u", columns) + " FROM (SELECT " + distinct + "t0.created_at, t0.uid FROM " + from + " WHERE " +
		strings.Join(where, " AND ") + " ORDER BY t0.created_at DESC, t0.uid DESC LIMIT " + limit + ") m" +
		" JOIN users u ON u.tenant_id = " + tenant + " AND u.uid = m.uid ORDER BY m.created_at DESC, m.uid DESC", args
}

// prefixed qualifies each of a comma-separated list of columns with alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
