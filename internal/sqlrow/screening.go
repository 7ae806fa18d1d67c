package sqlrow

import "github.com/vigil-aml/vigil/internal/vigil"

// ScreeningList reads a screening list from the columns id, tenant_id, source, name, kind,
// format, published, entries, refreshed_at and version.
func ScreeningList(rows Rows) (vigil.ScreeningList, error) {
	var l vigil.ScreeningList
	err := rows.Scan(&l.ID, &l.TenantID, &l.Source, &l.Name, &l.Kind, &l.Format, &l.Published, &l.Entries,
		&l.RefreshedAt, &l.Version)
	return l, err
}

// RuleHitDay reads one day of a rule's hit counters from the columns rule_instance_id, shadow,
// day and the day's 24 hourly counts.
func RuleHitDay(rows Rows) (vigil.RuleHitDay, error) {
	var c vigil.RuleHitDay
	dest := []any{&c.RuleInstanceID, &c.Shadow, &c.Day}
	for h := range c.Hours {
		dest = append(dest, &c.Hours[h])
	}
	err := rows.Scan(dest...)
	return c, err
}
