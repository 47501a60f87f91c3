//go:build bench

package bench

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webhealth/webhealth/internal/testutil/percentile"
)

// bootstrapDirEnv points BenchmarkColdStart at prebuilt host binaries, <dir>/<fn>/bootstrap (e.g.
// build/amd64 after `make build ARCH=$(go env GOARCH)`); unset, it builds them like the Makefile.
const bootstrapDirEnv = "BENCH_BOOTSTRAP_DIR"

// coldStartTimeout bounds one start: Lambda's init limit is 10 s, a first crawl of nothing takes ms.
const coldStartTimeout = 30 * time.Second

// Names of the resources the functions are configured with; the loopback AWS endpoint checks that
// the calls name them.
const (
	coldStartURLsTable   = "webhealth-bench-urls"
	coldStartAlarmsTable = "webhealth-bench-alarms"
)

// coldStartFunction is one function with the environment Terraform gives it and its first event.
type coldStartFunction struct {
	name string
	env  map[string]string
	// event is the first invocation's payload, a file in testdata/.
	event string
	// calls are the AWS operations ("<service>.<operation> [table]") the first invocation makes,
	// each at least once; any other call fails the benchmark.
	calls []string
	// check judges the function's response payload.
	check func(payload []byte) error
}

// The first events exercise the handler end to end without letting I/O dominate the figure: every
// AWS call goes to a loopback endpoint in this process that answers at once (coldStartAWS), so what
// is measured is the binary's start, the runtime, the handler and the SDK's first request, not
// an emulator's latency.
//   - urlapi: API Gateway's own sample proxy event (aws-lambda-go events/testdata/apigw-request.json,
//     POST /hello/world through /{proxy+}), an unknown route: routing, the JSON 404, no AWS call.
//   - alarmlogger: the SNS delivery of a webhealth availability alarm (internal/alarmlog's testdata):
//     parse the CloudWatch notification, one DynamoDB PutItem into the alarm table.
//   - crawler: EventBridge's scheduled event on an empty URL table (a fresh deployment): the scan
//     (DynamoDB Scan), the alarm reconciliation (CloudWatch DescribeAlarms) and the run metrics
//     (PutMetricData, query protocol); no target, so no probe traffic.
var coldStartFunctions = []coldStartFunction{
	{
		name: "crawler",
		env: map[string]string{
			"URLS_TABLE":       coldStartURLsTable,
			"ALARM_TOPIC_ARN":  "arn:aws:sns:us-east-1:123456789012:webhealth-bench-alarms",
			"ALARM_PREFIX":     "webhealth-bench",
			"METRIC_NAMESPACE": "WebHealth/webhealth-bench",
		},
		event: "coldstart-crawler-event.json",
		calls: []string{"DynamoDB.Scan " + coldStartURLsTable, "CloudWatch.DescribeAlarms", "CloudWatch.PutMetricData"},
		check: func(payload []byte) error {
			var sum map[string]any
			if err := json.Unmarshal(payload, &sum); err != nil {
				return fmt.Errorf("the crawl summary is not a JSON object: %w", err)
			}
			return nil
		},
	},
	{
		name: "alarmlogger",
		env: map[string]string{
			"ALARMS_TABLE": coldStartAlarmsTable,
			"ALARM_PREFIX": "webhealth-prod", // the prefix of the alarm in the notification
		},
		event: "coldstart-alarmlogger-event.json",
		calls: []string{"DynamoDB.PutItem " + coldStartAlarmsTable},
		check: func(payload []byte) error {
			if s := strings.TrimSpace(string(payload)); s != "null" {
				return fmt.Errorf("want the empty response of an error-free handler, got %s", s)
			}
			return nil
		},
	},
	{
		name: "urlapi",
		env: map[string]string{
			"URLS_TABLE":   coldStartURLsTable,
			"ALARMS_TABLE": coldStartAlarmsTable,
		},
		event: "coldstart-urlapi-event.json",
		check: func(payload []byte) error {
			var resp struct {
				StatusCode int    `json:"statusCode"`
				Body       string `json:"body"`
			}
			if err := json.Unmarshal(payload, &resp); err != nil {
				return fmt.Errorf("not an API Gateway proxy response: %w", err)
			}
			if resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Body, `"not_found"`) {
				return fmt.Errorf("want the JSON 404 of an unknown route, got %d %s", resp.StatusCode, resp.Body)
			}
			return nil
		},
	},
}

