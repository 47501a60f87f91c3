package notify

import (
	"context"
	"time"
)

// SetSecretsClock replaces the clock of the secret cache.
func SetSecretsClock(s *Secrets, now func() time.Time) { s.now = now }

// SetPosterSleep replaces the Poster's wait between attempts, to observe the backoff.
func SetPosterSleep(p *Poster, sleep func(d time.Duration)) {
	p.sleep = func(ctx context.Context, d time.Duration) error { sleep(d); return ctx.Err() }
}
