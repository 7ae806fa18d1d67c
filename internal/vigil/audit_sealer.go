package vigil

import (
	"context"
	"time"
)

// SealInterval is how often a server's sealer chains the records written since its last pass:
// often, so that each pass has few records to chain (see sealBatch).
const SealInterval = 250 * time.Millisecond

// RunSealer seals the audit log every interval until ctx ends, then once more, so records
// written before a clean shutdown leave sealed. Every process of a deployment may run it: the
// chain head's lock makes concurrent sealers take turns (SealAudit).
func (s *Service) RunSealer(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s.sealLogged(final)
			return
		case <-t.C:
			s.sealLogged(ctx)
		}
	}
}

// sealLogged runs one sealing pass; a failure is logged and retried on the next pass, since
// unsealed records keep their place in the queue.
func (s *Service) sealLogged(ctx context.Context) {
	if _, err := s.SealAudit(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("audit sealer", "error", err)
	}
}
