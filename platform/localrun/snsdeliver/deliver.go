// Package snsdeliver delivers a message published to an SNS topic in the emulator to the topic's
// subscriptions the emulator cannot serve itself: Lambda functions (an asynchronous invocation
// with SNS's event) and SQS queues (SNS's JSON envelope, or the raw message). The last messages
// published are kept, so one can be delivered again with the same MessageId, as SNS redelivers.
package snsdeliver

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/webhealth/webhealth/platform/localrun/internal/ids"
	"github.com/webhealth/webhealth/platform/localrun/lambdarun"
)

// SNSAPI reads a topic's subscriptions from the emulator.
type SNSAPI interface {
	ListSubscriptionsByTopic(ctx context.Context, in *sns.ListSubscriptionsByTopicInput, opts ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
	GetSubscriptionAttributes(ctx context.Context, in *sns.GetSubscriptionAttributesInput, opts ...func(*sns.Options)) (*sns.GetSubscriptionAttributesOutput, error)
}

// SQSAPI sends to SQS subscriptions.
type SQSAPI interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// AsyncInvoker invokes functions asynchronously (SNS invokes Lambda with InvocationType Event).
type AsyncInvoker interface {
	InvokeAsync(ctx context.Context, target string, payload []byte) (*lambdarun.AsyncInvocation, error)
}

// Delivery is the outcome for one subscription.
type Delivery struct {
	SubscriptionARN string `json:"subscription_arn"`
	Protocol        string `json:"protocol"`
	Endpoint        string `json:"endpoint"`
	MessageID       string `json:"message_id"`
	RequestID       string `json:"request_id,omitempty"` // the Lambda invocation
	Error           string `json:"error,omitempty"`

	invocation *lambdarun.AsyncInvocation
}

// Invocation is the Lambda invocation of a lambda delivery (nil otherwise), to wait on it.
func (d Delivery) Invocation() *lambdarun.AsyncInvocation { return d.invocation }

// KeptMessages is how many of the last published messages can be redelivered.
const KeptMessages = 1000

// ErrUnknownMessage means a message to redeliver is not among the kept ones.
var ErrUnknownMessage = errors.New("no message with that id was published by this runtime (or it is no longer kept)")

// Deliverer publishes to topics.
type Deliverer struct {
	sns     SNSAPI
	sqs     SQSAPI
	invoker AsyncInvoker
	region  string
	log     *slog.Logger
	now     func() time.Time

	mu     sync.Mutex
	kept   map[string]Message // by MessageId
	order  []string           // MessageIds, oldest first
	keepAt int                // how many are kept (KeptMessages; tests lower it)
}

// New returns a deliverer.
func New(snsAPI SNSAPI, sqsAPI SQSAPI, invoker AsyncInvoker, region string, log *slog.Logger) *Deliverer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Deliverer{sns: snsAPI, sqs: sqsAPI, invoker: invoker, region: region, log: log, now: time.Now,
		kept: map[string]Message{}, keepAt: KeptMessages}
}

// Record is one SNS record of the event Lambda receives from SNS.
type Record struct {
	EventVersion         string  `json:"EventVersion"`
	EventSubscriptionArn string  `json:"EventSubscriptionArn"`
	EventSource          string  `json:"EventSource"`
	Sns                  Message `json:"Sns"`
}

// Message is SNS's notification (the Sns part of a Lambda record; SQS gets the same fields with
// SigningCertURL / UnsubscribeURL spelled in capitals, see envelope).
type Message struct {
	Type              string         `json:"Type"`
	MessageID         string         `json:"MessageId"`
	TopicArn          string         `json:"TopicArn"`
	Subject           *string        `json:"Subject"`
	Message           string         `json:"Message"`
	Timestamp         string         `json:"Timestamp"`
	SignatureVersion  string         `json:"SignatureVersion"`
	Signature         string         `json:"Signature"`
	SigningCertURL    string         `json:"SigningCertUrl"`
	UnsubscribeURL    string         `json:"UnsubscribeUrl"`
	MessageAttributes map[string]any `json:"MessageAttributes"`
}

type subscription struct{ arn, protocol, endpoint string }

func (d *Deliverer) subscriptions(ctx context.Context, topicARN string) ([]subscription, error) {
	var subs []subscription
	var token *string
	for {
		out, err := d.sns.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("subscriptions of %s: %w", topicARN, err)
		}
		for _, s := range out.Subscriptions {
			subs = append(subs, subscription{aws.ToString(s.SubscriptionArn), aws.ToString(s.Protocol), aws.ToString(s.Endpoint)})
		}
		if token = out.NextToken; token == nil {
			return subs, nil
		}
	}
}

