// Package release is the release flow of a tag <env>_<region>/<team>/<version> (e.g.
// prod_eu-west-1/web/1.4.0, released into terraform/workload) or <env>_global/<team>/<version> (e.g.
// dev_global/research/1.0, released into terraform/global): the tag grammar (Parse; its per-part checks
// are the rules terraform/workload's variables validate too), the derived backend settings (state bucket
// <prefix>-<env>, lock table <prefix>-lock-<env>, key <team>/<env>-<region|global>/terraform.tfstate) and
// their one writer (Backend), the settings of a release (Config), and the steps `platform release`
// runs (Flow: plan, apply, deploy, smoke, drift, record), with terraform and every other tool run as
// argument lists after everything was checked.
//
// Every accepted part consists only of characters that are safe unquoted in a shell, a Makefile,
// an S3 key and an AWS tag value, so the derived settings can be printed as KEY=value lines.
package release

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Form and Example are quoted in every tag error.
const (
	Form    = "<env>_<region>/<team>/<version> or <env>_global/<team>/<version>"
	Example = "prod_eu-west-1/web/1.4.0 or dev_global/research/1.0"
)

// Global is the region part of a tag that releases an environment's global resources (terraform/global)
// instead of one region's stack: <env>_global/<team>/<version>.
const Global = "global"

// RefPrefix is stripped from full git refs (CodePipeline sometimes passes refs/tags/<tag>).
const RefPrefix = "refs/tags/"

// Limits.
const (
	MaxTagLength         = 256
	MinEnvironmentLength = 2
	MaxEnvironmentLength = 12
	MinTeamLength        = 2
	MaxTeamLength        = 12
	MaxVersionLength     = 128
	maxBucketLength      = 63
)

// ErrInvalidTag is wrapped by every *TagError.
var ErrInvalidTag = errors.New("invalid release tag")

// TagError says what is wrong with a tag and shows the expected form.
type TagError struct {
	Tag     string // as given
	Problem string
}

func (e *TagError) Error() string {
	return fmt.Sprintf("tag %q: %s: expected %s, e.g. %s", e.Tag, e.Problem, Form, Example)
}

// Unwrap lets errors.Is(err, ErrInvalidTag) match.
func (e *TagError) Unwrap() error { return ErrInvalidTag }

// Release is a parsed release tag.
type Release struct {
	Environment string
	Region      string // an AWS region, or Global
	Team        string
	Version     string // exactly as in the tag, including any pre-release/build part
}

// IsGlobal says whether r releases the environment's global root rather than one region's stack.
func (r Release) IsGlobal() bool { return r.Region == Global }

// String is the tag without any refs/tags/ prefix.
func (r Release) String() string {
	return r.Environment + "_" + r.Region + "/" + r.Team + "/" + r.Version
}

