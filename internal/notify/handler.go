// Package notify tells people about alarms: the notifier function, subscribed to the alarm topic and the
// ops topic, turns each CloudWatch alarm state change worth telling (a target DOWN, SLOW, its
// certificate expiring, RECOVERED; an ops alarm and its recovery) into one message per channel —
// the generic json body, Slack, Teams or PagerDuty — with the target's last check from the URL table,
// and into one message on the people topic, which e-mail and AWS Chatbot subscribe to. It is the one
// place that decides who is told: nobody else subscribes people to the alarm topics.
//
// SNS delivers at least once and Lambda retries a failed event, so each (message, channel) is claimed
// in the deliveries table before it is posted and marked once the channel has accepted it: a
// redelivery posts nothing twice and a retry posts only to the channels still owed. Channels are
// independent: one failing does not hold up the others.
package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/webhealth/webhealth/internal/alarmevent"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

// Targets reads a target (*store.Targets implements it); a missing one is store.ErrNotFound.
type Targets interface {
	Get(ctx context.Context, id string) (target.Target, error)
}

// History reads a target's alarm history, newest first (*store.Alarms implements it).
type History interface {
	History(ctx context.Context, targetID string, limit int, token string) (store.AlarmPage, error)
}

// Deliveries records each notification per channel (*store.Deliveries implements it); see its errors.
type Deliveries interface {
	Claim(ctx context.Context, messageID, channel string, lease time.Duration) (store.Claim, error)
	Complete(ctx context.Context, c store.Claim) error
	Reject(ctx context.Context, c store.Claim, detail string) error
	Release(ctx context.Context, c store.Claim) error
}

// SecretReader returns a channel's secret: its webhook URL, or a pagerduty channel's routing key
// (*Secrets implements it).
type SecretReader interface {
	Value(ctx context.Context, ch Channel) (string, error)
}

// WebhookPoster posts a JSON body (*Poster implements it): nil on a 2xx, a *StatusError for another
// answer, an error wrapping ErrRefused when the URL or address is refused.
type WebhookPoster interface {
	Post(ctx context.Context, endpoint string, body []byte) (attempts int, err error)
}

// Tuning of the handler.
const (
	// settleReserve is kept from the invocation's deadline for recording the outcomes.
	settleReserve = 1500 * time.Millisecond
	// leaseMargin is added to the remaining invocation time for a claim's lease: a claim of an
	// invocation that died is free once its deadline has passed.
	leaseMargin  = 5 * time.Second
	defaultLease = 5 * time.Minute
	// historyPages bounds the reading of a target's history for a recovery's start.
	historyPages = 5
)

// Handler notifies the channels of the alarm notifications in an SNS event.
type Handler struct {
	cfg        Config
	route      Routing
	channels   []Channel
	topic      TopicPublisher // nil: no people topic
	parser     *alarmevent.Parser
	targets    Targets
	history    History
	deliveries Deliveries
	secrets    SecretReader
	poster     WebhookPoster
	now        func() time.Time
	log        *slog.Logger
}

// Option adjusts a Handler.
type Option func(*Handler)

// WithClock replaces time.Now (whether a target is muted now, for the logs).
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithLogger replaces slog.Default().
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// New returns a handler for the channels of cfg. topic publishes to cfg.NotifyTopicARN; it is not used
// (and may be nil) when that is "".
func New(cfg Config, targets Targets, history History, deliveries Deliveries, secrets SecretReader, poster WebhookPoster, topic TopicPublisher, opts ...Option) *Handler {
	h := &Handler{
		cfg: cfg, route: cfg.Routing(), channels: cfg.Channels, parser: alarmevent.NewParser(cfg.AlarmPrefix),
		targets: targets, history: history, deliveries: deliveries, secrets: secrets, poster: poster,
		now: time.Now, log: slog.Default(),
	}
	if cfg.NotifyTopicARN != "" {
		h.topic = topic
		if topic == nil {
			h.topic = missingPublisher{}
		}
	}
	for _, o := range opts {
		o(h)
	}
	return h
}

// missingPublisher stands in for a people topic configured without a client: every publish fails, so
// the owed messages end in the failure queue rather than being dropped.
type missingPublisher struct{}

func (missingPublisher) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return nil, errors.New("the people topic is configured but the notifier has no SNS client")
}

