package vigil

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// storedUser is a user row as the benchmark load leaves it: full change lists, thirteen risk
// factors (testdata/stored_user, written by Vigil).
func storedUser(t testing.TB) UserRecord {
	t.Helper()
	var rec UserRecord
	for name, field := range map[string]*[]byte{"profile": &rec.Profile, "risk": &rec.Risk, "rules": &rec.Rules} {
		b, err := os.ReadFile("testdata/stored_user/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		*field = b
	}
	return rec
}

// decodesLikeEncodingJSON decodes rec and checks its risk and rule states against what
// encoding/json makes of them.
func decodesLikeEncodingJSON(t *testing.T, rec UserRecord) userState {
	t.Helper()
	got, err := decodeUserState(rec)
	if err != nil {
		t.Fatal(err)
	}
	var want userState
	if err := json.Unmarshal(rec.Risk, &want.risk); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(rec.Rules, &want.rules); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.risk, want.risk) || !reflect.DeepEqual(got.rules, want.rules) {
		t.Errorf("decoded\n%+v\n%+v\nwant\n%+v\n%+v", got.risk, got.rules, want.risk, want.rules)
	}
	return got
}

// TestDecodeUserStateMatchesEncodingJSON: the stored states decode to what encoding/json
// makes of them.
func TestDecodeUserStateMatchesEncodingJSON(t *testing.T) {
	got := decodesLikeEncodingJSON(t, storedUser(t))
	if len(got.rules.Aggregates.Changes["state"]) == 0 || len(got.risk.Factors) == 0 {
		t.Errorf("the fixture lost its lists: %+v", got)
	}
}

// TestDecodeUserStateIsAsLenientAsEncodingJSON: what encoding/json accepted in a stored state
// (rows written before the decoder changed) still decodes, to the same values.
func TestDecodeUserStateIsAsLenientAsEncodingJSON(t *testing.T) {
	tests := []struct{ name, risk, rules string }{
		{"names in another case", `{"KYC":{"Score":20,"LEVEL":"LOW"},"activityat":5}`, `{"Aggregates":{"Changes":{"state":[1,2]}},"HITS":["R-1"]}`},
		{"a repeated name", `{"kyc":{"level":"LOW"},"kyc":{"level":"HIGH"}}`, `{"hits":["a"],"hits":["b"]}`},
		{"invalid UTF-8", "{\"modelName\":\"m\xff\"}", "{\"hits\":[\"\xfe\"]}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			decodesLikeEncodingJSON(t, UserRecord{Profile: []byte(`{"userId":"u"}`), Risk: []byte(tc.risk), Rules: []byte(tc.rules)})
		})
	}
}

// BenchmarkDecodeUserState decodes a stored user, as every event for a user the cache does not
// hold does first.
func BenchmarkDecodeUserState(b *testing.B) {
	rec := storedUser(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeUserState(rec); err != nil {
			b.Fatal(err)
		}
	}
}
