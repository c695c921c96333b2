package release

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time.Duration stored as milliseconds and written in JSON as a
// Go duration string ("1s", "250ms"): the settings users give in durations.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string such as "1s" or a number of milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var ms int64
		if err2 := json.Unmarshal(b, &ms); err2 != nil {
			return fmt.Errorf("duration must be a string like \"5s\" or milliseconds: %w", err)
		}
		*d = Duration(time.Duration(ms) * time.Millisecond)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Value stores d as milliseconds.
func (d Duration) Value() (driver.Value, error) { return time.Duration(d).Milliseconds(), nil }

// Scan reads milliseconds.
func (d *Duration) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		*d = Duration(time.Duration(x) * time.Millisecond)
	case nil:
		*d = 0
	default:
		return fmt.Errorf("release: cannot scan %T into Duration", v)
	}
	return nil
}
