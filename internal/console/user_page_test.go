package console_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

var (
	deliveryRow = regexp.MustCompile(`<td>(USER_STATE_UPDATED|CRA_RISK_LEVEL_UPDATED|KYC_STATUS_UPDATED|USER_TAGS_UPDATED|[A-Z_]+_UPDATED)<br><span class="muted">([^<]+)</span>`)
	olderLink   = regexp.MustCompile(`<a href="([^"]+)" rel="next">Older deliveries</a>`)
)

// deliveryIDs are the ids of the deliveries a user page lists, in order.
func deliveryIDs(body string) []string {
	var out []string
	for _, m := range deliveryRow.FindAllStringSubmatch(body, -1) {
		out = append(out, m[2])
	}
	return out
}

// TestUserDeliveries checks the user page's webhook deliveries: only the user's, newest first,
// a page at a time through "Older deliveries", with status, attempts and the last error's class.
func TestUserDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, false)
		ctx := context.Background()
		if _, err := f.svc.CreateWebhook(ctx, f.tenant, vigil.WebhookSpec{URL: "https://hooks.example.com/a", Events: []string{"USER_STATE_UPDATED"}}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"u1", "u2"} {
			if _, err := f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, obj(t, `{"userId":"`+u+`","createdTimestamp":1700000000000,"userStateDetails":{"state":"ACTIVE"}}`), vigil.Flags{}); err != nil {
				t.Fatal(err)
			}
		}
		// 23 state changes of u1, one of u2: a delivery each.
		states := []string{"DORMANT", "ACTIVE"}
		for i := range 23 {
			event := fmt.Sprintf(`{"userId":"u1","eventId":"s%d","timestamp":%d,"updatedConsumerUserAttributes":{"userStateDetails":{"state":%q}}}`,
				i, 1700000001000+int64(i)*1000, states[i%2])
			if _, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, event), vigil.Flags{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, `{"userId":"u2","eventId":"x","timestamp":1700000001000,
			"updatedConsumerUserAttributes":{"userStateDetails":{"state":"DORMANT"}}}`), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		// The oldest of u1's failed once (as the dispatcher records it).
		var firstID string
		{
			all, err := f.store.UserDeliveries(ctx, f.tenant.ID, uidOf(t, f, "u1"), vigil.DeliveryCursor{}, 100)
			if err != nil || len(all) != 23 {
				t.Fatalf("u1's deliveries in the store: %d, %v", len(all), err)
			}
			d := all[len(all)-1]
			firstID = d.ID
			d.Attempts, d.LastError, d.LastStatus, d.NextAttemptAt = 1, "http_5xx", 503, d.NextAttemptAt+60_000
			if err := f.store.FinishAttempt(ctx, d, vigil.DeliveryAttempt{DeliveryID: d.ID, Attempt: 1, At: d.CreatedAt, StatusCode: 503, Error: "http_5xx"}); err != nil {
				t.Fatal(err)
			}
		}
		u2, err := f.store.UserDeliveries(ctx, f.tenant.ID, uidOf(t, f, "u2"), vigil.DeliveryCursor{}, 100)
		if err != nil || len(u2) != 1 {
			t.Fatalf("u2's deliveries: %d, %v", len(u2), err)
		}

		br := f.browser(t)
		br.signIn("vic@example.com", pw)
		first := br.do("GET", "/console/users/consumer/u1", nil)
		ids := deliveryIDs(first.body)
		if first.status != http.StatusOK || len(ids) != vigil.DefaultUserDeliveries {
			t.Fatalf("the first page lists %d deliveries (%d), want %d", len(ids), first.status, vigil.DefaultUserDeliveries)
		}
		for _, want := range []string{"<h2>Webhook deliveries</h2>", "<td>PENDING"} {
			if !strings.Contains(first.body, want) {
				t.Errorf("the user page lacks %s", want)
			}
		}
		m := olderLink.FindStringSubmatch(first.body)
		if m == nil {
			t.Fatal("no link to the older deliveries")
		}
		second := br.do("GET", html.UnescapeString(m[1]), nil)
		more := deliveryIDs(second.body)
		if second.status != http.StatusOK || len(more) != 3 || more[2] != firstID || olderLink.MatchString(second.body) {
			t.Fatalf("the second page lists %v (%d), want 3 ending with the oldest %s and no further link", more, second.status, firstID)
		}
		if !strings.Contains(second.body, "http_5xx (HTTP 503)") || !strings.Contains(second.body, "<td>1</td>") {
			t.Error("the failed delivery's attempt and error class are not shown")
		}
		seen := map[string]bool{}
		for _, id := range append(ids, more...) {
			if seen[id] {
				t.Errorf("delivery %s is listed twice", id)
			}
			seen[id] = true
		}
		if seen[u2[0].ID] {
			t.Error("another user's delivery is listed")
		}
		if a := br.do("GET", "/console/users/consumer/u1?deliveries=forged", nil); a.status != http.StatusBadRequest {
			t.Errorf("a forged cursor: %d", a.status)
		}
		if a := br.do("GET", "/console/users/consumer/u2", nil); len(deliveryIDs(a.body)) != 1 || olderLink.MatchString(a.body) {
			t.Errorf("u2's page lists %v", deliveryIDs(a.body))
		}
	})
}