// Handle notifies every record's state change. It returns an error when a channel is still owed a
// notification (Lambda then retries the event, and the retry posts only to the channels owed) or
// a record could not be read into an event.
func (h *Handler) Handle(ctx context.Context, ev events.SNSEvent) error {
	var errs []error
	for i := range ev.Records {
		if err := h.handle(ctx, ev.Records[i].SNS); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h *Handler) handle(ctx context.Context, msg events.SNSEntity) error {
	msgID := messageKey(msg)
	log := h.log.With(slog.String("message_id", msgID), slog.String("topic_arn", msg.TopicArn))
	e, ok, err := h.event(ctx, msg.Message, msgID, log)
	if err != nil {
		log.ErrorContext(ctx, "notification not sent: reading the event failed", slog.Any("error", err))
		return fmt.Errorf("message %s: %w", msgID, err)
	}
	if !ok {
		return nil
	}
	log = log.With(slog.String("event", e.Event), slog.String("alarm_name", e.AlarmName), slog.String("alarm_kind", e.Kind))
	if e.Target != nil {
		log = log.With(slog.String("target_id", e.Target.ID))
	}
	sinks := h.sinks()
	if len(sinks) == 0 {
		log.InfoContext(ctx, "no notification channel is configured: nobody is notified")
		return nil
	}

	postCtx, cancel := ctx, context.CancelFunc(func() {})
	if dl, ok := ctx.Deadline(); ok {
		postCtx, cancel = context.WithDeadline(ctx, dl.Add(-settleReserve))
	}
	defer cancel()
	errs := make([]error, len(sinks))
	var wg sync.WaitGroup
	for i, s := range sinks {
		wg.Go(func() { errs[i] = h.deliver(ctx, postCtx, s, e, log.With(slog.String("channel", s.name))) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("message %s: %w", msgID, err)
	}
	return nil
}

// sink is where a notification goes: a webhook channel or the people topic, each delivered once per
// message through the deliveries table under its name.
type sink struct {
	name string
	send func(ctx context.Context, e Event) (attempts int, err error)
}

// sinks are the webhooks, then the people topic when there is one.
func (h *Handler) sinks() []sink {
	out := make([]sink, 0, len(h.channels)+1)
	for _, ch := range h.channels {
		out = append(out, sink{name: ch.Name, send: func(ctx context.Context, e Event) (int, error) { return h.post(ctx, ch, e) }})
	}
	if h.topic != nil {
		out = append(out, sink{name: TopicChannel, send: h.publish})
	}
	return out
}

// deliver sends e to one sink unless it was delivered (or rejected) already or is being delivered by
// another invocation. ctx bounds the bookkeeping, postCtx the sending.
func (h *Handler) deliver(ctx, postCtx context.Context, s sink, e Event, log *slog.Logger) error {
	claim, err := h.deliveries.Claim(ctx, e.MessageID, s.name, h.lease(ctx))
	switch {
	case errors.Is(err, store.ErrDelivered):
		log.InfoContext(ctx, "duplicate delivery: already notified on this channel")
		return nil
	case errors.Is(err, store.ErrClaimed):
		log.InfoContext(ctx, "duplicate delivery: another invocation is notifying this channel")
		return nil
	case errors.Is(err, store.ErrRejected):
		log.ErrorContext(ctx, "notification rejected by the channel earlier: not posted again", slog.Any("error", err))
		return fmt.Errorf("channel %s: %w", s.name, err)
	case err != nil:
		log.ErrorContext(ctx, "notification not sent: claiming the delivery failed", slog.Any("error", err))
		return fmt.Errorf("channel %s: %w", s.name, err)
	}

	start := time.Now()
	attempts, err := s.send(postCtx, e)
	log = log.With(slog.Int("attempts", attempts), slog.Duration("took", time.Since(start)))
	var se *StatusError
	switch {
	case err == nil:
		if cerr := h.deliveries.Complete(ctx, claim); cerr != nil {
			// Delivered: failing the invocation would post it again.
			log.WarnContext(ctx, "notification sent, but recording the delivery failed", slog.Any("error", cerr))
		}
		log.InfoContext(ctx, "notification sent")
		return nil
	case errors.As(err, &se) && se.Permanent():
		if rerr := h.deliveries.Reject(ctx, claim, se.Error()); rerr != nil {
			log.WarnContext(ctx, "recording the rejection failed", slog.Any("error", rerr))
		}
		log.ErrorContext(ctx, "notification rejected by the channel: not retried", slog.Any("error", err))
		return fmt.Errorf("channel %s: rejected: %w", s.name, err)
	default:
		if rerr := h.deliveries.Release(ctx, claim); rerr != nil {
			log.WarnContext(ctx, "releasing the delivery claim failed: a retry waits for its lease", slog.Any("error", rerr))
		}
		log.ErrorContext(ctx, "notification not sent", slog.Any("error", err))
		return fmt.Errorf("channel %s: %w", s.name, err)
	}
}

// publish sends e to the people topic, once: the SDK retries throttling and server errors, and any
// error left releases the delivery for Lambda's retry (nothing SNS answers is a refusal for good).
func (h *Handler) publish(ctx context.Context, e Event) (int, error) {
	in, err := TopicMessage(h.cfg.NotifyTopicARN, e)
	if err != nil {
		return 0, err
	}
	if _, err := h.topic.Publish(ctx, in); err != nil {
		return 1, fmt.Errorf("publish to the people topic: %w", err)
	}
	return 1, nil
}

// post renders e for ch and posts it to the channel's endpoint.
func (h *Handler) post(ctx context.Context, ch Channel, e Event) (int, error) {
	secret, err := h.secrets.Value(ctx, ch)
	if err != nil {
		return 0, err
	}
	endpoint := secret
	if ch.Format == FormatPagerDuty {
		if err := checkRoutingKey(secret); err != nil {
			return 0, fmt.Errorf("the routing key in %s: %w", ch.source(), err)
		}
		endpoint = h.cfg.PagerDutyEventsURL
	}
	body, err := render(ch.Format, e, secret)
	if err != nil {
		return 0, err
	}
	return h.poster.Post(ctx, endpoint, body)
}

// checkRoutingKey accepts 1-128 printable ASCII characters without spaces (PagerDuty's are 32).
func checkRoutingKey(k string) error {
	if len(k) > 128 {
		return errors.New("is longer than 128 characters")
	}
	for i := range len(k) {
		if k[i] <= ' ' || k[i] > '~' {
			return errors.New("holds a space or a character that is not printable ASCII")
		}
	}
	return nil
}

// lease is how long a claim holds: the rest of the invocation and a margin.
func (h *Handler) lease(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return max(time.Until(dl), 0) + leaseMargin
	}
	return defaultLease
}

// messageKey is the SNS MessageId, or, for a hand-made event without one, a digest of the message
// so a redelivery of it is still recognised (as the alarm logger keys it).
func messageKey(msg events.SNSEntity) string {
	if msg.MessageID != "" {
		return msg.MessageID
	}
	sum := sha256.Sum256([]byte(msg.Message))
	return "sha256-" + hex.EncodeToString(sum[:16])
}
