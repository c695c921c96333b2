// Package stack loads and checks Docker Compose files for stacks (build
// type compose): parsed with compose-go, the Compose specification's own
// library, then held to what one tenant may run on a shared host.
//
// A compose file is the tenant's input, so it is read as an attacker's
// would be. What would reach past the stack is refused, each with the
// file's line and the reason, all at once: host paths (bind mounts, the
// Docker socket, env and label files outside the repository, `include`
// and `extends` of other files), host ports, the host's namespaces
// (network, PID, IPC, UTS, user), privileges (privileged, capabilities,
// security options, devices, sysctls), names that are global on a Docker
// host (container names, volume and network names, external volumes and
// networks, which would reach other teams'), and log drivers that send
// logs elsewhere. Interpolation reads only the stack's own variables
// (the .env file beside the compose file, then Rivetr's env on top),
// never the server's environment. Everything not named here that Compose
// knows is refused too, as not supported, rather than half-honoured.
package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"
)

// Input is what a stack is loaded from.
type Input struct {
	// Name is the stack's (compose project's) name.
	Name string
	// File is the compose file's path in the repository (for messages
	// and relative paths); Compose its content.
	File    string
	Compose []byte
	// DotEnv is the .env file beside it, if any.
	DotEnv []byte
	// Env is Rivetr's env for the stack (from its sealed store): it
	// overrides .env, as a shell's environment does for docker compose.
	Env map[string]string
	// Profiles are the profiles enabled (services without a profile always
	// run).
	Profiles []string
	// ReadFile reads a file of the repository by its path relative to the
	// repository's root, without following links out of it (env_file
	// entries); nil refuses env_file.
	ReadFile func(rel string) ([]byte, error)
	// Images replaces images by name (an image override map: tests and
	// machines that cannot pull use images built locally).
	Images map[string]string
}

// Stack is a checked compose project.
type Stack struct {
	Project *types.Project
	// Order is the services in the order they start: each after those it
	// depends on (names sorted within a rank).
	Order []string
}

// Problem is one thing wrong with a compose file: where (the line and the
// attribute's path) and why.
type Problem struct {
	File   string
	Line   int
	Where  string // e.g. services.web.ports
	Reason string
}

func (p *Problem) Error() string {
	at := p.File
	if p.Line > 0 {
		at += fmt.Sprintf(" line %d", p.Line)
	}
	if p.Where != "" {
		at += " (" + p.Where + ")"
	}
	return at + ": " + p.Reason
}

// Problems are every problem found in a compose file.
type Problems []*Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// workDir is where relative paths of a compose file resolve to while it
// is loaded; no file is ever read from it.
const workDir = "/rivetr-stack"

