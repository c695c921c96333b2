package api

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/rivetr/rivetr/internal/ratelimit"
)

// limited serves f's service with limits and trusted proxies.
func limited(t *testing.T, f *fixture, limits *ratelimit.Limits, trusted ...string) *httptest.Server {
	t.Helper()
	engine, err := New(f.svc, slog.New(slog.DiscardHandler), Options{Limits: limits, TrustedProxies: trusted})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(engine)
	t.Cleanup(srv.Close)
	return srv
}

func send(t *testing.T, method, url, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

func TestLoginBruteForceGets429(t *testing.T) {
	f := newFixture(t)
	// Spoofed X-Forwarded-For from an untrusted client: a new "address"
	// every attempt changes nothing.
	srv := limited(t, f, ratelimit.NewLimits(5, 0, 0))
	for i := 0; i < 5; i++ {
		res, _ := send(t, "POST", srv.URL+"/api/auth/login", fmt.Sprintf(`{"email":"u%d@example.com","password":"guess number %d"}`, i, i),
			"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
		if res.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i, res.StatusCode)
		}
	}
	res, body := send(t, "POST", srv.URL+"/api/auth/login", `{"email":"u9@example.com","password":"guess again"}`, "X-Forwarded-For", "198.51.100.99")
	retry, _ := strconv.Atoi(res.Header.Get("Retry-After"))
	if res.StatusCode != 429 || retry < 1 || !strings.Contains(body, `"rate_limited"`) {
		t.Fatalf("sixth attempt with a spoofed address: %d Retry-After %q %s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}

	// Behind a trusted proxy each real client has its own budget, but one
	// account guessed at from many addresses is still stopped.
	srv = limited(t, f, ratelimit.NewLimits(5, 0, 0), "127.0.0.1")
	for i := 0; i < 5; i++ {
		res, _ := send(t, "POST", srv.URL+"/api/auth/login", `{"email":"victim@example.com","password":"guess"}`, "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
		if res.StatusCode != 401 {
			t.Fatalf("distributed attempt %d: %d", i, res.StatusCode)
		}
	}
	if res, _ := send(t, "POST", srv.URL+"/api/auth/login", `{"email":"Victim@Example.com","password":"guess"}`, "X-Forwarded-For", "203.0.113.200"); res.StatusCode != 429 {
		t.Fatalf("sixth guess at one account from a new address: %d", res.StatusCode)
	}
	if res, _ := send(t, "POST", srv.URL+"/api/auth/login", `{"email":"other@example.com","password":"guess"}`, "X-Forwarded-For", "203.0.113.201"); res.StatusCode != 401 {
		t.Fatalf("another account from another address: %d", res.StatusCode)
	}
}

func TestAPIRateLimitPerAddressAndToken(t *testing.T) {
	f := newFixture(t)
	srv := limited(t, f, ratelimit.NewLimits(0, 2, 0)) // 2/s, bursts of 8
	auth := []string{"Authorization", "Bearer " + f.token}
	codes := map[int]int{}
	var last *http.Response
	for i := 0; i < 12; i++ {
		last, _ = send(t, "GET", srv.URL+"/api/apps", "", auth...)
		codes[last.StatusCode]++
	}
	if codes[200] < 8 || codes[200] > 9 || codes[429] < 3 || last.Header.Get("Retry-After") == "" {
		t.Fatalf("12 quick requests at 2/s with bursts of 8: %v", codes)
	}
	// Through a trusted proxy from ever-new addresses, the token's own
	// budget still holds.
	srv = limited(t, f, ratelimit.NewLimits(0, 2, 0), "127.0.0.1")
	var body string
	codes = map[int]int{}
	for i := 0; i < 12; i++ {
		last, body = send(t, "GET", srv.URL+"/api/apps", "", append(auth, "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))...)
		codes[last.StatusCode]++
	}
	if codes[429] < 3 || !strings.Contains(body, "this token") {
		t.Fatalf("one token from many addresses: %v %s", codes, body)
	}
	// Security headers on every answer, refusals included.
	res := last
	for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"} {
		if !strings.Contains(res.Header.Get(k), want) {
			t.Errorf("%s: %q", k, res.Header.Get(k))
		}
	}
}
