// Package sqsmap delivers SQS queues to Lambda functions as Lambda's SQS event source mappings do:
// it reads the mappings from the emulator (ListEventSourceMappings), polls each mapped queue,
// invokes the function synchronously with SQS's event (events.SQSEvent, built as Lambda builds
// it), deletes the messages of a successful invocation and leaves those of a failed one, which
// reappear after the queue's visibility timeout and go to its dead-letter queue after the redrive
// policy's maxReceiveCount (moto moves them on ReceiveMessage, as SQS does). ScalingConfig's
// MaximumConcurrency bounds the concurrent invocations of a mapping, lowered to what the runtime
// runs at once for the function; ReportBatchItemFailures deletes only the messages the function
// did not report.
//
// A mapping is delivered whether its State is Enabled or Disabled. Moto, for an enabled SQS
// mapping, tries to run the function itself (in Docker) inside every SendMessage, so the
// Terraform creates the mapping disabled on the emulator, and the local runtime plays the mapping
// the emulator does not run.
//
// The emulator handles one request at a time (platform/moto serial.py), so a long poll would stall
// every other caller: ReceiveMessage is sent with WaitTimeSeconds 0 (explicitly, overriding the
// queue's ReceiveMessageWaitTimeSeconds), and an empty queue is polled again after a pause that
// doubles up to MaxIdle. Not emulated: FilterCriteria, the batching window (a batch is what one
// ReceiveMessage returns, at most 10), a mapping's own DLQ destination (SQS mappings have none: the
// queue's redrive policy is the one).
//
// Moto resolves an alias when a mapping is created: a mapping made on fn:live reads back as
// fn:<the version live had then>, and would not follow the alias to the code of a later apply, as
// Lambda's does. Every function of the stack is invoked through its live alias, so a mapping of a
// version of a function that has a live alias is delivered to live (Mapping.Invokes says so).
package sqsmap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/webhealth/webhealth/platform/localrun/lambdarun"
)

// LambdaAPI reads the event source mappings from the emulator.
type LambdaAPI interface {
	ListEventSourceMappings(ctx context.Context, in *lambda.ListEventSourceMappingsInput, opts ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error)
}

// SQSAPI polls the mapped queues and deletes what was processed.
type SQSAPI interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// Invoker runs a function synchronously (Lambda invokes a mapping's function with RequestResponse),
// tells how many of its invocations can run at once, and resolves an alias.
type Invoker interface {
	Invoke(ctx context.Context, target string, payload []byte) (*lambdarun.Result, error)
	Concurrency(ctx context.Context, target string) (int, error)
	Resolve(ctx context.Context, target string) (lambdarun.Resolved, error)
}

// Alias is the alias every function of the stack is invoked through (see the package doc).
const Alias = "live"

// DefaultConcurrency bounds the concurrent invocations of a mapping without
// ScalingConfig.MaximumConcurrency. AWS scales such a mapping up from five concurrent batches as
// long as the queue has messages; five keeps a local fan-out parallel without starting more
// function processes than a laptop wants.
const DefaultConcurrency = 5

// maxReceive is SQS's most messages per ReceiveMessage: a larger BatchSize is served 10 at a time
// (Lambda's batching window, which gathers up to 10,000, is not emulated).
const maxReceive = 10

// Mapping is an SQS event source mapping as delivered.
type Mapping struct {
	UUID           string `json:"uuid"`
	Function       string `json:"function_arn"` // as the emulator reports it
	Invokes        string `json:"invokes"`      // what is invoked: Function, or its live alias
	Queue          string `json:"event_source_arn"`
	QueueURL       string `json:"queue_url,omitempty"`
	State          string `json:"state"` // as the emulator reports it; delivered either way
	BatchSize      int32  `json:"batch_size"`
	MaxConcurrency int    `json:"maximum_concurrency"` // ScalingConfig's, or DefaultConcurrency
	// Concurrency is the batches in flight at most: MaxConcurrency, lowered to the invocations the
	// runtime runs at once for the function (its processes, its reserved concurrency). Lambda's
	// pollers likewise take no more than the function can run, so no message sits received but
	// not yet invoked while its visibility timeout runs out.
	Concurrency    int    `json:"concurrency"`
	ReportFailures bool   `json:"report_batch_item_failures,omitempty"`
	Invocations    int64  `json:"invocations"`        // finished
	Failures       int64  `json:"failed_invocations"` // of those, the batches left in the queue
	Error          string `json:"error,omitempty"`    // the last poll or invocation error
	Warning        string `json:"warning,omitempty"`  // what of the mapping is not emulated
}

