package api

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	base := func(extra map[string]string) map[string]string {
		m := map[string]string{"URLS_TABLE": "urls", "ALARMS_TABLE": "alarms"}
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
		{"defaults", base(nil), Config{URLsTable: "urls", AlarmsTable: "alarms"}},
		{"private targets", base(map[string]string{"ALLOW_PRIVATE_TARGETS": "true"}),
			Config{URLsTable: "urls", AlarmsTable: "alarms", AllowPrivateTargets: true}},
		{"origins normalized", base(map[string]string{"CORS_ALLOW_ORIGINS": " https://App.Example.com/ , http://localhost:3000,"}),
			Config{URLsTable: "urls", AlarmsTable: "alarms", CORSAllowOrigins: []string{"https://app.example.com", "http://localhost:3000"}}},
		{"wildcard", base(map[string]string{"CORS_ALLOW_ORIGINS": "*"}),
			Config{URLsTable: "urls", AlarmsTable: "alarms", CORSAllowOrigins: []string{"*"}}},
		{"empty origins", base(map[string]string{"CORS_ALLOW_ORIGINS": ""}), Config{URLsTable: "urls", AlarmsTable: "alarms"}},
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
			[]string{"URLS_TABLE", "ALARMS_TABLE", "ALLOW_PRIVATE_TARGETS", "CORS_ALLOW_ORIGINS"}},
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
