package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/webhealth/webhealth/platform/localrun/internal/ids"
	"github.com/webhealth/webhealth/platform/localrun/lambdarun"
)

// EventsAPI is the part of the EventBridge API the scheduler reads from the emulator.
type EventsAPI interface {
	ListEventBuses(ctx context.Context, in *eventbridge.ListEventBusesInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListEventBusesOutput, error)
	ListRules(ctx context.Context, in *eventbridge.ListRulesInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListRulesOutput, error)
	ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
}

// AsyncInvoker accepts events for functions (EventBridge invokes Lambda asynchronously).
type AsyncInvoker interface {
	InvokeAsync(ctx context.Context, target string, payload []byte) (*lambdarun.AsyncInvocation, error)
}

// ErrUnknownRule means a rule asked for by name is not an enabled schedule rule.
var ErrUnknownRule = errors.New("no enabled schedule rule with that name")

// Rule is an enabled schedule rule and its targets.
type Rule struct {
	Name       string    `json:"name"`
	Bus        string    `json:"event_bus"`
	ARN        string    `json:"arn"`
	Expression string    `json:"schedule_expression"`
	Next       time.Time `json:"next_fire"`
	Targets    []Target  `json:"targets"`
	Error      string    `json:"error,omitempty"` // an expression that cannot be parsed
	schedule   Schedule
}

// Target is a rule target.
type Target struct {
	ID        string `json:"id"`
	ARN       string `json:"arn"`
	Input     string `json:"input,omitempty"`
	InputPath string `json:"input_path,omitempty"`
	paths     map[string]string
	template  string
}

// Result is the outcome of one target of a fired rule.
type Result struct {
	Rule          string          `json:"rule"`
	Target        string          `json:"target"`
	Function      string          `json:"function"`
	RequestID     string          `json:"request_id,omitempty"`
	Status        string          `json:"status"` // succeeded, failed, not_invoked
	Attempts      int             `json:"attempts,omitempty"`
	FunctionError string          `json:"function_error,omitempty"`
	ErrorType     string          `json:"error_type,omitempty"`
	Response      json.RawMessage `json:"response,omitempty"`
	DurationMs    float64         `json:"duration_ms,omitempty"`
	Error         string          `json:"error,omitempty"`
}

// Scheduler fires schedule rules.
type Scheduler struct {
	api     EventsAPI
	invoker AsyncInvoker
	region  string
	log     *slog.Logger
	// AfterFire runs when a rule fired on schedule has had all its invocations finish (the local
	// runtime evaluates alarms then, since a crawl has just published metrics). Fire leaves that
	// to its caller.
	AfterFire func(ctx context.Context)
	// Refresh is how often the rules are reread from the emulator (default 5s).
	Refresh time.Duration
	now     func() time.Time

	mu    sync.Mutex
	rules map[string]*Rule // bus/name
	wg    sync.WaitGroup
}

// New returns a scheduler reading rules through api and invoking through invoker.
func New(api EventsAPI, invoker AsyncInvoker, region string, log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{api: api, invoker: invoker, region: region, log: log, Refresh: 5 * time.Second, now: time.Now, rules: map[string]*Rule{}}
}

// discover reads every enabled schedule rule on every event bus with its targets.
func (s *Scheduler) discover(ctx context.Context) ([]*Rule, error) {
	var buses []string
	var token *string
	for {
		out, err := s.api.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list event buses: %w", err)
		}
		for _, b := range out.EventBuses {
			buses = append(buses, aws.ToString(b.Name))
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	var rules []*Rule
	for _, bus := range buses {
		token = nil
		for {
			out, err := s.api.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String(bus), NextToken: token})
			if err != nil {
				return nil, fmt.Errorf("list rules of bus %s: %w", bus, err)
			}
			for _, r := range out.Rules {
				if aws.ToString(r.ScheduleExpression) == "" || r.State != types.RuleStateEnabled {
					continue
				}
				rule := &Rule{Name: aws.ToString(r.Name), Bus: bus, ARN: aws.ToString(r.Arn), Expression: aws.ToString(r.ScheduleExpression)}
				if rule.Targets, err = s.targets(ctx, bus, rule.Name); err != nil {
					return nil, err
				}
				rules = append(rules, rule)
			}
			if token = out.NextToken; token == nil {
				break
			}
		}
	}
	return rules, nil
}

