package api

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/verdict"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	one := verdict.Single("eu-west-1")
	base := func(extra map[string]string) map[string]string {
		m := map[string]string{"URLS_TABLE": "urls", "ALARMS_TABLE": "alarms", "AWS_REGION": "eu-west-1"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	ok := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{"defaults", base(nil), Config{URLsTable: "urls", AlarmsTable: "alarms", Regions: one}},
		{"private targets", base(map[string]string{"ALLOW_PRIVATE_TARGETS": "true"}),
			Config{URLsTable: "urls", AlarmsTable: "alarms", AllowPrivateTargets: true, Regions: one}},
		{"origins normalized", base(map[string]string{"CORS_ALLOW_ORIGINS": " https://App.Example.com/ , http://localhost:3000,"}),
			Config{URLsTable: "urls", AlarmsTable: "alarms", CORSAllowOrigins: []string{"https://app.example.com", "http://localhost:3000"}, Regions: one}},
		{"wildcard", base(map[string]string{"CORS_ALLOW_ORIGINS": "*"}),
			Config{URLsTable: "urls", AlarmsTable: "alarms", CORSAllowOrigins: []string{"*"}, Regions: one}},
		{"empty origins", base(map[string]string{"CORS_ALLOW_ORIGINS": ""}), Config{URLsTable: "urls", AlarmsTable: "alarms", Regions: one}},
		{"one region with a checks table", base(map[string]string{"CHECKS_TABLE": "checks"}),
			Config{URLsTable: "urls", AlarmsTable: "alarms", ChecksTable: "checks", Regions: one}},
		{"another region of two", base(map[string]string{"CHECKS_TABLE": "checks", "REGIONS": "us-east-1,eu-west-1", "QUORUM": "1", "STALE_AFTER_SECONDS": "600"}),
			Config{URLsTable: "urls", AlarmsTable: "alarms", ChecksTable: "checks", Regions: verdict.Settings{Region: "eu-west-1", Home: "us-east-1",
				Rule: verdict.Rule{Regions: []string{"us-east-1", "eu-west-1"}, Quorum: 1, StaleAfter: 10 * time.Minute}}}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := LoadConfig(env(tc.env))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}

	bad := []struct {
		name  string
		env   map[string]string
		names []string // every variable named in the error
	}{
		{"nothing set", map[string]string{}, []string{"URLS_TABLE", "ALARMS_TABLE"}},
		{"blank table", base(map[string]string{"URLS_TABLE": "  "}), []string{"URLS_TABLE"}},
		{"bad bool", base(map[string]string{"ALLOW_PRIVATE_TARGETS": "yes please"}), []string{"ALLOW_PRIVATE_TARGETS"}},
		{"origin with path", base(map[string]string{"CORS_ALLOW_ORIGINS": "https://app.example.com/ui"}), []string{"CORS_ALLOW_ORIGINS"}},
		{"origin without scheme", base(map[string]string{"CORS_ALLOW_ORIGINS": "app.example.com"}), []string{"CORS_ALLOW_ORIGINS"}},
		{"origin ftp", base(map[string]string{"CORS_ALLOW_ORIGINS": "ftp://app.example.com"}), []string{"CORS_ALLOW_ORIGINS"}},
		{"origin with query", base(map[string]string{"CORS_ALLOW_ORIGINS": "https://app.example.com?x"}), []string{"CORS_ALLOW_ORIGINS"}},
		{"wildcard mixed", base(map[string]string{"CORS_ALLOW_ORIGINS": "*,https://app.example.com"}), []string{"CORS_ALLOW_ORIGINS"}},
		{"all at once", map[string]string{"ALLOW_PRIVATE_TARGETS": "2", "CORS_ALLOW_ORIGINS": "nope"},
			[]string{"URLS_TABLE", "ALARMS_TABLE", "ALLOW_PRIVATE_TARGETS", "CORS_ALLOW_ORIGINS", "AWS_REGION"}},
		{"two regions without a checks table", base(map[string]string{"REGIONS": "us-east-1,eu-west-1"}),
			[]string{"environment variable CHECKS_TABLE: is required when REGIONS names more than one region (2)"}},
		{"own region not listed", base(map[string]string{"CHECKS_TABLE": "checks", "REGIONS": "us-east-1,us-west-2"}),
			[]string{`REGIONS: "us-east-1,us-west-2" does not contain the function's own region "eu-west-1"`}},
		{"quorum above the regions", base(map[string]string{"QUORUM": "2"}), []string{"QUORUM: 2 exceeds the number of REGIONS (1)"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadConfig(env(tc.env))
			require.Error(t, err)
			for _, n := range tc.names {
				assert.Contains(t, err.Error(), n)
			}
		})
	}
}
