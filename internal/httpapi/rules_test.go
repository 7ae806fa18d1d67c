package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
)

// TestRulesThatCanNeverRunAre400s: the rule refusals reach the client in Flagright's error
// shape, with every problem in validationErrors.
func TestRulesThatCanNeverRunAre400s(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		for _, c := range []struct{ expression, want string }{
			{`user.userId`, "line 1, column 6: the rule evaluates to a null or string, not a boolean"},
			{`onList(user.userDetails?.countryOfResidence, \"fatfX\")`, `onList: \"fatfX\" is not a country list`},
			{`len(1..100000000) > 0`, "line 1, column 6: the range 1..100000000 has 100000000 elements"},
			{`toJSON(user) != \"\"`, "toJSON is not a function rules may call"},
			{strings.Repeat("true && ", 600) + "true", "expression: is 4804 bytes long, more than the 4096 allowed"},
		} {
			rule := `{"ruleId":"RC-1","ruleName":"n","ruleDescription":"d","ruleAction":"FLAG","expression":"` + c.expression + `"}`
			got := assertError(t, s.do(t, http.MethodPut, "/rules/RC-1.1", strings.NewReader(rule), nil), http.StatusBadRequest)
			if !strings.Contains(got["message"].(string), strings.ReplaceAll(c.want, `\"`, `"`)) || got["validationErrors"] == nil {
				t.Errorf("PUT %s: %v, want %q", c.expression, got, c.want)
			}
		}
		// A rule as read (with the server's failure counts, if any) can be written back.
		rule := `{"ruleId":"RC-1","ruleName":"n","ruleDescription":"d","ruleAction":"FLAG","expression":"true","failures":{"count":2}}`
		if r := s.do(t, http.MethodPut, "/rules/RC-1.1", strings.NewReader(rule), nil); r.status != http.StatusOK || strings.Contains(string(r.body), "failures") {
			t.Errorf("PUT with failures: %d %s", r.status, r.body)
		}
	})
}
