package console

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// The actions' builders: each reads its form (and what it must know of the user) and returns the
// event's change, or an error that refuses the form before anything is written.

// enumAction sets a field of the profile to one of its values (state, KYC status).
type enumAction struct {
	// field is the profile object the value goes to, with the value's key and the reason's.
	field, valueKey, reasonKey string
	values                     []string
}

// enumActions are the console's field actions by their path segment. The values are
// Flagright's enums.
var enumActions = map[string]enumAction{
	"state": {field: "userStateDetails", valueKey: "state", reasonKey: "reason",
		values: []string{"ACTIVE", "SUSPENDED", "BLOCKED", "DORMANT", "TERMINATED", "UNACCEPTABLE", "CREATED"}},
	"kyc": {field: "kycStatusDetails", valueKey: "status", reasonKey: "reason",
		values: []string{"SUCCESSFUL", "FAILED", "NOT_STARTED", "IN_PROGRESS", "EXPIRED", "NEW", "CANCELLED", "MANUAL_REVIEW", "EDD_IN_PROGRESS"}},
}

// riskLevels are Flagright's risk levels, lowest first.
var riskLevels = []string{"VERY_LOW", "LOW", "MEDIUM", "HIGH", "VERY_HIGH"}

// riskModes are what the risk action does: set a level and lock it (or lock the current one
// when no level is given), set a level for this write only (the next write recomputes), or
// release the lock (the level is recomputed at once). They are the API's lockKycRiskLevel /
// lockCraRiskLevel flags and kycRiskLevel / riskLevel fields (docs/risk.md), sent as an event.
var riskModes = []string{"lock", "set", "release"}

// Bounds of the forms' fields.
const (
	maxReason  = 1000
	maxComment = 4000
	maxTagKey  = 200
	maxTagText = 1000
)

// invalid is the error of a form that cannot be sent: nothing is written.
func invalid(format string, args ...any) error {
	return &vigil.Error{Code: vigil.CodeInvalid, Message: fmt.Sprintf(format, args...) + "; nothing was changed"}
}

// reasonOf reads the form's required reason.
func reasonOf(r *http.Request) (string, error) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" || utf8.RuneCountInString(reason) > maxReason {
		return "", invalid("A reason is required (at most %d characters)", maxReason)
	}
	return reason, nil
}

func enumBuilder(name string) func(*http.Request, current) (change, error) {
	act := enumActions[name]
	return func(r *http.Request, _ current) (change, error) {
		value := r.PostFormValue("value")
		if !slices.Contains(act.values, value) {
			return change{}, invalid("%q is not one of %s", value, strings.Join(act.values, ", "))
		}
		reason, err := reasonOf(r)
		if err != nil {
			return change{}, err
		}
		return change{patch: schema.Object{act.field: schema.Object{act.valueKey: value, act.reasonKey: reason}},
			reason: reason, description: fmt.Sprintf("%s set to %s", act.valueKey, value), logValue: value}, nil
	}
}

// riskChange sets, locks or releases the KRS or CRA level.
func riskChange(r *http.Request, user current) (change, error) {
	score, level, mode := r.PostFormValue("score"), r.PostFormValue("level"), r.PostFormValue("mode")
	field, name := "kycRiskLevel", "KRS"
	switch score {
	case "KRS":
	case "CRA":
		field, name = "riskLevel", "CRA"
	default:
		return change{}, invalid("%q is neither KRS nor CRA", score)
	}
	if level != "" && !slices.Contains(riskLevels, level) {
		return change{}, invalid("%q is not one of %s", level, strings.Join(riskLevels, ", "))
	}
	reason, err := reasonOf(r)
	if err != nil {
		return change{}, err
	}
	c := change{reason: reason, logValue: name + " " + mode}
	yes, no := true, false
	lock := &c.flags.LockKYCRiskLevel
	if score == "CRA" {
		lock = &c.flags.LockCRARiskLevel
	}
	switch mode {
	case "lock":
		*lock = &yes
		c.description = name + " level locked at the current level"
		if level != "" {
			c.description = name + " level set to " + level + " and locked"
		}
	case "set":
		if level == "" {
			return change{}, invalid("Choose the level to set")
		}
		// A level set by hand without the lock flag is ignored while the level is locked
		// (docs/risk.md): say so rather than write an event that changes nothing.
		if user.locked[score] {
			return change{}, invalid("The %s level is locked; set and lock it, or release the lock first", name)
		}
		c.description = name + " level set to " + level + " until the next write"
	case "release":
		if level != "" {
			return change{}, invalid("A release recomputes the level; choose no level")
		}
		*lock = &no
		c.description = name + " level lock released"
	default:
		return change{}, invalid("%q is not one of %s", mode, strings.Join(riskModes, ", "))
	}
	if level != "" {
		c.patch = schema.Object{field: level}
	}
	return c, nil
}

// tagChange adds a tag, or replaces the value of the tag with its key (Flagright's tags merge by
// key).
func tagChange(r *http.Request, user current) (change, error) {
	key, value := strings.TrimSpace(r.PostFormValue("key")), strings.TrimSpace(r.PostFormValue("value"))
	if key == "" || utf8.RuneCountInString(key) > maxTagKey || value == "" || utf8.RuneCountInString(value) > maxTagText {
		return change{}, invalid("A tag needs a key (at most %d characters) and a value (at most %d)", maxTagKey, maxTagText)
	}
	if err := editable(user.profile, key); err != nil {
		return change{}, err
	}
	reason, err := reasonOf(r)
	if err != nil {
		return change{}, err
	}
	return change{patch: schema.Object{"tags": []any{schema.Object{"key": key, "value": value}}}, reason: reason,
		description: "tag " + key + " set to " + value, logValue: "tag"}, nil
}

// untagChange removes the tags with a key: a patch tag with a null value (schema.MergePatch).
func untagChange(r *http.Request, user current) (change, error) {
	key := r.PostFormValue("key")
	if !slices.ContainsFunc(tagsOf(user.profile), func(t schema.Object) bool { return t["key"] == key }) {
		return change{}, invalid("The user has no tag %q", key)
	}
	if err := editable(user.profile, key); err != nil {
		return change{}, err
	}
	reason, err := reasonOf(r)
	if err != nil {
		return change{}, err
	}
	return change{patch: schema.Object{"tags": []any{schema.Object{"key": key, "value": nil}}}, reason: reason,
		description: "tag " + key + " removed", logValue: "untag"}, nil
}

// editable refuses a change of a tag the client marked isEditable false: Flagright's meaning is
// that operators may not edit it in the console.
func editable(profile schema.Object, key string) error {
	for _, t := range tagsOf(profile) {
		if t["key"] == key && t["isEditable"] == false {
			return invalid("Tag %q is marked not editable in the console (isEditable: false)", key)
		}
	}
	return nil
}

// tagsOf is a profile's tags.
func tagsOf(profile schema.Object) []schema.Object {
	list, _ := profile["tags"].([]any)
	out := make([]schema.Object, 0, len(list))
	for _, t := range list {
		if obj, ok := t.(schema.Object); ok {
			out = append(out, obj)
		}
	}
	return out
}

// commentChange writes a comment: an event that changes nothing, whose reason is the comment.
// The comment is its own reason.
func commentChange(r *http.Request, _ current) (change, error) {
	text := strings.TrimSpace(r.PostFormValue("comment"))
	if text == "" || utf8.RuneCountInString(text) > maxComment {
		return change{}, invalid("A comment needs text (at most %d characters)", maxComment)
	}
	return change{reason: text, description: "comment", logValue: "comment"}, nil
}
