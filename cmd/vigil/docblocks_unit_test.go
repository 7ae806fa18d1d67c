package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestReadDocBlocks: fences of either kind and any length, languages, markers on the line
// before a fence, file lines, and an unclosed block as an error.
func TestReadDocBlocks(t *testing.T) {
	dir := t.TempDir()
	page := "# Page\n" + // 1
		"\n" + // 2
		"<!-- doctest: skip takes an hour -->\n" + // 3
		"```sh\n" + // 4
		"go run ./bench\n" + // 5
		"```\n" + // 6
		"text\n" + // 7
		"~~~~ yaml title\n" + // 8
		"a: 1\n" + // 9
		"```\n" + // 10: not the closing fence
		"~~~~\n" + // 11
		"<!-- doctest: file rule.yaml -->\n" + // 12
		"\n" + // 13
		"   ```JS\n" + // 14
		"x()\n" + // 15
		"   ```\n" // 16
	os.WriteFile(filepath.Join(dir, "page.md"), []byte(page), 0o600)
	got, err := readDocBlocks(dir, "page.md")
	if err != nil {
		t.Fatal(err)
	}
	want := []docBlock{
		{file: "page.md", line: 4, lang: "sh", body: "go run ./bench\n", marker: "skip takes an hour"},
		{file: "page.md", line: 8, lang: "yaml", body: "a: 1\n```\n"},
		{file: "page.md", line: 14, lang: "js", body: "x()\n", marker: "file rule.yaml"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("blocks:\n got %+v\nwant %+v", got, want)
	}
	os.WriteFile(filepath.Join(dir, "open.md"), []byte("ok\n```sh\necho\n"), 0o600)
	if _, err := readDocBlocks(dir, "open.md"); err == nil || err.Error() != "open.md:2: the block opened here is never closed" {
		t.Fatalf("unclosed block: %v", err)
	}
}
