package crawler

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		AlarmPeriodSeconds: 60, AlarmEvalPeriods: 2, AlarmDatapoints: 2,
	}, cfg)
}

func TestLoadConfigAllSet(t *testing.T) {
	t.Parallel()
	e := required()
	for k, v := range map[string]string{
		"METRIC_NAMESPACE": "WebHealth/webhealth-dev", "CONCURRENCY": "64", "DEADLINE_MARGIN": "3s",
		"ALLOW_PRIVATE_TARGETS": "true", "MAX_BODY_BYTES": "65536", "MAX_REDIRECTS": "0", "RETRY_DELAY": "250ms",
		"ALARM_PERIOD_SECONDS": "300", "ALARM_EVALUATION_PERIODS": "3", "ALARM_DATAPOINTS_TO_ALARM": "2",
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
		{name: "private not a bool", set: map[string]string{"ALLOW_PRIVATE_TARGETS": "yes please"}, want: []string{"ALLOW_PRIVATE_TARGETS"}},
		{name: "body bytes negative", set: map[string]string{"MAX_BODY_BYTES": "-1"}, want: []string{"MAX_BODY_BYTES"}},
		{name: "redirects too many", set: map[string]string{"MAX_REDIRECTS": "50"}, want: []string{"MAX_REDIRECTS"}},
		{name: "retry delay too long", set: map[string]string{"RETRY_DELAY": "1m"}, want: []string{"RETRY_DELAY"}},
		{name: "period not a multiple of 60", set: map[string]string{"ALARM_PERIOD_SECONDS": "90"}, want: []string{"ALARM_PERIOD_SECONDS", "multiple of 60"}},
		{name: "evaluation range over a day", set: map[string]string{"ALARM_PERIOD_SECONDS": "3600", "ALARM_EVALUATION_PERIODS": "25"},
			want: []string{"ALARM_EVALUATION_PERIODS", "exceed one day"}},
		{name: "datapoints above periods", set: map[string]string{"ALARM_EVALUATION_PERIODS": "2", "ALARM_DATAPOINTS_TO_ALARM": "3"},
			want: []string{"ALARM_DATAPOINTS_TO_ALARM", "must not exceed"}},
		{name: "prefix with spaces", set: map[string]string{"ALARM_PREFIX": "web health"}, want: []string{"ALARM_PREFIX"}},
		{name: "topic not an SNS ARN", set: map[string]string{"ALARM_TOPIC_ARN": "arn:aws:sqs:eu-west-1:123456789012:q"}, want: []string{"ALARM_TOPIC_ARN"}},
		{name: "namespace reserved", set: map[string]string{"METRIC_NAMESPACE": "AWS/Lambda"}, want: []string{"METRIC_NAMESPACE"}},
		{name: "several at once", set: map[string]string{"CONCURRENCY": "x", "MAX_REDIRECTS": "y"}, want: []string{"CONCURRENCY", "MAX_REDIRECTS"}},
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
