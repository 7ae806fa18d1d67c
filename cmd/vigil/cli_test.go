package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandLineIsStrict: every command refuses unknown flags and stray arguments, names a
// missing required flag, and takes --help as a request, not an error.
func TestCommandLineIsStrict(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
	newTestKey(t, dsn, "acme")
	for _, tc := range []struct {
		args    []string
		wantErr string // "" for success
	}{
		{[]string{"rules", "library", "--bogus"}, "-bogus"},
		{[]string{"rules", "library", "extra"}, `unexpected argument "extra"`},
		{[]string{"risk", "default", "--bogus"}, "-bogus"},
		{[]string{"risk", "default", "extra"}, `unexpected argument "extra"`},
		{[]string{"serve", "stray", "--db", dsn}, `unexpected argument "stray"`},
		{[]string{"serve", "--retain-history", "-1", "--db", dsn}, "--retain-history"},
		{[]string{"serve", "--writer-nice", "20", "--db", dsn}, "--writer-nice: 20 is not a nice value"},
		{[]string{"serve", "--writer-nice", "-21", "--db", dsn}, "--writer-nice: -21"},
		{[]string{"keys", "create", "--db", dsn}, "missing --tenant"},
		{[]string{"keys", "create", "--tenant", "acme", "--db", dsn, "extra"}, `unexpected argument "extra"`},
		{[]string{"risk", "apply", "--tenant", "acme", "--db", dsn}, "missing --file"},
		{[]string{"rules", "apply", "--file", "rules.yaml", "--db", dsn}, "missing --tenant"},
		{[]string{"import", "--tenant", "acme", "--db", dsn, "users.jsonl"}, "missing --kind"},
		{[]string{"webhooks", "rotate", "--tenant", "acme", "--db", dsn}, "missing --id"},
		{[]string{"webhooks", "remove", "--tenant", "acme", "--db", dsn}, "missing --id"},
		{[]string{"webhooks", "deliveries", "--tenant", "acme", "--db", dsn}, "missing --id"},
		{[]string{"webhooks", "retry", "--tenant", "acme", "--db", dsn}, "missing --delivery"},
		{[]string{"webhooks", "retry", "--tenant", "acme", "--id", "X", "--db", dsn}, "-id"},
		{[]string{"webhooks", "add", "--tenant", "acme", "--db", dsn}, "missing --url"},
		{[]string{"webhooks", "list", "--tenant", "acme", "--url", "https://x.example", "--db", dsn}, "-url"},
		{[]string{"webhooks", "list", "--db", dsn}, "missing --tenant"},
		{[]string{"webhooks", "list", "--tenant", "acme", "--db", dsn, "extra"}, `unexpected argument "extra"`},
		{[]string{"webhooks", "bogus", "--tenant", "acme"}, `unknown webhooks command "bogus"`},
		{[]string{"keys", "list", "--db", dsn}, "missing --tenant"},
		{[]string{"keys", "create", "--tenant", "acme", "--scopes", "read,root", "--db", dsn}, `"root" is not a scope`},
		{[]string{"keys", "revoke", "--db", dsn}, "name one key"},
		{[]string{"keys", "revoke", "--db", dsn, "a", "b"}, `unexpected argument "b"`},
		{[]string{"keys", "bogus"}, `unknown keys command "bogus"`},
		{[]string{"users", "erase", "--tenant", "acme", "--db", dsn, "u1"}, "missing --kind"},
		{[]string{"users", "erase", "--tenant", "acme", "--kind", "person", "--db", dsn, "u1"}, "--kind must be consumer or business"},
		{[]string{"users", "erase", "--tenant", "acme", "--kind", "consumer", "--db", dsn}, "name one user"},
		{[]string{"--help"}, ""},
		{[]string{"keys", "list", "--help"}, ""},
		{[]string{"keys", "revoke", "--help"}, ""},
		{[]string{"users", "--help"}, ""},
		{[]string{"users", "erase", "--help"}, ""},
		{[]string{"serve", "--help"}, ""},
		{[]string{"serve", "-h"}, ""},
		{[]string{"keys", "--help"}, ""},
		{[]string{"keys", "create", "--help"}, ""},
		{[]string{"risk", "--help"}, ""},
		{[]string{"risk", "apply", "--help"}, ""},
		{[]string{"risk", "default", "--help"}, ""},
		{[]string{"rules", "--help"}, ""},
		{[]string{"rules", "apply", "--help"}, ""},
		{[]string{"rules", "library", "--help"}, ""},
		{[]string{"import", "--help"}, ""},
		{[]string{"webhooks", "--help"}, ""},
		{[]string{"webhooks", "add", "--help"}, ""},
		{[]string{"webhooks", "retry", "--help"}, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tc.args, &stdout, &stderr, nil)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("error %v, want success", err)
			case tc.wantErr == "" && stdout.Len()+stderr.Len() == 0:
				t.Fatal("help printed nothing")
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q (stdout %q)", err, tc.wantErr, stdout.String())
			}
		})
	}
}

// TestHelpExitsZero runs the binary: `--help` exits 0 and prints no "vigil:" error line.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"serve", "--help"}, {"import", "--help"}, {"webhooks", "add", "--help"}} {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), runMainEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || strings.Contains(string(out), "vigil:") {
			t.Errorf("vigil %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
