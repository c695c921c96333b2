package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// DomainView is one of an app's domains. Primary is the first, the one
// its URL uses.
type DomainView struct {
	Host    string `json:"host"`
	Primary bool   `json:"primary"`
	URL     string `json:"url"`
}

// ListDomains returns an app's domains, the primary first.
func (s *Apps) ListDomains(ctx context.Context, name string) ([]DomainView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermRead)
	if err != nil {
		return nil, err
	}
	return s.domainsOf(app), nil
}

func (s *core) domainsOf(app *schema.App) []DomainView {
	out := make([]DomainView, 0, len(app.Domains))
	for i, d := range app.Domains {
		out = append(out, DomainView{Host: d, Primary: i == 0, URL: s.appURL(d)})
	}
	return out
}

// AddDomain gives an app one more domain (normalized: a URL is its
// host); the running app answers to it at once, without a deploy. The
// checks are UpdateApp's: a full DNS name, no other app's, not under the
// preview domain.
func (s *Apps) AddDomain(ctx context.Context, name, host string) ([]DomainView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermEditApp)
	if err != nil {
		return nil, err
	}
	h := release.NormalizeDomain(host)
	if err := release.CheckDomain(h); err != nil {
		return nil, &ValidationError{Fields: map[string]string{"host": err.Error()}}
	}
	if slices.Contains(app.Domains, h) {
		return nil, &ValidationError{Fields: map[string]string{"host": fmt.Sprintf("%s is already a domain of %s", h, app.Name)}}
	}
	domains := append(slices.Clone(app.Domains), h)
	v, err := s.UpdateApp(ctx, name, AppInput{Domains: &domains})
	if err != nil {
		return nil, err
	}
	return s.domainsOf(&schema.App{Domains: v.Domains}), nil
}

// RemoveDomain takes a domain from an app (the last one stays: the proxy
// routes by Host); the running app stops answering to it at once. Taking
// a domain from an app whose deploys need approval takes the policy
// permission (UpdateApp).
func (s *Apps) RemoveDomain(ctx context.Context, name, host string) ([]DomainView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermEditApp)
	if err != nil {
		return nil, err
	}
	h := release.NormalizeDomain(host)
	i := slices.Index(app.Domains, h)
	switch {
	case i < 0:
		return nil, fmt.Errorf("%s is not a domain of %s: %w", h, app.Name, schema.ErrNotFound)
	case len(app.Domains) == 1:
		return nil, stateErr("%s is the only domain of %s; add another first (rivetr domains add %s HOST), or delete the app", h, app.Name, app.Name)
	}
	domains := slices.Delete(slices.Clone(app.Domains), i, i+1)
	v, err := s.UpdateApp(ctx, name, AppInput{Domains: &domains})
	if err != nil {
		return nil, err
	}
	return s.domainsOf(&schema.App{Domains: v.Domains}), nil
}

// applyDomains makes the app's running route answer to its domains now
// (DomainsWorkflow on its host), waiting a little for it. When the host
// does not answer in time, each host's route reconciliation still
// converges within seconds; the change is in the store either way.
func (s *core) applyDomains(ctx context.Context, app *schema.App) {
	now := time.Now()
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    workflows.DomainsID(app.Name, now),
		TaskQueue:             workflows.TaskQueue,
		TypedSearchAttributes: appAttrs(app.Name, "domains", ""),
	}, workflows.DomainsWorkflow, workflows.DomainsInput{AppID: app.ID, App: app.Name, HostQueue: hostQueue(app)})
	if err == nil {
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err = run.Get(wctx, nil)
		cancel()
	}
	if err != nil {
		s.log.Warn("the app's route did not take its new domains yet; the host's reconciliation will", "app", app.Name, "err", err)
	}
}
