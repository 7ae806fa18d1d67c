package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/storetest"
)

// TestListsImportRefreshAndNotice: `vigil lists import` and `status`; `serve --lists-refresh`
// importing from a publisher's URLs at start and on its interval, a broken download keeping
// the good list; and a running server noticing a list imported by another process.
func TestListsImportRefreshAndNotice(t *testing.T) {
	listsMinInterval = 10 * time.Millisecond
	defer func() { listsMinInterval = time.Minute }()
	t.Run("sqlite", func(t *testing.T) {
		testListsImportRefreshAndNotice(t, "sqlite:"+filepath.Join(t.TempDir(), "vigil.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.PostgresDSN(t)
		if dsn == "" {
			t.Skipf("needs PostgreSQL: set %s", storetest.PostgresEnv)
		}
		testListsImportRefreshAndNotice(t, dsn)
	})
}

func testListsImportRefreshAndNotice(t *testing.T, dsn string) {
	key := newTestKey(t, dsn, "acme")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "lists", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var mu sync.Mutex
	published := map[string][]byte{"/sdn.csv": read("sdn.csv"), "/alt.csv": read("alt.csv"), "/add.csv": read("add.csv")}
	publish := func(path string, b []byte) {
		mu.Lock()
		defer mu.Unlock()
		published[path] = b
	}
	publisher := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		b, ok := published[r.URL.Path]
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer publisher.Close()
	status := func() string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), []string{"lists", "status", "--db", dsn}, &out, io.Discard, nil); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	ofacEntries := func() string {
		for _, line := range strings.Split(status(), "\n") {
			if f := strings.Fields(line); len(f) > 3 && f[0] == "OFAC-SDN" {
				return f[3] + " " + f[5]
			}
		}
		return ""
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; status:\n%s", what, status())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		u := publisher.URL
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--db", dsn,
			"--lists-refresh", u + "/sdn.csv," + u + "/alt.csv," + u + "/add.csv,200ms"}, io.Discard, io.Discard, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve ended early: %v", err)
	}
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	// At start: the publisher's list is imported.
	waitFor("the first refresh", func() bool { return strings.HasPrefix(ofacEntries(), "5 ") })
	good := ofacEntries()
	// A broken download and an unparsable file change nothing.
	publish("/sdn.csv", []byte("<html>Service unavailable</html>"))
	time.Sleep(time.Second)
	mu.Lock()
	delete(published, "/alt.csv") // a 404
	mu.Unlock()
	time.Sleep(500 * time.Millisecond)
	if got := ofacEntries(); got != good {
		t.Fatalf("a bad download replaced the list: %q, was %q", got, good)
	}
	// The publisher's next version arrives on the next refresh.
	publish("/alt.csv", read("alt.csv"))
	publish("/sdn.csv", read("sdn_v2.csv"))
	waitFor("the new version", func() bool { return strings.HasPrefix(ofacEntries(), "6 ") })

	// Another process imports a list: the running server screens with it within seconds.
	var out bytes.Buffer
	if err := run(context.Background(), []string{"lists", "import", "--db", dsn, filepath.Join("testdata", "lists", "eu.xml")}, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "EU-FSF: 2 entries (2 new, 0 changed, 0 removed), published 2024-11-28") {
		t.Fatalf("import printed %q", out.String())
	}
	waitFor("the server to notice the EU list", func() bool {
		code, body, err := apiCall(http.DefaultClient, "POST", "http://"+addr+"/screening/search", key, `{"name":"Joint Stock Company Severnaya Verf","type":"BUSINESS"}`)
		return err == nil && code == http.StatusOK && strings.Contains(string(body), `"listId":"EU-FSF"`)
	})
	if s := status(); !strings.Contains(s, "EU-FSF") || !strings.Contains(s, "2024-11-28") {
		t.Fatalf("status:\n%s", s)
	}
	// Bad files are refused and store nothing.
	if err := run(context.Background(), []string{"lists", "import", "--db", dsn, filepath.Join("testdata", "lists", "alt.csv")}, io.Discard, io.Discard, nil); err == nil ||
		!strings.Contains(err.Error(), "without sdn.csv") {
		t.Fatalf("alt.csv alone: %v", err)
	}
}

// TestListsImportEveryFormat: `vigil lists import` takes each published format, detected from
// the file, on both stores; a second import of the same file changes nothing; `lists status`
// shows each list with its publication date and entries.
func TestListsImportEveryFormat(t *testing.T) {
	formats := []struct {
		files []string
		line  string // what the import prints
	}{
		{[]string{"sdn.csv", "alt.csv", "add.csv"}, "OFAC-SDN: 5 entries (5 new, 0 changed, 0 removed), published -"},
		{[]string{"sdn.xml"}, "OFAC-SDN: 3 entries (3 new, 0 changed, 0 removed), published 2024-11-29"},
		{[]string{"eu.xml"}, "EU-FSF: 2 entries (2 new, 0 changed, 0 removed), published 2024-11-28"},
		{[]string{"un.xml"}, "UN-SC: 2 entries (2 new, 0 changed, 0 removed), published 2024-11-27"},
		{[]string{"uk.csv"}, "UK-SANCTIONS: 3 entries (3 new, 0 changed, 0 removed), published 2024-11-15"},
		{[]string{"opensanctions.jsonl"}, "OPENSANCTIONS: 3 entries (3 new, 0 changed, 0 removed), published 2024-10-02"},
	}
	stores := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "vigil.db") },
		"postgres": func(t *testing.T) string {
			dsn := storetest.PostgresDSN(t)
			if dsn == "" {
				t.Skipf("needs PostgreSQL: set %s", storetest.PostgresEnv)
			}
			return dsn
		},
	}
	for store, open := range stores {
		for _, f := range formats {
			t.Run(store+"/"+f.files[0], func(t *testing.T) {
				dsn := open(t)
				args := []string{"lists", "import", "--db", dsn}
				for _, name := range f.files {
					args = append(args, filepath.Join("testdata", "lists", name))
				}
				var out bytes.Buffer
				if err := run(context.Background(), args, &out, io.Discard, nil); err != nil {
					t.Fatal(err)
				}
				if got := strings.TrimSpace(out.String()); got != f.line {
					t.Fatalf("import printed %q, want %q", got, f.line)
				}
				out.Reset()
				if err := run(context.Background(), args, &out, io.Discard, nil); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(out.String(), "(0 new, 0 changed, 0 removed)") {
					t.Fatalf("the same file again printed %q", out.String())
				}
				out.Reset()
				if err := run(context.Background(), []string{"lists", "status", "--db", dsn}, &out, io.Discard, nil); err != nil {
					t.Fatal(err)
				}
				list, _, _ := strings.Cut(f.line, ":")
				published := f.line[strings.LastIndex(f.line, " ")+1:]
				var row string
				for _, l := range strings.Split(out.String(), "\n") {
					if strings.HasPrefix(l, list+" ") {
						row = l
					}
				}
				if fields := strings.Fields(row); len(fields) < 4 || fields[2] != published {
					t.Fatalf("status has no row for %s published %s:\n%s", list, published, out.String())
				}
			})
		}
	}
}
