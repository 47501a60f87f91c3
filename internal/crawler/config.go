package crawler

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/webhealth/webhealth/internal/envconfig"
	"github.com/webhealth/webhealth/internal/probe"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/verdict"
)

// Config is the crawler's configuration, read once from the environment (docs/design.md).
type Config struct {
	URLsTable           string
	AlarmTopicARN       string
	AlarmPrefix         string
	MetricNamespace     string
	Concurrency         int
	DeadlineMargin      time.Duration
	AllowPrivateTargets bool
	MaxBodyBytes        int64
	MaxRedirects        int
	RetryDelay          time.Duration
	AlarmPeriodSeconds  int
	AlarmEvalPeriods    int
	AlarmDatapoints     int
	// CertExpiryDays is the certificate alarm's threshold of a target without its own.
	CertExpiryDays int
	// PhaseMetrics publishes DNSLatency, ConnectLatency, TLSLatency and TTFB per target (PHASE_METRICS).
	PhaseMetrics bool
	// ShardQueueURL is the SQS queue of the fan-out's shards (SHARD_QUEUE_URL); "": no fan-out.
	ShardQueueURL string
	// MaxShards is the most shards a run is split into (MAX_SHARDS).
	MaxShards int
	// ChecksTable is the checks table (CHECKS_TABLE) the run writes its region's check of each target
	// to; "": none (a single-region stack: last_check alone).
	ChecksTable string
	// Regions are the environment's regions (AWS_REGION, HOME_REGION, REGIONS, QUORUM,
	// STALE_AFTER_SECONDS): only the home region's crawler writes last_check.
	Regions verdict.Settings
}

// Defaults and limits of the crawler's settings (the probe's own are probe.Default*).
const (
	DefaultMetricNamespace = "WebHealth"
	DefaultConcurrency     = 16
	DefaultDeadlineMargin  = 5 * time.Second
	DefaultAlarmPeriod     = 60
	DefaultAlarmEvalPeriod = 2
	DefaultAlarmDatapoints = 2

	maxAlarmPrefixLength = 200 // alarm names are at most 255: prefix + "-" + 32 hex + "-availability" (the longest kind)
	maxNamespaceLength   = 255
	maxTopicNameLength   = 256
	maxQueueURLLength    = 512 // a queue name is at most 80 characters; the host at most a DNS name
)

// Limits of the settings modules/web-health passes (its crawler and alarms validations express the same
// rules; internal/contract's function settings table holds the two to each other).
const (
	MaxConcurrency    = 256
	MinDeadlineMargin = 500 * time.Millisecond
	MaxDeadlineMargin = 5 * time.Minute
	// MinBodyBytes lets the longest body_contains be found.
	MinBodyBytes = target.MaxBodyContainsLength
	MaxBodyBytes = 10 << 20
	// MaxRedirects is net/http's own default limit.
	MaxRedirects  = 10
	MaxRetryDelay = 10 * time.Second
	// Alarm periods are whole minutes (the metrics are standard resolution), and CloudWatch evaluates at
	// most one day: period * evaluation periods <= MaxAlarmRange.
	MinAlarmPeriod      = 60
	MaxAlarmRange       = 86400
	MaxAlarmEvalPeriods = MaxAlarmRange / MinAlarmPeriod
)

// The patterns leave the length limits to separate checks: a bounded repetition such as {1,256}
// compiles to one instruction per repeat, a cost every cold start would pay in package init.
var (
	alarmPrefixPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	namespacePattern   = regexp.MustCompile(`^[A-Za-z0-9.\-_/#: ]+$`)
	// An SQS queue URL: scheme, endpoint host (and port, for an emulator), account, standard queue name.
	sqsURLPattern = regexp.MustCompile(`^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[0-9]{12}/[A-Za-z0-9_-]+$`)
	snsARNPattern = regexp.MustCompile(`^arn:[a-z0-9-]+:sns:[a-z0-9-]+:[0-9]{12}:([A-Za-z0-9_-]+)(\.fifo)?$`)
)

