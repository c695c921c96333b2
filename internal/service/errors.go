package service

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/rivetr/rivetr/schema"
)

// Kind says what sort of failure an error is. Transports map a kind to
// their own answer (an HTTP status and code, a dashboard message) in one
// place each.
type Kind string

// The kinds of failure.
const (
	KindInvalid      Kind = "invalid"       // the request is wrong (Fields says where)
	KindNotFound     Kind = "not_found"     // no such thing (or not visible to the caller)
	KindConflict     Kind = "conflict"      // it exists already
	KindState        Kind = "invalid_state" // not possible in the current state
	KindSource       Kind = "source_error"  // the app's repository could not be read
	KindUnavailable  Kind = "unavailable"   // a dependency (Temporal, Docker) is down
	KindNoSpace      Kind = "no_space"      // the data disk is full
	KindUnauthorized Kind = "unauthorized"  // no valid credentials
	KindForbidden    Kind = "forbidden"     // signed in, but the role does not allow it
	KindTooLarge     Kind = "too_large"     // an upload beyond its limits
	KindSignature    Kind = "bad_signature" // a webhook delivery not signed with the app's secret
	KindCanceled     Kind = "canceled"      // the caller went away
	KindInternal     Kind = "internal"      // a bug or an unexpected failure: see the server log
)

// Error is a failure the service reports to a person: its kind, and a
// message that says what happened and, where it can, what to do.
type Error struct {
	Kind    Kind
	Message string
	// Fields says, field by field, what is wrong with a request
	// (KindInvalid).
	Fields map[string]string
}

func (e *Error) Error() string { return e.Message }

// Is makes errors.Is(err, ErrForbidden) and the other sentinels true for
// an Error of their kind.
func (e *Error) Is(target error) bool { return target != nil && sentinels[e.Kind] == target }

// errorf makes an Error of kind k.
func errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Sentinels, for errors.Is. Errors of the service's own are *Error values
// that match them; store errors (schema.ErrNotFound, schema.ErrConflict)
// pass through unchanged.
var (
	ErrInvalid = errors.New("invalid request")
	// ErrSource means the app's repository could not be read (bad URL,
	// branch, commit, or credentials).
	ErrSource = errors.New("source unavailable")
	// ErrUnavailable means a dependency (Temporal, Docker) is down; trying
	// again later may work.
	ErrUnavailable = errors.New("service unavailable")
	// ErrState means the request does not fit the current state (cancel a
	// finished deployment, roll back an app that never deployed).
	ErrState = errors.New("not possible now")
	// ErrUnauthorized means no valid token was presented.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden means the caller is signed in but their role does not
	// allow the action.
	ErrForbidden = errors.New("forbidden")
	ErrNotFound  = schema.ErrNotFound
	ErrConflict  = schema.ErrConflict
)

var sentinels = map[Kind]error{
	KindInvalid: ErrInvalid, KindSource: ErrSource, KindUnavailable: ErrUnavailable, KindState: ErrState,
	KindUnauthorized: ErrUnauthorized, KindForbidden: ErrForbidden, KindNotFound: ErrNotFound, KindConflict: ErrConflict,
	KindTooLarge: ErrTooLarge, KindSignature: ErrWebhookSignature, KindNoSpace: schema.ErrNoSpace,
}

// Classify returns err as an Error: the service's own (with the context
// it was wrapped in), a validation error with its fields, or one a store
// or runtime sentinel maps to. Anything else is KindInternal, its message
// for the server log only.
func Classify(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return &Error{Kind: e.Kind, Message: err.Error(), Fields: e.Fields}
	}
	var verr *ValidationError
	if errors.As(err, &verr) {
		return &Error{Kind: KindInvalid, Message: verr.Error(), Fields: verr.Fields}
	}
	for _, k := range []Kind{KindInvalid, KindNotFound, KindConflict, KindState, KindSource, KindUnavailable, KindNoSpace,
		KindUnauthorized, KindForbidden, KindTooLarge, KindSignature} {
		if errors.Is(err, sentinels[k]) {
			return &Error{Kind: k, Message: err.Error()}
		}
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Kind: KindCanceled, Message: err.Error()}
	}
	return &Error{Kind: KindInternal, Message: err.Error()}
}

// ValidationError lists what is wrong with a request, field by field.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

type fieldErrors map[string]string

func (f fieldErrors) add(field, format string, args ...any) {
	if _, ok := f[field]; !ok {
		f[field] = fmt.Sprintf(format, args...)
	}
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &ValidationError{Fields: f}
}

// stateErr builds a KindState error with a message for a person.
func stateErr(format string, args ...any) error {
	return errorf(KindState, format, args...)
}
