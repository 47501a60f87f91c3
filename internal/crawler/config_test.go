package crawler

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/verdict"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func required() map[string]string {
	return map[string]string{
		"URLS_TABLE":      "webhealth-dev-urls",
		"ALARM_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:webhealth-dev-alarms",
		"ALARM_PREFIX":    "webhealth-dev",
		"AWS_REGION":      "eu-west-1", // Lambda sets it
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig(env(required()))
	require.NoError(t, err)
	assert.Equal(t, Config{
		URLsTable: "webhealth-dev-urls", AlarmTopicARN: "arn:aws:sns:eu-west-1:123456789012:webhealth-dev-alarms",
		AlarmPrefix: "webhealth-dev", MetricNamespace: "WebHealth", Concurrency: 16, DeadlineMargin: 5 * time.Second,
		AllowPrivateTargets: false, MaxBodyBytes: 1048576, MaxRedirects: 5, RetryDelay: 500 * time.Millisecond,
		AlarmPeriodSeconds: 60, AlarmEvalPeriods: 2, AlarmDatapoints: 2, CertExpiryDays: 14, PhaseMetrics: true,
		MaxShards: 100,
		Regions: verdict.Settings{Region: "eu-west-1", Home: "eu-west-1",
			Rule: verdict.Rule{Regions: []string{"eu-west-1"}, Quorum: 1, StaleAfter: 3 * time.Minute}},
	}, cfg)
}

// TestLoadConfigRegions: the multi-region settings (verdict.Load's rules, tested there) reach the
// crawler, and CHECKS_TABLE is required once there is more than one region.
func TestLoadConfigRegions(t *testing.T) {
	t.Parallel()
	e := required()
	for k, v := range map[string]string{
		"CHECKS_TABLE": "webhealth-web-dev-checks", "HOME_REGION": "us-east-1", "REGIONS": "us-east-1,eu-west-1",
		"QUORUM": "1", "STALE_AFTER_SECONDS": "300",
	} {
		e[k] = v
	}
	cfg, err := LoadConfig(env(e))
	require.NoError(t, err)
	assert.Equal(t, "webhealth-web-dev-checks", cfg.ChecksTable)
	assert.Equal(t, verdict.Settings{Region: "eu-west-1", Home: "us-east-1",
		Rule: verdict.Rule{Regions: []string{"us-east-1", "eu-west-1"}, Quorum: 1, StaleAfter: 5 * time.Minute}}, cfg.Regions)
	assert.False(t, cfg.Regions.IsHome())

	// One region with a checks table: its checks are written there too.
	one := required()
	one["CHECKS_TABLE"] = "webhealth-web-dev-checks"
	cfg, err = LoadConfig(env(one))
	require.NoError(t, err)
	assert.Equal(t, "webhealth-web-dev-checks", cfg.ChecksTable)
	assert.True(t, cfg.Regions.IsHome())
}

func TestLoadConfigAllSet(t *testing.T) {
	t.Parallel()
	e := required()
	for k, v := range map[string]string{
		"METRIC_NAMESPACE": "WebHealth/webhealth-dev", "CONCURRENCY": "64", "DEADLINE_MARGIN": "3s",
		"ALLOW_PRIVATE_TARGETS": "true", "MAX_BODY_BYTES": "65536", "MAX_REDIRECTS": "0", "RETRY_DELAY": "250ms",
		"ALARM_PERIOD_SECONDS": "300", "ALARM_EVALUATION_PERIODS": "3", "ALARM_DATAPOINTS_TO_ALARM": "2",
		"CERT_EXPIRY_DAYS": "30", "PHASE_METRICS": "false",
		"SHARD_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/webhealth-dev-crawl-shards", "MAX_SHARDS": "256",
	} {
		e[k] = v
	}
	cfg, err := LoadConfig(env(e))
	require.NoError(t, err)
	assert.Equal(t, "WebHealth/webhealth-dev", cfg.MetricNamespace)
	assert.Equal(t, 64, cfg.Concurrency)
	assert.Equal(t, 3*time.Second, cfg.DeadlineMargin)
	assert.True(t, cfg.AllowPrivateTargets)
	assert.Equal(t, int64(65536), cfg.MaxBodyBytes)
	assert.Equal(t, 0, cfg.MaxRedirects)
	assert.Equal(t, 250*time.Millisecond, cfg.RetryDelay)
	assert.Equal(t, 300, cfg.AlarmPeriodSeconds)
	assert.Equal(t, 3, cfg.AlarmEvalPeriods)
	assert.Equal(t, 2, cfg.AlarmDatapoints)
	assert.Equal(t, 30, cfg.CertExpiryDays)
	assert.False(t, cfg.PhaseMetrics)
	assert.Equal(t, "https://sqs.eu-west-1.amazonaws.com/123456789012/webhealth-dev-crawl-shards", cfg.ShardQueueURL)
	assert.Equal(t, 256, cfg.MaxShards)

	// An emulator's endpoint (the local runtime's) is a queue URL too.
	e["SHARD_QUEUE_URL"] = "http://localhost:4566/000000000000/shards"
	cfg, err = LoadConfig(env(e))
	require.NoError(t, err)
	assert.Equal(t, "http://localhost:4566/000000000000/shards", cfg.ShardQueueURL)
}

func TestLoadConfigRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		set   map[string]string
		unset []string
		want  []string // each must appear in the error
	}{
		{name: "required missing", unset: []string{"URLS_TABLE", "ALARM_TOPIC_ARN", "ALARM_PREFIX"},
			want: []string{"URLS_TABLE: is required", "ALARM_TOPIC_ARN: is required", "ALARM_PREFIX: is required"}},
		{name: "concurrency too high", set: map[string]string{"CONCURRENCY": "257"}, want: []string{"CONCURRENCY", "between 1 and 256"}},
		{name: "concurrency zero", set: map[string]string{"CONCURRENCY": "0"}, want: []string{"CONCURRENCY"}},
		{name: "margin not a duration", set: map[string]string{"DEADLINE_MARGIN": "5"}, want: []string{"DEADLINE_MARGIN"}},
		{name: "phase metrics not a bool", set: map[string]string{"PHASE_METRICS": "off"}, want: []string{`PHASE_METRICS: "off" is not a boolean (true or false)`}},
		{name: "private not a bool", set: map[string]string{"ALLOW_PRIVATE_TARGETS": "yes please"}, want: []string{"ALLOW_PRIVATE_TARGETS"}},
		{name: "margin below the minimum", set: map[string]string{"DEADLINE_MARGIN": "499ms"}, want: []string{`DEADLINE_MARGIN: "499ms" is not a duration of whole ms, s or m between 500ms and 5m`}},
		{name: "margin above the maximum", set: map[string]string{"DEADLINE_MARGIN": "301s"}, want: []string{"DEADLINE_MARGIN", "between 500ms and 5m"}},
		{name: "margin as a fraction", set: map[string]string{"DEADLINE_MARGIN": "1.5s"}, want: []string{"DEADLINE_MARGIN"}},
		{name: "margin of two units", set: map[string]string{"DEADLINE_MARGIN": "1m30s"}, want: []string{"DEADLINE_MARGIN"}},
		{name: "margin in hours", set: map[string]string{"DEADLINE_MARGIN": "0h"}, want: []string{"DEADLINE_MARGIN"}},
		{name: "margin overflowing", set: map[string]string{"DEADLINE_MARGIN": "9223372036854775807m"}, want: []string{"DEADLINE_MARGIN"}},
		{name: "body bytes negative", set: map[string]string{"MAX_BODY_BYTES": "-1"}, want: []string{"MAX_BODY_BYTES"}},
		{name: "body bytes below the longest body_contains", set: map[string]string{"MAX_BODY_BYTES": "1023"}, want: []string{`MAX_BODY_BYTES: "1023" is not an integer between 1024 and 10485760`}},
		{name: "redirects too many", set: map[string]string{"MAX_REDIRECTS": "11"}, want: []string{`MAX_REDIRECTS: "11" is not an integer between 0 and 10`}},
		{name: "retry delay too long", set: map[string]string{"RETRY_DELAY": "1m"}, want: []string{`RETRY_DELAY: "1m" is not a duration of whole ms, s or m between 0s and 10s`}},
		{name: "retry delay without a unit", set: map[string]string{"RETRY_DELAY": "0"}, want: []string{"RETRY_DELAY"}},
		{name: "retry delay negative", set: map[string]string{"RETRY_DELAY": "-1s"}, want: []string{"RETRY_DELAY"}},
		{name: "period of high-resolution alarms", set: map[string]string{"ALARM_PERIOD_SECONDS": "30"}, want: []string{"ALARM_PERIOD_SECONDS"}},
		{name: "period not a multiple of 60", set: map[string]string{"ALARM_PERIOD_SECONDS": "90"}, want: []string{"ALARM_PERIOD_SECONDS", "multiple of 60"}},
		{name: "evaluation range over a day", set: map[string]string{"ALARM_PERIOD_SECONDS": "3600", "ALARM_EVALUATION_PERIODS": "25"},
			want: []string{"ALARM_EVALUATION_PERIODS", "exceed one day"}},
		{name: "more evaluation periods than minutes in a day", set: map[string]string{"ALARM_EVALUATION_PERIODS": "1441", "ALARM_DATAPOINTS_TO_ALARM": "1"},
			want: []string{`ALARM_EVALUATION_PERIODS: "1441" is not an integer between 1 and 1440`}},
		{name: "datapoints above periods", set: map[string]string{"ALARM_EVALUATION_PERIODS": "2", "ALARM_DATAPOINTS_TO_ALARM": "3"},
			want: []string{"ALARM_DATAPOINTS_TO_ALARM", "must not exceed"}},
		{name: "cert expiry days zero", set: map[string]string{"CERT_EXPIRY_DAYS": "0"}, want: []string{`CERT_EXPIRY_DAYS: "0" is not an integer between 1 and 365`}},
		{name: "cert expiry days over a year", set: map[string]string{"CERT_EXPIRY_DAYS": "366"}, want: []string{"CERT_EXPIRY_DAYS", "between 1 and 365"}},
		{name: "cert expiry days not a number", set: map[string]string{"CERT_EXPIRY_DAYS": "14d"}, want: []string{"CERT_EXPIRY_DAYS"}},
		{name: "prefix with spaces", set: map[string]string{"ALARM_PREFIX": "web health"}, want: []string{"ALARM_PREFIX"}},
		{name: "topic not an SNS ARN", set: map[string]string{"ALARM_TOPIC_ARN": "arn:aws:sqs:eu-west-1:123456789012:q"}, want: []string{"ALARM_TOPIC_ARN"}},
		{name: "namespace reserved", set: map[string]string{"METRIC_NAMESPACE": "AWS/Lambda"}, want: []string{"METRIC_NAMESPACE"}},
		{name: "shard queue not a URL", set: map[string]string{"SHARD_QUEUE_URL": "webhealth-dev-crawl-shards"}, want: []string{"SHARD_QUEUE_URL", "is not an SQS queue URL"}},
		{name: "shard queue an ARN", set: map[string]string{"SHARD_QUEUE_URL": "arn:aws:sqs:eu-west-1:123456789012:q"}, want: []string{"SHARD_QUEUE_URL"}},
		{name: "shard queue FIFO", set: map[string]string{"SHARD_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo"}, want: []string{"SHARD_QUEUE_URL"}},
		{name: "shard queue without account", set: map[string]string{"SHARD_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/q"}, want: []string{"SHARD_QUEUE_URL"}},
		{name: "max shards zero", set: map[string]string{"MAX_SHARDS": "0"}, want: []string{`MAX_SHARDS: "0" is not an integer between 1 and 256`}},
		{name: "max shards over the prefixes", set: map[string]string{"MAX_SHARDS": "257"}, want: []string{"MAX_SHARDS", "between 1 and 256"}},
		{name: "several at once", set: map[string]string{"CONCURRENCY": "x", "MAX_REDIRECTS": "y"}, want: []string{"CONCURRENCY", "MAX_REDIRECTS"}},
		{name: "no region", unset: []string{"AWS_REGION"}, want: []string{"AWS_REGION: is required"}},
		{name: "two regions without a checks table", set: map[string]string{"REGIONS": "us-east-1,eu-west-1"},
			want: []string{"environment variable CHECKS_TABLE: is required when REGIONS names more than one region (2)"}},
		{name: "own region not in REGIONS", set: map[string]string{"CHECKS_TABLE": "checks", "REGIONS": "us-east-1,ap-southeast-1"},
			want: []string{"REGIONS", `does not contain the function's own region "eu-west-1"`}},
		{name: "quorum above the regions", set: map[string]string{"CHECKS_TABLE": "checks", "REGIONS": "us-east-1,eu-west-1", "QUORUM": "3"},
			want: []string{"QUORUM: 3 exceeds the number of REGIONS (2)"}},
		{name: "stale below a minute", set: map[string]string{"STALE_AFTER_SECONDS": "30"}, want: []string{"STALE_AFTER_SECONDS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := required()
			for k, v := range tc.set {
				e[k] = v
			}
			for _, k := range tc.unset {
				delete(e, k)
			}
			_, err := LoadConfig(env(e))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// TestLoadConfigLengthLimits: the namespace (255) and topic name (256, .fifo not counted) limits
// hold at their edges, checked apart from the patterns.
func TestLoadConfigLengthLimits(t *testing.T) {
	t.Parallel()
	arn := "arn:aws:sns:eu-west-1:123456789012:"
	tests := []struct {
		name, key, value string
		ok               bool
	}{
		{name: "namespace at the limit", key: "METRIC_NAMESPACE", value: strings.Repeat("n", 255), ok: true},
		{name: "namespace above the limit", key: "METRIC_NAMESPACE", value: strings.Repeat("n", 256)},
		{name: "topic name at the limit", key: "ALARM_TOPIC_ARN", value: arn + strings.Repeat("t", 256), ok: true},
		{name: "fifo topic name at the limit", key: "ALARM_TOPIC_ARN", value: arn + strings.Repeat("t", 256) + ".fifo", ok: true},
		{name: "topic name above the limit", key: "ALARM_TOPIC_ARN", value: arn + strings.Repeat("t", 257)},
		{name: "empty topic name", key: "ALARM_TOPIC_ARN", value: arn},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := required()
			e[tc.key] = tc.value
			cfg, err := LoadConfig(env(e))
			if !tc.ok {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.key)
				return
			}
			require.NoError(t, err)
			assert.Contains(t, []string{cfg.MetricNamespace, cfg.AlarmTopicARN}, tc.value)
		})
	}
}

