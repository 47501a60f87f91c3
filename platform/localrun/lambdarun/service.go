// Package lambdarun runs deployed Lambda functions locally: it reads each function's
// configuration from the emulator (moto), runs the local build whose SHA-256 equals the deployed
// CodeSha256, and speaks the Lambda Runtime API to the function's bootstrap — the same protocol
// Lambda uses — with the configured environment, timeout and memory.
package lambdarun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/webhealth/webhealth/platform/localrun/internal/ids"
)

// LambdaAPI is the part of the Lambda API the runtime reads from the emulator.
type LambdaAPI interface {
	GetFunction(ctx context.Context, in *lambda.GetFunctionInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetAlias(ctx context.Context, in *lambda.GetAliasInput, opts ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	GetFunctionEventInvokeConfig(ctx context.Context, in *lambda.GetFunctionEventInvokeConfigInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionEventInvokeConfigOutput, error)
	ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, opts ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
}

// SQSAPI sends asynchronous-invocation destination records to SQS queues in the emulator.
type SQSAPI interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// ErrFunctionNotFound means the emulator has no such function, alias or version.
var ErrFunctionNotFound = errors.New("function not found")

// ErrThrottled means the function's reserved concurrency is zero.
var ErrThrottled = errors.New("function is throttled (reserved concurrency 0)")

// Options configure the service.
type Options struct {
	ArtifactsDir string // where `make build` writes <arch>/<function>.zip
	StateDir     string // code, logs
	Endpoint     string // the emulator, passed to functions as AWS_ENDPOINT_URL
	Region       string
	// MaxInstances bounds the processes per function version (default 4).
	MaxInstances int
	// RetryDelay is the wait before the first retry of a failed asynchronous invocation, doubled
	// for the second (Lambda waits about 1 and 2 minutes; locally the default is 1s).
	RetryDelay time.Duration
	// CacheTTL is how long function configuration read from the emulator is reused (default 2s).
	CacheTTL time.Duration
	// Terminal receives function output prefixed by function name (nil: only the log files).
	Terminal io.Writer
	Logger   *slog.Logger
	// CertFile, when set, is every function's SSL_CERT_FILE (a function's own setting wins): the local
	// stack's CA bundle.
	CertFile string
	// Metrics, when set, receives Lambda's own metrics (AWS/Lambda Invocations, Errors,
	// Duration, Throttles) for every invocation.
	Metrics MetricsAPI

	hooks *poolHooks // tests only: pause the pools at their hand-offs
}

// Service runs functions on demand.
type Service struct {
	lambda    LambdaAPI
	sqs       SQSAPI
	opts      Options
	artifacts *Artifacts
	logs      *logSinks
	log       *slog.Logger

	ctx    context.Context // lives until Close; async invocations run under it
	cancel context.CancelFunc
	async  sync.WaitGroup

	metricsCh   chan []cwtypes.MetricDatum
	metricsDone chan struct{}

	mu     sync.Mutex
	pools  map[string]*pool  // name\x00version -> current pool
	routes map[string]string // name\x00qualifier -> version it last resolved to
	old    []*pool           // retired pools still draining
	cache  map[string]cached
	closed bool
}

type cached struct {
	at  time.Time
	val any
}

// New returns a service reading from the emulator through lam (and sq for SQS destinations).
func New(lam LambdaAPI, sq SQSAPI, opts Options) *Service {
	if opts.MaxInstances <= 0 {
		opts.MaxInstances = 4
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = time.Second
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{
		lambda:    lam,
		sqs:       sq,
		opts:      opts,
		artifacts: NewArtifacts(opts.ArtifactsDir, opts.StateDir),
		logs:      newLogSinks(filepath.Join(opts.StateDir, "logs"), opts.Terminal),
		log:       opts.Logger,
		ctx:       ctx,
		cancel:    cancel,
		pools:     map[string]*pool{},
		routes:    map[string]string{},
		cache:     map[string]cached{},
	}
	if opts.Metrics != nil {
		s.metricsCh = make(chan []cwtypes.MetricDatum, 1024)
		s.metricsDone = make(chan struct{})
		go s.publishMetrics()
	}
	return s
}

// Resolved is a function version an invocation runs on.
type Resolved struct {
	Config     FunctionConfig
	InvokedARN string // the ARN as invoked (qualified when a qualifier was given)
	Qualifier  string // alias or version given by the invoker ("" when unqualified)
	weighted   bool   // the alias splits traffic between versions
}

// Resolve reads a function's deployed configuration from the emulator: the qualifier of the
// target (an alias such as live, honouring its routing weights, or a version), or $LATEST.
func (s *Service) Resolve(ctx context.Context, target string) (Resolved, error) {
	name, qualifier, err := ParseTarget(target)
	if err != nil {
		return Resolved{}, err
	}
	version := "$LATEST"
	weighted := false
	if qualifier != "" {
		version = qualifier
		if !isVersion(qualifier) {
			alias, err := s.getAlias(ctx, name, qualifier)
			if err != nil {
				return Resolved{}, err
			}
			version = pickVersion(alias)
			weighted = alias.RoutingConfig != nil && len(alias.RoutingConfig.AdditionalVersionWeights) > 0
		}
	}
	fc, err := s.getVersion(ctx, name, version)
	if err != nil {
		return Resolved{}, err
	}
	arn := fc.FunctionARN
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return Resolved{Config: fc, InvokedARN: arn, Qualifier: qualifier, weighted: weighted}, nil
}

// track remembers which version a qualifier runs; when an alias moves (a re-apply published a
// new version), the instances of the version it left are stopped unless another qualifier
// still runs it.
func (s *Service) track(r Resolved) {
	if r.weighted {
		return
	}
	q := r.Qualifier
	if q == "" {
		q = "$LATEST"
	}
	key := r.Config.Name + "\x00" + q
	s.mu.Lock()
	prev, ok := s.routes[key]
	s.routes[key] = r.Config.Version
	if !ok || prev == r.Config.Version {
		s.mu.Unlock()
		return
	}
	for k, v := range s.routes {
		if v == prev && strings.HasPrefix(k, r.Config.Name+"\x00") {
			s.mu.Unlock()
			return
		}
	}
	p, found := s.pools[r.Config.Name+"\x00"+prev]
	if found {
		delete(s.pools, r.Config.Name+"\x00"+prev)
		s.old = append(s.old, p)
	}
	s.mu.Unlock()
	if found {
		s.log.Info("alias moved; stopping the instances of the version it left",
			"function", r.Config.Name, "qualifier", q, "from", prev, "to", r.Config.Version)
		p.retire()
	}
}

// pickVersion follows an alias, choosing an additional version by its weight (canary routing).
func pickVersion(a *lambda.GetAliasOutput) string {
	v := aws.ToString(a.FunctionVersion)
	if a.RoutingConfig == nil || len(a.RoutingConfig.AdditionalVersionWeights) == 0 {
		return v
	}
	x := rand.Float64() // #nosec G404 -- canary traffic split by weight, not a secret: math/rand is the right tool
	for _, other := range slices.Sorted(maps.Keys(a.RoutingConfig.AdditionalVersionWeights)) {
		w := a.RoutingConfig.AdditionalVersionWeights[other]
		if x < w {
			return other
		}
		x -= w
	}
	return v
}

func (s *Service) fromCache(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cache[key]
	if !ok || time.Since(c.at) > s.opts.CacheTTL {
		return nil, false
	}
	return c.val, true
}

func (s *Service) toCache(key string, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cache[key] = cached{at: time.Now(), val: v}
}

func (s *Service) getAlias(ctx context.Context, name, alias string) (*lambda.GetAliasOutput, error) {
	key := "alias\x00" + name + "\x00" + alias
	if v, ok := s.fromCache(key); ok {
		return v.(*lambda.GetAliasOutput), nil
	}
	out, err := s.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(name), Name: aws.String(alias)})
	if err != nil {
		return nil, mapNotFound(fmt.Sprintf("alias %s of function %s", alias, name), err)
	}
	s.toCache(key, out)
	return out, nil
}

func (s *Service) getVersion(ctx context.Context, name, version string) (FunctionConfig, error) {
	key := "fn\x00" + name + "\x00" + version
	if v, ok := s.fromCache(key); ok {
		return v.(FunctionConfig), nil
	}
	out, err := s.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String(version)})
	if err != nil {
		return FunctionConfig{}, mapNotFound(fmt.Sprintf("function %s version %s", name, version), err)
	}
	if out.Configuration == nil {
		return FunctionConfig{}, fmt.Errorf("get function %s version %s: no configuration in the response", name, version)
	}
	var reserved *int32
	if out.Concurrency != nil {
		reserved = out.Concurrency.ReservedConcurrentExecutions
	}
	fc := configFromAPI(out.Configuration, reserved)
	s.toCache(key, fc)
	return fc, nil
}

