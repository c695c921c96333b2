package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/testpki"
)

// The TLS benchmark: requests/s over kept-alive TLS connections and new
// TLS handshakes/s (one request per connection), through Rivetr's proxy
// and through nginx, Caddy and Traefik serving the same certificate in
// front of the same backend container; then the memory Rivetr's proxy
// (and Caddy) takes per 1,000 certificates held.

// fatal is testpki's caller here: a failure ends the benchmark.
type fatal struct{}

func (fatal) Fatal(args ...any) { log.Fatal(args...) }

// traefikBin is Traefik built from its module source (make bench does it
// when the module proxy serves it; skipped when missing).
var traefikBin = "bench/.bin/traefik"

const tlsHost = "tls.bench"

// tlsTarget is one server answering https://tls.bench on addr.
type tlsTarget struct {
	name, addr string
	pid        int
	stop       func()
}

func benchTLS(bin string) Result {
	log.Printf("tls: wrk over TLS through Rivetr, nginx, Caddy and Traefik with the same certificate and backend")
	if os.Getuid() != 0 {
		log.Printf("  skipped: wrk reaches %s through a private /etc/hosts, which needs root", tlsHost)
		return Result{Name: "tls", Figures: map[string]float64{}, Notes: "skipped: needs root (a mount namespace gives wrk its own /etc/hosts)"}
	}
	dir, _ := os.MkdirTemp("", "bench-tls")
	defer os.RemoveAll(dir)
	root := testpki.Root(fatal{}, "Rivetr bench root")
	leaf := root.Issue(fatal{}, time.Now().Add(-time.Hour), time.Now().Add(30*24*time.Hour), tlsHost)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, leaf.CertPEM, 0o644)
	os.WriteFile(keyFile, leaf.KeyPEM, 0o600)

	exec.Command("docker", "network", "create", "rivetr-bench").Run()
	httpsAddr := freePort()
	// No CA is reachable: the certificate is the uploaded one.
	s := startServer(bin, "--https-addr", httpsAddr, "--acme-directory", "https://127.0.0.1:1/directory", "--acme-email", "bench@example.com", "--api-rate", "0")
	defer s.stop()
	repo := backendRepo("tls-v1")
	defer os.RemoveAll(repo)
	ctx := context.Background()
	app := "tls-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	if _, err := s.client.CreateApp(ctx, service.AppInput{Name: &app, GitURL: &repo, Domains: &[]string{tlsHost}}); err != nil {
		log.Fatal(err)
	}
	defer s.client.DeleteApp(ctx, app)
	deployAndWait(s, app)
	if _, err := s.client.UploadCertificate(ctx, tlsHost, service.CertificateUpload{Cert: string(testpki.Chain(leaf.CertPEM, root.PEM)), Key: string(leaf.KeyPEM)}); err != nil {
		log.Fatal(err)
	}
	backend := containerIP(app) + ":8080"

	targets := []tlsTarget{{name: "rivetr", addr: httpsAddr, pid: s.proxyPID(), stop: func() {}}}
	targets = append(targets, nginxTLS(backend, certFile, keyFile))
	targets = append(targets, caddyTLS(dir, backend, []string{tlsHost}, certFile, keyFile))
	notes := "wrk -t2 -c64 for 8 s per figure after a 2 s warm-up, all on one 2-core machine (wrk shares the CPU); keep-alive: HTTP/1.1 requests on kept connections; handshakes: `Connection: close` on every request, so each is a new TCP connection and a full TLS handshake (wrk resumes no sessions); one ECDSA P-256 certificate, the Go backend in a container; nginx " + version("nginx", "-v") + ", Caddy " + version("caddy", "version")
	if _, err := os.Stat(traefikBin); err == nil {
		targets = append(targets, traefikTLS(dir, backend, certFile, keyFile))
		v, _ := os.ReadFile(traefikBin + ".version")
		notes += ", Traefik " + cmp.Or(strings.TrimSpace(string(v)), "(unknown version)") + " built from its module source"
	} else {
		notes += "; Traefik skipped (no " + traefikBin + ")"
	}
	notes += "; kamal-proxy is not measured: these machines cannot fetch it"
	defer func() {
		for _, tg := range targets {
			tg.stop()
		}
	}()
	pool := x509.NewCertPool()
	pool.AddCert(root.Cert)
	for _, tg := range targets {
		if err := handshake(tg.addr, tlsHost, pool); err != nil {
			log.Fatalf("%s does not serve %s over TLS: %v", tg.name, tlsHost, err)
		}
	}

	hosts := filepath.Join(dir, "hosts")
	os.WriteFile(hosts, []byte("127.0.0.1 localhost "+tlsHost+"\n"), 0o644)
	figs := map[string]float64{}
	var problems []string
	for _, mode := range []struct {
		name   string
		header string
	}{{"keepalive", ""}, {"handshake", "Connection: close"}} {
		for _, tg := range targets {
			_, port, _ := net.SplitHostPort(tg.addr)
			url := "https://" + tlsHost + ":" + port + "/"
			wrkTLS(hosts, url, mode.header, 2*time.Second)
			rps, p99, errs := wrkTLS(hosts, url, mode.header, 8*time.Second)
			log.Printf("  %s %s: %.0f req/s, p99 %.2f ms %s", mode.name, tg.name, rps, p99, errs)
			figs[mode.name+"_"+tg.name+"_rps"] = round(rps)
			figs[mode.name+"_"+tg.name+"_p99_ms"] = round(p99)
			if errs != "" {
				problems = append(problems, mode.name+" "+tg.name+": "+errs)
			}
			if tg.pid > 0 {
				figs[mode.name+"_"+tg.name+"_rss_mb"] = round(rssMB(tg.pid))
			}
		}
		for _, tg := range targets[1:] {
			figs[mode.name+"_rivetr_vs_"+tg.name] = round(figs[mode.name+"_rivetr_rps"] / figs[mode.name+"_"+tg.name+"_rps"])
		}
	}
	for _, tg := range targets {
		tg.stop()
	}
	targets = nil
	barPlot("tls_throughput.png", "TLS requests/s, wrk -t2 -c64 (higher is better)", "req/s",
		[]string{"kept-alive connections", "a new handshake per request"}, []string{"Rivetr", "nginx", "Caddy", "Traefik"},
		[][]float64{
			{figs["keepalive_rivetr_rps"], figs["keepalive_nginx_rps"], figs["keepalive_caddy_rps"], figs["keepalive_traefik_rps"]},
			{figs["handshake_rivetr_rps"], figs["handshake_nginx_rps"], figs["handshake_caddy_rps"], figs["handshake_traefik_rps"]},
		})

	certMemory(s, httpsAddr, repo, dir, root, figs)
	notes += "; memory: RssAnon of Rivetr's proxy process before and after one handshake for each of 1,000 names with uploaded certificates (10 apps × 100 domains), and of Caddy started with 1 and with 1,000 certificate files, per 1,000 certificates"
	if len(problems) > 0 {
		notes += "; errors: " + strings.Join(problems, "; ")
	}
	return Result{Name: "tls", Figures: figs, Notes: notes}
}

