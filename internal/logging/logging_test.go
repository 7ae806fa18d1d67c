package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

func TestRecordsCarryTheRequestID(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	ctx := vigil.WithCaller(context.Background(), &vigil.Caller{RequestID: "req-1"})
	log.With("component", "test").InfoContext(ctx, "hello")
	log.Debug("not at info")
	log.Info("no request")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %q", buf.String())
	}
	var first, second map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[1]), &second)
	if first["request_id"] != "req-1" || first["component"] != "test" {
		t.Errorf("first record = %v", first)
	}
	if _, ok := second["request_id"]; ok {
		t.Errorf("a record without a request has a request id: %v", second)
	}
}

func TestNewRefusesUnknownSettings(t *testing.T) {
	for _, c := range []struct{ format, level string }{{"xml", "info"}, {"text", "loud"}} {
		if _, err := New(&bytes.Buffer{}, c.format, c.level); err == nil {
			t.Errorf("New(%q, %q) accepted", c.format, c.level)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"sqlite:vigil.db", "sqlite:vigil.db"},
		{"postgres://vigil:s3cret@db:5432/vigil?sslmode=require", "postgres://vigil:xxxxx@db:5432/vigil?sslmode=require"},
		{"postgres://vigil@db/vigil?password=s3cret", "postgres://vigil@db/vigil?password=xxxxx"},
		{"postgres://vigil:s3cret@db:bad port/x", "(a DSN that does not parse)"},
	} {
		got := RedactDSN(c.in)
		if got != c.want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactDSN(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
