package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/secrets"
	"github.com/rivetr/rivetr/schema"
)

// acmeCA is a Pebble ACME server (Debian's pebble package) with its mock
// DNS (pebble-challtestsrv) answering 127.0.0.1 for every name, so the CA
// validates challenges against this machine's proxy.
type acmeCA struct {
	Directory string // https://127.0.0.1:port/dir
	CARoot    string // PEM file the directory's TLS certificate verifies against
	mgmt      string
	// chall is pebble-challtestsrv's management address; DNS its mock DNS,
	// what Pebble resolves challenges with and the servers check domain
	// ownership with (--dns-resolver).
	chall, DNS string
	// dirLn and mgmtLn hold Pebble's ports until it starts.
	dirLn, mgmtLn net.Listener
	dir           string
	roots         *x509.CertPool
}

// newACMECA writes Pebble's TLS certificate (from a CA of its own) and
// picks its ports; start runs it once the proxy's ports are known.
func newACMECA(t *testing.T) *acmeCA {
	t.Helper()
	for _, bin := range []string{"pebble", "pebble-challtestsrv"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not installed (scripts/test-deps.sh installs Debian's pebble package)", bin)
		}
	}
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rivetr test ACME directory CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("cert.pem", "CERTIFICATE", leafDER)
	write("key.pem", "EC PRIVATE KEY", keyDER)
	ca := &acmeCA{CARoot: write("ca.pem", "CERTIFICATE", caDER), dir: dir}
	// Pebble's ports are held until it starts (other tests pick ports
	// meanwhile); until then the directory answers nothing, like a CA
	// that is down.
	ca.dirLn, ca.mgmtLn = reserve(t), reserve(t)
	ca.Directory = "https://" + ca.dirLn.Addr().String() + "/dir"
	ca.mgmt = ca.mgmtLn.Addr().String()
	// The mock DNS runs from the start, as a real one would.
	ca.DNS = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ca.chall = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ca.run(t, "pebble-challtestsrv", nil, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01", ca.DNS,
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-management", ca.chall)
	eventually(t, 10*time.Second, "pebble-challtestsrv", func() bool {
		c, err := net.Dial("tcp", ca.chall)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return ca
}

// run starts one of the CA's processes, stopped at the test's end.
func (ca *acmeCA) run(t *testing.T, name string, env []string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	logf, _ := os.Create(filepath.Join(ca.dir, name+".log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("%s log:\n%s", name, b)
		}
	})
}

// mock tells pebble-challtestsrv's management API path with body.
func (ca *acmeCA) mock(t *testing.T, path string, body map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post("http://"+ca.chall+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("challtestsrv %s: %s", path, res.Status)
	}
}

// serverArgs are the flags of a server using this CA.
func (ca *acmeCA) serverArgs() []string {
	return []string{"--acme-directory", ca.Directory, "--acme-ca-root", ca.CARoot, "--dns-resolver", ca.DNS}
}

// reserve holds a loopback port, closing every connection to it at once.
func reserve(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return l
}

// start runs Pebble, validating HTTP-01 on httpPort and
// TLS-ALPN-01 on tlsPort, and waits for the directory.
func (ca *acmeCA) start(t *testing.T, httpPort, tlsPort int) {
	t.Helper()
	conf := map[string]any{"pebble": map[string]any{
		"listenAddress": strings.TrimSuffix(strings.TrimPrefix(ca.Directory, "https://"), "/dir"), "managementListenAddress": ca.mgmt,
		"certificate": filepath.Join(ca.dir, "cert.pem"), "privateKey": filepath.Join(ca.dir, "key.pem"),
		"httpPort": httpPort, "tlsPort": tlsPort, "ocspResponderURL": "", "externalAccountBindingRequired": false,
	}}
	b, _ := json.Marshal(conf)
	confPath := filepath.Join(ca.dir, "pebble.json")
	if err := os.WriteFile(confPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// No random sleeps before validation, no random nonce refusals.
	ca.dirLn.Close()
	ca.mgmtLn.Close()
	ca.run(t, "pebble", []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"}, "-config", confPath, "-dnsserver", ca.DNS)
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(ca.CARoot)
	pool.AppendCertsFromPEM(caPEM)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	eventually(t, 20*time.Second, "Pebble's directory", func() bool {
		res, err := c.Get(ca.Directory)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	// The roots of what Pebble issues (new every run).
	res, err := c.Get("https://" + ca.mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	root := readAll(res)
	ca.roots = x509.NewCertPool()
	if !ca.roots.AppendCertsFromPEM([]byte(root)) {
		t.Fatalf("Pebble's root: %q", root)
	}
}

// certView is the part of `rivetr certs list -o json` the tests read.
type certView struct {
	Host       string     `json:"host"`
	Source     string     `json:"source"`
	Status     string     `json:"status"`
	Issuer     string     `json:"issuer"`
	NotAfter   *time.Time `json:"not_after"`
	RenewAfter *time.Time `json:"renew_after"`
	LastError  string     `json:"last_error"`
}

// readAll reads and closes a response's body.
func readAll(res *http.Response) string {
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return string(b)
}

// httpsClient reaches host on addr (the proxy's TLS port), verifying
// against the CA's roots; h2 picks HTTP/2 or HTTP/1.1.
func (ca *acmeCA) httpsClient(addr string, h2 bool) *http.Client {
	return httpsClientTo(addr, ca.roots, h2)
}

// httpsClientTo reaches any host on addr, verifying against roots.
func httpsClientTo(addr string, roots *x509.CertPool, h2 bool) *http.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: roots},
	}
	if h2 {
		tr.ForceAttemptHTTP2 = true
	} else {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return &http.Client{Timeout: 60 * time.Second, Transport: tr}
}

// TestAutomaticHTTPS: an app deployed with a domain answers https:// with
// a certificate from the ACME CA (Pebble, validating the challenge against
// this proxy), verified against the CA's root, over HTTP/2 and HTTP/1.1;
// the certificate is kept in the store. The attack: a handshake for a name
// that is no app's domain gets no certificate, and the CA is not asked.
func TestAutomaticHTTPS(t *testing.T) {
	parallelE2E(t)
	ca := newACMECA(t)
	httpsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	alerts := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Text string }
		json.NewDecoder(r.Body).Decode(&m)
		alerts <- m.Text
	}))
	defer hook.Close()
	_, tlsPort, _ := net.SplitHostPort(httpsAddr)
	dash := "dash-" + tlsPort + ".test"
	s := NewServer(t, false, append(ca.serverArgs(), "--https-addr", httpsAddr, "--acme-email", "ops@example.com",
		"--notify-url", hook.URL, "--dashboard-domain", dash)...)
	s.Start()
	_, proxyPort, _ := net.SplitHostPort(s.Proxy)
	pp, _ := strconv.Atoi(proxyPort)
	tp, _ := strconv.Atoi(tlsPort)
	a := newAppOn(t, s, "tls", "tls-v1")
	s.MustCLI("deploy", a.App, "--wait")
	certsOf := func(app string) []certView {
		var out []certView
		mustUnmarshal(t, []byte(s.MustCLI("certs", "list", app, "-o", "json")), &out)
		return out
	}
	if c := certsOf(a.App); len(c) != 1 || c[0].Status != "pending" {
		t.Fatalf("before any HTTPS request: %+v", c)
	}

	// The CA is down: no certificate, the reason recorded, the app still
	// served over HTTP.
	down := ca.httpsClient(httpsAddr, true)
	down.Timeout = 5 * time.Second
	if _, err := down.Get("https://" + a.Host + "/"); err == nil {
		t.Fatal("a certificate without a CA")
	}
	eventually(t, 30*time.Second, "the failure recorded", func() bool {
		c := certsOf(a.App)
		return len(c) == 1 && c[0].Status == "failed" && c[0].LastError != ""
	})
	t.Logf("with the CA down: %s", certsOf(a.App)[0].LastError)
	select {
	case text := <-alerts:
		if !strings.Contains(text, "the certificate of "+a.Host+" could not be obtained") {
			t.Fatalf("the alert: %q", text)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no alert of the failed certificate")
	}
	if code, body, _ := s.Get(a.Host, "/"); code != 200 || body != "tls-v1" {
		t.Fatalf("HTTP with the CA down: %d %q", code, body)
	}

	// The CA is back: the next handshakes get the certificate.
	ca.start(t, pp, tp)
	start := time.Now()
	eventually(t, 3*time.Minute, "a certificate once the CA is back", func() bool {
		res, err := ca.httpsClient(httpsAddr, true).Get("https://" + a.Host + "/")
		if err != nil {
			return false
		}
		readAll(res)
		return true
	})
	t.Logf("certificate %s after the CA came back", time.Since(start).Round(time.Second))
	select {
	case text := <-alerts:
		t.Fatalf("one failure streak, a second alert: %q", text)
	default:
	}
	if c := certsOf(a.App); len(c) != 1 || c[0].Status != "valid" || !strings.Contains(c[0].Issuer, "Pebble") || c[0].NotAfter == nil ||
		c[0].RenewAfter == nil || !c[0].RenewAfter.Before(*c[0].NotAfter) || c[0].LastError != "" {
		t.Fatalf("certs list once obtained: %+v", c)
	}
	// plain is a request over HTTP that does not follow redirects.
	plain := func(host string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+s.Proxy+"/path?q=1", nil)
		req.Host = host
		c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for _, h2 := range []bool{true, false} {
		res, err := ca.httpsClient(httpsAddr, h2).Get("https://" + a.Host + "/")
		if err != nil {
			t.Fatalf("https (h2 %v): %v", h2, err)
		}
		body := strings.TrimSpace(readAll(res))
		want := "HTTP/1.1"
		if h2 {
			want = "HTTP/2.0"
		}
		if res.StatusCode != 200 || body != "tls-v1" || res.Proto != want {
			t.Fatalf("https (h2 %v): %d %s %q", h2, res.StatusCode, res.Proto, body)
		}
		if cn := res.TLS.PeerCertificates[0].DNSNames; len(cn) != 1 || cn[0] != a.Host {
			t.Fatalf("the certificate names %v", cn)
		}
	}

	// The API and dashboard on their own domain: over HTTPS with a
	// certificate from the CA, the session cookies Secure and __Host-,
	// plain HTTP redirected. No app may take the name.
	var login *http.Response
	eventually(t, 2*time.Minute, "the dashboard over HTTPS", func() bool {
		res, err := ca.httpsClient(httpsAddr, true).Get("https://" + dash + "/login")
		if err != nil {
			return false
		}
		readAll(res)
		login = res
		return res.StatusCode == 200
	})
	if cn := login.TLS.PeerCertificates[0].DNSNames; len(cn) != 1 || cn[0] != dash {
		t.Fatalf("the dashboard's certificate names %v", cn)
	}
	var secure bool
	for _, c := range login.Cookies() {
		secure = secure || strings.HasPrefix(c.Name, "__Host-") && c.Secure
	}
	if !secure {
		t.Fatalf("the login page over HTTPS sets %v: want a Secure __Host- cookie", login.Header["Set-Cookie"])
	}
	token := strings.TrimSpace(readFile(t, filepath.Join(s.DataDir, "admin-token")))
	req, _ := http.NewRequest("GET", "https://"+dash+"/api/apps", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if res, err := ca.httpsClient(httpsAddr, true).Do(req); err != nil || res.StatusCode != 200 || !strings.Contains(readAll(res), `"`+a.App+`"`) {
		t.Fatalf("the API over the dashboard's domain: %v", err)
	}
	if res := plain(dash); res.StatusCode != 308 || res.Header.Get("Location") != "https://"+dash+":"+tlsPort+"/path?q=1" {
		t.Fatalf("the dashboard over plain HTTP: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if r := s.CLI("domains", "add", a.App, dash); r.Code == 0 || !strings.Contains(r.Stderr, "the dashboard's domain") {
		t.Fatalf("an app taking the dashboard's domain: %d %s", r.Code, r.Stderr)
	}

	// With a certificate, plain HTTP redirects to HTTPS (308: a POST stays
	// a POST), unless the app keeps HTTP; HSTS on request.
	eventually(t, 10*time.Second, "HTTP redirects to HTTPS", func() bool {
		res := plain(a.Host)
		return res.StatusCode == 308 && res.Header.Get("Location") == "https://"+a.Host+":"+tlsPort+"/path?q=1"
	})
	s.MustCLI("apps", "update", a.App, "--allow-http", "--hsts")
	eventually(t, 10*time.Second, "plain HTTP kept, HSTS sent", func() bool {
		if res := plain(a.Host); res.StatusCode != 404 {
			return false
		}
		res, err := ca.httpsClient(httpsAddr, true).Get("https://" + a.Host + "/")
		if err != nil {
			return false
		}
		readAll(res)
		return res.Header.Get("Strict-Transport-Security") == "max-age=31536000"
	})

	// A forced renewal under load: new connections all the way through,
	// none refused; afterwards handshakes get the new certificate.
	before := func() string {
		res, err := ca.httpsClient(httpsAddr, true).Get("https://" + a.Host + "/")
		if err != nil {
			t.Fatal(err)
		}
		readAll(res)
		return res.TLS.PeerCertificates[0].SerialNumber.String()
	}()
	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var load sync.WaitGroup
	for w := 0; w < 4; w++ {
		load.Add(1)
		go func() {
			defer load.Done()
			c := ca.httpsClient(httpsAddr, true)
			c.Transport.(*http.Transport).DisableKeepAlives = true
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := c.Get("https://" + a.Host + "/")
				if err == nil && strings.TrimSpace(readAll(res)) == "tls-v1" {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	if out := s.MustCLI("certs", "renew", a.Host); !strings.Contains(out, "renewed the certificate of "+a.Host+" (valid") {
		t.Fatalf("renew: %s", out)
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	load.Wait()
	t.Logf("during the renewal: %d requests, %d failed", ok.Load()+failed.Load(), failed.Load())
	if failed.Load() != 0 || ok.Load() == 0 {
		t.Fatalf("a renewal under load: %d ok, %d failed", ok.Load(), failed.Load())
	}
	res, err := ca.httpsClient(httpsAddr, true).Get("https://" + a.Host + "/")
	if err != nil {
		t.Fatal(err)
	}
	readAll(res)
	if after := res.TLS.PeerCertificates[0].SerialNumber.String(); after == before {
		t.Fatal("the renewal did not change the certificate")
	}
	if r := s.CLI("certs", "renew", "not-an-app.test"); r.Code == 0 || !strings.Contains(r.Stderr, "no app's domain") {
		t.Fatalf("renewing a name that is no app's: %d %s", r.Code, r.Stderr)
	}

	// A domain added to the running app gets its certificate at once.
	more := "more-" + a.Host
	s.MustCLI("domains", "add", a.App, more)
	if res, err := ca.httpsClient(httpsAddr, true).Get("https://" + more + "/"); err != nil || strings.TrimSpace(readAll(res)) != "tls-v1" {
		t.Fatalf("https to an added domain: %v", err)
	}

	// The certificate and its key are in the store (sealed), for every
	// proxy sharing it.
	st, err := schema.Open(filepath.Join(s.DataDir, "rivetr.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := st.CertObjects(context.Background(), "")
	st.Close()
	var names []string
	for _, o := range objs {
		names = append(names, o.Path)
	}
	if err != nil || !strings.Contains(strings.Join(names, " "), a.Host+"/"+a.Host+".key") {
		t.Fatalf("the store holds %v (%v)", names, err)
	}

	// No app has this name: no certificate, and no order at the CA.
	_, err = ca.httpsClient(httpsAddr, true).Get("https://not-an-app.test/")
	if err == nil {
		t.Fatal("a name that is no app's domain got a certificate")
	}
	b, _ := os.ReadFile(filepath.Join(ca.dir, "pebble.log"))
	if strings.Contains(string(b), "not-an-app.test") {
		t.Fatalf("the CA was asked for not-an-app.test:\n%s", b)
	}

	// A domain that points elsewhere: no certificate, no order at the CA,
	// the reason shown with what to do; its TXT record proves it.
	far := "far-" + a.App + ".test"
	ca.mock(t, "/add-a", map[string]any{"host": far + ".", "addresses": []string{"192.0.2.44"}})
	if out := s.MustCLI("domains", "add", a.App, far); !strings.Contains(out, "resolves to 192.0.2.44, not to this server") {
		t.Fatalf("add a domain pointing elsewhere:\n%s", out)
	}
	if _, err := down.Get("https://" + far + "/"); err == nil {
		t.Fatal("a domain pointing elsewhere got a certificate")
	}
	var farCert certView
	for _, c := range certsOf(a.App) {
		if c.Host == far {
			farCert = c
		}
	}
	if farCert.Status != "failed" || !strings.Contains(farCert.LastError, "resolves to 192.0.2.44") {
		t.Fatalf("certs list for a domain pointing elsewhere: %+v", farCert)
	}
	r := s.CLI("domains", "verify", a.App, far)
	if r.Code == 0 || !strings.Contains(r.Stderr, "resolves to 192.0.2.44") || !strings.Contains(r.Stderr, "_rivetr-challenge."+far) {
		t.Fatalf("verify a domain pointing elsewhere: %d %s", r.Code, r.Stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(ca.dir, "pebble.log")); strings.Contains(string(b), far) {
		t.Fatalf("the CA was asked for a domain pointing elsewhere:\n%s", b)
	}
	var domains []struct {
		Host     string `json:"host"`
		TXTName  string `json:"txt_name"`
		TXTValue string `json:"txt_value"`
		Verified bool   `json:"verified"`
	}
	mustUnmarshal(t, []byte(s.MustCLI("domains", "list", a.App, "-o", "json")), &domains)
	for _, d := range domains {
		switch {
		case d.Host == a.Host && !d.Verified:
			t.Errorf("the app's first domain, resolving here, is not proven: %+v", d)
		case d.Host == far:
			// Another app's token proves nothing: set a wrong one first.
			ca.mock(t, "/set-txt", map[string]any{"host": d.TXTName + ".", "value": "rivetr-verify=0123456789abcdef0123456789abcdef"})
			if r := s.CLI("domains", "verify", a.App, far); r.Code == 0 {
				t.Fatalf("a wrong token proved the domain: %s", r.Stdout)
			}
			ca.mock(t, "/set-txt", map[string]any{"host": d.TXTName + ".", "value": d.TXTValue})
		}
	}
	if out := s.MustCLI("domains", "verify", a.App, far); !strings.Contains(out, "proven this server's (its TXT record _rivetr-challenge."+far) {
		t.Fatalf("verify by TXT: %s", out)
	}
	ca.mock(t, "/clear-a", map[string]any{"host": far + "."})
	if res, err := ca.httpsClient(httpsAddr, true).Get("https://" + far + "/"); err != nil || strings.TrimSpace(readAll(res)) != "tls-v1" {
		t.Fatalf("https to a domain proven by TXT: %v", err)
	}

	// The CA refuses: the mock DNS answers wrong (the name proven by its
	// TXT record, its A record sending the CA's validation where nothing
	// answers). No certificate, the reason shown, the app still served
	// over HTTP; once the DNS answers right, the certificate follows.
	wrong := "wrong-" + a.App + ".test"
	quick := ca.httpsClient(httpsAddr, true) // the CA's root of now
	quick.Timeout = 5 * time.Second
	ca.mock(t, "/add-a", map[string]any{"host": wrong + ".", "addresses": []string{"127.0.0.2"}})
	s.MustCLI("domains", "add", a.App, wrong)
	mustUnmarshal(t, []byte(s.MustCLI("domains", "list", a.App, "-o", "json")), &domains)
	for _, d := range domains {
		if d.Host == wrong {
			ca.mock(t, "/set-txt", map[string]any{"host": d.TXTName + ".", "value": d.TXTValue})
		}
	}
	s.MustCLI("domains", "verify", a.App, wrong)
	if _, err := quick.Get("https://" + wrong + "/"); err == nil {
		t.Fatal("a certificate although the CA's validation failed")
	}
	var wrongCert certView
	eventually(t, 60*time.Second, "the refusal recorded", func() bool {
		for _, c := range certsOf(a.App) {
			if c.Host == wrong {
				wrongCert = c
			}
		}
		return wrongCert.Status == "failed" && wrongCert.LastError != ""
	})
	t.Logf("with the DNS answering wrong: %s", wrongCert.LastError)
	if !strings.Contains(wrongCert.LastError, "127.0.0.2") {
		t.Fatalf("the refusal does not say where the CA looked: %q", wrongCert.LastError)
	}
	if code, body, _ := s.Get(wrong, "/"); code != 200 || body != "tls-v1" {
		t.Fatalf("HTTP while the CA refuses: %d %q", code, body)
	}
	ca.mock(t, "/clear-a", map[string]any{"host": wrong + "."})
	start = time.Now()
	eventually(t, 3*time.Minute, "a certificate once the DNS answers right", func() bool {
		res, err := quick.Get("https://" + wrong + "/")
		if err != nil {
			return false
		}
		readAll(res)
		return true
	})
	t.Logf("certificate %s after the DNS answered right", time.Since(start).Round(time.Second))
}

// TestTwoProxiesShareCertificates: two Rivetr servers share one
// PostgreSQL store. Handshakes for one app's domain reach both proxies at
// once; the store's locks let one of them ask the CA while the other
// waits, then both serve the same certificate: the CA is asked once.
func TestTwoProxiesShareCertificates(t *testing.T) {
	parallelE2E(t)
	dbURL := databaseURL(t)
	if dbURL == "" {
		if os.Getenv("RIVETR_REQUIRE_POSTGRES") != "" {
			t.Fatal("RIVETR_REQUIRE_POSTGRES is set but RIVETR_TEST_POSTGRES_URL is empty")
		}
		t.Skip("needs PostgreSQL (RIVETR_TEST_POSTGRES_URL): the proxies share the store")
	}
	ca := newACMECA(t)
	key := "RIVETR_SECRET_KEY=" + base64.StdEncoding.EncodeToString(secrets.Generate())
	var servers []*Server
	var addrs []string
	for i := 0; i < 2; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		args := append(ca.serverArgs(), "--database-url", dbURL, "--https-addr", addr)
		if i == 1 {
			// One proxy in its own process, one in the server's.
			args = append(args, "--proxy-mode", "embedded")
		}
		s := NewServer(t, false, args...)
		s.env = []string{key}
		s.Start()
		servers, addrs = append(servers, s), append(addrs, addr)
	}
	_, proxyPort, _ := net.SplitHostPort(servers[0].Proxy)
	_, tlsPort, _ := net.SplitHostPort(addrs[0])
	pp, _ := strconv.Atoi(proxyPort)
	tp, _ := strconv.Atoi(tlsPort)
	ca.start(t, pp, tp)
	a := newAppOn(t, servers[0], "shared-tls", "shared-v1")
	servers[0].MustCLI("deploy", a.App, "--wait")

	serials := make([]string, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := ca.httpsClient(addr, true).Get("https://" + a.Host + "/")
			if err != nil {
				errs[i] = err
				return
			}
			readAll(res)
			serials[i] = res.TLS.PeerCertificates[0].SerialNumber.String()
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || serials[0] != serials[1] {
		t.Fatalf("the two proxies: serials %v, errors %v", serials, errs)
	}
	obtained := 0
	for _, s := range servers {
		obtained += strings.Count(string(s.logs()), `msg="certificate obtained"`)
	}
	if obtained != 1 {
		t.Fatalf("the CA was asked %d times for one name", obtained)
	}

	// A renewal by one proxy reaches the other within seconds, not when
	// its own copy comes due.
	if out := servers[0].MustCLI("certs", "renew", a.Host); !strings.Contains(out, "renewed the certificate of "+a.Host) {
		t.Fatalf("renew: %s", out)
	}
	serialOf := func(addr string) string {
		res, err := ca.httpsClient(addr, true).Get("https://" + a.Host + "/")
		if err != nil {
			return ""
		}
		readAll(res)
		return res.TLS.PeerCertificates[0].SerialNumber.String()
	}
	renewed := serialOf(addrs[0])
	if renewed == serials[0] || renewed == "" {
		t.Fatalf("the renewing proxy serves %q (before: %s)", renewed, serials[0])
	}
	start := time.Now()
	eventually(t, 30*time.Second, "the other proxy serving the renewed certificate", func() bool {
		return serialOf(addrs[1]) == renewed
	})
	t.Logf("the other proxy served the renewed certificate %s after the renewal", time.Since(start).Round(100*time.Millisecond))
}
