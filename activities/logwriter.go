package activities

import (
	"context"
	"fmt"
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
	written int              // lines handed to buf
	tail    []schema.LogLine // past maxLines: the newest tailLines, kept for Close
	skipped int              // past maxLines: lines dropped from the middle
	flushMu sync.Mutex       // orders batches, so line IDs follow line order
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
	// maxLines bounds what one writer (a build, a health check) stores:
	// a step printing without end must not fill the disk every team's
	// data is on. Past it the middle is dropped and the last tailLines
	// are written at Close, where a failure's cause usually is.
	maxLines  = 20000
	tailLines = 2000
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
	line := schema.LogLine{DeploymentID: w.id, Time: time.Now().UTC(), Stream: w.stream, Text: text}
	w.mu.Lock()
	if w.written >= maxLines {
		if len(w.tail) < tailLines {
			w.tail = append(w.tail, line)
		} else { // a ring: the oldest kept line is at skipped % tailLines
			w.tail[w.skipped%tailLines] = line
			w.skipped++
		}
		w.mu.Unlock()
		return
	}
	w.written++
	w.buf = append(w.buf, line)
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
		w.mu.Lock()
		if w.skipped > 0 {
			w.buf = append(w.buf, schema.LogLine{DeploymentID: w.id, Time: time.Now().UTC(), Stream: w.stream,
				Text: fmt.Sprintf("… %d lines not kept: a step's log keeps its first %d and last %d lines", w.skipped, maxLines, tailLines)})
		}
		if n := len(w.tail); n > 0 {
			start := w.skipped % n // the oldest kept line
			w.buf = append(append(w.buf, w.tail[start:]...), w.tail[:start]...)
		}
		w.tail = nil
		w.mu.Unlock()
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
