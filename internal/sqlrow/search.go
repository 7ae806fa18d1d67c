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
			at := arg(q.AfterCreatedAt)
			where = append(where, "("+alias+".created_at < "+at+" OR ("+alias+".created_at = "+at+" AND "+alias+".uid < "+arg(q.AfterUID)+"))")
		}
	}
	limit := strconv.Itoa(q.Limit)
	if len(q.Any) == 0 && len(q.All) == 0 {
		q.All = []string{vigil.TermAll}
	}
	where = append(where, "t0.tenant_id = "+tenant)
	rest, distinct := q.All, ""
	if len(q.Any) > 0 {
		var any []string
		for _, term := range q.Any {
			if q.AnyPrefix {
				any = append(any, "(t0.term >= "+arg(term)+" AND t0.term < "+arg(vigil.TermPrefixEnd(term))+")")
			} else {
				any = append(any, "t0.term = "+arg(term))
			}
		}
		where = append(where, "("+strings.Join(any, " OR ")+")")
		if len(q.Any) > 1 {
			distinct = "DISTINCT "
		}
	} else {
		where = append(where, "t0.term = "+arg(q.All[0]))
		rest = q.All[1:]
	}
	for _, term := range rest {
		where = append(where, "EXISTS (SELECT 1 FROM user_terms t WHERE t.tenant_id = t0.tenant_id AND t.term = "+arg(term)+
			" AND t.created_at = t0.created_at AND t.uid = t0.uid)")
	}
	bounds("t0")
	return "SELECT " + prefixed("u", columns) + " FROM (SELECT " + distinct + "t0.created_at, t0.uid FROM user_terms t0 WHERE " +
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
