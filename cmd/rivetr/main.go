// Command rivetr is the Rivetr server, worker and CLI, with the Temporal
// server and UI built in.
package main

import (
	"os"

	"github.com/rivetr/rivetr/internal/cli"
	"github.com/rivetr/rivetr/internal/server"
	"github.com/rivetr/rivetr/internal/temporalsrv"
)

func main() { os.Exit(cli.Execute(server.Runner(temporalsrv.Embedded))) }