// Publish delivers subject/message to every subscription of topicARN. Lambda deliveries are
// asynchronous invocations; their Invocation can be waited on.
func (d *Deliverer) Publish(ctx context.Context, topicARN, subject, message string) ([]Delivery, error) {
	subs, err := d.subscriptions(ctx, topicARN)
	if err != nil {
		return nil, err
	}
	msg := Message{
		Type:              "Notification",
		MessageID:         ids.UUID(),
		TopicArn:          topicARN,
		Message:           message,
		Timestamp:         d.now().UTC().Format("2006-01-02T15:04:05.000Z"),
		SignatureVersion:  "1",
		Signature:         signature(),
		SigningCertURL:    fmt.Sprintf("https://sns.%s.amazonaws.com/SimpleNotificationService-%s.pem", d.region, ids.Hex(16)),
		MessageAttributes: map[string]any{},
	}
	if subject != "" {
		msg.Subject = aws.String(subject)
	}
	d.keep(msg)
	return d.deliverAll(ctx, subs, msg), nil
}

// Redeliver delivers a message published earlier again, unchanged (its MessageId, Timestamp, Subject
// and body), to the current subscriptions of its topic: what SNS does when it retries a delivery.
// It returns the topic with the deliveries.
func (d *Deliverer) Redeliver(ctx context.Context, messageID string) (string, []Delivery, error) {
	d.mu.Lock()
	msg, ok := d.kept[messageID]
	d.mu.Unlock()
	if !ok {
		return "", nil, fmt.Errorf("message %q: %w", messageID, ErrUnknownMessage)
	}
	subs, err := d.subscriptions(ctx, msg.TopicArn)
	if err != nil {
		return msg.TopicArn, nil, err
	}
	d.log.InfoContext(ctx, "SNS redelivery", "topic", msg.TopicArn, "message_id", messageID)
	return msg.TopicArn, d.deliverAll(ctx, subs, msg), nil
}

// keep records msg for Redeliver, forgetting the oldest beyond keepAt.
func (d *Deliverer) keep(msg Message) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.kept[msg.MessageID] = msg
	d.order = append(d.order, msg.MessageID)
	for len(d.order) > d.keepAt {
		delete(d.kept, d.order[0])
		d.order = d.order[1:]
	}
}

func (d *Deliverer) deliverAll(ctx context.Context, subs []subscription, msg Message) []Delivery {
	topicARN := msg.TopicArn
	var out []Delivery
	for _, s := range subs {
		if s.arn == "" || s.arn == "PendingConfirmation" {
			continue
		}
		m := msg
		m.UnsubscribeURL = fmt.Sprintf("https://sns.%s.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=%s", d.region, url.QueryEscape(s.arn))
		del := Delivery{SubscriptionARN: s.arn, Protocol: s.protocol, Endpoint: s.endpoint, MessageID: m.MessageID}
		if err := d.deliver(ctx, s.protocol, s.endpoint, s.arn, m, &del); err != nil {
			del.Error = err.Error()
			d.log.WarnContext(ctx, "SNS delivery failed", "topic", topicARN, "subscription", s.arn, "protocol", s.protocol, "err", err)
		}
		out = append(out, del)
	}
	return out
}

func (d *Deliverer) deliver(ctx context.Context, protocol, endpoint, subARN string, m Message, del *Delivery) error {
	switch protocol {
	case "lambda":
		payload, err := json.Marshal(map[string]any{"Records": []Record{{EventVersion: "1.0", EventSubscriptionArn: subARN, EventSource: "aws:sns", Sns: m}}})
		if err != nil {
			return err
		}
		a, err := d.invoker.InvokeAsync(ctx, endpoint, payload)
		if err != nil {
			return err
		}
		del.RequestID, del.invocation = a.RequestID, a
		return nil
	case "sqs":
		body, err := d.sqsBody(ctx, subARN, m)
		if err != nil {
			return err
		}
		parts := strings.Split(endpoint, ":")
		if len(parts) != 6 {
			return fmt.Errorf("endpoint %q is not a queue ARN", endpoint)
		}
		q, err := d.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(parts[5]), QueueOwnerAWSAccountId: aws.String(parts[4])})
		if err != nil {
			return fmt.Errorf("queue %s: %w", endpoint, err)
		}
		_, err = d.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)})
		return err
	default:
		return fmt.Errorf("protocol %s is not emulated (only lambda and sqs)", protocol)
	}
}

// sqsBody is the raw message when the subscription asks for raw delivery, else SNS's envelope.
func (d *Deliverer) sqsBody(ctx context.Context, subARN string, m Message) (string, error) {
	attrs, err := d.sns.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN)})
	if err == nil && strings.EqualFold(attrs.Attributes["RawMessageDelivery"], "true") {
		return m.Message, nil
	}
	env := map[string]any{
		"Type": m.Type, "MessageId": m.MessageID, "TopicArn": m.TopicArn, "Message": m.Message, "Timestamp": m.Timestamp,
		"SignatureVersion": m.SignatureVersion, "Signature": m.Signature, "SigningCertURL": m.SigningCertURL, "UnsubscribeURL": m.UnsubscribeURL,
	}
	if m.Subject != nil {
		env["Subject"] = *m.Subject
	}
	b, err := json.Marshal(env)
	return string(b), err
}

// signature is shaped like SNS's (base64 of an RSA signature); the emulator cannot sign.
func signature() string {
	b := make([]byte, 256)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
