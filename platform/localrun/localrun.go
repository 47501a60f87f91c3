// Package localrun is the local runtime of the webhealth stack: around the AWS emulator (moto),
// it plays what the emulator cannot — it runs the deployed Lambda functions, serves the REST API
// stages, fires the EventBridge schedules, delivers SQS queues to functions through their event
// source mappings, evaluates the CloudWatch alarms and delivers their notifications through SNS, and
// replicates DynamoDB global tables between regions (platform/localrun/replicate). Everything it
// serves is read back from the emulator through the AWS APIs, so it runs what Terraform deployed, not
// a copy of the wiring.
//
// It plays all of that in every region of Config.Regions (the home region first): each region's
// functions run with their own AWS_REGION, its API stages are served on the one port (an API id
// belongs to one region), its schedules fire, its alarms are evaluated and its topics delivered there.
// The Invoke API runs the function of the region the request is signed for (or its ARN names).
//
// One port serves:
//   - /<api-id>/<stage>/<resource path>: every REST API stage (API Gateway's behaviour);
//   - /2015-03-31/functions/<name>/invocations: Lambda's Invoke API;
//   - /_local/health, /_local/schedules/fire, /_local/alarms/evaluate, /_local/sns/redeliver,
//     /_local/replication/sync: control endpoints.
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
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/webhealth/webhealth/internal/awsconfig/cwquery"
	"github.com/webhealth/webhealth/platform/localrun/alarms"
	"github.com/webhealth/webhealth/platform/localrun/apigw"
	"github.com/webhealth/webhealth/platform/localrun/internal/loopback"
	"github.com/webhealth/webhealth/platform/localrun/lambdarun"
	"github.com/webhealth/webhealth/platform/localrun/replicate"
	"github.com/webhealth/webhealth/platform/localrun/schedule"
	"github.com/webhealth/webhealth/platform/localrun/snsdeliver"
	"github.com/webhealth/webhealth/platform/localrun/sqsmap"
)

// Runtime is the wired local runtime.
type Runtime struct {
	cfg        Config
	log        *slog.Logger
	regions    []*regionRuntime // cfg.Regions, the home region first
	replicator *replicate.Replicator
	mux        *http.ServeMux
}

// regionRuntime is what the runtime plays in one region: its functions (with that AWS_REGION), API
// stages, schedules, SQS event source mappings, alarms and SNS deliveries.
type regionRuntime struct {
	name      string
	functions *lambdarun.Service
	gateway   *apigw.Gateway
	scheduler *schedule.Scheduler
	evaluator *alarms.Evaluator
	sns       *snsdeliver.Deliverer
	mappings  *sqsmap.Deliverer
}

// AWSConfig is the SDK configuration for the emulator: its endpoint, the (home) region, dummy
// credentials (never the developer's real ones).
func AWSConfig(cfg Config) aws.Config {
	return regionConfig(cfg, cfg.Region)
}

func regionConfig(cfg Config, region string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider("localrun", "localrun", ""),
		BaseEndpoint:     aws.String(cfg.Endpoint),
		RetryMaxAttempts: 3,
	}
}

// ReplicationStateFile is the replicator's state (stream positions, remembered writes) under StateDir.
const ReplicationStateFile = "replication.json"