// BenchmarkColdStart starts each function's bootstrap (host architecture) as Lambda does, b.N times:
// a fresh process with a Lambda Runtime API server of its own and the environment Lambda gives a
// function (region, the execution role's keys, the function's variables; AWS_CA_BUNDLE unset, as in
// Lambda), and one invocation. It reports, over the b.N starts:
//   - start-ms-p50, start-ms-p90: process start to the first invocation's response reaching the
//     Runtime API (fork/exec, Go runtime and package init, main's wiring, the handler);
//   - ready-ms: median process start to the runtime's first GET /next, Lambda's Init Duration;
//   - init-ms: median of the summed package init clock times GODEBUG=inittrace=1 prints, from a
//     second, untimed start per iteration (tracing slows the start it traces);
//   - cpu-ms, runq-ms (Linux): median CPU time the process used by its answer, and time its threads
//     waited for a CPU; on a busy machine start-ms grows by about runq-ms, cpu-ms does not.
//
// Targets: start-ms-p50 <= 10, init-ms <= 5. Run it with e.g. -benchtime=20x. The binaries come from
// $BENCH_BOOTSTRAP_DIR/<fn>/bootstrap, else they are built into a temporary directory with the
// Makefile's flags.
func BenchmarkColdStart(b *testing.B) {
	binaries := coldStartBinaries(b)
	for _, fn := range coldStartFunctions {
		b.Run("fn="+fn.name, func(b *testing.B) {
			bin := binaries(b, fn.name)
			event, err := os.ReadFile(filepath.Join("testdata", fn.event))
			if err != nil {
				b.Fatal(err)
			}
			fake := newColdStartAWS()
			awsSrv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go func() { _ = awsSrv.Serve(ln) }()
			b.Cleanup(func() { _ = awsSrv.Close() })

			var ready, answered, cpu, runq []time.Duration
			var inits []float64
			b.StopTimer() // only start -> answer is timed: ns/op is its mean
			for range b.N {
				s, err := coldStartOnce(b, bin, fn, "http://"+ln.Addr().String(), event)
				if err != nil {
					b.Fatalf("%s: %v", fn.name, err)
				}
				initMS, err := coldStartInit(bin, fn, "http://"+ln.Addr().String())
				if err != nil {
					b.Fatalf("%s with GODEBUG=inittrace=1: %v", fn.name, err)
				}
				ready = append(ready, s.ready)
				answered = append(answered, s.answered)
				inits = append(inits, initMS)
				if s.cpu >= 0 {
					cpu, runq = append(cpu, s.cpu), append(runq, s.runq)
				}
			}
			if err := fake.verify(fn.calls, b.N); err != nil {
				b.Fatalf("%s: %v", fn.name, err)
			}
			b.ReportMetric(coldStartMS(percentile.Of(answered, 50)), "start-ms-p50")
			b.ReportMetric(coldStartMS(percentile.Of(answered, 90)), "start-ms-p90")
			b.ReportMetric(coldStartMS(percentile.Of(ready, 50)), "ready-ms")
			b.ReportMetric(percentile.Of(inits, 50), "init-ms")
			if len(cpu) == b.N {
				b.ReportMetric(coldStartMS(percentile.Of(cpu, 50)), "cpu-ms")
				b.ReportMetric(coldStartMS(percentile.Of(runq, 50)), "runq-ms")
			}
		})
	}
}

// coldStartSample is one start.
type coldStartSample struct {
	ready    time.Duration // process start -> first GET /next
	answered time.Duration // process start -> the response arrived
	cpu      time.Duration // CPU time of the process by its answer (-1: unknown)
	runq     time.Duration // time its threads waited for a CPU by then (-1: unknown)
}

