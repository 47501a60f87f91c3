package release_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/release"
)

var update = flag.Bool("update", false, "rewrite terraform/workload/tests/release_tags.tftest.hcl from the tag table")

// tagTable is the one table of release tags: the Go parser's verdict on each (TestTagTable), the release
// flow's stop before terraform and the build on every malformed one (TestFlowStopsMalformedTags), and
// terraform/workload's and terraform/global's variable validations on the parts of each (tests/release_tags.tftest.hcl
// in each, generated).
// "injected" names the file a shell would create if it ever ran a tag.
var tagTable = []struct {
	name  string
	tag   string
	valid bool
}{
	{"seed regional", "dev_us-east-1/research/1.0", true},
	{"seed second region", "dev_ap-southeast-1/risk/1.0", true},
	{"seed global", "dev_global/research/1.0", true},
	{"global full ref", "refs/tags/prod_global/web/1.4.0", true},
	{"global pre-release", "beta_global/web/2.0-rc.1", true},
	{"plain", "prod_eu-west-1/web/1.4.0", true},
	{"full ref", "refs/tags/prod_eu-west-1/web/1.4.0", true},
	{"dev in a gov region", "dev_us-gov-west-1/web/1.0.0", true},
	{"beta in china", "beta_cn-northwest-1/ab/0.0.1", true},
	{"local", "local_us-east-1/local/0.0.0-local", true},
	{"eusc partition", "prod_eusc-de-east-1/web/1.0.0", true},
	{"iso partition", "prod_us-isob-east-1/web/1.0.0", true},
	{"two-digit region number", "prod_ap-southeast-10/web/1.0.0", true},
	{"team of 12", "prod_eu-west-1/abcdefghijkl/1.0.0", true},
	{"team of 2", "prod_eu-west-1/ab/1.0.0", true},
	{"team with hyphens", "prod_eu-west-1/a-b-c/1.0.0", true},
	{"pre-release", "prod_eu-west-1/web/2.0.0-rc.1", true},
	{"pre-release with hyphen and zero", "prod_eu-west-1/web/1.0.0-0.alpha-1", true},
	{"pre-release alphanumeric with leading zero", "prod_eu-west-1/web/1.0.0-0a", true},
	{"build metadata", "prod_eu-west-1/web/1.4.0+build.7", true},
	{"build metadata with leading zeros", "prod_eu-west-1/web/1.4.0+001.0", true},
	{"pre-release and build", "prod_eu-west-1/web/1.0.0-rc.1+build.5", true},
	{"version of 128", "prod_eu-west-1/web/1.0.0+" + strings.Repeat("b", 122), true},

	{"empty", "", false},
	{"environment only", "prod", false},
	{"no version", "prod_eu-west-1/web", false},
	{"extra part", "prod_eu-west-1/web/1.4.0/x", false},
	{"branch ref", "refs/heads/prod_eu-west-1/web/1.4.0", false},
	{"joined by hyphen", "prod-eu-west-1/web/1.0.0", false},
	{"unknown environment", "qa_eu-west-1/web/1.0.0", false},
	{"unknown environment of 12", "environment1_eu-west-1/web/1.0", false},
	{"environment of 13", "environment13_eu-west-1/web/1.0", false},
	{"environment of 1", "q_eu-west-1/web/1.0", false},
	{"hyphenated environment", "eu-prod_eu-west-1/web/1.0", false},
	{"environment starts with digit", "1dev_eu-west-1/web/1.0", false},
	{"upper-case environment", "PROD_eu-west-1/web/1.0.0", false},
	{"empty environment", "_eu-west-1/web/1.0.0", false},
	{"region not a region", "prod_europe/web/1.0.0", false},
	{"upper-case region", "prod_EU-WEST-1/web/1.0.0", false},
	{"unknown partition", "prod_xx-west-1/web/1.0.0", false},
	{"unknown direction", "prod_eu-up-1/web/1.0.0", false},
	{"region number zero", "prod_eu-west-0/web/1.0.0", false},
	{"region number with leading zero", "prod_eu-west-01/web/1.0.0", false},
	{"region number of three digits", "prod_eu-west-100/web/1.0.0", false},
	{"availability zone", "prod_eu-west-1a/web/1.0.0", false},
	{"empty region", "prod_/web/1.0.0", false},
	{"upper-case team", "prod_eu-west-1/Web/1.0.0", false},
	{"team too long", "prod_eu-west-1/abcdefghijklm/1.0.0", false},
	{"team of 1", "prod_eu-west-1/a/1.0.0", false},
	{"team starts with digit", "prod_eu-west-1/9web/1.0.0", false},
	{"team ends with hyphen", "prod_eu-west-1/web-/1.0.0", false},
	{"double hyphen in team", "prod_eu-west-1/web--ops/1.0.0", false},
	{"team with underscore", "prod_eu-west-1/web_ops/1.0.0", false},
	{"empty team", "prod_eu-west-1//1.0.0", false},
	{"leading v", "prod_eu-west-1/web/v1.4.0", false},
	{"two version numbers", "prod_eu-west-1/web/1.4", true},
	{"two version numbers with pre-release", "prod_eu-west-1/web/1.4-beta.2", true},
	{"two version numbers with build", "prod_eu-west-1/web/1.4+build.1", true},
	{"zero version of two numbers", "dev_eu-west-1/web/0.0", true},
	{"one version number", "prod_eu-west-1/web/1", false},
	{"four version numbers", "prod_eu-west-1/web/1.4.0.1", false},
	{"leading v of two numbers", "dev_us-east-1/research/v1.0", false},
	{"minor with leading zero of two numbers", "prod_eu-west-1/web/1.00", false},
	{"numeric pre-release with leading zero of two numbers", "prod_eu-west-1/web/1.0-01", false},
	{"trailing dot", "prod_eu-west-1/web/1.0.", false},
	{"version word", "dev_eu-west-1/web/latest", false},
	{"major with leading zero", "prod_eu-west-1/web/01.4.0", false},
	{"minor with leading zero", "prod_eu-west-1/web/1.04.0", false},
	{"numeric pre-release with leading zero", "prod_eu-west-1/web/1.0.0-01", false},
	{"empty pre-release", "prod_eu-west-1/web/1.0.0-", false},
	{"empty pre-release identifier", "prod_eu-west-1/web/1.0.0-rc..1", false},
	{"empty build", "prod_eu-west-1/web/1.0.0+", false},
	{"empty build identifier", "prod_eu-west-1/web/1.0.0+a..b", false},
	{"version of 129", "prod_eu-west-1/web/1.0.0+" + strings.Repeat("b", 123), false},
	{"semicolon and command", "prod_eu-west-1/web/1.0.0;touch${IFS}injected", false},
	{"command substitution", "prod_eu-west-1/web/$({touch,injected})", false},
	{"backticks", "prod_eu-west-1/web/1.0.0`{touch,injected}`", false},
	{"quote", `prod_eu-west-1/web/1.0.0"`, false},
	{"newline", "prod_eu-west-1/web/1.0.0\ntouch injected", false},
	{"space", "prod_eu-west-1/web /1.0.0", false},
	{"non-ASCII", "prod_eu-west-1/wéb/1.0.0", false},
	{"traversal as team", "dev_us-east-1/../1.0", false},
	{"traversal as version", "dev_us-east-1/research/..", false},
	{"traversal as extra parts", "dev_global/research/../../1.0", false},
	{"upper-case global", "dev_GLOBAL/research/1.0", false},
	{"global with a region", "dev_global-us-east-1/research/1.0", false},
	{"region and global", "dev_us-east-1_global/research/1.0", false},
	{"global without environment", "global/research/1.0", false},
	{"global unknown environment", "qa_global/research/1.0", false},
	{"global extra part", "dev_global/research/1.0/x", false},
	{"global space", "dev_global/research/1.0 ", false},
	{"global upper-case team", "dev_global/Research/1.0", false},
	{"global version of one number", "dev_global/research/1", false},
	{"global environment of one letter", "d_global/research/1.0", false},
}

