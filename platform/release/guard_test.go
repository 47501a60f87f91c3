package release_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/proc"
	"github.com/webhealth/webhealth/platform/release"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %v: %s", args, out)
	return strings.TrimSpace(string(out))
}

// guardRepo is a clone of an origin with a reviewed commit on main and an unreviewed one on a feature
// branch; the clone is checked out at checkout ("main" or "feature").
func guardRepo(t *testing.T, checkout string, shallow bool) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	origin := t.TempDir()
	git(t, origin, "init", "-q", "-b", "main")
	require.NoError(t, os.MkdirAll(filepath.Join(origin, "terraform", "workload", "envs"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(origin, "terraform", "workload", "envs", "prod.tfvars"), nil, 0o600))
	git(t, origin, "add", ".")
	git(t, origin, "commit", "-q", "-m", "reviewed")
	require.NoError(t, os.WriteFile(filepath.Join(origin, "main2"), []byte("x"), 0o600))
	git(t, origin, "add", ".")
	git(t, origin, "commit", "-q", "-m", "reviewed too")
	git(t, origin, "checkout", "-q", "-b", "feature")
	require.NoError(t, os.WriteFile(filepath.Join(origin, "unreviewed"), []byte("x"), 0o600))
	git(t, origin, "add", ".")
	git(t, origin, "commit", "-q", "-m", "unreviewed")
	git(t, origin, "checkout", "-q", "main")
	clone := filepath.Join(t.TempDir(), "clone")
	args := []string{"clone", "-q", "--no-local"}
	if shallow {
		args = append(args, "--depth=1", "--no-single-branch")
	}
	git(t, filepath.Dir(clone), append(args, "file://"+origin, clone)...)
	git(t, clone, "checkout", "-q", "--detach", "origin/"+checkout)
	return clone
}

type fakeRecords struct {
	keys   []string
	err    error
	listed []string
}

func (f *fakeRecords) ListKeys(_ context.Context, bucket, prefix string) ([]string, error) {
	f.listed = append(f.listed, bucket+"/"+prefix)
	var out []string
	for _, k := range f.keys {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out, f.err
}

func guardFlow(t *testing.T, root string) (*release.Flow, *bytes.Buffer) {
	t.Helper()
	var stderr bytes.Buffer
	cfg := release.Config{}
	cfg.SetDefaults()
	return &release.Flow{Root: root, Config: cfg, Runner: proc.Exec{}, Env: os.Environ(), Stdout: &bytes.Buffer{}, Stderr: &stderr}, &stderr
}

func noPromotion() release.GuardConfig {
	return release.GuardConfig{Branch: "main", Promotion: map[string]string{}}
}

// Only reviewed code is released: the tagged commit must be on origin/<RELEASE_BRANCH>, in a full clone.
func TestGuardBranch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		checkout string
		shallow  bool
		branch   string
		want     string // empty: allowed
	}{
		{name: "a commit of main", checkout: "main", branch: "main"},
		{name: "a commit only on a feature branch", checkout: "feature", branch: "main", want: "is not on the release branch origin/main (RELEASE_BRANCH): only reviewed code is released"},
		{name: "another release branch", checkout: "feature", branch: "feature"},
		{name: "a release branch missing from the clone", checkout: "main", branch: "release", want: "the release branch origin/release (RELEASE_BRANCH) is missing from this checkout: the build needs a full clone"},
		{name: "a shallow clone", checkout: "main", shallow: true, branch: "main", want: "is a shallow clone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo := guardRepo(t, tc.checkout, tc.shallow)
			f, stderr := guardFlow(t, repo)
			tg, err := f.Prepare("prod_eu-west-1/web/1.4.0")
			require.NoError(t, err)
			g := noPromotion()
			g.Branch = tc.branch
			err = f.Guard(context.Background(), tg, g, "git", &fakeRecords{})
			if tc.want == "" {
				require.NoError(t, err)
				assert.Contains(t, stderr.String(), "is on origin/"+tc.branch)
				return
			}
			var in *release.InputError
			require.ErrorAs(t, err, &in, "a refusal is the input's, before anything ran")
			assert.ErrorContains(t, err, tc.want)
		})
	}
	t.Run("not a git checkout", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(root, "terraform", "workload"), 0o750))
		f, _ := guardFlow(t, root)
		tg, err := f.Prepare("prod_eu-west-1/web/1.4.0")
		require.NoError(t, err)
		require.ErrorContains(t, f.Guard(context.Background(), tg, noPromotion(), "git", &fakeRecords{}), "is not a git repository with a commit")
	})
}

