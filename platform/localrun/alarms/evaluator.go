package alarms

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
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/webhealth/webhealth/platform/localrun/snsdeliver"
)

// CloudWatchAPI is the part of the CloudWatch API the evaluator uses on the emulator.
type CloudWatchAPI interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	SetAlarmState(ctx context.Context, in *cloudwatch.SetAlarmStateInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.SetAlarmStateOutput, error)
}

// Publisher delivers a message to an SNS topic's subscriptions.
type Publisher interface {
	Publish(ctx context.Context, topicARN, subject, message string) ([]snsdeliver.Delivery, error)
}

// uncheckedReason is the reason moto gives every alarm it creates — in state OK, where CloudWatch
// starts alarms in INSUFFICIENT_DATA. moto also gives it again when PutMetricAlarm updates an
// alarm (CloudWatch keeps the state then).
const uncheckedReason = "Unchecked: Initial alarm creation"

// Transition is a state change made by an evaluation.
type Transition struct {
	Alarm     string                `json:"alarm"`
	From      string                `json:"from"`
	To        string                `json:"to"`
	Reason    string                `json:"reason"`
	Actions   []string              `json:"actions,omitempty"`
	Delivered []snsdeliver.Delivery `json:"deliveries,omitempty"`
	Error     string                `json:"error,omitempty"`
}

// AlarmStatus is an alarm as last evaluated, for the health report.
type AlarmStatus struct {
	Name      string    `json:"name"`
	State     string    `json:"state"`
	Evaluated time.Time `json:"evaluated_at"`
	Skipped   string    `json:"skipped,omitempty"`
}

// Evaluator evaluates every metric alarm in the emulator.
type Evaluator struct {
	cw        CloudWatchAPI
	publisher Publisher
	region    string
	log       *slog.Logger
	now       func() time.Time

	pass   sync.Mutex // one evaluation pass at a time
	mu     sync.Mutex
	states map[string]string // alarm ARN -> state this evaluator last set
	status map[string]AlarmStatus
}

// New returns an evaluator.
func New(cw CloudWatchAPI, publisher Publisher, region string, log *slog.Logger) *Evaluator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Evaluator{cw: cw, publisher: publisher, region: region, log: log, now: time.Now,
		states: map[string]string{}, status: map[string]AlarmStatus{}}
}

// Run evaluates every interval until ctx ends.
func (e *Evaluator) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := e.EvaluateAll(ctx); err != nil && ctx.Err() == nil {
			e.log.WarnContext(ctx, "evaluate alarms", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Status reports the alarms as last evaluated.
func (e *Evaluator) Status() []AlarmStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]AlarmStatus, 0, len(e.status))
	for _, s := range e.status {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// EvaluateAll evaluates every metric alarm once and returns the transitions it made.
func (e *Evaluator) EvaluateAll(ctx context.Context) ([]Transition, error) {
	e.pass.Lock()
	defer e.pass.Unlock()
	var all []types.MetricAlarm
	pager := cloudwatch.NewDescribeAlarmsPaginator(e.cw, &cloudwatch.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm}})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe alarms: %w", err)
		}
		all = append(all, page.MetricAlarms...)
	}
	seen := map[string]bool{}
	transitions := []Transition{}
	var errs []error
	for _, a := range all {
		seen[aws.ToString(a.AlarmArn)] = true
		tr, err := e.evaluate(ctx, a)
		if err != nil {
			errs = append(errs, fmt.Errorf("alarm %s: %w", aws.ToString(a.AlarmName), err))
			continue
		}
		if tr != nil {
			transitions = append(transitions, *tr)
		}
	}
	e.mu.Lock()
	for arn := range e.states {
		if !seen[arn] {
			delete(e.states, arn)
		}
	}
	for arn := range e.status {
		if !seen[arn] {
			delete(e.status, arn)
		}
	}
	e.mu.Unlock()
	return transitions, errors.Join(errs...)
}

func (e *Evaluator) setStatus(a types.MetricAlarm, state, skipped string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status[aws.ToString(a.AlarmArn)] = AlarmStatus{Name: aws.ToString(a.AlarmName), State: state, Evaluated: e.now(), Skipped: skipped}
}

