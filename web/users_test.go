package web

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"golang.org/x/crypto/bcrypt"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/mail"
	"github.com/rivetr/rivetr/internal/ratelimit"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/testsmtp"
	"github.com/rivetr/rivetr/schema"
)

// formCSRF loads a sign-in or setup page and returns its form token.
func (d *dash) formCSRF(path string) string {
	d.t.Helper()
	_, body, _ := d.get(path)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		d.t.Fatalf("%s has no CSRF token:\n%s", path, body)
	}
	return m[1]
}

// The owner is set up on /setup with the admin token, signs in with a
// password, and a viewer of the team sees the app without any control.
func TestSetupPasswordSignInAndViewerPage(t *testing.T) {
	d := newDash(t)
	code, body, _ := d.get("/login")
	if code != 200 || !strings.Contains(body, `href="/setup"`) {
		t.Fatalf("a fresh server's sign-in page should point to /setup: %d", code)
	}
	// The first hour: the pages say where the admin token really is.
	if !strings.Contains(body, d.tokenPath) {
		t.Fatalf("the fresh server's sign-in page does not name %s", d.tokenPath)
	}
	if _, body, _ := d.get("/setup"); !strings.Contains(body, d.tokenPath) {
		t.Fatalf("the setup page does not name %s", d.tokenPath)
	}
	// The admin token is required: a wrong one changes nothing.
	form := url.Values{"csrf": {d.formCSRF("/setup")}, "token": {"rvt_wrong"}, "email": {"ada@example.com"}, "password": {"correct horse battery"}}
	if code, body, _ := d.post("/setup", form, ""); code != http.StatusUnauthorized || !strings.Contains(body, "not the admin token") {
		t.Fatalf("setup with a wrong token: %d", code)
	}
	form.Set("csrf", d.formCSRF("/setup"))
	form.Set("token", d.token)
	form.Set("password", "short")
	if code, body, _ := d.post("/setup", form, ""); code != http.StatusBadRequest || !strings.Contains(body, "at least 10 characters") {
		t.Fatalf("setup with a short password: %d %s", code, body)
	}
	form.Set("csrf", d.formCSRF("/setup"))
	form.Set("password", "correct horse battery")
	if code, _, hdr := d.post("/setup", form, ""); code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/?") {
		t.Fatalf("setup: %d %v", code, hdr)
	}
	if _, body, _ := d.get("/apps"); !strings.Contains(body, "ada@example.com") {
		t.Fatal("after setup the owner should be signed in")
	}
	if _, body, _ := d.get("/setup"); !strings.Contains(body, "owner account exists") {
		t.Fatal("/setup should be closed once the owner exists")
	}
	if _, body, _ := newJarDash(d).get("/login"); strings.Contains(body, d.tokenPath) {
		t.Fatal("once an account exists, the sign-in page still shows visitors the server's paths")
	}

	// A viewer in the default team.
	ctx := context.Background()
	team, err := d.store.GetTeam(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	app := &schema.App{ID: ids.New(), Name: "shop", TeamID: team.ID, GitURL: "https://git.example.com/shop.git", Branch: "main", Domains: []string{"shop.example.com"}}
	if err := d.store.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	d2 := *d
	d2.client = newJarClient()
	v := &d2
	// Users other than the owner are made through the API; here the store.
	hash := bcryptHash(t, "viewer password!")
	u := &schema.User{ID: ids.New(), Email: "vic@example.com", PasswordHash: hash}
	if err := d.store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := d.store.PutMembership(ctx, &schema.Membership{TeamID: team.ID, UserID: u.ID, Role: release.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	bad := url.Values{"csrf": {v.formCSRF("/login")}, "email": {"vic@example.com"}, "password": {"wrong password"}}
	if code, body, _ := v.post("/login", bad, ""); code != http.StatusUnauthorized || !strings.Contains(body, "Wrong email or password") {
		t.Fatalf("wrong password: %d", code)
	}
	good := url.Values{"csrf": {v.formCSRF("/login")}, "email": {"VIC@example.com"}, "password": {"viewer password!"}, "next": {"/apps/shop"}}
	if code, _, hdr := v.post("/login", good, ""); code != http.StatusSeeOther || hdr.Get("Location") != "/apps/shop" {
		t.Fatalf("viewer sign-in: %d %v", code, hdr)
	}
	code, body, _ = v.get("/apps/shop")
	if code != 200 || !strings.Contains(body, "read-only access (viewer)") {
		t.Fatalf("viewer's app page: %d", code)
	}
	for _, control := range []string{`id="deploy"`, `action="/apps/shop/env"`, `action="/apps/shop/settings"`} {
		if strings.Contains(body, control) {
			t.Errorf("a viewer is offered %s", control)
		}
	}
	// The tabs a viewer may not use are neither offered nor served.
	for _, tab := range []string{"settings", "danger"} {
		if strings.Contains(body, `href="/apps/shop/`+tab+`"`) {
			t.Errorf("a viewer is offered the %s tab", tab)
		}
		if code, page, _ := v.get("/apps/shop/" + tab); code != http.StatusNotFound || !strings.Contains(page, "shop&#39;s "+tab+" tab is not shown to your role (viewer)") {
			t.Errorf("a viewer's %s tab: %d", tab, code)
		}
	}
	if _, body, _ := v.get("/apps"); strings.Contains(body, `action="/apps"`) {
		t.Error("a viewer is offered the create-app form")
	}
	// Posting anyway is refused by the service, not only hidden.
	csrf := csrfRE.FindStringSubmatch(body)[1]
	code, _, hdr := v.post("/apps/shop/deploy", url.Values{"csrf": {csrf}}, "")
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "Not+allowed") {
		t.Fatalf("viewer's deploy post: %d %v", code, hdr)
	}
	if ds, _ := d.store.ListDeployments(ctx, schema.DeploymentFilter{AppID: app.ID}); len(ds) != 0 {
		t.Fatal("a viewer's deploy made a deployment")
	}
	// The owner sees the controls.
	if _, body, _ := d.get("/apps/shop"); !strings.Contains(body, `id="deploy"`) || !strings.Contains(body, `href="/audit"`) {
		t.Error("the owner is not offered Deploy and the audit log")
	}
	// The audit log: the owner's setup, the viewer's failed and good
	// sign-ins, and the refused deploy left nothing.
	code, body, _ = d.get("/audit")
	for _, want := range []string{"user.create_owner", "user.login_failed", "vic@example.com"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("audit page (%d) lacks %s", code, want)
		}
	}
	if strings.Contains(body, `data-action="deploy"`) {
		t.Error("a refused deploy was logged as done")
	}
	if _, body, _ := d.get("/audit?actor=vic@example.com&action=user.login"); strings.Contains(body, "user.login_failed") || !strings.Contains(body, `data-action="user.login"`) {
		t.Error("the audit page's filters do not apply")
	}
	if code, body, _ := v.get("/audit"); code != http.StatusForbidden || strings.Contains(body, "user.create_owner") {
		t.Errorf("a viewer reads the audit log: %d", code)
	}
}

func newJarClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func bcryptHash(t *testing.T, pw string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func TestSignInBruteForceGets429(t *testing.T) {
	d := newDashWith(t, ratelimit.NewLimits(3, 0, 0), nil)
	for i := 0; i < 3; i++ {
		form := url.Values{"csrf": {d.formCSRF("/login")}, "email": {"ada@example.com"}, "password": {"guess"}}
		if code, _, _ := d.post("/login", form, ""); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, code)
		}
	}
	form := url.Values{"csrf": {d.formCSRF("/login")}, "token": {d.token}}
	code, body, hdr := d.post("/login", form, "")
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" || !strings.Contains(body, "Too many sign-in attempts") {
		t.Fatalf("fourth attempt, even with the right token: %d %q", code, hdr.Get("Retry-After"))
	}
}

// A team owner invites someone by email from the team page; the invitee
// follows the link, creates an account and lands in the team's apps.
func TestInviteFromTheDashboard(t *testing.T) {
	smtpd, err := testsmtp.Start(testsmtp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer smtpd.Close()
	d := newDashWith(t, nil, func(o *service.Options) {
		o.Mailer = &mail.Sender{Addr: smtpd.Addr, From: "rivetr@example.com"}
	})
	d.setupOwner()
	_, body, _ := d.get("/teams")
	d.csrf = csrfRE.FindStringSubmatch(body)[1]
	if code, _, hdr := d.form("/teams", "name", "web-team"); code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/teams/web-team") {
		t.Fatalf("create team: %d %v", code, hdr)
	}
	code, body, _ := d.form("/teams/web-team/invitations", "email", "bob@example.com", "role", "developer")
	link := regexp.MustCompile(`id="invite-link" class="copy" value="([^"]+)"`).FindStringSubmatch(body)
	if code != 200 || link == nil || !strings.Contains(body, "Emailed to bob@example.com") {
		t.Fatalf("invite: %d\n%s", code, body)
	}
	msg, err := smtpd.WaitFor("bob@example.com", 5*time.Second)
	if err != nil || !strings.Contains(msg.Data, link[1]) {
		t.Fatalf("the email: %v\n%s", err, msg.Data)
	}
	if _, body, _ := d.get("/teams/web-team"); !strings.Contains(body, "bob@example.com") || strings.Contains(body, link[1]) {
		t.Fatal("the open invitation should be listed, its link not shown again")
	}

	// Bob, signed in nowhere, opens the link.
	b := *d
	b.client = newJarClient()
	bob := &b
	path := strings.TrimPrefix(link[1], d.srv.URL)
	code, body, _ = bob.get(path)
	if code != 200 || !strings.Contains(body, "Create account and join web-team") {
		t.Fatalf("the invitation page: %d\n%s", code, body)
	}
	csrf := csrfRE.FindStringSubmatch(body)[1]
	code, _, hdr := bob.post(path+"/accept", url.Values{"csrf": {csrf}, "name": {"Bob"}, "password": {"bobs good password"}}, "")
	if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/apps?team=web-team") {
		t.Fatalf("accept: %d %v", code, hdr)
	}
	if _, body, _ := bob.get("/apps?team=web-team"); !strings.Contains(body, "bob@example.com") || !strings.Contains(body, `action="/apps"`) {
		t.Fatal("after accepting, Bob is signed in and, as a developer, may create apps")
	}
	if code, body, _ := bob.get(path); code != http.StatusGone || !strings.Contains(body, "already accepted") {
		t.Fatalf("the used link: %d", code)
	}
	if _, body, _ := d.get("/teams/web-team"); !strings.Contains(body, `data-member="bob@example.com"`) {
		t.Fatal("Bob is not listed as a member")
	}
}

