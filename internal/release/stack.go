package release

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The names of what a stack (an app of build type compose) makes on a
// Docker host. They carry the app's ID, so a stack's network and volumes
// are its own: another app's, or a later app under a deleted one's name,
// never shares them.

// StackNetwork is the network a stack's services find each other on by
// service name.
func StackNetwork(appID string) string { return "rivetr-stack-" + appID }

// StackVolume is the Docker name of a stack's named volume.
func StackVolume(appID, name string) string { return "rivetr-stack-" + appID + "-" + name }

// ServiceContainer is the container of a stack's service in a deployment.
func ServiceContainer(app, service, deploymentID string) string {
	return "rivetr-" + app + "-" + service + "-" + deploymentID
}

// ServiceImage is the image a deployment builds for a stack's service
// (by the app's ID: no app's name can make another's repository).
func ServiceImage(appID, service, deploymentID string) string {
	return "rivetr-stack/" + appID + "-" + service + ":" + deploymentID
}

// StackRoute sends one of a stack's domains to a service other than the
// app's routed one: each such service is health-checked, switched and
// drained like the app's own (zero downtime for it too).
type StackRoute struct {
	Host       string `json:"host"`
	Service    string `json:"service"`
	Port       int    `json:"port"`
	HealthPath string `json:"health_path"`
}

func (r StackRoute) String() string {
	return fmt.Sprintf("%s=%s:%d%s", r.Host, r.Service, r.Port, r.HealthPath)
}

// ParseStackRoute reads HOST=SERVICE:PORT[/HEALTH/PATH] (health path
// default "/").
func ParseStackRoute(s string) (StackRoute, error) {
	host, rest, ok := strings.Cut(strings.TrimSpace(s), "=")
	svc, portPath, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || host == "" || svc == "" {
		return StackRoute{}, fmt.Errorf("route %q: want HOST=SERVICE:PORT[/HEALTH-PATH], e.g. admin.example.com=admin:9000/healthz", s)
	}
	port, path, _ := strings.Cut(portPath, "/")
	n, err := strconv.Atoi(port)
	if err != nil {
		return StackRoute{}, fmt.Errorf("route %q: the port %q is not a number", s, port)
	}
	return StackRoute{Host: strings.ToLower(strings.TrimSuffix(host, ".")), Service: svc, Port: n, HealthPath: "/" + path}, nil
}

// RouteKey names a stack service's route in the proxy's table beside the
// app's own (app names have no "@").
func RouteKey(app, service string) string { return app + "@" + service }

// RouteDeployment names a deployment's target of a service's route (the
// key its drain is found by).
func RouteDeployment(deploymentID, service string) string { return deploymentID + "@" + service }

// SplitRouteKey splits a route key into the app and the service ("" for
// the app's own route).
func SplitRouteKey(key string) (app, service string) {
	app, service, _ = strings.Cut(key, "@")
	return app, service
}

// MainDomains are the app's domains its own route (the routed service's)
// answers: those no StackRoute takes.
func MainDomains(domains []string, routes []StackRoute) []string {
	out := make([]string, 0, len(domains))
	for _, d := range domains {
		if !slices.ContainsFunc(routes, func(r StackRoute) bool { return strings.EqualFold(r.Host, d) }) {
			out = append(out, d)
		}
	}
	return out
}

// RouteHosts are the hosts routed to service.
func RouteHosts(routes []StackRoute, service string) []string {
	var out []string
	for _, r := range routes {
		if r.Service == service {
			out = append(out, r.Host)
		}
	}
	return out
}

// RoutedServices are the services routes go to, each with its first
// route (port and health path), in the order first routed.
func RoutedServices(routes []StackRoute) []StackRoute {
	var out []StackRoute
	for _, r := range routes {
		if !slices.ContainsFunc(out, func(o StackRoute) bool { return o.Service == r.Service }) {
			out = append(out, r)
		}
	}
	return out
}