func mapNotFound(what string, err error) error {
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return fmt.Errorf("%s: %w", what, ErrFunctionNotFound)
	}
	return fmt.Errorf("read %s from the emulator: %w", what, err)
}

// poolFor returns the running pool for a function version, replacing it when the deployed
// code or configuration changed (a re-apply).
func (s *Service) poolFor(fc FunctionConfig) (*pool, error) {
	key := fc.Name + "\x00" + fc.Version
	fp := fc.fingerprint()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.New("local runtime is shutting down")
	}
	if p, ok := s.pools[key]; ok && p.fn.fingerprint() == fp {
		s.mu.Unlock()
		return p, nil
	}
	s.mu.Unlock()

	max := s.opts.MaxInstances
	if r := fc.ReservedConcurrency; r != nil {
		if *r == 0 {
			return nil, fmt.Errorf("function %s: %w", fc.Name, ErrThrottled)
		}
		max = min(max, int(*r))
	}
	zipPath, err := s.artifacts.Find(fc.Name, fc.Version, fc.CodeSha256)
	if err != nil {
		return nil, err
	}
	root, err := s.artifacts.Extract(zipPath, fc.CodeSha256)
	if err != nil {
		return nil, fmt.Errorf("function %s: %w", fc.Name, err)
	}
	sink, err := s.logs.get(fc.Name)
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pools[key]; ok {
		if p.fn.fingerprint() == fp {
			return p, nil
		}
		s.log.Info("deployed function changed; replacing its instances",
			"function", fc.Name, "version", fc.Version, "code_sha256", fc.CodeSha256, "previous_code_sha256", p.fn.CodeSha256)
		p.retire()
		s.old = append(s.old, p)
	}
	s.old = slices.DeleteFunc(s.old, func(p *pool) bool { return p.drained() })
	p := newPool(fc, root, sink, max, &s.opts)
	s.pools[key] = p
	s.log.Info("function ready", "function", fc.Name, "version", fc.Version, "code_sha256", fc.CodeSha256, "artifact", zipPath)
	return p, nil
}

