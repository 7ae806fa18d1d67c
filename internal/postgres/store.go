// Package postgres is Vigil's production Store on PostgreSQL (pgx v5, pgxpool).
//
// Each unit of work is one transaction at READ COMMITTED, except that an event computed ahead of
// its write ends in one conditional statement, which commits in one pipeline with the other
// units' waiting then (shared.go). Per-user writes are serialised by a row lock (SELECT ... FOR
// UPDATE on the user, or the conditional statement's own update), which holds across any number
// of server processes; uniqueness on (tenant, userId) and (tenant, user type, eventId) decides races
// between first creates and duplicate events. PostgreSQL's own WAL flushing lets concurrent
// commits share an fsync. The SQL avoids advisory locks, LOCK TABLE and other features that
// PostgreSQL-compatible distributed engines (CockroachDB, YugabyteDB, Citus) lack.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vigil-aml/vigil/internal/vigil"
)

//go:embed migrations/*.sql
var migrations embed.FS

// defaultMaxConns is the pool size when the DSN sets no pool_max_conns.
const defaultMaxConns = 16

// maxTxAttempts bounds retries of a transaction that PostgreSQL aborted for a serialisation
// failure or a deadlock.
const maxTxAttempts = 5

// Store implements vigil.Store on a PostgreSQL database.
type Store struct {
	pool   *pgxpool.Pool
	limits Limits
	terms  *vigil.TermIndexer // terms.go
	shared *sharedCommitter   // shared.go
}

var _ vigil.Store = (*Store)(nil)

// Open connects to the database named by dsn (a postgres:// URL or key=value string; a
// search_path parameter selects the schema) and applies migrations. Several processes may open
// the same database at once. It applies the default Limits.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return OpenWith(ctx, dsn, Limits{})
}

// OpenWith is Open with limits on a write's waits.
func OpenWith(ctx context.Context, dsn string, limits Limits) (*Store, error) {
	limits = limits.withDefaults()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse DSN: %w", err)
	}
	limits.apply(cfg)
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s := &Store{pool: pool, limits: limits}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if s.shared, err = newSharedCommitter(ctx, cfg); err != nil {
		pool.Close()
		return nil, err
	}
	s.terms = vigil.StartTermIndexer(s.termBatches(), limits.TermsInterval)
	return s, nil
}

// migrate applies the embedded migrations once, whatever the number of processes starting: the
// row of version 0 in schema_migrations is the lock (a row lock, portable to distributed
// engines, unlike advisory locks).
func (s *Store) migrate(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		_, err := s.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`)
		if err == nil {
			break
		}
		// Two processes creating the table at once: one loses on the catalog's unique index.
		if attempt > 3 || !isCode(err, "23505", "42P07") {
			return fmt.Errorf("postgres: migrations table: %w", err)
		}
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (0, 0)
		ON CONFLICT (version) DO NOTHING`); err != nil {
		return fmt.Errorf("postgres: migrations lock row: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The requests' statement_timeout is no bound for a migration: an upgrade that rebuilds an
		// index of a large database takes as long as it takes, and a cancelled one would stop the
		// server from starting at all.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return fmt.Errorf("postgres: migrations: %w", err)
		}
		if _, err := tx.Exec(ctx, `SELECT version FROM schema_migrations WHERE version = 0 FOR UPDATE`); err != nil {
			return fmt.Errorf("postgres: lock migrations: %w", err)
		}
		for _, f := range files {
			base := strings.TrimPrefix(f, "migrations/")
			version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
			if err != nil || version == 0 {
				return fmt.Errorf("postgres: migration %s: name must start with a positive number", f)
			}
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			script, err := migrations.ReadFile(f)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(script)); err != nil {
				return fmt.Errorf("postgres: migration %d: %w", version, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				version, time.Now().UnixMilli()); err != nil {
				return fmt.Errorf("postgres: migration %d: %w", version, err)
			}
		}
		return nil
	})
}

