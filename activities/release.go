package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"go.temporal.io/sdk/activity"
)

// StartCandidate runs the deployment's container on its team's network, with
// the app's env and limits and no published port.
func (h *Host) StartCandidate(ctx context.Context, in StartInput) (*Candidate, error) {
	d, app, err := deploymentAndApp(ctx, h.Store, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	network := release.TeamNetwork(h.Network, app.TeamID)
	if err := h.Docker.EnsureNetwork(ctx, network); err != nil {
		return nil, err
	}
	env, err := h.envOf(ctx, d, app)
	if err != nil {
		return nil, err
	}
	mounts, err := h.appVolumes(ctx, app)
	if err != nil {
		return nil, err
	}
	id, err := h.Docker.Run(ctx, docker.RunSpec{
		Name:  release.ContainerName(app.Name, d.ID),
		Image: in.Image,
		Env:   env,
		Labels: map[string]string{
			docker.LabelManaged: "true", docker.LabelApp: app.Name, docker.LabelDeployment: d.ID,
			docker.LabelTeam: app.TeamID, docker.LabelNetwork: network, docker.LabelInstance: h.Instance,
		},
		Network:  network,
		MemoryMB: app.MemoryLimitMB,
		CPUs:     app.CPULimit,
		Confined: true,
		Mounts:   mounts,
	})
	if err != nil {
		if errors.Is(err, docker.ErrNotFound) {
			return nil, nonRetryable(ErrTypeImageMissing, "image %s no longer exists (it was pruned; raise the app's keep_images to keep more)", in.Image)
		}
		return nil, err
	}
	if err := h.Store.UpdateDeployment(ctx, d.ID, schema.DeploymentUpdate{ContainerID: id}); err != nil {
		return nil, gone(err)
	}
	// A container gets its address as it starts; wait a moment for it.
	var st docker.State
	for i := 0; i < 50; i++ {
		if st, err = h.Docker.Inspect(ctx, id, network); err != nil {
			return nil, err
		}
		if st.IP != "" || !st.Running {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st.IP == "" {
		lines := h.lastLogs(ctx, id, 20)
		return nil, nonRetryable(ErrTypeUnhealthy, "container exited at start (%s)%s", st.Exit(), lines)
	}
	return &Candidate{ContainerID: id, URL: "http://" + net.JoinHostPort(st.IP, strconv.Itoa(app.Port))}, nil
}

type healthProgress struct {
	Deadline time.Time
}

// HealthCheck polls the candidate over HTTP until it answers 2xx or 3xx,
// and fails when the container exits or the deadline passes. The deadline
// is fixed by the first attempt (kept in heartbeat details), so a retry after
// a crash does not grant a sick candidate more time.
func (h *Host) HealthCheck(ctx context.Context, in HealthInput) error {
	var prog healthProgress
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &prog)
	}
	if prog.Deadline.IsZero() {
		prog.Deadline = time.Now().Add(in.Deadline)
	}
	log := newLogWriter(h.Store, in.DeploymentID, "system")
	defer log.Close()
	client := &http.Client{
		Timeout:       in.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{DisableKeepAlives: true},
	}
	url := in.Candidate.URL + in.Path
	// The probe names the app's first domain, as the proxy's requests
	// do: apps that check the Host header (Django's ALLOWED_HOSTS,
	// Nextcloud's trusted domains) refuse any other.
	host := in.Host
	if _, app, err := deploymentAndApp(ctx, h.Store, in.DeploymentID); err == nil && host == "" {
		if main := app.MainDomains(); len(main) > 0 {
			host = main[0]
		}
	}
	log.Line(fmt.Sprintf("health check: GET %s, probing from 10ms apart up to every %s (timeout %s, deadline %s)", in.Path, in.Interval, in.Timeout, in.Deadline))
	start := time.Now()
	last := ""
	// A path that answers the same client error again and again is the
	// wrong path (or the app refuses the probe), not an app still
	// starting: fail within seconds, not at the deadline.
	steady, steadySince := 0, time.Time{}
	for attempt := 1; ; attempt++ {
		activity.RecordHeartbeat(ctx, prog)
		st, err := h.Docker.Inspect(ctx, in.Candidate.ContainerID, "")
		if errors.Is(err, docker.ErrNotFound) {
			return nonRetryable(ErrTypeUnhealthy, "the new container disappeared during its health check")
		} else if err != nil {
			return err
		}
		if !st.Running {
			reason := fmt.Sprintf("the new container stopped during its health check (%s)%s", st.Exit(), h.lastLogs(ctx, st.ID, 20))
			log.Line(reason)
			return nonRetryable(ErrTypeUnhealthy, "%s", reason)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if host != "" {
			req.Host = host
			req.Header.Set("X-Forwarded-Host", host)
			req.Header.Set("X-Forwarded-Proto", "https")
		}
		res, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
			res.Body.Close()
			if res.StatusCode >= 200 && res.StatusCode < 400 {
				log.Line(fmt.Sprintf("healthy: GET %s answered %d after %s (attempt %d)", in.Path, res.StatusCode, time.Since(start).Round(time.Millisecond), attempt))
				return nil
			}
			last = fmt.Sprintf("answered %d", res.StatusCode)
			if steadyClientError(res.StatusCode) && res.StatusCode == steady {
				if time.Since(steadySince) >= steadyFor && attempt >= 5 {
					reason := fmt.Sprintf("GET %s answers %d: is --health-path right? The app answered %d to every probe for %s; set the path it serves with `rivetr apps update APP --health-path PATH`%s",
						in.Path, res.StatusCode, res.StatusCode, time.Since(steadySince).Round(100*time.Millisecond), h.lastLogs(ctx, st.ID, 20))
					log.Line(reason)
					return nonRetryable(ErrTypeUnhealthy, "%s", reason)
				}
			} else {
				steady, steadySince = 0, time.Time{}
				if steadyClientError(res.StatusCode) {
					steady, steadySince = res.StatusCode, time.Now()
				}
			}
		} else {
			steady, steadySince = 0, time.Time{}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			last = shortNetErr(err)
		}
		if attempt == 1 || attempt%5 == 0 {
			log.Line(fmt.Sprintf("not healthy yet: GET %s %s", in.Path, last))
		}
		if time.Now().Add(probeWait(attempt, in.Interval)).After(prog.Deadline) {
			reason := fmt.Sprintf("health check failed: GET %s %s; no healthy answer within %s%s", in.Path, last, in.Deadline, h.lastLogs(ctx, st.ID, 20))
			log.Line(reason)
			return nonRetryable(ErrTypeUnhealthy, "%s", reason)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(probeWait(attempt, in.Interval)):
		}
	}
}

// steadyFor is how long a health path may answer one client error before
// the check gives up on it.
const steadyFor = 3 * time.Second

// steadyClientError reports whether code says the request itself is wrong
// (404, 401, 405, …), unlike 408, 425 and 429, which an app still starting
// or busy may answer.
func steadyClientError(code int) bool {
	return code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooEarly && code != http.StatusTooManyRequests
}

// probeWait is the pause after a failed probe: 10ms, doubling up to the
// configured interval, so a fast-starting app is found healthy at once
// without probing a slow one more often than asked.
func probeWait(attempt int, interval time.Duration) time.Duration {
	d := 10 * time.Millisecond
	for i := 1; i < attempt && d < interval; i++ {
		d *= 2
	}
	return min(d, interval)
}

func shortNetErr(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return "failed: " + msg
}

// Switch points the app's domains at the deployment's container and records
// it as the app's current deployment.
func (h *Host) Switch(ctx context.Context, in SwitchInput) (*SwitchResult, error) {
	app, err := h.Store.GetApp(ctx, in.AppID)
	if err != nil {
		return nil, gone(err)
	}
	if in.Service != "" {
		return h.switchRoute(ctx, app, in)
	}
	// The app's domains now, not when the deploy began: a domain added
	// or removed meanwhile is not undone by the switch.
	prev, err := h.Router.Switch(in.App, app.MainDomains(), in.DeploymentID, in.URL)
	if err != nil {
		return nil, err
	}
	h.dropStaleRoutes(ctx, app)
	if prev == "" && app.CurrentDeploymentID != in.DeploymentID {
		// The proxy may have restarted with a lost table; the store knows.
		prev = app.CurrentDeploymentID
	}
	if err := h.Store.SetCurrentDeployment(ctx, in.AppID, in.DeploymentID); err != nil {
		return nil, gone(err)
	}
	msg := "traffic switched to this deployment"
	if prev != "" {
		msg += " from " + prev
	}
	_ = h.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system", Text: msg}})
	return &SwitchResult{Previous: prev}, nil
}

// switchRoute points a stack route's hosts (those of the app's domains
// the app routes to in.Service) at the deployment's container of it.
func (h *Host) switchRoute(ctx context.Context, app *schema.App, in SwitchInput) (*SwitchResult, error) {
	hosts := routeHosts(app, in.Service)
	prev, err := h.Router.Switch(release.RouteKey(app.Name, in.Service), hosts, release.RouteDeployment(in.DeploymentID, in.Service), in.URL)
	if err != nil {
		return nil, err
	}
	_ = h.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system",
		Text: fmt.Sprintf("traffic of %s switched to service %s of this deployment", strings.Join(hosts, ", "), in.Service)}})
	return &SwitchResult{Previous: prev}, nil
}

