package doccheck

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository's root, seen from this package's directory (where go test runs).
const root = "../.."

// checkedDocs are the documents whose every backticked path and Go name must exist.
var checkedDocs = []string{"ARCHITECTURE.md", "CONTRIBUTING.md"}

func TestDocumentsNameWhatExists(t *testing.T) {
	idx := indexRepository(t, root)
	for _, doc := range checkedDocs {
		t.Run(doc, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(root, doc))
			if err != nil {
				t.Fatal(err)
			}
			refs := references(string(data))
			if len(refs) == 0 {
				t.Fatalf("%s names no path or Go name: the check would prove nothing", doc)
			}
			for _, ref := range refs {
				if problem := idx.check(ref); problem != "" {
					t.Errorf("%s:%d: `%s`: %s", doc, ref.line, ref.text, problem)
				}
			}
		})
	}
}

// TestREADMEPackageMap checks the directories README.md's package map lists.
func TestREADMEPackageMap(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	dirs := packageMap(string(data))
	if len(dirs) < 5 {
		t.Fatalf("found %d directories in README.md's package map; has its format changed?", len(dirs))
	}
	for _, d := range dirs {
		if st, err := os.Stat(filepath.Join(root, d)); err != nil || !st.IsDir() {
			t.Errorf("README.md's package map lists %s, which is not a directory", d)
		}
	}
}

// TestCheckFindsWhatIsGone runs the check on a made-up document: a check that passes everything
// would let ARCHITECTURE.md rot unnoticed.
func TestCheckFindsWhatIsGone(t *testing.T) {
	idx := indexRepository(t, root)
	tests := []struct {
		text string
		ok   bool
	}{
		{"`internal/vigil/events.go`", true},
		{"`internal/vigil/`", true},
		{"`README.md`", true},
		{"`internal/vigil/nothing_here.go`", false},
		{"`NOTES.md`", false},
		{"`vigil.Service`", true},
		{"`vigil.Service.ApplyEvent`", true},
		{"`vigil.Tx.WriteUserIf`", true}, // an interface's method
		{"`vigil.eventWrite.run`", true}, // a struct's field
		{"`vigil.maxHandBacks`", true},   // a constant
		{"`vigil.Service.NoSuchMethod`", false},
		{"`vigil.noSuchFunction`", false},
		{"`TestFoldWindowMatchesFullRefold`", true},
		{"`TestNoSuchThing`", false},
		{"`x-api-key`", true}, // neither a path nor a Go name: not checked
		{"`go test ./...`", true},
		{"`fmt.Println`", true}, // not a package of this repository
		{"`net/http`", true},    // a standard library package, not a path
	}
	for _, tt := range tests {
		refs := references("text " + tt.text + " more\n")
		problems := 0
		for _, r := range refs {
			if idx.check(r) != "" {
				problems++
			}
		}
		if (problems == 0) != tt.ok {
			t.Errorf("%s: %d problems, want ok=%v", tt.text, problems, tt.ok)
		}
	}
}

// reference is a backticked span of a document.
type reference struct {
	text string
	line int
}

var backticked = regexp.MustCompile("`([^`\n]+)`")

// references returns the backticked spans of a Markdown document outside fenced code blocks.
func references(doc string) []reference {
	var out []reference
	fenced := false
	for i, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		for _, m := range backticked.FindAllStringSubmatch(line, -1) {
			out = append(out, reference{text: m[1], line: i + 1})
		}
	}
	return out
}

var mapLine = regexp.MustCompile(`^([a-z][a-z0-9_./-]*/)\s{2,}\S`)

// packageMap returns the directories listed in README.md's package map: lines of a fenced
// block that start with a directory and its description.
func packageMap(doc string) []string {
	var out []string
	fenced := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if m := mapLine.FindStringSubmatch(line); fenced && m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

var (
	pathLike   = regexp.MustCompile(`^\.?[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_.-]+)*/?$`)
	fileExt    = regexp.MustCompile(`\.(go|md|sql|js|json|mod|yaml|yml)$`)
	goName     = regexp.MustCompile(`^([a-z][a-z0-9]*)\.([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?$`)
	testFuncRE = regexp.MustCompile(`^(Test|Fuzz|Benchmark|Example)[A-Z_]\w*$`)
)

// index is what the repository's Go files declare.
type index struct {
	root string
	// names[pkg] holds the package's top-level names; members[pkg.Type] a type's methods and
	// fields. Packages are known by name: cmd/vigil and bench's tools all count as "main".
	names   map[string]map[string]bool
	members map[string]map[string]bool
	tests   map[string]bool
}

// check returns what is wrong with a reference, or "" when it exists or is not a path or a Go
// name of this repository.
func (idx *index) check(ref reference) string {
	s := ref.text
	switch {
	case testFuncRE.MatchString(s):
		if !idx.tests[s] {
			return "no test or benchmark has this name"
		}
	case goName.MatchString(s) && idx.names[goName.FindStringSubmatch(s)[1]] != nil && !fileExt.MatchString(s):
		m := goName.FindStringSubmatch(s)
		pkg, name, member := m[1], m[2], m[3]
		if !idx.names[pkg][name] {
			return "package " + pkg + " declares no " + name
		}
		if member != "" && !idx.members[pkg+"."+name][member] {
			return pkg + "." + name + " has no method or field " + member
		}
	case pathLike.MatchString(s) && (strings.Contains(s, "/") || fileExt.MatchString(s)):
		if _, err := os.Stat(filepath.Join(idx.root, filepath.FromSlash(s))); err != nil && !standardPackage(s) {
			return "no such file or directory in the repository"
		}
	}
	return ""
}

// standardPackage reports whether s is the import path of a standard library package, such as
// net/http.
func standardPackage(s string) bool {
	p, err := build.Default.Import(s, "", build.FindOnly)
	return err == nil && p.Goroot
}

// indexRepository parses every Go file under dir (not node_modules or testdata) for its
// declarations.
func indexRepository(t *testing.T, dir string) *index {
	t.Helper()
	idx := &index{root: dir, names: map[string]map[string]bool{}, members: map[string]map[string]bool{}, tests: map[string]bool{}}
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "testdata", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		idx.add(f, strings.HasSuffix(path, "_test.go"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

func (idx *index) add(f *ast.File, test bool) {
	pkg := strings.TrimSuffix(f.Name.Name, "_test")
	if idx.names[pkg] == nil {
		idx.names[pkg] = map[string]bool{}
	}
	member := func(typ, name string) {
		key := pkg + "." + typ
		if idx.members[key] == nil {
			idx.members[key] = map[string]bool{}
		}
		idx.members[key][name] = true
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				if test && testFuncRE.MatchString(d.Name.Name) {
					idx.tests[d.Name.Name] = true
				}
				idx.names[pkg][d.Name.Name] = true
				continue
			}
			if typ := receiverType(d.Recv.List[0].Type); typ != "" {
				member(typ, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.ValueSpec:
					for _, n := range s.Names {
						idx.names[pkg][n.Name] = true
					}
				case *ast.TypeSpec:
					idx.names[pkg][s.Name.Name] = true
					var fields *ast.FieldList
					switch ty := s.Type.(type) {
					case *ast.StructType:
						fields = ty.Fields
					case *ast.InterfaceType:
						fields = ty.Methods
					}
					if fields == nil {
						continue
					}
					for _, fl := range fields.List {
						for _, n := range fl.Names {
							member(s.Name.Name, n.Name)
						}
					}
				}
			}
		}
	}
}

// receiverType is the name of a method's receiver type: T, *T, T[P] or *T[P].
func receiverType(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}
