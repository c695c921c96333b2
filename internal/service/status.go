package service

import (
	"context"
	"syscall"
	"time"

	"github.com/rivetr/rivetr/internal/release"
)

// Status is the health of the server and its dependencies.
type Status struct {
	OK       bool   `json:"ok"`
	Database string `json:"database"`
	Temporal string `json:"temporal"`
	Docker   string `json:"docker"`
	Apps     int    `json:"apps"`
	// FrozenUntil and FrozenReason describe an instance-wide freeze in
	// force now.
	FrozenUntil  *time.Time `json:"frozen_until,omitempty"`
	FrozenReason string     `json:"frozen_reason,omitempty"`
	// Team is the team the counts are of ("" for everything visible).
	Team        string                 `json:"team,omitempty"`
	Deployments map[release.Status]int `json:"deployments,omitempty"`
	TemporalUI  string                 `json:"temporal_ui,omitempty"`
	// DiskFree and DiskTotal are the bytes of the data dir's file system.
	DiskFree  uint64 `json:"disk_free_bytes,omitempty"`
	DiskTotal uint64 `json:"disk_total_bytes,omitempty"`
}

// Health checks the database, Temporal and Docker.
func (s *Instance) Health(ctx context.Context) Status {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	st := Status{OK: true, Database: "ok", Temporal: "ok", Docker: "ok", TemporalUI: s.uiBase}
	if err := s.store.Ping(ctx); err != nil {
		st.OK, st.Database = false, err.Error()
	}
	if _, err := s.temporal.CheckHealth(ctx, nil); err != nil {
		st.OK, st.Temporal = false, err.Error()
	}
	if s.docker == nil {
		st.Docker = "not configured on this server"
	} else if err := s.docker.Ping(ctx); err != nil {
		st.OK, st.Docker = false, err.Error()
	}
	return st
}

// PublicHealth is Health for anyone who asks (GET /health, unauthenticated):
// what is down, never why (the reason goes to the server log: it names
// addresses and files an outsider should not learn).
func (s *Instance) PublicHealth(ctx context.Context) Status {
	st := s.Health(ctx)
	for name, v := range map[string]*string{"database": &st.Database, "temporal": &st.Temporal, "docker": &st.Docker} {
		if *v != "ok" && *v != "not configured on this server" {
			s.log.Warn("health check failed", "component", name, "err", *v)
			*v = "unavailable (the server log says why)"
		}
	}
	st.TemporalUI = ""
	return st
}

// Overview adds counts to Health: of the apps the caller can see, or of
// one team's apps when team is given.
func (s *Instance) Overview(ctx context.Context, team string) (Status, error) {
	st := s.Health(ctx)
	visible, err := s.visibleAppIDs(ctx)
	if err != nil {
		return st, err
	}
	if team != "" {
		t, _, err := s.authorizeTeam(ctx, team, release.PermRead)
		if err != nil {
			return st, err
		}
		apps, err := s.store.ListAppsIn(ctx, []string{t.ID})
		if err != nil {
			return st, err
		}
		visible = make([]string, 0, len(apps))
		for _, a := range apps {
			if a.TeamID == t.ID {
				visible = append(visible, a.ID)
			}
		}
		st.Team = t.Name
	}
	if visible == nil {
		apps, err := s.store.ListApps(ctx)
		if err != nil {
			return st, err
		}
		st.Apps = len(apps)
	} else {
		st.Apps = len(visible)
	}
	if s.dataDir != "" {
		var fs syscall.Statfs_t
		if err := syscall.Statfs(s.dataDir, &fs); err == nil {
			st.DiskFree = fs.Bavail * uint64(fs.Bsize)
			st.DiskTotal = fs.Blocks * uint64(fs.Bsize)
		}
	}
	if f, err := s.all.InstanceFrozen(ctx); err == nil && f != nil {
		st.FrozenUntil, st.FrozenReason = f.NextEnd, f.Reason
	}
	st.Deployments, err = s.store.CountDeploymentsByStatus(ctx, visible)
	return st, err
}