// routeHosts are the app's domains routed to service.
func routeHosts(app *schema.App, service string) []string {
	var out []string
	for _, d := range release.RouteHosts(app.StackRoutes, service) {
		if slices.Contains(app.Domains, d) {
			out = append(out, d)
		}
	}
	return out
}

// dropStaleRoutes removes the proxy's routes of the app's services that
// no stack route goes to any more (their hosts now the app's own), their
// in-flight requests given a few seconds (the switch's step is short).
func (h *Host) dropStaleRoutes(ctx context.Context, app *schema.App) {
	for _, rt := range h.Router.Routes() {
		name, svc := release.SplitRouteKey(rt.App)
		if name != app.Name || svc == "" || len(routeHosts(app, svc)) > 0 {
			continue
		}
		if prev, err := h.Router.Remove(rt.App); err == nil && prev != "" {
			h.Router.Drain(ctx, prev, min(app.DrainTimeout.D(), 5*time.Second))
		}
	}
}

// Drain waits for the previous target's in-flight requests to finish (up
// to the app's drain timeout) and cuts off the rest.
func (h *Host) Drain(ctx context.Context, in DrainInput) error {
	if in.Previous == "" {
		return nil
	}
	stop := heartbeat(ctx, 3*time.Second)
	defer stop()
	start := time.Now()
	cut := h.Router.Drain(ctx, in.Previous, in.Timeout)
	msg := fmt.Sprintf("drained %s in %s", in.Previous, time.Since(start).Round(time.Millisecond))
	if cut > 0 {
		msg += fmt.Sprintf("; %d requests still running at the %s deadline were cut off", cut, in.Timeout)
	}
	return h.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system", Text: msg}})
}