// New wires the runtime. terminal receives the functions' output, prefixed by function name.
func New(cfg Config, log *slog.Logger, terminal io.Writer) *Runtime {
	if len(cfg.Regions) == 0 {
		cfg.Regions = []string{cfg.Region}
	}
	certFile := ""
	if cfg.ExtraCA != "" {
		certFile = filepath.Join(cfg.StateDir, CABundleName)
	}
	r := &Runtime{cfg: cfg, log: log}
	var replicas []replicate.Region
	for _, region := range cfg.Regions {
		awsCfg := regionConfig(cfg, region)
		rlog := log
		if len(cfg.Regions) > 1 {
			rlog = log.With("region", region)
		}
		sqsClient := sqs.NewFromConfig(awsCfg)
		cw := cloudwatch.NewFromConfig(awsCfg, cwquery.Option)
		lambdaClient := lambda.NewFromConfig(awsCfg)
		functions := lambdarun.New(lambdaClient, sqsClient, lambdarun.Options{
			CertFile:     certFile,
			Metrics:      cw,
			ArtifactsDir: cfg.ArtifactsDir,
			StateDir:     cfg.StateDir,
			Endpoint:     cfg.Endpoint,
			Region:       region,
			MaxInstances: cfg.MaxInstances,
			RetryDelay:   cfg.RetryDelay,
			Terminal:     terminal,
			Logger:       rlog.With("part", "lambda"),
		})
		publisher := snsdeliver.New(sns.NewFromConfig(awsCfg), sqsClient, functions, region, rlog.With("part", "sns"))
		rr := &regionRuntime{
			name:      region,
			functions: functions,
			gateway:   apigw.New(apigateway.NewFromConfig(awsCfg), functions, cfg.APICacheTTL, rlog.With("part", "apigateway")),
			scheduler: schedule.New(eventbridge.NewFromConfig(awsCfg), functions, region, rlog.With("part", "events")),
			evaluator: alarms.New(cw, publisher, region, rlog.With("part", "alarms")),
			sns:       publisher,
			mappings:  sqsmap.New(lambdaClient, sqsClient, functions, rlog.With("part", "sqs")),
		}
		rr.scheduler.AfterFire = func(ctx context.Context) { r.evaluateAlarms(ctx, rr, false) }
		r.regions = append(r.regions, rr)
		replicas = append(replicas, replicate.Region{Name: region, DynamoDB: dynamodb.NewFromConfig(awsCfg), Streams: dynamodbstreams.NewFromConfig(awsCfg)})
	}
	r.replicator = replicate.New(replicas, filepath.Join(cfg.StateDir, ReplicationStateFile), log.With("part", "replication"))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_local/health", r.health)
	mux.HandleFunc("POST /_local/schedules/fire", r.fire)
	mux.HandleFunc("POST /_local/alarms/evaluate", r.evaluate)
	mux.HandleFunc("POST /_local/sns/redeliver", r.redeliver)
	mux.HandleFunc("POST /_local/replication/sync", r.syncReplication)
	mux.HandleFunc("/_local/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "control endpoints: GET /_local/health, POST /_local/schedules/fire[?rule=name][&region=name], " +
			"POST /_local/alarms/evaluate[?region=name], POST /_local/sns/redeliver?message_id=<id>, POST /_local/replication/sync"})
	})
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, req *http.Request) {
		r.invokeRegion(req).functions.InvokeHandler().ServeHTTP(w, req)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		r.apiRegion(req).gateway.ServeHTTP(w, req)
	})
	r.mux = mux
	return r
}

// home is the home region's runtime.
func (r *Runtime) home() *regionRuntime { return r.regions[0] }

// invokeRegion is the region of a Lambda Invoke API call: the function ARN's, else the region of
// the request's SigV4 credential scope (what the SDK signs for), else the home region.
func (r *Runtime) invokeRegion(req *http.Request) *regionRuntime {
	name, _ := url.PathUnescape(req.PathValue("name"))
	if parts := strings.Split(name, ":"); len(parts) > 3 && parts[0] == "arn" {
		if rr := r.region(parts[3]); rr != nil {
			return rr
		}
	}
	if rr := r.region(signedRegion(req.Header.Get("Authorization"))); rr != nil {
		return rr
	}
	return r.home()
}

// signedRegion is the region of a SigV4 Authorization header (Credential=<key>/<date>/<region>/<service>/aws4_request).
func signedRegion(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	if parts := strings.Split(cred, "/"); len(parts) == 5 {
		return parts[2]
	}
	return ""
}

// apiRegion is the region whose emulator has the REST API the path names (/<api-id>/...), else the home region.
func (r *Runtime) apiRegion(req *http.Request) *regionRuntime {
	if len(r.regions) == 1 {
		return r.home()
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, "/"), "/")
	for _, rr := range r.regions {
		if rr.gateway.Has(req.Context(), id) {
			return rr
		}
	}
	return r.home()
}

func (r *Runtime) region(name string) *regionRuntime {
	for _, rr := range r.regions {
		if rr.name == name {
			return rr
		}
	}
	return nil
}

