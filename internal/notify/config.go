package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/envconfig"
	"github.com/webhealth/webhealth/internal/verdict"
)

// Channel formats: what the webhook is posted (NOTIFY_CHANNELS "format").
const (
	FormatJSON      = "json"      // the generic body (docs/design.md)
	FormatSlack     = "slack"     // a Slack incoming-webhook message
	FormatTeams     = "teams"     // a Teams message with an Adaptive Card (Workflows and incoming webhooks)
	FormatPagerDuty = "pagerduty" // a PagerDuty Events API v2 event; the secret is the routing key
)

// Formats lists the channel formats.
func Formats() []string { return []string{FormatJSON, FormatSlack, FormatTeams, FormatPagerDuty} }

// Defaults and limits of the notifier's settings.
const (
	DefaultConsoleURL         = "https://console.aws.amazon.com"
	DefaultPagerDutyEventsURL = "https://events.pagerduty.com/v2/enqueue"

	// MaxChannels keeps NOTIFY_CHANNELS well inside a function's 4 KB of environment.
	MaxChannels          = 20
	MaxChannelNameLength = 32
	// An SSM parameter name is hierarchical here ("/webhealth/prod/ops-slack"): at most 15 levels and
	// 1011 characters (SSM's limits), none starting with "aws" or "ssm" (reserved by AWS).
	MaxSSMParameterLength = 1011
	MaxSSMParameterLevels = 15
	// A Secrets Manager secret is given by name or by its full ARN (the name, "-" and 6 characters).
	MaxSecretIDLength = 512
	maxURLLength      = 2048
)

// Channel is one webhook the notifier posts every notification to. Exactly one of SSMParameter
// (an SSM SecureString parameter) and SecretID (a Secrets Manager secret) names where its secret is:
// the webhook URL, or for pagerduty the routing key.
type Channel struct {
	Name         string `json:"name"`
	Format       string `json:"format"`
	SSMParameter string `json:"ssm_parameter,omitempty"`
	SecretID     string `json:"secret_id,omitempty"`
}

// source names where the channel's secret is, for logs and errors (never the secret itself).
func (c Channel) source() string {
	if c.SSMParameter != "" {
		return "SSM parameter " + c.SSMParameter
	}
	return "secret " + c.SecretID
}

// Config is the notifier's configuration, read once at start-up.
type Config struct {
	URLsTable       string // URLS_TABLE
	AlarmsTable     string // ALARMS_TABLE
	DeliveriesTable string // DELIVERIES_TABLE
	// AlarmPrefix is the prefix of the targets' alarms (ALARM_PREFIX): "<prefix>-<target id>-<kind>".
	AlarmPrefix string
	// Channels are the webhooks (NOTIFY_CHANNELS, a JSON array; absent or [] = none).
	Channels []Channel
	// NotifyTopicARN is the people topic (NOTIFY_TOPIC_ARN; "" = none): e-mail and AWS Chatbot subscribe to
	// it, and it is published one message per state change told, like a webhook channel (TopicChannel).
	NotifyTopicARN string
	// AllowPrivateTargets lets webhooks reach private addresses and use http (ALLOW_PRIVATE_TARGETS,
	// local stacks only); metadata addresses are refused always.
	AllowPrivateTargets bool
	// ConsoleURL is the base of the CloudWatch console link (CONSOLE_URL), without a trailing slash.
	ConsoleURL string
	// PagerDutyEventsURL is where pagerduty channels' events go (PAGERDUTY_EVENTS_URL).
	PagerDutyEventsURL string
	// Region is the function's region (AWS_REGION): the region named in messages and console links.
	Region string
	// Regions are the environment's regions (AWS_REGION, HOME_REGION, REGIONS, QUORUM, STALE_AFTER_SECONDS;
	// verdict.Load): with more than one, alerting follows the verdict (Routing).
	Regions verdict.Settings
	// NotifyDegraded tells the changes of the degraded alarm (NOTIFY_DEGRADED, default false: recorded only).
	NotifyDegraded bool
}

