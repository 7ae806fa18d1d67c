package vigil

import (
	"context"
	"fmt"
	"sync"

	"github.com/vigil-aml/vigil/internal/rules"
	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/screening"
)

// screenState is what a user keeps of its latest screening, in its rule state: the key of the
// names screened (subjectsKey) and what they matched. A write whose names have the same key
// carries it over without a search.
type screenState struct {
	Key        string                       `json:"key"`
	Details    []screening.SanctionsDetails `json:"details,omitempty"`
	Sanctioned bool                         `json:"sanctioned,omitempty"`
	PEP        bool                         `json:"pep,omitempty"`
	// Ongoing marks matches found by screening a list's new or changed entries against the
	// user (ongoing.go) rather than by a write of the user.
	Ongoing bool `json:"ongoing,omitempty"`
}

// screenOutcome is one screening of a user's names: its state and the searches that matched,
// stored with the write (writePlan.searches) for GET /screening/searches/{searchId}.
type screenOutcome struct {
	state    *screenState
	searches []ScreeningSearch
}

// screenMemo keeps the screenings made for writes computed ahead, by tenant, user, names and
// screening version. A unit whose outcome is computed again (in the store's writer, past its
// hand-backs) finds its names' screening here instead of searching in the writer. Bounded: it
// is emptied when full and whenever the lists change.
type screenMemo struct {
	mu sync.Mutex
	m  map[string]screenOutcome
}

const screenMemoSize = 4096

func (sm *screenMemo) get(key string) (screenOutcome, bool) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	o, ok := sm.m[key]
	return o, ok
}

func (sm *screenMemo) put(key string, o screenOutcome) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if len(sm.m) >= screenMemoSize {
		clear(sm.m)
	}
	sm.m[key] = o
}

func (sm *screenMemo) reset() {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	clear(sm.m)
}

// screenWrite screens the user's names after a write when they changed (or were never
// screened): it returns the state to keep, nil when there is nothing to screen with.
func (s *Service) screenWrite(tenant Tenant, in evaluationInput) screenOutcome {
	if in.rescreen != nil {
		return *in.rescreen
	}
	userID, _ := in.current["userId"].(string)
	subjects := screeningSubjects(in.kind, userID, in.current)
	key := subjectsKey(subjects)
	prev := in.ruleState.Screening
	if prev != nil && prev.Key == key {
		return screenOutcome{state: prev}
	}
	if prev == nil && in.previous != nil && subjectsKey(screeningSubjects(in.kind, userID, in.previous)) == key {
		return screenOutcome{} // screened fields unchanged since before screening was set up
	}
	version, any := s.lists.current()
	if !any {
		if prev == nil {
			return screenOutcome{}
		}
		return screenOutcome{state: &screenState{Key: key}}
	}
	memoKey := fmt.Sprintf("%s\x00%s\x00%s\x00%d", tenant.ID, userID, key, version)
	if o, ok := s.lists.memo.get(memoKey); ok {
		return o
	}
	o := s.screenSubjects(context.Background(), tenant, userID, subjects, false)
	o.state.Key = key
	s.lists.memo.put(memoKey, o)
	return o
}

// screenSubjects searches each name and keeps the matches not cleared for the user.
func (s *Service) screenSubjects(ctx context.Context, tenant Tenant, userID string, subjects []screening.Subject, ongoing bool) screenOutcome {
	st := &screenState{Ongoing: ongoing}
	out := screenOutcome{state: st}
	var cleared map[string]string
	for _, sub := range subjects {
		matches := s.lists.search(tenant.ID, sub.Query, 0)
		if len(matches) == 0 {
			continue
		}
		if cleared == nil {
			cleared = s.clearedHits(ctx, tenant.ID, userID)
		}
		matches = withoutCleared(matches, cleared)
		if len(matches) == 0 {
			continue
		}
		searchID := s.newID()
		st.Details = append(st.Details, screening.Details(searchID, "", sub, matches))
		sanctioned, pep := screening.Classify(matches)
		st.Sanctioned, st.PEP = st.Sanctioned || sanctioned, st.PEP || pep
		at := s.nowMillis()
		out.searches = append(out.searches, ScreeningSearch{TenantID: tenant.ID, SearchID: searchID, UserID: userID,
			CreatedAt: at, Body: s.searchJSON(searchID, userID, at, sub, matches)})
	}
	return out
}

// clearedHits reads the user's cleared matches: hit id to the digest cleared. A failed read
// clears nothing (a false positive shown again, never a match hidden).
func (s *Service) clearedHits(ctx context.Context, tenantID, userID string) map[string]string {
	out := map[string]string{}
	cs, err := s.store.ScreeningClearings(ctx, tenantID, userID)
	if err != nil {
		s.log.Warn("screening: read cleared matches", "err", err)
		return out
	}
	for _, c := range cs {
		out[c.HitID] = c.Digest
	}
	return out
}

