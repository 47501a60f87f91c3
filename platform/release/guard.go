package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/webhealth/webhealth/platform/proc"
)

// The release guard: before a release plans or applies anything, its code must be reviewed (the tagged
// commit is on the release branch) and, for an environment with a prior one (RELEASE_PROMOTION), the prior
// environment must have recorded a release of the same team and version. modules/pipeline passes the
// settings to its guarded builds (plan, apply): RELEASE_BRANCH, RELEASE_PROMOTION, PRIOR_RELEASE_URI.

// Guard defaults.
const (
	DefaultReleaseBranch = "main"
	DefaultRemote        = "origin"
	// DefaultPromotion is RELEASE_PROMOTION when unset: prod only gets what beta ran. "none" turns it off.
	DefaultPromotion = "prod=beta"
	PromotionOff     = "none"
)

// GuardConfig are the guard's settings.
type GuardConfig struct {
	Branch    string            // RELEASE_BRANCH: the tagged commit must be on <remote>/<branch>
	Promotion map[string]string // RELEASE_PROMOTION: environment -> the environment it needs a release of first
	PriorURI  string            // PRIOR_RELEASE_URI: the prior environment's release records, s3://bucket/releases/<env>
}

// branchPattern is a git branch name as modules/pipeline's source_branch validates it.
var branchPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$`)

// ParsePromotion reads RELEASE_PROMOTION: "<env>=<prior env>" pairs separated by spaces or commas, empty for
// DefaultPromotion, PromotionOff for none. Each environment must be one of environments, not local, not
// its own prior, named once, and the pairs must not form a cycle.
func ParsePromotion(s string, environments []string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		s = DefaultPromotion
	}
	if s == PromotionOff {
		return map[string]string{}, nil
	}
	form := fmt.Sprintf("<env>=<prior env> pairs such as %s, or %s", DefaultPromotion, PromotionOff)
	m := map[string]string{}
	for _, pair := range SplitList(s) {
		env, prior, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not <env>=<prior env> (expected %s)", pair, form)
		}
		for _, e := range []string{env, prior} {
			if e == LocalEnvironment || !slices.Contains(environments, e) {
				return nil, fmt.Errorf("%q: %q is not one of %s (ENVIRONMENTS), nor may it be %s (expected %s)", pair, e, strings.Join(environments, ", "), LocalEnvironment, form)
			}
		}
		if env == prior {
			return nil, fmt.Errorf("%q: an environment cannot be its own prior environment (expected %s)", pair, form)
		}
		if _, dup := m[env]; dup {
			return nil, fmt.Errorf("%q: %s is given a prior environment twice", pair, env)
		}
		m[env] = prior
	}
	for env := range m {
		seen := map[string]bool{env: true}
		for e := m[env]; e != ""; e = m[e] {
			if seen[e] {
				return nil, fmt.Errorf("RELEASE_PROMOTION %q is a cycle through %s: no release could ever be first", s, env)
			}
			seen[e] = true
		}
	}
	return m, nil
}

// LoadGuardConfig reads and checks the guard's settings (getenv) against the release's environments.
func LoadGuardConfig(getenv func(string) string, environments []string) (GuardConfig, error) {
	var errs []error
	g := GuardConfig{Branch: getenv("RELEASE_BRANCH"), PriorURI: getenv("PRIOR_RELEASE_URI")}
	if g.Branch == "" {
		g.Branch = DefaultReleaseBranch
	}
	if !branchPattern.MatchString(g.Branch) || strings.Contains(g.Branch, "..") {
		errs = append(errs, fmt.Errorf("RELEASE_BRANCH=%q: must be a git branch name (letters, digits, . _ / -, a letter or digit first, no ..), e.g. main", g.Branch))
	}
	p, err := ParsePromotion(getenv("RELEASE_PROMOTION"), environments)
	if err != nil {
		errs = append(errs, fmt.Errorf("RELEASE_PROMOTION: %w", err))
	}
	g.Promotion = p
	if g.PriorURI != "" {
		if _, _, err := ParseS3URI(g.PriorURI); err != nil {
			errs = append(errs, fmt.Errorf("PRIOR_RELEASE_URI: %w", err))
		}
	}
	return g, errors.Join(errs...)
}

// RecordLister lists the keys under a prefix of a bucket (release/awsdeploy: S3 ListObjectsV2).
type RecordLister interface {
	ListKeys(ctx context.Context, bucket, prefix string) ([]string, error)
}

// recordsKey is where a release's version record lives under a records prefix (RELEASE_SNAPSHOT_URI's,
// releases/<env>): versions/<team>/<version>/<region|global>.json; Record writes it, Guard lists it.
func recordsKey(prefix string, r Release) string {
	return strings.TrimPrefix(prefix+"/versions/"+r.Team+"/"+r.Version+"/"+r.Region+".json", "/")
}

// Guard refuses t before anything runs unless its commit is on the release branch (checked in the
// repository at f.Root with git) and, when g.Promotion gives t's environment a prior one, that environment
// recorded a release of the same team and version (a regional tag: in any of its regions; a global tag: its
// global release). Against an emulator (AWS_ENDPOINT_URL) a release is a rehearsal: the guard says so and
// checks nothing.
func (f *Flow) Guard(ctx context.Context, t *Target, g GuardConfig, git string, records RecordLister) error {
	if f.Config.Endpoint != "" {
		fmt.Fprintf(f.Stderr, "release guard: %s goes to an emulator (AWS_ENDPOINT_URL): branch and promotion not checked\n", t.Tag)
		return nil
	}
	if err := f.checkBranch(ctx, t, g.Branch, git); err != nil {
		return err
	}
	return f.checkPromotion(ctx, t, g, records)
}

// gitOut runs git in the repository and returns its trimmed stdout.
func (f *Flow) gitOut(ctx context.Context, git string, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := f.Runner.Run(ctx, proc.Cmd{Path: git, Args: append([]string{"-C", f.Root}, args...), Dir: f.Root, Env: f.Env, Stdout: &out, Stderr: &errOut})
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

func (f *Flow) checkBranch(ctx context.Context, t *Target, branch, git string) error {
	head, err := f.gitOut(ctx, git, "rev-parse", "--verify", "HEAD^{commit}")
	if err != nil {
		return inputErr("release guard: %s: the checkout at %s is not a git repository with a commit: %v", t.Tag, f.Root, err)
	}
	ref := "refs/remotes/" + DefaultRemote + "/" + branch
	if _, err := f.gitOut(ctx, git, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		return inputErr("release guard: %s: the release branch %s/%s (RELEASE_BRANCH) is missing from this checkout: the build needs a full clone (modules/pipeline's source is CODEBUILD_CLONE_REF)", t.Tag, DefaultRemote, branch)
	}
	if shallow, _ := f.gitOut(ctx, git, "rev-parse", "--is-shallow-repository"); shallow == "true" {
		return inputErr("release guard: %s: this checkout is a shallow clone, so whether %s is on %s/%s cannot be told: fetch its full history (git fetch --unshallow)", t.Tag, head, DefaultRemote, branch)
	}
	err = f.Runner.Run(ctx, proc.Cmd{Path: git, Args: []string{"-C", f.Root, "merge-base", "--is-ancestor", head, ref}, Dir: f.Root, Env: f.Env, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
	if code, ran := proc.ExitCode(err); ran && code == 1 {
		return inputErr("release guard: %s: its commit %s is not on the release branch %s/%s (RELEASE_BRANCH): only reviewed code is released; merge it into %s and tag the merged commit", t.Tag, head, DefaultRemote, branch, branch)
	} else if err != nil {
		return fmt.Errorf("release guard: %s: git merge-base --is-ancestor %s %s: %w", t.Tag, head, ref, err)
	}
	fmt.Fprintf(f.Stderr, "release guard: %s: commit %s is on %s/%s\n", t.Tag, head, DefaultRemote, branch)
	return nil
}

func (f *Flow) checkPromotion(ctx context.Context, t *Target, g GuardConfig, records RecordLister) error {
	prior, ok := g.Promotion[t.Environment]
	if !ok {
		return nil
	}
	need := Release{Environment: prior, Region: t.Region, Team: t.Team, Version: t.Version}
	needTag := prior + "_<region>/" + t.Team + "/" + t.Version
	if t.IsGlobal() {
		needTag = need.String()
	}
	if g.PriorURI == "" {
		return inputErr("release guard: %s needs %s's release of %s %s first (RELEASE_PROMOTION %s=%s), but PRIOR_RELEASE_URI (%s's release records, its pipeline's release_snapshot_uri) is not set", t.Tag, prior, t.Team, t.Version, t.Environment, prior, prior)
	}
	bucket, prefix, err := ParseS3URI(g.PriorURI)
	if err != nil {
		return &InputError{Err: err}
	}
	if path.Base(prefix) != prior {
		return inputErr("release guard: PRIOR_RELEASE_URI %s is not %s's release records (s3://<bucket>/releases/%s)", g.PriorURI, prior, prior)
	}
	if records == nil {
		return errors.New("release guard: no S3 client configured for the prior release records")
	}
	dir := path.Dir(recordsKey(prefix, need)) + "/"
	keys, err := records.ListKeys(ctx, bucket, dir)
	if err != nil {
		return fmt.Errorf("release guard: list %s's release records s3://%s/%s: %w", prior, bucket, dir, err)
	}
	for _, k := range keys {
		region := strings.TrimSuffix(path.Base(k), ".json")
		if path.Dir(k)+"/" != dir || !strings.HasSuffix(k, ".json") {
			continue
		}
		if (t.IsGlobal() && region == Global) || (!t.IsGlobal() && region != Global && CheckRegion(region) == nil) {
			fmt.Fprintf(f.Stderr, "release guard: %s: %s released %s %s (s3://%s/%s)\n", t.Tag, prior, t.Team, t.Version, bucket, k)
			return nil
		}
	}
	return inputErr("release guard: %s needs %s's release of %s %s first (RELEASE_PROMOTION %s=%s): push %s and let its pipeline apply it; no record under s3://%s/%s", t.Tag, prior, t.Team, t.Version, t.Environment, prior, needTag, bucket, dir)
}

// RecordVersion stores the version record of an applied release, RELEASE_SNAPSHOT_URI/versions/<team>/
// <version>/<region|global>.json (the tag in a small JSON object): what the guard of the next environment
// (RELEASE_PROMOTION) looks for. Without RELEASE_SNAPSHOT_URI there is nothing to do.
func (f *Flow) RecordVersion(ctx context.Context, t *Target) error {
	if f.Config.SnapshotURI == "" {
		return nil
	}
	bucket, prefix, err := ParseS3URI(f.Config.SnapshotURI)
	if err != nil {
		return &InputError{Err: err}
	}
	if f.Uploader == nil {
		return errors.New("record: no S3 client configured")
	}
	dir := filepath.Join(f.buildDir(), "release")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("release dir: %w", err)
	}
	file := filepath.Join(dir, "version.json")
	body, err := json.Marshal(struct {
		Tag string `json:"tag"`
	}{t.Tag})
	if err != nil {
		return fmt.Errorf("version record: %w", err)
	}
	if err := os.WriteFile(file, append(body, '\n'), 0o600); err != nil {
		return fmt.Errorf("version record: %w", err)
	}
	key := recordsKey(prefix, t.Release)
	if err := f.Uploader.Upload(ctx, bucket, key, file); err != nil {
		return err
	}
	fmt.Fprintf(f.Stdout, "record: %s's version recorded at s3://%s/%s\n", t.Tag, bucket, key)
	return nil
}