// uidOf is a user's internal id.
func uidOf(t *testing.T, f *fixture, userID string) string {
	t.Helper()
	rec, err := f.store.User(context.Background(), f.tenant.ID, userID)
	if err != nil {
		t.Fatal(err)
	}
	return rec.UID
}

var (
	krsShown  = regexp.MustCompile(`<dt>KRS</dt><dd>([^<]+)</dd>`)
	hitShown  = regexp.MustCompile(`<td>R-U1\.1</td><td>Sanctioned user</td><td>[A-Z]+</td>\s*<td>(.*?)</td>`)
	sanctions = regexp.MustCompile(`<tr><td>[^<]*[Ss]anction[^<]*</td><td>([^<]*|<span class="muted">missing</span>)</td>\s*<td>([^<]+)</td>`)
)

// TestPointInTimeView checks that an entry's "as of then" shows the profile, the risk with its
// factors and the rule results as they were right after that entry: before and after a
// sanctions hit, which changes the rule results, the KRS and the sanctions factor.
func TestPointInTimeView(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, false)
		ctx := context.Background()
		if _, err := f.svc.CreateUser(ctx, f.tenant, vigil.Consumer, obj(t, `{"userId":"u1","createdTimestamp":1700000000000,
			"userStateDetails":{"state":"ACTIVE"},"sanctionsStatus":false}`), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ApplyEvent(ctx, f.tenant, vigil.Consumer, obj(t, `{"userId":"u1","eventId":"hit","timestamp":1700000005000,
			"updatedConsumerUserAttributes":{"sanctionsStatus":true}}`), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
		br := f.browser(t)
		br.signIn("vic@example.com", pw)
		now := br.do("GET", "/console/users/consumer/u1", nil)
		for _, link := range []string{`?asOf=1700000000000&amp;entry=1`, `?asOf=1700000005000&amp;entry=2`} {
			if !strings.Contains(now.body, link) {
				t.Errorf("the timeline lacks the link %s", link)
			}
		}
		type view struct{ krs, hit, factor, factorScore, profile string }
		read := func(path string) view {
			t.Helper()
			a := br.do("GET", path, nil)
			if a.status != http.StatusOK {
				t.Fatalf("%s: %d\n%s", path, a.status, a.body)
			}
			var v view
			if m := krsShown.FindStringSubmatch(a.body); m != nil {
				v.krs = m[1]
			}
			if m := hitShown.FindStringSubmatch(a.body); m != nil {
				v.hit = m[1]
			}
			if m := sanctions.FindStringSubmatch(a.body); m != nil {
				v.factor, v.factorScore = m[1], m[2]
			}
			if strings.Contains(a.body, `&#34;sanctionsStatus&#34;: true`) {
				v.profile = "sanctioned"
			} else if strings.Contains(a.body, `&#34;sanctionsStatus&#34;: false`) {
				v.profile = "clean"
			}
			if !strings.Contains(a.body, `class="pit"`) || strings.Contains(a.body, "<h2>Actions</h2>") {
				t.Errorf("%s: not shown as a point in time, or with actions", path)
			}
			return v
		}
		before := read("/console/users/consumer/u1?asOf=1700000000000&entry=1")
		after := read("/console/users/consumer/u1?asOf=1700000005000&entry=2")
		byTime := read("/console/users/consumer/u1?asOf=1700000004999")
		t.Logf("before %+v, after %+v", before, after)
		if before.profile != "clean" || after.profile != "sanctioned" {
			t.Errorf("profiles: before %q, after %q", before.profile, after.profile)
		}
		if !strings.Contains(before.hit, "muted") || !strings.Contains(after.hit, `class="hit"`) {
			t.Errorf("R-U1.1: before %q, after %q; want not hit, then hit", before.hit, after.hit)
		}
		if before.krs == "" || before.krs == after.krs || !strings.Contains(after.krs, "HIGH") {
			t.Errorf("KRS: before %q, after %q; want it to rise to HIGH at least", before.krs, after.krs)
		}
		if before.factorScore == "" || before.factorScore == after.factorScore {
			t.Errorf("the sanctions factor: before %q (%s), after %q (%s)", before.factor, before.factorScore, after.factor, after.factorScore)
		}
		if byTime != before {
			t.Errorf("asOf alone, before the second entry = %+v, want %+v", byTime, before)
		}
		// The current page agrees with the latest point in time.
		if current := krsShown.FindStringSubmatch(now.body); current == nil || current[1] != after.krs {
			t.Errorf("the current KRS %v differs from the last entry's %q", current, after.krs)
		}
		for path, status := range map[string]int{"/console/users/consumer/u1?entry=9": 404, "/console/users/consumer/u1?entry=x": 400,
			"/console/users/consumer/u1?asOf=1600000000000": 404} {
			if a := br.do("GET", path, nil); a.status != status {
				t.Errorf("%s: %d, want %d", path, a.status, status)
			}
		}
	})
}
