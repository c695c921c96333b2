package activities

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rivetr/rivetr/schema"
)

type memLogs struct {
	mu    sync.Mutex
	lines []schema.LogLine
}

func (m *memLogs) AppendLogs(_ context.Context, l []schema.LogLine) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lines = append(m.lines, l...)
	return nil
}

// A build printing without end (the attack: fill the disk every team's
// data is on) stores its first maxLines lines, a note of how many were
// dropped, and its last tailLines lines, in order.
func TestLogWriterBoundsALog(t *testing.T) {
	store := &memLogs{}
	w := newLogWriter(store, "d1", "build")
	total := maxLines + 3*tailLines + 17
	for i := 0; i < total; i++ {
		w.Line(fmt.Sprintf("line %d", i))
	}
	w.Close()
	got := store.lines
	if len(got) != maxLines+1+tailLines {
		t.Fatalf("%d lines stored, want %d", len(got), maxLines+1+tailLines)
	}
	if got[0].Text != "line 0" || got[maxLines-1].Text != fmt.Sprintf("line %d", maxLines-1) {
		t.Fatalf("the head: %q … %q", got[0].Text, got[maxLines-1].Text)
	}
	skipped := total - maxLines - tailLines
	if note := got[maxLines].Text; !strings.Contains(note, fmt.Sprintf("%d lines not kept", skipped)) {
		t.Fatalf("the note: %q", note)
	}
	for i, l := range got[maxLines+1:] {
		if want := fmt.Sprintf("line %d", total-tailLines+i); l.Text != want {
			t.Fatalf("tail line %d: %q, want %q", i, l.Text, want)
		}
	}
	// A short log is stored whole, with no note.
	small := &memLogs{}
	w = newLogWriter(small, "d2", "build")
	w.Line("only")
	w.Close()
	if len(small.lines) != 1 || small.lines[0].Text != "only" {
		t.Fatalf("a short log: %+v", small.lines)
	}
}
