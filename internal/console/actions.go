package console

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// Every action is a change an analyst makes to a user from its page, with a required reason. Each
// is an ordinary user event through Service.ApplyEvent (the one write path), so rules, risk and
// webhooks run as for an API write, it appears in the timeline with origin CONSOLE and the
// analyst as actor, and its audit record names console:EMAIL. What differs between actions is
// only the event's patch and query flags, made by a builder from the form.

// change is what an action writes: the event's patch of the profile (nil for none), its flags,
// its reason and description, and what the log line may say about it (never personal data).
type change struct {
	patch       schema.Object
	flags       vigil.Flags
	reason      string
	description string
	logValue    string
}

// current is what the actions that depend on the user read of it first: its profile, and
// whether its KRS and CRA levels are locked.
type current struct {
	profile schema.Object
	locked  map[string]bool
}

// builders make an action's change from its form and the user as it is.
var builders = map[string]func(r *http.Request, user current) (change, error){
	"state":   enumBuilder("state"),
	"kyc":     enumBuilder("kyc"),
	"risk":    riskChange,
	"tag":     tagChange,
	"untag":   untagChange,
	"comment": commentChange,
}

// act applies an action (the analyst role or above; the form's CSRF token checked by signedIn).
func (c *console) act(w http.ResponseWriter, r *http.Request, in vigil.SignedIn) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	kind, ok := kinds[r.PathValue("kind")]
	build, known := builders[r.PathValue("action")]
	if !ok || !known {
		c.fail(w, r, in, &vigil.Error{Code: vigil.CodeNotFound, Message: "No such action"})
		return
	}
	userID := r.PathValue("userId")
	// The user as it is: reading it first also answers 404 for an unknown user before the form
	// is judged. (What the builders check of it is advice to the analyst; the write itself is
	// judged by the write path.)
	user, err := c.current(r.Context(), in, kind, userID)
	if err != nil {
		c.fail(w, r, in, err)
		return
	}
	ch, err := build(r, user)
	if err != nil {
		c.fail(w, r, in, err)
		return
	}
	ctx := asAnalyst(r.Context(), in)
	if _, err := c.svc.ApplyEvent(ctx, in.Tenant, kind, c.event(kind, userID, in, ch), ch.flags); err != nil {
		c.fail(w, r, in, err)
		return
	}
	// No user id in the log: ids are personal data (the audit log has the change).
	c.log.InfoContext(ctx, "console action", "analyst", in.Analyst.Email, "action", r.PathValue("action"), "value", ch.logValue)
	http.Redirect(w, r, userPath(kind, userID), http.StatusSeeOther)
}

// current reads the user's profile and whether its levels are locked (a user not assessed yet
// has no lock).
func (c *console) current(ctx context.Context, in vigil.SignedIn, kind vigil.Kind, userID string) (current, error) {
	reply, err := c.svc.User(ctx, in.Tenant, kind, userID)
	if err != nil {
		return current{}, err
	}
	user := current{locked: map[string]bool{}}
	if user.profile, err = schema.DecodeObject(reply); err != nil {
		return current{}, err
	}
	if explained, err := c.svc.ExplainRisk(ctx, in.Tenant, kind, userID); err == nil {
		risk, err := schema.DecodeObject(explained)
		if err != nil {
			return current{}, err
		}
		for score, key := range map[string]string{"KRS": "kyc", "CRA": "cra"} {
			s, _ := risk[key].(schema.Object)
			user.locked[score] = s["locked"] == true
		}
	}
	return user, nil
}

// event is the user event of an action: a console eventId, the console's clock, origin CONSOLE
// and the analyst as actor (both kept with the event and shown by the timeline).
func (c *console) event(kind vigil.Kind, userID string, in vigil.SignedIn, ch change) schema.Object {
	event := schema.Object{
		"userId":           userID,
		"eventId":          "console-" + vigil.RandomToken()[:22],
		"timestamp":        json.Number(strconv.FormatInt(c.now().UnixMilli(), 10)),
		"reason":           ch.reason,
		"eventDescription": ch.description + " in the console by " + in.Analyst.Email,
		"origin":           "CONSOLE",
		"actor":            in.Analyst.String(),
	}
	if ch.patch != nil {
		attributes := "updatedConsumerUserAttributes"
		if kind == vigil.Business {
			attributes = "updatedBusinessUserAttributes"
		}
		event[attributes] = ch.patch
	}
	return event
}

// asAnalyst makes the analyst the caller of the write, so its audit record names console:EMAIL
// (the event carries the analyst as actor too).
func asAnalyst(ctx context.Context, in vigil.SignedIn) context.Context {
	if caller := vigil.CallerOf(ctx); caller != nil {
		caller.Actor, caller.Tenant = "console:"+in.Analyst.Email, in.Tenant.Name
		return ctx
	}
	return vigil.WithCaller(ctx, &vigil.Caller{Actor: "console:" + in.Analyst.Email, Tenant: in.Tenant.Name})
}