// coldStartOnce starts bin with a Runtime API of its own, hands it event and waits for its
// response, which check must accept. The benchmark timer runs from just before the process starts
// until the response arrives.
func coldStartOnce(b *testing.B, bin string, fn coldStartFunction, awsEndpoint string, event []byte) (coldStartSample, error) {
	rt := newColdStartRuntime(event)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return coldStartSample{}, err
	}
	srv := &http.Server{Handler: rt.mux(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	cmd := exec.Command(bin)
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = coldStartEnv(fn, ln.Addr().String(), awsEndpoint, cmd.Dir, false)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	b.StartTimer()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.StopTimer()
		return coldStartSample{}, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var res coldStartResult
	select {
	case res = <-rt.results:
		b.StopTimer()
	case err := <-exited:
		b.StopTimer()
		return coldStartSample{}, fmt.Errorf("the process exited before answering (%v)\n%s", err, coldStartTail(&stdout, &stderr))
	case <-time.After(coldStartTimeout):
		b.StopTimer()
		_ = cmd.Process.Kill()
		<-exited
		return coldStartSample{}, fmt.Errorf("no response within %s\n%s", coldStartTimeout, coldStartTail(&stdout, &stderr))
	}
	cpu, runq := coldStartSchedstat(cmd.Process.Pid)
	// The runtime now waits for the next event; Lambda would freeze it, the benchmark ends it.
	_ = cmd.Process.Kill()
	<-exited
	if res.failure != "" {
		return coldStartSample{}, fmt.Errorf("the function reported %s: %s\n%s", res.failure, res.body, coldStartTail(&stdout, &stderr))
	}
	if err := fn.check(res.body); err != nil {
		return coldStartSample{}, err
	}
	return coldStartSample{ready: rt.readyAt().Sub(start), answered: res.at.Sub(start), cpu: cpu, runq: runq}, nil
}

// coldStartInit starts bin once more with GODEBUG=inittrace=1 and returns the summed package init
// clock time once the runtime asks for its first event. It is a run of its own, untimed: the
// runtime writes each trace line in many unbuffered writes to stderr, which would inflate start-ms.
func coldStartInit(bin string, fn coldStartFunction, awsEndpoint string) (float64, error) {
	rt := newColdStartRuntime(nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: rt.mux(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	cmd := exec.Command(bin)
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = coldStartEnv(fn, ln.Addr().String(), awsEndpoint, cmd.Dir, true)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-rt.readyCh:
		_ = cmd.Process.Kill()
		<-exited
	case err := <-exited:
		return 0, fmt.Errorf("the process exited before asking for an event (%v)\n%s", err, coldStartTail(&stdout, &stderr))
	case <-time.After(coldStartTimeout):
		_ = cmd.Process.Kill()
		<-exited
		return 0, fmt.Errorf("no request for an event within %s\n%s", coldStartTimeout, coldStartTail(&stdout, &stderr))
	}
	return coldStartInitMS(stderr.String())
}

// coldStartSchedstat sums, over the threads of process pid, the time they ran and the time they
// waited to run (Linux /proc/<pid>/task/<tid>/schedstat); -1, -1 where that is not available.
func coldStartSchedstat(pid int) (cpu, runq time.Duration) {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if len(files) == 0 {
		return -1, -1
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return -1, -1
		}
		var run, wait int64
		if _, err := fmt.Sscan(string(b), &run, &wait); err != nil {
			return -1, -1
		}
		cpu += time.Duration(run)
		runq += time.Duration(wait)
	}
	return cpu, runq
}

// coldStartEnv is the environment Lambda gives the function (not this process's: no AWS_CA_BUNDLE,
// no developer credentials), its configuration, the loopback AWS endpoint and, when trace is set,
// GODEBUG=inittrace=1.
func coldStartEnv(fn coldStartFunction, runtimeAPI, awsEndpoint, taskRoot string, trace bool) []string {
	name := "webhealth-bench-" + fn.name
	env := map[string]string{
		"_HANDLER":                        "bootstrap",
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_LAMBDA_FUNCTION_NAME":        name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
		"AWS_LAMBDA_LOG_FORMAT":           "JSON",
		"AWS_LAMBDA_LOG_LEVEL":            "INFO",
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"AWS_ACCESS_KEY_ID":               "ASIABENCH",
		"AWS_SECRET_ACCESS_KEY":           "bench",
		"AWS_SESSION_TOKEN":               "bench",
		"AWS_ENDPOINT_URL":                awsEndpoint,
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              taskRoot,
		"LANG":                            "en_US.UTF-8",
		"PATH":                            "/usr/local/bin:/usr/bin/:/bin",
		"TZ":                              ":UTC",
	}
	if trace {
		env["GODEBUG"] = "inittrace=1"
	}
	maps.Copy(env, fn.env)
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// coldStartInitMS sums the clock times of the "init <package> @<t> ms, <clock> ms clock, ..." lines.
func coldStartInitMS(stderr string) (float64, error) {
	var sum float64
	n := 0
	for line := range strings.Lines(stderr) {
		f := strings.Fields(line)
		if len(f) < 7 || f[0] != "init" || f[5] != "ms" || f[6] != "clock," {
			continue
		}
		ms, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			return 0, fmt.Errorf("inittrace line %q: %w", strings.TrimSpace(line), err)
		}
		sum += ms
		n++
	}
	if n == 0 {
		return 0, errors.New("no inittrace line on stderr: was GODEBUG=inittrace=1 honoured?")
	}
	return sum, nil
}

// coldStartTail is the end of the process's output, for failure messages.
func coldStartTail(stdout, stderr *bytes.Buffer) string {
	tail := func(s string) string {
		if len(s) > 2000 {
			return "..." + s[len(s)-2000:]
		}
		return s
	}
	var lines []string
	for line := range strings.Lines(stderr.String()) {
		if !strings.HasPrefix(line, "init ") {
			lines = append(lines, line)
		}
	}
	return "stdout: " + tail(stdout.String()) + "\nstderr (inittrace omitted): " + tail(strings.Join(lines, ""))
}

// coldStartResult is the function's answer to the first invocation.
type coldStartResult struct {
	at      time.Time
	body    []byte
	failure string // "" (response), "invocation error: <type>", "init error: <type>"
}

// coldStartRuntime is a Lambda Runtime API (2018-06-01) for one process and one invocation (none
// when the event is nil: it only notes that the runtime is ready).
type coldStartRuntime struct {
	event   []byte
	results chan coldStartResult
	readyCh chan struct{} // closed at the first GET /next

	mu    sync.Mutex
	ready time.Time
	sent  bool
}

const coldStartRequestID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"

func newColdStartRuntime(event []byte) *coldStartRuntime {
	return &coldStartRuntime{event: event, results: make(chan coldStartResult, 1), readyCh: make(chan struct{})}
}

func (rt *coldStartRuntime) readyAt() time.Time {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.ready
}

func (rt *coldStartRuntime) mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /2018-06-01/runtime/invocation/next", rt.next)
	m.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		rt.finish(w, r, "")
	})
	m.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) {
		rt.finish(w, r, "invocation error: "+r.Header.Get("Lambda-Runtime-Function-Error-Type"))
	})
	m.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		rt.finish(w, r, "init error: "+r.Header.Get("Lambda-Runtime-Function-Error-Type"))
	})
	return m
}

