package storetest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-aml/vigil/internal/postgres"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// BenchmarkSearchUsers times GET /users's store query on a tenant of VIGIL_BENCH_USERS users
// (default 50,000; another tenant holds as many), per backend: the first page of a listing, of
// one filter, of two, of a name prefix, and a page deep in a listing (by cursor). The times stay
// flat as the tenant grows: each reads one term's range of the index.
//
//	VIGIL_TEST_POSTGRES_DSN=... go test -run XXX -bench BenchmarkSearchUsers -benchtime 200x ./internal/storetest/
func BenchmarkSearchUsers(b *testing.B) {
	n := 50_000
	if s := os.Getenv("VIGIL_BENCH_USERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	states := []string{"ACTIVE", "SUSPENDED", "BLOCKED", "DORMANT"}
	for _, backend := range Backends(b) {
		b.Run(backend.Name, func(b *testing.B) {
			ctx := context.Background()
			s, analyze := openForBench(b, backend)
			for _, tenant := range []string{"t1", "t2"} {
				for start := 0; start < n; start += 5000 {
					err := s.Update(ctx, func(tx vigil.Tx) error {
						for i := start; i < min(start+5000, n); i++ {
							u := searchUser(tenant, fmt.Sprintf("uid-%07d", i), fmt.Sprintf("user-%07d", i), int64(1_700_000_000_000+i),
								"id:"+fmt.Sprintf("user-%07d", i), "name:"+fmt.Sprintf("name%d surname%d", i%9973, i%101),
								"name:"+fmt.Sprintf("surname%d", i%101), "state:"+states[i%len(states)], "kyc:SUCCESSFUL", fmt.Sprintf("tag:segment=%d", i%50))
							if err := tx.WriteUser(ctx, u, true, nil, nil, auditRecord(tenant, "a-"+u.UID, 1)); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			// The writes left the users pending for the term index, which the first search
			// applies: that is the load's work, not a search's.
			if _, err := s.SearchUsers(ctx, "t1", vigil.UserQuery{Limit: 1}); err != nil {
				b.Fatal(err)
			}
			analyze() // as autovacuum would after such a load: the plans need the statistics
			middle := int64(1_700_000_000_000 + n/2)
			for _, q := range []struct {
				name string
				q    vigil.UserQuery
			}{
				{"everyone", vigil.UserQuery{}},
				{"one filter", vigil.UserQuery{All: []string{"state:SUSPENDED"}}},
				{"two filters", vigil.UserQuery{All: []string{"tag:segment=7", "state:ACTIVE"}}},
				{"name prefix", vigil.UserQuery{Any: []string{"id:name12", "name:name12", "email:name12"}, AnyPrefix: true}},
				{"exact id", vigil.UserQuery{Any: []string{"id:user-0000042", "name:user-0000042", "email:user-0000042"}}},
				{"deep page", vigil.UserQuery{All: []string{"state:ACTIVE"}, AfterCreatedAt: middle, AfterUID: fmt.Sprintf("uid-%07d", n/2)}},
			} {
				q.q.Limit = 26
				b.Run(q.name, func(b *testing.B) {
					for b.Loop() {
						if _, err := s.SearchUsers(ctx, "t1", q.q); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// openForBench opens a store of the backend with a function that refreshes its planner
// statistics (PostgreSQL's ANALYZE; nothing for SQLite, whose planner needs none here).
func openForBench(b *testing.B, backend Backend) (vigil.Store, func()) {
	ctx := context.Background()
	if backend.Name == "sqlite" {
		return backend.Open(b), func() {}
	}
	dsn := backend.DSN(b)
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
}
