package envconfig

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestReaderValues(t *testing.T) {
	t.Parallel()
	r := New(env(map[string]string{
		"NAME": " urls ", "FLAG": "true", "N": "8", "D": "250ms", "L": "a, b,,c", "EMPTY": " ",
	}))
	assert.Equal(t, "urls", r.Required("NAME"))
	assert.Equal(t, "def", r.String("EMPTY", "def"))
	assert.True(t, r.Bool("FLAG", false))
	assert.False(t, r.Bool("UNSET", false))
	assert.Equal(t, 8, r.Int("N", 1, 1, 10))
	assert.Equal(t, 3, r.Int("UNSET", 3, 1, 10))
	assert.Equal(t, 250*time.Millisecond, r.Duration("D", time.Second, 0, time.Minute))
	assert.Equal(t, []string{"a", "b", "c"}, r.List("L"))
	assert.Nil(t, r.List("UNSET"))
	require.NoError(t, r.Err())
}

func TestReaderCollectsEveryError(t *testing.T) {
	t.Parallel()
	r := New(env(map[string]string{"FLAG": "yes please", "N": "500", "D": "soon", "M": "x"}))
	r.Required("TABLE")
	r.Bool("FLAG", false)
	r.Int("N", 1, 1, 256)
	r.Int("M", 1, 1, 256)
	r.Duration("D", time.Second, 0, time.Minute)
	r.Fail("PAIR", "%d must not exceed %s", 3, "N")
	err := r.Err()
	require.Error(t, err)
	for _, want := range []string{
		"TABLE: is required",
		`FLAG: "yes please" is not a boolean`,
		`N: "500" is not an integer between 1 and 256`,
		`M: "x" is not an integer`,
		`D: "soon" is not a duration`,
		"environment variable PAIR: 3 must not exceed N",
	} {
		assert.Contains(t, err.Error(), want)
	}
}