var (
	// environmentPattern: the one rule of an environment name: every item of ENVIRONMENTS (so every
	// environment a tag may name), EXPECT_ENV, terraform/bootstrap's backends (bucket <prefix>-<env>),
	// modules/pipeline's and terraform/toolchain's release_environments and environment(s), and
	// terraform/workload's and modules/web-health's var.environment (held to it by the generated
	// tests/environments.tftest.hcl and release_tags.tftest.hcl). 2-12 lowercase letters and digits, a
	// letter first: it names the state bucket and lock table and is part of every workload resource name.
	environmentPattern = regexp.MustCompile(`^[a-z][a-z0-9]{1,11}$`)

	// teamPattern: team names, as terraform/workload's var.team: 2-12 characters, a letter first,
	// letters, digits and hyphens, a letter or digit last (and no "--", checked apart). The team is part
	// of every resource name, whose AWS limits leave it 12 characters.
	teamPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,10}[a-z0-9]$`)

	// regionPattern: <geo>[-<partition qualifier>]-<direction>-<number>, following the region
	// patterns of the AWS partitions (aws-sdk-go-v2 internal/endpoints/awsrulesfn/partitions.json:
	// aws, aws-cn, aws-us-gov, aws-iso*, aws-eusc), with the direction spelled out instead of \w+.
	regionPattern = regexp.MustCompile(`^(?:us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)` +
		`-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$`)

	// versionPattern: MAJOR.MINOR or MAJOR.MINOR.PATCH (the seed's tags use 1.0), then semantic version
	// 2.0.0's pre-release and build parts (semver.org's regular expression), without a "v": the version is
	// recorded on resources and Lambda versions as it is, and terraform/workload's var.release_version
	// takes the same form.
	versionPattern = regexp.MustCompile(`^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))?` +
		`(?:-(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?` +
		`(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$`)
)

// regionExamples is shown when a region is rejected.
const regionExamples = "an AWS region name such as eu-west-1, us-east-1, us-gov-west-1 or cn-north-1"

// VersionForm describes the version part in messages.
const VersionForm = "MAJOR.MINOR or MAJOR.MINOR.PATCH with optional -pre-release and +build and no leading v, e.g. 1.0, 1.4.0 or 2.0.0-rc.1"

// Parse parses tag (optionally a full refs/tags/ ref) against the configured environments (and
// LocalEnvironment, which every list accepts).
// Tag problems are *TagError values (errors.Is(err, ErrInvalidTag)); a bad environment list is a
// plain error.
func Parse(tag string, environments []string) (Release, error) {
	if err := CheckEnvironments(environments); err != nil {
		return Release{}, err
	}
	bad := func(format string, args ...any) (Release, error) {
		return Release{}, &TagError{Tag: tag, Problem: fmt.Sprintf(format, args...)}
	}

	if tag == "" {
		return bad("tag is empty")
	}
	if len(tag) > MaxTagLength {
		return bad("tag is %d bytes long, at most %d are allowed", len(tag), MaxTagLength)
	}
	if i := strings.IndexFunc(tag, unicode.IsSpace); i >= 0 {
		return bad("contains whitespace at byte %d", i)
	}
	if i := strings.IndexFunc(tag, func(r rune) bool { return !allowedRune(r) }); i >= 0 {
		r := []rune(tag[i:])[0]
		return bad("contains %q: only letters, digits and . _ - + / are allowed", r)
	}
	t := tag
	if rest, ok := strings.CutPrefix(t, RefPrefix); ok {
		t = rest
	} else if strings.HasPrefix(t, "refs/") {
		return bad("is a ref but not a tag ref (%s...)", RefPrefix)
	}
	switch {
	case t == "":
		return bad("tag is empty after %s", RefPrefix)
	case strings.HasPrefix(t, "/"):
		return bad("starts with /")
	case strings.HasSuffix(t, "/"):
		return bad("ends with /")
	case strings.Contains(t, "//"):
		return bad("has an empty part between //")
	}

	parts := strings.Split(t, "/")
	switch {
	case len(parts) < 3:
		return bad("has %d of the 3 parts separated by / (missing %s)", len(parts), strings.Join([]string{"<env>_<region|global>", "<team>", "<version>"}[len(parts):], " and "))
	case len(parts) > 3:
		return bad("has %d parts separated by /, not 3", len(parts))
	}
	envRegion, team, version := parts[0], parts[1], parts[2]

	env, region, ok := strings.Cut(envRegion, "_")
	if !ok {
		for _, e := range environments {
			if strings.HasPrefix(envRegion, e+"-") {
				return bad(`environment and region must be joined by "_"`)
			}
		}
		return bad(`first part %q is not <env>_<region> or <env>_global`, envRegion)
	}
	for _, err := range []error{CheckEnvironment(env, environments), checkTagRegion(region), CheckTeam(team), CheckVersion(version)} {
		if err != nil {
			return bad("%s", err.Error())
		}
	}
	return Release{Environment: env, Region: region, Team: team, Version: version}, nil
}

// CheckEnvironment says whether env is one of the configured environments or LocalEnvironment.
func CheckEnvironment(env string, environments []string) error {
	if env == LocalEnvironment || slices.Contains(environments, env) {
		return nil
	}
	if lower := strings.ToLower(env); lower == LocalEnvironment || slices.Contains(environments, lower) {
		return fmt.Errorf("environment %q must be lower case", env)
	}
	local := " or " + LocalEnvironment + " (the local stack's)"
	if slices.Contains(environments, LocalEnvironment) {
		local = ""
	}
	return fmt.Errorf("environment %q is not one of %s (ENVIRONMENTS)%s", env, strings.Join(environments, ", "), local)
}

// checkTagRegion says whether the region part of a tag is an AWS region name or Global.
func checkTagRegion(region string) error {
	if region == Global {
		return nil
	}
	if strings.ToLower(region) == Global {
		return fmt.Errorf("%q must be lower case: %s", region, Global)
	}
	if err := CheckRegion(region); err != nil {
		return fmt.Errorf("%w, or %s for the environment's global resources", err, Global)
	}
	return nil
}

// CheckRegion says whether region is an AWS region name (the tag's region, STATE_REGION, LOCAL_REGION).
func CheckRegion(region string) error {
	if regionPattern.MatchString(region) {
		return nil
	}
	if regionPattern.MatchString(strings.ToLower(region)) {
		return fmt.Errorf("region %q must be lower case", region)
	}
	return fmt.Errorf("region %q is not %s", region, regionExamples)
}

// CheckTeam says whether team is a team name (the tag's team, LOCAL_TEAM).
func CheckTeam(team string) error {
	if teamPattern.MatchString(team) && !strings.Contains(team, "--") {
		return nil
	}
	if lower := strings.ToLower(team); lower != team && teamPattern.MatchString(lower) && !strings.Contains(lower, "--") {
		return fmt.Errorf("team %q must be lower case", team)
	}
	return fmt.Errorf("team %q is not a team name (%d-%d lowercase letters, digits and single hyphens, starting with a letter and ending with a letter or digit)", team, MinTeamLength, MaxTeamLength)
}

// CheckVersion says whether version is a release version: MAJOR.MINOR or MAJOR.MINOR.PATCH with semantic
// version 2.0.0's optional pre-release and build parts, no leading v, at most MaxVersionLength bytes.
func CheckVersion(version string) error {
	if len(version) > MaxVersionLength {
		return fmt.Errorf("version is %d bytes long, at most %d are allowed", len(version), MaxVersionLength)
	}
	if versionPattern.MatchString(version) {
		return nil
	}
	if rest, ok := strings.CutPrefix(version, "v"); ok && versionPattern.MatchString(rest) {
		return fmt.Errorf("version %q has a leading v: write %s (%s)", version, rest, VersionForm)
	}
	return fmt.Errorf("version %q is not a release version (%s)", version, VersionForm)
}

// allowedRune: letters, digits and . _ - + /, ASCII only. Everything else (shell metacharacters,
// quotes, control characters, non-ASCII look-alikes) is refused before any other check.
func allowedRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("._-+/", r)
}

// EnvironmentForm describes an environment name in messages.
var EnvironmentForm = fmt.Sprintf("%d-%d lowercase letters and digits, a letter first, e.g. dev, qa, staging or prod", MinEnvironmentLength, MaxEnvironmentLength)

// CheckEnvironmentName says whether env has the form of an environment name (environmentPattern),
// whether or not it is configured: what Terraform can check of an environment without the list.
func CheckEnvironmentName(env string) error {
	if environmentPattern.MatchString(env) {
		return nil
	}
	return fmt.Errorf("environment %q is not an environment name (%s)", env, EnvironmentForm)
}

// CheckEnvironments checks the configured environment list (ENVIRONMENTS).
func CheckEnvironments(envs []string) error {
	if len(envs) == 0 {
		return errors.New("no environments configured")
	}
	seen := map[string]bool{}
	for _, e := range envs {
		if seen[e] {
			return fmt.Errorf("environment %q is named twice", e)
		}
		seen[e] = true
		if err := CheckEnvironmentName(e); err != nil {
			return err
		}
	}
	return nil
}

// Settings are what a release needs to init and apply the workload root.
type Settings struct {
	Environment string `json:"environment"`
	Region      string `json:"region"`
	Team        string `json:"team"`
	Version     string `json:"version"`
	StateBucket string `json:"state_bucket"`
	StateKey    string `json:"state_key"`
	LockTable   string `json:"lock_table"`
}

// Settings derives the backend settings under the state prefix (STATE_PREFIX, e.g. webhealth-tfstate):
// the seed's naming, bucket <prefix>-<env>, lock table <prefix>-lock-<env>, key
// <team>/<env>-<region>/terraform.tfstate, or <team>/<env>-global/terraform.tfstate for a global tag.
func (r Release) Settings(prefix string) (Settings, error) {
	if err := checkPrefix(prefix, r.Environment); err != nil {
		return Settings{}, err
	}
	return Settings{
		Environment: r.Environment,
		Region:      r.Region,
		Team:        r.Team,
		Version:     r.Version,
		StateBucket: prefix + "-" + r.Environment,
		StateKey:    r.Team + "/" + r.Environment + "-" + r.Region + "/terraform.tfstate",
		LockTable:   prefix + "-lock-" + r.Environment,
	}, nil
}

// prefixPattern keeps <prefix>-<env> a valid S3 bucket name and <prefix>-lock-<env> a valid
// DynamoDB table name: lowercase letters, digits and inner hyphens (no dots: they break
// virtual-hosted TLS).
var prefixPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)

// State prefix limits, as terraform/bootstrap's and modules/pipeline's var.state_prefix validate them
// (state_prefix_test.go generates their tests): 42 characters leave 20 of S3's 63 for "-<env>".
const (
	MinStatePrefixLength = 3
	MaxStatePrefixLength = 42
)

// reservedBucketPrefixes are the beginnings S3 refuses in bucket names; every bucket begins "<prefix>-",
// so the prefix "sthree" is refused as much as "sthree-x".
var reservedBucketPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}

// checkPrefix reports every problem of a state prefix at once, and the bucket <prefix>-<env> it names.
func checkPrefix(prefix, env string) error {
	var problems []string
	if !prefixPattern.MatchString(prefix) || strings.Contains(prefix, "--") {
		problems = append(problems, "use lowercase letters, digits and single hyphens, starting and ending with a letter or digit")
	}
	if n := len(prefix); n < MinStatePrefixLength || n > MaxStatePrefixLength {
		problems = append(problems, fmt.Sprintf("it is %d characters long, use %d-%d", n, MinStatePrefixLength, MaxStatePrefixLength))
	}
	for _, reserved := range reservedBucketPrefixes {
		if strings.HasPrefix(prefix+"-", reserved) {
			problems = append(problems, fmt.Sprintf("S3 bucket names may not start with %q", reserved))
		}
	}
	if n := len(prefix) + 1 + len(env); n > maxBucketLength {
		problems = append(problems, fmt.Sprintf("bucket %s-%s would be %d characters, S3 allows %d", prefix, env, n, maxBucketLength))
	}
	if len(problems) > 0 {
		return fmt.Errorf("state prefix %q: %s", prefix, strings.Join(problems, "; "))
	}
	return nil
}