// listed says whether the tag's environment is one of the default ENVIRONMENTS (or local): a well-formed
// environment that is not is refused by the release flow only; the workload takes any environment name.
func listed(parts [4]string) bool {
	return release.CheckEnvironment(parts[0], release.DefaultEnvironments) == nil
}

// splitTag splits a tag into its four parts as the workload sees them, when it has that shape at all: a
// global tag is released into terraform/global, not the workload.
func splitTag(tag string) (parts [4]string, ok bool) {
	t := strings.TrimPrefix(tag, release.RefPrefix)
	p := strings.Split(t, "/")
	if len(p) != 3 {
		return parts, false
	}
	env, region, ok := strings.Cut(p[0], "_")
	if !ok || region == release.Global {
		return parts, false
	}
	return [4]string{env, region, p[1], p[2]}, true
}

var partVariables = [4]string{"environment", "region", "team", "release_version"}

// regionPart is the index of the region in partVariables.
const regionPart = 1

// refusedParts are the workload variables whose part of the tag the Go rules refuse by its form: what
// Terraform can see. Whether the environment is one of ENVIRONMENTS is the release flow's alone (listed).
func refusedParts(parts [4]string) []string {
	var out []string
	for i, err := range []error{
		release.CheckEnvironmentName(parts[0]),
		release.CheckRegion(parts[1]), release.CheckTeam(parts[2]), release.CheckVersion(parts[3]),
	} {
		if err != nil {
			out = append(out, partVariables[i])
		}
	}
	return out
}

