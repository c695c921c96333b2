package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/testpki"
)

// ownedBy proves the names it lists, and says why not for others.
type ownedBy map[string]string

func (o ownedBy) Check(_ context.Context, host, _ string) (string, error) {
	if how, ok := o[host]; ok {
		return how, nil
	}
	return "", errors.New(host + " resolves to 192.0.2.44, not to this server")
}

// The app page's domains section: each domain with its ownership (and
// the TXT record proving it), its certificate's status, a redirect
// between domains, an uploaded certificate (refused with the reason when
// its chain is missing), and a domain added, verified and removed.
func TestDomainsSection(t *testing.T) {
	d := newDashWith(t, nil, func(o *service.Options) { o.Ownership = ownedBy{"www.shop.example.com": "txt"} })
	d.signIn()
	d.temporal.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil, errors.New("no Temporal here")).Maybe()
	d.app("shop")

	code, _, hdr := d.form("/apps/shop/domains", "host", "https://www.shop.example.com/", "redirect_to", "shop.example.com")
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "answers+to+www.shop.example.com") {
		t.Fatalf("add: %d %v", code, hdr)
	}
	code, _, hdr = d.form("/apps/shop/domains", "host", "far.example.com")
	if loc, _ := url.QueryUnescape(hdr.Get("Location")); code != http.StatusSeeOther || !strings.Contains(loc, "no certificate until it points here: far.example.com resolves to 192.0.2.44") {
		t.Fatalf("add a domain pointing elsewhere: %d %s", code, loc)
	}
	_, body, _ := d.get("/apps/shop/domains")
	sec := domainsOf(body)
	for _, want := range []string{`data-domain="www.shop.example.com"`, "redirects to</span> shop.example.com", `<span class="badge proven" title="txt">`,
		"_rivetr-challenge.far.example.com", `<span class="badge pending">pending</span>`, `action="/apps/shop/domains/far.example.com/verify"`} {
		if !strings.Contains(sec, want) {
			t.Fatalf("the domains section lacks %q:\n%s", want, sec)
		}
	}
	if _, _, hdr := d.form("/apps/shop/domains/far.example.com/verify"); !strings.Contains(hdr.Get("Location"), "error=") {
		t.Fatalf("verify a domain pointing elsewhere: %v", hdr)
	}
	if _, _, hdr := d.form("/apps/shop/domains/www.shop.example.com/redirect", "redirect_to", "evil.test"); !strings.Contains(hdr.Get("Location"), "error=") {
		t.Fatalf("a redirect to another site: %v", hdr)
	}
	if _, _, hdr := d.form("/apps/shop/domains/www.shop.example.com/redirect", "redirect_to", ""); !strings.Contains(hdr.Get("Location"), "serves+shop+again") {
		t.Fatalf("stop redirecting: %v", hdr)
	}

	root := testpki.Root(t, "Shop Root")
	leaf := root.Issue(t, time.Now().Add(-time.Hour), time.Now().Add(60*24*time.Hour), "shop.example.com")
	if _, _, hdr := d.form("/apps/shop/domains/shop.example.com/certificate", "cert", string(leaf.CertPEM), "key", string(leaf.KeyPEM)); !strings.Contains(hdr.Get("Location"), "lacks+its+chain") {
		t.Fatalf("a certificate without its chain: %v", hdr)
	}
	if _, _, hdr := d.form("/apps/shop/domains/shop.example.com/certificate", "cert", string(testpki.Chain(leaf.CertPEM, root.PEM)), "key", string(leaf.KeyPEM)); !strings.Contains(hdr.Get("Location"), "serves+the+uploaded+certificate") {
		t.Fatalf("upload: %v", hdr)
	}
	_, body, _ = d.get("/apps/shop/domains")
	sec = domainsOf(body)
	if !strings.Contains(sec, `<span class="badge valid">valid</span> <span class="muted">uploaded</span>`) || !strings.Contains(sec, "Rivetr tests Shop Root") ||
		!strings.Contains(sec, "Use the CA's certificate") || strings.Contains(sec, "PRIVATE KEY-----\n") {
		t.Fatalf("the domains section after the upload:\n%s", sec)
	}
	if _, _, hdr := d.form("/apps/shop/domains/far.example.com/delete"); !strings.Contains(hdr.Get("Location"), "no+longer+answers+to+far.example.com") {
		t.Fatalf("remove: %v", hdr)
	}
}

// domainsOf is the page's domains section, whole.
func domainsOf(body string) string {
	if i := strings.Index(body, `id="domains"`); i >= 0 {
		body = body[i:]
	}
	if i := strings.Index(body, "</section>"); i >= 0 {
		body = body[:i]
	}
	return body
}