// previousState is the alarm's state as CloudWatch would have it: moto's value, except that an
// alarm moto has just (re)created is INSUFFICIENT_DATA when new and keeps the state this
// evaluator gave it when merely updated.
func (e *Evaluator) previousState(a types.MetricAlarm) string {
	if aws.ToString(a.StateReason) != uncheckedReason {
		return string(a.StateValue)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.states[aws.ToString(a.AlarmArn)]; ok {
		return s
	}
	return InsufficientData
}

func (e *Evaluator) evaluate(ctx context.Context, a types.MetricAlarm) (*Transition, error) {
	name := aws.ToString(a.AlarmName)
	prev := e.previousState(a)
	breaches, err := Compare(string(a.ComparisonOperator))
	if err != nil {
		e.setStatus(a, string(a.StateValue), err.Error())
		return nil, nil
	}
	if a.ExtendedStatistic != nil {
		// moto computes no percentiles: leave the alarm alone rather than call data missing.
		e.setStatus(a, string(a.StateValue), "percentile statistics are not computed by the emulator")
		return nil, nil
	}
	n := int(aws.ToInt32(a.EvaluationPeriods))
	m := int(aws.ToInt32(a.DatapointsToAlarm))
	now := e.now()
	series, period, err := e.fetch(ctx, a, n, now)
	if err != nil {
		return nil, err
	}
	treat := aws.ToString(a.TreatMissingData)
	out := Evaluate(Input{
		Values: series.values, EvaluationPeriods: n, DatapointsToAlarm: m, Threshold: aws.ToFloat64(a.Threshold),
		Breaches: breaches, TreatMissingData: treat, Current: prev,
	})
	points := make([]datapoint, 0, len(out.Evaluated))
	for _, i := range out.Evaluated {
		points = append(points, datapoint{at: series.start.Add(time.Duration(i) * period), value: *series.values[i], samples: series.samples[i]})
	}
	if m <= 0 || m > n {
		m = n
	}
	reason := reasonText(out, string(a.ComparisonOperator), aws.ToFloat64(a.Threshold), n, m, treat, prev, points)
	data := reasonData(a, now, series.start, points)
	e.setStatus(a, out.State, "")

	if out.State == prev {
		e.remember(a, prev)
		if string(a.StateValue) != prev {
			// moto shows OK for an alarm CloudWatch would show INSUFFICIENT_DATA: correct it, silently.
			return nil, e.setState(ctx, name, prev, reason, data)
		}
		return nil, nil
	}
	if err := e.setState(ctx, name, out.State, reason, data); err != nil {
		return nil, err
	}
	e.remember(a, out.State)
	tr := &Transition{Alarm: name, From: prev, To: out.State, Reason: reason}
	e.log.InfoContext(ctx, "alarm state changed", "alarm", name, "from", prev, "to", out.State, "reason", reason)
	if a.ActionsEnabled != nil && !*a.ActionsEnabled {
		return tr, nil
	}
	switch out.State {
	case Alarm:
		tr.Actions = a.AlarmActions
	case OK:
		tr.Actions = a.OKActions
	default:
		tr.Actions = a.InsufficientDataActions
	}
	if len(tr.Actions) == 0 {
		return tr, nil
	}
	account := ""
	if parts := strings.Split(aws.ToString(a.AlarmArn), ":"); len(parts) > 4 {
		account = parts[4]
	}
	msg, err := json.Marshal(buildNotification(a, e.region, account, prev, out.State, reason, now))
	if err != nil {
		return tr, err
	}
	subject := Subject(out.State, name, e.region)
	var errs []string
	for _, action := range tr.Actions {
		if !strings.HasPrefix(action, "arn:aws:sns:") && !strings.Contains(action, ":sns:") {
			errs = append(errs, fmt.Sprintf("action %s is not emulated (only SNS topics)", action))
			continue
		}
		ds, err := e.publisher.Publish(ctx, action, subject, string(msg))
		if err != nil {
			errs = append(errs, err.Error())
		}
		tr.Delivered = append(tr.Delivered, ds...)
	}
	tr.Error = strings.Join(errs, "; ")
	return tr, nil
}

func (e *Evaluator) remember(a types.MetricAlarm, state string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.states[aws.ToString(a.AlarmArn)] = state
}

func (e *Evaluator) setState(ctx context.Context, name, state, reason, data string) error {
	if len(reason) > 1023 {
		reason = reason[:1023]
	}
	_, err := e.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String(name), StateValue: types.StateValue(state), StateReason: aws.String(reason), StateReasonData: aws.String(data),
	})
	if err != nil {
		return fmt.Errorf("set state of %s: %w", name, err)
	}
	return nil
}

