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

// OwnershipChecker proves a domain this server's with its token,
// returning how (release.VerifiedBy*) or why not (edge.Ownership).
type OwnershipChecker interface {
	Check(ctx context.Context, host, token string) (string, error)
}

// DomainView is one of an app's domains. Primary is the first, the one
// its URL uses.
type DomainView struct {
	Host    string `json:"host"`
	Primary bool   `json:"primary"`
	URL     string `json:"url"`
	// RedirectTo is the domain this one sends its visitors to (308).
	RedirectTo string `json:"redirect_to,omitempty"`
	// Verified says the domain is proven this server's (the CA is asked
	// for its certificate only then), VerifiedBy how: "dns" (it resolves
	// here), "txt" (its TXT record), "zone" (a DNS zone of the server's).
	Verified   bool       `json:"verified"`
	VerifiedBy string     `json:"verified_by,omitempty"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
	// TXTName and TXTValue are the record that proves it when pointing
	// the name here is not possible (behind a CDN, before moving).
	TXTName  string `json:"txt_name"`
	TXTValue string `json:"txt_value"`
	// Problem says why it is not verified, when checked just now.
	Problem string `json:"problem,omitempty"`
}

// DomainRequest is the body of POST /api/apps/:name/domains.
type DomainRequest struct {
	Host string `json:"host"`
	// RedirectTo, when set, is another of the app's domains this one
	// redirects to (www → apex).
	RedirectTo string `json:"redirect_to,omitempty"`
}

// DomainPatch is the body of PATCH /api/apps/:name/domains/:host.
type DomainPatch struct {
	// RedirectTo is the app's domain to redirect to; "" serves the app.
	RedirectTo *string `json:"redirect_to"`
}

// ListDomains returns an app's domains, the primary first.
func (s *Apps) ListDomains(ctx context.Context, name string) ([]DomainView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermRead)
	if err != nil {
		return nil, err
	}
	return s.domainViews(ctx, app)
}

func (s *core) domainViews(ctx context.Context, app *schema.App) ([]DomainView, error) {
	rows, err := s.store.AppDomains(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	byHost := map[string]schema.Domain{}
	for _, d := range rows {
		byHost[d.Host] = d
	}
	out := make([]DomainView, 0, len(app.Domains))
	for i, h := range app.Domains {
		d := byHost[h]
		v := DomainView{Host: h, Primary: i == 0, URL: s.appURL(h), RedirectTo: d.RedirectTo,
			Verified: d.VerifiedAt != nil, VerifiedBy: d.VerifiedBy, VerifiedAt: d.VerifiedAt}
		v.TXTName, v.TXTValue = release.OwnershipRecord(h, d.Token)
		out = append(out, v)
	}
	return out, nil
}

// AddDomain gives an app one more domain (normalized: a URL is its
// host), optionally redirecting to another of its domains; the running
// app answers to it at once, without a deploy. The checks are
// UpdateApp's: a full DNS name, no other app's, not under the preview
// domain. Its ownership is checked at once (a failure is shown, not
// refused: DNS may follow).
func (s *Apps) AddDomain(ctx context.Context, name string, in DomainRequest) ([]DomainView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermEditApp)
	if err != nil {
		return nil, err
	}
	h := release.NormalizeDomain(in.Host)
	if err := release.CheckDomain(h); err != nil {
		return nil, &ValidationError{Fields: map[string]string{"host": err.Error()}}
	}
	if slices.Contains(app.Domains, h) {
		return nil, &ValidationError{Fields: map[string]string{"host": fmt.Sprintf("%s is already a domain of %s", h, app.Name)}}
	}
	target := release.NormalizeDomain(in.RedirectTo)
	if target != "" {
		redirects, err := s.redirects(ctx, app)
		if err != nil {
			return nil, err
		}
		if err := release.CheckRedirect(append(slices.Clone(app.Domains), h), redirects, h, target); err != nil {
			return nil, &ValidationError{Fields: map[string]string{"redirect_to": err.Error()}}
		}
	}
	domains := append(slices.Clone(app.Domains), h)
	v, err := s.UpdateApp(ctx, name, AppInput{Domains: &domains})
	if err != nil {
		return nil, err
	}
	if target != "" {
		if err := s.store.SetDomainRedirect(ctx, v.ID, h, target); err != nil {
			return nil, err
		}
	}
	app.Domains = v.Domains
	views, err := s.domainViews(ctx, app)
	if err != nil {
		return nil, err
	}
	for i := range views {
		if views[i].Host == h {
			s.verify(ctx, &views[i])
		}
	}
	return views, nil
}

// SetDomainRedirect makes one of an app's domains redirect to another of
// them (release.CheckRedirect), or serve the app again (target ""). The
// proxies follow within seconds.
func (s *Apps) SetDomainRedirect(ctx context.Context, name, host string, in DomainPatch) ([]DomainView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermEditApp)
	if err != nil {
		return nil, err
	}
	h := release.NormalizeDomain(host)
	if !slices.Contains(app.Domains, h) {
		return nil, fmt.Errorf("%s is not a domain of %s: %w", h, app.Name, schema.ErrNotFound)
	}
	if in.RedirectTo == nil {
		return nil, &ValidationError{Fields: map[string]string{"redirect_to": `give the domain to redirect to, or "" to serve the app`}}
	}
	target := release.NormalizeDomain(*in.RedirectTo)
	redirects, err := s.redirects(ctx, app)
	if err != nil {
		return nil, err
	}
	delete(redirects, h)
	if err := release.CheckRedirect(app.Domains, redirects, h, target); err != nil {
		return nil, &ValidationError{Fields: map[string]string{"redirect_to": err.Error()}}
	}
	if err := s.store.SetDomainRedirect(ctx, app.ID, h, target); err != nil {
		return nil, err
	}
	s.audit(ctx, AuditDomainRedirect, app.TeamID, h, nil, map[string]any{"app": app.Name, "redirect_to": target})
	return s.domainViews(ctx, app)
}

// redirects are an app's domains that redirect, to where.
func (s *core) redirects(ctx context.Context, app *schema.App) (map[string]string, error) {
	rows, err := s.store.AppDomains(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, d := range rows {
		if d.RedirectTo != "" {
			out[d.Host] = d.RedirectTo
		}
	}
	return out, nil
}

// VerifyDomain proves one of an app's domains this server's now: it
// resolves here, or its TXT record holds its token. A failure says what
// was found and what to set.
func (s *Apps) VerifyDomain(ctx context.Context, name, host string) (*DomainView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermEditApp)
	if err != nil {
		return nil, err
	}
	h := release.NormalizeDomain(host)
	views, err := s.domainViews(ctx, app)
	if err != nil {
		return nil, err
	}
	for i := range views {
		if views[i].Host != h {
			continue
		}
		v := &views[i]
		s.verify(ctx, v)
		if v.Problem != "" {
			return nil, stateErr("%s", v.Problem)
		}
		return v, nil
	}
	return nil, fmt.Errorf("%s is not a domain of %s: %w", h, app.Name, schema.ErrNotFound)
}

// verify checks v's ownership unless proven, recording a proof and
// setting v.Problem to why not.
func (s *core) verify(ctx context.Context, v *DomainView) {
	if v.Verified || s.ownership == nil {
		return
	}
	d, err := s.store.GetDomain(ctx, v.Host)
	if err != nil {
		v.Problem = err.Error()
		return
	}
	how, err := s.ownership.Check(ctx, v.Host, d.Token)
	if err != nil {
		v.Problem = err.Error()
		return
	}
	if err := s.store.DomainVerified(ctx, v.Host, how); err != nil {
		v.Problem = err.Error()
		return
	}
	now := time.Now().UTC()
	v.Verified, v.VerifiedBy, v.VerifiedAt = true, how, &now
}

// RemoveDomain takes a domain from an app (the last one stays: the proxy
// routes by Host); the running app stops answering to it at once, and a
// domain redirecting to it serves the app again. Taking a domain from an
// app whose deploys need approval takes the policy permission
// (UpdateApp).
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
	app.Domains = v.Domains
	return s.domainViews(ctx, app)
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
