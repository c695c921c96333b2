package schema

import (
	"testing"
	"time"
)

func TestFreezeWindows(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	start, end := at("2026-12-24T00:00:00Z"), at("2026-12-27T00:00:00Z")
	once := FreezeWindow{Start: &start, End: &end}
	if ok, _ := once.ActiveAt(at("2026-12-23T23:59:59Z")); ok {
		t.Error("active before its start")
	}
	if ok, until := once.ActiveAt(at("2026-12-25T12:00:00Z")); !ok || !until.Equal(end) {
		t.Errorf("during: %v %s", ok, until)
	}
	if ok, _ := once.ActiveAt(end); ok {
		t.Error("active at its end")
	}
	// Every Friday 18:00 in Berlin, for the weekend (62 h).
	weekly := FreezeWindow{Cron: "0 18 * * FRI", Duration: Duration(62 * time.Hour), TZ: "Europe/Berlin"}
	for _, tc := range []struct {
		t     string
		on    bool
		until string
	}{
		{"2026-12-04T16:59:00Z", false, ""},                    // Fri 17:59 Berlin
		{"2026-12-04T17:00:00Z", true, "2026-12-07T07:00:00Z"}, // Fri 18:00 Berlin
		{"2026-12-06T23:00:00Z", true, "2026-12-07T07:00:00Z"}, // Sunday night
		{"2026-12-07T07:00:00Z", false, ""},                    // Mon 08:00 Berlin
		{"2026-12-09T12:00:00Z", false, ""},                    // Wednesday
	} {
		on, until := weekly.ActiveAt(at(tc.t))
		if on != tc.on || (on && !until.Equal(at(tc.until))) {
			t.Errorf("%s: %v until %s, want %v until %s", tc.t, on, until.UTC(), tc.on, tc.until)
		}
	}
	s, e, ok := weekly.NextAfter(at("2026-12-09T12:00:00Z"))
	if !ok || !s.Equal(at("2026-12-11T17:00:00Z")) || !e.Equal(at("2026-12-14T07:00:00Z")) {
		t.Errorf("next: %s – %s", s.UTC(), e.UTC())
	}
	if _, _, err := ParseCron("not cron", "UTC"); err == nil {
		t.Error("a bad cron parsed")
	}
	if _, _, err := ParseCron("0 18 * * FRI", "Mars/Olympus"); err == nil {
		t.Error("a bad time zone parsed")
	}
}
