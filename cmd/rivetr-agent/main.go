// Command rivetr-agent is rivetr without the embedded Temporal server and
// UI: the same commands, for Docker hosts running `rivetr-agent worker` and
// for `rivetr-agent server --temporal-address` against a Temporal cluster.
// Leaving the server out makes the binary a fraction of the size and its
// idle memory a fraction of rivetr's.
package main

import (
	"os"

	"github.com/rivetr/rivetr/internal/cli"
	"github.com/rivetr/rivetr/internal/server"
)

func main() { os.Exit(cli.Execute(server.Runner(nil))) }
