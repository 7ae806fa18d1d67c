package vigil

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Role is what an analyst may do in the console.
type Role string

// The roles, each allowing what the one before it does and more.
const (
	// RoleViewer reads users, their timelines, risk and rule results.
	RoleViewer Role = "viewer"
	// RoleAnalyst also acts on users (state, KYC status, risk level, tags, comments).
	RoleAnalyst Role = "analyst"
	// RoleAdmin also manages rules, the risk model and webhooks.
	RoleAdmin Role = "admin"
)

// Allows reports whether the role includes what need needs.
func (r Role) Allows(need Role) bool { return roleRank[r] >= roleRank[need] && roleRank[need] > 0 }

var roleRank = map[Role]int{RoleViewer: 1, RoleAnalyst: 2, RoleAdmin: 3}

// ParseRole reads a role's name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); roleRank[r] > 0 {
		return r, nil
	}
	return "", invalidf("role", "%q is not a role: use viewer, analyst or admin", s)
}

// Analyst is a console account: a person of one tenant, who signs in with an email address
// (unique in the server, so sign-in needs no tenant) and a password, kept only as a hash.
type Analyst struct {
	ID       string
	TenantID string
	// Email is lower-cased.
	Email        string
	Role         Role
	PasswordHash string
	CreatedAt    int64
}

// Password bounds: long enough to resist guessing at the rate sign-in allows, short enough that
// hashing cannot be made expensive by the input.
const (
	minPasswordLen = 12
	maxPasswordLen = 256
)

// AddAnalyst creates an analyst of an existing tenant with a password.
func (s *Service) AddAnalyst(ctx context.Context, tenant, email string, role Role, password string) (Analyst, error) {
	email, err := checkEmail(email)
	if err != nil {
		return Analyst{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return Analyst{}, err
	}
	if n := utf8.RuneCountInString(password); n < minPasswordLen || len(password) > maxPasswordLen || !utf8.ValidString(password) {
		return Analyst{}, invalidf("password", "must be %d to %d bytes of UTF-8 and at least %d characters", minPasswordLen, maxPasswordLen, minPasswordLen)
	}
	hash, err := hashPassword(password)
	if err != nil {
		return Analyst{}, err
	}
	a := Analyst{ID: s.newID(), Email: email, Role: role, PasswordHash: hash, CreatedAt: s.nowMillis()}
	err = s.write(ctx, func(tx Tx) error {
		t, err := tx.TenantByName(ctx, tenant)
		if errors.Is(err, ErrNotFound) {
			return notFoundf("No tenant named %q (create it with: vigil keys create --tenant %s)", tenant, tenant)
		}
		if err != nil {
			return err
		}
		a.TenantID = t.ID
		return tx.PutAnalyst(ctx, a)
	})
	if errors.Is(err, ErrDuplicate) {
		return Analyst{}, conflictf("An analyst with email %q exists (remove it first to change its tenant, role or password)", email)
	}
	return a, err
}

// Analysts lists a tenant's analysts by email.
func (s *Service) Analysts(ctx context.Context, tenant string) ([]Analyst, error) {
	t, err := s.TenantByName(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return s.store.Analysts(ctx, t.ID)
}

// RemoveAnalyst deletes a tenant's analyst; the analyst's sessions end with it.
func (s *Service) RemoveAnalyst(ctx context.Context, tenant, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	return s.write(ctx, func(tx Tx) error {
		t, err := tx.TenantByName(ctx, tenant)
		if errors.Is(err, ErrNotFound) {
			return notFoundf("No tenant named %q", tenant)
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteAnalyst(ctx, t.ID, email); errors.Is(err, ErrNotFound) {
			return notFoundf("Tenant %q has no analyst with email %q", tenant, email)
		} else if err != nil {
			return err
		}
		return nil
	})
}

// errSignIn is the one answer to every failed sign-in: it never says whether the email exists.
var errSignIn = &Error{Code: CodeUnauthorized, Message: "The email or password is not correct"}

// SignIn checks an analyst's email and password and returns the analyst with its tenant. A
// failure takes as long whether the email exists or not.
func (s *Service) SignIn(ctx context.Context, email, password string) (Analyst, Tenant, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if len(password) > maxPasswordLen {
		return Analyst{}, Tenant{}, errSignIn
	}
	a, t, err := s.store.AnalystByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		checkPassword(dummyHash(), password)
		return Analyst{}, Tenant{}, errSignIn
	}
	if err != nil {
		return Analyst{}, Tenant{}, err
	}
	if !checkPassword(a.PasswordHash, password) {
		return Analyst{}, Tenant{}, errSignIn
	}
	return a, t, nil
}

// checkEmail reads an analyst's email address: one bare address, lower-cased.
func checkEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 254 {
		return "", invalidf("email", "%q is not one email address (name@example.com)", email)
	}
	return email, nil
}

// String names the analyst in logs and in the actor of its actions.
func (a Analyst) String() string { return fmt.Sprintf("analyst:%s", a.Email) }
