package localrun

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/webhealth/webhealth/internal/envconfig"
	"github.com/webhealth/webhealth/platform/release"
)

// MaxRegions is the most regions one local runtime serves (terraform/global's limit of an environment).
const MaxRegions = 8

// Config is the local runtime's configuration.
type Config struct {
	Endpoint      string        // the emulator (moto)
	Region        string        // the home region: the first of Regions
	Regions       []string      // every region served (the home region first); default: Region alone
	Listen        string        // the one local port: REST API stages, Lambda Invoke API, /_local/
	ArtifactsDir  string        // where `make build` writes <arch>/<function>.zip
	StateDir      string        // extracted code, function logs
	AlarmInterval time.Duration // how often alarms are evaluated
	MaxInstances  int           // processes per function version
	RetryDelay    time.Duration // first retry delay of failed asynchronous invocations
	APICacheTTL   time.Duration // how long the API Gateway configuration read from moto is reused
	LogFormat     string        // text or json
	LogLevel      string        // debug, info, warn, error
	// ExtraCA is a PEM file of CA certificates the functions trust besides the system's: they get
	// SSL_CERT_FILE = the system bundle + these (StateDir/ca-bundle.pem). Local only: AWS is untouched.
	ExtraCA string
}

// LoadConfig reads flags, falling back to environment variables (LOCALRUN_*, and the standard
// AWS_ENDPOINT_URL / AWS_REGION), falling back to defaults for the local stack.
func LoadConfig(args []string, lookup envconfig.Lookup, usage io.Writer) (Config, error) {
	env := envconfig.New(lookup)
	def := Config{
		Endpoint:      env.String("LOCALRUN_ENDPOINT", env.String("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")),
		Region:        env.String("AWS_REGION", env.String("AWS_DEFAULT_REGION", "us-east-1")),
		Listen:        env.String("LOCALRUN_LISTEN", "127.0.0.1:4567"),
		ArtifactsDir:  env.String("LOCALRUN_ARTIFACTS", "build"),
		StateDir:      env.String("LOCALRUN_STATE", ".local"),
		AlarmInterval: env.Duration("LOCALRUN_ALARM_INTERVAL", 10*time.Second, time.Second, time.Hour),
		MaxInstances:  env.Int("LOCALRUN_MAX_INSTANCES", 4, 1, 64),
		RetryDelay:    env.Duration("LOCALRUN_RETRY_DELAY", time.Second, time.Millisecond, 5*time.Minute),
		APICacheTTL:   env.Duration("LOCALRUN_API_CACHE_TTL", 3*time.Second, 0, time.Hour),
		LogFormat:     env.String("LOCALRUN_LOG_FORMAT", "text"),
		LogLevel:      env.String("LOCALRUN_LOG_LEVEL", "info"),
		ExtraCA:       env.String("LOCALRUN_EXTRA_CA", ""),
	}
	regions := env.String("LOCALRUN_REGIONS", "")
	if err := env.Err(); err != nil {
		return Config{}, err
	}
	fs := flag.NewFlagSet("localrun", flag.ContinueOnError)
	fs.SetOutput(usage)
	c := def
	fs.StringVar(&c.Endpoint, "endpoint", def.Endpoint, "the AWS emulator (moto) endpoint [LOCALRUN_ENDPOINT, AWS_ENDPOINT_URL]")
	fs.StringVar(&c.Region, "region", def.Region, "the region served when -regions is not set [AWS_REGION]")
	fs.StringVar(&regions, "regions", regions, "comma-separated regions served, the home region first (default: -region alone) [LOCALRUN_REGIONS]")
	fs.StringVar(&c.Listen, "listen", def.Listen, "address serving the API stages, the Lambda Invoke API and /_local/ [LOCALRUN_LISTEN]")
	fs.StringVar(&c.ArtifactsDir, "artifacts", def.ArtifactsDir, "directory with <arch>/<function>.zip builds [LOCALRUN_ARTIFACTS]")
	fs.StringVar(&c.StateDir, "state", def.StateDir, "state directory: extracted code, logs/<function>.log [LOCALRUN_STATE]")
	fs.DurationVar(&c.AlarmInterval, "alarm-interval", def.AlarmInterval, "how often CloudWatch alarms are evaluated [LOCALRUN_ALARM_INTERVAL]")
	fs.IntVar(&c.MaxInstances, "max-instances", def.MaxInstances, "processes per function version [LOCALRUN_MAX_INSTANCES]")
	fs.DurationVar(&c.RetryDelay, "retry-delay", def.RetryDelay, "delay before retrying a failed asynchronous invocation, doubled after [LOCALRUN_RETRY_DELAY]")
	fs.DurationVar(&c.APICacheTTL, "api-cache-ttl", def.APICacheTTL, "reuse the API Gateway configuration read from the emulator this long [LOCALRUN_API_CACHE_TTL]")
	fs.StringVar(&c.LogFormat, "log-format", def.LogFormat, "text or json [LOCALRUN_LOG_FORMAT]")
	fs.StringVar(&c.LogLevel, "log-level", def.LogLevel, "debug, info, warn or error [LOCALRUN_LOG_LEVEL]")
	fs.StringVar(&c.ExtraCA, "extra-ca", def.ExtraCA, "PEM file of CA certificates the functions trust besides the system's (SSL_CERT_FILE = system bundle + them; local only) [LOCALRUN_EXTRA_CA]")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var err error
	if c.Regions, err = ParseRegions(regions, c.Region); err != nil {
		return Config{}, err
	}
	c.Region = c.Regions[0]
	switch {
	case c.LogFormat != "text" && c.LogFormat != "json":
		return Config{}, fmt.Errorf("log format %q: want text or json", c.LogFormat)
	case c.AlarmInterval < time.Second:
		return Config{}, fmt.Errorf("alarm interval %s: at least 1s", c.AlarmInterval)
	case c.MaxInstances < 1:
		return Config{}, fmt.Errorf("max instances %s: at least 1", strconv.Itoa(c.MaxInstances))
	case c.Endpoint == "":
		return Config{}, fmt.Errorf("no emulator endpoint")
	}
	return c, nil
}

// ParseRegions reads a comma-separated list of distinct AWS regions (at most MaxRegions, the home
// region first); empty is def alone.
func ParseRegions(list, def string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		if err := release.CheckRegion(def); err != nil {
			return nil, fmt.Errorf("region: %w", err)
		}
		return []string{def}, nil
	}
	var out []string
	for r := range strings.SplitSeq(list, ",") {
		if err := release.CheckRegion(r); err != nil {
			return nil, fmt.Errorf("regions %q: %w (comma-separated region names, no spaces, the home region first, e.g. us-east-1,eu-west-1)", list, err)
		}
		if slices.Contains(out, r) {
			return nil, fmt.Errorf("regions %q: %s is named twice", list, r)
		}
		out = append(out, r)
	}
	if len(out) > MaxRegions {
		return nil, fmt.Errorf("regions %q: %d regions, at most %d", list, len(out), MaxRegions)
	}
	return out, nil
}

// NewLogger is the runtime's own logger (slog, text or JSON) on w.
func NewLogger(c Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
