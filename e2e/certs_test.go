package e2e

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/testimage"
	"github.com/rivetr/rivetr/internal/testpki"
)

// servedCert is the certificate the proxy's HTTPS listener at addr
// presents for name (nil when the handshake fails).
func servedCert(addr, name string) *x509.Certificate {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second, Deadline: time.Now().Add(5 * time.Second)}, "tcp", addr, &tls.Config{ServerName: name, InsecureSkipVerify: true})
	if err != nil {
		return nil
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// TestUploadedCertificates: a team uploads its own certificate for a
// domain (`rivetr certs upload`): the proxy serves it, verified against
// the team's CA, over HTTP/2, HTTP redirects to it, a replacement takes
// over within seconds and `certs list` shows it as uploaded. Refused with
// the reason: a key of another certificate, an expired one, one lacking
// its chain, one for another name, a renewal of it. The attack: a domain
// removed with its uploaded certificate, then taken by another app, never
// presents the first app's certificate.
func TestUploadedCertificates(t *testing.T) {
	parallelE2E(t)
	a := newSharedApp(t, "upl", "upl-v1")
	s := a.S
	s.MustCLI("deploy", a.App, "--wait")
	dir := t.TempDir()
	root := testpki.Root(t, "Team Root "+a.App)
	inter := root.Intermediate(t, "Team Intermediate")
	now := time.Now()
	write := func(name string, parts ...[]byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, testpki.Chain(parts...), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := inter.Issue(t, now.Add(-time.Hour), now.Add(30*24*time.Hour), a.Host)
	other := inter.Issue(t, now.Add(-time.Hour), now.Add(30*24*time.Hour), a.Host)
	expired := inter.Issue(t, now.Add(-60*24*time.Hour), now.Add(-time.Hour), a.Host)
	elsewhere := inter.Issue(t, now.Add(-time.Hour), now.Add(30*24*time.Hour), "elsewhere.test")
	full := write("full.pem", good.CertPEM, inter.PEM, root.PEM)
	key := write("key.pem", good.KeyPEM)

	for _, c := range []struct{ name, cert, key, want string }{
		{"another certificate's key", full, write("other.key", other.KeyPEM), "key does not match"},
		{"expired", write("expired.pem", expired.CertPEM, inter.PEM, root.PEM), write("expired.key", expired.KeyPEM), "expired on"},
		{"no chain", write("leaf.pem", good.CertPEM), key, "lacks its chain"},
		{"another name", write("elsewhere.pem", elsewhere.CertPEM, inter.PEM, root.PEM), write("elsewhere.key", elsewhere.KeyPEM), "is for elsewhere.test, not " + a.Host},
	} {
		if r := s.CLI("certs", "upload", a.Host, "--cert", c.cert, "--key", c.key); r.Code == 0 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%s: %d %s", c.name, r.Code, r.Stderr)
		}
	}
	if r := s.CLI("certs", "upload", "nobody-"+a.Host, "--cert", full, "--key", key); r.Code == 0 || !strings.Contains(r.Stderr, "no app's domain") {
		t.Errorf("upload for no app's domain: %d %s", r.Code, r.Stderr)
	}
	if c := servedCert(s.HTTPS, a.Host); c != nil {
		t.Fatalf("a refused upload serves %s", c.Subject)
	}

	out := s.MustCLI("certs", "upload", a.Host, "--cert", full, "--key", key)
	if !strings.Contains(out, "now serves the uploaded certificate") {
		t.Fatalf("upload: %s", out)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	client := httpsClientTo(s.HTTPS, roots, true)
	var res *http.Response
	eventually(t, 15*time.Second, "the uploaded certificate to serve", func() bool {
		var err error
		res, err = client.Get("https://" + a.Host + "/")
		return err == nil
	})
	if body := strings.TrimSpace(readAll(res)); body != "upl-v1" || res.Proto != "HTTP/2.0" || res.TLS.PeerCertificates[0].SerialNumber.Cmp(good.Cert.SerialNumber) != 0 {
		t.Fatalf("over HTTPS: %s %q serial %v", res.Proto, body, res.TLS.PeerCertificates[0].SerialNumber)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", "http://"+s.Proxy+"/path?q=1", nil)
	req.Host = a.Host
	eventually(t, 40*time.Second, "HTTP to redirect to HTTPS", func() bool {
		r, err := noFollow.Do(req)
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == 308 && strings.HasPrefix(r.Header.Get("Location"), "https://"+a.Host) && strings.HasSuffix(r.Header.Get("Location"), "/path?q=1")
	})
	var certs []certView
	if err := json.Unmarshal([]byte(s.MustCLI("certs", "list", a.App, "-o", "json")), &certs); err != nil || len(certs) != 1 ||
		certs[0].Source != "uploaded" || certs[0].Status != "valid" || !strings.Contains(certs[0].Issuer, "Team Intermediate") || certs[0].NotAfter == nil {
		t.Fatalf("certs list: %+v %v", certs, err)
	}
	if r := s.CLI("certs", "renew", a.Host); r.Code == 0 || !strings.Contains(r.Stderr, "uploaded certificate") {
		t.Errorf("renewing an uploaded certificate: %d %s", r.Code, r.Stderr)
	}

	// Its successor, close to expiry: served within seconds, shown as expiring.
	next := inter.Issue(t, now.Add(-time.Hour), now.Add(5*24*time.Hour), a.Host)
	s.MustCLI("certs", "upload", a.Host, "--cert", write("next.pem", next.CertPEM, inter.PEM, root.PEM), "--key", write("next.key", next.KeyPEM))
	eventually(t, 15*time.Second, "the successor to serve", func() bool {
		c := servedCert(s.HTTPS, a.Host)
		return c != nil && c.SerialNumber.Cmp(next.Cert.SerialNumber) == 0
	})
	if out := s.MustCLI("certs", "list", a.App); !strings.Contains(out, "expiring") || !strings.Contains(out, "by you") {
		t.Errorf("certs list after the successor:\n%s", out)
	}

	// Removed: no certificate of the team's serves any more.
	s.MustCLI("certs", "remove", a.Host)
	eventually(t, 15*time.Second, "the removed certificate to stop serving", func() bool {
		c := servedCert(s.HTTPS, a.Host)
		return c == nil || c.Issuer.CommonName != "Team Intermediate"
	})

	// A domain given up with its certificate, then taken by another app.
	extra := "extra-" + a.Host
	s.MustCLI("domains", "add", a.App, extra)
	ex := inter.Issue(t, now.Add(-time.Hour), now.Add(30*24*time.Hour), extra)
	s.MustCLI("certs", "upload", extra, "--cert", write("extra.pem", ex.CertPEM, inter.PEM, root.PEM), "--key", write("extra.key", ex.KeyPEM))
	eventually(t, 15*time.Second, "the extra domain's certificate to serve", func() bool {
		c := servedCert(s.HTTPS, extra)
		return c != nil && c.SerialNumber.Cmp(ex.Cert.SerialNumber) == 0
	})
	s.MustCLI("domains", "remove", a.App, extra)
	b := newAppOn(t, s, "upl-b", "upl-b-v1", "--domain", extra)
	s.MustCLI("deploy", b.App, "--wait")
	time.Sleep(6 * time.Second) // past every proxy's memory of the old answer
	if c := servedCert(s.HTTPS, extra); c != nil && c.SerialNumber.Cmp(ex.Cert.SerialNumber) == 0 {
		t.Fatalf("the domain's new app serves the old app's uploaded certificate")
	}
	if out := s.MustCLI("certs", "list", b.App, "-o", "json"); strings.Contains(out, "uploaded") {
		t.Fatalf("the new app inherits the uploaded certificate: %s", out)
	}
}

// TestStreamsOverTLS: through the proxy's HTTPS listener, an upgraded
// connection (WebSocket) passes both ways, server-sent events arrive as
// they are sent over HTTP/2 and HTTP/1.1 (not buffered to the end), and
// the app learns the request came over https (X-Forwarded-Proto).
func TestStreamsOverTLS(t *testing.T) {
	parallelE2E(t)
	a := newSharedApp(t, "tlsstream", "v1")
	s := a.S
	bin := filepath.Join(t.TempDir(), "backend")
	build := exec.Command("go", "build", "-o", bin, "../bench/backend")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the streaming backend: %v\n%s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	a.Repo.Commit("streams", map[string]string{
		"backend":    string(b),
		"Dockerfile": "FROM " + testimage.Busybox + "\nCOPY backend /backend\nRUN chmod 755 /backend\nENV VERSION=streams\nCMD [\"/backend\"]\n",
	})
	s.MustCLI("deploy", a.App, "--wait")
	root := testpki.Root(t, "Stream Root "+a.App)
	leaf := root.Issue(t, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour), a.Host)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, testpki.Chain(leaf.CertPEM, root.PEM), 0o600)
	os.WriteFile(keyFile, leaf.KeyPEM, 0o600)
	s.MustCLI("certs", "upload", a.Host, "--cert", certFile, "--key", keyFile)
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	eventually(t, 15*time.Second, "the uploaded certificate served", func() bool {
		c := servedCert(s.HTTPS, a.Host)
		return c != nil && c.SerialNumber.Cmp(leaf.Cert.SerialNumber) == 0
	})

	for _, h2 := range []bool{true, false} {
		c := httpsClientTo(s.HTTPS, roots, h2)
		res, err := c.Get("https://" + a.Host + "/proto")
		if err != nil || strings.TrimSpace(readAll(res)) != "https" {
			t.Fatalf("X-Forwarded-Proto (h2 %v): %v", h2, err)
		}
		start := time.Now()
		res, err = c.Get("https://" + a.Host + "/events")
		if err != nil {
			t.Fatal(err)
		}
		rd := bufio.NewReader(res.Body)
		var at []time.Duration
		for len(at) < 4 {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("events (h2 %v) after %d: %v", h2, len(at), err)
			}
			if strings.HasPrefix(line, "data: ") {
				at = append(at, time.Since(start))
			}
		}
		res.Body.Close()
		if res.Header.Get("Content-Type") != "text/event-stream" || at[3]-at[0] < 700*time.Millisecond {
			t.Fatalf("events over TLS (h2 %v, %s) arrived at %v: buffered", h2, res.Proto, at)
		}
	}

	// An upgraded connection over TLS (HTTP/1.1, as browsers open
	// WebSockets) echoes both ways.
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.HTTPS, &tls.Config{ServerName: a.Host, RootCAs: roots, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", a.Host)
	rd := bufio.NewReader(conn)
	status, err := rd.ReadString('\n')
	if err != nil || !strings.Contains(status, "101") {
		t.Fatalf("upgrade over TLS: %q %v", status, err)
	}
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
	}
	for _, msg := range []string{"hello", "again"} {
		fmt.Fprintf(conn, "%s\n", msg)
		if got, err := rd.ReadString('\n'); err != nil || got != "streams "+msg+"\n" {
			t.Fatalf("echo over TLS: %q %v", got, err)
		}
	}
}
