// Command rivetr is the Rivetr server, worker and CLI.
package main

import (
	"os"

	"github.com/rivetr/rivetr/internal/cli"
	"github.com/rivetr/rivetr/internal/server"
)

func main() { os.Exit(cli.Execute(server.Run)) }
