package notify_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/notify"
	"github.com/webhealth/webhealth/internal/verdict"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func baseEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"URLS_TABLE": "wh-urls", "ALARMS_TABLE": "wh-alarms", "DELIVERIES_TABLE": "wh-deliveries",
		"ALARM_PREFIX": "wh-target", "AWS_REGION": "eu-west-1",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	base := notify.Config{
		URLsTable: "wh-urls", AlarmsTable: "wh-alarms", DeliveriesTable: "wh-deliveries", AlarmPrefix: "wh-target",
		ConsoleURL: "https://console.aws.amazon.com", PagerDutyEventsURL: "https://events.pagerduty.com/v2/enqueue", Region: "eu-west-1",
		Regions: verdict.Single("eu-west-1"),
	}
	with := func(edit func(*notify.Config)) notify.Config { c := base; edit(&c); return c }
	tests := []struct {
		name    string
		env     map[string]string
		want    notify.Config
		wantErr []string
	}{
		{name: "defaults: no channel", env: baseEnv(nil), want: base},
		{name: "every setting", env: baseEnv(map[string]string{
			"NOTIFY_CHANNELS":       `[{"name":"ops-slack","format":"slack","ssm_parameter":"/webhealth/prod/ops-slack"},{"name":"pd","format":"pagerduty","secret_id":"webhealth/prod/pd"}]`,
			"ALLOW_PRIVATE_TARGETS": "true", "CONSOLE_URL": "https://console.amazonaws.cn/", "PAGERDUTY_EVENTS_URL": "http://127.0.0.1:4568/pagerduty",
		}), want: with(func(c *notify.Config) {
			c.Channels = []notify.Channel{
				{Name: "ops-slack", Format: "slack", SSMParameter: "/webhealth/prod/ops-slack"},
				{Name: "pd", Format: "pagerduty", SecretID: "webhealth/prod/pd"},
			}
			c.AllowPrivateTargets, c.ConsoleURL, c.PagerDutyEventsURL = true, "https://console.amazonaws.cn", "http://127.0.0.1:4568/pagerduty"
		})},
		{name: "several regions, degraded told", env: baseEnv(map[string]string{
			"REGIONS": "us-east-1,eu-west-1,ap-southeast-1", "QUORUM": "2", "NOTIFY_DEGRADED": "true",
		}), want: with(func(c *notify.Config) {
			c.Regions = verdict.Settings{Region: "eu-west-1", Home: "us-east-1", Rule: verdict.Rule{
				Regions: []string{"us-east-1", "eu-west-1", "ap-southeast-1"}, Quorum: 2, StaleAfter: verdict.DefaultStaleAfter}}
			c.NotifyDegraded = true
		})},
		{name: "NOTIFY_DEGRADED not a boolean", env: baseEnv(map[string]string{"NOTIFY_DEGRADED": "sometimes"}),
			wantErr: []string{`NOTIFY_DEGRADED: "sometimes" is not a boolean`}},
		{name: "REGIONS without this region", env: baseEnv(map[string]string{"REGIONS": "us-east-1,ap-southeast-1"}),
			wantErr: []string{`REGIONS: "us-east-1,ap-southeast-1" does not contain the function's own region "eu-west-1"`}},
		{name: "empty channel list", env: baseEnv(map[string]string{"NOTIFY_CHANNELS": " [] "}), want: with(func(c *notify.Config) { c.Channels = []notify.Channel{} })},
		{name: "everything missing or bad at once", env: map[string]string{
			"NOTIFY_CHANNELS": "{", "NOTIFY_TOPIC_ARN": "people", "CONSOLE_URL": "ftp://x", "PAGERDUTY_EVENTS_URL": "http://events.pagerduty.com/v2/enqueue", "ALLOW_PRIVATE_TARGETS": "yes",
		}, wantErr: []string{
			"URLS_TABLE: is required", "ALARMS_TABLE: is required", "DELIVERIES_TABLE: is required", "ALARM_PREFIX: is required", "AWS_REGION: is required",
			`ALLOW_PRIVATE_TARGETS: "yes" is not a boolean`, "NOTIFY_CHANNELS: not a JSON array", `NOTIFY_TOPIC_ARN: "people" is not the ARN`,
			`CONSOLE_URL: "ftp://x" is not an absolute https URL`, `PAGERDUTY_EVENTS_URL: "http://events.pagerduty.com/v2/enqueue" is not an absolute https URL`,
		}},
		{name: "people topic", env: baseEnv(map[string]string{"NOTIFY_TOPIC_ARN": " arn:aws:sns:eu-west-1:123456789012:webhealth-web-prod-eu-west-1-notifications "}),
			want: with(func(c *notify.Config) {
				c.NotifyTopicARN = "arn:aws:sns:eu-west-1:123456789012:webhealth-web-prod-eu-west-1-notifications"
			})},
		{name: "people topic in another partition", env: baseEnv(map[string]string{"NOTIFY_TOPIC_ARN": "arn:aws-cn:sns:cn-north-1:123456789012:wh_people"}),
			want: with(func(c *notify.Config) { c.NotifyTopicARN = "arn:aws-cn:sns:cn-north-1:123456789012:wh_people" })},
		{name: "people topic empty is none", env: baseEnv(map[string]string{"NOTIFY_TOPIC_ARN": ""}), want: base},
		{name: "people topic not an ARN", env: baseEnv(map[string]string{"NOTIFY_TOPIC_ARN": "webhealth-notifications"}),
			wantErr: []string{`NOTIFY_TOPIC_ARN: "webhealth-notifications" is not the ARN of a standard SNS topic`}},
		{name: "people topic a FIFO topic", env: baseEnv(map[string]string{"NOTIFY_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:people.fifo"}),
			wantErr: []string{"NOTIFY_TOPIC_ARN: "}},
		{name: "people topic of another service", env: baseEnv(map[string]string{"NOTIFY_TOPIC_ARN": "arn:aws:sqs:eu-west-1:123456789012:people"}),
			wantErr: []string{"NOTIFY_TOPIC_ARN: "}},
		{name: "people topic with a short account", env: baseEnv(map[string]string{"NOTIFY_TOPIC_ARN": "arn:aws:sns:eu-west-1:1234:people"}),
			wantErr: []string{"NOTIFY_TOPIC_ARN: "}},
		{name: "console URL with a query", env: baseEnv(map[string]string{"CONSOLE_URL": "https://console.aws.amazon.com/?x=1"}), wantErr: []string{"CONSOLE_URL"}},
		{name: "console URL with user info", env: baseEnv(map[string]string{"CONSOLE_URL": "https://a:b@console.aws.amazon.com"}), wantErr: []string{"CONSOLE_URL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := notify.LoadConfig(lookup(tc.env))
			if len(tc.wantErr) > 0 {
				require.Error(t, err)
				for _, w := range tc.wantErr {
					assert.Contains(t, err.Error(), "environment variable "+w)
				}
				assert.Len(t, strings.Split(err.Error(), "\n"), len(tc.wantErr), "one line per problem: %s", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseChannels(t *testing.T) {
	t.Parallel()
	item := func(name, format, key, value string) string {
		return fmt.Sprintf(`{"name":%q,"format":%q,%q:%q}`, name, format, key, value)
	}
	ok := item("ops-slack", "slack", "ssm_parameter", "/webhealth/prod/ops-slack")
	tests := []struct {
		name    string
		in      string
		want    []notify.Channel
		wantErr []string // each a problem the error names; one line each
	}{
		{name: "absent", in: "", want: nil},
		{name: "every format", in: "[" + strings.Join([]string{
			item("a", "json", "ssm_parameter", "/a"), item("b-2", "slack", "secret_id", "webhealth/prod/b+=.@_-"),
			item("c", "teams", "ssm_parameter", "/x.y/z_w-1"), item("0pd", "pagerduty", "secret_id", "pd"),
		}, ",") + "]", want: []notify.Channel{
			{Name: "a", Format: "json", SSMParameter: "/a"}, {Name: "b-2", Format: "slack", SecretID: "webhealth/prod/b+=.@_-"},
			{Name: "c", Format: "teams", SSMParameter: "/x.y/z_w-1"}, {Name: "0pd", Format: "pagerduty", SecretID: "pd"},
		}},
		{name: "longest name", in: "[" + item(strings.Repeat("a", 32), "json", "secret_id", "s") + "]",
			want: []notify.Channel{{Name: strings.Repeat("a", 32), Format: "json", SecretID: "s"}}},
		{name: "not JSON", in: "ops-slack", wantErr: []string{"not a JSON array"}},
		{name: "an object, not an array", in: ok, wantErr: []string{"not a JSON array"}},
		{name: "null", in: "null", wantErr: []string{"is null"}},
		{name: "trailing data", in: "[" + ok + "] []", wantErr: []string{"unexpected data after the JSON array"}},
		{name: "unknown field (a URL given in place of its parameter)", in: `[{"name":"a","format":"json","url":"https://hooks.slack.com/x"}]`, wantErr: []string{`unknown field "url"`}},
		{name: "too many", in: "[" + strings.TrimSuffix(strings.Repeat(item("a", "json", "secret_id", "s")+",", 21), ",") + "]", wantErr: []string{"21 channels: at most 20"}},
		{name: "bad name, format and both sources", in: `[{"name":"Ops Slack","format":"email","ssm_parameter":"/a","secret_id":"b"}]`, wantErr: []string{
			`channel 1 ("Ops Slack"): name must be 1-32 lowercase letters`, `channel 1 ("Ops Slack"): format "email" is not one of json, slack, teams, pagerduty`,
			`channel 1 ("Ops Slack"): has both "ssm_parameter" and "secret_id"`,
		}},
		{name: "no source", in: `[{"name":"a","format":"json"}]`, wantErr: []string{`channel 1 ("a"): needs "ssm_parameter"`}},
		{name: "duplicate names", in: "[" + ok + "," + ok + "]", wantErr: []string{`channel 2 ("ops-slack"): name already used by channel 1`}},
		{name: "name too long", in: "[" + item(strings.Repeat("a", 33), "json", "secret_id", "s") + "]", wantErr: []string{"name must be"}},
		{name: "name starts with a hyphen", in: "[" + item("-a", "json", "secret_id", "s") + "]", wantErr: []string{"name must be"}},
		{name: "empty name", in: "[" + item("", "json", "secret_id", "s") + "]", wantErr: []string{"name must be"}},
		{name: "parameter without a leading slash", in: "[" + item("a", "json", "ssm_parameter", "webhealth/prod/x") + "]", wantErr: []string{"ssm_parameter must be a hierarchical SSM parameter name"}},
		{name: "parameter with an empty level", in: "[" + item("a", "json", "ssm_parameter", "/webhealth//x") + "]", wantErr: []string{"ssm_parameter must be"}},
		{name: "parameter ending in a slash", in: "[" + item("a", "json", "ssm_parameter", "/webhealth/") + "]", wantErr: []string{"ssm_parameter must be"}},
		{name: "parameter under /aws", in: "[" + item("a", "json", "ssm_parameter", "/aws/reference/x") + "]", wantErr: []string{"ssm_parameter must be"}},
		{name: "parameter under /SSM", in: "[" + item("a", "json", "ssm_parameter", "/SSMthing/x") + "]", wantErr: []string{"ssm_parameter must be"}},
		{name: "parameter with a space", in: "[" + item("a", "json", "ssm_parameter", "/a b") + "]", wantErr: []string{"ssm_parameter must be"}},
		{name: "parameter of 16 levels", in: "[" + item("a", "json", "ssm_parameter", strings.Repeat("/l", 16)) + "]", wantErr: []string{"ssm_parameter must be"}},
		{name: "parameter too long", in: "[" + item("a", "json", "ssm_parameter", "/"+strings.Repeat("p", 1011)) + "]", wantErr: []string{"ssm_parameter must be"}},
		{name: "secret given by its ARN", in: "[" + item("a", "json", "secret_id", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhealth/x-AbCdEf") + "]",
			want: []notify.Channel{{Name: "a", Format: "json", SecretID: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhealth/x-AbCdEf"}}},
		{name: "secret ARN without its suffix", in: "[" + item("a", "json", "secret_id", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x") + "]", wantErr: []string{"secret_id must be a Secrets Manager secret name"}},
		{name: "an ARN of another service", in: "[" + item("a", "json", "secret_id", "arn:aws:ssm:eu-west-1:123456789012:parameter/x-AbCdEf") + "]", wantErr: []string{"secret_id must be"}},
		{name: "secret too long", in: "[" + item("a", "json", "secret_id", strings.Repeat("s", 513)) + "]", wantErr: []string{"secret_id must be"}},
		{name: "every bad item is named", in: "[" + item("a", "json", "secret_id", "s") + "," + item("B", "json", "secret_id", "s") + "," + item("c", "xml", "secret_id", "s") + "]",
			wantErr: []string{`channel 2 ("B"): name`, `channel 3 ("c"): format "xml"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := notify.ParseChannels(tc.in)
			if len(tc.wantErr) > 0 {
				require.Error(t, err)
				for _, w := range tc.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				assert.Len(t, strings.Split(err.Error(), "\n"), len(tc.wantErr), "one line per problem: %s", err)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// FuzzParseChannels: whatever NOTIFY_CHANNELS holds, the parser either refuses it or returns channels
// that keep every rule, and they encode back to a list it accepts as the same.
func FuzzParseChannels(f *testing.F) {
	f.Add(`[{"name":"ops-slack","format":"slack","ssm_parameter":"/webhealth/prod/ops-slack"}]`)
	f.Add(`[{"name":"pd","format":"pagerduty","secret_id":"webhealth/prod/pd"},{"name":"j","format":"json","ssm_parameter":"/j"}]`)
	f.Add(`[{"name":"a","format":"json","ssm_parameter":"/a","secret_id":"b"}]`)
	f.Add(`[]`)
	f.Add(`null`)
	f.Add(`[{"name":"a","format":"json","secret_id":"s"}] x`)
	f.Fuzz(func(t *testing.T, in string) {
		chans, err := notify.ParseChannels(in)
		if err != nil {
			assert.Nil(t, chans)
			return
		}
		assert.LessOrEqual(t, len(chans), notify.MaxChannels)
		names := map[string]bool{}
		for _, c := range chans {
			assert.True(t, notify.ValidChannelName(c.Name), "name %q", c.Name)
			assert.False(t, names[c.Name], "duplicate %q", c.Name)
			names[c.Name] = true
			assert.Contains(t, notify.Formats(), c.Format)
			assert.True(t, (c.SSMParameter == "") != (c.SecretID == ""), "exactly one source: %+v", c)
			if c.SSMParameter != "" {
				assert.True(t, strings.HasPrefix(c.SSMParameter, "/"), c.SSMParameter)
				assert.LessOrEqual(t, len(c.SSMParameter), notify.MaxSSMParameterLength)
			} else {
				assert.True(t, notify.ValidSecretID(c.SecretID), c.SecretID)
			}
		}
		if chans == nil {
			return
		}
		b, err := json.Marshal(chans)
		require.NoError(t, err)
		again, err := notify.ParseChannels(string(b))
		require.NoError(t, err)
		assert.Equal(t, chans, again)
	})
}
