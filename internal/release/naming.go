package release

import (
	"strconv"
	"strings"
	"time"
)

// ImageRepo is the repository of an app's images.
func ImageRepo(app string) string { return "rivetr/" + app }

// ImageTag is the tag of a deployment's image.
func ImageTag(app, deploymentID string) string { return ImageRepo(app) + ":" + deploymentID }

// ContainerName is the name of a deployment's container.
func ContainerName(app, deploymentID string) string { return "rivetr-" + app + "-" + deploymentID }

// TeamNetwork is the Docker network of a team's apps and databases on a
// host: base (--docker-network) and the team's ID. A team's containers
// reach each other there by name, and no other team's: Docker drops
// traffic between bridge networks. The proxy runs on the host, which
// reaches every bridge. Records without a team (from before teams) use
// base.
func TeamNetwork(base, teamID string) string {
	if teamID == "" {
		return base
	}
	return base + "-" + teamID
}

// DatabaseContainer is a managed database's container, and its name on
// its team's network.
func DatabaseContainer(db string) string { return "rivetr-db-" + db }

// DatabaseVolume is the data volume of a managed database, named by the
// database's ID: a database made later under a deleted one's name never
// gets its data. (Databases from before IDs named their volumes by name;
// their records keep that name.)
func DatabaseVolume(dbID string) string { return "rivetr-db-" + dbID + "-data" }

// Preview defaults, when the parent app does not say.
const (
	DefaultPreviewMemoryMB = 256
	DefaultPreviewCPUs     = 0.5
	DefaultPreviewTTL      = 72 * time.Hour
)

// PreviewName is the app name of pull request pr's preview of app (the
// app's name shortened to fit 63 characters).
func PreviewName(app string, pr int) string {
	suffix := "-pr-" + strconv.Itoa(pr)
	if len(app)+len(suffix) > 63 {
		app = strings.TrimRight(app[:63-len(suffix)], "-")
	}
	return app + suffix
}

// PreviewHost is where pull request pr's preview of app answers.
func PreviewHost(app string, pr int, domain string) string {
	return "pr-" + strconv.Itoa(pr) + "." + app + "." + strings.Trim(domain, ".")
}

// PreviewRef is the ref a pull request's head can be fetched from in the
// base repository: the head branch, or for forks the provider's own ref.
func PreviewRef(provider string, pr int, headBranch string, fork bool) string {
	switch {
	case !fork:
		return headBranch
	case provider == "gitlab":
		return "refs/merge-requests/" + strconv.Itoa(pr) + "/head"
	}
	return "refs/pull/" + strconv.Itoa(pr) + "/head"
}
