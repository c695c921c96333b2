package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

func TestHandler(t *testing.T) {
	site := fstest.MapFS{
		"index.html":       {Data: []byte("home")},
		"about/index.html": {Data: []byte("about")},
		"app.js":           {Data: []byte("js")},
		"assets/logo.svg":  {Data: []byte("<svg/>")},
		"404.html":         {Data: []byte("gone")},
	}
	get := func(h http.Handler, method, p string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, p, nil))
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	h := handler(site, false)
	for _, tc := range []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/", 200, "home"},
		{"GET", "/about/", 200, "about"},
		{"GET", "/app.js", 200, "js"},
		{"GET", "/assets/", 404, "gone"}, // no listing
		{"GET", "/missing", 404, "gone"},
		{"GET", "/../../etc/passwd", 404, "gone"},
		{"HEAD", "/", 200, ""},
		{"POST", "/", 405, "method not allowed\n"},
	} {
		if code, body := get(h, tc.method, tc.path); code != tc.code || body != tc.body {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, code, body, tc.code, tc.body)
		}
	}
	spa := handler(site, true)
	if code, body := get(spa, "GET", "/some/route"); code != 200 || body != "home" {
		t.Errorf("SPA fallback: %d %q", code, body)
	}
}