// Load parses, checks and loads a stack.
func Load(ctx context.Context, in Input) (*Stack, error) {
	if in.File == "" {
		in.File = "compose.yaml"
	}
	var root yaml.Node
	if err := yaml.Unmarshal(in.Compose, &root); err != nil {
		return nil, &Problem{File: in.File, Reason: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	d := &doc{file: in.File, root: &root}
	d.check()
	if len(d.problems) > 0 {
		return nil, d.problems
	}
	env := types.Mapping{}
	if len(in.DotEnv) > 0 {
		vars, err := dotenv.ParseWithLookup(bytes.NewReader(in.DotEnv), func(k string) (string, bool) { v, ok := in.Env[k]; return v, ok })
		if err != nil {
			return nil, &Problem{File: path.Join(path.Dir(in.File), ".env"), Reason: err.Error()}
		}
		for k, v := range vars {
			env[k] = v
		}
	}
	for k, v := range in.Env {
		env[k] = v
	}
	dir := path.Join(workDir, path.Dir(in.File))
	p, err := loader.LoadWithContext(ctx, types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: path.Join(workDir, in.File), Content: in.Compose}},
		Environment: env,
	}, func(o *loader.Options) {
		o.SetProjectName(in.Name, true)
		o.Profiles = in.Profiles
		o.SkipInclude = true
		o.SkipResolveEnvironment = true // env_file: read below, inside the repository
		o.SkipResolveLabels = true
		o.ResourceLoaders = nil
	})
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), workDir+"/", "")
		if _, cycle, ok := strings.Cut(msg, "dependency cycle detected: "); ok {
			names := strings.Split(strings.TrimSpace(cycle), " -> ")
			return nil, &Problem{File: in.File, Line: d.line("services", names[0], "depends_on"), Where: "services." + names[0] + ".depends_on",
				Reason: fmt.Sprintf("%v: %s", ErrCycle, strings.Join(names, " → "))}
		}
		var svc, dep string
		if n, _ := fmt.Sscanf(msg, "service %q depends on undefined service %q", &svc, &dep); n == 2 {
			return nil, &Problem{File: in.File, Line: d.line("services", svc, "depends_on"), Where: "services." + svc + ".depends_on",
				Reason: fmt.Sprintf("depends on %q, which is not a service of this file (or not in an enabled profile)", dep)}
		}
		return nil, &Problem{File: in.File, Reason: msg}
	}
	d.checkProject(p)
	d.resolveEnvFiles(p, in.ReadFile)
	if len(d.problems) > 0 {
		return nil, d.problems
	}
	for name, s := range p.Services {
		if img, ok := in.Images[s.Image]; ok {
			s.Image = img
			p.Services[name] = s
		}
	}
	order, err := d.order(p)
	if err != nil {
		return nil, err
	}
	return &Stack{Project: p, Order: order}, nil
}

// doc is a compose file's YAML tree, for the checks that need its lines.
type doc struct {
	file     string
	root     *yaml.Node
	problems Problems
}

func (d *doc) refuse(line int, where, format string, args ...any) {
	d.problems = append(d.problems, &Problem{File: d.file, Line: line, Where: where, Reason: fmt.Sprintf(format, args...)})
}

// mapping returns n's key/value pairs when it is a mapping.
func mapping(n *yaml.Node) [][2]*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([][2]*yaml.Node, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	return out
}

// get is the value of key in mapping n.
func get(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	for _, kv := range mapping(n) {
		if kv[0].Value == key {
			return kv[0], kv[1]
		}
	}
	return nil, nil
}

// line is the line of the attribute at path (its key), or of the
// deepest part of it found.
func (d *doc) line(keys ...string) int {
	n, best := d.root, 0
	for _, k := range keys {
		key, v := get(n, k)
		if key == nil {
			break
		}
		best, n = key.Line, v
	}
	return best
}

// Top-level attributes and what is done with them.
var topLevel = map[string]string{
	"name": "", "version": "", "services": "", "volumes": "", "networks": "", "secrets": "", "configs": "",
	"include": "include reads other files, which may be outside the repository; put the services in this file",
	"models":  "models are not supported by Rivetr stacks",
}

