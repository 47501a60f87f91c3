// Package localrun is the local runtime of the webhealth stack: around the AWS emulator (moto),
// it plays what the emulator cannot — it runs the deployed Lambda functions, serves the REST API
// stages, fires the EventBridge schedules, delivers SQS queues to functions through their event
// source mappings, evaluates the CloudWatch alarms and delivers their notifications through SNS. Everything it serves is read back from the emulator through the AWS
// APIs, so it runs what Terraform deployed, not a copy of the wiring.
//
// One port serves:
//   - /<api-id>/<stage>/<resource path>: every REST API stage (API Gateway's behaviour);
//   - /2015-03-31/functions/<name>/invocations: Lambda's Invoke API;
//   - /_local/health, /_local/schedules/fire, /_local/alarms/evaluate, /_local/sns/redeliver: control
//     endpoints.
package localrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/webhealth/webhealth/internal/awsconfig/cwquery"
	"github.com/webhealth/webhealth/platform/localrun/alarms"
	"github.com/webhealth/webhealth/platform/localrun/apigw"
	"github.com/webhealth/webhealth/platform/localrun/internal/loopback"
	"github.com/webhealth/webhealth/platform/localrun/lambdarun"
	"github.com/webhealth/webhealth/platform/localrun/schedule"
	"github.com/webhealth/webhealth/platform/localrun/snsdeliver"
	"github.com/webhealth/webhealth/platform/localrun/sqsmap"
)

// Runtime is the wired local runtime.
type Runtime struct {
	cfg       Config
	log       *slog.Logger
	functions *lambdarun.Service
	gateway   *apigw.Gateway
	scheduler *schedule.Scheduler
	evaluator *alarms.Evaluator
	sns       *snsdeliver.Deliverer
	mappings  *sqsmap.Deliverer
	mux       *http.ServeMux
}

// AWSConfig is the SDK configuration for the emulator: its endpoint, the region, dummy
// credentials (never the developer's real ones).
func AWSConfig(cfg Config) aws.Config {
	return aws.Config{
		Region:           cfg.Region,
		Credentials:      credentials.NewStaticCredentialsProvider("localrun", "localrun", ""),
		BaseEndpoint:     aws.String(cfg.Endpoint),
		RetryMaxAttempts: 3,
	}
}

// New wires the runtime. terminal receives the functions' output, prefixed by function name.
func New(cfg Config, log *slog.Logger, terminal io.Writer) *Runtime {
	awsCfg := AWSConfig(cfg)
	sqsClient := sqs.NewFromConfig(awsCfg)
	cw := cloudwatch.NewFromConfig(awsCfg, cwquery.Option)
	certFile := ""
	if cfg.ExtraCA != "" {
		certFile = filepath.Join(cfg.StateDir, CABundleName)
	}
	lambdaClient := lambda.NewFromConfig(awsCfg)
	functions := lambdarun.New(lambdaClient, sqsClient, lambdarun.Options{
		CertFile:     certFile,
		Metrics:      cw,
		ArtifactsDir: cfg.ArtifactsDir,
		StateDir:     cfg.StateDir,
		Endpoint:     cfg.Endpoint,
		Region:       cfg.Region,
		MaxInstances: cfg.MaxInstances,
		RetryDelay:   cfg.RetryDelay,
		Terminal:     terminal,
		Logger:       log.With("part", "lambda"),
	})
	publisher := snsdeliver.New(sns.NewFromConfig(awsCfg), sqsClient, functions, cfg.Region, log.With("part", "sns"))
	r := &Runtime{
		cfg:       cfg,
		log:       log,
		functions: functions,
		gateway:   apigw.New(apigateway.NewFromConfig(awsCfg), functions, cfg.APICacheTTL, log.With("part", "apigateway")),
		scheduler: schedule.New(eventbridge.NewFromConfig(awsCfg), functions, cfg.Region, log.With("part", "events")),
		evaluator: alarms.New(cw, publisher, cfg.Region, log.With("part", "alarms")),
		sns:       publisher,
		mappings:  sqsmap.New(lambdaClient, sqsClient, functions, log.With("part", "sqs")),
	}
	r.scheduler.AfterFire = func(ctx context.Context) { r.evaluateAlarms(ctx, false) }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_local/health", r.health)
	mux.HandleFunc("POST /_local/schedules/fire", r.fire)
	mux.HandleFunc("POST /_local/alarms/evaluate", r.evaluate)
	mux.HandleFunc("POST /_local/sns/redeliver", r.redeliver)
	mux.HandleFunc("/_local/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "control endpoints: GET /_local/health, POST /_local/schedules/fire[?rule=name], " +
			"POST /_local/alarms/evaluate, POST /_local/sns/redeliver?message_id=<id>"})
	})
	mux.Handle("POST /2015-03-31/functions/{name}/invocations", functions.InvokeHandler())
	mux.Handle("/", r.gateway)
	r.mux = mux
	return r
}