// selected is the regions a control request names (?region=a,b; every region when absent).
func (r *Runtime) selected(req *http.Request) ([]*regionRuntime, error) {
	var names []string
	for _, v := range req.URL.Query()["region"] {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				names = append(names, part)
			}
		}
	}
	if len(names) == 0 {
		return r.regions, nil
	}
	var out []*regionRuntime
	for _, n := range names {
		rr := r.region(n)
		if rr == nil {
			return nil, fmt.Errorf("region %q is not served here (regions: %s)", n, strings.Join(r.cfg.Regions, ", "))
		}
		out = append(out, rr)
	}
	return out, nil
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
	r.log.InfoContext(ctx, "local runtime ready", "url", base, "emulator", r.cfg.Endpoint, "regions", strings.Join(r.cfg.Regions, ","),
		"apis", base+"/<api-id>/<stage>/", "health", base+"/_local/health")

	var wg sync.WaitGroup
	for _, rr := range r.regions {
		wg.Go(func() { rr.scheduler.Run(ctx) })
		wg.Go(func() { rr.evaluator.Run(ctx, r.cfg.AlarmInterval) })
		wg.Go(func() { rr.mappings.Run(ctx) })
	}
	wg.Go(func() { r.replicator.Run(ctx) })
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	r.log.Info("shutting down: stopping the server, schedules, SQS event source mappings, alarm evaluation, replication and every function process")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	wg.Wait()
	var closing sync.WaitGroup
	for _, rr := range r.regions {
		closing.Go(func() { rr.functions.Close(2 * time.Second) })
	}
	closing.Wait()
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

// Health is the health report: what was discovered in the emulator, in every region served.
type Health struct {
	Status      string                     `json:"status"` // ok, or degraded when a part could not be read
	Emulator    string                     `json:"emulator"`
	Region      string                     `json:"region"`  // the home region
	Regions     []string                   `json:"regions"` // every region served, the home region first
	APIs        []apigw.APIInfo            `json:"apis"`
	Functions   []lambdarun.FunctionStatus `json:"functions"`
	Rules       []schedule.Rule            `json:"schedule_rules"`
	Mappings    []sqsmap.Mapping           `json:"sqs_event_source_mappings"`
	Alarms      []alarms.AlarmStatus       `json:"alarms"`
	Replication []replicate.Table          `json:"replicated_tables"`
	Errors      map[string]string          `json:"errors,omitempty"`
}

func (r *Runtime) health(w http.ResponseWriter, req *http.Request) {
	ctx := req.Context()
	h := Health{Status: "ok", Emulator: r.cfg.Endpoint, Region: r.cfg.Region, Regions: r.cfg.Regions, APIs: []apigw.APIInfo{},
		Functions: []lambdarun.FunctionStatus{}, Rules: []schedule.Rule{}, Mappings: []sqsmap.Mapping{}, Alarms: []alarms.AlarmStatus{},
		Errors: map[string]string{}}
	multi := len(r.regions) > 1
	label := func(part, region string) string {
		if multi {
			return part + " (" + region + ")"
		}
		return part
	}
	for _, rr := range r.regions {
		apis, err := rr.gateway.Describe(ctx, "http://"+req.Host)
		if err != nil {
			h.Errors[label("apis", rr.name)] = err.Error()
		}
		for _, a := range apis {
			if multi {
				a.Region = rr.name
			}
			h.APIs = append(h.APIs, a)
		}
		fns, err := rr.functions.Describe(ctx)
		if err != nil {
			h.Errors[label("functions", rr.name)] = err.Error()
		}
		for _, f := range fns {
			if f.Error != "" {
				h.Errors["function "+f.Name] = f.Error
			}
		}
		h.Functions = append(h.Functions, fns...)
		rules, err := rr.scheduler.Rules(ctx)
		if err != nil {
			h.Errors[label("schedule_rules", rr.name)] = err.Error()
		}
		h.Rules = append(h.Rules, rules...)
		h.Mappings = append(h.Mappings, rr.mappings.Mappings()...)
		if err := rr.mappings.Err(); err != nil {
			h.Errors[label("sqs_event_source_mappings", rr.name)] = err.Error()
		}
		h.Alarms = append(h.Alarms, rr.evaluator.Status()...)
	}
	h.Replication = r.replicator.Tables()
	if err := r.replicator.Err(); err != nil {
		h.Errors["replication"] = err.Error()
	}
	if len(h.Errors) > 0 {
		h.Status = "degraded"
	}
	writeJSON(w, http.StatusOK, h)
}

