package lambdarun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/webhealth/webhealth/platform/localrun/internal/ids"
)

// Result is the outcome of one invocation, as Lambda's Invoke API reports it.
type Result struct {
	RequestID       string
	ExecutedVersion string
	Payload         []byte
	// FunctionError is "Unhandled" when the function failed (error response, crash, timeout,
	// out of memory, init failure), empty on success.
	FunctionError string
	// ErrorType is the failure's errorType (e.g. Sandbox.Timedout, Runtime.ExitError).
	ErrorType string
	Duration  time.Duration
}

// Failed reports whether the function failed.
func (r *Result) Failed() bool { return r.FunctionError != "" }

var errPoolClosed = errors.New("function instances are being replaced")

// poolHooks let tests hold a pool at the moments where an invocation and an instance meet, to
// play the interleavings that scheduling makes rare. Any field may be nil; production sets none.
type poolHooks struct {
	queued      func()             // an invocation was counted and the pool scaled for it
	taken       func()             // an instance received an invocation, before it turns busy
	registering func(instance int) // an instance's runtime is ready, before the pool registers it
}

func (p *pool) hook(f func(*poolHooks)) {
	if p.opts.hooks != nil {
		f(p.opts.hooks)
	}
}

type invocation struct {
	id       string
	arn      string
	payload  []byte
	trace    string
	enqueued time.Time
	done     chan *Result
	once     sync.Once
}

func newInvocation(id, arn string, payload []byte) *invocation {
	if id == "" {
		id = ids.UUID()
	}
	return &invocation{id: id, arn: arn, payload: payload, trace: newTraceID(time.Now()), enqueued: time.Now(), done: make(chan *Result, 1)}
}

func (inv *invocation) finish(r *Result) bool {
	ok := false
	inv.once.Do(func() {
		r.RequestID = inv.id
		inv.done <- r
		ok = true
	})
	return ok
}

// errorPayload is the body Lambda returns for failures it detects itself.
func errorPayload(errType, requestID, msg string) []byte {
	b, _ := json.Marshal(map[string]string{
		"errorType":    errType,
		"errorMessage": fmt.Sprintf("RequestId: %s Error: %s", requestID, msg),
	})
	return b
}

// pool runs the instances (processes) of one function version, up to max at once. Every
// instance has its own Runtime API endpoint; invocations wait in one queue that idle instances
// take from, so concurrent requests run in parallel and a slow one does not block the others.
type pool struct {
	fn       FunctionConfig
	taskRoot string
	sink     *logSink
	max      int
	opts     *Options
	log      *slog.Logger

	queue   chan *invocation
	closing chan struct{}

	mu       sync.Mutex
	insts    map[*instance]struct{}
	starting int
	// waiting counts the invocations not yet taken from the queue: invoke adds one, and whoever
	// receives it (an instance, or an init failure) takes it off under mu, together with the
	// instance's change to busy, so scaleLocked never counts an instance free for an invocation it
	// already took.
	waiting int
	closed  bool
	serial  int
	wg      sync.WaitGroup
}

func newPool(fn FunctionConfig, taskRoot string, sink *logSink, max int, opts *Options) *pool {
	return &pool{
		fn: fn, taskRoot: taskRoot, sink: sink, max: max, opts: opts,
		log:     opts.Logger.With("function", fn.Name, "version", fn.Version),
		queue:   make(chan *invocation),
		closing: make(chan struct{}),
		insts:   map[*instance]struct{}{},
	}
}

