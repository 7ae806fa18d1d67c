package vigil_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependenciesPointInward keeps the architecture: the domain imports no driver and no
// net/http, and storage and HTTP packages never import each other. Each forbidden entry is an
// import path prefix.
func TestDependenciesPointInward(t *testing.T) {
	const mod = "github.com/vigil-aml/vigil/internal/"
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{mod + "vigil", []string{"net/http", "database/sql", "modernc.org/", "github.com/jackc/", mod + "sqlite", mod + "httpapi", mod + "postgres"}},
		{mod + "schema", []string{"net/http", "database/sql", mod + "vigil", mod + "sqlite", mod + "httpapi", mod + "postgres"}},
		{mod + "sqlite", []string{"net/http", mod + "httpapi", mod + "postgres"}},
		{mod + "httpapi", []string{"database/sql", "modernc.org/", "github.com/jackc/", "github.com/prometheus/", mod + "sqlite", mod + "postgres", mod + "metrics"}},
		{mod + "rules", []string{"net/http", "database/sql", mod + "vigil", mod + "sqlite", mod + "postgres", mod + "httpapi"}},
		{mod + "risk", []string{"net/http", "database/sql", mod + "vigil", mod + "sqlite", mod + "postgres", mod + "httpapi"}},
		{mod + "screening", []string{"net/http", "database/sql", "modernc.org/", "github.com/jackc/", mod + "vigil", mod + "sqlite", mod + "postgres", mod + "httpapi", mod + "rules", mod + "risk", mod + "schema"}},
	}
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-deps", r.pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", r.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range r.forbidden {
				if strings.HasPrefix(dep, f) {
					t.Errorf("%s depends on %s", r.pkg, dep)
				}
			}
		}
	}
}
