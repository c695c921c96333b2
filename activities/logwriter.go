package activities

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/rivetr/rivetr/schema"
)

// logStore is where a logWriter writes.
type logStore interface {
	AppendLogs(ctx context.Context, lines []schema.LogLine) error
}

// logWriter batches a deployment's log lines into the store: at most every
// flushEvery, or when maxBatch lines are waiting. Lines are written even
// after the activity is cancelled, so a cancelled build's output survives.
type logWriter struct {
	store  logStore
	id     string
	stream string

	mu      sync.Mutex
	buf     []schema.LogLine
	flushMu sync.Mutex // orders batches, so line IDs follow line order
	done    chan struct{}
	wg      sync.WaitGroup
	close   sync.Once
}

const (
	flushEvery = 250 * time.Millisecond
	maxBatch   = 200
	// maxLine keeps one runaway line (a minified bundle, a progress bar)
	// from bloating the log table.
	maxLine = 4096
)

func newLogWriter(store logStore, deploymentID, stream string) *logWriter {
	w := &logWriter{store: store, id: deploymentID, stream: stream, done: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(flushEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				w.flush()
			case <-w.done:
				return
			}
		}
	}()
	return w
}

// Line appends one line.
func (w *logWriter) Line(text string) {
	if len(text) > maxLine {
		text = text[:maxLine] + " …(truncated)"
	}
	w.mu.Lock()
	w.buf = append(w.buf, schema.LogLine{DeploymentID: w.id, Time: time.Now().UTC(), Stream: w.stream, Text: text})
	full := len(w.buf) >= maxBatch
	w.mu.Unlock()
	if full {
		w.flush()
	}
}

func (w *logWriter) flush() {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	lines := w.buf
	w.buf = nil
	w.mu.Unlock()
	if len(lines) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = w.store.AppendLogs(ctx, lines)
}

// Close flushes what is left and stops the writer.
func (w *logWriter) Close() {
	w.close.Do(func() {
		close(w.done)
		w.wg.Wait()
		w.flush()
	})
}

// heartbeat records an activity heartbeat every interval until stopped, so a
// long step (a build) is seen alive and learns of cancellation.
func heartbeat(ctx context.Context, every time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}