// key is what restarts a mapping's poller when it changes.
func (m Mapping) key() string {
	return fmt.Sprintf("%s|%s|%d|%d|%t", m.Invokes, m.Queue, m.BatchSize, m.Concurrency, m.ReportFailures)
}

// Deliverer runs the SQS event source mappings.
type Deliverer struct {
	lambda  LambdaAPI
	sqs     SQSAPI
	invoker Invoker
	log     *slog.Logger
	// Refresh is how often the mappings are reread from the emulator (default 5s).
	Refresh time.Duration
	// MinIdle and MaxIdle bound the pause before polling an empty queue again (default 100ms,
	// doubling to 1s).
	MinIdle, MaxIdle time.Duration

	mu      sync.Mutex
	pollers map[string]*poller // by mapping UUID
	lastErr error              // of the last discovery
	wg      sync.WaitGroup
}

// New returns a deliverer reading mappings through lam, polling through sq and invoking through invoker.
func New(lam LambdaAPI, sq SQSAPI, invoker Invoker, log *slog.Logger) *Deliverer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Deliverer{lambda: lam, sqs: sq, invoker: invoker, log: log, Refresh: 5 * time.Second,
		MinIdle: 100 * time.Millisecond, MaxIdle: time.Second, pollers: map[string]*poller{}}
}

// discover reads every mapping whose source is an SQS queue.
func (d *Deliverer) discover(ctx context.Context) ([]Mapping, error) {
	var out []Mapping
	pager := lambda.NewListEventSourceMappingsPaginator(d.lambda, &lambda.ListEventSourceMappingsInput{})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list event source mappings: %w", err)
		}
		for _, c := range page.EventSourceMappings {
			if !strings.HasPrefix(aws.ToString(c.EventSourceArn), "arn:aws:sqs:") {
				continue
			}
			out = append(out, fromAPI(c))
		}
	}
	return out, nil
}

func fromAPI(c ltypes.EventSourceMappingConfiguration) Mapping {
	m := Mapping{UUID: aws.ToString(c.UUID), Function: aws.ToString(c.FunctionArn), Queue: aws.ToString(c.EventSourceArn),
		State: aws.ToString(c.State), BatchSize: aws.ToInt32(c.BatchSize), MaxConcurrency: DefaultConcurrency}
	if m.BatchSize <= 0 {
		m.BatchSize = maxReceive // Lambda's default for SQS
	}
	if s := c.ScalingConfig; s != nil && aws.ToInt32(s.MaximumConcurrency) > 0 {
		m.MaxConcurrency = int(aws.ToInt32(s.MaximumConcurrency))
	}
	if c.FilterCriteria != nil && len(c.FilterCriteria.Filters) > 0 {
		m.Warning = "FilterCriteria is not emulated: every message is delivered"
	}
	for _, t := range c.FunctionResponseTypes {
		if t == ltypes.FunctionResponseTypeReportBatchItemFailures {
			m.ReportFailures = true
		}
	}
	return m
}

