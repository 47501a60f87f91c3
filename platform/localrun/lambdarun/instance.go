package lambdarun

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/webhealth/webhealth/platform/localrun/internal/loopback"
)

const (
	// maxResponseBytes is Lambda's synchronous response payload limit.
	maxResponseBytes = 6 * 1024 * 1024
	// initTimeout is Lambda's limit for the init phase of an on-demand instance.
	initTimeout = 10 * time.Second
	// The Runtime API's request and response headers.
	hdrRequestID   = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadline    = "Lambda-Runtime-Deadline-Ms"
	hdrInvokedARN  = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID     = "Lambda-Runtime-Trace-Id"
	hdrErrorType   = "Lambda-Runtime-Function-Error-Type"
	trailerErrType = "Lambda-Runtime-Function-Error-Type"
	trailerErrBody = "Lambda-Runtime-Function-Error-Body"
)

type instState int

const (
	stateStarting instState = iota
	stateFree
	stateBusy
	stateDead
)

// instance is one process running the function's bootstrap, with its own Runtime API server.
type instance struct {
	p      *pool
	n      int
	cmd    *exec.Cmd
	ln     net.Listener
	srv    *http.Server
	stdout *lineWriter
	stderr *lineWriter

	ready     chan struct{} // closed at the runtime's first GET /next (init done)
	readyOnce sync.Once
	exited    chan struct{} // closed when the process has exited
	initStart time.Time

	// Under p.mu.
	initDur     time.Duration
	maxRSS      int64 // bytes, sampled by the memory watcher and at each report
	state       instState
	current     *invocation
	started     time.Time
	timer       *time.Timer
	killReason  string // "timeout", "memory", "init-error", "init-timeout", "retired"
	retireAfter bool
	initErr     *initError
	reported    bool // first REPORT carries the init duration
}

// start launches an instance and waits until its runtime asks for the first invocation.
func (p *pool) start(n int) (*instance, error) {
	select {
	case <-p.closing:
		return nil, errPoolClosed
	default:
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API listener: %w", err)
	}
	in := &instance{p: p, n: n, ln: ln, ready: make(chan struct{}), exited: make(chan struct{}), state: stateStarting}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", in.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", in.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", in.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", in.handleInitError)
	in.srv = &http.Server{Handler: loopback.New(ln.Addr()).Wrap(mux, nil), ReadHeaderTimeout: 10 * time.Second}

	in.stdout = &lineWriter{sink: p.sink}
	in.stderr = &lineWriter{sink: p.sink}
	// #nosec G204 -- running the deployed function's bootstrap is the local runtime's job; the task root
	// is the extracted zip whose CodeSha256 matched what the emulator reports as deployed.
	cmd := exec.Command(filepath.Join(p.taskRoot, "bootstrap"))
	cmd.Dir = p.taskRoot
	cmd.Env = buildEnv(envInput{
		fn:         p.fn,
		runtimeAPI: ln.Addr().String(),
		taskRoot:   p.taskRoot,
		logStream:  logStreamName(time.Now(), p.fn.Version),
		region:     p.opts.Region,
		endpoint:   p.opts.Endpoint,
		path:       os.Getenv("PATH"),
		certFile:   p.opts.CertFile,
	})
	cmd.Stdout, cmd.Stderr = in.stdout, in.stderr
	cmd.SysProcAttr = sysProcAttr()
	in.cmd = cmd
	in.initStart = time.Now()
	if err := cmd.Start(); err != nil {
		_ = ln.Close()
		return nil, &initError{errType: "Runtime.InvalidEntrypoint", msg: fmt.Sprintf("start bootstrap: %v", err)}
	}
	// Serve only now: the listener already queues the runtime's first connection, and the
	// handlers may then use cmd.Process.
	go func() { _ = in.srv.Serve(ln) }()
	p.log.Debug("instance started", "instance", n, "pid", cmd.Process.Pid, "runtime_api", ln.Addr().String())
	p.wg.Add(1)
	go in.wait()
	go in.watchMemory()

	timer := time.NewTimer(initTimeout)
	defer timer.Stop()
	select {
	case <-in.ready:
		return in, nil
	case <-in.exited:
		p.mu.Lock()
		ie := in.initErr
		p.mu.Unlock()
		if ie != nil {
			return nil, ie
		}
		return nil, &initError{errType: "Runtime.ExitError", msg: "Runtime exited with error: " + exitText(cmd)}
	case <-timer.C:
		p.mu.Lock()
		in.killReason = "init-timeout"
		p.mu.Unlock()
		in.kill()
		<-in.exited
		return nil, &initError{errType: "Sandbox.Timedout", msg: fmt.Sprintf("Init phase timed out after %.2f seconds", initTimeout.Seconds())}
	case <-p.closing:
		in.kill()
		return nil, errPoolClosed
	}
}

