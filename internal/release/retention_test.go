package release

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRetentionPlan(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	at := func(ago time.Duration) time.Time { return now.Add(-ago) }
	daily := []BackupItem{ // one a day, b0 today … b9 nine days ago
		{"b0", at(0), true}, {"b1", at(day), true}, {"b2", at(2 * day), true}, {"b3", at(3 * day), true}, {"b4", at(4 * day), true},
		{"b5", at(5 * day), true}, {"b6", at(6 * day), true}, {"b7", at(7 * day), true}, {"b8", at(8 * day), true}, {"b9", at(9 * day), true},
	}
	for _, tc := range []struct {
		name  string
		r     Retention
		items []BackupItem
		now   time.Time
		want  []string
	}{
		{"no rules keep everything", Retention{}, daily, now, nil},
		{"keep last 3", Retention{KeepLast: 3}, daily, now, []string{"b9", "b8", "b7", "b6", "b5", "b4", "b3"}},
		{"keep 7 days", Retention{KeepDays: 7}, daily, now, []string{"b9", "b8", "b7"}},
		// Exactly 7 days old is not younger than 7 days; a second less is.
		{"the 7-day edge", Retention{KeepDays: 7}, []BackupItem{{"new", at(0), true}, {"edge", at(7 * day), true}, {"inside", at(7*day - time.Second), true}}, now, []string{"edge"}},
		{"either rule keeps", Retention{KeepLast: 5, KeepDays: 2}, daily, now, []string{"b9", "b8", "b7", "b6", "b5"}},
		{"days keep more than last", Retention{KeepLast: 1, KeepDays: 4}, daily, now, []string{"b9", "b8", "b7", "b6", "b5", "b4"}},
		// Every good backup is older than the window: the newest one stays.
		{"never the only good one", Retention{KeepDays: 1}, []BackupItem{{"old", at(30 * day), true}, {"older", at(40 * day), true}}, now, []string{"older"}},
		{"keep last 0 with days", Retention{KeepDays: 1}, []BackupItem{{"only", at(90 * day), true}}, now, nil},
		// Failed backups are not counted as the good one kept, nor deleted.
		{"failed ones", Retention{KeepLast: 1}, []BackupItem{{"fail-new", at(0), false}, {"good", at(day), true}, {"good-old", at(2 * day), true}, {"fail-old", at(3 * day), false}}, now,
			[]string{"good-old"}},
		{"only failures", Retention{KeepLast: 1}, []BackupItem{{"f1", at(0), false}, {"f2", at(day), false}}, now, nil},
		// Same time: the order given does not matter.
		{"ties", Retention{KeepLast: 1}, []BackupItem{{"a", at(day), true}, {"b", at(day), true}}, now, []string{"a"}},
		{"ties reversed", Retention{KeepLast: 1}, []BackupItem{{"b", at(day), true}, {"a", at(day), true}}, now, []string{"a"}},
		// A backup from the future (clock skew) counts as the newest.
		{"clock skew", Retention{KeepDays: 1}, []BackupItem{{"future", now.Add(time.Hour), true}, {"old", at(3 * day), true}}, now, []string{"old"}},
	} {
		got := tc.r.Plan(tc.items, tc.now)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestImagePrune(t *testing.T) {
	t.Parallel()
	img := func(tags ...string) Image { return Image{ID: "sha-" + strings.Join(tags, ","), Tags: tags} }
	releases := []Release{{"d5", "rivetr/web:d5"}, {"d4", "rivetr/web:d4"}, {"d3", "rivetr/web:d3"}, {"d2", "rivetr/web:d2"}, {"d1", "rivetr/web:d1"}}
	images := []Image{img("rivetr/web:d1"), img("rivetr/web:d2"), img("rivetr/web:d3"), img("rivetr/web:d4"), img("rivetr/web:d5"),
		img("rivetr/web:d6"), {ID: "sha-untagged"}}
	for _, tc := range []struct {
		name string
		p    ImagePrune
		want []string
	}{
		{"keep the newest two", ImagePrune{Keep: 2, Serving: "d5", Current: "d5"},
			[]string{"rivetr/web:d1", "rivetr/web:d2", "rivetr/web:d3", "sha-untagged"}},
		// After a rollback to d2, d2 serves: it is kept beside the newest.
		{"the serving one is kept", ImagePrune{Keep: 2, Serving: "d2", Current: "d5"},
			[]string{"rivetr/web:d1", "rivetr/web:d3", "rivetr/web:d4", "sha-untagged"}},
		// d6 is being built (newer than the release that finished).
		{"newer builds are never pruned", ImagePrune{Keep: 1, Serving: "d4", Current: "d4"},
			[]string{"rivetr/web:d1", "rivetr/web:d2", "rivetr/web:d3", "sha-untagged"}},
		{"keep zero keeps the serving one", ImagePrune{Keep: 0, Serving: "d5", Current: "d5"},
			[]string{"rivetr/web:d1", "rivetr/web:d2", "rivetr/web:d3", "rivetr/web:d4", "sha-untagged"}},
	} {
		if got := tc.p.Plan(releases, images); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
