package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
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

// apiCall sends a request with the API key to a running server and returns the status and the
// body. A transport error is returned rather than fatal: some tests count them.
func apiCall(client *http.Client, method, url, key, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("x-api-key", key)
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return res.StatusCode, data, err
}
