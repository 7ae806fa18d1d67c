package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// An action is a change an analyst makes to a user from its page: a field of the profile set to
// one of its values, with a required reason. Each is an ordinary user event through
// Service.ApplyEvent, so rules, risk and webhooks run as for an API write, and it appears in the
// timeline with origin CONSOLE and the analyst as actor.
type action struct {
	// field is the profile object the value goes to, with the value's key and the reason's.
	field, valueKey, reasonKey string
	values                     []string
}

// actions are the console's actions by their path segment. The values are Flagright's enums.
var actions = map[string]action{
	"state": {field: "userStateDetails", valueKey: "state", reasonKey: "reason",
		values: []string{"ACTIVE", "SUSPENDED", "BLOCKED", "DORMANT", "TERMINATED", "UNACCEPTABLE", "CREATED"}},
	"kyc": {field: "kycStatusDetails", valueKey: "status", reasonKey: "reason",
		values: []string{"SUCCESSFUL", "FAILED", "NOT_STARTED", "IN_PROGRESS", "EXPIRED", "NEW", "CANCELLED", "MANUAL_REVIEW", "EDD_IN_PROGRESS"}},
}

// maxReason bounds an action's reason.
const maxReason = 1000

// act applies an action (the analyst role or above; the form's CSRF token checked by signedIn).
func (c *console) act(w http.ResponseWriter, r *http.Request, in vigil.SignedIn) {
	kind, ok := kinds[r.PathValue("kind")]
	act, known := actions[r.PathValue("action")]
	if !ok || !known {
		c.fail(w, r, in, &vigil.Error{Code: vigil.CodeNotFound, Message: "No such action"})
		return
	}
	value := r.PostFormValue("value")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	switch {
	case !slices.Contains(act.values, value):
		c.fail(w, r, in, &vigil.Error{Code: vigil.CodeInvalid, Message: fmt.Sprintf("%q is not one of %s", value, strings.Join(act.values, ", "))})
		return
	case reason == "" || utf8.RuneCountInString(reason) > maxReason:
		c.fail(w, r, in, &vigil.Error{Code: vigil.CodeInvalid, Message: fmt.Sprintf("A reason is required (at most %d characters); nothing was changed", maxReason)})
		return
	}
	userID := r.PathValue("userId")
	attributes := "updatedConsumerUserAttributes"
	if kind == vigil.Business {
		attributes = "updatedBusinessUserAttributes"
	}
	event := schema.Object{
		"userId":           userID,
		"eventId":          "console-" + vigil.RandomToken()[:22],
		"timestamp":        json.Number(strconv.FormatInt(c.now().UnixMilli(), 10)),
		"reason":           reason,
		"eventDescription": fmt.Sprintf("%s set to %s in the console by %s", act.valueKey, value, in.Analyst.Email),
		"origin":           "CONSOLE",
		"actor":            in.Analyst.String(),
		attributes:         schema.Object{act.field: schema.Object{act.valueKey: value, act.reasonKey: reason}},
	}
	// The audit record names the analyst (the event carries it as actor too).
	ctx := r.Context()
	if caller := vigil.CallerOf(ctx); caller != nil {
		caller.Actor, caller.Tenant = "console:"+in.Analyst.Email, in.Tenant.Name
	} else {
		ctx = vigil.WithCaller(ctx, &vigil.Caller{Actor: "console:" + in.Analyst.Email, Tenant: in.Tenant.Name})
	}
	if _, err := c.svc.ApplyEvent(ctx, in.Tenant, kind, event, vigil.Flags{}); err != nil {
		c.fail(w, r, in, err)
		return
	}
	// No user id in the log: ids are personal data (the audit log has the change).
	c.log.InfoContext(ctx, "console action", "analyst", in.Analyst.Email, "action", r.PathValue("action"), "value", value)
	http.Redirect(w, r, userPath(kind, userID), http.StatusSeeOther)
}
