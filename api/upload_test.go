package api

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"

	"github.com/rivetr/rivetr/internal/archive"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/workflows"
)

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

func upload(t *testing.T, f *fixture, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+"/api/apps/web/deploy/upload", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, b.Bytes()
}

// An uploaded ZIP is checked before anything is recorded, kept for its
// build, and queued as a deployment from an upload; each bad archive gets
// its own reason.
func TestDeployUpload(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/apps", validApp)
	f.temporal.On("SignalWithStartWorkflow", mock.Anything, "app/web", workflows.SignalRequest, mock.Anything, mock.Anything, workflows.AppQueueName, mock.Anything).
		Return(nil, nil)
	code, b := upload(t, f, "application/zip", zipOf(t, map[string]string{"index.html": "<h1>hi</h1>"}))
	var d service.DeploymentView
	if json.Unmarshal(b, &d); code != 202 || d.Source != "upload" || len(d.UploadSHA256) != 64 || d.CommitSHA != "" {
		t.Fatalf("upload: %d %s", code, b)
	}
	uploads := filepath.Join(f.dir, "uploads")
	if _, err := os.Stat(filepath.Join(uploads, d.ID+".zip")); err != nil {
		t.Fatalf("the archive is not kept for the build: %v", err)
	}
	// The same through a multipart form.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("file", "site.zip")
	fw.Write(zipOf(t, map[string]string{"Dockerfile": "FROM scratch"}))
	mw.Close()
	if code, b := upload(t, f, mw.FormDataContentType(), mp.Bytes()); code != 202 {
		t.Fatalf("multipart: %d %s", code, b)
	}
	for _, tc := range []struct {
		name string
		body []byte
		code int
		msg  string
	}{
		{"not a zip", []byte("hello"), 400, "not a ZIP archive"},
		{"traversal", zipOf(t, map[string]string{"../evil.sh": "x"}), 400, `unsafe path: \"../evil.sh\" leaves the archive's directory`},
		{"empty", zipOf(t, map[string]string{}), 400, "archive is empty"},
	} {
		if code, b := upload(t, f, "application/zip", tc.body); code != tc.code || !strings.Contains(string(b), tc.msg) {
			t.Errorf("%s: %d %s", tc.name, code, b)
		}
	}
	defer func(l archive.Limits) { archive.DefaultLimits = l }(archive.DefaultLimits)
	archive.DefaultLimits.MaxBytes = 100
	if code, b := upload(t, f, "application/zip", zipOf(t, map[string]string{"a": strings.Repeat("x", 500)})); code != 413 {
		t.Fatalf("too large: %d %s", code, b)
	}
	entries, _ := os.ReadDir(uploads)
	if len(entries) != 2 {
		t.Fatalf("refused uploads left files: %v", entries)
	}
}
