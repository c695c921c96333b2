package release

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// An app's volumes: named Docker volumes its containers mount, kept across
// deploys, rollbacks and restarts. Their Docker names carry the app's ID
// (AppVolume), so a new app under a deleted one's name never gets its
// data, and no app's name can reach another's volume.

// MaxVolumes is how many volumes one app may have.
const MaxVolumes = 10

var volumeNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// AppVolume is the Docker name of app appID's volume name.
func AppVolume(appID, name string) string { return "rivetr-app-" + appID + "-" + name }

// reservedMounts are where a volume would hide what the container needs
// to run, or what the kernel provides.
var reservedMounts = []string{"/", "/bin", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sbin", "/sys", "/usr"}

// CheckVolume says what is wrong with a volume's name and mount path
// (nil when both are right): a name of lower-case letters, digits and
// hyphens; an absolute, clean path, not one the container cannot live
// without, not under another of the app's volumes' paths nor over one.
func CheckVolume(name, mountPath string, others map[string]string) error {
	if !volumeNameRE.MatchString(name) {
		return fmt.Errorf("the volume name %q must be lower-case letters, digits and hyphens (at most 63), starting with a letter or digit", name)
	}
	if !strings.HasPrefix(mountPath, "/") || path.Clean(mountPath) != mountPath || strings.ContainsAny(mountPath, ":,\x00") {
		return fmt.Errorf("the mount path %q must be an absolute, clean path inside the container, such as /data", mountPath)
	}
	if slices.Contains(reservedMounts, mountPath) || strings.HasPrefix(mountPath, "/proc/") || strings.HasPrefix(mountPath, "/sys/") || strings.HasPrefix(mountPath, "/dev/") {
		return fmt.Errorf("a volume at %s would hide what the container needs to run; mount it elsewhere, such as /data", mountPath)
	}
	for other, p := range others {
		if other == name {
			return fmt.Errorf("the app already has a volume named %s", name)
		}
		if p == mountPath || strings.HasPrefix(mountPath, p+"/") || strings.HasPrefix(p, mountPath+"/") {
			return fmt.Errorf("%s overlaps volume %s at %s: give each volume a path of its own", mountPath, other, p)
		}
	}
	if len(others) >= MaxVolumes {
		return fmt.Errorf("an app has at most %d volumes", MaxVolumes)
	}
	return nil
}
