package alarms

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// points turns "0 - X - X" (oldest first) into values for a LessThanThreshold 2 alarm:
// 0 is a good datapoint (3.0), X a breaching one (1.0), - a missing one.
func points(s string) []*float64 {
	var out []*float64
	for _, f := range strings.Fields(s) {
		switch f {
		case "-":
			out = append(out, nil)
		case "0":
			v := 3.0
			out = append(out, &v)
		case "X":
			v := 1.0
			out = append(out, &v)
		}
	}
	return out
}

func lessThan(v, t float64) bool { return v < t }

// TestEvaluateDocumentedTables reproduces the two tables of CloudWatch's documentation
// ("How alarm state is evaluated when data is missing"): 3 of 3 and 2 of 3, five datapoints in the
// evaluation range, each TreatMissingData setting.
func TestEvaluateDocumentedTables(t *testing.T) {
	t.Parallel()
	const retain = "retain"
	tests := []struct {
		m, n                                     int
		data                                     string
		current                                  string
		missing, ignore, breaching, notBreaching string
	}{
		// 3 out of 3
		{3, 3, "0 - X - X", Alarm, OK, OK, OK, OK},
		{3, 3, "0 - - - -", Alarm, OK, OK, OK, OK},
		{3, 3, "- - - - -", OK, InsufficientData, retain, Alarm, OK},
		{3, 3, "0 X X - X", OK, Alarm, Alarm, Alarm, Alarm},
		{3, 3, "- - X - -", InsufficientData, Alarm, retain, Alarm, OK},
		// 2 out of 3
		{2, 3, "0 - X - X", OK, Alarm, Alarm, Alarm, Alarm},
		{2, 3, "0 0 X 0 X", OK, Alarm, Alarm, Alarm, Alarm},
		{2, 3, "0 - X - -", InsufficientData, OK, OK, Alarm, OK},
		{2, 3, "- - - - 0", InsufficientData, OK, OK, Alarm, OK},
		{2, 3, "- - - X -", InsufficientData, Alarm, retain, Alarm, OK},
	}
	for _, tc := range tests {
		for treat, want := range map[string]string{Missing: tc.missing, Ignore: tc.ignore, Breaching: tc.breaching, NotBreaching: tc.notBreaching} {
			t.Run(strings.Join([]string{tc.data, string(rune('0' + tc.m)), "of", string(rune('0' + tc.n)), treat}, " "), func(t *testing.T) {
				t.Parallel()
				if want == retain {
					want = tc.current
				}
				got := Evaluate(Input{Values: points(tc.data), EvaluationPeriods: tc.n, DatapointsToAlarm: tc.m,
					Threshold: 2, Breaches: lessThan, TreatMissingData: treat, Current: tc.current})
				assert.Equal(t, want, got.State)
			})
		}
	}
}

func TestEvaluateDetails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		data       string
		m, n       int
		treat      string
		current    string
		state      string
		evaluated  []int
		filled     int
		premature  bool
		allMissing bool
	}{
		{name: "1 of 1 breaching", data: "- - X", m: 1, n: 1, state: Alarm, evaluated: []int{2}},
		{name: "1 of 1 newest real point decides", data: "X 0 -", m: 1, n: 1, state: OK, evaluated: []int{1}},
		{name: "enough real points: missing handling not needed", data: "X - X X", m: 2, n: 2, treat: NotBreaching, state: Alarm, evaluated: []int{2, 3}},
		{name: "datapoints to alarm defaults to evaluation periods", data: "X X 0", m: 0, n: 3, state: OK, evaluated: []int{0, 1, 2}},
		{name: "breaching fills the shortfall", data: "- - 0 -", m: 1, n: 2, treat: Breaching, state: Alarm, evaluated: []int{2}, filled: 1},
		{name: "not breaching fills the shortfall", data: "- - X -", m: 2, n: 2, treat: NotBreaching, state: OK, evaluated: []int{2}, filled: 1},
		{name: "premature alarm", data: "- X -", m: 2, n: 2, treat: Missing, state: Alarm, evaluated: []int{1}, premature: true},
		{name: "too recent for a premature alarm", data: "- - X", m: 2, n: 2, treat: Missing, state: OK, evaluated: []int{2}},
		{name: "a good newer point blocks a premature alarm", data: "- - X 0", m: 3, n: 3, treat: Missing, state: OK, evaluated: []int{2, 3}},
		{name: "all missing", data: "- - - -", m: 2, n: 2, treat: Missing, current: OK, state: InsufficientData, allMissing: true},
		{name: "all missing, ignore keeps the state", data: "- - - -", m: 2, n: 2, treat: Ignore, current: Alarm, state: Alarm, allMissing: true},
		{name: "empty TreatMissingData means missing", data: "- - -", m: 1, n: 1, treat: "", current: OK, state: InsufficientData, allMissing: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Evaluate(Input{Values: points(tc.data), EvaluationPeriods: tc.n, DatapointsToAlarm: tc.m, Threshold: 2,
				Breaches: lessThan, TreatMissingData: tc.treat, Current: tc.current})
			assert.Equal(t, tc.state, got.State)
			assert.Equal(t, tc.evaluated, got.Evaluated)
			assert.Equal(t, tc.filled, got.Filled)
			assert.Equal(t, tc.premature, got.Premature)
			assert.Equal(t, tc.allMissing, got.AllMissing)
		})
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op                  string
		below, equal, above bool
	}{
		{"GreaterThanOrEqualToThreshold", false, true, true},
		{"GreaterThanThreshold", false, false, true},
		{"LessThanThreshold", true, false, false},
		{"LessThanOrEqualToThreshold", true, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			t.Parallel()
			f, err := Compare(tc.op)
			require.NoError(t, err)
			assert.Equal(t, tc.below, f(1, 2))
			assert.Equal(t, tc.equal, f(2, 2))
			assert.Equal(t, tc.above, f(3, 2))
		})
	}
	_, err := Compare("LessThanLowerOrGreaterThanUpperThreshold")
	assert.Error(t, err)
}

func TestFormatDouble(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0: "0.0", 1: "1.0", -2: "-2.0", 0.5: "0.5", 1234.25: "1234.25", 1e7: "1.0E7", 2.5e9: "2.5E9"} {
		assert.Equal(t, want, formatDouble(in), "%v", in)
	}
}

func TestSubject(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `ALARM: "web-1-availability" in US East (N. Virginia)`, Subject(Alarm, "web-1-availability", "us-east-1"))
	assert.Equal(t, `OK: "a" in EU (Ireland)`, Subject(OK, "a", "eu-west-1"))
	assert.Len(t, Subject(Alarm, strings.Repeat("x", 200), "us-east-1"), 100)
}