// invoke runs inv on a free instance (starting one when all are busy and the bound allows).
func (p *pool) invoke(ctx context.Context, inv *invocation) (*Result, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errPoolClosed
	}
	p.waiting++
	p.scaleLocked()
	p.mu.Unlock()
	p.hook(func(h *poolHooks) {
		if h.queued != nil {
			h.queued()
		}
	})
	sent := false
	select {
	case p.queue <- inv:
		sent = true // the receiver took it off waiting
	case <-ctx.Done():
	case <-p.closing:
	}
	if !sent {
		p.mu.Lock()
		p.waiting--
		p.mu.Unlock()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("invoke %s: %w", p.fn.Name, ctx.Err())
		}
		return nil, errPoolClosed
	}
	select {
	case r := <-inv.done:
		return r, nil
	case <-ctx.Done():
		// The function keeps running to its own end or timeout, as in Lambda.
		return nil, fmt.Errorf("invoke %s: %w", p.fn.Name, ctx.Err())
	}
}

// scaleLocked starts instances while invocations wait and no instance will take them.
func (p *pool) scaleLocked() {
	if p.closed {
		return
	}
	free := 0
	for in := range p.insts {
		if in.state == stateFree {
			free++
		}
	}
	for p.waiting > free+p.starting && len(p.insts)+p.starting < p.max {
		p.starting++
		p.serial++
		n := p.serial
		p.wg.Add(1)
		go p.spawn(n)
	}
}

func (p *pool) spawn(n int) {
	defer p.wg.Done()
	in, err := p.start(n)
	if err == nil {
		p.hook(func(h *poolHooks) {
			if h.registering != nil {
				h.registering(n)
			}
		})
	}
	p.mu.Lock()
	p.starting--
	if err == nil {
		if p.closed {
			p.mu.Unlock()
			in.kill()
			return
		}
		p.insts[in] = struct{}{}
		if in.state == stateStarting {
			in.state = stateFree
		}
		// The instance may already have taken an invocation while it still counted as starting:
		// an invocation that arrived meanwhile counted on it, so scale again for that one.
		p.scaleLocked()
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	if errors.Is(err, errPoolClosed) {
		return
	}
	p.log.Warn("function init failed", "err", err)
	// The invocation that needed this instance gets the init failure, as in Lambda.
	var ie *initError
	if errors.As(err, &ie) {
		select {
		case inv := <-p.queue:
			p.mu.Lock()
			p.waiting--
			p.mu.Unlock()
			inv.finish(&Result{ExecutedVersion: p.fn.Version, FunctionError: "Unhandled", ErrorType: ie.errType, Payload: ie.payload(inv.id)})
		case <-time.After(100 * time.Millisecond):
		}
	}
	p.mu.Lock()
	p.scaleLocked()
	p.mu.Unlock()
}

// instances reports the number of running instances.
func (p *pool) instances() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.insts)
}

// drained reports whether a retired pool has no process left.
func (p *pool) drained() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed && len(p.insts) == 0 && p.starting == 0
}

// retire stops taking invocations; busy instances finish their invocation, then exit.
func (p *pool) retire() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.closing)
	var idle []*instance
	for in := range p.insts {
		if in.current == nil {
			idle = append(idle, in)
		} else {
			in.retireAfter = true
		}
	}
	p.mu.Unlock()
	for _, in := range idle {
		in.kill()
	}
}

// shutdown terminates every instance (SIGTERM, then SIGKILL after grace) and waits for them.
func (p *pool) shutdown(grace time.Duration) {
	p.retire()
	p.mu.Lock()
	all := make([]*instance, 0, len(p.insts))
	for in := range p.insts {
		all = append(all, in)
	}
	p.mu.Unlock()
	for _, in := range all {
		in.terminate(grace)
	}
	p.wg.Wait()
}

type initError struct {
	errType string
	msg     string
	body    []byte // the runtime's own /init/error body, when it sent one
}

func (e *initError) Error() string {
	if len(e.body) > 0 {
		return fmt.Sprintf("%s: %s", e.errType, e.body)
	}
	return fmt.Sprintf("%s: %s", e.errType, e.msg)
}

func (e *initError) payload(requestID string) []byte {
	if len(e.body) > 0 {
		return e.body
	}
	return errorPayload(e.errType, requestID, e.msg)
}