func (s *Scheduler) targets(ctx context.Context, bus, rule string) ([]Target, error) {
	var out []Target
	var token *string
	for {
		page, err := s.api.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(rule), EventBusName: aws.String(bus), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("targets of rule %s: %w", rule, err)
		}
		for _, t := range page.Targets {
			tg := Target{ID: aws.ToString(t.Id), ARN: aws.ToString(t.Arn), Input: aws.ToString(t.Input), InputPath: aws.ToString(t.InputPath)}
			if tr := t.InputTransformer; tr != nil {
				tg.paths, tg.template = tr.InputPathsMap, aws.ToString(tr.InputTemplate)
			}
			out = append(out, tg)
		}
		if token = page.NextToken; token == nil {
			return out, nil
		}
	}
}

// refresh rereads the rules, keeping the next fire time of rules whose expression is unchanged.
func (s *Scheduler) refresh(ctx context.Context) error {
	rules, err := s.discover(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	fresh := map[string]*Rule{}
	for _, r := range rules {
		key := r.Bus + "/" + r.Name
		if old, ok := s.rules[key]; ok && old.Expression == r.Expression && old.schedule != nil {
			r.schedule, r.Next = old.schedule, old.Next
		} else if sch, err := Parse(r.Expression); err != nil {
			r.Error = err.Error()
			s.log.WarnContext(ctx, "schedule rule not fired: bad expression", "rule", r.Name, "err", err)
		} else {
			r.schedule, r.Next = sch, sch.Next(now)
			s.log.InfoContext(ctx, "schedule rule discovered", "rule", r.Name, "bus", r.Bus, "expression", r.Expression, "next", r.Next)
		}
		fresh[key] = r
	}
	s.rules = fresh
	return nil
}

// Rules returns the rules as last discovered.
func (s *Scheduler) Rules(ctx context.Context) ([]Rule, error) {
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Rule, 0, len(s.rules))
	for _, r := range s.rules {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bus+"/"+out[i].Name < out[j].Bus+"/"+out[j].Name })
	return out, nil
}

// Run fires the rules on time until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	defer s.wg.Wait()
	nextRefresh := time.Time{}
	for {
		now := s.now()
		if !now.Before(nextRefresh) {
			if err := s.refresh(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "read schedule rules from the emulator", "err", err)
			}
			nextRefresh = now.Add(s.Refresh)
		}
		wake := nextRefresh
		type firing struct {
			rule *Rule
			at   time.Time
		}
		var due []firing
		s.mu.Lock()
		for _, r := range s.rules {
			if r.schedule == nil || r.Next.IsZero() {
				continue
			}
			if !r.Next.After(now) {
				due = append(due, firing{r, r.Next})
				r.Next = r.schedule.Next(now)
			}
			if !r.Next.IsZero() && r.Next.Before(wake) {
				wake = r.Next
			}
		}
		s.mu.Unlock()
		for _, d := range due {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				results := s.fire(ctx, d.rule, d.at)
				for _, res := range results {
					s.log.InfoContext(ctx, "schedule fired", "rule", res.Rule, "target", res.Target, "function", res.Function,
						"status", res.Status, "request_id", res.RequestID, "error_type", res.ErrorType, "err", res.Error)
				}
				if s.AfterFire != nil && ctx.Err() == nil {
					s.AfterFire(ctx)
				}
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wake.Sub(s.now())):
		}
	}
}

// Fire fires the named rules (every enabled schedule rule when names is empty) now, waits for
// their invocations (with Lambda's asynchronous retries) and returns the outcomes. It does not
// run AfterFire.
func (s *Scheduler) Fire(ctx context.Context, names []string) ([]Result, error) {
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var rules []*Rule
	var known []string
	for _, r := range s.rules {
		known = append(known, r.Name)
	}
	if len(names) == 0 {
		for _, r := range s.rules {
			rules = append(rules, r)
		}
	} else {
		for _, n := range names {
			found := false
			for _, r := range s.rules {
				if r.Name == n {
					rules = append(rules, r)
					found = true
				}
			}
			if !found {
				s.mu.Unlock()
				sort.Strings(known)
				return nil, fmt.Errorf("%w: %q (enabled schedule rules: %s)", ErrUnknownRule, n, strings.Join(known, ", "))
			}
		}
	}
	s.mu.Unlock()
	sort.Slice(rules, func(i, j int) bool { return rules[i].Name < rules[j].Name })
	results := []Result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, r := range rules {
		wg.Go(func() {
			res := s.fire(ctx, r, s.now())
			mu.Lock()
			results = append(results, res...)
			mu.Unlock()
		})
	}
	wg.Wait()
	sort.SliceStable(results, func(i, j int) bool { return results[i].Rule < results[j].Rule })
	return results, nil
}

