package release

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
