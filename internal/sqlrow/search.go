package sqlrow

import (
	"strconv"
	"strings"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// SearchDialect is what SearchUsersSQL needs to know of a database.
type SearchDialect struct {
	// Placeholder names the query's nth argument (from 1).
	Placeholder func(n int) string
	// Contains is a condition that the text expression haystack holds the text expression
	// needle: a search that checks a text on each user (vigil.UserQuery.AnyByUser) finds it in
	// the user's row (users.terms).
	Contains func(haystack, needle string) string
}

// SearchUsersSQL builds the query of Store.SearchUsers for both stores and returns it with its
// arguments. columns are the users columns to select, as UserWith reads them. It reads one
// term's range of the user_terms index (with no term, vigil.TermAll's) newest first, checks
// every other term by its primary key, and joins only the page's users.
func SearchUsersSQL(tenantID string, q vigil.UserQuery, columns string, d SearchDialect) (string, []any) {
	placeholder := d.Placeholder
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
	if q.AnyByUser {
		// Each user of the driving range (the text's short prefix when it has one) is checked
		// for the text in its row's terms: every term but the first ("*") follows a newline
		// there, and none contains one.
		from = "user_terms t0 JOIN users c ON c.tenant_id = t0.tenant_id AND c.uid = t0.uid"
		var conds []string
		for _, term := range q.Any {
			if q.AnyPrefix {
				conds = append(conds, d.Contains("c.terms", arg("\n"+term)))
			} else {
				conds = append(conds, d.Contains("c.terms || "+arg("\n"), arg("\n"+term+"\n")))
			}
		}
		where = append(where, "("+strings.Join(conds, " OR ")+")")
		if q.AnyDrive != "" {
			q.All = append([]string{q.AnyDrive}, q.All...)
		}
		if len(q.All) == 0 {
			q.All = []string{vigil.TermAll}
		}
		q.Any = nil
	}
	if len(q.Any) > 0 {
		var branches []string
		for _, term := range q.Any {
			// The casts type the parameters for PostgreSQL, which cannot infer them in a union.
			branches = append(branches, "SELECT tenant_id, created_at, uid FROM user_terms WHERE tenant_id = "+tenant+" AND "+
				anyCond("term", term, q.AnyPrefix, arg))
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

// UnindexedUsersWhere is the condition of a user whose terms are missing or lack the short
// prefix terms (vigil.Indexed), word for word the predicate of SQLite's users_unindexed index
// (migration 0051), so that it reads the index, and the expression of PostgreSQL's
// users.legacy_terms (migration 0055).
const UnindexedUsersWhere = "terms NOT LIKE '%\n" + vigil.TermShort + "%'"

// anyCond matches column to a term of UserQuery.Any, as a prefix or exactly.
func anyCond(column, term string, prefix bool, arg func(any) string) string {
	// The casts type the parameters for PostgreSQL, which cannot infer them in a union.
	if prefix {
		return "(" + column + " >= CAST(" + arg(term) + " AS TEXT) AND " + column + " < CAST(" + arg(vigil.TermPrefixEnd(term)) + " AS TEXT))"
	}
	return column + " = CAST(" + arg(term) + " AS TEXT)"
}

// ProbeAbove is how many index entries a text prefix may match before a search checks the text
// on each user of its driving range instead (vigil.UserQuery.AnyByUser). Below it, reading and
// sorting the matches costs at most a few milliseconds; above it, a page of the newest users
// that match is found within 25 × users / ProbeAbove users of the driving range, at most a few
// thousand for a million users (BENCHMARKS.md, issue 22).
const ProbeAbove = 5000

// PrefixCountSQL returns the query counting, up to ProbeAbove, the index entries a text prefix
// search would read, and its arguments; "" when q is not a text prefix search.
func PrefixCountSQL(tenantID string, q vigil.UserQuery, placeholder func(n int) string) (string, []any) {
	if len(q.Any) == 0 || !q.AnyPrefix {
		return "", nil
	}
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return placeholder(len(args))
	}
	var branches []string
	for _, term := range q.Any {
		branches = append(branches, "SELECT 1 FROM user_terms WHERE tenant_id = "+placeholder(1)+" AND "+anyCond("term", term, true, arg))
	}
	return "SELECT count(*) FROM (" + strings.Join(branches, " UNION ALL ") + " LIMIT " + strconv.Itoa(ProbeAbove) + ") c", args
}

// prefixed qualifies each of a comma-separated list of columns with alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