// ApplyDomains points the app's running route at its domains in the
// store, so a domain change takes effect without a deploy. An app with no
// route yet (it never served) is left alone: its first switch takes them.
func (h *Host) ApplyDomains(ctx context.Context, in DomainsInput) error {
	app, err := h.Store.GetApp(ctx, in.AppID)
	if err != nil {
		return gone(err)
	}
	if _, err = h.Router.SetDomains(app.Name, app.MainDomains()); err != nil {
		return err
	}
	for _, r := range release.RoutedServices(app.StackRoutes) {
		if _, err := h.Router.SetDomains(release.RouteKey(app.Name, r.Service), routeHosts(app, r.Service)); err != nil {
			return err
		}
	}
	return nil
}

// RenewCertificate renews a domain's certificate now (forced: before its
// renewal time), through this host's proxy; connections keep being served
// meanwhile, and new handshakes get the new certificate.
func (h *Host) RenewCertificate(ctx context.Context, in CertInput) error {
	if h.Certs == nil {
		return nonRetryable(ErrTypeCertificate, "this host's proxy serves no HTTPS (start it with --https-addr)")
	}
	if err := h.Certs.Renew(ctx, in.Host); err != nil {
		return nonRetryable(ErrTypeCertificate, "renewing the certificate of %s failed: %v", in.Host, err)
	}
	return nil
}

// appVolumes makes sure each of app's volumes exists on this host and
// returns them as mounts. The volumes are the app's now, not the
// release's: a rollback runs the older image with today's data. A volume
// of that name another installation or another app (by ID) made is never
// mounted.
func (h *Host) appVolumes(ctx context.Context, app *schema.App) ([]docker.VolumeMount, error) {
	vs, err := h.Store.ListVolumes(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	mounts := make([]docker.VolumeMount, 0, len(vs))
	for _, v := range vs {
		name := release.AppVolume(app.ID, v.Name)
		if have, ok, err := h.Docker.VolumeLabels(ctx, name); err != nil {
			return nil, err
		} else if ok && (have[docker.LabelAppID] != app.ID || !docker.Ours(have, h.Instance)) {
			return nil, nonRetryable(ErrTypeUnhealthy, "the Docker volume %s was not made for %s by this installation; it is not mounted (remove it if it is left over)", name, app.Name)
		}
		labels := map[string]string{docker.LabelManaged: "true", docker.LabelApp: app.Name, docker.LabelAppID: app.ID, docker.LabelTeam: app.TeamID, LabelVolume: v.Name}
		if h.Instance != "" {
			labels[docker.LabelInstance] = h.Instance
		}
		if err := h.Docker.EnsureVolume(ctx, name, labels); err != nil {
			return nil, err
		}
		mounts = append(mounts, docker.VolumeMount{Volume: name, Path: v.Path})
	}
	return mounts, nil
}

// LabelVolume is an app volume's own name (its Docker name adds the app's
// ID).
const LabelVolume = "rivetr.volume"