type series struct {
	start   time.Time
	values  []*float64
	samples []float64
}

// fetch reads the evaluation range of the alarm's metric: more periods than EvaluationPeriods,
// aligned to the period, ending with the current (partial) period.
func (e *Evaluator) fetch(ctx context.Context, a types.MetricAlarm, n int, now time.Time) (series, time.Duration, error) {
	periodSec := aws.ToInt32(a.Period)
	queries := []types.MetricDataQuery{}
	valueID := "v"
	if len(a.Metrics) > 0 {
		// Metric math alarm: its own queries; the one returning data is the alarm's series.
		queries = append(queries, a.Metrics...)
		for _, q := range a.Metrics {
			if q.ReturnData == nil || *q.ReturnData {
				valueID = aws.ToString(q.Id)
				if periodSec == 0 {
					if q.MetricStat != nil {
						periodSec = aws.ToInt32(q.MetricStat.Period)
					} else {
						periodSec = aws.ToInt32(q.Period)
					}
				}
			}
		}
		if periodSec == 0 {
			for _, q := range a.Metrics {
				if q.MetricStat != nil {
					periodSec = aws.ToInt32(q.MetricStat.Period)
				}
			}
		}
	} else {
		metric := &types.Metric{Namespace: a.Namespace, MetricName: a.MetricName, Dimensions: a.Dimensions}
		queries = append(queries,
			types.MetricDataQuery{Id: aws.String("v"), MetricStat: &types.MetricStat{Metric: metric, Period: a.Period, Stat: aws.String(string(a.Statistic)), Unit: a.Unit}},
			types.MetricDataQuery{Id: aws.String("n"), MetricStat: &types.MetricStat{Metric: metric, Period: a.Period, Stat: aws.String("SampleCount"), Unit: a.Unit}, ReturnData: aws.Bool(true)},
		)
	}
	// moto answers an expression only when it is another query's id: the local runtime does the math of the
	// alarm's returned expression (math.go) over the values of the metric queries, which moto returns.
	var expr mathExpr
	if len(a.Metrics) > 0 {
		queries = queries[:0]
		for _, q := range a.Metrics {
			if q.Expression == nil {
				q.ReturnData = aws.Bool(true)
				queries = append(queries, q)
				continue
			}
			if aws.ToString(q.Id) == valueID {
				var err error
				if expr, err = parseMath(aws.ToString(q.Expression)); err != nil {
					return series{}, 0, fmt.Errorf("query %s: %w", valueID, err)
				}
			}
		}
	}
	if periodSec <= 0 {
		return series{}, 0, errors.New("no period")
	}
	period := time.Duration(periodSec) * time.Second
	size := n + max(2, n/3)
	current := now.UTC().Truncate(period)
	s := series{start: current.Add(-time.Duration(size-1) * period), values: make([]*float64, size), samples: make([]float64, size)}
	out, err := e.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries, StartTime: aws.Time(s.start), EndTime: aws.Time(current.Add(period)),
	})
	if err != nil {
		return series{}, 0, fmt.Errorf("get metric data: %w", err)
	}
	raw := map[string][]*float64{} // with expr: each query's value per period
	for _, r := range out.MetricDataResults {
		id := aws.ToString(r.Id)
		for i, ts := range r.Timestamps {
			if i >= len(r.Values) {
				break
			}
			idx := int(ts.Sub(s.start) / period)
			if idx < 0 || idx >= size {
				continue
			}
			if expr != nil {
				if raw[id] == nil {
					raw[id] = make([]*float64, size)
				}
				v := r.Values[i]
				raw[id][idx] = &v
				continue
			}
			switch id {
			case valueID:
				v := r.Values[i]
				s.values[idx] = &v
			case "n":
				s.samples[idx] = r.Values[i]
			}
		}
	}
	if expr != nil {
		for idx := range size {
			vals := map[string]float64{}
			for id, vs := range raw {
				if vs[idx] != nil {
					vals[id] = *vs[idx]
				}
			}
			if v, ok := expr.eval(vals); ok {
				s.values[idx] = &v
			}
		}
	}
	return s, period, nil
}