// TestLoadConfigDurations: DEADLINE_MARGIN and RETRY_DELAY take a whole number of ms, s or m within
// their limits (the form modules/web-health checks too); blank means the default, as for every variable.
func TestLoadConfigDurations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key, value string
		want             time.Duration
	}{
		{name: "margin at the minimum", key: "DEADLINE_MARGIN", value: "500ms", want: 500 * time.Millisecond},
		{name: "margin at the maximum in minutes", key: "DEADLINE_MARGIN", value: "5m", want: 5 * time.Minute},
		{name: "margin at the maximum in seconds", key: "DEADLINE_MARGIN", value: "300s", want: 5 * time.Minute},
		{name: "margin with leading zeros", key: "DEADLINE_MARGIN", value: "0007s", want: 7 * time.Second},
		{name: "margin padded", key: "DEADLINE_MARGIN", value: " 2s\n", want: 2 * time.Second},
		{name: "margin blank", key: "DEADLINE_MARGIN", value: " ", want: DefaultDeadlineMargin},
		{name: "retry delay of zero", key: "RETRY_DELAY", value: "0ms", want: 0},
		{name: "retry delay of zero minutes", key: "RETRY_DELAY", value: "0m", want: 0},
		{name: "retry delay at the maximum", key: "RETRY_DELAY", value: "10000ms", want: 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := required()
			e[tc.key] = tc.value
			cfg, err := LoadConfig(env(e))
			require.NoError(t, err)
			assert.Equal(t, tc.want, map[string]time.Duration{"DEADLINE_MARGIN": cfg.DeadlineMargin, "RETRY_DELAY": cfg.RetryDelay}[tc.key])
		})
	}
}

func TestFormatWholeDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{0: "0s", 500 * time.Millisecond: "500ms", 1500 * time.Millisecond: "1500ms", 10 * time.Second: "10s", 90 * time.Second: "90s", 5 * time.Minute: "5m"} {
		assert.Equal(t, want, formatWholeDuration(d))
		back, ok := parseWholeDuration(want)
		assert.True(t, ok, want)
		assert.Equal(t, d, back, want)
	}
}

// FuzzParseWholeDuration: an accepted value is digits and one unit, and reads back from its formatted form.
func FuzzParseWholeDuration(f *testing.F) {
	for _, seed := range []string{"5s", "500ms", "2m", "0", "1.5s", "1m30s", "9223372036854775807ms", "9223372036854775808ms", "ms", "-1s", "5h"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseWholeDuration(v)
		if !ok {
			return
		}
		require.Regexp(t, `^[0-9]+(ms|s|m)$`, v)
		require.GreaterOrEqual(t, d, time.Duration(0))
		back, ok := parseWholeDuration(formatWholeDuration(d))
		require.True(t, ok)
		require.Equal(t, d, back)
	})
}
