package verdict_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/envconfig"
	"github.com/webhealth/webhealth/internal/verdict"
)

func load(env map[string]string) (verdict.Settings, error) {
	r := envconfig.New(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	s := verdict.Load(r)
	return s, r.Err()
}

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want verdict.Settings
		home bool
	}{
		{"single region: nothing set", map[string]string{"AWS_REGION": "eu-west-1"},
			verdict.Settings{Region: "eu-west-1", Home: "eu-west-1", Rule: verdict.Rule{Regions: []string{"eu-west-1"}, Quorum: 1, StaleAfter: 3 * time.Minute}}, true},
		{"AWS_DEFAULT_REGION when AWS_REGION is unset", map[string]string{"AWS_DEFAULT_REGION": "eu-west-1"},
			verdict.Settings{Region: "eu-west-1", Home: "eu-west-1", Rule: verdict.Rule{Regions: []string{"eu-west-1"}, Quorum: 1, StaleAfter: 3 * time.Minute}}, true},
		{"home region of two", map[string]string{"AWS_REGION": "us-east-1", "HOME_REGION": "us-east-1", "REGIONS": "us-east-1,eu-west-1"},
			verdict.Settings{Region: "us-east-1", Home: "us-east-1", Rule: verdict.Rule{Regions: []string{"us-east-1", "eu-west-1"}, Quorum: 2, StaleAfter: 3 * time.Minute}}, true},
		{"other region of two", map[string]string{"AWS_REGION": "eu-west-1", "HOME_REGION": "us-east-1", "REGIONS": "us-east-1, eu-west-1"},
			verdict.Settings{Region: "eu-west-1", Home: "us-east-1", Rule: verdict.Rule{Regions: []string{"us-east-1", "eu-west-1"}, Quorum: 2, StaleAfter: 3 * time.Minute}}, false},
		{"HOME_REGION defaults to the first of REGIONS", map[string]string{"AWS_REGION": "eu-west-1", "REGIONS": "us-east-1,eu-west-1,ap-southeast-1"},
			verdict.Settings{Region: "eu-west-1", Home: "us-east-1", Rule: verdict.Rule{Regions: []string{"us-east-1", "eu-west-1", "ap-southeast-1"}, Quorum: 2, StaleAfter: 3 * time.Minute}}, false},
		{"quorum and staleness set", map[string]string{"AWS_REGION": "us-east-1", "REGIONS": "us-east-1,eu-west-1,ap-southeast-1", "QUORUM": "3", "STALE_AFTER_SECONDS": "900"},
			verdict.Settings{Region: "us-east-1", Home: "us-east-1", Rule: verdict.Rule{Regions: []string{"us-east-1", "eu-west-1", "ap-southeast-1"}, Quorum: 3, StaleAfter: 15 * time.Minute}}, true},
		{"quorum 1, limits of staleness", map[string]string{"AWS_REGION": "us-east-1", "REGIONS": "us-east-1,eu-west-1", "QUORUM": "1", "STALE_AFTER_SECONDS": "60"},
			verdict.Settings{Region: "us-east-1", Home: "us-east-1", Rule: verdict.Rule{Regions: []string{"us-east-1", "eu-west-1"}, Quorum: 1, StaleAfter: time.Minute}}, true},
		{"seven days stale", map[string]string{"AWS_REGION": "us-east-1", "STALE_AFTER_SECONDS": "604800"},
			verdict.Settings{Region: "us-east-1", Home: "us-east-1", Rule: verdict.Rule{Regions: []string{"us-east-1"}, Quorum: 1, StaleAfter: 7 * 24 * time.Hour}}, true},
		{"eight regions, majority 5", map[string]string{"AWS_REGION": "us-gov-west-1",
			"REGIONS": "us-east-1,us-west-2,eu-west-1,eu-central-1,ap-southeast-1,ap-northeast-1,sa-east-1,us-gov-west-1"},
			verdict.Settings{Region: "us-gov-west-1", Home: "us-east-1", Rule: verdict.Rule{
				Regions: []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1", "sa-east-1", "us-gov-west-1"},
				Quorum:  5, StaleAfter: 3 * time.Minute}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := load(tc.env)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.home, got.IsHome())
		})
	}
}

// Single is what Load gives a function alone in its region.
func TestSingle(t *testing.T) {
	t.Parallel()
	got, err := load(map[string]string{"AWS_REGION": "ap-southeast-1"})
	require.NoError(t, err)
	assert.Equal(t, verdict.Single("ap-southeast-1"), got)
	assert.True(t, got.IsHome())
}