// fire sends the rule's Scheduled Event for time at to each target and waits for the outcomes.
func (s *Scheduler) fire(ctx context.Context, r *Rule, at time.Time) []Result {
	event := ScheduledEvent(r.ARN, s.region, at)
	var results []Result
	var pending []*lambdarun.AsyncInvocation
	for _, t := range r.Targets {
		res := Result{Rule: r.Name, Target: t.ID, Function: t.ARN}
		payload, err := t.payload(event)
		switch {
		case err != nil:
			res.Status, res.Error = "not_invoked", err.Error()
		case !strings.Contains(t.ARN, ":lambda:"):
			res.Status, res.Error = "not_invoked", "only Lambda targets are emulated"
		}
		if res.Status != "" {
			results = append(results, res)
			pending = append(pending, nil)
			continue
		}
		a, err := s.invoker.InvokeAsync(ctx, t.ARN, payload)
		if err != nil {
			res.Status, res.Error = "not_invoked", err.Error()
		} else {
			res.RequestID = a.RequestID
		}
		results = append(results, res)
		pending = append(pending, a)
	}
	for i, a := range pending {
		if a == nil {
			continue
		}
		if err := a.Wait(ctx); err != nil {
			results[i].Status, results[i].Error = "failed", err.Error()
			continue
		}
		results[i].Attempts = a.Attempts
		switch {
		case a.Err != nil:
			results[i].Status, results[i].Error = "failed", a.Err.Error()
		case a.Result.Failed():
			results[i].Status = "failed"
			results[i].FunctionError, results[i].ErrorType = a.Result.FunctionError, a.Result.ErrorType
		default:
			results[i].Status = "succeeded"
		}
		if a.Result != nil {
			results[i].DurationMs = float64(a.Result.Duration.Microseconds()) / 1000
			if json.Valid(a.Result.Payload) {
				results[i].Response = a.Result.Payload
			}
		}
	}
	return results
}

// ScheduledEvent is the event EventBridge sends for a schedule rule.
func ScheduledEvent(ruleARN, region string, t time.Time) []byte {
	account := ""
	if parts := strings.Split(ruleARN, ":"); len(parts) > 4 {
		account = parts[4]
	}
	b, _ := json.Marshal(map[string]any{
		"version":     "0",
		"id":          ids.UUID(),
		"detail-type": "Scheduled Event",
		"source":      "aws.events",
		"account":     account,
		"time":        t.UTC().Truncate(time.Second).Format(time.RFC3339),
		"region":      region,
		"resources":   []string{ruleARN},
		"detail":      map[string]any{},
	})
	return b
}

// payload applies the target's Input, InputPath or InputTransformer to the event.
func (t Target) payload(event []byte) ([]byte, error) {
	switch {
	case t.Input != "":
		return []byte(t.Input), nil
	case t.InputPath != "":
		v, err := jsonPath(event, t.InputPath)
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	case t.template != "":
		out := t.template
		for name, path := range t.paths {
			v, err := jsonPath(event, path)
			if err != nil {
				return nil, err
			}
			var repl string
			if str, ok := v.(string); ok {
				repl = str
			} else {
				b, _ := json.Marshal(v)
				repl = string(b)
			}
			out = strings.ReplaceAll(out, "<"+name+">", repl)
		}
		return []byte(out), nil
	}
	return event, nil
}

// jsonPath supports the dotted paths EventBridge targets use ($, $.detail, $.detail.x).
func jsonPath(doc []byte, path string) (any, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	if path == "$" {
		return v, nil
	}
	rest, ok := strings.CutPrefix(path, "$.")
	if !ok {
		return nil, fmt.Errorf("input path %q: only $ and $.a.b paths are emulated", path)
	}
	for key := range strings.SplitSeq(rest, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, nil
		}
		v = m[key]
	}
	return v, nil
}
