package api

import (
	"encoding/json"
	"testing"
)

// mustUnmarshal decodes JSON into v or fails the test: an answer that does
// not decode is a failure, never an empty value to assert on.
func mustUnmarshal(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("not the JSON expected (%T): %v\n%s", v, err, b)
	}
}
