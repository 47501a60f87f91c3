package alarms

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMathEval(t *testing.T) {
	t.Parallel()
	// webhealth's degraded alarm with a quorum of 2 (internal/crawler degradedExpression).
	const degraded = "IF(m >= 1 AND m < 2, 1, 0)"
	tests := []struct {
		name string
		expr string
		vals map[string]float64
		want float64
		none bool // no datapoint at this timestamp
	}{
		{name: "degraded: no region down", expr: degraded, vals: map[string]float64{"m": 0}, want: 0},
		{name: "degraded: one region down", expr: degraded, vals: map[string]float64{"m": 1}, want: 1},
		{name: "degraded: the quorum down is down, not degraded", expr: degraded, vals: map[string]float64{"m": 2}, want: 0},
		{name: "degraded: no RegionsDown, no datapoint", expr: degraded, vals: map[string]float64{}, none: true},
		{name: "an id alone", expr: "m1", vals: map[string]float64{"m1": 7}, want: 7},
		{name: "precedence", expr: "1 + 2 * 3 - 4 / 2", want: 5},
		{name: "parentheses", expr: "(1 + 2) * 3", want: 9},
		{name: "unary minus", expr: "-m + 1", vals: map[string]float64{"m": 3}, want: -2},
		{name: "comparisons", expr: "(1 < 2) + (2 <= 2) + (3 > 4) + (4 >= 4) + (5 == 5) + (5 != 5)", want: 4},
		{name: "OR binds looser than AND", expr: "0 AND 1 OR 1", want: 1},
		{name: "NOT", expr: "NOT 0 + NOT 3", want: 1},
		{name: "lower-case keywords", expr: "if(a > 1 and b < 1, 10, 20)", vals: map[string]float64{"a": 2, "b": 0}, want: 10},
		{name: "IF without an else: no datapoint when false", expr: "IF(m > 5, m)", vals: map[string]float64{"m": 1}, none: true},
		{name: "IF without an else, true", expr: "IF(m > 5, m)", vals: map[string]float64{"m": 6}, want: 6},
		{name: "division by zero: no datapoint", expr: "m / 0", vals: map[string]float64{"m": 1}, none: true},
		{name: "decimal numbers", expr: "0.5 + .25", want: 0.75},
		{name: "two series", expr: "IF(a > b, a - b, 0)", vals: map[string]float64{"a": 5, "b": 3}, want: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := parseMath(tc.expr)
			require.NoError(t, err)
			got, ok := e.eval(tc.vals)
			assert.Equal(t, !tc.none, ok)
			if !tc.none {
				assert.InDelta(t, tc.want, got, 1e-9)
			}
		})
	}
}

func TestMathRefusesWhatItCannotEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct{ expr, msg string }{
		{"", "ends early"},
		{"m >", "ends early"},
		{"(m", `expected ")"`},
		{"m)", `unexpected ")"`},
		{"m = 1", "is not an operator"},
		{"m ! 1", "is not an operator"},
		{"SUM(m)", "function SUM is not supported"},
		{"IF(m)", "IF takes 2 or 3 arguments, got 1"},
		{"IF(m, 1, 2, 3)", "IF takes 2 or 3 arguments, got 4"},
		{"m # 1", "is not part of an expression"},
		{"1.2.3", "is not a number"},
		{"m n", `unexpected "n"`},
		{strings.Repeat("(", 100) + "m" + strings.Repeat(")", 100), "nested more than 64 deep"},
		{strings.Repeat("m+", 1100) + "m", "more than 2048"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			t.Parallel()
			_, err := parseMath(tc.expr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

// The parser takes any input without panicking, and what it parses evaluates.
func FuzzParseMath(f *testing.F) {
	for _, s := range []string{"IF(m >= 1 AND m < 2, 1, 0)", "m1", "-(a+b)*c/d", "NOT NOT x", "IF(a, b)", "((", "1e5", "a<=b OR c!=d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseMath(s)
		if err != nil {
			return
		}
		_, _ = e.eval(map[string]float64{"m": 1, "a": 2, "b": 0})
	})
}
