package server

import (
	"context"
	"log/slog"
	"net"
	"strings"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/proxy"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// moveToTeamNetworks moves the containers an older Rivetr started on the
// shared network (base) onto their teams' networks, so that after an
// upgrade no container reaches another team's: each joins its team's
// network, a serving app's route switches to its address there, and only
// then it leaves base. A container whose team cannot be told (its app is
// gone) is left where it is, and so is what another installation
// sharing the engine made.
func moveToTeamNetworks(ctx context.Context, store *schema.Store, d *docker.Client, r routeTable, base, instance string, log *slog.Logger) {
	cs, err := d.Containers(ctx, map[string]string{docker.LabelManaged: "true"})
	if err != nil {
		log.Warn("cannot list containers to move them onto their teams' networks", "err", err)
		return
	}
	type move struct {
		c       docker.Container
		network string
	}
	var moves []move
	for _, c := range cs {
		if _, onBase := c.Networks[base]; !onBase || c.Labels[docker.LabelNetwork] != "" || !docker.Ours(c.Labels, instance) {
			continue
		}
		if dep := c.Labels[docker.LabelDeployment]; dep != "" {
			if _, err := store.GetDeployment(ctx, dep); err != nil {
				continue // another installation's, sharing this engine
			}
		}
		team := c.Labels[docker.LabelTeam]
		if name := c.Labels[docker.LabelApp]; team == "" && name != "" {
			if app, err := store.GetApp(ctx, name); err == nil {
				team = app.TeamID
			}
		}
		if name := c.Labels[activities.LabelDatabase]; team == "" && name != "" {
			if db, err := store.GetDatabase(ctx, name); err == nil {
				team = db.TeamID
			}
		}
		if team == "" {
			continue
		}
		network := release.TeamNetwork(base, team)
		if err := d.EnsureNetwork(ctx, network); err != nil {
			log.Warn("cannot create a team's network", "network", network, "err", err)
			continue
		}
		if err := d.Connect(ctx, network, c.ID, nil); err != nil {
			log.Warn("cannot move a container onto its team's network", "container", c.Name, "err", err)
			continue
		}
		moves = append(moves, move{c, network})
	}
	if len(moves) == 0 {
		return
	}
	routes := map[string]proxy.Route{}
	for _, rt := range r.Routes() {
		routes[rt.Deployment] = rt
	}
	for _, m := range moves {
		if rt, ok := routes[m.c.Labels[docker.LabelDeployment]]; ok && m.c.Labels[docker.LabelDeployment] != "" {
			st, err := d.Inspect(ctx, m.c.ID, m.network)
			if err != nil || st.IP == "" {
				log.Warn("a serving container has no address on its team's network; it stays on both", "container", m.c.Name, "err", err)
				continue
			}
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(rt.URL, "http://"))
			if _, err := r.Switch(rt.App, rt.Domains, rt.Deployment, "http://"+net.JoinHostPort(st.IP, port)); err != nil {
				log.Warn("cannot route to a container's address on its team's network; it stays on both", "app", rt.App, "err", err)
				continue
			}
			r.Drain(ctx, rt.Deployment, 0)
		}
		if err := d.Disconnect(ctx, base, m.c.ID); err != nil {
			log.Warn("cannot take a container off the shared network", "container", m.c.Name, "err", err)
		}
	}
	log.Info("moved containers onto their teams' networks", "containers", len(moves), "from", base)
}

// networkOf is the network a container's address is read on: the one it
// was started on, else its team's network if it is on one, else base.
func networkOf(c docker.Container, base string) string {
	if n := c.Labels[docker.LabelNetwork]; n != "" {
		return n
	}
	for n := range c.Networks {
		if strings.HasPrefix(n, base+"-") {
			return n
		}
	}
	return base
}
