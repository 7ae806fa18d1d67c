package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/storetest"
)

// TestKeysCommands creates scoped keys, lists them and revokes one by id and one by secret from
// the command line while servers run: every server refuses a revoked key within 5 s. On
// PostgreSQL two servers share the database; on SQLite the command line is the other process.
func TestKeysCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		dsn := b.DSN(t)
		if b.Name == "sqlite" {
			dsn = "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
		}
		cli := func(args ...string) (string, error) {
			var out bytes.Buffer
			// The flags go before positional arguments: keys revoke takes one.
			full := append(append(append([]string{}, args[:2]...), "--db", dsn), args[2:]...)
			err := run(context.Background(), full, &out, io.Discard, nil)
			return out.String(), err
		}
		readOnly, err := cli("keys", "create", "--tenant", "acme", "--name", "dashboards", "--scopes", "read")
		if err != nil {
			t.Fatal(err)
		}
		readKey := lastLine(readOnly)
		full := newTestKey(t, dsn, "acme")
		if _, err := cli("keys", "create", "--tenant", "acme", "--scopes", "read,root"); err == nil || !strings.Contains(err.Error(), "root") {
			t.Fatalf("an unknown scope: %v", err)
		}
		list, err := cli("keys", "list", "--tenant", "acme")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(list, "dashboards") || !strings.Contains(list, "read,write,admin") ||
			strings.Contains(list, readKey) || strings.Contains(list, full) || len(strings.Split(strings.TrimSpace(list), "\n")) != 3 {
			t.Fatalf("keys list:\n%s", list)
		}
		readID := strings.Fields(strings.Split(list, "\n")[1])[0]

		servers := []*serverProcess{startServer(t, dsn)}
		if b.Name != "sqlite" {
			servers = append(servers, startServer(t, dsn))
		}
		client := &http.Client{Timeout: 10 * time.Second}
		status := func(s *serverProcess, key, method, path, body string) int {
			code, data, err := apiCall(client, method, s.base+path, key, body)
			if err != nil {
				t.Fatal(err)
			}
			if code >= 500 {
				t.Fatalf("%s %s: %d %s", method, path, code, data)
			}
			return code
		}
		for _, s := range servers {
			if code := status(s, readKey, "GET", "/consumer/users/nobody", ""); code != http.StatusNotFound {
				t.Fatalf("the read key reads: %d", code)
			}
			if code := status(s, readKey, "POST", "/consumer/users", `{"userId":"x","createdTimestamp":1700000000000}`); code != http.StatusForbidden {
				t.Fatalf("the read key writes: %d", code)
			}
		}
		if _, err := cli("keys", "revoke", readID); err != nil {
			t.Fatal(err)
		}
		if _, err := cli("keys", "revoke", full); err != nil {
			t.Fatal(err)
		}
		if _, err := cli("keys", "revoke", "ffffffffffffffff"); err == nil {
			t.Fatal("revoking an unknown id succeeded")
		}
		revoked := time.Now()
		for _, s := range servers {
			for _, key := range []string{readKey, full} {
				for status(s, key, "GET", "/consumer/users/nobody", "") != http.StatusUnauthorized {
					if time.Since(revoked) > 5*time.Second {
						t.Fatalf("server %s still accepts a revoked key after 5 s", s.base)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}
		t.Logf("%s: every server refused the revoked keys %v after the revocation", b.Name, time.Since(revoked).Round(time.Millisecond))
	})
}