// Concurrency is how many invocations of the target can run at once: MaxInstances, lowered to the
// function's reserved concurrency (0 when throttled). A poller (an SQS event source mapping) takes
// no more work than this, so none waits here while its messages' visibility timeout runs out.
func (s *Service) Concurrency(ctx context.Context, target string) (int, error) {
	r, err := s.Resolve(ctx, target)
	if err != nil {
		return 0, err
	}
	n := s.opts.MaxInstances
	if res := r.Config.ReservedConcurrency; res != nil {
		n = min(n, int(*res))
	}
	return n, nil
}

// Invoke runs the target synchronously (InvocationType RequestResponse). A function failure is
// a Result with FunctionError set; an error means the function could not be run at all.
func (s *Service) Invoke(ctx context.Context, target string, payload []byte) (*Result, error) {
	return s.invoke(ctx, target, payload, "")
}

func (s *Service) invoke(ctx context.Context, target string, payload []byte, requestID string) (*Result, error) {
	for attempt := 0; ; attempt++ {
		r, err := s.Resolve(ctx, target)
		if err != nil {
			return nil, err
		}
		p, err := s.poolFor(r.Config)
		if err != nil {
			s.recordMetrics(r, nil, err)
			return nil, err
		}
		s.track(r)
		res, err := p.invoke(ctx, newInvocation(requestID, r.InvokedARN, payload))
		if errors.Is(err, errPoolClosed) && attempt < 3 {
			continue // replaced by a re-apply while we waited: run on the new code
		}
		s.recordMetrics(r, res, err)
		return res, err
	}
}

// AsyncInvocation is an event (InvocationType Event) accepted for asynchronous processing.
type AsyncInvocation struct {
	RequestID string
	Function  string
	done      chan struct{}
	// Set when done.
	Result      *Result
	Err         error
	Attempts    int
	Destination string // where the outcome record was sent, if anywhere
}

