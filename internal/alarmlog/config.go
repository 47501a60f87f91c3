package alarmlog

import (
	"github.com/webhealth/webhealth/internal/envconfig"
)

// Retention limits of alarm records, in days (ALARM_RETENTION_DAYS).
const (
	DefaultRetentionDays = 90
	MinRetentionDays     = 1
	MaxRetentionDays     = 3650
)

// Config is the alarm logger's configuration, read once at start-up.
type Config struct {
	// Table is the alarm table (ALARMS_TABLE).
	Table string
	// URLsTable is the URL table (URLS_TABLE), read to know whether a target is muted.
	URLsTable string
	// AlarmPrefix is the prefix of the alarms the crawler owns (ALARM_PREFIX); it maps an alarm
	// name "<prefix>-<target id>-<kind>" to its target when the notification has no TargetId dimension.
	AlarmPrefix string
	// RetentionDays is how long a record lives before DynamoDB TTL removes it (ALARM_RETENTION_DAYS).
	RetentionDays int
}

// LoadConfig reads the configuration from the environment (os.LookupEnv in main) and reports every
// bad or missing variable at once.
func LoadConfig(lookup envconfig.Lookup) (Config, error) {
	r := envconfig.New(lookup)
	cfg := Config{
		Table:         r.Required("ALARMS_TABLE"),
		URLsTable:     r.Required("URLS_TABLE"),
		AlarmPrefix:   r.Required("ALARM_PREFIX"),
		RetentionDays: r.Int("ALARM_RETENTION_DAYS", DefaultRetentionDays, MinRetentionDays, MaxRetentionDays),
	}
	if err := r.Err(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}
