package release_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/release"
)

// regionNames are names the region rule must agree on: the tag's region (release.CheckRegion) and every
// Terraform variable holding a region.
var regionNames = []string{
	"us-east-1", "eu-west-1", "ap-southeast-1", "ap-northeast-3", "us-gov-west-1", "cn-north-1", "il-central-1",
	"mx-central-1", "eusc-de-east-1", "us-isob-east-1", "ca-west-1", "eu-central-2", "me-south-1", "af-south-1",
	"", "EU-WEST-1", "eu-west", "eu-west-0", "eu-west-01", "eu-west-100", "eu-westish-1", "xx-east-1",
	"eu-west-1 ", " eu-west-1", "eu-west-1\n", "eu_west_1", "global", "eu-west-1/..", "us-gov-1",
}

// tfRegionRegex finds the region rule in a Terraform validation: regex("^(us|eu|...)...$", <value>).
var tfRegionRegex = regexp.MustCompile(`regex\("(\^\(us\|eu\|[^"]*)"`)

// The region rule has one source, release.CheckRegion's pattern: the Terraform validations of every region
// (the tag's, the environment's regions, the state bucket's) give the same answer for each name.
func TestRegionRuleIsOneRule(t *testing.T) {
	t.Parallel()

	root := filepath.Join("..", "..")
	found := 0
	for _, file := range []string{
		filepath.Join("terraform", "workload", "variables.tf"),
		filepath.Join("terraform", "global", "variables.tf"),
		filepath.Join("modules", "web-health", "variables.tf"),
	} {
		src, err := os.ReadFile(filepath.Join(root, file))
		require.NoError(t, err)
		for _, m := range tfRegionRegex.FindAllStringSubmatch(string(src), -1) {
			found++
			re, err := regexp.Compile(strings.ReplaceAll(m[1], `\\`, `\`))
			require.NoError(t, err, "%s: %s", file, m[1])
			for _, name := range regionNames {
				assert.Equal(t, release.CheckRegion(name) == nil, re.MatchString(name), "%s: region %q: the validation %s disagrees with release.CheckRegion", file, name, m[1])
			}
		}
	}
	assert.Equal(t, 4, found, "the region validations: workload region and global_state.region, global regions, web-health global.regions")
}