func exitText(cmd *exec.Cmd) string {
	if cmd.ProcessState == nil {
		return "unknown"
	}
	return cmd.ProcessState.String()
}

// wait reaps the process and fails the invocation it was running, if any.
func (in *instance) wait() {
	p := in.p
	defer p.wg.Done()
	err := in.cmd.Wait()
	in.stdout.flush()
	in.stderr.flush()
	_ = in.srv.Close()
	_ = in.ln.Close() // in case Serve had not started yet
	p.mu.Lock()
	in.state = stateDead
	delete(p.insts, in)
	inv := in.current
	in.current = nil
	if in.timer != nil {
		in.timer.Stop()
	}
	reason := in.killReason
	started := in.started
	p.mu.Unlock()
	close(in.exited)
	p.log.Debug("instance exited", "instance", in.n, "reason", reason, "err", err)
	if inv != nil {
		res := &Result{ExecutedVersion: p.fn.Version, FunctionError: "Unhandled", Duration: time.Since(started)}
		switch reason {
		case "memory":
			res.ErrorType = "Runtime.OutOfMemory"
			res.Payload = errorPayload(res.ErrorType, inv.id, "Runtime exited with error: "+exitText(in.cmd))
		default:
			res.ErrorType = "Runtime.ExitError"
			res.Payload = errorPayload(res.ErrorType, inv.id, "Runtime exited with error: "+exitText(in.cmd))
		}
		if inv.finish(res) {
			in.platform("report", inv, res, "error")
		}
	}
	p.mu.Lock()
	p.scaleLocked()
	p.mu.Unlock()
}

// watchMemory kills the process when its resident memory exceeds the function's MemorySize,
// as Lambda does.
func (in *instance) watchMemory() {
	limit := int64(in.p.fn.MemoryMB) << 20
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-in.exited:
			return
		case <-t.C:
			rss, err := readRSS(in.cmd.Process.Pid)
			if err != nil {
				continue
			}
			in.p.mu.Lock()
			if rss > in.maxRSS {
				in.maxRSS = rss
			}
			over := rss > limit
			if over {
				in.killReason = "memory"
			}
			in.p.mu.Unlock()
			if over {
				in.p.log.Warn("function exceeded its memory size; killing the instance",
					"instance", in.n, "rss_mb", rss>>20, "memory_mb", in.p.fn.MemoryMB)
				in.kill()
				return
			}
		}
	}
}

// readRSS reads a process's resident set size from /proc (Linux).
func readRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmRSS")
}

// kill ends the process group at once.
func (in *instance) kill() {
	if in.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
}

// terminate sends SIGTERM to the process group, then SIGKILL after grace.
func (in *instance) terminate(grace time.Duration) {
	if in.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-in.exited:
	case <-time.After(grace):
		in.kill()
		<-in.exited
	}
}

