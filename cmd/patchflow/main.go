// Command patchflow patches server fleets as durable Temporal workflows.
package main

import (
	"os"

	"github.com/patchflow/patchflow/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(cli.Execute(cli.NewFactory(version), os.Args[1:]))
}