// Update runs fn in its own transaction and commits it. A transaction that PostgreSQL aborts for
// a serialisation failure or deadlock is retried from the start.
func (s *Store) Update(ctx context.Context, fn func(vigil.Tx) error) error {
	var err error
	for attempt := 0; attempt < maxTxAttempts; attempt++ {
		err = s.inTx(ctx, fn)
		if !isCode(err, "40001", "40P01") {
			return mapError(err)
		}
	}
	return mapError(err)
}

// inTx runs fn in one transaction on a connection of the pool, taken at its first statement
// that needs one, and commits it; see lazyTx.
func (s *Store) inTx(ctx context.Context, fn func(vigil.Tx) error) error {
	tx := &lazyTx{acquire: s.acquire, shared: s.shared}
	defer tx.release()
	if err := fn(&pgTx{tx: tx}); err != nil {
		tx.rollback(ctx)
		return err
	}
	return tx.commit(ctx)
}

// chunkSize is how many units UpdateAll commits together.
const chunkSize = 200

// errUnitFailed ends a chunk run without savepoints at its first failed unit.
var errUnitFailed = errors.New("postgres: a unit failed in a chunk without savepoints")

// UpdateAll runs fns in order in transactions of up to chunkSize units, so that a failing unit
// leaves the others. A savepoint around every unit gives that, but costs two round trips per
// unit, while units seldom fail. So a chunk runs without them, and when one of its units fails,
// the chunk is rolled back and runs again with them (every unit is written to run again from
// the start, as the service's retries already require); failures come together (a batch's
// events for missing users, a client replaying a batch), so the chunks after it go straight to
// savepoints. A unit that hits a serialisation failure or a deadlock reports vigil.ErrRetry
// (the service runs it again on its own).
func (s *Store) UpdateAll(ctx context.Context, fns []func(vigil.Tx) error) ([]error, error) {
	errs := make([]error, len(fns))
	guarded := false
	for start := 0; start < len(fns); start += chunkSize {
		end := min(start+chunkSize, len(fns))
		chunk, chunkErrs := fns[start:end], errs[start:end]
		var err error
		if !guarded {
			if err = s.runChunk(ctx, chunk, chunkErrs, false); errors.Is(err, errUnitFailed) {
				guarded = true
				clear(chunkErrs)
			}
		}
		if guarded {
			err = s.runChunk(ctx, chunk, chunkErrs, true)
		}
		if err != nil {
			// The chunk did not commit: none of its units applied.
			for i := range chunkErrs {
				if chunkErrs[i] == nil {
					chunkErrs[i] = fmt.Errorf("postgres: commit: %w", mapError(err))
				}
			}
			return errs, mapError(err)
		}
	}
	return errs, nil
}

// runChunk runs units in one transaction and commits it. With savepoints, a failed unit is
// rolled back alone and its error kept in errs; without, the first failure rolls back
// everything and returns errUnitFailed.
func (s *Store) runChunk(ctx context.Context, units []func(vigil.Tx) error, errs []error, savepoints bool) error {
	c, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		for i, fn := range units {
			if !savepoints {
				if errs[i] = mapError(fn(&pgTx{tx: tx})); errs[i] != nil {
					return errUnitFailed
				}
				continue
			}
			if _, err := tx.Exec(ctx, "SAVEPOINT unit"); err != nil {
				return err
			}
			errs[i] = mapError(fn(&pgTx{tx: tx}))
			if errs[i] != nil {
				if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT unit"); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT unit"); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close releases the pool after the transactions in flight.
func (s *Store) Close() error {
	s.terms.Stop() // what is pending stays pending
	s.shared.close()
	s.pool.Close()
	return nil
}

func isCode(err error, codes ...string) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	for _, c := range codes {
		if pe.Code == c {
			return true
		}
	}
	return false
}

// mapError turns driver errors the domain cares about into its sentinels.
func mapError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return vigil.ErrNotFound
	case isCode(err, "23505"):
		return errors.Join(vigil.ErrDuplicate, err)
	case isCode(err, "40001", "40P01"):
		return errors.Join(vigil.ErrRetry, err)
	case isCode(err, "57014"):
		// statement_timeout, or a statement cancelled with its request.
		return errors.Join(vigil.ErrOverloaded, err)
	}
	return err
}
