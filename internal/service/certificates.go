package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Certificate statuses.
const (
	CertValid   = "valid"   // obtained, not expired
	CertPending = "pending" // none yet: asked for at the first HTTPS request
	CertFailed  = "failed"  // the last try failed (a valid one may still serve)
	CertExpired = "expired"
)

// renewalRatio is when certmagic renews: with a third of the lifetime left.
const renewalRatio = 1.0 / 3

// CertificateView is a domain's certificate as users see it.
type CertificateView struct {
	Host   string `json:"host"`
	App    string `json:"app"`
	Status string `json:"status"`
	Issuer string `json:"issuer,omitempty"`
	// NotAfter is when it expires; RenewAfter when it is renewed (with a
	// third of its lifetime left).
	NotAfter   *time.Time `json:"not_after,omitempty"`
	RenewAfter *time.Time `json:"renew_after,omitempty"`
	LastError  string     `json:"last_error,omitempty"`
	FailedAt   *time.Time `json:"failed_at,omitempty"`
}

// ListCertificates returns the certificates of an app's domains, or of
// every app the caller may see (app "").
func (s *Apps) ListCertificates(ctx context.Context, app string) ([]CertificateView, error) {
	var apps []schema.App
	if app != "" {
		a, _, err := s.authorizeApp(ctx, app, release.PermRead)
		if err != nil {
			return nil, err
		}
		apps = []schema.App{*a}
	} else {
		ids, err := s.visibleAppIDs(ctx)
		if err != nil {
			return nil, err
		}
		all, err := s.store.ListApps(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range all {
			if ids == nil || slices.Contains(ids, a.ID) {
				apps = append(apps, a)
			}
		}
	}
	var hosts []string
	owner := map[string]string{}
	for _, a := range apps {
		for _, d := range a.Domains {
			hosts = append(hosts, d)
			owner[d] = a.Name
		}
	}
	recs, err := s.store.Certificates(ctx, hosts)
	if err != nil {
		return nil, err
	}
	byHost := map[string]schema.Certificate{}
	for _, c := range recs {
		byHost[c.Host] = c
	}
	now := time.Now()
	out := make([]CertificateView, 0, len(hosts))
	for _, h := range hosts {
		v := CertificateView{Host: h, App: owner[h], Status: CertPending}
		if c, ok := byHost[h]; ok {
			v.Issuer, v.NotAfter, v.LastError, v.FailedAt = c.Issuer, c.NotAfter, c.LastError, c.FailedAt
			switch {
			case c.NotAfter != nil && c.NotAfter.Before(now):
				v.Status = CertExpired
			case c.LastError != "":
				v.Status = CertFailed
			case c.NotAfter != nil:
				v.Status = CertValid
			}
			if c.NotBefore != nil && c.NotAfter != nil {
				life := c.NotAfter.Sub(*c.NotBefore)
				at := c.NotAfter.Add(-time.Duration(float64(life) * renewalRatio))
				v.RenewAfter = &at
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// RenewCertificate renews a domain's certificate now, through its app's
// host (RenewCertWorkflow), and returns its status afterwards. The old
// certificate serves until the new one is in.
func (s *Apps) RenewCertificate(ctx context.Context, host string) (*CertificateView, error) {
	host = release.NormalizeDomain(host)
	id, err := s.store.DomainOwner(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("%s is no app's domain: %w", host, schema.ErrNotFound)
	}
	owner, err := s.store.GetApp(ctx, id)
	if err != nil {
		return nil, err
	}
	app, _, err := s.authorizeApp(ctx, owner.Name, release.PermEditApp)
	if err != nil {
		if errors.Is(err, schema.ErrNotFound) {
			return nil, fmt.Errorf("%s is no app's domain: %w", host, schema.ErrNotFound)
		}
		return nil, err
	}
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    workflows.RenewCertID(host, time.Now()),
		TaskQueue:             workflows.TaskQueue,
		TypedSearchAttributes: appAttrs(app.Name, "renew-certificate", ""),
	}, workflows.RenewCertWorkflow, workflows.RenewCertInput{Host: host, HostQueue: hostQueue(app)})
	if err != nil {
		return nil, fmt.Errorf("start renewing %s: %w: %v", host, ErrUnavailable, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	if err := run.Get(wctx, nil); err != nil {
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) {
			return nil, stateErr("%s", appErr.Message())
		}
		return nil, fmt.Errorf("renew %s: %w", host, err)
	}
	s.audit(ctx, AuditCertRenew, app.TeamID, host, nil, map[string]any{"app": app.Name})
	certs, err := s.ListCertificates(ctx, app.Name)
	if err != nil {
		return nil, err
	}
	for _, c := range certs {
		if c.Host == host {
			return &c, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", host, schema.ErrNotFound)
}
