package vigil

import (
	"context"
	"testing"
)

// TestEntryEvaluationReadsOldAndNewEntries: entries written before the evaluation lived only in
// the response still answer from their evaluation column.
func TestEntryEvaluationReadsOldAndNewEntries(t *testing.T) {
	tests := []struct {
		name  string
		entry Entry
		want  string
	}{
		{"entry with a whole response: from the response", Entry{Response: []byte(`{"userId":"u","hitRules":[]}`)}, `{"userId":"u","hitRules":[]}`},
		{"older entry: its evaluation", Entry{Evaluation: []byte(`{"hitRules":[]}`), Response: []byte(`{"userId":"u","hitRules":[]}`)}, `{"hitRules":[]}`},
	}
	s := &Service{}
	for _, tc := range tests {
		got, err := s.entryEvaluation(context.Background(), tc.entry)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: %s, %v, want %s", tc.name, got, err, tc.want)
		}
	}
}