// Wait blocks until the invocation (with its retries) has finished.
func (a *AsyncInvocation) Wait(ctx context.Context) error {
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done is closed when the invocation has finished.
func (a *AsyncInvocation) Done() <-chan struct{} { return a.done }

// InvokeAsync accepts an event for the target as Lambda's asynchronous invocation does: the
// function is checked now, the event runs in the background, a function error is retried
// (MaximumRetryAttempts from the function's event invoke config, default 2), and the outcome
// goes to the configured on-failure / on-success destination (SQS queue or Lambda function).
func (s *Service) InvokeAsync(ctx context.Context, target string, payload []byte) (*AsyncInvocation, error) {
	r, err := s.Resolve(ctx, target)
	if err != nil {
		return nil, err
	}
	if _, err := s.poolFor(r.Config); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.New("local runtime is shutting down")
	}
	s.async.Add(1)
	s.mu.Unlock()
	a := &AsyncInvocation{RequestID: ids.UUID(), Function: r.Config.Name, done: make(chan struct{})}
	go func() {
		defer s.async.Done()
		defer close(a.done)
		s.runAsync(a, target, r, payload)
	}()
	return a, nil
}

type eventInvokeConfig struct {
	maxRetries int
	maxAge     time.Duration
	onSuccess  string
	onFailure  string
}

func (s *Service) eventConfig(ctx context.Context, r Resolved) eventInvokeConfig {
	cfg := eventInvokeConfig{maxRetries: 2, maxAge: 6 * time.Hour}
	in := &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(r.Config.Name)}
	if r.Qualifier != "" {
		in.Qualifier = aws.String(r.Qualifier)
	}
	out, err := s.lambda.GetFunctionEventInvokeConfig(ctx, in)
	if err != nil {
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			s.log.Warn("read event invoke config; using Lambda's defaults", "function", r.Config.Name, "err", err)
		}
		return cfg
	}
	if out.MaximumRetryAttempts != nil {
		cfg.maxRetries = int(*out.MaximumRetryAttempts)
	}
	if out.MaximumEventAgeInSeconds != nil {
		cfg.maxAge = time.Duration(*out.MaximumEventAgeInSeconds) * time.Second
	}
	if d := out.DestinationConfig; d != nil {
		if d.OnSuccess != nil {
			cfg.onSuccess = aws.ToString(d.OnSuccess.Destination)
		}
		if d.OnFailure != nil {
			cfg.onFailure = aws.ToString(d.OnFailure.Destination)
		}
	}
	return cfg
}

func (s *Service) runAsync(a *AsyncInvocation, target string, r Resolved, payload []byte) {
	ctx := s.ctx
	cfg := s.eventConfig(ctx, r)
	received := time.Now()
	delay := s.opts.RetryDelay
	condition := "RetriesExhausted"
	for {
		a.Attempts++
		a.Result, a.Err = s.invoke(ctx, target, payload, a.RequestID)
		if a.Err == nil && !a.Result.Failed() {
			break
		}
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("asynchronous invocation failed", "function", r.Config.Name, "request_id", a.RequestID,
			"attempt", a.Attempts, "error_type", errorType(a.Result, a.Err), "err", a.Err)
		if a.Attempts > cfg.maxRetries {
			break
		}
		if time.Since(received)+delay > cfg.maxAge {
			condition = "EventAgeExceeded"
			break
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return
		}
		delay *= 2
	}
	success := a.Err == nil && !a.Result.Failed()
	dest := cfg.onFailure
	if success {
		dest, condition = cfg.onSuccess, "Success"
	}
	if dest == "" {
		if !success {
			s.log.Error("asynchronous invocation discarded after retries (no on-failure destination)",
				"function", r.Config.Name, "request_id", a.RequestID, "attempts", a.Attempts)
		}
		return
	}
	record := destinationRecord(a, r, payload, condition)
	if err := s.sendDestination(ctx, dest, record); err != nil {
		s.log.Error("send asynchronous invocation record", "function", r.Config.Name, "destination", dest, "err", err)
		return
	}
	a.Destination = dest
}

func errorType(r *Result, err error) string {
	if err != nil {
		return "ServiceException"
	}
	return r.ErrorType
}

