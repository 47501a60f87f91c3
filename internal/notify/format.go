package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/target"
)

// PayloadVersion is the "version" of the generic json body; it changes only when a field changes
// meaning or goes away (new fields may appear in any version).
const PayloadVersion = 1

// timeFormat renders the body's times: RFC 3339, UTC, milliseconds (as the API's).
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// Body is the generic json webhook body (docs/design.md, "Notifications").
type Body struct {
	Version       int               `json:"version"`
	Event         string            `json:"event"`
	State         string            `json:"state"`
	PreviousState string            `json:"previous_state"`
	Kind          string            `json:"kind"`
	Summary       string            `json:"summary"`
	Target        *BodyTarget       `json:"target"`
	Reason        string            `json:"reason"`
	Description   string            `json:"description,omitempty"`
	ChangedAt     string            `json:"changed_at"`
	Since         *string           `json:"since"`
	Duration      *int64            `json:"duration_seconds,omitempty"`
	Region        string            `json:"region"`
	AlarmName     string            `json:"alarm_name"`
	AlarmURL      string            `json:"alarm_url"`
	LastCheck     *target.LastCheck `json:"last_check"`
	MessageID     string            `json:"message_id"`
	// Verdict is set for the verdict and degraded alarms (an environment of several regions).
	Verdict *BodyVerdict `json:"verdict,omitempty"`
}

// BodyVerdict is the environment's regions in a verdict or degraded notification.
type BodyVerdict struct {
	Regions     int  `json:"regions"`
	Quorum      int  `json:"quorum"`
	RegionsDown *int `json:"regions_down,omitempty"`
}

// BodyTarget names the target of a notification.
type BodyTarget struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// NewBody is the generic body of an event.
func NewBody(e Event) Body {
	b := Body{
		Version: PayloadVersion, Event: e.Event, State: e.State, PreviousState: e.PreviousState, Kind: e.Kind,
		Summary: e.Headline(), Reason: e.Reason, Description: e.Description,
		ChangedAt: e.ChangedAt.UTC().Format(timeFormat), Region: e.Region,
		AlarmName: e.AlarmName, AlarmURL: e.AlarmURL, LastCheck: e.LastCheck, MessageID: e.MessageID,
	}
	if e.Target != nil {
		b.Target = &BodyTarget{ID: e.Target.ID, Name: e.Target.Name, URL: e.Target.URL}
	}
	if v := e.Verdict; v != nil {
		b.Verdict = &BodyVerdict{Regions: v.Regions, Quorum: v.Quorum}
		if v.Down > 0 {
			down := v.Down
			b.Verdict.RegionsDown = &down
		}
	}
	switch {
	case !e.Recovery():
		since := e.ChangedAt.UTC().Format(timeFormat)
		b.Since = &since
	case !e.Since.IsZero() && !e.Since.After(e.ChangedAt):
		since := e.Since.UTC().Format(timeFormat)
		secs := int64(e.ChangedAt.Sub(e.Since).Seconds())
		b.Since, b.Duration = &since, &secs
	}
	return b
}

// render is the body posted to a channel of format for e; secret is the routing key of a pagerduty
// channel (unused by the others, whose secret is the URL).
func render(format string, e Event, secret string) ([]byte, error) {
	var v any
	switch format {
	case FormatJSON:
		v = NewBody(e)
	case FormatSlack:
		v = slackMessage(e)
	case FormatTeams:
		v = teamsMessage(e)
	case FormatPagerDuty:
		v = pagerDutyEvent(e, secret)
	default:
		return nil, fmt.Errorf("unknown format %q", format)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the receivers parse JSON; keep "<" and "&" readable
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", format, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// truncate cuts s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Slack: an incoming-webhook message, "text" for notifications and Block Kit blocks for the channel.
// Limits: header text 150 characters, section text 3000, button URL 3000.

type slackText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

type slackElement struct {
	Type  string     `json:"type"`
	Text  *slackText `json:"text,omitempty"`
	URL   string     `json:"url,omitempty"`
	Style string     `json:"style,omitempty"`
}

type slackBlock struct {
	Type     string         `json:"type"`
	Text     *slackText     `json:"text,omitempty"`
	Elements []slackElement `json:"elements,omitempty"`
}

type slackPayload struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// slackEscape escapes the three characters Slack's mrkdwn reads as control characters.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func slackMessage(e Event) slackPayload {
	var lines []string
	for _, f := range e.Facts() {
		v := slackEscape(truncate(f.Value, 1000))
		if f.Title == "Target" && e.Target != nil {
			link := strings.ReplaceAll(slackEscape(e.Target.URL), "|", "%7C")
			v = slackEscape(truncate(e.Target.Name, 200)) + " (<" + link + ">)"
		}
		lines = append(lines, "*"+f.Title+":* "+v)
	}
	style := "danger"
	if e.Recovery() {
		style = "primary"
	}
	return slackPayload{
		Text: slackEscape(e.Headline()),
		Blocks: []slackBlock{
			{Type: "header", Text: &slackText{Type: "plain_text", Text: truncate(emoji(e)+" "+e.Headline(), 150), Emoji: true}},
			{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate(strings.Join(lines, "\n"), 3000)}},
			{Type: "actions", Elements: []slackElement{{
				Type: "button", Text: &slackText{Type: "plain_text", Text: "Open the CloudWatch alarm"}, URL: e.AlarmURL, Style: style,
			}}},
		},
	}
}