// refresh rereads the mappings; the pollers run under ctx. New mappings start polling, removed
// ones stop, changed ones restart. An in-flight invocation of a stopped poller runs to its end
// (its messages then deleted or left).
func (d *Deliverer) refresh(ctx context.Context) error {
	mappings, err := d.discover(ctx)
	d.mu.Lock()
	prev := map[string]Mapping{}
	for id, p := range d.pollers {
		prev[id] = p.m
	}
	d.mu.Unlock()
	for i, m := range mappings {
		old, had := prev[m.UUID]
		mappings[i].Invokes, mappings[i].Concurrency = d.resolve(ctx, m, old, had)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lastErr = err; err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, m := range mappings {
		seen[m.UUID] = true
		if p, ok := d.pollers[m.UUID]; ok {
			p.setState(m.State)
			if p.m.key() == m.key() {
				continue
			}
			d.log.InfoContext(ctx, "SQS event source mapping changed; restarting its poller", "uuid", m.UUID, "function", m.Function, "queue", m.Queue)
			p.stop()
		} else {
			d.log.InfoContext(ctx, "SQS event source mapping discovered", "uuid", m.UUID, "function", m.Function, "invokes", m.Invokes, "queue", m.Queue,
				"state", m.State, "batch_size", m.BatchSize, "maximum_concurrency", m.MaxConcurrency, "concurrency", m.Concurrency, "warning", m.Warning)
		}
		p := &poller{m: m, d: d}
		pctx, cancel := context.WithCancel(ctx)
		p.cancel = cancel
		d.pollers[m.UUID] = p
		d.wg.Go(func() { p.run(pctx) })
	}
	for id, p := range d.pollers {
		if !seen[id] {
			d.log.InfoContext(ctx, "SQS event source mapping removed; stopping its poller", "uuid", id, "function", p.m.Function, "queue", p.m.Queue)
			p.stop()
			delete(d.pollers, id)
		}
	}
	return nil
}

// resolve finds what mapping m invokes (its function, or the live alias of that function when m
// is of a version, see the package doc) and its batches in flight at most (MaxConcurrency lowered
// to the function's Concurrency). When the emulator cannot say, a running poller keeps what it had
// (old), so a passing failure restarts nothing; a new one takes one batch at a time.
func (d *Deliverer) resolve(ctx context.Context, m, old Mapping, had bool) (invokes string, concurrency int) {
	invokes = m.Function
	if name, qualifier, err := lambdarun.ParseTarget(m.Function); err == nil && isVersion(qualifier) {
		_, err := d.invoker.Resolve(ctx, name+":"+Alias)
		switch {
		case err == nil:
			invokes = strings.TrimSuffix(m.Function, ":"+qualifier) + ":" + Alias
		case !errors.Is(err, lambdarun.ErrFunctionNotFound) && had:
			invokes = old.Invokes
		}
	}
	n, err := d.invoker.Concurrency(ctx, invokes)
	switch {
	case err == nil:
		return invokes, min(m.MaxConcurrency, n)
	case errors.Is(err, lambdarun.ErrFunctionNotFound):
		return invokes, m.MaxConcurrency // its invocations fail and say why
	case had && old.Invokes == invokes:
		return invokes, old.Concurrency
	default:
		return invokes, 1
	}
}

func isVersion(q string) bool {
	if q == "" {
		return false
	}
	for _, c := range q {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Run delivers the mappings until ctx ends, rereading them every Refresh, then waits for the
// invocations in flight.
func (d *Deliverer) Run(ctx context.Context) {
	defer d.wg.Wait()
	for {
		if err := d.refresh(ctx); err != nil && ctx.Err() == nil {
			d.log.WarnContext(ctx, "read SQS event source mappings from the emulator", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(d.Refresh):
		}
	}
}

// Mappings returns the SQS mappings as last discovered, with their delivery counts.
func (d *Deliverer) Mappings() []Mapping {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Mapping, 0, len(d.pollers))
	for _, p := range d.pollers {
		out = append(out, p.status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Queue+out[i].UUID < out[j].Queue+out[j].UUID })
	return out
}

// Err is the error of the last reading of the mappings (nil when it succeeded): the mappings are
// then as read before.
func (d *Deliverer) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastErr
}

// poller delivers one mapping.
type poller struct {
	m      Mapping
	d      *Deliverer
	cancel context.CancelFunc

	invocations, failures atomic.Int64
	mu                    sync.Mutex
	state, queueURL, err  string
}

func (p *poller) stop() {
	if p.cancel != nil {
		p.cancel()
	}
}

func (p *poller) setState(s string) {
	p.mu.Lock()
	p.state = s
	p.mu.Unlock()
}

func (p *poller) setErr(err error) {
	p.mu.Lock()
	p.err = ""
	if err != nil {
		p.err = err.Error()
	}
	p.mu.Unlock()
}

func (p *poller) status() Mapping {
	m := p.m
	m.Invocations, m.Failures = p.invocations.Load(), p.failures.Load()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != "" {
		m.State = p.state
	}
	m.QueueURL, m.Error = p.queueURL, p.err
	return m
}

// run polls the queue while a concurrency slot is free, invoking the function for each batch.
func (p *poller) run(ctx context.Context) {
	var inflight sync.WaitGroup
	defer inflight.Wait()
	slots := make(chan struct{}, p.m.Concurrency) // none (a throttled function): nothing is received
	idle := p.d.MinIdle
	pause := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(idle):
		}
		idle = min(2*idle, p.d.MaxIdle)
		return true
	}
	url := ""
	for ctx.Err() == nil {
		if url == "" {
			u, err := p.queue(ctx)
			if err != nil {
				if ctx.Err() == nil {
					p.setErr(err)
					p.d.log.WarnContext(ctx, "SQS event source mapping: queue not found", "uuid", p.m.UUID, "queue", p.m.Queue, "err", err)
				}
				if !pause() {
					return
				}
				continue
			}
			url = u
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		msgs, err := receive(ctx, p.d.sqs, url, min(p.m.BatchSize, maxReceive))
		if err != nil || len(msgs) == 0 {
			<-slots
			if err != nil && ctx.Err() == nil {
				p.setErr(err)
				p.d.log.WarnContext(ctx, "SQS event source mapping: receive", "uuid", p.m.UUID, "queue", p.m.Queue, "err", err)
			}
			if !pause() {
				return
			}
			continue
		}
		idle = p.d.MinIdle
		inflight.Go(func() {
			defer func() { <-slots }()
			p.deliver(ctx, url, msgs)
		})
	}
}

func (p *poller) queue(ctx context.Context) (string, error) {
	parts := strings.Split(p.m.Queue, ":")
	if len(parts) != 6 {
		return "", fmt.Errorf("%q is not an SQS queue ARN", p.m.Queue)
	}
	out, err := p.d.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(parts[5]), QueueOwnerAWSAccountId: aws.String(parts[4])})
	if err != nil {
		return "", fmt.Errorf("queue %s: %w", p.m.Queue, err)
	}
	u := aws.ToString(out.QueueUrl)
	p.mu.Lock()
	p.queueURL = u
	p.mu.Unlock()
	return u, nil
}

