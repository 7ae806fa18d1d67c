package vigil

import "testing"

// TestEntryEvaluationReadsOldAndNewEntries: entries written before the evaluation lived only in
// the response still answer from their evaluation column.
func TestEntryEvaluationReadsOldAndNewEntries(t *testing.T) {
	tests := []struct {
		name  string
		entry Entry
		want  string
	}{
		{"new entry: from the response", Entry{Response: []byte(`{"userId":"u","hitRules":[]}`)}, `{"userId":"u","hitRules":[]}`},
		{"older entry: its evaluation", Entry{Evaluation: []byte(`{"hitRules":[]}`), Response: []byte(`{"userId":"u","hitRules":[]}`)}, `{"hitRules":[]}`},
	}
	for _, tc := range tests {
		if got := string(entryEvaluation(tc.entry)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
