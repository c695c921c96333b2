package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rivetr/rivetr/internal/service"
)

// loadStats is what the clients saw.
type loadStats struct {
	mu            sync.Mutex
	ok, failed    int
	slowOK        int
	slowFailed    int
	errors        map[string]int
	steady, busy  []float64 // latencies (ms) outside and during releases
	start         time.Time
	timeline      []sample // every request to /, for the plot
	wsReconnects  atomic.Int64
	wsEchoes      atomic.Int64
	wsFailedOpens atomic.Int64
}

func (l *loadStats) record(lat time.Duration, err error, code int, slow, during bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ms := float64(lat.Microseconds()) / 1000
	good := err == nil && code == 200
	if !slow {
		at := time.Since(l.start).Seconds() - lat.Seconds()
		l.timeline = append(l.timeline, sample{at: at, ms: ms, failed: !good})
	}
	switch {
	case slow && good:
		l.slowOK++
	case slow:
		l.slowFailed++
	case good:
		l.ok++
		if during {
			l.busy = append(l.busy, ms)
		} else {
			l.steady = append(l.steady, ms)
		}
	default:
		l.failed++
	}
	if !good {
		key := fmt.Sprintf("status %d", code)
		if err != nil {
			key = err.Error()
			if i := strings.LastIndex(key, ": "); i >= 0 {
				key = key[i+2:]
			}
		}
		l.errors[key]++
	}
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[int(float64(len(s)-1)*p)]
}

// benchZeroDowntime keeps ≥ 200 requests/s on an app through the proxy,
// with slow (1 s) requests and long-lived upgraded connections besides,
// while 20 deploys and 5 rollbacks run one after another.
func benchZeroDowntime(bin string) Result {
	log.Printf("zero downtime: 250 req/s, slow requests and WebSockets through 20 deploys and 5 rollbacks")
	s := startServer(bin)
	defer s.stop()
	repo := backendRepo("z0")
	defer os.RemoveAll(repo)
	app := "zdt-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	host := app + ".bench"
	ctx := context.Background()
	if _, err := s.client.CreateApp(ctx, service.AppInput{Name: &app, GitURL: &repo, Domains: &[]string{host}}); err != nil {
		log.Fatal(err)
	}
	defer s.client.DeleteApp(ctx, app)
	deployAndWait(s, app)

	stats := &loadStats{errors: map[string]int{}, start: time.Now()}
	var releasing atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	get := func(path string) (time.Duration, int, error) {
		req, _ := http.NewRequest("GET", "http://"+s.proxy+path, nil)
		req.Host = host
		t0 := time.Now()
		res, err := client.Do(req)
		if err != nil {
			return time.Since(t0), 0, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return time.Since(t0), res.StatusCode, nil
	}
	// 250 req/s, open loop.
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(4 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				during := releasing.Load()
				go func() {
					lat, code, err := get("/")
					stats.record(lat, err, code, false, during)
				}()
			}
		}
	}()
	// clients runs n goroutines that repeat step until stop closes.
	clients := func(n int, step func()) {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
						step()
					}
				}
			}()
		}
	}
	// Eight clients always waiting on a 1 s answer.
	clients(8, func() {
		lat, code, err := get("/slow")
		stats.record(lat, err, code, true, false)
	})
	// Four upgraded connections sending a line every 100 ms; a proxy drain
	// closes them, and they reconnect as a browser's WebSocket would.
	clients(4, func() {
		if !wsSession(s.proxy, host, stop, stats) {
			stats.wsFailedOpens.Add(1)
			time.Sleep(50 * time.Millisecond)
		}
	})

	time.Sleep(3 * time.Second) // steady state first
	start := time.Now()
	var deploys, rollbacks int
	var windows [][2]float64
	for i := 1; i <= 25; i++ {
		releasing.Store(true)
		w0 := time.Since(stats.start).Seconds()
		if i%5 == 0 {
			d, err := s.client.Rollback(ctx, app, service.RollbackRequest{})
			if err != nil {
				log.Fatal(err)
			}
			waitDeployment(s, d.ID)
			rollbacks++
		} else {
			commitBackend(repo, fmt.Sprintf("z%d", i))
			deployAndWait(s, app)
			deploys++
		}
		releasing.Store(false)
		windows = append(windows, [2]float64{w0, time.Since(stats.start).Seconds()})
		time.Sleep(500 * time.Millisecond)
	}
	releaseTime := time.Since(start)
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	stats.mu.Lock()
	defer stats.mu.Unlock()
	total := stats.ok + stats.failed
	figs := map[string]float64{
		"deploys": float64(deploys), "rollbacks": float64(rollbacks),
		"requests": float64(total), "failed_requests": float64(stats.failed),
		"slow_requests": float64(stats.slowOK + stats.slowFailed), "failed_slow_requests": float64(stats.slowFailed),
		"rate_rps":               round(float64(total) / (releaseTime + 5*time.Second).Seconds()),
		"steady_p50_ms":          round(percentile(stats.steady, 0.5)),
		"steady_p99_ms":          round(percentile(stats.steady, 0.99)),
		"during_release_p50_ms":  round(percentile(stats.busy, 0.5)),
		"during_release_p99_ms":  round(percentile(stats.busy, 0.99)),
		"websocket_reconnects":   float64(stats.wsReconnects.Load()),
		"websocket_echoes":       float64(stats.wsEchoes.Load()),
		"websocket_failed_opens": float64(stats.wsFailedOpens.Load()),
	}
	timelinePlot("zero_downtime.png", fmt.Sprintf("Every request at 250 req/s through %d deploys and %d rollbacks", deploys, rollbacks), stats.timeline, windows)
	notes := "open-loop 250 req/s to / plus 8 clients on a 1 s endpoint and 4 upgraded connections echoing every 100 ms, through 20 deploys and 5 rollbacks of the Go backend; WebSockets are closed when their container is drained and reconnect"
	if len(stats.errors) > 0 {
		var es []string
		for k, v := range stats.errors {
			es = append(es, fmt.Sprintf("%s ×%d", k, v))
		}
		sort.Strings(es)
		notes += "; errors: " + strings.Join(es, ", ")
	}
	log.Printf("  %d requests, %d failed; %d slow, %d failed; %d WebSocket reconnects", total, stats.failed, stats.slowOK+stats.slowFailed, stats.slowFailed, stats.wsReconnects.Load())
	return Result{Name: "zero_downtime", Figures: figs, Notes: notes}
}

// wsSession opens an upgraded connection and echoes until it is closed or
// stop; it reports whether the upgrade succeeded.
func wsSession(proxy, host string, stop chan struct{}, stats *loadStats) bool {
	conn, err := net.DialTimeout("tcp", proxy, 5*time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", host)
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		return false
	}
	for {
		select {
		case <-stop:
			return true
		case <-time.After(100 * time.Millisecond):
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := fmt.Fprint(conn, "ping\n"); err != nil {
			stats.wsReconnects.Add(1)
			return true
		}
		if _, err := br.ReadString('\n'); err != nil {
			stats.wsReconnects.Add(1)
			return true
		}
		stats.wsEchoes.Add(1)
	}
}
