package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestWebhookDocsMatchAnswers: docs/webhooks.md's API table lists the fields the server answers
// to POST /webhooks, says that rotate answers the same, and spells origin as answers do.
func TestWebhookDocsMatchAnswers(t *testing.T) {
	page, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "webhooks.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := func(prefix string) string {
		for _, line := range strings.Split(string(page), "\n") {
			if strings.HasPrefix(line, prefix) {
				return line
			}
		}
		t.Fatalf("docs/webhooks.md has no table row starting %q", prefix)
		return ""
	}
	m := regexp.MustCompile("`201`[^`]*`\\{([^}]*)\\}`").FindStringSubmatch(row("| `POST /webhooks` "))
	if m == nil {
		t.Fatal("the POST /webhooks row names no `201` `{fields}`")
	}
	var documented []string
	for _, f := range strings.Split(m[1], ",") {
		documented = append(documented, strings.TrimSpace(f))
	}
	sort.Strings(documented)
	if r := row("| `POST /webhooks/{id}/rotate` "); !strings.Contains(r, "as `POST /webhooks` answers it") {
		t.Errorf("the rotate row does not say it answers the endpoint as POST /webhooks does: %s", r)
	}

	d := startDocServer(t)
	answer := func(method, path, body string) map[string]any {
		t.Helper()
		status, data, err := apiCall(http.DefaultClient, method, "http://"+d.addr+path, d.key, body)
		if err != nil || status/100 != 2 {
			t.Fatalf("%s %s: %d %s %v", method, path, status, data, err)
		}
		var obj map[string]any
		if err := json.Unmarshal(data, &obj); err != nil {
			t.Fatal(err)
		}
		return obj
	}
	keys := func(obj map[string]any) []string {
		var out []string
		for k := range obj {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	for origin, spelled := range map[string]string{"all": "ALL", "system": "SYSTEM"} {
		created := answer("POST", "/webhooks", `{"url":"https://hooks.example.com/vigil","origin":"`+origin+`"}`)
		if got := keys(created); strings.Join(got, ",") != strings.Join(documented, ",") {
			t.Errorf("POST /webhooks answers %v; docs/webhooks.md says %v", got, documented)
		}
		if created["origin"] != spelled || !strings.Contains(string(page), "`"+spelled+"`") {
			t.Errorf("origin %q is answered as %v; docs/webhooks.md must spell it `%s`", origin, created["origin"], spelled)
		}
		rotated := answer("POST", "/webhooks/"+created["id"].(string)+"/rotate", "")
		if got := keys(rotated); strings.Join(got, ",") != strings.Join(documented, ",") {
			t.Errorf("rotate answers %v; docs/webhooks.md says it answers %v", got, documented)
		}
	}
}