// certMemory measures what holding 1,000 certificates costs Rivetr's
// proxy, and Caddy for comparison.
func certMemory(s *server, httpsAddr, repo, dir string, root *testpki.CA, figs map[string]float64) {
	ctx := context.Background()
	const apps, per = 10, 100
	var names []string
	leaves := map[string]*testpki.Leaf{}
	for a := 0; a < apps; a++ {
		app := fmt.Sprintf("certs-%d-%s", a, strconv.FormatInt(time.Now().UnixNano()%1e6, 36))
		var domains []string
		for i := 0; i < per; i++ {
			d := fmt.Sprintf("c%d-%d.certs.bench", a, i)
			domains = append(domains, d)
			names = append(names, d)
		}
		if _, err := s.client.CreateApp(ctx, service.AppInput{Name: &app, GitURL: &repo, Domains: &domains}); err != nil {
			log.Fatal(err)
		}
		defer s.client.DeleteApp(ctx, app)
	}
	for _, n := range names {
		l := root.Issue(fatal{}, time.Now().Add(-time.Hour), time.Now().Add(30*24*time.Hour), n)
		leaves[n] = l
		if _, err := s.client.UploadCertificate(ctx, n, service.CertificateUpload{Cert: string(testpki.Chain(l.CertPEM, root.PEM)), Key: string(l.KeyPEM)}); err != nil {
			log.Fatal(err)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(root.Cert)
	pid := s.proxyPID()
	settle := func(pid int) float64 {
		time.Sleep(3 * time.Second)
		return statusMB(pid, "RssAnon:")
	}
	before := settle(pid)
	for _, n := range names {
		if err := handshake(httpsAddr, n, pool); err != nil {
			log.Fatalf("the proxy does not serve %s: %v", n, err)
		}
	}
	after := settle(pid)
	figs["certs_rivetr_proxy_rss_anon_before_mb"] = round(before)
	figs["certs_rivetr_proxy_rss_anon_1000_mb"] = round(after)
	figs["certs_rivetr_mb_per_1000"] = round((after - before) * 1000 / float64(len(names)))
	log.Printf("  memory: Rivetr's proxy %.1f MB → %.1f MB holding %d certificates", before, after, len(names))

	// Caddy with the same 1,000 certificates as files, against Caddy with one.
	files := func(ns []string) ([]string, []string) {
		var certs, keys []string
		for _, n := range ns {
			c, k := filepath.Join(dir, n+".crt"), filepath.Join(dir, n+".key")
			os.WriteFile(c, leaves[n].CertPEM, 0o644)
			os.WriteFile(k, leaves[n].KeyPEM, 0o600)
			certs, keys = append(certs, c), append(keys, k)
		}
		return certs, keys
	}
	one := caddyCerts(dir, names[:1], files)
	all := caddyCerts(dir, names, files)
	if one > 0 && all > 0 {
		figs["certs_caddy_rss_anon_1_mb"] = round(one)
		figs["certs_caddy_rss_anon_1000_mb"] = round(all)
		figs["certs_caddy_mb_per_1000"] = round((all - one) * 1000 / float64(len(names)-1))
		log.Printf("  memory: Caddy %.1f MB with 1 certificate, %.1f MB with %d", one, all, len(names))
	}
}

// caddyCerts starts Caddy serving ns, each with its certificate file, and
// returns its RssAnon once settled (0 when it did not start).
func caddyCerts(dir string, ns []string, files func([]string) ([]string, []string)) float64 {
	certs, keys := files(ns)
	addr := freePort()
	_, port, _ := net.SplitHostPort(addr)
	var sites strings.Builder
	for i, n := range ns {
		fmt.Fprintf(&sites, "https://%s:%s {\n  tls %s %s\n  respond \"ok\"\n}\n", n, port, certs[i], keys[i])
	}
	tg := startCaddy(dir, fmt.Sprintf("caddy-certs-%d", len(ns)), addr, sites.String())
	defer tg.stop()
	if tg.pid == 0 {
		return 0
	}
	time.Sleep(3 * time.Second)
	return statusMB(tg.pid, "RssAnon:")
}

// handshake completes a TLS handshake for name on addr, verifying the
// certificate against roots.
func handshake(addr, name string, roots *x509.CertPool) error {
	var err error
	for i := 0; i < 50; i++ {
		var c *tls.Conn
		c, err = tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, &tls.Config{ServerName: name, RootCAs: roots})
		if err == nil {
			return c.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// wrkTLS runs wrk against url in a mount namespace whose /etc/hosts is
// hosts, so the TLS server name is the site's (wrk takes it from the URL).
func wrkTLS(hosts, url, header string, d time.Duration) (rps, p99 float64, errors string) {
	args := []string{"--mount", "--", "sh", "-c", `mount --bind "$0" /etc/hosts && exec wrk "$@"`, hosts,
		"-t2", "-c64", "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency"}
	if header != "" {
		args = append(args, "-H", header)
	}
	out, err := exec.Command("unshare", append(args, url)...).CombinedOutput()
	if err != nil {
		log.Fatalf("wrk over TLS: %v\n%s", err, out)
	}
	return parseWrk(string(out))
}

// version is the first line a binary prints of its version.
func version(bin string, args ...string) string {
	if _, err := exec.LookPath(bin); err != nil && bin == "nginx" {
		bin = "/usr/sbin/nginx"
	}
	out, _ := exec.Command(bin, args...).CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	line = strings.TrimPrefix(line, "nginx version: ")
	return strings.Join(strings.Fields(line), " ")
}

// waitTCP waits until addr accepts connections.
func waitTCP(addr string) bool {
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// stopProcess ends cmd with SIGTERM, then SIGKILL after 10 s. (SIGTERM
// is nginx's fast shutdown: the master takes its workers down; SIGKILL
// would leave the workers running, holding the port.)
func stopProcess(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// nginxTLS is nginx terminating TLS with the certificate, proxying to
// backend over kept-alive upstream connections. (nginx's work is in its
// workers: the master's RSS says little, so none is reported.)
func nginxTLS(backend, certFile, keyFile string) tlsTarget {
	addr, stop := startNginx(backend, certFile, keyFile)
	return tlsTarget{name: "nginx", addr: addr, stop: stop}
}

// caddyTLS is Caddy (Debian's) terminating TLS with the certificate for
// names, reverse proxying to backend.
func caddyTLS(dir, backend string, names []string, certFile, keyFile string) tlsTarget {
	addr := freePort()
	_, port, _ := net.SplitHostPort(addr)
	site := fmt.Sprintf("https://%s:%s {\n  tls %s %s\n  reverse_proxy %s\n}\n", names[0], port, certFile, keyFile, backend)
	tg := startCaddy(dir, "caddy", addr, site)
	if tg.pid == 0 {
		log.Fatal("Caddy did not start (scripts/bench-deps.sh installs it)")
	}
	return tg
}

// startCaddy runs Caddy with sites on addr: no admin endpoint, no ACME,
// its state in its own directory.
func startCaddy(dir, name, addr, sites string) tlsTarget {
	d := filepath.Join(dir, name)
	os.MkdirAll(d, 0o755)
	conf := fmt.Sprintf("{\n  admin off\n  auto_https off\n  storage file_system %s\n}\n%s", filepath.Join(d, "storage"), sites)
	file := filepath.Join(d, "Caddyfile")
	os.WriteFile(file, []byte(conf), 0o644)
	cmd := exec.Command("caddy", "run", "--config", file, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+d, "XDG_CONFIG_HOME="+d, "HOME="+d)
	logf, _ := os.Create(filepath.Join(d, "caddy.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		log.Printf("start Caddy: %v", err)
		return tlsTarget{name: "caddy", stop: func() {}}
	}
	if !waitTCP(addr) {
		b, _ := os.ReadFile(filepath.Join(d, "caddy.log"))
		stopProcess(cmd)
		log.Printf("Caddy does not listen on %s:\n%s", addr, b)
		return tlsTarget{name: "caddy", stop: func() {}}
	}
	return tlsTarget{name: "caddy", addr: addr, pid: cmd.Process.Pid, stop: func() { stopProcess(cmd) }}
}

// traefikTLS is Traefik terminating TLS with the certificate (file
// provider), routing tls.bench to backend.
func traefikTLS(dir, backend, certFile, keyFile string) tlsTarget {
	d := filepath.Join(dir, "traefik")
	os.MkdirAll(d, 0o755)
	addr := freePort()
	static := fmt.Sprintf(`global:
  checkNewVersion: false
  sendAnonymousUsage: false
log:
  level: ERROR
entryPoints:
  websecure:
    address: "%s"
providers:
  file:
    filename: "%s"
`, addr, filepath.Join(d, "dynamic.yml"))
	dynamic := fmt.Sprintf(`http:
  routers:
    app:
      rule: "Host(%[1]s)"
      entryPoints: [websecure]
      service: app
      tls: {}
  services:
    app:
      loadBalancer:
        servers:
          - url: "http://%[2]s"
tls:
  certificates:
    - certFile: "%[3]s"
      keyFile: "%[4]s"
`, "`"+tlsHost+"`", backend, certFile, keyFile)
	os.WriteFile(filepath.Join(d, "traefik.yml"), []byte(static), 0o644)
	os.WriteFile(filepath.Join(d, "dynamic.yml"), []byte(dynamic), 0o644)
	bin, _ := filepath.Abs(traefikBin)
	cmd := exec.Command(bin, "--configFile="+filepath.Join(d, "traefik.yml"))
	cmd.Dir = d
	logf, _ := os.Create(filepath.Join(d, "traefik.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		log.Fatalf("start Traefik: %v", err)
	}
	if !waitTCP(addr) {
		b, _ := os.ReadFile(filepath.Join(d, "traefik.log"))
		log.Fatalf("Traefik does not listen on %s:\n%s", addr, b)
	}
	return tlsTarget{name: "traefik", addr: addr, pid: cmd.Process.Pid, stop: func() { stopProcess(cmd) }}
}