// serviceRefusals are service attributes refused with their reason.
var serviceRefusals = map[string]string{
	"ports":               "publishing host ports is refused: the proxy routes each domain to its service; list the port under expose (or nothing) and give the service a domain",
	"privileged":          "privileged containers control the host",
	"network_mode":        "a service joins its stack's own networks only (host or another container's network would reach past the stack)",
	"pid":                 "sharing the host's (or another container's) process namespace is refused",
	"ipc":                 "sharing the host's (or another container's) IPC namespace is refused",
	"uts":                 "sharing the host's UTS namespace is refused",
	"userns_mode":         "leaving the user namespace setting of the host is refused",
	"cgroup":              "sharing the host's cgroup namespace is refused",
	"cgroup_parent":       "placing containers in another cgroup is refused",
	"devices":             "host devices are refused",
	"device_cgroup_rules": "device rules are refused",
	"gpus":                "host GPUs are refused",
	"cap_add":             "adding capabilities is refused (cap_drop is fine)",
	"security_opt":        "security options (seccomp, AppArmor, SELinux labels) are refused",
	"sysctls":             "kernel parameters are refused",
	"container_name":      "container names are global on a Docker host and would collide with other stacks'; Rivetr names containers after the stack",
	"volumes_from":        "mounting another container's volumes is refused; declare a named volume in the stack and mount it in both services",
	"volume_driver":       "volume drivers are refused",
	"label_file":          "label files are read from the host; set labels inline",
	"logging":             "log drivers are refused: Rivetr keeps each service's logs",
	"runtime":             "container runtimes are refused",
	"isolation":           "isolation settings are refused",
	"storage_opt":         "storage options are refused",
	"credential_spec":     "credential specs are refused",
	"use_api_socket":      "the Docker API socket is refused: it controls the host",
	"oom_kill_disable":    "disabling the OOM killer is refused",
	"oom_score_adj":       "changing the OOM score is refused",
	"provider":            "providers are not supported by Rivetr stacks",
	"develop":             "develop (watch) is not supported by Rivetr stacks",
	"post_start":          "lifecycle hooks are not supported by Rivetr stacks",
	"pre_stop":            "lifecycle hooks are not supported by Rivetr stacks",
	"models":              "models are not supported by Rivetr stacks",
	"external_links":      "linking to containers outside the stack is refused",
	"attach":              "", // harmless: logs are Rivetr's either way
}

// serviceAllowed are the service attributes a stack may use.
var serviceAllowed = []string{
	"image", "build", "command", "entrypoint", "environment", "env_file", "depends_on", "healthcheck", "restart",
	"expose", "volumes", "tmpfs", "networks", "labels", "annotations", "working_dir", "user", "group_add", "stop_signal", "stop_grace_period",
	"deploy", "mem_limit", "mem_reservation", "memswap_limit", "mem_swappiness", "cpus", "cpu_shares", "cpu_quota", "cpu_period", "cpuset", "cpu_count", "cpu_percent",
	"pids_limit", "init", "read_only", "ulimits", "hostname", "domainname", "dns", "dns_search", "dns_opt", "extra_hosts", "profiles",
	"secrets", "configs", "extends", "shm_size", "stdin_open", "tty", "platform", "pull_policy", "cap_drop", "scale", "mac_address", "umask", "blkio_config",
	"links", "attach",
}

// check walks the tree for what must be refused before compose-go reads
// anything.
func (d *doc) check() {
	top := mapping(d.root)
	if top == nil {
		d.refuse(1, "", "a compose file is a mapping with a services key")
		return
	}
	for _, kv := range top {
		k := kv[0].Value
		why, known := topLevel[k]
		switch {
		case strings.HasPrefix(k, "x-"):
		case !known:
			d.refuse(kv[0].Line, k, "unknown top-level attribute %q", k)
		case why != "":
			d.refuse(kv[0].Line, k, "%s", why)
		}
	}
	_, services := get(d.root, "services")
	if len(mapping(services)) == 0 {
		d.refuse(d.line("services"), "services", "the file names no services")
	}
	for _, svc := range mapping(services) {
		name := svc[0].Value
		for _, kv := range mapping(svc[1]) {
			k, where := kv[0].Value, "services."+name+"."+kv[0].Value
			if why, ok := serviceRefusals[k]; ok && why != "" {
				if k == "network_mode" && strings.HasPrefix(kv[1].Value, "service:") {
					why = "a service joins its stack's networks; sharing another service's network namespace is refused"
				}
				d.refuse(kv[0].Line, where, "%s", why)
				continue
			}
			if !slices.Contains(serviceAllowed, k) && !strings.HasPrefix(k, "x-") {
				d.refuse(kv[0].Line, where, "%q is not supported by Rivetr stacks", k)
			}
		}
		if key, ext := get(svc[1], "extends"); key != nil {
			if fk, _ := get(ext, "file"); fk != nil {
				d.refuse(fk.Line, "services."+name+".extends.file", "extends reads another file, which may be outside the repository; extend a service of this file")
			}
		}
		if key, b := get(svc[1], "build"); key != nil {
			d.checkBuild(name, b)
		}
	}
	d.checkResources("volumes", map[string]string{
		"external":    "external volumes are refused: they are any volume on the host, another team's too",
		"name":        "volume names are global on a Docker host; Rivetr names a stack's volumes after the stack",
		"driver_opts": "driver options are refused: they bind host paths",
		"driver":      "",
	})
	d.checkResources("networks", map[string]string{
		"external":    "external networks are refused: they are any network on the host, another team's too",
		"name":        "network names are global on a Docker host; Rivetr names a stack's networks after the stack",
		"driver_opts": "driver options are refused",
		"ipam":        "IP address management is refused",
		"driver":      "",
	})
	for _, kind := range []string{"secrets", "configs"} {
		_, res := get(d.root, kind)
		for _, r := range mapping(res) {
			for _, kv := range mapping(r[1]) {
				switch kv[0].Value {
				case "environment", "content", "labels":
				case "file":
					d.refuse(kv[0].Line, kind+"."+r[0].Value+".file", "%s from files are refused; keep the value in Rivetr (rivetr env set STACK NAME=… --secret) and use environment: NAME", kind)
				default:
					d.refuse(kv[0].Line, kind+"."+r[0].Value+"."+kv[0].Value, "%q is refused for %s: use environment: NAME (from Rivetr's env)", kv[0].Value, kind)
				}
			}
		}
	}
}

