package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// listsPoll is how often a server reads the store's screening version: a list imported or
// refreshed by any process reaches every server's index within this time.
const listsPoll = 2 * time.Second

// startLists builds the screening index from the stored lists and keeps it up to date; the
// returned function stops the polling and waits for it.
func startLists(ctx context.Context, svc *vigil.Service, log *slog.Logger) (func(), error) {
	if _, err := svc.RefreshLists(ctx); err != nil {
		return nil, fmt.Errorf("load the screening lists: %w", err)
	}
	pollCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(listsPoll)
		defer t.Stop()
		for {
			select {
			case <-pollCtx.Done():
				return
			case <-t.C:
			}
			deltas, err := svc.RefreshLists(pollCtx)
			if err != nil {
				if pollCtx.Err() == nil {
					log.Warn("screening: reloading the lists failed; the index keeps the lists it has", "err", err)
				}
				continue
			}
			for id, d := range deltas {
				log.Info("screening: list changed", "list", id, "added", len(d.Added), "changed", len(d.Changed), "removed", len(d.Removed))
			}
		}
	}()
	return func() { stop(); <-done }, nil
}
