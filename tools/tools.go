//go:build tools

// Package tools pins the command-line tools the checks use (Terraform: tflint, tfsec, terraform-docs; Go:
// staticcheck, gosec, gotestsum). The Makefile installs each into .tools/bin with `go install` from this
// module when a target needs it (`make tools` installs them all), so the versions come from tools/go.mod
// and tools/go.sum and nowhere else.
package tools

import (
	_ "github.com/aquasecurity/tfsec/cmd/tfsec"
	_ "github.com/securego/gosec/v2/cmd/gosec"
	_ "github.com/terraform-docs/terraform-docs"
	_ "github.com/terraform-linters/tflint"
	_ "gotest.tools/gotestsum"
	_ "honnef.co/go/tools/cmd/staticcheck"
)
