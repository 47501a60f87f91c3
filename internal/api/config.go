package api

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/webhealth/webhealth/internal/envconfig"
	"github.com/webhealth/webhealth/internal/verdict"
)

// Config is the urlapi function's configuration, read once from the environment (docs/design.md).
type Config struct {
	URLsTable           string   // URLS_TABLE
	AlarmsTable         string   // ALARMS_TABLE
	AllowPrivateTargets bool     // ALLOW_PRIVATE_TARGETS: accept private/loopback literal IPs (local stacks only)
	CORSAllowOrigins    []string // CORS_ALLOW_ORIGINS: normalized origins, or the single entry "*"; empty = no CORS
	// ChecksTable (CHECKS_TABLE) holds every region's latest check of each target; "": none (a single-region
	// stack, whose one region's check is the target's last_check).
	ChecksTable string
	// Regions (AWS_REGION, HOME_REGION, REGIONS, QUORUM, STALE_AFTER_SECONDS): outside the home region
	// writes are refused; the regions' checks give each target's status.
	Regions verdict.Settings
}

// LoadConfig reads the configuration through lookup (os.LookupEnv in production) and reports every
// bad variable at once.
func LoadConfig(lookup envconfig.Lookup) (Config, error) {
	r := envconfig.New(lookup)
	cfg := Config{
		URLsTable:           r.Required("URLS_TABLE"),
		AlarmsTable:         r.Required("ALARMS_TABLE"),
		AllowPrivateTargets: r.Bool("ALLOW_PRIVATE_TARGETS", false),
		ChecksTable:         r.String("CHECKS_TABLE", ""),
		Regions:             verdict.Load(r),
	}
	if cfg.ChecksTable == "" && len(cfg.Regions.Regions) > 1 {
		r.Fail("CHECKS_TABLE", "is required when REGIONS names more than one region (%d): the regions' checks are read there", len(cfg.Regions.Regions))
	}
	origins, corsErr := parseOrigins(r.List("CORS_ALLOW_ORIGINS"))
	cfg.CORSAllowOrigins = origins
	if err := errors.Join(r.Err(), corsErr); err != nil {
		return Config{}, fmt.Errorf("urlapi configuration: %w", err)
	}
	return cfg, nil
}

// parseOrigins validates CORS origins: "*" alone, or scheme://host[:port] entries (lower-cased,
// a trailing slash dropped) as browsers send them in the Origin header.
func parseOrigins(items []string) ([]string, error) {
	const key = "CORS_ALLOW_ORIGINS"
	var (
		out  []string
		errs []error
	)
	for _, item := range items {
		if item == "*" {
			if len(items) > 1 {
				errs = append(errs, fmt.Errorf("environment variable %s: \"*\" must be the only entry", key))
			}
			out = append(out, item)
			continue
		}
		origin, err := normalizeOrigin(item)
		if err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s: %q is not an origin (scheme://host[:port]) or \"*\"", key, item))
			continue
		}
		out = append(out, origin)
	}
	return out, errors.Join(errs...)
}

func normalizeOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	switch {
	case err != nil:
		return "", err
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.User != nil,
		u.Path != "", u.RawQuery != "", u.ForceQuery, u.Fragment != "", u.Opaque != "":
		return "", errors.New("not an origin")
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}
