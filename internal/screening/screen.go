package screening

import (
	"iter"
	"runtime"
	"sync"
)

// Subject is one name of a customer to screen, with what the integration needs to report a
// hit: the user, the Flagright entityType of the name (CONSUMER_NAME, LEGAL_NAME, DIRECTOR,
// ...) and the query with its evidence.
type Subject struct {
	UserID     string
	EntityType EntityType
	Query      Query
}

// SubjectMatch is a match of one subject's name.
type SubjectMatch struct {
	Subject Subject
	Match   Match
}

// ScreenEntries screens existing customers' names against a set of new or changed list
// entries (the ongoing direction: a list's delta against all users). It indexes only the
// entries, so each name costs a search of a small index, and runs the searches on all
// cores. fn is called (from one goroutine at a time) for every match; an error from it
// stops the screening and is returned.
func ScreenEntries(entries []Entry, subjects iter.Seq[Subject], opts SearchOptions, fn func(SubjectMatch) error) error {
	if len(entries) == 0 {
		return nil
	}
	ix := NewIndex()
	for _, e := range entries {
		ix.Put(e)
	}
	return ix.ScreenAll(subjects, opts, fn)
}

// ScreenAll searches the index for every subject, on all cores; see ScreenEntries.
func (ix *Index) ScreenAll(subjects iter.Seq[Subject], opts SearchOptions, fn func(SubjectMatch) error) error {
	const batch = 256
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan []Subject, workers)
	results := make(chan []SubjectMatch, workers)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				var out []SubjectMatch
				for _, s := range b {
					for _, m := range ix.Search(s.Query, opts) {
						out = append(out, SubjectMatch{Subject: s, Match: m})
					}
				}
				select {
				case results <- out:
				case <-done:
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		b := make([]Subject, 0, batch)
		for s := range subjects {
			b = append(b, s)
			if len(b) == batch {
				select {
				case jobs <- b:
				case <-done:
					return
				}
				b = make([]Subject, 0, batch)
			}
		}
		if len(b) > 0 {
			select {
			case jobs <- b:
			case <-done:
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	var err error
	for out := range results {
		if err != nil {
			continue
		}
		for _, m := range out {
			if err = fn(m); err != nil {
				close(done)
				break
			}
		}
	}
	return err
}
