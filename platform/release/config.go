package release

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"runtime"
	"strings"
)

// Defaults of the settings (platform/README.md, "Settings").
const (
	DefaultStatePrefix  = "webhealth-tfstate"
	DefaultStateLocking = LockingDynamoDB
	LockingDynamoDB     = "dynamodb"
	LockingLockfile     = "lockfile"
)

// DefaultEnvironments are the environments a tag may name unless ENVIRONMENTS says otherwise.
var DefaultEnvironments = []string{"local", "dev", "beta", "prod"}

// Config is every setting of a release besides the tag, checked. The zero value is not valid: use
// LoadConfig, or fill it and call Check.
type Config struct {
	Environments  []string // ENVIRONMENTS
	StatePrefix   string   // STATE_PREFIX: buckets <prefix>-<env>, lock tables <prefix>-lock-<env>
	StateRegion   string   // STATE_REGION: region of the state bucket; empty: the tag's region
	StateLocking  string   // STATE_LOCKING: dynamodb or lockfile
	AssumeRoleARN string   // ASSUME_ROLE_ARN: deployment role in the workload account
	ExpectEnv     string   // EXPECT_ENV: refuse a tag of another environment
	SnapshotURI   string   // RELEASE_SNAPSHOT_URI: s3://bucket[/prefix] of release snapshots
	Arch          string   // ARCH: arm64 or amd64 (GOARCH of the zips)
	Endpoint      string   // AWS_ENDPOINT_URL: an emulator; every backend and provider endpoint points there
	LocalrunURL   string   // LOCALRUN_URL: the local runtime serving the API stages (smoke)
	NoColor       bool     // CI set: terraform -no-color
}

// LoadConfig reads the settings from the environment (getenv) with their defaults and checks them all;
// the error names every bad variable and what it allows.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		Environments:  SplitList(getenv("ENVIRONMENTS")),
		StatePrefix:   getenv("STATE_PREFIX"),
		StateRegion:   getenv("STATE_REGION"),
		StateLocking:  getenv("STATE_LOCKING"),
		AssumeRoleARN: getenv("ASSUME_ROLE_ARN"),
		ExpectEnv:     getenv("EXPECT_ENV"),
		SnapshotURI:   getenv("RELEASE_SNAPSHOT_URI"),
		Arch:          getenv("ARCH"),
		Endpoint:      getenv("AWS_ENDPOINT_URL"),
		LocalrunURL:   getenv("LOCALRUN_URL"),
		NoColor:       getenv("CI") != "",
	}
	c.SetDefaults()
	return c, c.Check()
}

// SetDefaults fills the settings left empty with their defaults.
func (c *Config) SetDefaults() {
	if len(c.Environments) == 0 {
		c.Environments = DefaultEnvironments
	}
	if c.StatePrefix == "" {
		c.StatePrefix = DefaultStatePrefix
	}
	if c.StateLocking == "" {
		c.StateLocking = DefaultStateLocking
	}
	if c.Arch == "" {
		c.Arch = DefaultArch(c.LocalrunURL)
	}
}

// DefaultArch is arm64 (Graviton), or this machine's architecture against the local stack (LOCALRUN_URL
// set), whose local runtime runs the zips.
func DefaultArch(localrunURL string) string {
	if localrunURL != "" {
		return runtime.GOARCH
	}
	return "arm64"
}

// SplitList splits a space- or comma-separated list, dropping empty items.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

var (
	// roleARNPattern: an IAM role ARN of any partition, with an optional path (IAM's own character rules).
	roleARNPattern = regexp.MustCompile(`^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
	// bucketPattern: an S3 bucket name without dots (they break virtual-hosted TLS).
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	// keyPrefixPattern: an S3 key prefix of safe characters, no empty segments.
	keyPrefixPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*$`)
)

