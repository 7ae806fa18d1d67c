package vigil

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// pointInTime is the body of the console's point-in-time view (Service.UserAt): a user as it
// was right after one entry of its history.
type pointInTime struct {
	UserID string `json:"userId"`
	// Seq and Timestamp are the entry's.
	Seq       int64 `json:"seq"`
	Timestamp int64 `json:"timestamp"`
	// Profile is the history folded up to and including the entry.
	Profile json.RawMessage `json:"profile"`
	// Results are the rule and risk results in force then (executedRules, hitRules,
	// riskScoreDetails, status), computed by the write of entry ResultsSeq; absent when no
	// write up to then stored any.
	Results    json.RawMessage `json:"results,omitempty"`
	ResultsSeq int64           `json:"resultsSeq,omitempty"`
	// Risk explains that write's scores (as GET .../risk does the latest); absent for entries
	// written before entries kept their risk.
	Risk *riskExplanation `json:"risk,omitempty"`
}

// UserAt is the point-in-time view of a user: the profile, the rule results and the risk (KRS
// and CRA with every factor) as they were right after one entry of its history. The entry is
// the one whose seq is given, or with seq 0 the last in fold order whose timestamp is at or
// before asOf.
//
// The results are those of the newest write (by arrival) among the entries folded so far:
// each write stored what it computed, and the newest of them is the only assessment made on a
// history holding all of them. For entries that arrived in order, that is the entry's own write
// and its results belong to exactly the profile shown; after a late event the results of the
// late write were computed on the whole history it arrived into, so they may reflect entries
// dated after the point shown (no assessment of that exact profile was ever made, and Vigil
// shows what it said rather than recomputing with today's rules and model).
func (s *Service) UserAt(ctx context.Context, tenant Tenant, kind Kind, userID string, asOf, seq int64) ([]byte, error) {
	at, err := s.pointInTime(ctx, tenant, kind, userID, asOf, seq)
	if err != nil {
		return nil, err
	}
	return mustEncode(at), nil
}

// pointInTime finds the entry of UserAt and reads what was in force right after it.
func (s *Service) pointInTime(ctx context.Context, tenant Tenant, kind Kind, userID string, asOf, seq int64) (pointInTime, error) {
	rec, entries, err := s.userHistory(ctx, tenant, kind, userID)
	if err != nil {
		return pointInTime{}, err
	}
	var n int
	if seq > 0 {
		n = slices.IndexFunc(entries, func(e Entry) bool { return e.Seq == seq }) + 1
		if n == 0 {
			return pointInTime{}, notFoundf("%s %q has no history entry %d", names[kind].noun, userID, seq)
		}
	} else {
		if len(entries) == 0 || entries[0].Timestamp > asOf {
			return pointInTime{}, notFoundf("%s %q did not exist yet at %d", names[kind].noun, userID, asOf)
		}
		// The creation folds first whatever its timestamp (events may be dated before it).
		n = 1
		for n < len(entries) && entries[n].Timestamp <= asOf {
			n++
		}
	}
	prefix := entries[:n]
	last := prefix[n-1]
	profile, err := s.foldOnto(nil, slices.Clone(prefix))
	if err != nil {
		return pointInTime{}, err
	}
	at := pointInTime{UserID: rec.UserID, Seq: last.Seq, Timestamp: last.Timestamp, Profile: mustEncode(profile)}
	// The newest write of the prefix that stored results: conversions and rules' changes store
	// none (they are part of the write before them).
	bySeq := slices.Clone(prefix)
	slices.SortFunc(bySeq, func(a, b Entry) int { return int(b.Seq - a.Seq) })
	for _, e := range bySeq {
		if e.Type == EntryConvert || e.Type == EntrySystem {
			continue
		}
		full, err := s.store.EntryResults(ctx, tenant.ID, rec.UID, e.Seq)
		if err != nil {
			return pointInTime{}, fmt.Errorf("read the results of history entry %d: %w", e.Seq, err)
		}
		if len(full.Response) == 0 {
			continue
		}
		if at.Results, err = s.latestEvaluation(ctx, rec, full.Response); err != nil {
			return pointInTime{}, err
		}
		at.ResultsSeq = e.Seq
		if len(full.Risk) > 0 {
			st, err := unpackRisk(full.Risk)
			if err != nil {
				return pointInTime{}, fmt.Errorf("history entry %d: %w", e.Seq, err)
			}
			explained := explain(rec.UserID, st)
			at.Risk = &explained
		}
		break
	}
	return at, nil
}
