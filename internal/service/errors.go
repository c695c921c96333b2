// Package service holds Rivetr's business rules: creating and validating
// apps, starting, cancelling and rolling back deployments, reading logs. The
// API and the dashboard both call it; neither holds a rule of its own.
package service

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/rivetr/rivetr/schema"
)

// Errors the transport layers map to statuses. Store errors (schema.ErrNotFound,
// schema.ErrConflict) pass through unchanged.
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
	ErrNotFound     = schema.ErrNotFound
	ErrConflict     = schema.ErrConflict
)

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

// stateErr builds an ErrState error with a message for a person.
func stateErr(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrState)
}
