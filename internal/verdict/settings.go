// Package verdict is the multi-region rule of docs/design.md "Multi-region (issue 13)": the environment's
// regions as the functions read them (HOME_REGION, REGIONS, QUORUM, STALE_AFTER_SECONDS, with AWS_REGION,
// the function's own), and the one pure verdict (Rule.Judge) of a target from its regions' latest checks.
// The API answers it and the crawler's home region may alert on it. It has no AWS dependencies.
package verdict

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/webhealth/webhealth/internal/envconfig"
)

// Limits and defaults of the settings.
const (
	// MaxRegions is the most regions an environment has (terraform/global's regions: 1-8).
	MaxRegions = 8
	// MinStaleAfter: the shortest crawl interval is a minute; a check younger than a crawl interval is never stale.
	MinStaleAfter = time.Minute
	// MaxStaleAfter: a check item expires 7 days after its check (store.CheckRetention), so a longer
	// threshold would never see a check older than it.
	MaxStaleAfter = 7 * 24 * time.Hour
	// DefaultStaleAfter is 3 × the default crawl interval (rate(1 minute)); Terraform sets 3 × its interval.
	DefaultStaleAfter = 3 * time.Minute
)

// regionPattern is an AWS region name: <geo>[-<partition qualifier>]-<direction>-<number>, the form
// platform/release's CheckRegion accepts for the tag's region (the patterns of the AWS partitions aws,
// aws-cn, aws-us-gov, aws-iso*, aws-eusc, with the direction spelled out).
var regionPattern = regexp.MustCompile(`^(?:us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)` +
	`-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$`)

// ValidRegion reports whether name is an AWS region name (lower case, e.g. eu-west-1).
func ValidRegion(name string) bool { return regionPattern.MatchString(name) }

// Settings are the environment's regions as one function sees them.
type Settings struct {
	// Region is the function's own region (AWS_REGION, else AWS_DEFAULT_REGION).
	Region string
	// Home is the home region (HOME_REGION): the only one that writes the target list and last_check.
	Home string
	// Rule is how the regions' checks are judged.
	Rule
}

// Single is the settings of a stack alone in its region (what Load gives when none of the multi-region
// variables is set): region is its own home and the one region, quorum 1, DefaultStaleAfter.
func Single(region string) Settings {
	return Settings{Region: region, Home: region, Rule: Rule{Regions: []string{region}, Quorum: 1, StaleAfter: DefaultStaleAfter}}
}

// IsHome reports whether the function runs in the home region.
func (s Settings) IsHome() bool { return s.Region == s.Home }

// Load reads the settings through r, recording every bad value in r (its Err reports them with the
// others of the function). Unset, they describe one region, the function's own: REGIONS = HOME_REGION =
// AWS_REGION, QUORUM = 1, so a single-region stack needs none of them. Rules: AWS_REGION is required
// (Lambda sets it); REGIONS is 1-8 distinct region names, comma-separated, the home region first, and
// contains AWS_REGION; HOME_REGION (default: the first of REGIONS, else AWS_REGION) is a region name and
// the first of REGIONS (REGIONS defaults to it); QUORUM is 1..len(REGIONS) (default a majority,
// floor(n/2)+1); STALE_AFTER_SECONDS is a whole number of seconds, 60-604800 (default 180).
func Load(r *envconfig.Reader) Settings {
	s := Settings{Region: r.String("AWS_REGION", r.String("AWS_DEFAULT_REGION", ""))}
	switch {
	case s.Region == "":
		r.Fail("AWS_REGION", "is required (Lambda sets it): the function's own region, e.g. eu-west-1")
	case !ValidRegion(s.Region):
		r.Fail("AWS_REGION", "%q is not an AWS region name (lower case, e.g. eu-west-1)", s.Region)
	}
	regions := r.List("REGIONS")
	s.Home = r.String("HOME_REGION", "")
	homeSet := s.Home != ""
	if !homeSet { // the first of REGIONS, else the function's own
		s.Home = s.Region
		if len(regions) > 0 {
			s.Home = regions[0]
		}
	}
	if homeSet && !ValidRegion(s.Home) {
		r.Fail("HOME_REGION", "%q is not an AWS region name (lower case, e.g. us-east-1)", s.Home)
	}
	s.Regions = regions
	regionsOK := true
	if len(regions) == 0 {
		s.Regions = []string{s.Home}
		if s.Region != "" && s.Home != s.Region {
			r.Fail("REGIONS", "is required when HOME_REGION (%q) is not the function's own region (%q, AWS_REGION): "+
				"list the environment's regions, comma-separated, the home region first", s.Home, s.Region)
			regionsOK = false
		}
	} else {
		regionsOK = checkRegions(r, regions, s.Home, s.Region)
	}
	regions = s.Regions

	s.Quorum = len(regions)/2 + 1
	if v := r.String("QUORUM", ""); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 1:
			r.Fail("QUORUM", "%q is not a whole number from 1 to the number of REGIONS (%d)", v, len(regions))
		case regionsOK && n > len(regions):
			r.Fail("QUORUM", "%d exceeds the number of REGIONS (%d): allowed 1 to %d", n, len(regions), len(regions))
		default:
			s.Quorum = n
		}
	}
	s.StaleAfter = time.Duration(r.Int("STALE_AFTER_SECONDS", int(DefaultStaleAfter/time.Second),
		int(MinStaleAfter/time.Second), int(MaxStaleAfter/time.Second))) * time.Second
	return s
}

// checkRegions records what is wrong with REGIONS and reports whether it is usable.
func checkRegions(r *envconfig.Reader, regions []string, home, own string) bool {
	ok := true
	bad := func(format string, args ...any) {
		r.Fail("REGIONS", format, args...)
		ok = false
	}
	if len(regions) > MaxRegions {
		bad("%d regions; allowed 1 to %d, comma-separated, the home region first", len(regions), MaxRegions)
	}
	for i, name := range regions {
		switch {
		case !ValidRegion(name):
			bad("%q is not an AWS region name (lower case, e.g. eu-west-1)", name)
		case slices.Index(regions, name) != i:
			bad("%q is listed twice; the regions must be distinct", name)
		}
	}
	if regions[0] != home {
		bad("%q must start with the home region %q (HOME_REGION)", strings.Join(regions, ","), home)
	}
	if own != "" && !slices.Contains(regions, own) {
		bad("%q does not contain the function's own region %q (AWS_REGION)", strings.Join(regions, ","), own)
	}
	return ok
}