func (in *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	p := in.p
	in.readyOnce.Do(func() {
		p.mu.Lock()
		in.initDur = time.Since(in.initStart)
		p.mu.Unlock()
		close(in.ready)
	})
	p.mu.Lock()
	if in.current != nil {
		// The runtime asked for the next event without answering this one.
		inv := in.current
		in.current = nil
		if in.timer != nil {
			in.timer.Stop()
		}
		p.mu.Unlock()
		inv.finish(&Result{ExecutedVersion: p.fn.Version, FunctionError: "Unhandled", ErrorType: "Runtime.NoResponse",
			Payload: errorPayload("Runtime.NoResponse", inv.id, "the runtime requested the next invocation without responding to this one")})
		p.mu.Lock()
	}
	if in.state == stateBusy {
		in.state = stateFree
	}
	retire := in.retireAfter
	p.mu.Unlock()
	if retire {
		in.kill()
		return
	}
	var inv *invocation
	select {
	case inv = <-p.queue:
	case <-p.closing:
		w.WriteHeader(http.StatusGone)
		go in.kill()
		return
	case <-r.Context().Done():
		return
	}
	p.hook(func(h *poolHooks) {
		if h.taken != nil {
			h.taken()
		}
	})
	now := time.Now()
	deadline := now.Add(p.fn.Timeout)
	p.mu.Lock()
	p.waiting--
	in.state = stateBusy
	in.current = inv
	in.started = now
	in.timer = time.AfterFunc(p.fn.Timeout, func() { in.timedOut(inv) })
	// An invocation that arrived while this instance still counted as free did not start an
	// instance: start it now, rather than leave it queued behind this one.
	p.scaleLocked()
	p.mu.Unlock()
	in.platform("start", inv, nil, "")
	h := w.Header()
	h.Set(hdrRequestID, inv.id)
	h.Set(hdrDeadline, strconv.FormatInt(deadline.UnixMilli(), 10))
	h.Set(hdrInvokedARN, inv.arn)
	h.Set(hdrTraceID, inv.trace)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

// takeCurrent ends the invocation id if it is this instance's current one.
func (in *instance) takeCurrent(id string) (*invocation, time.Time, bool) {
	p := in.p
	p.mu.Lock()
	defer p.mu.Unlock()
	inv := in.current
	if inv == nil || inv.id != id {
		return nil, time.Time{}, false
	}
	in.current = nil
	if in.timer != nil {
		in.timer.Stop()
	}
	if in.state == stateBusy {
		in.state = stateFree
	}
	return inv, in.started, true
}

func (in *instance) handleResponse(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes+1))
	inv, started, ok := in.takeCurrent(r.PathValue("id"))
	if !ok {
		runtimeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	res := &Result{ExecutedVersion: in.p.fn.Version, Duration: time.Since(started)}
	status := http.StatusAccepted
	switch {
	case readErr != nil:
		res.FunctionError, res.ErrorType = "Unhandled", "Runtime.InvalidResponse"
		res.Payload = errorPayload(res.ErrorType, inv.id, "reading the function response: "+readErr.Error())
	case len(body) > maxResponseBytes:
		status = http.StatusRequestEntityTooLarge
		res.FunctionError, res.ErrorType = "Unhandled", "Function.ResponseSizeTooLarge"
		res.Payload, _ = json.Marshal(map[string]string{"errorType": res.ErrorType,
			"errorMessage": fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxResponseBytes)})
	case r.Trailer.Get(trailerErrType) != "":
		// aws-lambda-go reports a failure while streaming the response in trailers.
		res.FunctionError, res.ErrorType = "Unhandled", r.Trailer.Get(trailerErrType)
		res.Payload, _ = base64.StdEncoding.DecodeString(r.Trailer.Get(trailerErrBody))
	default:
		res.Payload = body
	}
	if status == http.StatusAccepted {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"status":"OK"}`))
	} else {
		runtimeAPIError(w, status, res.ErrorType, "response too large")
	}
	in.complete(inv, res)
}

func (in *instance) handleError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes))
	inv, started, ok := in.takeCurrent(r.PathValue("id"))
	if !ok {
		runtimeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	res := &Result{ExecutedVersion: in.p.fn.Version, Duration: time.Since(started), FunctionError: "Unhandled", Payload: body}
	res.ErrorType = r.Header.Get(hdrErrorType)
	var e struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(body, &e) == nil && e.ErrorType != "" {
		res.ErrorType = e.ErrorType
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
	in.complete(inv, res)
}

func (in *instance) complete(inv *invocation, res *Result) {
	if inv.finish(res) {
		status := "success"
		if res.Failed() {
			status = "error"
		}
		in.platform("report", inv, res, status)
	}
	in.p.mu.Lock()
	retire := in.retireAfter
	in.p.mu.Unlock()
	if retire {
		in.kill()
	}
}

func (in *instance) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes))
	errType := r.Header.Get(hdrErrorType)
	if errType == "" {
		errType = "Runtime.Unknown"
	}
	in.p.mu.Lock()
	in.initErr = &initError{errType: errType, body: body}
	in.killReason = "init-error"
	in.p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
	// Lambda resets the environment after an init error.
	go in.kill()
}

func (in *instance) timedOut(inv *invocation) {
	p := in.p
	p.mu.Lock()
	if in.current != inv {
		p.mu.Unlock()
		return
	}
	in.current = nil
	in.killReason = "timeout"
	started := in.started
	p.mu.Unlock()
	res := &Result{ExecutedVersion: p.fn.Version, FunctionError: "Unhandled", ErrorType: "Sandbox.Timedout",
		Duration: time.Since(started),
		Payload:  errorPayload("Sandbox.Timedout", inv.id, fmt.Sprintf("Task timed out after %.2f seconds", p.fn.Timeout.Seconds()))}
	if inv.finish(res) {
		in.platform("report", inv, res, "timeout")
	}
	p.log.Warn("function timed out; killing the instance", "instance", in.n, "request_id", inv.id, "timeout", p.fn.Timeout)
	in.kill()
}

// platform writes Lambda's START / END / REPORT lines (or platform.* JSON records) to the log.
func (in *instance) platform(kind string, inv *invocation, res *Result, status string) {
	p := in.p
	jsonFormat := strings.EqualFold(p.fn.LogFormat, "JSON")
	now := time.Now().UTC()
	if kind == "start" {
		if jsonFormat {
			in.jsonRecord(now, "platform.start", map[string]any{"requestId": inv.id, "version": p.fn.Version})
		} else {
			p.sink.printf("START RequestId: %s Version: %s", inv.id, p.fn.Version)
		}
		return
	}
	rss, _ := readRSS(in.cmd.Process.Pid) // short invocations end between two samples of the watcher
	p.mu.Lock()
	if rss > in.maxRSS {
		in.maxRSS = rss
	}
	maxMB := in.maxRSS >> 20
	var initDur time.Duration
	if !in.reported {
		in.reported = true
		initDur = in.initDur
	}
	p.mu.Unlock()
	ms := float64(res.Duration.Microseconds()) / 1000
	billed := int64(ms + 0.999)
	if jsonFormat {
		metrics := map[string]any{"durationMs": ms, "billedDurationMs": billed, "memorySizeMB": p.fn.MemoryMB, "maxMemoryUsedMB": maxMB}
		if initDur > 0 {
			metrics["initDurationMs"] = float64(initDur.Microseconds()) / 1000
		}
		in.jsonRecord(now, "platform.report", map[string]any{"requestId": inv.id, "metrics": metrics, "status": status})
		return
	}
	p.sink.printf("END RequestId: %s", inv.id)
	line := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
		inv.id, ms, billed, p.fn.MemoryMB, maxMB)
	if initDur > 0 {
		line += fmt.Sprintf("\tInit Duration: %.2f ms", float64(initDur.Microseconds())/1000)
	}
	if status == "timeout" {
		line += "\tStatus: timeout"
	}
	p.sink.printf("%s", line)
}

func (in *instance) jsonRecord(now time.Time, typ string, record map[string]any) {
	b, _ := json.Marshal(map[string]any{"time": now.Format("2006-01-02T15:04:05.000Z"), "type": typ, "record": record})
	in.p.sink.line(append(b, '\n'))
}

func runtimeAPIError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": errType, "errorMessage": msg})
}