// syncReplication replicates the global tables now (rereading the tables, creating missing replicas)
// and answers when done: the stack calls it between the global release and the regional ones.
func (r *Runtime) syncReplication(w http.ResponseWriter, req *http.Request) {
	n, err := r.replicator.Sync(req.Context())
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]any{"message": "replication: " + err.Error(), "records": n, "tables": r.replicator.Tables()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": n, "tables": r.replicator.Tables()})
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
	regions, err := r.selected(req)
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": err.Error()})
		return
	}
	// Each named rule fires in every selected region that has it; a name no region has is unknown.
	plan := map[*regionRuntime][]string{}
	found := map[string]bool{}
	var known []string
	for _, rr := range regions {
		if len(names) == 0 {
			plan[rr] = nil
			continue
		}
		rules, err := rr.scheduler.Rules(ctx)
		if err != nil {
			r.log.ErrorContext(ctx, "read schedule rules", "region", rr.name, "err", err)
			writeJSON(w, http.StatusBadGateway, map[string]string{"message": "could not read the schedule rules from the emulator: " + err.Error()})
			return
		}
		for _, rule := range rules {
			known = append(known, rule.Name)
			if slices.Contains(names, rule.Name) {
				plan[rr] = append(plan[rr], rule.Name)
				found[rule.Name] = true
			}
		}
	}
	for _, n := range names {
		if !found[n] {
			slices.Sort(known)
			writeJSON(w, http.StatusNotFound, map[string]string{"message": fmt.Sprintf("%s: %q (enabled schedule rules: %s)",
				schedule.ErrUnknownRule.Error(), n, strings.Join(slices.Compact(known), ", "))})
			return
		}
	}
	resp := FireResponse{Results: []schedule.Result{}, Transitions: []AlarmTransition{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var fireErr error
	for _, rr := range regions {
		ruleNames, ok := plan[rr]
		if !ok {
			continue
		}
		wg.Go(func() {
			results, err := rr.scheduler.Fire(ctx, ruleNames)
			// A crawl has just published metrics: evaluate the alarms now, as the schedule timer does.
			var trs []AlarmTransition
			if err == nil {
				trs = r.evaluateAlarms(ctx, rr, true)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fireErr = errors.Join(fireErr, fmt.Errorf("%s: %w", rr.name, err))
				return
			}
			resp.Results = append(resp.Results, results...)
			resp.Transitions = append(resp.Transitions, trs...)
		})
	}
	wg.Wait()
	switch {
	case errors.Is(fireErr, schedule.ErrUnknownRule):
		writeJSON(w, http.StatusNotFound, map[string]string{"message": fireErr.Error()})
		return
	case fireErr != nil:
		r.log.ErrorContext(ctx, "fire schedules", "err", fireErr)
		writeJSON(w, http.StatusBadGateway, map[string]string{"message": "could not read the schedule rules from the emulator: " + fireErr.Error()})
		return
	}
	sort.SliceStable(resp.Results, func(i, j int) bool { return resp.Results[i].Rule < resp.Results[j].Rule })
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

// evaluateAlarms runs one evaluation pass of a region; with wait, it also waits for the Lambda deliveries.
func (r *Runtime) evaluateAlarms(ctx context.Context, rr *regionRuntime, wait bool) []AlarmTransition {
	trs, err := rr.evaluator.EvaluateAll(ctx)
	if err != nil {
		r.log.WarnContext(ctx, "evaluate alarms", "region", rr.name, "err", err)
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
	var topic string
	var ds []snsdeliver.Delivery
	var err error
	for _, rr := range r.regions { // a message id is one region's
		if topic, ds, err = rr.sns.Redeliver(ctx, id); !errors.Is(err, snsdeliver.ErrUnknownMessage) {
			break
		}
	}
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
	regions, err := r.selected(req)
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": err.Error()})
		return
	}
	out := []AlarmTransition{}
	for _, rr := range regions {
		out = append(out, r.evaluateAlarms(req.Context(), rr, true)...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"transitions": out})
}
