package console

import "strings"

// diffLine is one line of a line diff: Op is ' ' (in both), '-' (only in the older text) or '+'
// (only in the newer).
type diffLine struct {
	Op   string
	Text string
}

// maxDiffCells bounds the diff's table (lines × lines): a rule's document is a few dozen lines,
// and past the bound the diff shows the older text removed and the newer added.
const maxDiffCells = 1 << 20

// lineDiff is the shortest line diff of a to b: a longest common subsequence of their lines,
// the rest removed or added, removals first at each change.
func lineDiff(a, b string) []diffLine {
	x, y := splitLines(a), splitLines(b)
	// Lines the texts share at either end need no table.
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	var out []diffLine
	for _, l := range x[:pre] {
		out = append(out, diffLine{" ", l})
	}
	out = append(out, middleDiff(x[pre:len(x)-suf], y[pre:len(y)-suf])...)
	for _, l := range x[len(x)-suf:] {
		out = append(out, diffLine{" ", l})
	}
	return out
}

// middleDiff diffs what lies between the common ends by dynamic programming: lcs[i][j] is the
// length of the longest common subsequence of x[i:] and y[j:].
func middleDiff(x, y []string) []diffLine {
	var out []diffLine
	if len(x)*len(y) > maxDiffCells {
		for _, l := range x {
			out = append(out, diffLine{"-", l})
		}
		for _, l := range y {
			out = append(out, diffLine{"+", l})
		}
		return out
	}
	w := len(y) + 1
	lcs := make([]int, (len(x)+1)*w)
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			out = append(out, diffLine{" ", x[i]})
			i, j = i+1, j+1
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			out = append(out, diffLine{"-", x[i]})
			i++
		default:
			out = append(out, diffLine{"+", y[j]})
			j++
		}
	}
	for ; i < len(x); i++ {
		out = append(out, diffLine{"-", x[i]})
	}
	for ; j < len(y); j++ {
		out = append(out, diffLine{"+", y[j]})
	}
	return out
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
