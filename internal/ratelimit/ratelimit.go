// Package ratelimit keeps one token bucket (golang.org/x/time/rate) per key
// — a client address, an API token, an email being signed in to — and
// forgets keys that have been idle, so memory stays bounded however many
// addresses call.
package ratelimit

import (
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter limits each key to a rate with a burst.
type Limiter struct {
	rate  rate.Limit
	burst int
	idle  time.Duration
	max   int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New allows n events per per for each key, with bursts of burst. A
// non-positive n disables the limiter.
func New(n int, per time.Duration, burst int) *Limiter {
	l := &Limiter{burst: burst, idle: 10 * time.Minute, max: 100_000, buckets: map[string]*bucket{}}
	if n > 0 {
		l.rate = rate.Limit(float64(n) / per.Seconds())
	}
	if l.burst < 1 {
		l.burst = 1
	}
	return l
}

// Allow takes one event for key. When the bucket is empty it returns false
// and how long until an event would be allowed.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil || l.rate == 0 {
		return true, 0
	}
	now := time.Now()
	l.mu.Lock()
	if now.Sub(l.swept) > time.Minute || len(l.buckets) >= l.max {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	l.mu.Unlock()
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops idle buckets (a full bucket is the same as a new one) and,
// if the map is still at its cap, the oldest half.
func (l *Limiter) sweep(now time.Time) {
	l.swept = now
	for k, b := range l.buckets {
		if now.Sub(b.seen) > l.idle {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) < l.max {
		return
	}
	cut := now.Add(-l.idle / 2)
	for k, b := range l.buckets {
		if b.seen.Before(cut) || len(l.buckets) > l.max/2 {
			delete(l.buckets, k)
		}
	}
}

// RetryAfter formats a delay as a Retry-After header value: whole seconds,
// rounded up, at least 1.
func RetryAfter(d time.Duration) string {
	return strconv.Itoa(int(math.Max(1, math.Ceil(d.Seconds()))))
}

// Limits are the request limits the API and the dashboard share.
type Limits struct {
	// Login limits sign-in attempts per client address and per account.
	Login *Limiter
	// API limits API requests per client address and per token.
	API *Limiter
	// Webhook limits webhook deliveries per client address and per app.
	Webhook *Limiter
	// Streams caps the event streams and followed logs one caller holds
	// open at once (each polls the store or holds a Docker log stream).
	Streams *Concurrency
}

// DefaultStreamsPerCaller is how many streams one caller may hold open:
// enough for a dashboard in several tabs and a few `logs -f`.
const DefaultStreamsPerCaller = 16

// Concurrency counts what each key holds open. A nil *Concurrency allows
// everything.
type Concurrency struct {
	max  int
	mu   sync.Mutex
	open map[string]int
}

// NewConcurrency allows max open at once per key; 0 allows any number.
func NewConcurrency(max int) *Concurrency {
	if max <= 0 {
		return nil
	}
	return &Concurrency{max: max, open: map[string]int{}}
}

// Max is the cap per key (0: none).
func (c *Concurrency) Max() int {
	if c == nil {
		return 0
	}
	return c.max
}

// Acquire takes one slot for key; ok is false when key holds max already.
// release gives the slot back (once; later calls do nothing).
func (c *Concurrency) Acquire(key string) (release func(), ok bool) {
	if c == nil {
		return func() {}, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[key] >= c.max {
		return func() {}, false
	}
	c.open[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.open[key]--; c.open[key] <= 0 {
				delete(c.open, key)
			}
		})
	}, true
}

// NewLimits allows loginPerMinute sign-in attempts a minute (bursts of the
// same), apiPerSecond API requests a second and webhookPerSecond webhook
// deliveries a second (bursts of four times those); 0 turns a limit off.
func NewLimits(loginPerMinute, apiPerSecond, webhookPerSecond int) *Limits {
	return &Limits{
		Login:   New(loginPerMinute, time.Minute, loginPerMinute),
		API:     New(apiPerSecond, time.Second, 4*apiPerSecond),
		Webhook: New(webhookPerSecond, time.Second, 4*webhookPerSecond),
		Streams: NewConcurrency(DefaultStreamsPerCaller),
	}
}
