package store

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/target"
)

// TestMarshalLastCheckIsTheAttributeValueEncoding holds the written-out encoder to attributevalue's
// reflection over target.LastCheck's tags, for the edge values and many random ones: a field added to
// LastCheck, or a tag changed, fails here until MarshalLastCheck has it too.
func TestMarshalLastCheckIsTheAttributeValueEncoding(t *testing.T) {
	t.Parallel()
	days, zero, neg := 42, 0, -3
	cases := []target.LastCheck{
		{},
		{CheckedAt: time.Date(2026, 12, 2, 5, 0, 0, 123456789, time.UTC), Available: true, StatusCode: 200, LatencyMS: 12.5,
			DNSMS: 0.25, ConnectMS: 1, TLSMS: 3.125, TTFBMS: 10, CertDaysRemaining: &days, Attempts: 1},
		{CheckedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600)), CertDaysRemaining: &zero, Attempts: 2, Error: "timed out after 5000 ms"},
		{CertDaysRemaining: &neg, LatencyMS: 1e-7, DNSMS: 1e21, ConnectMS: math.MaxFloat64, TLSMS: math.SmallestNonzeroFloat64, Error: "é\\x00\""},
	}
	rng := rand.New(rand.NewPCG(1, 2)) // #nosec G404 -- test values
	for range 500 {
		c := target.LastCheck{
			CheckedAt: time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)), Available: rng.IntN(2) == 0, StatusCode: rng.IntN(600),
			LatencyMS: rng.Float64() * 30000, DNSMS: rng.Float64() * 100, ConnectMS: rng.Float64(), TLSMS: rng.NormFloat64(),
			TTFBMS: float64(rng.IntN(5000)), Attempts: rng.IntN(3), Error: string(rune(rng.IntN(0x10000))),
		}
		if rng.IntN(2) == 0 {
			d := rng.IntN(800) - 100
			c.CertDaysRemaining = &d
		}
		cases = append(cases, c)
	}
	for _, c := range cases {
		want, err := attributevalue.MarshalWithOptions(c, encodeOptions)
		require.NoError(t, err)
		got, err := MarshalLastCheck(c)
		require.NoError(t, err)
		assert.Equal(t, want, got, "%+v", c)
	}
}

func BenchmarkMarshalLastCheck(b *testing.B) {
	days := 42
	c := target.LastCheck{CheckedAt: time.Now(), Available: true, StatusCode: 200, LatencyMS: 12.5, DNSMS: 0.25, ConnectMS: 1,
		TLSMS: 3.125, TTFBMS: 10, CertDaysRemaining: &days, Attempts: 1}
	for b.Loop() {
		if _, err := MarshalLastCheck(c); err != nil {
			b.Fatal(err)
		}
	}
}
