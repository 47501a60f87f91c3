package contract_test

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/alarmlog"
	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/crawler"
	"github.com/webhealth/webhealth/internal/probe"
	"github.com/webhealth/webhealth/internal/target"
)

const moduleDir = "../../modules/web-health/"

// The two forms in which the dashboard names a metric of our namespace: a Metrics Insights query
// over SCHEMA("<namespace>", <dimensions>) and a metric array [namespace, "Metric", "Dim", value...].
var (
	insightsQuery = regexp.MustCompile(`SELECT\s+\w+\((\w+)\)\s+FROM\s+SCHEMA\(\\"\$\{local\.metric_namespace\}\\"((?:\s*,\s*\w+)*)\)(?:\s+GROUP BY\s+(\w+(?:\s*,\s*\w+)*))?`)
	metricArray   = regexp.MustCompile(`\[local\.metric_namespace,\s*"(\w+)"((?:,\s*"\w+",\s*(?:"[^"]*"|[^,\]"]+))*)\]`)
	arrayDim      = regexp.MustCompile(`,\s*"(\w+)",\s*(?:"[^"]*"|[^,\]"]+)`)
)

// dashboardMetric is a metric of our namespace the dashboard names, with the dimensions it names.
type dashboardMetric struct {
	line       int
	name       string
	dimensions []string
	groupBy    []string
}

// dashboardMetrics reads every mention of the metric namespace in the dashboard; a mention in a form
// it does not read fails the test, so a new widget cannot slip past it.
func dashboardMetrics(t *testing.T, src string) []dashboardMetric {
	t.Helper()
	var out []dashboardMetric
	for i, line := range strings.Split(src, "\n") {
		mentions := strings.Count(line, "local.metric_namespace")
		if mentions == 0 {
			continue
		}
		found := 0
		for _, m := range insightsQuery.FindAllStringSubmatch(line, -1) {
			out = append(out, dashboardMetric{line: i + 1, name: m[1], dimensions: splitNames(m[2]), groupBy: splitNames(m[3])})
			found++
		}
		for _, m := range metricArray.FindAllStringSubmatch(line, -1) {
			dm := dashboardMetric{line: i + 1, name: m[1]}
			for _, d := range arrayDim.FindAllStringSubmatch(m[2], -1) {
				dm.dimensions = append(dm.dimensions, d[1])
			}
			out = append(out, dm)
			found++
		}
		require.Equal(t, mentions, found, "dashboard.tf line %d names the metric namespace in a form this test does not read: %s", i+1, strings.TrimSpace(line))
	}
	return out
}

func splitNames(list string) []string {
	var out []string
	for n := range strings.SplitSeq(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// TestDashboardFollowsTheContract: every metric of our namespace on the dashboard is one the crawler
// publishes, queried with exactly the dimensions it carries (CloudWatch finds nothing otherwise).
func TestDashboardFollowsTheContract(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(moduleDir + "dashboard.tf")
	require.NoError(t, err)
	metrics := dashboardMetrics(t, string(src))
	require.NotEmpty(t, metrics, "the dashboard shows no metric of the namespace: is the file still the dashboard?")
	for _, dm := range metrics {
		want, ok := contract.LookupMetric(dm.name)
		if !assert.True(t, ok, "dashboard.tf line %d: metric %q is not one the crawler publishes (internal/contract)", dm.line, dm.name) {
			continue
		}
		assert.ElementsMatch(t, want.Dimensions, dm.dimensions, "dashboard.tf line %d: dimensions of %s", dm.line, dm.name)
		for _, g := range dm.groupBy {
			assert.Contains(t, want.Dimensions, g, "dashboard.tf line %d: %s grouped by a dimension it does not carry", dm.line, dm.name)
		}
	}

	t.Run("the reader sees a wrong name", func(t *testing.T) {
		t.Parallel()
		bad := dashboardMetrics(t, `x = "SELECT AVG(Availabilty) FROM SCHEMA(\"${local.metric_namespace}\", Region, TargetID) GROUP BY TargetID"`+"\n"+
			`y = [local.metric_namespace, "TargetsChecked", "Region", local.region, "Zone", "a"],`)
		require.Len(t, bad, 2)
		assert.Equal(t, dashboardMetric{line: 1, name: "Availabilty", dimensions: []string{"Region", "TargetID"}, groupBy: []string{"TargetID"}}, bad[0])
		assert.Equal(t, dashboardMetric{line: 2, name: "TargetsChecked", dimensions: []string{"Region", "Zone"}}, bad[1])
	})
}

// TestTerraformDefaultsMatchGo: the defaults modules/web-health gives the functions' settings are the
// ones the functions fall back to without them, so changing one side alone fails here.
func TestTerraformDefaultsMatchGo(t *testing.T) {
	t.Parallel()
	defaults := readVariableDefaults(t, moduleDir+"variables.tf")
	integer := func(n int64) func(string) (any, any) {
		return func(v string) (any, any) {
			got, err := strconv.ParseInt(v, 10, 64)
			require.NoError(t, err, "not a whole number: %q", v)
			return n, got
		}
	}
	duration := func(d time.Duration) func(string) (any, any) {
		return func(v string) (any, any) {
			got, err := time.ParseDuration(v)
			require.NoError(t, err, "not a Go duration: %q", v)
			return d, got
		}
	}
	tests := []struct {
		env      string // the function setting
		variable string // where variables.tf sets its default
		compare  func(string) (want, got any)
	}{
		{"CONCURRENCY", "crawler.concurrency", integer(crawler.DefaultConcurrency)},
		{"DEADLINE_MARGIN", "crawler.deadline_margin", duration(crawler.DefaultDeadlineMargin)},
		{"MAX_BODY_BYTES", "crawler.max_body_bytes", integer(probe.DefaultMaxBodyBytes)},
		{"MAX_REDIRECTS", "crawler.max_redirects", integer(probe.DefaultMaxRedirects)},
		{"RETRY_DELAY", "crawler.retry_delay", duration(probe.DefaultRetryDelay)},
		{"MAX_SHARDS", "crawler.max_shards", integer(crawler.DefaultMaxShards)},
		// ALARM_PERIOD_SECONDS has no Terraform default: null is the crawl interval (function_settings_test.go).
		{"ALARM_EVALUATION_PERIODS", "alarms.evaluation_periods", integer(crawler.DefaultAlarmEvalPeriod)},
		{"ALARM_DATAPOINTS_TO_ALARM", "alarms.datapoints_to_alarm", integer(crawler.DefaultAlarmDatapoints)},
		{"CERT_EXPIRY_DAYS", "alarms.cert_expiry_days", integer(target.DefaultCertExpiryDays)},
		{"ALARM_RETENTION_DAYS", "alarms.retention_days", integer(alarmlog.DefaultRetentionDays)},
	}
	for _, tc := range tests {
		t.Run(tc.env, func(t *testing.T) {
			t.Parallel()
			v, ok := defaults[tc.variable]
			require.True(t, ok, "variables.tf has no default for %s (renamed? update this table); defaults found: %v",
				tc.variable, slices.Sorted(maps.Keys(defaults)))
			want, got := tc.compare(v)
			assert.Equal(t, want, got, "%s: Terraform's default (%s = %s) and the Go default differ", tc.env, tc.variable, v)
		})
	}
}