// setupOwner creates ada@example.com, the owner, through /setup; the
// session is then hers.
func (d *dash) setupOwner() {
	d.t.Helper()
	form := url.Values{"csrf": {d.formCSRF("/setup")}, "token": {d.token}, "email": {"ada@example.com"}, "password": {"correct horse battery"}}
	if code, _, _ := d.post("/setup", form, ""); code != http.StatusSeeOther {
		d.t.Fatalf("setup: %d", code)
	}
}

func TestShareFromTheAppPage(t *testing.T) {
	d := newDash(t)
	d.setupOwner()
	ctx := context.Background()
	team, _ := d.store.GetTeam(ctx, "default")
	other := &schema.Team{ID: ids.New(), Name: "partners"}
	u := &schema.User{ID: ids.New(), Email: "pat@example.com", PasswordHash: bcryptHash(t, "partner password")}
	d.store.CreateUser(ctx, u)
	if err := d.store.CreateTeam(ctx, other, u.ID); err != nil {
		t.Fatal(err)
	}
	app := &schema.App{ID: ids.New(), Name: "shop", TeamID: team.ID, GitURL: "https://git.example.com/shop.git", Branch: "main", Domains: []string{"shop.example.com"}}
	d.store.CreateApp(ctx, app)
	_, body, _ := d.get("/apps/shop/settings")
	if !strings.Contains(body, `id="sharing"`) {
		t.Fatal("the owner is not offered sharing")
	}
	d.csrf = csrfRE.FindStringSubmatch(body)[1]
	if code, _, hdr := d.form("/apps/shop/shares", "team", "partners"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "shared+with+partners") {
		t.Fatalf("share: %d %v", code, hdr)
	}
	p := *d
	p.client = newJarClient()
	pat := &p
	f := url.Values{"csrf": {pat.formCSRF("/login")}, "email": {"pat@example.com"}, "password": {"partner password"}, "next": {"/apps/shop"}}
	if code, _, _ := pat.post("/login", f, ""); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	code, body, _ := pat.get("/apps/shop")
	if code != 200 || !strings.Contains(body, "Shared with your team by default: read-only.") || strings.Contains(body, `id="deploy"`) || strings.Contains(body, `id="sharing"`) {
		t.Fatalf("the partner's view: %d", code)
	}
	if code, _, hdr := d.form("/apps/shop/shares/partners/delete"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "no+longer+shared") {
		t.Fatalf("unshare: %d %v", code, hdr)
	}
	if code, _, _ := pat.get("/apps/shop"); code != http.StatusNotFound {
		t.Fatalf("after unsharing the partner gets %d", code)
	}
}

