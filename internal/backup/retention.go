package backup

import (
	"sort"
	"time"
)

// Item is a backup, as the retention planner sees it.
type Item struct {
	ID   string
	Time time.Time
	// OK is a verified backup; failed ones hold no data and are never
	// planned for deletion.
	OK bool
}

// Retention keeps the newest KeepLast good backups and those younger than
// KeepDays days; a backup either rule keeps is kept. Zero turns a rule
// off; with both off everything is kept.
type Retention struct {
	KeepLast int
	KeepDays int
}

// Plan returns the IDs of the good backups to delete at now, oldest
// first. Whatever the rules say, the newest good backup is never deleted:
// a database always keeps one backup it can be restored from.
func (r Retention) Plan(items []Item, now time.Time) []string {
	if r.KeepLast <= 0 && r.KeepDays <= 0 {
		return nil
	}
	var good []Item
	for _, it := range items {
		if it.OK {
			good = append(good, it)
		}
	}
	// Newest first; ties by ID, so the plan does not depend on the order
	// given.
	sort.SliceStable(good, func(i, j int) bool {
		if !good[i].Time.Equal(good[j].Time) {
			return good[i].Time.After(good[j].Time)
		}
		return good[i].ID > good[j].ID
	})
	var drop []string
	for i, it := range good {
		keep := i == 0 ||
			(r.KeepLast > 0 && i < r.KeepLast) ||
			(r.KeepDays > 0 && now.Sub(it.Time) < time.Duration(r.KeepDays)*24*time.Hour)
		if !keep {
			drop = append(drop, it.ID)
		}
	}
	// Oldest first.
	for i, j := 0, len(drop)-1; i < j; i, j = i+1, j-1 {
		drop[i], drop[j] = drop[j], drop[i]
	}
	return drop
}
