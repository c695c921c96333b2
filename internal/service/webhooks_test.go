package service

import "testing"

func TestLoopbackURL(t *testing.T) {
	for u, want := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://localhost:8080/": true, "http://[::1]:8080": true, "http://dash.localhost": true,
		"https://rivetr.example.com": false, "http://10.0.0.5:8080": false, "::bad": false,
	} {
		if got := loopbackURL(u); got != want {
			t.Errorf("%s: %v, want %v", u, got, want)
		}
	}
}
