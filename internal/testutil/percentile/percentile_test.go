package percentile

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestOf(t *testing.T) {
	t.Parallel()
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted on purpose
	}
	tests := []struct {
		name string
		v    []int
		p    float64
		want int
	}{
		{"one value", []int{7}, 99, 7},
		{"median of an odd count", []int{3, 1, 2}, 50, 2},
		{"median of an even count is the lower middle", []int{4, 1, 3, 2}, 50, 2},
		{"p50 of 1..100", hundred, 50, 50},
		{"p90 of 1..100", hundred, 90, 90},
		{"p99 of 1..100", hundred, 99, 99},
		{"p99 of 10 values is the largest", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
		{"tiny p is the smallest", []int{5, 9, 1}, 0.1, 1},
		{"p99 of 1..300", seq(300), 99, 297},
		{"p90 of 1..70", seq(70), 90, 63},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := append([]int(nil), tc.v...)
			assert.Equal(t, tc.want, Of(tc.v, tc.p))
			assert.Equal(t, before, tc.v, "the input is left as it was")
		})
	}
	assert.Equal(t, 2*time.Millisecond, Of([]time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond}, 50))
	assert.InDelta(t, 2.5, Of([]float64{9.5, 2.5, 1.5}, 50), 0)
}

func seq(n int) []int {
	v := make([]int, n)
	for i := range v {
		v[i] = i + 1
	}
	return v
}
