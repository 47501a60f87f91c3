package notify

// topic.go is the people topic (NOTIFY_TOPIC_ARN): the SNS topic that e-mail subscriptions and the AWS
// Chatbot Slack and Teams channels subscribe to. The notifier publishes one message per state change it
// tells, with MessageStructure json so each protocol gets its own form: e-mail a plain-text message
// under a short subject, Chatbot (and anything else: "default") a custom notification.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"golang.org/x/text/unicode/norm"
)

// TopicChannel is the people topic's name as a channel: its deliveries are "<MessageId>#_sns". It is no
// valid webhook name (those are [a-z0-9-]), so it never shares a delivery with one.
const TopicChannel = "_sns"

// Limits of the topic message.
const (
	// MaxSubjectLength: SNS takes a subject of less than 100 characters, without line breaks or control
	// characters; it is kept to printable ASCII, which every mail client shows.
	MaxSubjectLength = 99
	// Chatbot's title and description are kept short, well inside what Slack and Teams show unfolded.
	maxChatbotTitle       = 250
	maxChatbotDescription = 4000
)

// TopicPublisher publishes to the people topic (*sns.Client implements it).
type TopicPublisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// topicARNPattern is a standard (not FIFO) SNS topic's ARN: FIFO topics take no e-mail or Chatbot
// subscription.
var topicARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$`)

// ValidTopicARN reports whether s is a standard SNS topic's ARN.
func ValidTopicARN(s string) bool { return topicARNPattern.MatchString(s) }

// TopicMessage is the PublishInput of e to topicARN: a subject for e-mail and a MessageStructure json
// message with the e-mail text ("email") and the Chatbot custom notification ("default", "https").
func TopicMessage(topicARN string, e Event) (*sns.PublishInput, error) {
	chatbot, err := encodeJSON(chatbotNotification(e))
	if err != nil {
		return nil, fmt.Errorf("encode the chatbot notification: %w", err)
	}
	msg, err := encodeJSON(map[string]string{
		"default": string(chatbot),
		"https":   string(chatbot),
		"email":   EmailText(e),
	})
	if err != nil {
		return nil, fmt.Errorf("encode the topic message: %w", err)
	}
	return &sns.PublishInput{
		TopicArn:         aws.String(topicARN),
		Subject:          aws.String(EmailSubject(e)),
		Message:          aws.String(string(msg)),
		MessageStructure: aws.String("json"),
	}, nil
}

// eventLabel is what happened, as the headlines and subjects say it.
func eventLabel(event string) string {
	switch event {
	case EventCertificate:
		return "CERTIFICATE EXPIRES"
	case EventOpsAlarm:
		return "OPS ALARM"
	case EventOpsRecovered:
		return "OPS RECOVERED"
	}
	return event
}

// EmailSubject is the e-mail's subject: "DOWN: example.com (https://example.com/health)", "OPS ALARM:
// <alarm name>"; printable ASCII (accents dropped, other characters '?'), cut to MaxSubjectLength.
func EmailSubject(e Event) string {
	s := eventLabel(e.Event) + ": " + e.AlarmName
	if e.Target != nil {
		s = eventLabel(e.Event) + ": " + e.Target.Name + " (" + e.Target.URL + ")"
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r): // the accent of a decomposed letter
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case unicode.IsSpace(r) || unicode.IsControl(r):
			b.WriteByte(' ')
		default:
			b.WriteByte('?')
		}
	}
	s = b.String()
	if len(s) > MaxSubjectLength {
		s = s[:MaxSubjectLength-3] + "..."
	}
	return s
}

// EmailText is the e-mail's plain-text body: the headline, the facts aligned under each other, the
// alarm's console link and where the message comes from.
func EmailText(e Event) string {
	facts := e.Facts()
	width := 0
	for _, f := range facts {
		width = max(width, len(f.Title))
	}
	var b strings.Builder
	b.WriteString(e.Headline())
	b.WriteString("\n\n")
	for _, f := range facts {
		fmt.Fprintf(&b, "%-*s %s\n", width+1, f.Title+":", f.Value)
	}
	b.WriteString("\nThe alarm in the CloudWatch console:\n")
	b.WriteString(e.AlarmURL)
	b.WriteString("\n\n-- \nwebhealth, once per state change; message " + e.MessageID + "\n")
	return b.String()
}

// encodeJSON is v as compact JSON with "<", ">" and "&" as they are (as render does).
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// AWS Chatbot (Amazon Q Developer in chat applications) custom notification: version 1.0, source custom,
// content in the chat platform's markdown (client-markdown).

type chatbotPayload struct {
	Version  string          `json:"version"`
	Source   string          `json:"source"`
	ID       string          `json:"id"`
	Content  chatbotContent  `json:"content"`
	Metadata chatbotMetadata `json:"metadata"`
}

type chatbotContent struct {
	TextType    string   `json:"textType"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	NextSteps   []string `json:"nextSteps,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
}

type chatbotMetadata struct {
	// ThreadID groups an alarm's notifications (its DOWN and its RECOVERED) in one thread.
	ThreadID          string            `json:"threadId"`
	Summary           string            `json:"summary"`
	EventType         string            `json:"eventType"`
	RelatedResources  []string          `json:"relatedResources,omitempty"`
	AdditionalContext map[string]string `json:"additionalContext"`
}

// chatText keeps text from targets and alarms from being read as markup by the chat platform: Slack
// reads "<...>" as a link or mention (<!channel>, <https://...|text>), so "<" becomes the look-alike
// "‹" (whether Chatbot escapes for Slack itself is not documented; an entity would show as "&lt;" in Teams).
func chatText(s string) string { return strings.ReplaceAll(s, "<", "‹") }

// chatbotEmoji: Unicode, which Slack and Teams both show (Slack's :codes: are text in Teams).
func chatbotEmoji(e Event) string {
	switch e.Event {
	case EventRecovered, EventOpsRecovered:
		return "🟢"
	case EventSlow, EventCertificate, EventDegraded:
		return "⚠️"
	}
	return "🔴"
}

func chatbotNotification(e Event) chatbotPayload {
	var lines []string
	for _, f := range e.Facts() {
		lines = append(lines, "*"+f.Title+":* "+chatText(truncate(f.Value, 1000)))
	}
	ctx := map[string]string{
		"event": e.Event, "state": e.State, "previous_state": e.PreviousState, "kind": e.Kind,
		"alarm_name": e.AlarmName, "changed_at": e.ChangedAt.UTC().Format(timeFormat), "region": e.Region,
		"message_id": e.MessageID,
	}
	keywords := []string{e.Event, e.Kind, e.Region}
	var related []string
	if e.Target != nil {
		ctx["target_id"], ctx["target_url"] = e.Target.ID, e.Target.URL
		related = []string{e.Target.URL}
	}
	return chatbotPayload{
		Version: "1.0",
		Source:  "custom",
		ID:      e.MessageID,
		Content: chatbotContent{
			TextType:    "client-markdown",
			Title:       truncate(chatbotEmoji(e)+" "+chatText(e.Headline()), maxChatbotTitle),
			Description: truncate(strings.Join(lines, "\n"), maxChatbotDescription),
			NextSteps:   []string{"Open the CloudWatch alarm: " + e.AlarmURL},
			Keywords:    keywords,
		},
		Metadata: chatbotMetadata{
			ThreadID: e.AlarmName, Summary: chatText(e.Headline()), EventType: e.Event,
			RelatedResources: related, AdditionalContext: ctx,
		},
	}
}
