package contract_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/target"
)

const id = "0f8fad5bd9cb469fa16570867728950e"

func TestMetricsAreUniqueAndDimensioned(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, m := range contract.Metrics() {
		assert.False(t, seen[m.Name], "metric %s listed twice", m.Name)
		seen[m.Name] = true
		assert.Contains(t, m.Dimensions, contract.DimensionRegion, "every metric carries the function's region: %s", m.Name)
		got, ok := contract.LookupMetric(m.Name)
		require.True(t, ok, m.Name)
		assert.Equal(t, m, got)
	}
	_, ok := contract.LookupMetric("availability")
	assert.False(t, ok, "names are case-sensitive, as in CloudWatch")

	// The returned slices are fresh: a caller changing them changes nothing for the next one.
	ms := contract.Metrics()
	ms[0].Dimensions[0] = "changed"
	assert.Equal(t, contract.DimensionTargetID, contract.Metrics()[0].Dimensions[0])
}

func TestParseAlarmName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, prefix, alarm string
		id, kind            string
	}{
		{name: "availability", prefix: "webhealth-prod", alarm: "webhealth-prod-" + id + "-availability", id: id, kind: contract.AlarmKindAvailability},
		{name: "latency", prefix: "webhealth-prod", alarm: "webhealth-prod-" + id + "-latency", id: id, kind: contract.AlarmKindLatency},
		{name: "certificate", prefix: "webhealth-prod", alarm: "webhealth-prod-" + id + "-certificate", id: id, kind: contract.AlarmKindCertificate},
		{name: "prefix with regexp characters", prefix: "a.b+c", alarm: "a.b+c-" + id + "-latency", id: id, kind: contract.AlarmKindLatency},
		{name: "another prefix", prefix: "webhealth-prod", alarm: "webhealth-dev-" + id + "-latency"},
		{name: "prefix that only starts the same", prefix: "webhealth", alarm: "webhealth-prod-" + id + "-latency"},
		{name: "unknown kind", prefix: "p", alarm: "p-" + id + "-errors"},
		{name: "kind in upper case", prefix: "p", alarm: "p-" + id + "-Latency"},
		{name: "id with upper-case hex", prefix: "p", alarm: "p-" + strings.ToUpper(id) + "-latency"},
		{name: "short id", prefix: "p", alarm: "p-" + id[:31] + "-latency"},
		{name: "no kind", prefix: "p", alarm: "p-" + id},
		{name: "trailing text", prefix: "p", alarm: "p-" + id + "-latency-old"},
		{name: "empty", prefix: "p", alarm: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gotID, gotKind, ok := contract.ParseAlarmName(tc.prefix, tc.alarm)
			assert.Equal(t, tc.id != "", ok)
			assert.Equal(t, tc.id, gotID)
			assert.Equal(t, tc.kind, gotKind)
			if ok {
				assert.Equal(t, tc.alarm, contract.AlarmName(tc.prefix, gotID, gotKind), "round trip")
			}
		})
	}
}

func TestAlarmKindsOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url string
		want      []string
	}{
		{name: "https has a certificate alarm", url: "https://example.com/", want: []string{contract.AlarmKindAvailability, contract.AlarmKindLatency, contract.AlarmKindCertificate}},
		{name: "http has none", url: "http://example.com/", want: []string{contract.AlarmKindAvailability, contract.AlarmKindLatency}},
		{name: "a host named https is no scheme", url: "http://https/", want: []string{contract.AlarmKindAvailability, contract.AlarmKindLatency}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, contract.AlarmKindsOf(tc.url))
		})
	}
	assert.Equal(t, contract.AlarmKinds(), contract.AlarmKindsOf("https://a/"), "an https target has every kind")
}

// FuzzParseAlarmName: a parsed name is exactly AlarmName of what it parsed to (so nothing else is taken
// for one of ours), and every name AlarmName builds parses back.
func FuzzParseAlarmName(f *testing.F) {
	f.Add("webhealth-prod", "webhealth-prod-"+id+"-availability")
	f.Add("p", "p-"+id+"-latency")
	f.Add("p", "p-"+id+"-certificate")
	f.Add("p-", "p--"+id+"-latency")
	f.Add("", "-"+id+"-latency")
	f.Fuzz(func(t *testing.T, prefix, name string) {
		gotID, kind, ok := contract.ParseAlarmName(prefix, name)
		if ok {
			require.True(t, target.ValidID(gotID), gotID)
			require.Contains(t, contract.AlarmKinds(), kind)
			require.Equal(t, name, contract.AlarmName(prefix, gotID, kind))
		} else {
			require.Empty(t, gotID+kind)
		}
		for _, k := range contract.AlarmKinds() {
			backID, backKind, ok := contract.ParseAlarmName(prefix, contract.AlarmName(prefix, id, k))
			require.True(t, ok, "prefix %q kind %s", prefix, k)
			require.Equal(t, id, backID)
			require.Equal(t, k, backKind)
		}
	})
}