// The date-time picker is read in the browser's time zone (its offset is
// sent by app.js) and the deploy is scheduled, not started.
func TestScheduleFromTheAppPage(t *testing.T) {
	d := newDash(t)
	d.signIn()
	ctx := context.Background()
	app := &schema.App{ID: ids.New(), Name: "shop", GitURL: "https://git.example.com/shop.git", Branch: "main", Domains: []string{"shop.example.com"}}
	d.store.CreateApp(ctx, app)
	d.temporal.On("ExecuteWorkflow", mock.Anything, mock.MatchedBy(func(o client.StartWorkflowOptions) bool {
		return strings.HasPrefix(o.ID, "schedule/shop/")
	}), mock.Anything, mock.Anything).Return(nil, nil).Once()
	local := time.Now().UTC().Add(3 * time.Hour).Truncate(time.Minute)
	// A browser at UTC+2 shows 2 hours more than UTC; getTimezoneOffset is -120.
	shown := local.Add(2 * time.Hour).Format("2006-01-02T15:04")
	code, _, hdr := d.form("/apps/shop/deploy", "at_local", shown, "tz_offset", "-120")
	if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/deployments/") {
		t.Fatalf("schedule: %d %v", code, hdr)
	}
	ds, _ := d.store.ListDeployments(ctx, schema.DeploymentFilter{AppID: app.ID})
	if len(ds) != 1 || ds[0].Status != release.StatusScheduled || ds[0].ScheduledFor == nil || !ds[0].ScheduledFor.Equal(local) {
		t.Fatalf("deployment %+v (want scheduled for %s)", ds, local)
	}
	_, body, _ := d.get("/deployments/" + ds[0].ID)
	if !strings.Contains(body, `id="scheduled"`) || !strings.Contains(body, `id="reschedule"`) {
		t.Fatal("the deployment page does not show the schedule")
	}
	if code, _, hdr := d.form("/apps/shop/deploy", "at_local", "yesterday"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "not+a+date") {
		t.Fatalf("a bad time: %d %v", code, hdr)
	}
}

func TestRecurringFromTheAppPage(t *testing.T) {
	d := newDash(t)
	d.signIn()
	ctx := context.Background()
	app := &schema.App{ID: ids.New(), Name: "shop", GitURL: "https://git.example.com/shop.git", Branch: "main", Domains: []string{"shop.example.com"}}
	d.store.CreateApp(ctx, app)
	var created client.ScheduleOptions
	sc := &mocks.ScheduleClient{}
	sc.On("Create", mock.Anything, mock.Anything).Run(func(args mock.Arguments) { created = args.Get(1).(client.ScheduleOptions) }).Return(&mocks.ScheduleHandle{}, nil).Once()
	d.temporal.On("ScheduleClient").Return(sc)
	if code, _, hdr := d.form("/apps/shop/schedules", "cron", "0 3 * * *", "tz", "Europe/Berlin"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "Recurring+deploy+added") {
		t.Fatalf("add: %d %v", code, hdr)
	}
	if created.Spec.TimeZoneName != "Europe/Berlin" || created.Spec.CronExpressions[0] != "0 3 * * *" || !strings.HasPrefix(created.ID, "recurring/shop/") {
		t.Fatalf("schedule %+v", created)
	}
	if _, body, _ := d.get("/apps/shop/deployments"); !strings.Contains(body, "<code>0 3 * * *</code> (Europe/Berlin)") {
		t.Fatal("the app page does not list the recurring deploy")
	}
	if code, _, hdr := d.form("/apps/shop/schedules", "cron", "every night"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "error=") {
		t.Fatalf("a bad cron: %d %v", code, hdr)
	}
}