// Routing is who the configuration tells of which target alarms.
func (c Config) Routing() Routing {
	return Routing{MultiRegion: contract.MultiRegion(c.Regions), Home: c.Regions.IsHome(), NotifyDegraded: c.NotifyDegraded}
}

// LoadConfig reads the configuration from the environment (os.LookupEnv in main) and reports every bad
// or missing variable at once.
func LoadConfig(lookup envconfig.Lookup) (Config, error) {
	r := envconfig.New(lookup)
	cfg := Config{
		URLsTable:           r.Required("URLS_TABLE"),
		AlarmsTable:         r.Required("ALARMS_TABLE"),
		DeliveriesTable:     r.Required("DELIVERIES_TABLE"),
		AlarmPrefix:         r.Required("ALARM_PREFIX"),
		AllowPrivateTargets: r.Bool("ALLOW_PRIVATE_TARGETS", false),
		Regions:             verdict.Load(r),
		NotifyDegraded:      r.Bool("NOTIFY_DEGRADED", false),
	}
	cfg.Region = cfg.Regions.Region
	var errs []error
	var err error
	if cfg.Channels, err = ParseChannels(r.String("NOTIFY_CHANNELS", "")); err != nil {
		errs = append(errs, fmt.Errorf("environment variable NOTIFY_CHANNELS: %w", err))
	}
	if cfg.NotifyTopicARN = r.String("NOTIFY_TOPIC_ARN", ""); cfg.NotifyTopicARN != "" && !ValidTopicARN(cfg.NotifyTopicARN) {
		errs = append(errs, fmt.Errorf("environment variable NOTIFY_TOPIC_ARN: %q is not the ARN of a standard SNS topic "+
			"(arn:<partition>:sns:<region>:<12-digit account>:<name of 1-256 letters, digits, - and _>, not .fifo), "+
			"e.g. arn:aws:sns:eu-west-1:123456789012:webhealth-web-prod-eu-west-1-notifications; leave it unset for none", cfg.NotifyTopicARN))
	}
	if cfg.ConsoleURL, err = baseURL(r.String("CONSOLE_URL", DefaultConsoleURL), false); err != nil {
		errs = append(errs, fmt.Errorf("environment variable CONSOLE_URL: %w", err))
	}
	if cfg.PagerDutyEventsURL, err = baseURL(r.String("PAGERDUTY_EVENTS_URL", DefaultPagerDutyEventsURL), cfg.AllowPrivateTargets); err != nil {
		errs = append(errs, fmt.Errorf("environment variable PAGERDUTY_EVENTS_URL: %w", err))
	}
	if err := errors.Join(append([]error{r.Err()}, errs...)...); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// baseURL checks an absolute https URL with a host and no user info, query or fragment (http too when
// allowHTTP) and drops a trailing slash.
func baseURL(s string, allowHTTP bool) (string, error) {
	u, err := url.Parse(s)
	scheme := "https"
	if allowHTTP {
		scheme = "https or http"
	}
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		!(u.Scheme == "https" || (allowHTTP && u.Scheme == "http")) || len(s) > maxURLLength {
		return "", fmt.Errorf("%q is not an absolute %s URL with a host and no query (e.g. https://console.aws.amazon.com)", s, scheme)
	}
	return strings.TrimSuffix(s, "/"), nil
}

// ParseChannels reads NOTIFY_CHANNELS: a JSON array of at most MaxChannels objects
// {"name", "format", "ssm_parameter" | "secret_id"}, names unique. "" is no channel. The error lists
// every bad item.
func ParseChannels(s string) ([]Channel, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var chans []Channel
	if err := dec.Decode(&chans); err != nil {
		return nil, fmt.Errorf(`not a JSON array of {"name", "format", "ssm_parameter" or "secret_id"} objects: %v`, err)
	}
	if err := dec.Decode(&json.RawMessage{}); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON array")
	}
	if chans == nil { // null
		return nil, errors.New(`is null: give a JSON array, [] for no channel`)
	}
	if len(chans) > MaxChannels {
		return nil, fmt.Errorf("%d channels: at most %d", len(chans), MaxChannels)
	}
	var errs []error
	seen := map[string]int{}
	for i, c := range chans {
		for _, msg := range channelProblems(c) {
			errs = append(errs, fmt.Errorf("channel %d (%q): %s", i+1, c.Name, msg))
		}
		if j, dup := seen[c.Name]; dup && c.Name != "" {
			errs = append(errs, fmt.Errorf("channel %d (%q): name already used by channel %d; names are unique", i+1, c.Name, j+1))
		} else {
			seen[c.Name] = i
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return chans, nil
}

// channelProblems lists what is wrong with one channel.
func channelProblems(c Channel) []string {
	var out []string
	if !ValidChannelName(c.Name) {
		out = append(out, fmt.Sprintf("name must be 1-%d lowercase letters, digits and hyphens, starting with a letter or digit (e.g. \"ops-slack\")", MaxChannelNameLength))
	}
	if !validFormat(c.Format) {
		out = append(out, fmt.Sprintf("format %q is not one of %s", c.Format, strings.Join(Formats(), ", ")))
	}
	switch {
	case c.SSMParameter == "" && c.SecretID == "":
		out = append(out, `needs "ssm_parameter" (e.g. "/webhealth/prod/ops-slack") or "secret_id" (e.g. "webhealth/prod/ops-slack")`)
	case c.SSMParameter != "" && c.SecretID != "":
		out = append(out, `has both "ssm_parameter" and "secret_id": give exactly one`)
	case c.SSMParameter != "":
		if msg := ssmParameterProblem(c.SSMParameter); msg != "" {
			out = append(out, msg)
		}
	default:
		if !ValidSecretID(c.SecretID) {
			out = append(out, fmt.Sprintf("secret_id must be a Secrets Manager secret name of 1-%d letters, digits and /_+=.@- or a secret's full ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>), e.g. \"webhealth/prod/ops-slack\"", MaxSecretIDLength))
		}
	}
	return out
}

func validFormat(f string) bool {
	for _, x := range Formats() {
		if f == x {
			return true
		}
	}
	return false
}

// ValidChannelName: 1-32 of [a-z0-9-], not starting with a hyphen.
func ValidChannelName(s string) bool {
	if s == "" || len(s) > MaxChannelNameLength || s[0] == '-' {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// ssmParameterProblem says what is wrong with an SSM parameter name ("" when it is fine): "/" then 1-15
// levels of [A-Za-z0-9_.-] separated by "/", at most 1011 characters, the first level not starting
// with "aws" or "ssm" in any case.
func ssmParameterProblem(s string) string {
	const rule = "ssm_parameter must be a hierarchical SSM parameter name: \"/\" then 1-%d levels of letters, digits and _.- separated by \"/\", at most %d characters, not under /aws or /ssm (e.g. \"/webhealth/prod/ops-slack\")"
	bad := fmt.Sprintf(rule, MaxSSMParameterLevels, MaxSSMParameterLength)
	if len(s) > MaxSSMParameterLength || !strings.HasPrefix(s, "/") {
		return bad
	}
	levels := strings.Split(s[1:], "/")
	if len(levels) > MaxSSMParameterLevels {
		return bad
	}
	for _, l := range levels {
		if l == "" {
			return bad
		}
		for i := range len(l) {
			if c := l[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
				return bad
			}
		}
	}
	if first := strings.ToLower(levels[0]); strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
		return bad
	}
	return ""
}

// secretARNPattern is a secret's full ARN; the name's length is checked apart (see crawler's patterns).
var secretARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:([A-Za-z0-9/_+=.@-]+)-[A-Za-z0-9]{6}$`)

// ValidSecretID: a Secrets Manager secret name, 1-512 of [A-Za-z0-9/_+=.@-], or a secret's full ARN.
func ValidSecretID(s string) bool {
	if strings.HasPrefix(s, "arn:") {
		m := secretARNPattern.FindStringSubmatch(s)
		return m != nil && len(m[1]) <= MaxSecretIDLength
	}
	return validSecretName(s)
}

func validSecretName(s string) bool {
	if s == "" || len(s) > MaxSecretIDLength {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !isAlnum(c) && !strings.ContainsRune("/_+=.@-", rune(c)) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
