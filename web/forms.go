package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

// appForm holds an app form's values as typed, so a form with errors comes
// back exactly as the user left it.
type appForm struct {
	Name, GitURL, Branch, Dockerfile, Domains, Port, HealthPath string
	HealthInterval, HealthTimeout, HealthDeadline, DrainTimeout string
	MemoryMB, CPUs, KeepImages, GitToken, SSHKey                string
	Team                                                        string
	BuildType, BuildContext, StaticDir                          string
	Strategy, ComposeFile, StackService, ComposeInline          string
	Profiles, Routes                                            string
	ClearGitToken, ClearSSHKey, HasGitToken, HasSSHKey          bool
}

func newAppForm() appForm {
	return appForm{
		Branch: service.DefaultBranch, Dockerfile: service.DefaultDockerfile, Port: strconv.Itoa(service.DefaultPort),
		HealthPath: service.DefaultHealthPath, HealthInterval: service.DefaultHealthInterval.String(),
		HealthTimeout: service.DefaultHealthTimeout.String(), HealthDeadline: service.DefaultHealthDeadline.String(),
		DrainTimeout: service.DefaultDrainTimeout.String(), MemoryMB: "0", CPUs: "0", KeepImages: strconv.Itoa(service.DefaultKeepImages),
		BuildType: "auto", Strategy: string(release.StartFirst),
	}
}

// formOf fills the settings form from an app. Secrets are never put back
// into a page: the form only says whether they are set.
func formOf(a *service.AppView) appForm {
	return appForm{
		Name: a.Name, GitURL: a.GitURL, Branch: a.Branch, Dockerfile: a.Dockerfile, Domains: strings.Join(a.Domains, ", "),
		Port: strconv.Itoa(a.Port), HealthPath: a.HealthPath, HealthInterval: a.HealthInterval.D().String(),
		HealthTimeout: a.HealthTimeout.D().String(), HealthDeadline: a.HealthDeadline.D().String(),
		DrainTimeout: a.DrainTimeout.D().String(), MemoryMB: strconv.FormatInt(a.MemoryLimitMB, 10),
		CPUs: strconv.FormatFloat(a.CPULimit, 'f', -1, 64), KeepImages: strconv.Itoa(a.KeepImages),
		HasGitToken: a.HasGitToken, HasSSHKey: a.HasSSHKey,
		BuildType: a.BuildType, BuildContext: a.BuildContext, StaticDir: a.StaticDir, Strategy: string(a.Strategy.Or()),
		ComposeFile: a.ComposeFile, StackService: a.StackService, ComposeInline: a.ComposeInline,
		Profiles: strings.Join(a.StackProfiles, ", "),
		Routes:   routesText(a.StackRoutes),
	}
}

func readAppForm(c *gin.Context) appForm {
	v := func(k string) string { return strings.TrimSpace(c.PostForm(k)) }
	return appForm{
		Name: v("name"), GitURL: v("git_url"), Branch: v("branch"), Dockerfile: v("dockerfile"), Domains: v("domains"),
		Port: v("port"), HealthPath: v("health_path"), HealthInterval: v("health_interval"), HealthTimeout: v("health_timeout"),
		HealthDeadline: v("health_deadline"), DrainTimeout: v("drain_timeout"), MemoryMB: v("memory_mb"), CPUs: v("cpus"),
		KeepImages: v("keep_images"), GitToken: v("git_token"), SSHKey: c.PostForm("ssh_key"), Team: v("team"),
		ClearGitToken: c.PostForm("clear_git_token") != "", ClearSSHKey: c.PostForm("clear_ssh_key") != "",
		BuildType: v("build_type"), BuildContext: v("build_context"), StaticDir: v("static_dir"), Strategy: v("strategy"),
		ComposeFile: v("compose_file"), StackService: v("stack_service"), ComposeInline: v("compose_inline"),
		Profiles: v("stack_profiles"),
		Routes:   v("stack_routes"),
	}
}

