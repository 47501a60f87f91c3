package crawler

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/webhealth/webhealth/internal/envconfig"
	"github.com/webhealth/webhealth/internal/probe"
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
}

// Defaults and limits of the crawler's settings (the probe's own are probe.Default*).
const (
	DefaultMetricNamespace = "WebHealth"
	DefaultConcurrency     = 16
	DefaultDeadlineMargin  = 5 * time.Second
	DefaultAlarmPeriod     = 60
	DefaultAlarmEvalPeriod = 2
	DefaultAlarmDatapoints = 2

	maxAlarmPrefixLength = 200 // alarm names are at most 255: prefix + "-" + 32 hex + "-availability"
	maxNamespaceLength   = 255
	maxTopicNameLength   = 256
)

// The patterns leave the length limits to separate checks: a bounded repetition such as {1,256}
// compiles to one instruction per repeat, a cost every cold start would pay in package init.
var (
	alarmPrefixPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	namespacePattern   = regexp.MustCompile(`^[A-Za-z0-9.\-_/#: ]+$`)
	snsARNPattern      = regexp.MustCompile(`^arn:[a-z0-9-]+:sns:[a-z0-9-]+:[0-9]{12}:([A-Za-z0-9_-]+)(\.fifo)?$`)
)

// LoadConfig reads the crawler's environment variables; the error lists every bad one.
func LoadConfig(lookup envconfig.Lookup) (Config, error) {
	r := envconfig.New(lookup)
	c := Config{
		URLsTable:           r.Required("URLS_TABLE"),
		AlarmTopicARN:       r.Required("ALARM_TOPIC_ARN"),
		AlarmPrefix:         r.Required("ALARM_PREFIX"),
		MetricNamespace:     r.String("METRIC_NAMESPACE", DefaultMetricNamespace),
		Concurrency:         r.Int("CONCURRENCY", DefaultConcurrency, 1, 256),
		DeadlineMargin:      r.Duration("DEADLINE_MARGIN", DefaultDeadlineMargin, 500*time.Millisecond, 5*time.Minute),
		AllowPrivateTargets: r.Bool("ALLOW_PRIVATE_TARGETS", false),
		MaxBodyBytes:        int64(r.Int("MAX_BODY_BYTES", probe.DefaultMaxBodyBytes, 1, 10<<20)),
		MaxRedirects:        r.Int("MAX_REDIRECTS", probe.DefaultMaxRedirects, 0, 20),
		RetryDelay:          r.Duration("RETRY_DELAY", probe.DefaultRetryDelay, 0, 10*time.Second),
		AlarmPeriodSeconds:  r.Int("ALARM_PERIOD_SECONDS", DefaultAlarmPeriod, 60, 86400),
		AlarmEvalPeriods:    r.Int("ALARM_EVALUATION_PERIODS", DefaultAlarmEvalPeriod, 1, 1440),
		AlarmDatapoints:     r.Int("ALARM_DATAPOINTS_TO_ALARM", DefaultAlarmDatapoints, 1, 1440),
	}
	errs := []error{r.Err()}
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("environment variable %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.AlarmPrefix != "" && (len(c.AlarmPrefix) > maxAlarmPrefixLength || !alarmPrefixPattern.MatchString(c.AlarmPrefix)) {
		bad("ALARM_PREFIX", "%q must be 1-%d characters of letters, digits, '.', '_' and '-', starting with a letter or digit", c.AlarmPrefix, maxAlarmPrefixLength)
	}
	if m := snsARNPattern.FindStringSubmatch(c.AlarmTopicARN); c.AlarmTopicARN != "" && (m == nil || len(m[1]) > maxTopicNameLength) {
		bad("ALARM_TOPIC_ARN", "%q is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)", c.AlarmTopicARN)
	}
	if len(c.MetricNamespace) > maxNamespaceLength || !namespacePattern.MatchString(c.MetricNamespace) || strings.HasPrefix(c.MetricNamespace, "AWS/") {
		bad("METRIC_NAMESPACE", "%q must be 1-255 characters of letters, digits, space and . - _ / # :, not starting with AWS/", c.MetricNamespace)
	}
	if c.AlarmPeriodSeconds%60 != 0 {
		bad("ALARM_PERIOD_SECONDS", "%d must be a multiple of 60 (metrics are standard resolution)", c.AlarmPeriodSeconds)
	}
	if c.AlarmPeriodSeconds*c.AlarmEvalPeriods > 86400 {
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
