package release

import (
	"fmt"
	"strings"
	"time"
)

// Strategy is how a release replaces the version serving an app.
type Strategy string

const (
	// StartFirst starts the new container beside the old one, checks its
	// health, switches traffic and drains the old: no downtime, but two
	// versions run at once (on the same volumes, if the app has any).
	StartFirst Strategy = "start-first"
	// StopFirst stops the old container before starting the new one, for
	// apps whose data cannot take two writers (SQLite, most CMSes): the
	// proxy holds the app's requests meanwhile, so clients wait (up to
	// the hold's bound) instead of failing. Should the new version fail,
	// the old one is started again.
	StopFirst Strategy = "stop-first"
)

// Strategies lists the strategies, the default first.
var Strategies = []Strategy{StartFirst, StopFirst}

// Or is s, or StartFirst when s is unset (apps from before strategies).
func (s Strategy) Or() Strategy {
	if s == "" {
		return StartFirst
	}
	return s
}

// ParseStrategy reads a strategy's name.
func ParseStrategy(s string) (Strategy, error) {
	for _, st := range Strategies {
		if string(st) == strings.TrimSpace(s) {
			return st, nil
		}
	}
	return "", fmt.Errorf("the release strategy %q is not one of start-first, stop-first", s)
}

// HoldBound is how long a stop-first release may hold an app's requests:
// the old version's drain, the new one's start and health check, and a
// margin, at most MaxHold. A release that takes longer lets the held
// requests go on to the stopped version (they fail) rather than keep
// clients waiting without end.
func HoldBound(drain, healthDeadline time.Duration) time.Duration {
	return min(drain+healthDeadline+30*time.Second, MaxHold)
}

// MaxHold bounds any hold of an app's requests (the proxy's own bound is
// the same: proxy.MaxHold).
const MaxHold = 2 * time.Minute

// Downtime says, for a person choosing a strategy, what the app's users
// see during a release with it.
func (s Strategy) Downtime() string {
	if s.Or() == StopFirst {
		return "a short pause at each release: requests wait (held by the proxy, up to 2 minutes) while the old version stops and the new one starts and passes its health check; they are then served by the new one (or by the old one again, should the new one fail)"
	}
	return "none: the new version starts beside the old one and takes traffic once healthy; both run at once for a moment, on the same volumes"
}