// checkBuild refuses build contexts and Dockerfiles outside the
// repository, remote contexts and build options that reach the host.
func (d *doc) checkBuild(service string, b *yaml.Node) {
	where := "services." + service + ".build"
	if b.Kind == yaml.ScalarNode {
		d.checkRel(b.Line, where, b.Value, "the build context")
		return
	}
	for _, kv := range mapping(b) {
		k := kv[0].Value
		switch k {
		case "context":
			d.checkRel(kv[0].Line, where+".context", kv[1].Value, "the build context")
		case "dockerfile":
			d.checkRel(kv[0].Line, where+".dockerfile", kv[1].Value, "the Dockerfile")
		case "args", "target", "labels", "cache_from", "no_cache", "pull", "shm_size", "tags", "platforms":
		case "dockerfile_inline":
		default:
			d.refuse(kv[0].Line, where+"."+k, "build %q is refused (it reaches past the repository or the host's builder)", k)
		}
	}
}

// checkRel refuses a path that is absolute, leaves the repository or is a
// URL.
func (d *doc) checkRel(line int, where, p, what string) {
	switch {
	case strings.Contains(p, "://") || strings.HasPrefix(p, "git@"):
		d.refuse(line, where, "%s must be in the repository, not a URL", what)
	case strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~"):
		d.refuse(line, where, "%s must be a path inside the repository, not %s", what, p)
	case slices.Contains(strings.Split(path.Clean(p), "/"), ".."):
		d.refuse(line, where, "%s %s leaves the repository", what, p)
	}
}

// checkResources refuses the named attributes of top-level volumes or
// networks ("driver": only local or bridge).
func (d *doc) checkResources(kind string, refused map[string]string) {
	_, res := get(d.root, kind)
	for _, r := range mapping(res) {
		for _, kv := range mapping(r[1]) {
			k := kv[0].Value
			why, ok := refused[k]
			switch {
			case !ok:
			case k == "driver":
				if v := kv[1].Value; v != "local" && v != "bridge" && v != "" {
					d.refuse(kv[0].Line, kind+"."+r[0].Value+".driver", "the %s driver is refused (local volumes and bridge networks only)", v)
				}
			case k == "external" && kv[1].Value == "false":
			default:
				d.refuse(kv[0].Line, kind+"."+r[0].Value+"."+k, "%s", why)
			}
		}
	}
}

