package vigil

import "fmt"

// Flags are the query flags of a write (Flagright's BooleanString parameters).
type Flags struct {
	// LockKYCRiskLevel and LockCRARiskLevel are nil when absent ("no change").
	LockKYCRiskLevel *bool
	LockCRARiskLevel *bool
	// ValidateUserID is nil when absent, which means true on a create: an existing user is left
	// unchanged. Exactly false turns a create of an existing user into an update.
	ValidateUserID          *bool
	AllowUserTypeConversion bool
	ChangeUserID            bool
}

// validateUserID reports the effective validateUserId flag.
func (f Flags) validateUserID() bool { return f.ValidateUserID == nil || *f.ValidateUserID }

// canonical renders the effective flags so that two requests with the same effect compare equal.
func (f Flags) canonical() string {
	tri := func(b *bool) string {
		if b == nil {
			return "-"
		}
		return fmt.Sprint(*b)
	}
	return fmt.Sprintf("lockKyc=%s lockCra=%s validate=%v convert=%v rename=%v",
		tri(f.LockKYCRiskLevel), tri(f.LockCRARiskLevel), f.validateUserID(),
		f.AllowUserTypeConversion, f.ChangeUserID)
}
