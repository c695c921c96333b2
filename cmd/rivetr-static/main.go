// Command rivetr-static serves a directory over HTTP: the server inside the
// images Rivetr builds for static sites (build type static). It answers GET
// and HEAD on $PORT (default 8080), serves index.html for directories, never
// lists a directory, answers 404 with the site's 404.html when it has one
// (or, with RIVETR_STATIC_SPA=1, with index.html, for single-page apps), and
// stops gracefully on SIGTERM.
//
// It is also the tool of the helper containers that back up and restore
// app volumes: `rivetr-static volume-pack DIR` writes DIR as a tar stream
// to standard output, `rivetr-static volume-unpack DIR` empties DIR and
// unpacks the tar stream on standard input into it (see package voltar).
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/rivetr/rivetr/internal/voltar"
)

func main() {
	if len(os.Args) == 3 && (os.Args[1] == "volume-pack" || os.Args[1] == "volume-unpack") {
		var err error
		if os.Args[1] == "volume-pack" {
			err = voltar.Pack(os.Args[2], os.Stdout)
		} else {
			err = voltar.Unpack(os.Stdin, os.Args[2])
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "rivetr-static "+os.Args[1]+":", err)
			os.Exit(1)
		}
		return
	}
	dir := "/site"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if len(os.Args) > 2 || dir == "-h" || dir == "--help" {
		fmt.Fprintln(os.Stderr, "usage: rivetr-static [DIR]   (serves DIR, default /site, on $PORT, default 8080)")
		os.Exit(2)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		log.Fatalf("rivetr-static: %s is not a directory", dir)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           handler(os.DirFS(dir), os.Getenv("RIVETR_STATIC_SPA") == "1"),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	log.Printf("rivetr-static: serving %s on :%s", dir, port)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// handler serves site: files as they are, directories by their index.html.
func handler(site fs.FS, spa bool) http.Handler {
	files := http.FileServerFS(site)
	notFound := func(w http.ResponseWriter, r *http.Request) {
		page := "404.html"
		status := http.StatusNotFound
		if spa {
			page, status = "index.html", http.StatusOK
		}
		b, err := fs.ReadFile(site, page)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			w.Write(b)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" {
			name = "."
		}
		st, err := fs.Stat(site, name)
		switch {
		case err != nil:
			notFound(w, r)
			return
		case st.IsDir():
			if _, err := fs.Stat(site, path.Join(name, "index.html")); err != nil {
				notFound(w, r) // no listings
				return
			}
		}
		files.ServeHTTP(w, r)
	})
}
