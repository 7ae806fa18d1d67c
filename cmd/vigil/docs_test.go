package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestDocs runs every fenced block of README.md and docs/*.md against a real server, so a page
// that drifts from the server fails here, naming the file and line:
//
//   - sh, bash, shell: run by bash (errexit, pipefail) in one working directory per page, with
//     `vigil` on PATH (this test binary acting as the command), KEY the default tenant's key,
//     VIGIL_DB the server's database and the tenant acme created. `go run ./cmd/vigil` becomes
//     `vigil`, http://127.0.0.1:8080 the server's address and vgl_... the key; curl fails on an
//     HTTP error status; `vigil serve ...` starts with the page's flags on a free port and a fresh
//     database, must come up and is stopped again.
//   - json, yaml: must parse. js: must parse (node --check); blocks that use the Flagright SDK
//     run in compat/sdk/docs.test.js. go: must compile against this module. python: must
//     compile. text: not run (a tree, a header, prose).
//
// A block that cannot run here carries `<!-- doctest: skip REASON -->` on the line before its
// fence; `<!-- doctest: file NAME -->` also writes the block into the page's working directory
// (a rule file a later block uploads). Any other block, in any language this test does not
// know, fails.
func TestDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every documented command against a real server")
	}
	root := repoRoot(t)
	files, err := docFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	env := startDocServer(t)
	for _, file := range files {
		blocks, err := readDocBlocks(root, file)
		if err != nil {
			t.Error(err)
			continue
		}
		t.Run(file, func(t *testing.T) {
			dir := t.TempDir() // the page's working directory, shared by its blocks in order
			for _, b := range blocks {
				env.check(t, root, dir, b)
			}
		})
	}
}

// docServer is the server the documentation's commands run against.
type docServer struct {
	addr, key, dsn string
	binDir, tmp    string
}

// repoRoot is the repository's root: this package is cmd/vigil.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var keyPattern = regexp.MustCompile(`vgl_[A-Za-z0-9_-]{20,}`)

// startDocServer starts `vigil serve` on a fresh database as a new user would (the first start
// prints the default tenant's key), creates the tenant acme the pages use, and puts a `vigil`
// on a PATH of its own.
func startDocServer(t *testing.T) *docServer {
	t.Helper()
	tmp := t.TempDir()
	d := &docServer{dsn: "sqlite:" + filepath.Join(tmp, "docs.db"), binDir: filepath.Join(tmp, "bin"), tmp: tmp}
	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	out := &lockedBuffer{}
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--db", d.dsn}, out, io.Discard, ready)
	}()
	select {
	case d.addr = <-ready:
	case err := <-done:
		stop()
		t.Fatalf("serve ended early: %v", err)
	case <-time.After(30 * time.Second):
		stop()
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	if d.key = keyPattern.FindString(out.String()); d.key == "" {
		t.Fatalf("the first start printed no key:\n%s", out.String())
	}
	newTestKey(t, d.dsn, "acme")

	if err := os.MkdirAll(d.binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(vigilWrapper, runMainEnv, strconv.Quote(self))
	if err := os.WriteFile(filepath.Join(d.binDir, "vigil"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// vigilWrapper is the `vigil` the pages run: this test binary as the command. `vigil serve`
// gets a free port and a fresh database after the page's own flags (the last flag wins), must
// come up within 60 s, and is stopped with SIGTERM.
const vigilWrapper = `#!/usr/bin/env bash
export %s=1
bin=%s
if [ "${1:-}" != serve ]; then exec "$bin" "$@"; fi
log=$(mktemp "$DOCTEST_TMP/serve.XXXXXX")
"$bin" "$@" --listen 127.0.0.1:0 --db "sqlite:$log.db" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  if grep -q "vigil is serving" "$log"; then
    kill -TERM "$pid"
    wait "$pid"
    exit $?
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"; rc=$?
    cat "$log" >&2
    exit "$rc"
  fi
  sleep 0.1
done
kill -KILL "$pid"
echo "vigil serve $* did not start within 60 s:" >&2
cat "$log" >&2
exit 1
`

// check runs or checks one block, by its marker and language.
func (d *docServer) check(t *testing.T, root, dir string, b docBlock) {
	t.Helper()
	verb, arg, _ := strings.Cut(b.marker, " ")
	arg = strings.TrimSpace(arg)
	switch verb {
	case "":
	case "skip":
		if arg == "" {
			t.Errorf("%s: `<!-- doctest: skip -->` needs a reason after skip", b.where())
			return
		}
		t.Logf("%s: not run: %s", b.where(), arg)
		return
	case "file":
		if arg == "" || strings.ContainsAny(arg, `/\`) {
			t.Errorf("%s: `<!-- doctest: file NAME -->` needs a plain file name", b.where())
			return
		}
		if err := os.WriteFile(filepath.Join(dir, arg), []byte(b.body), 0o600); err != nil {
			t.Fatal(err)
		}
	default:
		t.Errorf("%s: unknown doctest marker %q; use `<!-- doctest: skip REASON -->` or `<!-- doctest: file NAME -->`", b.where(), b.marker)
		return
	}
	switch b.lang {
	case "sh", "bash", "shell":
		d.runShell(t, dir, b)
	case "json":
		if !json.Valid([]byte(b.body)) {
			t.Errorf("%s: not valid JSON", b.where())
		}
	case "yaml", "yml":
		var v any
		if err := yaml.Unmarshal([]byte(b.body), &v); err != nil {
			t.Errorf("%s: not valid YAML: %v", b.where(), err)
		}
	case "js", "javascript", "mjs":
		checkWith(t, b, dir, "node", ".mjs", "--check")
		if strings.Contains(b.body, `"flagright"`) {
			if _, err := os.Stat(filepath.Join(root, "compat", "sdk", "docs.test.js")); err != nil {
				t.Errorf("%s: uses the Flagright SDK, which compat/sdk/docs.test.js runs, but that file is missing", b.where())
			}
		}
	case "python", "py":
		checkWith(t, b, dir, "python3", ".py", "-m", "py_compile")
	case "go":
		compileGo(t, root, dir, b)
	case "text", "txt":
	case "":
		t.Errorf("%s: a block without a language: label it (```sh to run it, ```text if it is not a command)", b.where())
	default:
		t.Errorf("%s: no runner for ```%s blocks: add one to cmd/vigil/docs_test.go, or mark the block `<!-- doctest: skip REASON -->`", b.where(), b.lang)
	}
}

// shellPrelude comes before every shell block; failedLine is how the ERR trap reports where.
const shellPrelude = `set -eo pipefail
trap 'echo "doctest-failed-line=$LINENO exit=$?" >&2' ERR
curl() { command curl --fail-with-body --silent --show-error --max-time 30 "$@" || return $?; }
go() { echo "doctest: 'go $*' does not run in the doc test: mark the block <!-- doctest: skip REASON -->" >&2; return 2; }
`

var failedLine = regexp.MustCompile(`doctest-failed-line=(\d+) exit=(\d+)`)

// runShell runs a shell block with the page's substitutions and names the failing line.
func (d *docServer) runShell(t *testing.T, dir string, b docBlock) {
	t.Helper()
	body := strings.NewReplacer(
		"go run ./cmd/vigil", "vigil",
		"http://127.0.0.1:8080", "http://"+d.addr,
		"vgl_...", d.key,
	).Replace(b.body)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", shellPrelude+body)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PATH="+d.binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"KEY="+d.key, "VIGIL_API_KEY="+d.key, "VIGIL_DB="+d.dsn, "DOCTEST_TMP="+d.tmp)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return
	}
	where, what := b.where(), ""
	if m := failedLine.FindSubmatch(out); m != nil {
		n, _ := strconv.Atoi(string(m[1]))
		n -= strings.Count(shellPrelude, "\n")
		lines := strings.Split(b.body, "\n")
		where = fmt.Sprintf("%s:%d", b.file, b.docLine(n))
		if n >= 1 && n <= len(lines) {
			what = fmt.Sprintf(" `%s` exited %s", strings.TrimSpace(lines[n-1]), m[2])
		}
	}
	if len(out) > 1500 { // the end says what went wrong; earlier answers can be long
		out = append([]byte("..."), out[len(out)-1500:]...)
	}
	t.Errorf("%s:%s (%v); output:\n%s", where, what, err, out)
}

// checkWith writes the block to a file and runs a checker on it; a checker that is not
// installed is logged, not failed (CI has both node and python3).
func checkWith(t *testing.T, b docBlock, dir, tool, ext string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Logf("%s: not checked: %s is not installed", b.where(), tool)
		return
	}
	file := filepath.Join(dir, fmt.Sprintf("block-%d%s", b.line, ext))
	if err := os.WriteFile(file, []byte(b.body), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, append(args, file)...).CombinedOutput(); err != nil {
		t.Errorf("%s: %s %s rejects it (%v):\n%s", b.where(), tool, strings.Join(args, " "), err, out)
	}
}

// compileGo compiles a Go block as a package of this module (through an overlay, so nothing is
// written into the repository). The block must be a whole file but for its package clause.
func compileGo(t *testing.T, root, dir string, b docBlock) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Logf("%s: not compiled: go is not on PATH", b.where())
		return
	}
	src := filepath.Join(dir, fmt.Sprintf("block-%d.go", b.line))
	if err := os.WriteFile(src, []byte("package doctest\n"+b.body), 0o600); err != nil {
		t.Fatal(err)
	}
	pkg := fmt.Sprintf("internal/zz_doctest_%d", b.line)
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(root, pkg, "doc.go"): src}})
	overlayFile := filepath.Join(dir, fmt.Sprintf("overlay-%d.json", b.line))
	if err := os.WriteFile(overlayFile, overlay, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBin, "build", "-overlay", overlayFile, "./"+pkg)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err == nil {
		return
	}
	// Name the page's lines, not the temporary file's (the package clause is line 1).
	out = regexp.MustCompile(regexp.QuoteMeta(src)+`:(\d+)`).ReplaceAllFunc(out, func(m []byte) []byte {
		n, _ := strconv.Atoi(string(m[bytes.LastIndexByte(m, ':')+1:]))
		return []byte(fmt.Sprintf("%s:%d", b.file, b.docLine(n-1)))
	})
	t.Errorf("%s: does not compile (%v):\n%s", b.where(), err, out)
}

// lockedBuffer is a bytes.Buffer the server goroutine writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
