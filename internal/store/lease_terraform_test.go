package store_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/store"
)

// TestLeaseIAMNamesTheLeaseItem: the crawler's IAM (modules/web-health/functions.tf) lets it put and delete
// exactly the lease item this package writes, its own region's (CrawlerLeasePrefix + the region, from a
// Terraform expression); a renamed lease would otherwise be AccessDenied on AWS only.
func TestLeaseIAMNamesTheLeaseItem(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../../modules/web-health/functions.tf")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?s)sid\s*=\s*"HoldRunLease".*?variable\s*=\s*"dynamodb:LeadingKeys",\s*values\s*=\s*\[([^\]]*)\]`).FindSubmatch(src)
	require.NotNil(t, m, "functions.tf has the HoldRunLease statement with a dynamodb:LeadingKeys condition")
	assert.Regexp(t, `^"`+regexp.QuoteMeta(store.CrawlerLeasePrefix)+`\$\{[A-Za-z0-9_.\[\]]+\}"$`, strings.TrimSpace(string(m[1])),
		"one value: the lease of the stack's own region, %q followed by a Terraform expression of the region", store.CrawlerLeasePrefix)
	assert.Equal(t, "lease#crawler#eu-west-1", store.CrawlerLeaseID("eu-west-1"))
}
