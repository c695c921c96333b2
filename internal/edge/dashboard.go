package edge

import (
	"net/http"
	"net/http/httputil"
	"net/url"
)

// Dashboard serves the API and dashboard (at upstream, plain HTTP on
// loopback) on their own domain through the edge: over HTTPS with a
// certificate like an app's, plain HTTP redirected once it exists (the
// ACME challenges are answered before this). Streams (server-sent events,
// WebSockets) pass through unbuffered. Other hosts go to next. t may be
// nil (no HTTPS).
func Dashboard(next http.Handler, t *TLS, domain, upstream string, httpsPort int) http.Handler {
	if domain == "" {
		return next
	}
	target := &url.URL{Scheme: "http", Host: upstream}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.SetXForwarded()
			r.Out.Host = r.In.Host
		},
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "Rivetr's API does not answer: is `rivetr server` running? ("+err.Error()+")", http.StatusBadGateway)
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hostOnly(r.Host) != domain {
			next.ServeHTTP(w, r)
			return
		}
		if r.TLS == nil && t != nil && t.HasCertificate(r.Context(), domain) {
			toHTTPS(w, r, domain, httpsPort)
			return
		}
		rp.ServeHTTP(w, r)
	})
}
