package release

import (
	"slices"
	"strings"
	"testing"
)

func TestParseStackRoute(t *testing.T) {
	for in, want := range map[string]StackRoute{
		"admin.example.com=admin:9000/healthz": {Host: "admin.example.com", Service: "admin", Port: 9000, HealthPath: "/healthz"},
		"Docs.Example.com.=docs:80":            {Host: "docs.example.com", Service: "docs", Port: 80, HealthPath: "/"},
		" a.test=api:8080/v1/up ":              {Host: "a.test", Service: "api", Port: 8080, HealthPath: "/v1/up"},
	} {
		got, err := ParseStackRoute(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
		if back, _ := ParseStackRoute(got.String()); back != got {
			t.Errorf("%q does not read back: %+v", got.String(), back)
		}
	}
	for in, msg := range map[string]string{
		"admin.example.com":         "want HOST=SERVICE:PORT",
		"admin.example.com=admin":   "want HOST=SERVICE:PORT",
		"=admin:80":                 "want HOST=SERVICE:PORT",
		"a.test=admin:port/healthz": `the port "port" is not a number`,
	} {
		if _, err := ParseStackRoute(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", in, err, msg)
		}
	}
}

func TestRouteDomains(t *testing.T) {
	routes := []StackRoute{{Host: "admin.test", Service: "admin", Port: 9000, HealthPath: "/"}, {Host: "ADMIN2.test", Service: "admin", Port: 9000, HealthPath: "/"}, {Host: "docs.test", Service: "docs", Port: 80, HealthPath: "/"}}
	if got := MainDomains([]string{"shop.test", "admin.test", "admin2.test", "docs.test"}, routes); !slices.Equal(got, []string{"shop.test"}) {
		t.Errorf("main domains: %v", got)
	}
	if got := RouteHosts(routes, "admin"); !slices.Equal(got, []string{"admin.test", "ADMIN2.test"}) {
		t.Errorf("route hosts: %v", got)
	}
	if got := RoutedServices(routes); len(got) != 2 || got[0].Service != "admin" || got[1].Service != "docs" {
		t.Errorf("routed services: %v", got)
	}
	if app, svc := SplitRouteKey(RouteKey("shop", "admin")); app != "shop" || svc != "admin" {
		t.Errorf("route key: %s %s", app, svc)
	}
	if app, svc := SplitRouteKey("shop"); app != "shop" || svc != "" {
		t.Errorf("an app's own key: %s %s", app, svc)
	}
}