// next hands out the event once; later calls wait, as Lambda's would until the next invocation.
func (rt *coldStartRuntime) next(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	rt.mu.Lock()
	first := !rt.sent
	if first {
		rt.sent, rt.ready = true, now
		close(rt.readyCh)
	}
	rt.mu.Unlock()
	if !first || rt.event == nil {
		<-r.Context().Done()
		return
	}
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", coldStartRequestID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(now.Add(time.Minute).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:webhealth-bench")
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0")
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(rt.event)
}

func (rt *coldStartRuntime) finish(w http.ResponseWriter, r *http.Request, failure string) {
	at := time.Now()
	body, _ := io.ReadAll(r.Body)
	if id := r.PathValue("id"); id != "" && id != coldStartRequestID {
		failure = "an answer to unknown request " + id
	}
	w.WriteHeader(http.StatusAccepted)
	select {
	case rt.results <- coldStartResult{at: at, body: body, failure: failure}:
	default: // only the first answer counts
	}
}

// coldStartAWS answers the AWS calls of a first invocation at once, as an empty account would:
// DynamoDB (JSON protocol: Scan of an empty table, PutItem) and CloudWatch (query protocol:
// DescribeAlarms without alarms, PutMetricData). It records every call; an operation it does not
// serve is answered 400 and recorded as unexpected.
type coldStartAWS struct {
	mu         sync.Mutex
	calls      map[string]int
	unexpected []string
}

func newColdStartAWS() *coldStartAWS { return &coldStartAWS{calls: map[string]int{}} }

const cloudWatchXMLNS = "http://monitoring.amazonaws.com/doc/2010-08-01/"

