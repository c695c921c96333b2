// Command gen writes the generated references: docs/cli.md and
// docs/openapi.json (`make docs`). Run it from the repository's root.
package main

import (
	"fmt"
	"os"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/buildinfo"
	"github.com/rivetr/rivetr/internal/cli"
	"github.com/rivetr/rivetr/internal/docs"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "docs:", err)
		os.Exit(1)
	}
}

func run() error {
	spec, err := docs.OpenAPI((&api.Handler{}).Routes(), buildinfo.Version)
	if err != nil {
		return err
	}
	if err := os.WriteFile("docs/openapi.json", spec, 0o644); err != nil {
		return err
	}
	return os.WriteFile("docs/cli.md", []byte(docs.CLIReference(cli.Command(nil))), 0o644)
}
