package service

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rivetr/rivetr/schema"
)

// Classify gives each failure its kind and a message with no sentinel
// text to strip, whatever context it was wrapped in.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		kind Kind
		msg  string
	}{
		{errorf(KindForbidden, "your role is viewer"), KindForbidden, "your role is viewer"},
		{fmt.Errorf("deploy web: %w", stateErr("deployment d1 is %s", "succeeded")), KindState, "deploy web: deployment d1 is succeeded"},
		{&ValidationError{Fields: map[string]string{"port": "must be 1-65535"}}, KindInvalid, "port: must be 1-65535"},
		{fmt.Errorf("app web: %w", schema.ErrNotFound), KindNotFound, "app web: not found"},
		{fmt.Errorf("app web: %w", schema.ErrConflict), KindConflict, "app web: already exists"},
		{&schema.InUseError{Reason: "team still owns 2 apps"}, KindConflict, "team still owns 2 apps: already exists"},
		{fmt.Errorf("start: %w: dial tcp: refused", ErrUnavailable), KindUnavailable, "start: service unavailable: dial tcp: refused"},
		{fmt.Errorf("write: %w", schema.ErrNoSpace), KindNoSpace, "write: no space left on the database's disk"},
		{ErrUnauthorized, KindUnauthorized, "unauthorized"},
		{fmt.Errorf("read: %w", context.Canceled), KindCanceled, "read: context canceled"},
		{errors.New("boom"), KindInternal, "boom"},
	} {
		e := Classify(tc.err)
		if e.Kind != tc.kind || e.Message != tc.msg {
			t.Errorf("%v: %s %q, want %s %q", tc.err, e.Kind, e.Message, tc.kind, tc.msg)
		}
		if s := sentinels[tc.kind]; s != nil && !errors.Is(tc.err, s) {
			t.Errorf("%v is not %v", tc.err, s)
		}
	}
	if e := Classify(&ValidationError{Fields: map[string]string{"a": "b"}}); e.Fields["a"] != "b" {
		t.Errorf("fields lost: %+v", e)
	}
}