func (f *coldStartAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); strings.HasPrefix(target, "DynamoDB_20120810.") {
		op := strings.TrimPrefix(target, "DynamoDB_20120810.")
		var in struct{ TableName string }
		_ = json.Unmarshal(raw, &in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		switch op {
		case "Scan":
			f.record("DynamoDB.Scan "+in.TableName, true)
			_, _ = io.WriteString(w, `{"Count":0,"Items":[],"ScannedCount":0}`)
		case "PutItem":
			f.record("DynamoDB.PutItem "+in.TableName, true)
			_, _ = io.WriteString(w, `{}`)
		default:
			f.record("DynamoDB."+op, false)
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"com.amazon.coral.validate#ValidationException","message":"not served by the cold-start benchmark"}`)
		}
		return
	}
	form, err := url.ParseQuery(string(raw))
	action := form.Get("Action")
	if err != nil || action == "" {
		f.record(fmt.Sprintf("unknown request %s %s", r.Method, r.URL), false)
		http.Error(w, "not an AWS request the cold-start benchmark serves", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	switch action {
	case "DescribeAlarms":
		f.record("CloudWatch.DescribeAlarms", true)
		_, _ = fmt.Fprintf(w, `<DescribeAlarmsResponse xmlns=%q><DescribeAlarmsResult><MetricAlarms/><CompositeAlarms/></DescribeAlarmsResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeAlarmsResponse>`, cloudWatchXMLNS)
	case "PutMetricData":
		f.record("CloudWatch.PutMetricData", true)
		_, _ = fmt.Fprintf(w, `<PutMetricDataResponse xmlns=%q><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></PutMetricDataResponse>`, cloudWatchXMLNS)
	default:
		f.record("CloudWatch."+action, false)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `<ErrorResponse xmlns=%q><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>not served by the cold-start benchmark</Message></Error><RequestId>1</RequestId></ErrorResponse>`, cloudWatchXMLNS)
	}
}

func (f *coldStartAWS) record(call string, served bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[call]++
	if !served {
		f.unexpected = append(f.unexpected, call)
	}
}

// verify checks that runs starts made each of want at least once per start, and nothing else.
func (f *coldStartAWS) verify(want []string, runs int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.unexpected) > 0 {
		return fmt.Errorf("calls the benchmark does not serve: %v (all calls: %v)", f.unexpected, f.calls)
	}
	for _, c := range want {
		if f.calls[c] < runs {
			return fmt.Errorf("%d starts made %q %d times, want at least once each (all calls: %v)", runs, c, f.calls[c], f.calls)
		}
	}
	for c := range f.calls {
		if !slices.Contains(want, c) {
			return fmt.Errorf("unexpected call %q (all calls: %v)", c, f.calls)
		}
	}
	return nil
}

// coldStartBinaries returns a function giving the host-architecture bootstrap of a function: from
// $BENCH_BOOTSTRAP_DIR, else built once per benchmark run with the Makefile's flags.
func coldStartBinaries(b *testing.B) func(b *testing.B, fn string) string {
	if dir := os.Getenv(bootstrapDirEnv); dir != "" {
		return func(b *testing.B, fn string) string {
			bin := filepath.Join(dir, fn, "bootstrap")
			if _, err := os.Stat(bin); err != nil {
				b.Fatalf("%s=%s: %v (it must hold <function>/bootstrap built for %s/%s)", bootstrapDirEnv, dir, err, runtime.GOOS, runtime.GOARCH)
			}
			return bin
		}
	}
	root, err := benchRepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	out := b.TempDir() // the parent's: it outlives the sub-benchmarks' repeated runs
	var mu sync.Mutex
	built := map[string]string{}
	return func(b *testing.B, fn string) string {
		mu.Lock()
		defer mu.Unlock()
		if bin, ok := built[fn]; ok {
			return bin
		}
		bin := filepath.Join(out, fn, "bootstrap")
		// The Makefile's build rule for the host: CGO off, -trimpath, lambda.norpc, stripped.
		cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc",
			"-ldflags", "-s -w -buildid=", "-o", bin, "./cmd/"+fn)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("build %s: %v\n%s", fn, err, msg)
		}
		built[fn] = bin
		return bin
	}
}

// coldStartMS is d in milliseconds.
func coldStartMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
