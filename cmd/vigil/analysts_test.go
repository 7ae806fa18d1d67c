package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
)

// TestAnalystsCommands adds analysts with their password on stdin, lists and removes them, and
// refuses what is wrong, on both databases.
func TestAnalystsCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		dsn := b.DSN(t)
		if b.Name == "sqlite" {
			dsn = "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
		}
		cli := func(input string, args ...string) (string, error) {
			var out bytes.Buffer
			stdin = strings.NewReader(input)
			err := run(context.Background(), append(append([]string{}, args...), "--db", dsn), &out, io.Discard, nil)
			return out.String(), err
		}
		if _, err := cli("", "keys", "create", "--tenant", "acme"); err != nil {
			t.Fatal(err)
		}
		const pw = "correct horse battery staple\n"
		if out, err := cli(pw, "analysts", "add", "--tenant", "acme", "--email", "Ann@Example.com", "--role", "analyst"); err != nil ||
			!strings.Contains(out, "ann@example.com (analyst)") {
			t.Fatalf("add: %q, %v", out, err)
		}
		if _, err := cli(pw, "analysts", "add", "--tenant", "acme", "--email", "vic@example.com", "--role", "viewer"); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, input string
			args        []string
			want        string
		}{
			{"a taken email", pw, []string{"--tenant", "acme", "--email", "ann@example.com", "--role", "admin"}, "exists"},
			{"an unknown tenant", pw, []string{"--tenant", "nope", "--email", "x@example.com", "--role", "admin"}, "No tenant"},
			{"an unknown role", pw, []string{"--tenant", "acme", "--email", "x@example.com", "--role", "root"}, "not a role"},
			{"no password", "", []string{"--tenant", "acme", "--email", "x@example.com", "--role", "admin"}, "stdin"},
			{"a short password", "short\n", []string{"--tenant", "acme", "--email", "x@example.com", "--role", "admin"}, "at least 12"},
			{"not an email", pw, []string{"--tenant", "acme", "--email", "Ann <a@b.c>", "--role", "admin"}, "not one email"},
			{"no email", pw, []string{"--tenant", "acme", "--role", "admin"}, "missing --email"},
		} {
			if _, err := cli(tc.input, append([]string{"analysts", "add"}, tc.args...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
			}
		}
		list, err := cli("", "analysts", "list", "--tenant", "acme")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(list), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[1], "ann@example.com  analyst") || !strings.HasPrefix(lines[2], "vic@example.com  viewer") ||
			strings.Contains(list, "argon2") {
			t.Fatalf("list:\n%s", list)
		}
		if _, err := cli("", "analysts", "remove", "--tenant", "acme", "--email", "VIC@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := cli("", "analysts", "remove", "--tenant", "acme", "--email", "vic@example.com"); err == nil || !strings.Contains(err.Error(), "no analyst") {
			t.Fatalf("removing twice: %v", err)
		}
		if list, _ := cli("", "analysts", "list", "--tenant", "acme"); strings.Contains(list, "vic@") {
			t.Fatalf("list after remove:\n%s", list)
		}
	})
}
