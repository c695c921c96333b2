// Command rivetr is the Rivetr server, worker and CLI.
package main

import (
	"os"

	"github.com/rivetr/rivetr/internal/cli"
)

func main() { os.Exit(cli.Execute()) }
