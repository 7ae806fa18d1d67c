package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// docBlock is one fenced code block of a Markdown file.
type docBlock struct {
	file string // as given to readDocBlocks, e.g. "docs/rules.md"
	line int    // 1-based line of the opening fence
	lang string // the info string's first word, lower case ("" when there is none)
	body string
	// marker is the `<!-- doctest: ... -->` directive on the line before the fence, if any,
	// without its delimiters: "skip REASON" or "file NAME".
	marker string
}

// where names the block for messages: file:line and its language.
func (b docBlock) where() string { return fmt.Sprintf("%s:%d (```%s block)", b.file, b.line, b.lang) }

// docLine is the file line of the body's n-th line (1-based).
func (b docBlock) docLine(n int) int { return b.line + n }

const markerPrefix = "<!-- doctest:"

// readDocBlocks returns the fenced blocks of a Markdown file in order. Fences are ``` or ~~~
// (three or more, indented by at most three spaces); a block ends at a fence of the same
// character at least as long, and an unclosed block is an error (Markdown would run it to the
// end of the file, which is never what the author meant).
func readDocBlocks(root, file string) ([]docBlock, error) {
	data, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		return nil, err
	}
	var blocks []docBlock
	var open *docBlock
	var fence string
	var body []string
	prev := "" // the last non-blank line outside blocks
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		run, rest := fenceOf(trimmed)
		if open != nil {
			if indent <= 3 && run != "" && run[0] == fence[0] && len(run) >= len(fence) && strings.TrimSpace(rest) == "" {
				open.body = strings.Join(body, "\n")
				if len(body) > 0 {
					open.body += "\n"
				}
				blocks = append(blocks, *open)
				open, body = nil, nil
				continue
			}
			body = append(body, line)
			continue
		}
		if indent <= 3 && run != "" {
			lang := ""
			if fields := strings.Fields(rest); len(fields) > 0 {
				lang = strings.ToLower(strings.Trim(fields[0], "{}."))
			}
			b := docBlock{file: file, line: n, lang: lang}
			if strings.HasPrefix(prev, markerPrefix) {
				m := strings.TrimSpace(strings.TrimPrefix(prev, markerPrefix))
				if !strings.HasSuffix(m, "-->") {
					return nil, fmt.Errorf("%s:%d: a doctest marker must be one line ending in -->", file, n-1)
				}
				b.marker = strings.TrimSpace(strings.TrimSuffix(m, "-->"))
			}
			open, fence = &b, run
			continue
		}
		if strings.TrimSpace(line) != "" {
			prev = strings.TrimSpace(line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if open != nil {
		return nil, fmt.Errorf("%s:%d: the block opened here is never closed", file, open.line)
	}
	return blocks, nil
}

// fenceOf splits a line (without its indentation) into a fence of three or more ` or ~ and the
// rest, or returns "" when the line is not a fence.
func fenceOf(line string) (run, rest string) {
	if line == "" || (line[0] != '`' && line[0] != '~') {
		return "", line
	}
	n := len(line) - len(strings.TrimLeft(line, line[:1]))
	if n < 3 {
		return "", line
	}
	return line[:n], line[n:]
}

// docFiles lists the Markdown files whose blocks are tested: README.md and every docs/*.md, so
// a new page is picked up without a change here.
func docFiles(root string) ([]string, error) {
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		return nil, err
	}
	files := []string{"README.md"}
	for _, p := range pages {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return nil, err
		}
		files = append(files, filepath.ToSlash(rel))
	}
	sort.Strings(files[1:])
	return files, nil
}