// receive reads up to n messages without waiting (WaitTimeSeconds 0 sent explicitly, see the
// package doc), with the attributes Lambda's event carries.
func receive(ctx context.Context, api SQSAPI, url string, n int32) ([]types.Message, error) {
	out, err := api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(url),
		MaxNumberOfMessages:         n,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	}, noWait)
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", url, err)
	}
	return out.Messages, nil
}

// deliver invokes the function with one batch and deletes what it processed.
func (p *poller) deliver(ctx context.Context, url string, msgs []types.Message) {
	payload, err := json.Marshal(Event(p.m.Queue, msgs))
	if err != nil {
		p.setErr(fmt.Errorf("encode SQS event: %w", err))
		return
	}
	res, err := p.d.invoker.Invoke(ctx, p.m.Invokes, payload)
	p.invocations.Add(1) // counted once finished, so a reader sees its outcome with it
	log := p.d.log.With("uuid", p.m.UUID, "function", p.m.Invokes, "queue", p.m.Queue, "messages", len(msgs))
	switch {
	case err != nil:
		p.failures.Add(1)
		if ctx.Err() == nil {
			p.setErr(fmt.Errorf("invoke: %w", err))
			log.WarnContext(ctx, "SQS batch not invoked; its messages reappear after the visibility timeout", "err", err)
		}
		return
	case res.Failed():
		p.failures.Add(1)
		p.setErr(fmt.Errorf("function error %s: %s", res.ErrorType, res.Payload))
		log.WarnContext(ctx, "SQS batch failed; its messages reappear after the visibility timeout", "request_id", res.RequestID, "error_type", res.ErrorType)
		return
	}
	done := msgs
	if p.m.ReportFailures {
		failed, err := batchItemFailures(res.Payload, msgs)
		if err != nil {
			p.failures.Add(1)
			p.setErr(err)
			log.WarnContext(ctx, "SQS batch response invalid: the whole batch counts as failed", "request_id", res.RequestID, "err", err)
			return
		}
		done = nil
		for _, m := range msgs {
			if !failed[aws.ToString(m.MessageId)] {
				done = append(done, m)
			}
		}
		if len(failed) > 0 {
			log.InfoContext(ctx, "SQS batch partly failed; the reported messages reappear after the visibility timeout", "request_id", res.RequestID, "failed", len(failed))
		}
	}
	// Deleted even when ctx ended meanwhile: the function processed them.
	if err := deleteMessages(context.WithoutCancel(ctx), p.d.sqs, url, done); err != nil {
		p.setErr(err)
		log.WarnContext(ctx, "delete processed SQS messages", "err", err)
		return
	}
	p.setErr(nil)
}

