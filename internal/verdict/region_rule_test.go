package verdict_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/verdict"
)

// The functions' REGIONS rule (ValidRegion) is the rule terraform/global's regions and modules/web-health's
// global.regions validate, so a region Terraform accepts is one the functions start with (platform/release
// holds the same validations to the tag's rule).
func TestValidRegionIsTheTerraformRule(t *testing.T) {
	t.Parallel()
	names := []string{"eu-north-1", "ap-south-2", "us-gov-east-1", "cn-northwest-1", "eusc-de-east-1", "us-iso-east-1",
		"ap-southeast-10", "sa-east-01", "sa-east-0", "Sa-east-1", "sa-east", "sa-eastern-1", "zz-west-1", "sa-east-1 ", "sa_east_1"}
	rule := regexp.MustCompile(`regex\("(\^\(us\|eu\|[^"]*)", r\)`)
	found := 0
	for _, file := range []string{
		filepath.Join("..", "..", "terraform", "global", "variables.tf"),
		filepath.Join("..", "..", "modules", "web-health", "variables.tf"),
	} {
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, m := range rule.FindAllStringSubmatch(string(src), -1) {
			found++
			re := regexp.MustCompile(strings.ReplaceAll(m[1], `\\`, `\`))
			for _, name := range names {
				assert.Equal(t, re.MatchString(name), verdict.ValidRegion(name), "%s: region %q", file, name)
			}
		}
	}
	assert.Equal(t, 2, found, "terraform/global regions and modules/web-health global.regions")
}
