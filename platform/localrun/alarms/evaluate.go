// Package alarms evaluates the CloudWatch metric alarms deployed to the emulator against the
// metric data in it, the way CloudWatch does, moves their state, and delivers CloudWatch's alarm
// notification through their SNS actions.
package alarms

import (
	"fmt"
)

// The alarm states.
const (
	OK               = "OK"
	Alarm            = "ALARM"
	InsufficientData = "INSUFFICIENT_DATA"
)

// The TreatMissingData settings.
const (
	Missing      = "missing"
	Ignore       = "ignore"
	Breaching    = "breaching"
	NotBreaching = "notBreaching"
)

// Compare returns whether a value breaches the threshold for a comparison operator.
func Compare(op string) (func(v, threshold float64) bool, error) {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return func(v, t float64) bool { return v >= t }, nil
	case "GreaterThanThreshold":
		return func(v, t float64) bool { return v > t }, nil
	case "LessThanThreshold":
		return func(v, t float64) bool { return v < t }, nil
	case "LessThanOrEqualToThreshold":
		return func(v, t float64) bool { return v <= t }, nil
	}
	return nil, fmt.Errorf("comparison operator %q is not emulated (anomaly detection bands need a model)", op)
}

// Input is one evaluation of one alarm.
type Input struct {
	// Values covers the evaluation range, oldest period first; nil is a missing datapoint. The
	// range is longer than EvaluationPeriods, as CloudWatch retrieves more datapoints than that.
	Values []*float64
	// EvaluationPeriods (N) and DatapointsToAlarm (M, 0 means N).
	EvaluationPeriods int
	DatapointsToAlarm int
	Threshold         float64
	Breaches          func(v, threshold float64) bool
	TreatMissingData  string
	// Current is the alarm's state before this evaluation.
	Current string
}

// Outcome is the evaluated state and what it rests on.
type Outcome struct {
	State string
	// Evaluated are the indexes (into Values) of the real datapoints the decision used.
	Evaluated []int
	// Breaching counts breaching datapoints among those evaluated plus filled missing ones.
	Breaching int
	// Filled is the number of missing datapoints filled in as breaching or not breaching.
	Filled int
	// AllMissing: no datapoint in the range.
	AllMissing bool
	// Premature: ALARM (or state kept for ignore) on fewer datapoints than M, as CloudWatch does
	// when the oldest breaching datapoint is at least M periods old and all newer ones breach or
	// are missing.
	Premature bool
}

// Evaluate decides an alarm's state as CloudWatch documents it ("How alarm state is evaluated
// when data is missing"):
//   - all datapoints in the range missing: missing → INSUFFICIENT_DATA, ignore → keep the state,
//     breaching → ALARM, notBreaching → OK;
//   - at least N real datapoints in the range: the N most recent real ones decide, ALARM when M
//     of them breach, otherwise OK (missing data handling is not needed);
//   - fewer than N: breaching / notBreaching fill the shortfall with breaching / good datapoints
//     and decide M of N; missing / ignore decide on the real datapoints, except for a premature
//     alarm (fewer than M real datapoints, the oldest breaching one at least M periods back in
//     the last N, everything newer breaching or missing), which is ALARM for missing and keeps the
//     state for ignore.
func Evaluate(in Input) Outcome {
	n := in.EvaluationPeriods
	if n <= 0 {
		n = 1
	}
	m := in.DatapointsToAlarm
	if m <= 0 || m > n {
		m = n
	}
	treat := in.TreatMissingData
	if treat == "" {
		treat = Missing
	}
	var real []int
	for i, v := range in.Values {
		if v != nil {
			real = append(real, i)
		}
	}
	breach := func(i int) bool { return in.Breaches(*in.Values[i], in.Threshold) }
	count := func(idx []int) int {
		c := 0
		for _, i := range idx {
			if breach(i) {
				c++
			}
		}
		return c
	}
	decide := func(b int) string {
		if b >= m {
			return Alarm
		}
		return OK
	}

	switch {
	case len(real) == 0:
		out := Outcome{AllMissing: true}
		switch treat {
		case Breaching:
			out.State, out.Filled, out.Breaching = Alarm, n, n
		case NotBreaching:
			out.State, out.Filled = OK, n
		case Ignore:
			out.State = in.Current
		default:
			out.State = InsufficientData
		}
		return out

	case len(real) >= n:
		used := real[len(real)-n:]
		b := count(used)
		return Outcome{State: decide(b), Evaluated: used, Breaching: b}

	case treat == Breaching || treat == NotBreaching:
		fill := n - len(real)
		b := count(real)
		if treat == Breaching {
			b += fill
		}
		return Outcome{State: decide(b), Evaluated: real, Breaching: b, Filled: fill}

	default: // missing, ignore
		if len(real) < m && premature(in, n, m) {
			out := Outcome{Evaluated: real, Breaching: count(real), Premature: true, State: Alarm}
			if treat == Ignore {
				out.State = in.Current
			}
			return out
		}
		b := count(real)
		return Outcome{State: decide(b), Evaluated: real, Breaching: b}
	}
}

// premature: in the last n periods, the oldest breaching datapoint is at least m periods old and
// every newer datapoint breaches or is missing.
func premature(in Input, n, m int) bool {
	vals := in.Values
	if len(vals) > n {
		vals = vals[len(vals)-n:]
	}
	oldest := -1
	for i, v := range vals {
		if v != nil && in.Breaches(*v, in.Threshold) {
			oldest = i
			break
		}
	}
	if oldest < 0 || len(vals)-oldest < m {
		return false
	}
	for _, v := range vals[oldest+1:] {
		if v != nil && !in.Breaches(*v, in.Threshold) {
			return false
		}
	}
	return true
}
