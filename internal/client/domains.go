package client

import (
	"context"
	"net/url"

	"github.com/rivetr/rivetr/internal/service"
)

// ListDomains lists an app's domains.
func (c *Client) ListDomains(ctx context.Context, app string) ([]service.DomainView, error) {
	var out []service.DomainView
	return out, c.do(ctx, "GET", "/api/apps/"+esc(app)+"/domains", nil, &out)
}

// AddDomain adds a domain to an app.
func (c *Client) AddDomain(ctx context.Context, app string, in service.DomainRequest) ([]service.DomainView, error) {
	var out []service.DomainView
	return out, c.do(ctx, "POST", "/api/apps/"+esc(app)+"/domains", in, &out)
}

// SetDomainRedirect makes a domain redirect to another ("" to stop).
func (c *Client) SetDomainRedirect(ctx context.Context, app, host, target string) ([]service.DomainView, error) {
	var out []service.DomainView
	return out, c.do(ctx, "PATCH", "/api/apps/"+esc(app)+"/domains/"+esc(host), service.DomainPatch{RedirectTo: &target}, &out)
}

// VerifyDomain proves a domain this server's now.
func (c *Client) VerifyDomain(ctx context.Context, app, host string) (*service.DomainView, error) {
	var out service.DomainView
	return &out, c.do(ctx, "POST", "/api/apps/"+esc(app)+"/domains/"+esc(host)+"/verify", nil, &out)
}

// RemoveDomain removes a domain from an app.
func (c *Client) RemoveDomain(ctx context.Context, app, host string) ([]service.DomainView, error) {
	var out []service.DomainView
	return out, c.do(ctx, "DELETE", "/api/apps/"+esc(app)+"/domains/"+esc(host), nil, &out)
}

// ListCertificates lists the certificates of an app's domains ("" for all
// the caller may see).
func (c *Client) ListCertificates(ctx context.Context, app string) ([]service.CertificateView, error) {
	var out []service.CertificateView
	path := "/api/certificates"
	if app != "" {
		path += "?app=" + url.QueryEscape(app)
	}
	return out, c.do(ctx, "GET", path, nil, &out)
}

// RenewCertificate renews a domain's certificate now.
func (c *Client) RenewCertificate(ctx context.Context, host string) (*service.CertificateView, error) {
	var out service.CertificateView
	return &out, c.do(ctx, "POST", "/api/certificates/"+esc(host)+"/renew", nil, &out)
}

// UploadCertificate makes a domain serve an uploaded certificate.
func (c *Client) UploadCertificate(ctx context.Context, host string, in service.CertificateUpload) (*service.CertificateView, error) {
	var out service.CertificateView
	return &out, c.do(ctx, "PUT", "/api/certificates/"+esc(host), in, &out)
}

// RemoveCertificate drops a domain's uploaded certificate.
func (c *Client) RemoveCertificate(ctx context.Context, host string) (*service.CertificateView, error) {
	var out service.CertificateView
	return &out, c.do(ctx, "DELETE", "/api/certificates/"+esc(host), nil, &out)
}