// input turns the form into a service request. Only the form's own syntax
// (numbers, durations) is checked here; every rule is the service's, so the
// form validates exactly like the API. Empty optional fields keep their
// current value (or the default, on create).
func (f appForm) input(creating bool) (service.AppInput, map[string]string) {
	errs := map[string]string{}
	var in service.AppInput
	str := func(v string, dst **string) {
		if v != "" || creating {
			s := v
			*dst = &s
		}
	}
	if creating {
		str(f.Name, &in.Name)
		if f.Team != "" {
			str(f.Team, &in.Team)
		}
	}
	str(f.GitURL, &in.GitURL)
	if f.Branch != "" {
		in.Branch = &f.Branch
	}
	if f.Dockerfile != "" {
		in.Dockerfile = &f.Dockerfile
	}
	if f.HealthPath != "" {
		in.HealthPath = &f.HealthPath
	}
	if f.BuildType != "" {
		in.BuildType = &f.BuildType
	}
	if f.Strategy != "" {
		in.Strategy = &f.Strategy
	}
	// Empty means "find it" (compose file) or none (a build type other
	// than compose).
	in.ComposeFile, in.StackService, in.ComposeInline = &f.ComposeFile, &f.StackService, &f.ComposeInline
	profiles := strings.FieldsFunc(f.Profiles, func(r rune) bool { return r == ',' || r == ' ' })
	in.StackProfiles = &profiles
	routes := []release.StackRoute{}
	for _, line := range strings.FieldsFunc(f.Routes, func(r rune) bool { return r == '\n' || r == ',' }) {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		r, err := release.ParseStackRoute(line)
		if err != nil {
			errs["stack_routes"] = err.Error()
			continue
		}
		routes = append(routes, r)
	}
	in.StackRoutes = &routes
	// Empty means the root (context) or "find it" (static directory).
	in.BuildContext, in.StaticDir = &f.BuildContext, &f.StaticDir
	domains := strings.FieldsFunc(f.Domains, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
	if domains == nil {
		domains = []string{}
	}
	in.Domains = &domains
	integer := func(field, v string, dst **int) {
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs[field] = fmt.Sprintf("%q is not a whole number", v)
			return
		}
		*dst = &n
	}
	integer("port", f.Port, &in.Port)
	integer("keep_images", f.KeepImages, &in.KeepImages)
	if f.MemoryMB != "" {
		if n, err := strconv.ParseInt(f.MemoryMB, 10, 64); err != nil {
			errs["memory_limit_mb"] = fmt.Sprintf("%q is not a whole number of MiB", f.MemoryMB)
		} else {
			in.MemoryLimitMB = &n
		}
	}
	if f.CPUs != "" {
		if x, err := strconv.ParseFloat(f.CPUs, 64); err != nil {
			errs["cpu_limit"] = fmt.Sprintf("%q is not a number of cores", f.CPUs)
		} else {
			in.CPULimit = &x
		}
	}
	duration := func(field, v string, dst **schema.Duration) {
		if v == "" {
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			errs[field] = fmt.Sprintf("%q is not a duration such as 5s or 1m30s", v)
			return
		}
		sd := schema.Duration(d)
		*dst = &sd
	}
	duration("health_interval", f.HealthInterval, &in.HealthInterval)
	duration("health_timeout", f.HealthTimeout, &in.HealthTimeout)
	duration("health_deadline", f.HealthDeadline, &in.HealthDeadline)
	duration("drain_timeout", f.DrainTimeout, &in.DrainTimeout)
	empty := ""
	switch {
	case f.ClearGitToken:
		in.GitToken = &empty
	case f.GitToken != "":
		in.GitToken = &f.GitToken
	}
	switch {
	case f.ClearSSHKey:
		in.SSHKey = &empty
	case strings.TrimSpace(f.SSHKey) != "":
		in.SSHKey = &f.SSHKey
	}
	return in, errs
}

// routesText shows stack routes one per line, as the form takes them.
func routesText(routes []release.StackRoute) string {
	lines := make([]string, len(routes))
	for i, r := range routes {
		lines[i] = r.String()
	}
	return strings.Join(lines, "\n")
}
