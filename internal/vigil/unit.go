package vigil

import "context"

// unit is one write on the one write path: a create or update (userWrite) or an event
// (eventWrite). Its outcome (rules, risk, the rows to store) is computed before its transaction,
// so the store's writer, which on SQLite every tenant shares, only checks that nothing the
// outcome was based on moved and stores the rows. When something moved, the run writes nothing
// and hands the user back: the outcome is computed again outside the writer and the unit runs
// again. Only after maxHandBacks, or for what cannot be known ahead (a rename, a change of type),
// is an outcome computed in the writer, inside the rule budgets.
type unit interface {
	// run is the unit's work in a store transaction; it may run more than once.
	run(ctx context.Context, s *Service, tx Tx) error
	// handBack reports, once per run, whether that run wrote nothing and handed the user back.
	handBack() bool
	// recompute computes the outcome again outside the writer after a hand-back.
	recompute(ctx context.Context, s *Service)
}

// maxHandBacks bounds how often a unit hands its user back for its outcome to be computed again
// outside the writer; a user written that often meanwhile is computed in it.
const maxHandBacks = 2

// commit runs a unit through the store until it has written, computing its outcome again outside
// the writer each time it hands its user back.
func (s *Service) commit(ctx context.Context, u unit) error {
	for {
		if err := s.write(ctx, func(tx Tx) error { return u.run(ctx, s, tx) }); err != nil {
			return err
		}
		if !u.handBack() {
			return nil
		}
		s.metrics.EventRecomputed()
		u.recompute(ctx, s)
	}
}