// withoutCleared drops the matches cleared for the user whose entry has not changed since.
func withoutCleared(matches []screening.Match, cleared map[string]string) []screening.Match {
	if len(cleared) == 0 {
		return matches
	}
	kept := make([]screening.Match, 0, len(matches))
	for _, m := range matches {
		if d, ok := cleared[screening.HitID(m)]; ok && d == m.Entry.Digest().String() {
			continue
		}
		kept = append(kept, m)
	}
	return kept
}

// screeningFacts is what rules see of a screening (rules.Input.Screening).
func screeningFacts(st *screenState) map[string]any {
	if st == nil {
		return nil
	}
	return map[string]any{"sanctions": st.Sanctioned, "pep": st.PEP, "matches": float64(len(st.Details))}
}

// withScreeningMeta puts the screening's sanctionsDetails on the results and hits of the
// screening rules that hit (Flagright's ruleHitMeta).
func withScreeningMeta(out *rules.Output, st *screenState) {
	if st == nil || len(st.Details) == 0 {
		return
	}
	meta := mustEncode(map[string]any{"sanctionsDetails": st.Details, "isOngoingScreeningHit": st.Ongoing})
	for i := range out.Executed {
		if r := &out.Executed[i]; r.RuleHit && r.Nature == "SCREENING" {
			r.RuleHitMeta = meta
		}
	}
	for i := range out.Hits {
		if h := &out.Hits[i]; h.Nature == "SCREENING" {
			h.RuleHitMeta = meta
		}
	}
}

// riskView is the profile the risk model assesses: the user's own, with what screening found
// added to the sanctions and PEP factors' fields (sanctionsStatus, pepStatus). The stored
// profile is not changed: those fields stay the client's.
func riskView(profile schema.Object, st *screenState) schema.Object {
	if st == nil || (!st.Sanctioned && !st.PEP) {
		return profile
	}
	view := replaceTopLevel(nil, profile)
	if st.Sanctioned {
		view["sanctionsStatus"] = true
	}
	if st.PEP {
		peps, _ := view["pepStatus"].([]any)
		view["pepStatus"] = append(append([]any{}, peps...), schema.Object{"isPepHit": true})
	}
	return view
}

// searchHit is one matched entry of a stored search, as GET /screening/searches/{searchId}
// returns it.
type searchHit struct {
	HitID         string                `json:"hitId"`
	ListID        string                `json:"listId"`
	ListName      string                `json:"listName,omitempty"`
	EntryID       string                `json:"entryId"`
	Name          string                `json:"name"`
	EntityKind    string                `json:"entityKind"`
	Programmes    []string              `json:"programmes,omitempty"`
	Sanctioned    bool                  `json:"sanctioned"`
	PEP           bool                  `json:"pep"`
	BirthDates    []string              `json:"birthDates,omitempty"`
	Nationalities []string              `json:"nationalities,omitempty"`
	Countries     []string              `json:"countries,omitempty"`
	Score         float64               `json:"score"`
	NameScore     float64               `json:"nameScore"`
	MatchedName   string                `json:"matchedName"`
	TokenPairs    []screening.TokenPair `json:"tokenPairs"`
	Evidence      []screening.Evidence  `json:"evidence,omitempty"`
}

// searchJSON is a search's wire JSON: what was searched and every match with its explanation.
func (s *Service) searchJSON(searchID, userID string, at int64, sub screening.Subject, matches []screening.Match) []byte {
	request := map[string]any{"name": sub.Query.Name, "kind": sub.Query.Kind.String()}
	if sub.EntityType != "" {
		request["entityType"] = sub.EntityType
	}
	if sub.Query.BirthDate.Year > 0 {
		request["dateOfBirth"] = sub.Query.BirthDate.String()
	}
	if len(sub.Query.Nationalities) > 0 {
		request["nationalities"] = sub.Query.Nationalities
	}
	if len(sub.Query.Countries) > 0 {
		request["countries"] = sub.Query.Countries
	}
	body := map[string]any{"searchId": searchID, "createdAt": at, "request": request, "hits": s.searchHits(matches)}
	if userID != "" {
		body["userId"] = userID
	}
	return mustEncode(body)
}

func (s *Service) searchHits(matches []screening.Match) []searchHit {
	hits := make([]searchHit, 0, len(matches))
	for _, m := range matches {
		e := m.Entry
		h := searchHit{HitID: screening.HitID(m), ListID: e.Source, ListName: s.lists.listOf(e.Source).Name,
			EntryID: e.ID, Name: e.Name, EntityKind: e.Kind.String(), Programmes: e.Programmes,
			Sanctioned: e.Sanctioned, PEP: e.PEP, Nationalities: e.Nationalities, Countries: e.Countries,
			Score: m.Score, NameScore: m.NameScore, MatchedName: m.MatchedName, TokenPairs: m.Pairs, Evidence: m.Evidence}
		for _, d := range e.BirthDates {
			h.BirthDates = append(h.BirthDates, d.String())
		}
		hits = append(hits, h)
	}
	return hits
}
