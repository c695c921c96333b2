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

func TestFreezeOccurrences(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Nightly 01:00–03:00 UTC; from 02:00 on the 1st, for three days.
	nightly := FreezeWindow{Cron: "0 1 * * *", Duration: Duration(2 * time.Hour), TZ: "UTC"}
	got := nightly.Occurrences(at("2026-12-01T02:00:00Z"), at("2026-12-04T02:00:00Z"), 10)
	want := []string{"2026-12-01T01:00:00Z", "2026-12-02T01:00:00Z", "2026-12-03T01:00:00Z", "2026-12-04T01:00:00Z"}
	if len(got) != len(want) {
		t.Fatalf("occurrences %v", got)
	}
	for i, o := range got {
		if !o.Start.Equal(at(want[i])) || o.End.Sub(o.Start) != 2*time.Hour {
			t.Errorf("occurrence %d: %v – %v, want start %s", i, o.Start, o.End, want[i])
		}
	}
	if got := nightly.Occurrences(at("2026-12-01T04:00:00Z"), at("2026-12-31T00:00:00Z"), 3); len(got) != 3 {
		t.Errorf("the limit: %d occurrences", len(got))
	}
	start, end := at("2026-12-24T00:00:00Z"), at("2026-12-27T00:00:00Z")
	once := FreezeWindow{Start: &start, End: &end}
	if got := once.Occurrences(at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), 10); len(got) != 1 || !got[0].Start.Equal(start) {
		t.Errorf("one-off: %v", got)
	}
	if got := once.Occurrences(at("2026-12-01T00:00:00Z"), at("2026-12-20T00:00:00Z"), 10); len(got) != 0 {
		t.Errorf("one-off beyond the range: %v", got)
	}
	if got := once.Occurrences(at("2026-12-28T00:00:00Z"), at("2027-01-20T00:00:00Z"), 10); len(got) != 0 {
		t.Errorf("one-off in the past: %v", got)
	}
}
