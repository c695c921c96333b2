package activities

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// The stop-first release's own steps (see release.StopFirst): the old
// version stops before the new one starts, with the proxy holding the
// app's requests meanwhile; should the new one fail, the old one is
// started again and the held requests go to it. Each step is safe to
// retry: holding a held app extends its bound, stopping a stopped
// container and starting a running one do nothing.

// stopGrace is how long the serving container has to exit after SIGTERM.
const stopGrace = 10 * time.Second

// StopServing holds the app's new requests, lets those on the serving
// version finish (up to in.Drain; the rest are cut off) and stops its
// container, keeping it for a restart. An app nothing serves has nothing
// to stop.
func (h *Host) StopServing(ctx context.Context, in StopServingInput) (*Stopped, error) {
	stop := heartbeat(ctx, 3*time.Second)
	defer stop()
	app, err := h.Store.GetApp(ctx, in.AppID)
	if err != nil {
		return nil, gone(err)
	}
	if app.CurrentDeploymentID == "" || app.CurrentDeploymentID == in.DeploymentID {
		return &Stopped{}, nil
	}
	prev, err := h.Store.GetDeployment(ctx, app.CurrentDeploymentID)
	if errors.Is(err, schema.ErrNotFound) || err == nil && prev.ContainerID == "" {
		return &Stopped{}, nil
	} else if err != nil {
		return nil, err
	}
	log := newLogWriter(h.Store, in.DeploymentID, "system")
	defer log.Close()
	if err := h.Router.Hold(ctx, in.App, in.Hold); err != nil {
		return nil, fmt.Errorf("holding the app's requests in the proxy: %w", err)
	}
	log.Line(fmt.Sprintf("stop-first: the proxy holds %s's new requests (up to %s) while deployment %s stops and this one starts", in.App, in.Hold, prev.ID))
	start := time.Now()
	cut, err := h.Router.Quiesce(ctx, in.App, in.Drain)
	if err != nil {
		return nil, fmt.Errorf("waiting for the requests on deployment %s: %w", prev.ID, err)
	}
	msg := fmt.Sprintf("requests on deployment %s finished in %s", prev.ID, time.Since(start).Round(time.Millisecond))
	if cut > 0 {
		msg += fmt.Sprintf("; %d still running at the %s drain timeout were cut off", cut, in.Drain)
	}
	log.Line(msg)
	switch err := h.Docker.Stop(ctx, prev.ContainerID, stopGrace); {
	case errors.Is(err, docker.ErrNotFound):
		log.Line("the container of deployment " + prev.ID + " was already gone; nothing to start again should this release fail")
		return &Stopped{Deployment: prev.ID}, nil
	case err != nil:
		return nil, err
	}
	log.Line("stopped the container of deployment " + prev.ID + " (kept until this release succeeds)")
	return &Stopped{Deployment: prev.ID, ContainerID: prev.ContainerID}, nil
}

// RestartStopped starts the version a failed stop-first release stopped
// and returns where it answers.
func (h *Host) RestartStopped(ctx context.Context, in RestartInput) (*Candidate, error) {
	app, err := h.Store.GetApp(ctx, in.AppID)
	if err != nil {
		return nil, gone(err)
	}
	network := release.TeamNetwork(h.Network, app.TeamID)
	if err := h.Docker.Start(ctx, in.Stopped.ContainerID); errors.Is(err, docker.ErrNotFound) {
		return nil, nonRetryable(ErrTypeGone, "the container of deployment %s is gone; the app serves nothing until a deploy succeeds", in.Stopped.Deployment)
	} else if err != nil {
		return nil, err
	}
	if in.Service != "" { // a stack's service the proxy does not reach
		_ = h.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system",
			Text: "started service " + in.Service + " of deployment " + in.Stopped.Deployment + " again"}})
		return &Candidate{ContainerID: in.Stopped.ContainerID}, nil
	}
	var st docker.State
	for i := 0; i < 100; i++ {
		if st, err = h.Docker.Inspect(ctx, in.Stopped.ContainerID, network); err != nil {
			return nil, err
		}
		if st.IP != "" || !st.Running {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st.IP == "" {
		return nil, nonRetryable(ErrTypeUnhealthy, "deployment %s, started again, exited (%s)%s", in.Stopped.Deployment, st.Exit(), h.lastLogs(ctx, st.ID, 20))
	}
	_ = h.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system",
		Text: "started deployment " + in.Stopped.Deployment + " again"}})
	return &Candidate{ContainerID: st.ID, URL: "http://" + net.JoinHostPort(st.IP, strconv.Itoa(app.Port))}, nil
}

// Reroute points the app's route at its restarted version's address
// (which may have changed) and lets the held requests go on; with no URL
// it only lets them go on.
func (h *Host) Reroute(ctx context.Context, in RerouteInput) error {
	if in.URL == "" {
		return h.Router.Release(ctx, in.App)
	}
	app, err := h.Store.GetApp(ctx, in.AppID)
	if err != nil {
		_ = h.Router.Release(ctx, in.App)
		return gone(err)
	}
	if _, err := h.Router.Switch(in.App, app.Domains, in.Serving, in.URL); err != nil {
		return err
	}
	h.Router.Drain(ctx, in.Serving, 0) // its old address: nothing runs there
	return h.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system",
		Text: "deployment " + in.Serving + " serves again; the held requests went to it"}})
}