// prod only gets what beta ran: a prod release needs beta's recorded release of the same team and version.
func TestGuardPromotion(t *testing.T) {
	t.Parallel()
	repo := guardRepo(t, "main", false)
	const uri = "s3://webhealth-beta-artifacts-111122223333-eu-west-1/releases/beta"
	const records = "releases/beta/versions/"
	tests := []struct {
		name string
		tag  string
		keys []string
		uri  string
		want string
	}{
		{name: "beta released it in another region", tag: "prod_eu-west-1/web/1.4.0", keys: []string{records + "web/1.4.0/us-east-1.json"}, uri: uri},
		{name: "beta released it in the same region", tag: "prod_eu-west-1/web/1.4.0", keys: []string{records + "web/1.4.0/eu-west-1.json"}, uri: uri},
		{name: "beta released another version", tag: "prod_eu-west-1/web/1.4.0", keys: []string{records + "web/1.3.0/eu-west-1.json", records + "web/1.4.0-rc.1/eu-west-1.json"}, uri: uri,
			want: "prod_eu-west-1/web/1.4.0 needs beta's release of web 1.4.0 first (RELEASE_PROMOTION prod=beta): push beta_<region>/web/1.4.0"},
		{name: "beta released it for another team", tag: "prod_eu-west-1/web/1.4.0", keys: []string{records + "api/1.4.0/eu-west-1.json"}, uri: uri, want: "push beta_<region>/web/1.4.0"},
		{name: "beta only released its global part", tag: "prod_eu-west-1/web/1.4.0", keys: []string{records + "web/1.4.0/global.json"}, uri: uri, want: "push beta_<region>/web/1.4.0"},
		{name: "a global tag needs beta's global release", tag: "prod_global/web/1.4.0", keys: []string{records + "web/1.4.0/eu-west-1.json"}, uri: uri, want: "push beta_global/web/1.4.0"},
		{name: "beta's global release", tag: "prod_global/web/1.4.0", keys: []string{records + "web/1.4.0/global.json"}, uri: uri},
		{name: "no records location", tag: "prod_eu-west-1/web/1.4.0", want: "PRIOR_RELEASE_URI (beta's release records, its pipeline's release_snapshot_uri) is not set"},
		{name: "the records of another environment", tag: "prod_eu-west-1/web/1.4.0", uri: "s3://webhealth-dev-artifacts-111122223333-eu-west-1/releases/dev", want: "is not beta's release records"},
		{name: "dev needs nothing", tag: "dev_eu-west-1/web/1.4.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, _ := guardFlow(t, repo)
			f.Config.StateRegion = "eu-west-1"
			if strings.Contains(tc.tag, "_global/") {
				require.NoError(t, os.MkdirAll(filepath.Join(repo, "terraform", "global"), 0o750))
			}
			tg, err := f.Prepare(tc.tag)
			require.NoError(t, err)
			g := release.GuardConfig{Branch: "main", Promotion: map[string]string{"prod": "beta"}, PriorURI: tc.uri}
			err = f.Guard(context.Background(), tg, g, "git", &fakeRecords{keys: tc.keys})
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			var in *release.InputError
			require.ErrorAs(t, err, &in)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	t.Run("the records cannot be listed", func(t *testing.T) {
		t.Parallel()
		f, _ := guardFlow(t, repo)
		tg, err := f.Prepare("prod_eu-west-1/web/1.4.0")
		require.NoError(t, err)
		g := release.GuardConfig{Branch: "main", Promotion: map[string]string{"prod": "beta"}, PriorURI: uri}
		require.ErrorContains(t, f.Guard(context.Background(), tg, g, "git", &fakeRecords{err: errors.New("AccessDenied")}), "AccessDenied")
	})
	t.Run("an emulator release is a rehearsal", func(t *testing.T) {
		t.Parallel()
		f, stderr := guardFlow(t, t.TempDir())
		f.Config.Endpoint = "http://127.0.0.1:4566"
		require.NoError(t, os.MkdirAll(filepath.Join(f.Root, "terraform", "workload"), 0o750))
		tg, err := f.Prepare("prod_eu-west-1/web/1.4.0")
		require.NoError(t, err)
		require.NoError(t, f.Guard(context.Background(), tg, release.GuardConfig{Branch: "main", Promotion: map[string]string{"prod": "beta"}}, "git", nil))
		assert.Contains(t, stderr.String(), "not checked")
	})
}

func TestParsePromotion(t *testing.T) {
	t.Parallel()
	envs := []string{"dev", "beta", "prod"}
	tests := []struct {
		in   string
		want map[string]string
		err  string
	}{
		{in: "", want: map[string]string{"prod": "beta"}},
		{in: "none", want: map[string]string{}},
		{in: "prod=beta", want: map[string]string{"prod": "beta"}},
		{in: "beta=dev prod=beta", want: map[string]string{"beta": "dev", "prod": "beta"}},
		{in: "beta=dev,prod=beta", want: map[string]string{"beta": "dev", "prod": "beta"}},
		{in: "prod", err: `"prod" is not <env>=<prior env>`},
		{in: "prod=qa", err: `"qa" is not one of dev, beta, prod`},
		{in: "prod=local", err: `"local" is not one of`},
		{in: "prod=prod", err: "cannot be its own prior environment"},
		{in: "prod=beta prod=dev", err: "given a prior environment twice"},
		{in: "beta=prod prod=beta", err: "is a cycle"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := release.ParsePromotion(tc.in, envs)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := release.ParsePromotion("", []string{"dev", "qa", "prod"})
	require.ErrorContains(t, err, `"beta" is not one of dev, qa, prod`, "the default needs beta: a list without it sets RELEASE_PROMOTION (or none) explicitly")
}

func TestLoadGuardConfig(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	g, err := release.LoadGuardConfig(env(nil), release.DefaultEnvironments)
	require.NoError(t, err)
	assert.Equal(t, release.GuardConfig{Branch: "main", Promotion: map[string]string{"prod": "beta"}}, g)
	_, err = release.LoadGuardConfig(env(map[string]string{"RELEASE_BRANCH": "main;id", "RELEASE_PROMOTION": "prod=qa", "PRIOR_RELEASE_URI": "https://x"}), release.DefaultEnvironments)
	require.Error(t, err)
	for _, want := range []string{`RELEASE_BRANCH="main;id"`, "RELEASE_PROMOTION:", "PRIOR_RELEASE_URI:"} {
		assert.ErrorContains(t, err, want)
	}
}

// The apply build records the version, where the next environment's guard looks.
func TestRecordVersion(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, release.Config{SnapshotURI: "s3://artifacts/releases/beta"})
	tg, err := fx.flow.Prepare("beta_eu-west-1/web/1.4.0")
	require.NoError(t, err)
	require.NoError(t, fx.flow.RecordVersion(context.Background(), tg))
	assert.Equal(t, "artifacts", fx.uploader.bucket)
	assert.Equal(t, "releases/beta/versions/web/1.4.0/eu-west-1.json", fx.uploader.key)
	body, err := os.ReadFile(fx.uploader.path)
	require.NoError(t, err)
	assert.JSONEq(t, `{"tag": "beta_eu-west-1/web/1.4.0"}`, string(body))
}

// modules/pipeline's release_promotion default is the release flow's DefaultPromotion: its promotion test
// asserts the builds get exactly this value when the map is left at its default.
func TestPromotionDefaultMatchesThePipeline(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "prod=beta", release.DefaultPromotion)
	test, err := os.ReadFile(filepath.Join("..", "..", "modules", "pipeline", "tests", "promotion.tftest.hcl"))
	require.NoError(t, err)
	assert.Contains(t, string(test), `"RELEASE_PROMOTION=`+release.DefaultPromotion+`"`)
	vars, err := os.ReadFile(filepath.Join("..", "..", "modules", "pipeline", "variables.tf"))
	require.NoError(t, err)
	assert.Contains(t, string(vars), `default     = { prod = "beta" }`, "the pipeline's default map is DefaultPromotion's pairs")
}
