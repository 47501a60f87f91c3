package contract_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/verdict"
)

const id = "0f8fad5bd9cb469fa16570867728950e"

func TestMetricsAreUniqueAndDimensioned(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, m := range contract.Metrics() {
		assert.False(t, seen[m.Name], "metric %s listed twice", m.Name)
		seen[m.Name] = true
		if m.Name == contract.MetricRegionsDown {
			assert.Equal(t, []string{contract.DimensionTargetID}, m.Dimensions, "the verdict is the environment's, not a region's")
		} else {
			assert.Contains(t, m.Dimensions, contract.DimensionRegion, "every metric of a region's checks carries the function's region: %s", m.Name)
		}
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
		{name: "verdict", prefix: "webhealth-prod", alarm: "webhealth-prod-" + id + "-verdict", id: id, kind: contract.AlarmKindVerdict},
		{name: "degraded", prefix: "webhealth-prod", alarm: "webhealth-prod-" + id + "-degraded", id: id, kind: contract.AlarmKindDegraded},
		{name: "verdict in upper case", prefix: "p", alarm: "p-" + id + "-Verdict"},
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
	env := func(own string, quorum int, regions ...string) verdict.Settings {
		return verdict.Settings{Region: own, Home: regions[0], Rule: verdict.Rule{Regions: regions, Quorum: quorum, StaleAfter: 3 * time.Minute}}
	}
	av, lat, cert := contract.AlarmKindAvailability, contract.AlarmKindLatency, contract.AlarmKindCertificate
	tests := []struct {
		name, url string
		env       verdict.Settings
		want      []string
	}{
		{name: "https has a certificate alarm", url: "https://example.com/", want: []string{av, lat, cert}},
		{name: "http has none", url: "http://example.com/", want: []string{av, lat}},
		{name: "a host named https is no scheme", url: "http://https/", want: []string{av, lat}},
		{name: "one region, set explicitly: no verdict alarms", url: "https://example.com/", env: verdict.Single("eu-west-1"), want: []string{av, lat, cert}},
		{name: "home region of two: verdict and degraded", url: "https://example.com/", env: env("us-east-1", 2, "us-east-1", "eu-west-1"),
			want: []string{av, lat, cert, contract.AlarmKindVerdict, contract.AlarmKindDegraded}},
		{name: "home region, http", url: "http://example.com/", env: env("us-east-1", 2, "us-east-1", "eu-west-1", "ap-southeast-1"),
			want: []string{av, lat, contract.AlarmKindVerdict, contract.AlarmKindDegraded}},
		{name: "home region with a quorum of 1: no degraded (one region down is down)", url: "http://example.com/",
			env: env("us-east-1", 1, "us-east-1", "eu-west-1"), want: []string{av, lat, contract.AlarmKindVerdict}},
		{name: "another region: its own alarms only", url: "https://example.com/", env: env("eu-west-1", 2, "us-east-1", "eu-west-1"),
			want: []string{av, lat, cert}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := contract.AlarmKindsOf(tc.url, tc.env)
			assert.Equal(t, tc.want, got)
			for _, k := range got {
				assert.Contains(t, contract.AlarmKinds(), k, "every kind a region keeps parses back from its name")
			}
		})
	}
	assert.Equal(t, contract.RegionalAlarmKinds(), contract.AlarmKindsOf("https://a/", verdict.Settings{}), "an https target has every regional kind")
}

// FuzzParseAlarmName: a parsed name is exactly AlarmName of what it parsed to (so nothing else is taken
// for one of ours), and every name AlarmName builds parses back.
func FuzzParseAlarmName(f *testing.F) {
	f.Add("webhealth-prod", "webhealth-prod-"+id+"-availability")
	f.Add("p", "p-"+id+"-latency")
	f.Add("p", "p-"+id+"-certificate")
	f.Add("p", "p-"+id+"-verdict")
	f.Add("p", "p-"+id+"-degraded")
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
