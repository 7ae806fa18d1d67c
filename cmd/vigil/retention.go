package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// pruneEvery is how often serve folds away history older than --retain-history.
const pruneEvery = time.Hour

// prunePage is how many users one pruning step handles before it looks for more.
const prunePage = 500

// runRetention folds away history older than retain (every pruneEvery, and once at start) until
// ctx ends. Each process may run it: pruning a user is one write under the user's lock.
func runRetention(ctx context.Context, svc *vigil.Service, retain time.Duration, log *slog.Logger) {
	for {
		total := 0
		for ctx.Err() == nil {
			n, err := svc.PruneHistory(ctx, time.Now().Add(-retain).UnixMilli(), prunePage)
			total += n
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("pruning old history failed; the next run tries again", "err", err)
				}
				break
			}
			if n < prunePage {
				break
			}
		}
		if total > 0 {
			log.Info("pruned history older than the retention period", "users", total)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pruneEvery):
		}
	}
}