// checkProject checks what compose-go resolved: mounts, and that every
// image can be had.
func (d *doc) checkProject(p *types.Project) {
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		for _, v := range s.Volumes {
			switch v.Type {
			case types.VolumeTypeVolume, types.VolumeTypeTmpfs:
			case types.VolumeTypeBind:
				src := strings.TrimPrefix(v.Source, workDir+"/")
				if strings.Contains(v.Source, "docker.sock") {
					d.refuse(d.line("services", name, "volumes"), "services."+name+".volumes", "mounting the Docker socket (%s) is refused: it controls the host and every team's containers", v.Source)
				} else {
					d.refuse(d.line("services", name, "volumes"), "services."+name+".volumes", "host paths are refused (%s): they would let one team read another's data; declare a named volume under volumes: and mount it", src)
				}
			default:
				d.refuse(d.line("services", name, "volumes"), "services."+name+".volumes", "%s mounts are refused", v.Type)
			}
		}
		if s.Image == "" && s.Build == nil {
			d.refuse(d.line("services", name), "services."+name, "the service has neither an image nor a build")
		}
		for dep := range s.DependsOn {
			if _, ok := p.Services[dep]; !ok {
				d.refuse(d.line("services", name, "depends_on"), "services."+name+".depends_on", "depends on %q, which is not a service of this file (or not in an enabled profile)", dep)
			}
		}
	}
}

// resolveEnvFiles reads each service's env_file entries from the
// repository (inside it only) into its environment, under what the
// service sets itself.
func (d *doc) resolveEnvFiles(p *types.Project, read func(string) ([]byte, error)) {
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		if len(s.EnvFiles) == 0 {
			continue
		}
		where := "services." + name + ".env_file"
		if read == nil {
			d.refuse(d.line("services", name, "env_file"), where, "env_file is not read here; set the variables with rivetr env")
			continue
		}
		if s.Environment == nil {
			s.Environment = types.MappingWithEquals{}
		}
		for _, f := range s.EnvFiles {
			if !strings.HasPrefix(f.Path, workDir+"/") {
				d.refuse(d.line("services", name, "env_file"), where, "the env file %s must be inside the repository", f.Path)
				continue
			}
			rel := strings.TrimPrefix(f.Path, workDir+"/")
			b, err := read(rel)
			if err != nil {
				if !f.Required {
					continue
				}
				d.refuse(d.line("services", name, "env_file"), where, "the env file %s cannot be read: %v", rel, err)
				continue
			}
			vars, err := dotenv.ParseWithLookup(bytes.NewReader(b), nil)
			if err != nil {
				d.refuse(d.line("services", name, "env_file"), where, "the env file %s: %v", rel, err)
				continue
			}
			for k, v := range vars {
				if _, set := s.Environment[k]; !set {
					v := v
					s.Environment[k] = &v
				}
			}
		}
		s.EnvFiles = nil
		p.Services[name] = s
	}
}

// ErrCycle is a dependency cycle among a stack's services.
var ErrCycle = errors.New("the services depend on each other in a cycle")

// order sorts the services so each starts after what it depends on,
// refusing a cycle (naming it, with the line of the first depends_on).
func (d *doc) order(p *types.Project) ([]string, error) {
	names := p.ServiceNames()
	sort.Strings(names)
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var out, stack []string
	var visit func(n string) error
	visit = func(n string) error {
		switch state[n] {
		case done:
			return nil
		case visiting:
			i := slices.Index(stack, n)
			cycle := append(slices.Clone(stack[i:]), n)
			return &Problem{File: d.file, Line: d.line("services", cycle[0], "depends_on"), Where: "services." + cycle[0] + ".depends_on",
				Reason: fmt.Sprintf("%v: %s", ErrCycle, strings.Join(cycle, " → "))}
		}
		state[n] = visiting
		stack = append(stack, n)
		deps := make([]string, 0, len(p.Services[n].DependsOn))
		for dep := range p.Services[n].DependsOn {
			deps = append(deps, dep)
		}
		sort.Strings(deps)
		for _, dep := range deps {
			if err := visit(dep); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		out = append(out, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}
