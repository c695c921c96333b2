package release

import (
	"sort"
	"strings"
	"time"
)

// BackupItem is a backup, as the retention planner sees it.
type BackupItem struct {
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
func (r Retention) Plan(items []BackupItem, now time.Time) []string {
	if r.KeepLast <= 0 && r.KeepDays <= 0 {
		return nil
	}
	var good []BackupItem
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

// Release is a deployment that served (succeeded or rolled back), as the
// image planner sees it.
type Release struct {
	ID    string
	Image string
}

// Image is an image of an app on a Docker host.
type Image struct {
	ID   string
	Tags []string
}

// ImagePrune plans which of an app's images to remove after a release.
type ImagePrune struct {
	// Keep is how many images of the newest releases to keep for
	// rollbacks.
	Keep int
	// Serving is the deployment serving now: its image is always kept.
	Serving string
	// Current is the release that just finished: images of deployments as
	// new as it or newer (a build in progress) are never removed.
	Current string
}

// Plan returns the references (a tag, or the ID of an untagged image) of
// the images to remove. releases are the app's releases newest first.
func (p ImagePrune) Plan(releases []Release, images []Image) []string {
	keep := map[string]bool{}
	for _, d := range releases {
		if d.ID == p.Serving && d.Image != "" {
			keep[d.Image] = true
		}
	}
	for _, d := range releases {
		if len(keep) >= p.Keep && !keep[d.Image] {
			break
		}
		if d.Image != "" {
			keep[d.Image] = true
		}
	}
	var out []string
	for _, img := range images {
		kept := false
		for _, t := range img.Tags {
			_, tag, _ := strings.Cut(t, ":")
			kept = kept || keep[t] || tag >= p.Current
		}
		if kept {
			continue
		}
		ref := img.ID
		if len(img.Tags) > 0 {
			ref = img.Tags[0]
		}
		out = append(out, ref)
	}
	return out
}
