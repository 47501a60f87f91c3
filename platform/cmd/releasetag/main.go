// Command releasetag parses a release tag <env>_<region>/<team>/<version> and prints the release's
// Terraform backend settings for the Makefile (internal/release has the logic; `releasetag -h`).
package main

import (
	"os"

	"github.com/webhealth/webhealth/platform/release"
)

func main() { os.Exit(release.Run(os.Args[1:], os.Stdout, os.Stderr)) }