func TestTagTable(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, tc := range tagTable {
		require.False(t, names[tc.name], "duplicate case name %q", tc.name)
		names[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := release.Parse(tc.tag, release.DefaultEnvironments)
			if tc.valid {
				require.NoError(t, err)
				assert.Equal(t, strings.TrimPrefix(tc.tag, release.RefPrefix), r.String())
				assert.Equal(t, strings.Contains(tc.tag, "_"+release.Global+"/"), r.IsGlobal())
			} else {
				var te *release.TagError
				require.ErrorAs(t, err, &te)
				assert.Equal(t, tc.tag, te.Tag)
				assert.Contains(t, err.Error(), "expected "+release.Form+", e.g. "+release.Example)
			}
			// A tag of the workload's shape is valid exactly when each of its parts has its form (what the
			// generated Terraform test holds the variable validations to) and its environment is listed.
			if parts, ok := splitTag(tc.tag); ok {
				assert.Equal(t, tc.valid, len(refusedParts(parts)) == 0 && listed(parts), "parts %q refused: %v, listed: %v", parts, refusedParts(parts), listed(parts))
			}
		})
	}
}

// TestTagTableTerraform checks that terraform/workload/tests/release_tags.tftest.hcl is the one generated
// from the table (go test -run TestTagTableTerraform -update rewrites it); `terraform test` of the
// workload root then proves its variable validations refuse exactly the parts the Go rules refuse.
func TestTagTableTerraform(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "terraform", "workload", "tests", "release_tags.tftest.hcl")
	want := generateTagTests(t)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644)) // #nosec G306 -- a checked-in source file
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err, "run: cd platform && go test ./release -run TestTagTableTerraform -update")
	assert.Equal(t, want, string(got), "%s is not the file generated from the tag table: run cd platform && go test ./release -run TestTagTableTerraform -update", path)
}

const tagTestsHeader = `# Generated by platform/release/tags_test.go from its tag table: do not edit. Regenerate with
#   cd platform && go test ./release -run TestTagTableTerraform -update
# Each run plans this root with the four parts of one release tag as its variables; expect_failures lists
# exactly the variables whose part the Go release tag parser refuses by its form, so this file fails wherever
# the variable validations and the parser disagree. A "refused_by_list_" run is a tag the parser refuses only
# because its well-formed environment is not one of ENVIRONMENTS (default dev, beta, prod): the list is the
# release flow's, so the workload takes any environment name and plans it.

# The workload tests' shared mocks (tests/mocks); each run's global state lists the run's region.
mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

mock_provider "aws" {
  alias  = "state"
  source = "./tests/mocks/state"
}

mock_provider "terraform" {
  source = "./tests/mocks/global"
}

variables {
  artifacts_dir = "tests/fixtures"
}
`

var nonIdent = regexp.MustCompile(`[^a-z0-9]+`)

// writeTagRun writes the generated run of one tag case: its parts as the root's variables (vars[i] = parts[i]),
// extra (override blocks), and expect_failures naming the variables whose part the Go rules refuse by form.
// Its name says the verdict: valid, refused (by form) or refused_by_list (an environment not in ENVIRONMENTS).
func writeTagRun(t *testing.T, b *strings.Builder, seen map[string]bool, caseName string, valid bool, vars, parts, refused []string, extra string) {
	t.Helper()
	verdict := "valid"
	switch {
	case !valid && len(refused) == 0:
		verdict = "refused_by_list"
	case !valid:
		verdict = "refused"
	}
	name := verdict + "_" + strings.Trim(nonIdent.ReplaceAllString(strings.ToLower(caseName), "_"), "_")
	require.False(t, seen[name], "run name %s twice", name)
	seen[name] = true
	fmt.Fprintf(b, "\nrun %q {\n  command = plan\n\n  variables {\n", name)
	for i, v := range vars {
		fmt.Fprintf(b, "    %-15s = %s\n", v, release.HCLString(parts[i]))
	}
	b.WriteString("  }\n")
	b.WriteString(extra)
	if len(refused) > 0 {
		names := make([]string, len(refused))
		for i, v := range refused {
			names[i] = "var." + v
		}
		fmt.Fprintf(b, "\n  expect_failures = [%s]\n", strings.Join(names, ", "))
	}
	b.WriteString("}\n")
}

func generateTagTests(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(tagTestsHeader)
	seen := map[string]bool{}
	for _, tc := range tagTable {
		parts, ok := splitTag(tc.tag)
		if !ok {
			continue
		}
		// The environment's regions are the run's (the module's own region, mocked, is that region too).
		region := release.HCLString(parts[regionPart])
		overrides := fmt.Sprintf("\n  override_data {\n    target = data.terraform_remote_state.global\n    values = { outputs = { home_region = %[1]s, regions = [%[1]s], quorum = 1, urls_table_name = \"webhealth-web-dev-urls\", checks_table_name = \"webhealth-web-dev-checks\" } }\n  }\n", region) +
			fmt.Sprintf("\n  override_data {\n    target = module.web_health.data.aws_region.current\n    values = { name = %s }\n  }\n", region)
		writeTagRun(t, &b, seen, tc.name, tc.valid, partVariables[:], parts[:], refusedParts(parts), overrides)
	}
	return b.String()
}