func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	two := map[string]string{"AWS_REGION": "eu-west-1", "REGIONS": "us-east-1,eu-west-1"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want []string // each in the error
	}{
		{"no region", map[string]string{}, []string{"environment variable AWS_REGION: is required"}},
		{"AWS_REGION not a region", map[string]string{"AWS_REGION": "Europe"}, []string{`AWS_REGION: "Europe" is not an AWS region name`}},
		{"upper-case region", with(two, "REGIONS", "us-east-1,EU-WEST-1"), []string{`REGIONS: "EU-WEST-1" is not an AWS region name (lower case`}},
		{"a region with a path", with(two, "REGIONS", "us-east-1,eu-west-1/x"), []string{`REGIONS: "eu-west-1/x" is not an AWS region name`}},
		{"duplicate region", with(two, "REGIONS", "us-east-1,eu-west-1,us-east-1"), []string{`REGIONS: "us-east-1" is listed twice; the regions must be distinct`}},
		{"nine regions", with(two, "REGIONS", "us-east-1,eu-west-1,eu-west-2,eu-west-3,eu-central-1,ap-south-1,ap-east-1,sa-east-1,ca-central-1"),
			[]string{"REGIONS: 9 regions; allowed 1 to 8"}},
		{"own region missing", with(two, "REGIONS", "us-east-1,ap-southeast-1"),
			[]string{`REGIONS: "us-east-1,ap-southeast-1" does not contain the function's own region "eu-west-1" (AWS_REGION)`}},
		{"home region not first", with(two, "HOME_REGION", "eu-west-1"),
			[]string{`REGIONS: "us-east-1,eu-west-1" must start with the home region "eu-west-1" (HOME_REGION)`}},
		{"home region not a region", with(two, "HOME_REGION", "home"), []string{`HOME_REGION: "home" is not an AWS region name`}},
		{"home region elsewhere without REGIONS", map[string]string{"AWS_REGION": "eu-west-1", "HOME_REGION": "us-east-1"},
			[]string{`REGIONS: is required when HOME_REGION ("us-east-1") is not the function's own region ("eu-west-1", AWS_REGION)`}},
		{"quorum 0", with(two, "QUORUM", "0"), []string{`QUORUM: "0" is not a whole number from 1 to the number of REGIONS (2)`}},
		{"quorum negative", with(two, "QUORUM", "-1"), []string{`QUORUM: "-1" is not a whole number from 1`}},
		{"quorum not whole", with(two, "QUORUM", "1.5"), []string{`QUORUM: "1.5" is not a whole number`}},
		{"quorum above the regions", with(two, "QUORUM", "3"), []string{"QUORUM: 3 exceeds the number of REGIONS (2): allowed 1 to 2"}},
		{"quorum above one region", map[string]string{"AWS_REGION": "eu-west-1", "QUORUM": "2"}, []string{"QUORUM: 2 exceeds the number of REGIONS (1)"}},
		{"stale below a minute", with(two, "STALE_AFTER_SECONDS", "59"), []string{`STALE_AFTER_SECONDS: "59" is not an integer between 60 and 604800`}},
		{"stale above seven days", with(two, "STALE_AFTER_SECONDS", "604801"), []string{`STALE_AFTER_SECONDS: "604801" is not an integer between 60 and 604800`}},
		{"stale as a duration", with(two, "STALE_AFTER_SECONDS", "3m"), []string{`STALE_AFTER_SECONDS: "3m" is not an integer`}},
		{"every error at once", map[string]string{"AWS_REGION": "eu-west-1", "REGIONS": "us-east-1,us-east-1", "QUORUM": "x", "STALE_AFTER_SECONDS": "0"},
			[]string{"REGIONS: \"us-east-1\" is listed twice", "does not contain the function's own region", `QUORUM: "x"`, `STALE_AFTER_SECONDS: "0"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := load(tc.env)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestValidRegion(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"us-east-1", "eu-west-1", "ap-southeast-1", "us-gov-west-1", "cn-north-1", "il-central-1", "mx-central-1", "ap-southeast-7"} {
		assert.True(t, verdict.ValidRegion(ok), ok)
	}
	for _, bad := range []string{"", "global", "US-EAST-1", "us-east", "us-east-0", "us-east-1 ", "xx-east-1", "us-up-1", "us-east-100", "eu-west-1a"} {
		assert.False(t, verdict.ValidRegion(bad), bad)
	}
}