// batchItemFailures reads a ReportBatchItemFailures response as Lambda does: an empty or null
// list (or an empty payload) is full success; an identifier that is empty or not in the batch, or
// a payload that is not the response, fails the whole batch.
func batchItemFailures(payload []byte, msgs []types.Message) (map[string]bool, error) {
	failed := map[string]bool{}
	if len(strings.TrimSpace(string(payload))) == 0 || string(payload) == "null" {
		return failed, nil
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		return nil, fmt.Errorf("batch response: %w", err)
	}
	in := map[string]bool{}
	for _, m := range msgs {
		in[aws.ToString(m.MessageId)] = true
	}
	for _, f := range resp.BatchItemFailures {
		if !in[f.ItemIdentifier] {
			return nil, fmt.Errorf("batch response: itemIdentifier %q is not a message of the batch", f.ItemIdentifier)
		}
		failed[f.ItemIdentifier] = true
	}
	return failed, nil
}

func deleteMessages(ctx context.Context, api SQSAPI, url string, msgs []types.Message) error {
	var errs []error
	for start := 0; start < len(msgs); start += maxReceive {
		batch := msgs[start:min(start+maxReceive, len(msgs))]
		entries := make([]types.DeleteMessageBatchRequestEntry, 0, len(batch))
		for i, m := range batch {
			entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
		}
		out, err := api.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err != nil {
			errs = append(errs, fmt.Errorf("delete messages from %s: %w", url, err))
			continue
		}
		for _, f := range out.Failed {
			errs = append(errs, fmt.Errorf("delete message %s from %s: %s %s", aws.ToString(f.Id), url, aws.ToString(f.Code), aws.ToString(f.Message)))
		}
	}
	return errors.Join(errs...)
}

// Event is the event Lambda sends a function for a batch of the queue queueARN.
func Event(queueARN string, msgs []types.Message) events.SQSEvent {
	region := ""
	if parts := strings.Split(queueARN, ":"); len(parts) > 3 {
		region = parts[3]
	}
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(msgs))}
	for _, m := range msgs {
		attrs := map[string]string{}
		for k, v := range m.Attributes {
			attrs[k] = v
		}
		mattrs := map[string]events.SQSMessageAttribute{}
		for k, v := range m.MessageAttributes {
			mattrs[k] = events.SQSMessageAttribute{StringValue: v.StringValue, BinaryValue: v.BinaryValue,
				StringListValues: nonNil(v.StringListValues), BinaryListValues: nonNil(v.BinaryListValues), DataType: aws.ToString(v.DataType)}
		}
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			Md5OfBody: aws.ToString(m.MD5OfBody), Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
			Attributes: attrs, MessageAttributes: mattrs,
			EventSourceARN: queueARN, EventSource: "aws:sqs", AWSRegion: region,
		})
	}
	return ev
}

// nonNil gives [] rather than null, as Lambda's event has.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
