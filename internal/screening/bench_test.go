package screening

import (
	"flag"
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

var benchEntries = flag.Int("screening.entries", 1_000_000, "entries of the generated list the screening benchmarks index")

var (
	benchOnce  sync.Once
	benchIndex *Index
	benchHeap  uint64
	benchBuild time.Duration
)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// loadBenchIndex builds the index of the generated list once per test binary and measures
// the heap it holds (after a GC, against the heap before).
func loadBenchIndex(b testing.TB) *Index {
	benchOnce.Do(func() {
		before := heapInUse()
		start := time.Now()
		ix := NewIndex()
		GenerateEntries(1, *benchEntries, func(e Entry) { ix.Put(e) })
		benchBuild = time.Since(start)
		benchHeap = heapInUse() - before
		benchIndex = ix
	})
	return benchIndex
}

// benchQueries are names of listed entries with a typo and the date of birth, and names
// that match nothing, half each.
func benchQueries(ix *Index, n int) []Query {
	r := rand.New(rand.NewPCG(7, 7))
	var qs []Query
	for len(qs) < n {
		if len(qs)%2 == 0 {
			e, ok := ix.Get("SYNTHETIC", fmt.Sprintf("S%07d", r.IntN(*benchEntries)))
			if !ok {
				continue
			}
			q := Query{Name: typo(r, e.Name), Kind: e.Kind}
			if len(e.BirthDates) > 0 {
				q.BirthDate = e.BirthDates[0]
			}
			qs = append(qs, q)
			continue
		}
		qs = append(qs, Query{Name: title(pick(r, westernFirst) + " " + pseudoName(r, 2, 4)), Kind: KindPerson})
	}
	return qs
}

// BenchmarkSearch screens one name against the generated list; it reports the latency
// percentiles of the loop's searches and the index's heap.
func BenchmarkSearch(b *testing.B) {
	ix := loadBenchIndex(b)
	qs := benchQueries(ix, 2000)
	lat := make([]time.Duration, 0, b.N)
	cpu := make([]time.Duration, 0, b.N)
	hits := 0
	// The loop stays on one thread so that the thread's CPU clock measures the searches.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start, startCPU := time.Now(), threadCPU()
		hits += len(ix.Search(qs[i%len(qs)], SearchOptions{}))
		cpu = append(cpu, threadCPU()-startCPU)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	slices.Sort(cpu)
	b.ReportMetric(float64(cpu[len(cpu)/2].Microseconds()), "cpu-p50-µs")
	b.ReportMetric(float64(cpu[len(cpu)*99/100].Microseconds()), "cpu-p99-µs")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
	b.ReportMetric(float64(benchHeap)/(1<<20), "index-MiB")
	b.ReportMetric(benchBuild.Seconds(), "build-s")
	b.ReportMetric(float64(ix.Len()), "entries")
}

// BenchmarkScreenDelta screens 1,000 new list entries against as many user names as the
// list has entries (the ongoing direction), on all cores.
func BenchmarkScreenDelta(b *testing.B) {
	users := *benchEntries
	var delta []Entry
	GenerateEntries(99, 1000, func(e Entry) { e.ID = "D" + e.ID; delta = append(delta, e) })
	subjects := func(yield func(Subject) bool) {
		r := rand.New(rand.NewPCG(3, 3))
		for i := range users {
			e := syntheticEntry(r, "", pick(r, []int{0, 1, 2, 3, 3, 3, 3, 3, 4, 4}))
			q := Query{Name: e.Name, Kind: e.Kind}
			if len(e.BirthDates) > 0 {
				q.BirthDate = e.BirthDates[0]
			}
			if !yield(Subject{UserID: fmt.Sprint(i), EntityType: EntityConsumerName, Query: q}) {
				return
			}
		}
	}
	var seq iter.Seq[Subject] = subjects
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		matches := 0
		start, startCPU := time.Now(), processCPU()
		err := ScreenEntries(delta, seq, SearchOptions{}, func(SubjectMatch) error { matches++; return nil })
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/delta")
		// CPU seconds over all cores (including generating the user names): on an idle
		// machine the wall time is about this divided by the cores.
		b.ReportMetric((processCPU() - startCPU).Seconds(), "cpu-s/delta")
		b.ReportMetric(float64(matches), "matches")
	}
	b.ReportMetric(float64(users), "users")
}
