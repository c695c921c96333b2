package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	// CertExpiring is an uploaded certificate with under two weeks left:
	// Rivetr does not renew those.
	CertExpiring = "expiring"
)

// Certificate sources.
const (
	CertFromACME     = "acme"
	CertFromUploaded = "uploaded"
)

// expiringWithin is when an uploaded certificate is shown as expiring.
const expiringWithin = 14 * 24 * time.Hour

// CertificateUpload is the body of PUT /api/certificates/:host: the
// certificate (leaf first, then its chain) and its private key, as PEM.
type CertificateUpload struct {
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

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
	// Source is where it comes from: "acme" (the CA, renewed by Rivetr)
	// or "uploaded" (by the app's team, renewed by them).
	Source string `json:"source"`
	// Names are an uploaded certificate's DNS names.
	Names []string `json:"names,omitempty"`
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
	custom, err := s.store.CustomCerts(ctx, hosts)
	if err != nil {
		return nil, err
	}
	uploaded := map[string]schema.CustomCert{}
	for _, c := range custom {
		uploaded[c.Host] = c
	}
	now := time.Now()
	out := make([]CertificateView, 0, len(hosts))
	for _, h := range hosts {
		v := CertificateView{Host: h, App: owner[h], Status: CertPending, Source: CertFromACME}
		if c, ok := uploaded[h]; ok {
			out = append(out, uploadedView(h, owner[h], c, now))
			continue
		}
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

func uploadedView(host, app string, c schema.CustomCert, now time.Time) CertificateView {
	notAfter := c.NotAfter
	v := CertificateView{Host: host, App: app, Status: CertValid, Source: CertFromUploaded, Issuer: c.Issuer, NotAfter: &notAfter}
	if c.Names != "" {
		v.Names = strings.Split(c.Names, ",")
	}
	switch {
	case now.After(c.NotAfter):
		v.Status = CertExpired
	case c.NotAfter.Sub(now) < expiringWithin:
		v.Status = CertExpiring
	}
	return v
}

// domainApp is the app whose domain host is (exactly, when exact: not
// through a wildcard), authorized for perm. Another team's domain is
// "no app's domain", like a free one.
func (s *Apps) domainApp(ctx context.Context, host string, exact bool, perm release.Perm) (*schema.App, error) {
	notFound := fmt.Errorf("%s is no app's domain: %w", host, schema.ErrNotFound)
	entry, id, err := s.store.DomainEntry(ctx, host)
	if err != nil || exact && entry != host {
		return nil, notFound
	}
	owner, err := s.store.GetApp(ctx, id)
	if err != nil {
		return nil, err
	}
	app, _, err := s.authorizeApp(ctx, owner.Name, perm)
	if errors.Is(err, schema.ErrNotFound) {
		return nil, notFound
	}
	return app, err
}

// UploadCertificate makes a domain serve the given certificate instead of
// one from the CA (release.CheckCertificate says what is refused). Every
// proxy serves it within seconds; Rivetr does not renew it.
func (s *Apps) UploadCertificate(ctx context.Context, host string, in CertificateUpload) (*CertificateView, error) {
	host = release.NormalizeDomain(host)
	app, err := s.domainApp(ctx, host, true, release.PermEditApp)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	uc, err := release.CheckCertificate([]byte(in.Cert), []byte(in.Key), host, nil, now)
	if err != nil {
		var ce *release.CertError
		if errors.As(err, &ce) {
			return nil, &ValidationError{Fields: map[string]string{ce.Field: ce.Reason}}
		}
		return nil, err
	}
	a, _ := actor(ctx)
	c := &schema.CustomCert{Host: host, AppID: app.ID, CertPEM: in.Cert, KeyPEM: in.Key, Issuer: uc.Issuer,
		Names: strings.Join(uc.Names, ","), NotBefore: uc.NotBefore.UTC(), NotAfter: uc.NotAfter.UTC(), UploadedAt: now.UTC()}
	if a != nil {
		c.UploadedBy = a.Who()
	}
	if err := s.store.PutCustomCert(ctx, c); err != nil {
		return nil, err
	}
	s.audit(ctx, AuditCertUpload, app.TeamID, host, nil, map[string]any{"app": app.Name, "issuer": uc.Issuer, "not_after": uc.NotAfter.UTC(), "names": uc.Names})
	v := uploadedView(host, app.Name, *c, now)
	return &v, nil
}

// RemoveCertificate drops a domain's uploaded certificate: it gets one
// from the CA again.
func (s *Apps) RemoveCertificate(ctx context.Context, host string) (*CertificateView, error) {
	host = release.NormalizeDomain(host)
	app, err := s.domainApp(ctx, host, true, release.PermEditApp)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteCustomCert(ctx, app.ID, host); err != nil {
		return nil, err
	}
	s.audit(ctx, AuditCertRemove, app.TeamID, host, map[string]any{"app": app.Name}, nil)
	return s.certificateOf(ctx, app, host)
}

func (s *Apps) certificateOf(ctx context.Context, app *schema.App, host string) (*CertificateView, error) {
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

// RenewCertificate renews a domain's certificate now, through its app's
// host (RenewCertWorkflow), and returns its status afterwards. The old
// certificate serves until the new one is in.
func (s *Apps) RenewCertificate(ctx context.Context, host string) (*CertificateView, error) {
	host = release.NormalizeDomain(host)
	app, err := s.domainApp(ctx, host, false, release.PermEditApp)
	if err != nil {
		return nil, err
	}
	if entry, _, _ := s.store.DomainEntry(ctx, host); entry != "" {
		if _, err := s.store.GetCustomCert(ctx, entry); err == nil {
			return nil, stateErr("%s serves an uploaded certificate, which Rivetr does not renew: upload its successor (rivetr certs upload %s --cert FILE --key FILE), or remove it to get one from the CA (rivetr certs remove %s)", host, entry, entry)
		}
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
	return s.certificateOf(ctx, app, host)
}
