package e2e

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/rivetr/rivetr/internal/secrets"
)

// TestExternalClusterAndWorker runs Rivetr the way it outgrows one machine:
// a Temporal cluster it does not start (here the frontend of another rivetr
// server), PostgreSQL for its data when available, and a `rivetr worker`
// agent that builds, runs and proxies the app on its own "host". The server
// starts no embedded Temporal and runs no proxy itself; the agent is the
// rivetr-agent binary, built without the Temporal server, which also refuses
// to run without --temporal-address.
func TestExternalClusterAndWorker(t *testing.T) {
	needDocker(t)
	// The cluster: an embedded Temporal whose own workers use "default".
	cluster := NewServer(t, false)
	cluster.Start()
	ns := "rivetr-ext-" + randSuffix()
	registerNamespace(t, cluster, ns)
	dbURL := databaseURL(t)
	if dbURL == "" {
		if os.Getenv("RIVETR_REQUIRE_POSTGRES") != "" {
			t.Fatal("RIVETR_REQUIRE_POSTGRES is set but RIVETR_TEST_POSTGRES_URL is empty")
		}
		t.Skip("needs PostgreSQL (RIVETR_TEST_POSTGRES_URL): the server and the agent share the control-plane database")
	}

	api := NewServer(t, false)
	api.args = []string{"server", "--data-dir", api.DataDir, "--http-addr", strings.TrimPrefix(api.HTTP, "http://"),
		"--proxy-addr=", "--temporal-address", cluster.Temporal, "--temporal-namespace", ns,
		"--database-url", dbURL, "--host-name", "control", "--docker-network", api.Network}
	// Both processes open the same sealed secrets: they share the key.
	key := "RIVETR_SECRET_KEY=" + base64.StdEncoding.EncodeToString(secrets.Generate())
	// The cluster's frontend answers only with its token.
	token := "RIVETR_TEMPORAL_TOKEN=" + cluster.TemporalToken()
	api.env = []string{key, token}
	api.Start()

	agent := NewServer(t, false)
	agent.args = []string{"worker", "--data-dir", agent.DataDir, "--proxy-addr", agent.Proxy,
		"--temporal-address", cluster.Temporal, "--temporal-namespace", ns,
		"--database-url", dbURL, "--host-name", "dock1", "--docker-network", agent.Network}
	agent.readyLog = "proxy serving apps"
	agent.bin = agentBin
	agent.env = []string{key, token}
	agent.Start()

	// Without a cluster to join, rivetr-agent says what to do instead.
	out, err := exec.Command(agentBin, "server", "--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0", "--proxy-addr=").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no embedded Temporal server: pass --temporal-address") {
		t.Fatalf("rivetr-agent server without --temporal-address: %v\n%s", err, out)
	}

	log, _ := os.ReadFile(api.logPath)
	if strings.Contains(string(log), "embedded Temporal server started") {
		t.Fatal("--temporal-address must not start an embedded server")
	}

	app := "ext-" + randSuffix()
	host := app + ".test"
	CleanupApp(t, app)
	repo := NewRepo(t)
	repo.Commit("v1", map[string]string{"Dockerfile": AppDockerfile("ext-v1", "", "")})
	api.MustCLI("apps", "create", app, "--git", repo.Dir, "--domain", host, "--host", "dock1")
	secret := "cluster-secret-" + randSuffix()
	api.MustCLI("env", "set", app, "GREETING="+secret, "--secret")
	if r := api.CLI("deploy", app, "--wait"); r.Code != 0 {
		t.Fatalf("deploy on the agent: %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if body := agent.MustGet(host, "/"); body != "ext-v1" {
		t.Fatalf("agent proxy serves %q", body)
	}
	if got := strings.TrimSpace(agent.MustGet(host, "/greeting")); got != secret {
		t.Fatalf("the agent's container got GREETING=%q, want the secret the API server sealed", got)
	}
	// The search attributes were registered at runtime in the new namespace.
	c, err := client.Dial(cluster.TemporalOptions(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	eventually(t, 20*time.Second, "the deploy listed by RivetrApp", func() bool {
		res, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: ns, Query: fmt.Sprintf(`RivetrApp = %q AND RivetrKind = "deploy"`, app)})
		return err == nil && len(res.Executions) == 1
	})

	// Graceful shutdown on SIGTERM: quick, exit code 0.
	for _, p := range []*Server{agent, api} {
		took, code := p.Terminate()
		if code != 0 || took > 15*time.Second {
			t.Fatalf("SIGTERM: exit %d after %s", code, took)
		}
	}
}

func registerNamespace(t *testing.T, s *Server, ns string) {
	t.Helper()
	nc, err := client.NewNamespaceClient(s.TemporalOptions(""))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	err = nc.Register(context.Background(), &workflowservice.RegisterNamespaceRequest{
		Namespace: ns, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "namespace "+ns, func() bool {
		_, err := nc.Describe(context.Background(), ns)
		return err == nil
	})
}

// databaseURL returns a fresh PostgreSQL database when the tests have one.
func databaseURL(t *testing.T) string {
	base := os.Getenv("RIVETR_TEST_POSTGRES_URL")
	if base == "" {
		return ""
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := "rivetr_e2e_" + randSuffix()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db, _ := sql.Open("pgx", base)
		db.Exec("DROP DATABASE " + name + " WITH (FORCE)")
		db.Close()
	})
	i := strings.LastIndex(base, "/")
	q := ""
	if j := strings.Index(base[i:], "?"); j >= 0 {
		q = base[i+j:]
	}
	return base[:i+1] + name + q
}
