package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// newTestKey runs `vigil keys create` for tenant on dsn and returns the key, which the command
// prints on its last line.
func newTestKey(t *testing.T, dsn, tenant string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keys", "create", "--tenant", tenant, "--db", dsn}, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	key := lastLine(out.String())
	if !strings.HasPrefix(key, "vgl_") || len(key) < 40 {
		t.Fatalf("last line %q is not a key", key)
	}
	return key
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