// Run serves on cfg.Listen and runs the schedules, the SQS event source mappings and the alarm
// evaluation until ctx ends, then
// stops every function process.
func (r *Runtime) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", r.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", r.cfg.Listen, err)
	}
	return r.Serve(ctx, ln)
}

// Serve is Run on an existing listener.
func (r *Runtime) Serve(ctx context.Context, ln net.Listener) error {
	if r.cfg.ExtraCA != "" {
		// Before any function starts: each gets the bundle as SSL_CERT_FILE.
		path, system, err := WriteCABundle(r.cfg.ExtraCA, r.cfg.StateDir, append([]string{os.Getenv("SSL_CERT_FILE")}, systemBundles...))
		if err != nil {
			_ = ln.Close()
			return err
		}
		if system == "" {
			r.log.WarnContext(ctx, "no system CA bundle found: the functions trust only the extra CA", "bundle", path, "extra_ca", r.cfg.ExtraCA)
		} else {
			r.log.InfoContext(ctx, "functions trust the system CAs and the extra CA (SSL_CERT_FILE)", "bundle", path, "system", system, "extra_ca", r.cfg.ExtraCA)
		}
	}
	// API stages may be called from pages of other origins (the function answers CORS, the API key guards
	// them); the control endpoints and the Invoke API may not.
	stage := func(req *http.Request) bool {
		return !strings.HasPrefix(req.URL.Path, "/_local/") && !strings.HasPrefix(req.URL.Path, "/2015-03-31/")
	}
	handler := loopback.New(ln.Addr()).Wrap(r.mux, stage)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	base := "http://" + ln.Addr().String()
	r.log.InfoContext(ctx, "local runtime ready", "url", base, "emulator", r.cfg.Endpoint, "region", r.cfg.Region,
		"apis", base+"/<api-id>/<stage>/", "health", base+"/_local/health")

	var wg sync.WaitGroup
	wg.Go(func() { r.scheduler.Run(ctx) })
	wg.Go(func() { r.evaluator.Run(ctx, r.cfg.AlarmInterval) })
	wg.Go(func() { r.mappings.Run(ctx) })
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	r.log.Info("shutting down: stopping the server, schedules, SQS event source mappings, alarm evaluation and every function process")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	wg.Wait()
	r.functions.Close(2 * time.Second)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Health is the health report: what was discovered in the emulator.
type Health struct {
	Status    string                     `json:"status"` // ok, or degraded when a part could not be read
	Emulator  string                     `json:"emulator"`
	Region    string                     `json:"region"`
	APIs      []apigw.APIInfo            `json:"apis"`
	Functions []lambdarun.FunctionStatus `json:"functions"`
	Rules     []schedule.Rule            `json:"schedule_rules"`
	Mappings  []sqsmap.Mapping           `json:"sqs_event_source_mappings"`
	Alarms    []alarms.AlarmStatus       `json:"alarms"`
	Errors    map[string]string          `json:"errors,omitempty"`
}

func (r *Runtime) health(w http.ResponseWriter, req *http.Request) {
	ctx := req.Context()
	h := Health{Status: "ok", Emulator: r.cfg.Endpoint, Region: r.cfg.Region, Errors: map[string]string{}}
	var err error
	if h.APIs, err = r.gateway.Describe(ctx, "http://"+req.Host); err != nil {
		h.Errors["apis"] = err.Error()
	}
	if h.Functions, err = r.functions.Describe(ctx); err != nil {
		h.Errors["functions"] = err.Error()
	}
	for _, f := range h.Functions {
		if f.Error != "" {
			h.Errors["function "+f.Name] = f.Error
		}
	}
	if h.Rules, err = r.scheduler.Rules(ctx); err != nil {
		h.Errors["schedule_rules"] = err.Error()
	}
	h.Mappings = r.mappings.Mappings()
	if err := r.mappings.Err(); err != nil {
		h.Errors["sqs_event_source_mappings"] = err.Error()
	}
	h.Alarms = r.evaluator.Status()
	if len(h.Errors) > 0 {
		h.Status = "degraded"
	}
	writeJSON(w, http.StatusOK, h)
}

// FireResponse is what POST /_local/schedules/fire answers.
type FireResponse struct {
	Results     []schedule.Result `json:"results"`
	Transitions []AlarmTransition `json:"alarm_transitions"`
}

func (r *Runtime) fire(w http.ResponseWriter, req *http.Request) {
	ctx := req.Context()
	var names []string
	for _, n := range req.URL.Query()["rule"] {
		for part := range strings.SplitSeq(n, ",") {
			if part = strings.TrimSpace(part); part != "" {
				names = append(names, part)
			}
		}
	}
	results, err := r.scheduler.Fire(ctx, names)
	switch {
	case errors.Is(err, schedule.ErrUnknownRule):
		writeJSON(w, http.StatusNotFound, map[string]string{"message": err.Error()})
		return
	case err != nil:
		r.log.ErrorContext(ctx, "fire schedules", "err", err)
		writeJSON(w, http.StatusBadGateway, map[string]string{"message": "could not read the schedule rules from the emulator: " + err.Error()})
		return
	}
	// A crawl has just published metrics: evaluate the alarms now, as the schedule timer does.
	resp := FireResponse{Results: results, Transitions: r.evaluateAlarms(ctx, true)}
	writeJSON(w, http.StatusOK, resp)
}

// AlarmTransition is a transition with the outcome of each delivery.
type AlarmTransition struct {
	Alarm      string         `json:"alarm"`
	From       string         `json:"from"`
	To         string         `json:"to"`
	Reason     string         `json:"reason"`
	Deliveries []DeliveryInfo `json:"deliveries"`
	Error      string         `json:"error,omitempty"`
}

// DeliveryInfo is one SNS delivery of an alarm notification.
type DeliveryInfo struct {
	Subscription string `json:"subscription"`
	Protocol     string `json:"protocol"`
	Endpoint     string `json:"endpoint"`
	MessageID    string `json:"message_id"`
	RequestID    string `json:"request_id,omitempty"`
	Status       string `json:"status"` // delivered, failed, sent (queued to SQS)
	Error        string `json:"error,omitempty"`
}

// evaluateAlarms runs one evaluation pass; with wait, it also waits for the Lambda deliveries.
func (r *Runtime) evaluateAlarms(ctx context.Context, wait bool) []AlarmTransition {
	trs, err := r.evaluator.EvaluateAll(ctx)
	if err != nil {
		r.log.WarnContext(ctx, "evaluate alarms", "err", err)
	}
	out := make([]AlarmTransition, 0, len(trs))
	for _, tr := range trs {
		out = append(out, AlarmTransition{Alarm: tr.Alarm, From: tr.From, To: tr.To, Reason: tr.Reason, Error: tr.Error,
			Deliveries: deliveryInfos(ctx, tr.Delivered, wait)})
	}
	return out
}

// deliveryInfos reports SNS deliveries; with wait, after their Lambda invocations finished.
func deliveryInfos(ctx context.Context, ds []snsdeliver.Delivery, wait bool) []DeliveryInfo {
	out := make([]DeliveryInfo, 0, len(ds))
	for _, d := range ds {
		di := DeliveryInfo{Subscription: d.SubscriptionARN, Protocol: d.Protocol, Endpoint: d.Endpoint, MessageID: d.MessageID, RequestID: d.RequestID, Status: "sent"}
		switch inv := d.Invocation(); {
		case d.Error != "":
			di.Status, di.Error = "failed", d.Error
		case inv != nil && wait:
			if err := inv.Wait(ctx); err != nil {
				di.Status, di.Error = "failed", err.Error()
			} else if inv.Err != nil {
				di.Status, di.Error = "failed", inv.Err.Error()
			} else if inv.Result.Failed() {
				di.Status, di.Error = "failed", inv.Result.ErrorType
			} else {
				di.Status = "delivered"
			}
		}
		out = append(out, di)
	}
	return out
}

// RedeliverResponse is what POST /_local/sns/redeliver answers.
type RedeliverResponse struct {
	MessageID  string         `json:"message_id"`
	Topic      string         `json:"topic"`
	Deliveries []DeliveryInfo `json:"deliveries"`
}

// redeliver sends a message this runtime published (an alarm notification) again, unchanged, to its
// topic's subscriptions, and answers once the Lambda deliveries finished: SNS's redelivery, on demand.
func (r *Runtime) redeliver(w http.ResponseWriter, req *http.Request) {
	ctx := req.Context()
	id := req.URL.Query().Get("message_id")
	if id == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "message_id is required: the MessageId of a message this runtime published"})
		return
	}
	topic, ds, err := r.sns.Redeliver(ctx, id)
	switch {
	case errors.Is(err, snsdeliver.ErrUnknownMessage):
		writeJSON(w, http.StatusNotFound, map[string]string{"message": err.Error()})
		return
	case err != nil:
		r.log.ErrorContext(ctx, "redeliver", "message_id", id, "err", err)
		writeJSON(w, http.StatusBadGateway, map[string]string{"message": "could not read the topic's subscriptions from the emulator: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, RedeliverResponse{MessageID: id, Topic: topic, Deliveries: deliveryInfos(ctx, ds, true)})
}

func (r *Runtime) evaluate(w http.ResponseWriter, req *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"transitions": r.evaluateAlarms(req.Context(), true)})
}
