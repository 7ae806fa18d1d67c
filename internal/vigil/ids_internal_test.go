package vigil

import (
	"regexp"
	"sort"
	"testing"
	"time"
)

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestTimeOrderedUUID checks the layout and that ids of later milliseconds sort after earlier
// ones as strings, which is what keeps the indexes they lead append-mostly.
func TestTimeOrderedUUID(t *testing.T) {
	base := time.UnixMilli(1_796_616_000_000)
	cases := []struct {
		name  string
		times []time.Time
	}{
		{"one millisecond apart", []time.Time{base, base.Add(time.Millisecond), base.Add(2 * time.Millisecond)}},
		{"years apart", []time.Time{time.UnixMilli(0), base, base.Add(24 * 365 * 10 * time.Hour)}},
		{"same millisecond", []time.Time{base, base, base}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ids []string
			seen := map[string]bool{}
			for _, at := range c.times {
				id := timeOrderedUUID(at)
				if !uuidV7.MatchString(id) {
					t.Fatalf("%q is not a version 7 UUID", id)
				}
				if seen[id] {
					t.Fatalf("%q made twice", id)
				}
				seen[id] = true
				ids = append(ids, id)
			}
			for i := 1; i < len(ids); i++ {
				if c.times[i].After(c.times[i-1]) && ids[i] <= ids[i-1] {
					t.Errorf("id of %v (%s) sorts before that of %v (%s)", c.times[i], ids[i], c.times[i-1], ids[i-1])
				}
			}
			if got := ids[0][:8] + ids[0][9:13]; c.times[0].UnixMilli() > 0 && got != timeHex(c.times[0]) {
				t.Errorf("time bits %s, want %s", got, timeHex(c.times[0]))
			}
		})
	}
	if !sort.StringsAreSorted([]string{TimeOrderedUUID(), func() string { time.Sleep(2 * time.Millisecond); return TimeOrderedUUID() }()}) {
		t.Error("a later id sorts first")
	}
}

func timeHex(at time.Time) string {
	const digits = "0123456789abcdef"
	ms := uint64(at.UnixMilli())
	out := make([]byte, 12)
	for i := 11; i >= 0; i-- {
		out[i] = digits[ms&0xf]
		ms >>= 4
	}
	return string(out)
}
