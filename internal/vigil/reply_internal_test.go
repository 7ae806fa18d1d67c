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
	}
	s := &Service{}
	for _, tc := range tests {
		got, err := s.entryEvaluation(context.Background(), tc.entry)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: %s, %v, want %s", tc.name, got, err, tc.want)
		}
	}
}

// TestWithEvaluationJoinsLikeWithFields: the evaluation encoded after a document in one buffer
// is the document joined with the evaluation's own encoding, whatever the document.
func TestWithEvaluationJoinsLikeWithFields(t *testing.T) {
	ev, _ := storedFixture()
	evJSON, err := ev.appendJSON(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	many := Evaluation{ExecutedRules: ev.ExecutedRules, HitRules: ev.HitRules, Status: "FLAG"}
	for len(many.ExecutedRules) < 40 { // past the buffer's estimate: it must grow, not cut
		many.ExecutedRules = append(many.ExecutedRules, ev.ExecutedRules...)
	}
	manyJSON, err := many.appendJSON(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		doc    []byte
		ev     Evaluation
		evJSON []byte
	}{
		{"a profile", []byte(`{"userId":"u-1","tags":[{"key":"k","value":"<v>"}]}`), ev, evJSON},
		{"a create's userId", userIDDoc("u-2"), ev, evJSON},
		{"an empty object", []byte(`{}`), ev, evJSON},
		{"a long evaluation", userIDDoc("u-3"), many, manyJSON},
	}
	for _, tc := range tests {
		got := evaluated{evaluation: tc.ev}.withEvaluation(tc.doc)
		if want := withFields(tc.doc, tc.evJSON); string(got) != string(want) {
			t.Errorf("%s:\n%s\nwant\n%s", tc.name, got, want)
		}
	}
}