// Check checks every setting and returns all problems at once.
func (c Config) Check() error {
	var errs []error
	if err := CheckEnvironments(c.Environments); err != nil {
		errs = append(errs, fmt.Errorf("ENVIRONMENTS: %w", err))
	}
	for _, env := range c.Environments {
		if err := checkPrefix(c.StatePrefix, env); err != nil {
			errs = append(errs, fmt.Errorf("STATE_PREFIX: %w", err))
			break
		}
	}
	if c.StateRegion != "" {
		if err := CheckRegion(c.StateRegion); err != nil {
			errs = append(errs, fmt.Errorf("STATE_REGION (the region of the state buckets, e.g. eu-west-1): %w", err))
		}
	}
	if c.StateLocking != LockingDynamoDB && c.StateLocking != LockingLockfile {
		errs = append(errs, fmt.Errorf("STATE_LOCKING=%q: must be %s or %s", c.StateLocking, LockingDynamoDB, LockingLockfile))
	}
	if c.AssumeRoleARN != "" && !roleARNPattern.MatchString(c.AssumeRoleARN) {
		errs = append(errs, fmt.Errorf("ASSUME_ROLE_ARN=%q: must be an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name>", c.AssumeRoleARN))
	}
	if c.ExpectEnv != "" && CheckEnvironment(c.ExpectEnv, c.Environments) != nil {
		errs = append(errs, fmt.Errorf("EXPECT_ENV=%q: must be one of %s (ENVIRONMENTS)", c.ExpectEnv, strings.Join(c.Environments, ", ")))
	}
	if c.SnapshotURI != "" {
		if _, _, err := ParseS3URI(c.SnapshotURI); err != nil {
			errs = append(errs, fmt.Errorf("RELEASE_SNAPSHOT_URI: %w", err))
		}
	}
	if err := CheckArch(c.Arch); err != nil {
		errs = append(errs, fmt.Errorf("ARCH: %w", err))
	}
	if c.Endpoint != "" {
		if err := CheckEndpoint(c.Endpoint); err != nil {
			errs = append(errs, fmt.Errorf("AWS_ENDPOINT_URL: %w", err))
		}
	}
	if c.LocalrunURL != "" {
		if err := CheckEndpoint(c.LocalrunURL); err != nil {
			errs = append(errs, fmt.Errorf("LOCALRUN_URL: %w", err))
		}
	}
	return errors.Join(errs...)
}

// CheckArch says whether arch is a Lambda architecture in GOARCH spelling.
func CheckArch(arch string) error {
	if arch == "arm64" || arch == "amd64" {
		return nil
	}
	return fmt.Errorf("%q is not arm64 or amd64", arch)
}

// LambdaArchitecture is the workload's lambda_architecture for a GOARCH.
func LambdaArchitecture(arch string) string {
	if arch == "amd64" {
		return "x86_64"
	}
	return "arm64"
}

// CheckEndpoint says whether u is an http(s) URL of a host with no path, query or credentials (what
// terraform/workload's aws_endpoint_url takes).
func CheckEndpoint(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil ||
		(p.Path != "" && p.Path != "/") || p.RawQuery != "" || p.Fragment != "" || strings.ContainsAny(u, " \t\r\n\"'\\`$") {
		return fmt.Errorf("%q is not an http(s) URL with no path, e.g. http://127.0.0.1:4566", u)
	}
	return nil
}

// ParseS3URI splits s3://bucket[/prefix] (no trailing slash needed; none is kept).
func ParseS3URI(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	bad := fmt.Errorf("%q is not s3://<bucket>[/<prefix>] (bucket: lowercase letters, digits and hyphens; prefix: letters, digits, . _ - and /)", uri)
	if !ok {
		return "", "", bad
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	prefix = strings.TrimSuffix(prefix, "/")
	if !bucketPattern.MatchString(bucket) || (prefix != "" && !keyPrefixPattern.MatchString(prefix)) {
		return "", "", bad
	}
	return bucket, prefix, nil
}