// LoadConfig reads the crawler's environment variables; the error lists every bad one.
func LoadConfig(lookup envconfig.Lookup) (Config, error) {
	r := envconfig.New(lookup)
	c := Config{
		URLsTable:           r.Required("URLS_TABLE"),
		AlarmTopicARN:       r.Required("ALARM_TOPIC_ARN"),
		AlarmPrefix:         r.Required("ALARM_PREFIX"),
		MetricNamespace:     r.String("METRIC_NAMESPACE", DefaultMetricNamespace),
		Concurrency:         r.Int("CONCURRENCY", DefaultConcurrency, 1, MaxConcurrency),
		AllowPrivateTargets: r.Bool("ALLOW_PRIVATE_TARGETS", false),
		MaxBodyBytes:        int64(r.Int("MAX_BODY_BYTES", probe.DefaultMaxBodyBytes, MinBodyBytes, MaxBodyBytes)),
		MaxRedirects:        r.Int("MAX_REDIRECTS", probe.DefaultMaxRedirects, 0, MaxRedirects),
		AlarmPeriodSeconds:  r.Int("ALARM_PERIOD_SECONDS", DefaultAlarmPeriod, MinAlarmPeriod, MaxAlarmRange),
		AlarmEvalPeriods:    r.Int("ALARM_EVALUATION_PERIODS", DefaultAlarmEvalPeriod, 1, MaxAlarmEvalPeriods),
		AlarmDatapoints:     r.Int("ALARM_DATAPOINTS_TO_ALARM", DefaultAlarmDatapoints, 1, MaxAlarmEvalPeriods),
		CertExpiryDays:      r.Int("CERT_EXPIRY_DAYS", target.DefaultCertExpiryDays, target.MinCertExpiryDays, target.MaxCertExpiryDays),
		PhaseMetrics:        r.Bool("PHASE_METRICS", true),
		ShardQueueURL:       r.String("SHARD_QUEUE_URL", ""),
		MaxShards:           r.Int("MAX_SHARDS", DefaultMaxShards, 1, MaxShards),
		ChecksTable:         r.String("CHECKS_TABLE", ""),
		Regions:             verdict.Load(r),
	}
	if c.ChecksTable == "" && len(c.Regions.Regions) > 1 {
		r.Fail("CHECKS_TABLE", "is required when REGIONS names more than one region (%d): each region writes its checks there", len(c.Regions.Regions))
	}
	errs := []error{r.Err()}
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("environment variable %s: %s", key, fmt.Sprintf(format, args...)))
	}
	// Durations take the one form Terraform can check too: a whole number of one unit.
	duration := func(key string, def, lo, hi time.Duration) time.Duration {
		v := r.String(key, "")
		if v == "" {
			return def
		}
		d, ok := parseWholeDuration(v)
		if !ok || d < lo || d > hi {
			bad(key, "%q is not a duration of whole ms, s or m between %s and %s (e.g. 500ms, 5s)", v, formatWholeDuration(lo), formatWholeDuration(hi))
			return def
		}
		return d
	}
	c.DeadlineMargin = duration("DEADLINE_MARGIN", DefaultDeadlineMargin, MinDeadlineMargin, MaxDeadlineMargin)
	c.RetryDelay = duration("RETRY_DELAY", probe.DefaultRetryDelay, 0, MaxRetryDelay)
	if c.AlarmPrefix != "" && (len(c.AlarmPrefix) > maxAlarmPrefixLength || !alarmPrefixPattern.MatchString(c.AlarmPrefix)) {
		bad("ALARM_PREFIX", "%q must be 1-%d characters of letters, digits, '.', '_' and '-', starting with a letter or digit", c.AlarmPrefix, maxAlarmPrefixLength)
	}
	if m := snsARNPattern.FindStringSubmatch(c.AlarmTopicARN); c.AlarmTopicARN != "" && (m == nil || len(m[1]) > maxTopicNameLength) {
		bad("ALARM_TOPIC_ARN", "%q is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)", c.AlarmTopicARN)
	}
	if len(c.MetricNamespace) > maxNamespaceLength || !namespacePattern.MatchString(c.MetricNamespace) || strings.HasPrefix(c.MetricNamespace, "AWS/") {
		bad("METRIC_NAMESPACE", "%q must be 1-255 characters of letters, digits, space and . - _ / # :, not starting with AWS/", c.MetricNamespace)
	}
	if c.ShardQueueURL != "" && (len(c.ShardQueueURL) > maxQueueURLLength || !sqsURLPattern.MatchString(c.ShardQueueURL)) {
		bad("SHARD_QUEUE_URL", "%q is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>, a standard queue)", c.ShardQueueURL)
	}
	if c.AlarmPeriodSeconds%MinAlarmPeriod != 0 {
		bad("ALARM_PERIOD_SECONDS", "%d must be a multiple of 60 (metrics are standard resolution)", c.AlarmPeriodSeconds)
	}
	if c.AlarmPeriodSeconds*c.AlarmEvalPeriods > MaxAlarmRange {
		bad("ALARM_EVALUATION_PERIODS", "%d periods of %ds exceed one day, CloudWatch's evaluation range", c.AlarmEvalPeriods, c.AlarmPeriodSeconds)
	}
	if c.AlarmDatapoints > c.AlarmEvalPeriods {
		bad("ALARM_DATAPOINTS_TO_ALARM", "%d must not exceed ALARM_EVALUATION_PERIODS (%d)", c.AlarmDatapoints, c.AlarmEvalPeriods)
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// durationUnits are the units of parseWholeDuration, "ms" before "s" so that it is not read as "m" + "s".
var durationUnits = []struct {
	suffix string
	unit   time.Duration
}{{"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}}

// parseWholeDuration reads a whole number of ms, s or m (5s, 500ms, 2m); other Go forms (1.5s, 1m30s, 0) are refused.
func parseWholeDuration(v string) (time.Duration, bool) {
	for _, u := range durationUnits {
		digits, ok := strings.CutSuffix(v, u.suffix)
		if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
			continue
		}
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || n > math.MaxInt64/int64(u.unit) {
			return 0, false
		}
		return time.Duration(n) * u.unit, true
	}
	return 0, false
}

// formatWholeDuration writes d in the form parseWholeDuration reads, in its largest exact unit.
func formatWholeDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	for _, u := range slices.Backward(durationUnits) {
		if d%u.unit == 0 {
			return strconv.FormatInt(int64(d/u.unit), 10) + u.suffix
		}
	}
	return d.String()
}