// destinationRecord is the invocation record Lambda sends to a destination.
func destinationRecord(a *AsyncInvocation, r Resolved, payload []byte, condition string) []byte {
	rec := map[string]any{
		"version":   "1.0",
		"timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"requestContext": map[string]any{
			"requestId":              a.RequestID,
			"functionArn":            r.InvokedARN,
			"condition":              condition,
			"approximateInvokeCount": a.Attempts,
		},
		"requestPayload": rawOrString(payload),
	}
	rc := map[string]any{"statusCode": 200, "executedVersion": r.Config.Version}
	if a.Err != nil {
		rc["statusCode"] = 500
	} else {
		rc["executedVersion"] = a.Result.ExecutedVersion
		if a.Result.FunctionError != "" {
			rc["functionError"] = a.Result.FunctionError
		}
		rec["responsePayload"] = rawOrString(a.Result.Payload)
	}
	rec["responseContext"] = rc
	b, _ := json.Marshal(rec)
	return b
}

func rawOrString(b []byte) any {
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	return string(b)
}

func (s *Service) sendDestination(ctx context.Context, arn string, record []byte) error {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 {
		return fmt.Errorf("destination %q is not an ARN", arn)
	}
	switch parts[2] {
	case "sqs":
		if s.sqs == nil {
			return errors.New("no SQS client")
		}
		q, err := s.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(parts[5]), QueueOwnerAWSAccountId: aws.String(parts[4])})
		if err != nil {
			return fmt.Errorf("queue %s: %w", arn, err)
		}
		if _, err := s.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(string(record))}); err != nil {
			return fmt.Errorf("send to %s: %w", arn, err)
		}
		return nil
	case "lambda":
		_, err := s.InvokeAsync(ctx, arn, record)
		return err
	default:
		return fmt.Errorf("destination %s: only SQS queues and Lambda functions are emulated", arn)
	}
}

// FunctionStatus is what the health endpoint reports per deployed function.
type FunctionStatus struct {
	Name       string `json:"name"`
	Qualifier  string `json:"qualifier"`
	Version    string `json:"version,omitempty"`
	CodeSha256 string `json:"code_sha256,omitempty"`
	Artifact   string `json:"artifact,omitempty"`
	Instances  int    `json:"instances"`
	Timeout    string `json:"timeout,omitempty"`
	MemoryMB   int32  `json:"memory_mb,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Describe lists the deployed functions with the version their `live` alias (or $LATEST) runs
// and the local artifact matched to it.
func (s *Service) Describe(ctx context.Context) ([]FunctionStatus, error) {
	var names []string
	pager := lambda.NewListFunctionsPaginator(s.lambda, &lambda.ListFunctionsInput{})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list functions: %w", err)
		}
		for _, f := range page.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
	}
	slices.Sort(names)
	out := make([]FunctionStatus, 0, len(names))
	for _, name := range names {
		st := FunctionStatus{Name: name, Qualifier: "live"}
		r, err := s.Resolve(ctx, name+":live")
		if errors.Is(err, ErrFunctionNotFound) {
			st.Qualifier = "$LATEST"
			r, err = s.Resolve(ctx, name)
		}
		if err != nil {
			st.Error = err.Error()
			out = append(out, st)
			continue
		}
		st.Version, st.CodeSha256 = r.Config.Version, r.Config.CodeSha256
		st.Timeout, st.MemoryMB = r.Config.Timeout.String(), r.Config.MemoryMB
		if p, err := s.artifacts.Find(name, r.Config.Version, r.Config.CodeSha256); err != nil {
			st.Error = err.Error()
		} else {
			st.Artifact = p
		}
		s.mu.Lock()
		if p, ok := s.pools[name+"\x00"+r.Config.Version]; ok {
			s.mu.Unlock()
			st.Instances = p.instances()
		} else {
			s.mu.Unlock()
		}
		out = append(out, st)
	}
	return out, nil
}

// Close stops every function process (SIGTERM, SIGKILL after grace) and waits for them.
func (s *Service) Close(grace time.Duration) {
	s.mu.Lock()
	s.closed = true
	pools := append([]*pool(nil), s.old...)
	for _, p := range s.pools {
		pools = append(pools, p)
	}
	s.mu.Unlock()
	s.cancel()
	var wg sync.WaitGroup
	for _, p := range pools {
		wg.Go(func() { p.shutdown(grace) })
	}
	wg.Wait()
	s.async.Wait()
	if s.metricsCh != nil {
		s.mu.Lock()
		close(s.metricsCh)
		s.mu.Unlock()
		<-s.metricsDone
	}
	s.logs.close()
}
