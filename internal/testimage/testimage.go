// Package testimage builds the images Rivetr's tests and benchmarks run,
// from Debian packages on the host, since no registry can be reached.
package testimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Busybox is the base image of sample apps: Debian's static busybox, giving
// sh, httpd and wget.
const Busybox = "rivetr-test/busybox:latest"

// EnsureBusybox imports Busybox from the host's static busybox when it
// is missing: /bin/busybox and a link per applet, nothing else.
func EnsureBusybox() error {
	if exec.Command("docker", "image", "inspect", Busybox).Run() == nil {
		return nil
	}
	bb := "/bin/busybox"
	if out, err := exec.Command("ldd", bb).CombinedOutput(); err == nil && !strings.Contains(string(out), "not a dynamic") {
		return fmt.Errorf("%s is dynamically linked; install busybox-static", bb)
	}
	body, err := os.ReadFile(bb)
	if err != nil {
		return fmt.Errorf("read %s (install busybox-static): %w", bb, err)
	}
	list, err := exec.Command(bb, "--list").Output()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"bin/", "tmp/", "etc/", "www/"} {
		tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o1777})
	}
	tw.WriteHeader(&tar.Header{Name: "bin/busybox", Mode: 0o755, Size: int64(len(body))})
	tw.Write(body)
	for _, applet := range strings.Fields(string(list)) {
		if applet != "busybox" {
			tw.WriteHeader(&tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "busybox"})
		}
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\n"
	tw.WriteHeader(&tar.Header{Name: "etc/passwd", Mode: 0o644, Size: int64(len(passwd))})
	tw.Write([]byte(passwd))
	tw.Close()
	cmd := exec.Command("docker", "import", "-c", "ENV PATH=/bin", "-", Busybox)
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("docker import: %v\n%s", err, out)
	}
	return nil
}

// Dockerfile is a sample app serving version on port 8080 with busybox
// httpd (and version after 4 s at /cgi-bin/slow). pre runs before the server starts (e.g. "sleep 3"); build runs as
// an extra RUN step (e.g. "sleep 5") when not empty.
func Dockerfile(version, build, pre string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "FROM %s\n", Busybox)
	if build != "" {
		// The nonce keeps Docker from answering the step from its cache:
		// tests that wait for a build's output or duration need it to run.
		fmt.Fprintf(&b, "RUN echo build-%x && %s\n", time.Now().UnixNano(), build)
	}
	// /cgi-bin/slow answers after 4 s: an in-flight request for drain tests.
	fmt.Fprintf(&b, "RUN mkdir -p /www/cgi-bin && echo %s > /www/index.html && echo ok > /www/up && "+
		"printf '#!/bin/sh\\nsleep 4\\necho \"Content-Type: text/plain\"\\necho\\necho slow-%s\\n' > /www/cgi-bin/slow && chmod +x /www/cgi-bin/slow\n", version, version)
	cmd := `echo "$GREETING" > /www/greeting; exec httpd -f -v -p 8080 -h /www`
	if pre != "" {
		cmd = pre + "; " + cmd
	}
	fmt.Fprintf(&b, "CMD [\"sh\", \"-c\", %q]\n", cmd)
	return b.String()
}
