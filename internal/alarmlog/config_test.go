package alarmlog_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/alarmlog"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    alarmlog.Config
		wantErr []string
	}{
		{
			name: "defaults",
			env:  map[string]string{"ALARMS_TABLE": "webhealth-prod-alarms", "URLS_TABLE": "webhealth-prod-urls", "ALARM_PREFIX": "webhealth-prod"},
			want: alarmlog.Config{Table: "webhealth-prod-alarms", URLsTable: "webhealth-prod-urls", AlarmPrefix: "webhealth-prod", RetentionDays: 90},
		},
		{
			name: "explicit retention at the bounds",
			env:  map[string]string{"ALARMS_TABLE": "t", "URLS_TABLE": "u", "ALARM_PREFIX": "p", "ALARM_RETENTION_DAYS": "3650"},
			want: alarmlog.Config{Table: "t", URLsTable: "u", AlarmPrefix: "p", RetentionDays: 3650},
		},
		{
			name: "one day",
			env:  map[string]string{"ALARMS_TABLE": "t", "URLS_TABLE": "u", "ALARM_PREFIX": "p", "ALARM_RETENTION_DAYS": " 1 "},
			want: alarmlog.Config{Table: "t", URLsTable: "u", AlarmPrefix: "p", RetentionDays: 1},
		},
		{
			name:    "everything missing is reported at once",
			env:     map[string]string{"ALARM_RETENTION_DAYS": "0"},
			wantErr: []string{"ALARMS_TABLE: is required", "URLS_TABLE: is required", "ALARM_PREFIX: is required", `ALARM_RETENTION_DAYS: "0" is not an integer between 1 and 3650`},
		},
		{
			name:    "retention too long",
			env:     map[string]string{"ALARMS_TABLE": "t", "ALARM_PREFIX": "p", "ALARM_RETENTION_DAYS": "3651"},
			wantErr: []string{`ALARM_RETENTION_DAYS: "3651" is not an integer between 1 and 3650`},
		},
		{
			name:    "retention not a number",
			env:     map[string]string{"ALARMS_TABLE": "t", "ALARM_PREFIX": "p", "ALARM_RETENTION_DAYS": "90d"},
			wantErr: []string{`ALARM_RETENTION_DAYS: "90d" is not an integer`},
		},
		{
			name:    "blank table",
			env:     map[string]string{"ALARMS_TABLE": "  ", "ALARM_PREFIX": "p"},
			wantErr: []string{"ALARMS_TABLE: is required"},
		},
		{
			name:    "URL table missing: the mutes cannot be read",
			env:     map[string]string{"ALARMS_TABLE": "t", "ALARM_PREFIX": "p"},
			wantErr: []string{"URLS_TABLE: is required"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := alarmlog.LoadConfig(lookup(tc.env))
			if tc.wantErr != nil {
				require.Error(t, err)
				for _, w := range tc.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				assert.Equal(t, alarmlog.Config{}, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