func emoji(e Event) string {
	switch e.Event {
	case EventRecovered, EventOpsRecovered:
		return ":large_green_circle:"
	case EventSlow, EventCertificate, EventDegraded:
		return ":warning:"
	}
	return ":red_circle:"
}

// Teams: a message with one Adaptive Card, the form both Teams Workflows ("When a Teams webhook request
// is received") and the older incoming webhooks accept; Workflows do not render the legacy MessageCard.

type teamsMessagePayload struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string    `json:"contentType"`
	ContentURL  *string   `json:"contentUrl"`
	Content     teamsCard `json:"content"`
}

type teamsCard struct {
	Schema  string        `json:"$schema"`
	Type    string        `json:"type"`
	Version string        `json:"version"`
	Body    []teamsItem   `json:"body"`
	Actions []teamsAction `json:"actions"`
	MSTeams struct {
		Width string `json:"width"`
	} `json:"msteams"`
}

type teamsItem struct {
	Type   string      `json:"type"`
	Text   string      `json:"text,omitempty"`
	Weight string      `json:"weight,omitempty"`
	Size   string      `json:"size,omitempty"`
	Color  string      `json:"color,omitempty"`
	Wrap   bool        `json:"wrap,omitempty"`
	Facts  []teamsFact `json:"facts,omitempty"`
}

type teamsFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type teamsAction struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

func teamsMessage(e Event) teamsMessagePayload {
	color := "Attention"
	switch {
	case e.Recovery():
		color = "Good"
	case e.Warning():
		color = "Warning"
	}
	var facts []teamsFact
	for _, f := range e.Facts() {
		facts = append(facts, teamsFact{Title: f.Title, Value: truncate(f.Value, 1000)})
	}
	card := teamsCard{
		Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
		Type:    "AdaptiveCard",
		Version: "1.4",
		Body: []teamsItem{
			{Type: "TextBlock", Text: e.Headline(), Weight: "Bolder", Size: "Medium", Color: color, Wrap: true},
			{Type: "FactSet", Facts: facts},
		},
		Actions: []teamsAction{{Type: "Action.OpenUrl", Title: "Open the CloudWatch alarm", URL: e.AlarmURL}},
	}
	card.MSTeams.Width = "Full"
	return teamsMessagePayload{Type: "message", Attachments: []teamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive", Content: card,
	}}}
}

// PagerDuty: an Events API v2 event. An ALARM triggers and an OK resolves the incident whose dedup key
// is the alarm's name, stable per target and alarm.

type pdEvent struct {
	RoutingKey  string     `json:"routing_key"`
	EventAction string     `json:"event_action"`
	DedupKey    string     `json:"dedup_key"`
	Client      string     `json:"client,omitempty"`
	ClientURL   string     `json:"client_url,omitempty"`
	Payload     *pdPayload `json:"payload,omitempty"`
	Links       []pdLink   `json:"links,omitempty"`
}

type pdPayload struct {
	Summary       string `json:"summary"`
	Source        string `json:"source"`
	Severity      string `json:"severity"`
	Timestamp     string `json:"timestamp"`
	Component     string `json:"component,omitempty"`
	Group         string `json:"group"`
	Class         string `json:"class"`
	CustomDetails Body   `json:"custom_details"`
}

type pdLink struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// pagerDutySeverity: critical when a target is down (its availability alarm in one region, its verdict in
// several), warning when it is slow, degraded or its certificate expires, error for the stack's own alarms.
func pagerDutySeverity(e Event) string {
	switch e.Kind {
	case contract.AlarmKindAvailability, contract.AlarmKindVerdict:
		return "critical"
	case KindOps:
		return "error"
	}
	return "warning"
}

func pagerDutyEvent(e Event, routingKey string) pdEvent {
	if e.Recovery() {
		return pdEvent{RoutingKey: routingKey, EventAction: "resolve", DedupKey: e.AlarmName}
	}
	source, component := e.AlarmName, ""
	links := []pdLink{{Href: e.AlarmURL, Text: "CloudWatch alarm"}}
	if e.Target != nil {
		source, component = e.Target.URL, e.Target.Name
		links = append(links, pdLink{Href: e.Target.URL, Text: "Target"})
	}
	return pdEvent{
		RoutingKey: routingKey, EventAction: "trigger", DedupKey: e.AlarmName,
		Client: "webhealth", ClientURL: e.AlarmURL,
		Payload: &pdPayload{
			Summary: truncate(e.Headline(), 1024), Source: truncate(source, 255), Severity: pagerDutySeverity(e),
			Timestamp: e.ChangedAt.UTC().Format(timeFormat), Component: truncate(component, 255),
			Group: "webhealth", Class: e.Kind, CustomDetails: NewBody(e),
		},
		Links: links,
	}
}
