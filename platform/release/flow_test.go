package release_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/proc"
	"github.com/webhealth/webhealth/platform/release"
)

// fakeTools plays terraform (and gotestsum/go): it records every command, keeps the backend file of
// each init, writes the -out file of a plan, and answers show and output with canned JSON.
type fakeTools struct {
	mu       sync.Mutex
	calls    []proc.Cmd
	backends []string // backend.hcl content at each init
	planCode int      // exit status of terraform plan
	planStop error    // the context error that stops terraform plan
	show     string   // terraform show -json
	output   string   // terraform output -json
	failOn   string   // a terraform subcommand that exits 1
}

func (f *fakeTools) Run(_ context.Context, c proc.Cmd) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	if c.Path != "terraform" {
		return nil
	}
	sub := c.Args[1]
	if sub == f.failOn {
		return proc.Exited(c, 1)
	}
	switch sub {
	case "init":
		for _, a := range c.Args {
			if file, ok := strings.CutPrefix(a, "-backend-config="); ok {
				b, err := os.ReadFile(file)
				if err != nil {
					return err
				}
				f.backends = append(f.backends, string(b))
			}
		}
	case "plan":
		for _, a := range c.Args {
			if out, ok := strings.CutPrefix(a, "-out="); ok {
				if err := os.WriteFile(out, []byte("saved plan"), 0o600); err != nil {
					return err
				}
			}
		}
		if f.planStop != nil {
			return &proc.ExitError{Cmd: c.String(), Code: f.planCode, Stopped: f.planStop}
		}
		return proc.Exited(c, f.planCode)
	case "show":
		_, _ = io.WriteString(c.Stdout, f.show)
	case "output":
		_, _ = io.WriteString(c.Stdout, f.output)
	}
	return nil
}

// commands are the recorded commands as "terraform <sub>" / the program name.
func (f *fakeTools) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if c.Path == "terraform" {
			out = append(out, "terraform "+c.Args[1])
		} else {
			out = append(out, filepath.Base(c.Path))
		}
	}
	return out
}

func (f *fakeTools) last(sub string) proc.Cmd {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.calls) - 1; i >= 0; i-- {
		if c := f.calls[i]; c.Path == "terraform" && c.Args[1] == sub || c.Path != "terraform" && filepath.Base(c.Path) == sub {
			return c
		}
	}
	return proc.Cmd{}
}

type fakeDeployer struct{ got []release.DeployRequest }

func (d *fakeDeployer) Deploy(_ context.Context, r release.DeployRequest) error {
	d.got = append(d.got, r)
	return nil
}

type fakeUploader struct{ bucket, key, path string }

func (u *fakeUploader) Upload(_ context.Context, bucket, key, path string) error {
	u.bucket, u.key, u.path = bucket, key, path
	return nil
}

const planJSON = `{"format_version":"1.2","resource_changes":[
 {"address":"module.web_health.aws_lambda_function.this[\"crawler\"]","mode":"managed","change":{"actions":["update"]}},
 {"address":"data.aws_region.current","mode":"data","change":{"actions":["read"]}},
 {"address":"aws_sns_topic.ops","mode":"managed","change":{"actions":["create"]}},
 {"address":"aws_s3_object.old","mode":"managed","change":{"actions":["delete"]}},
 {"address":"aws_api_gateway_deployment.this","mode":"managed","change":{"actions":["create","delete"]}},
 {"address":"aws_iam_role.kept","mode":"managed","change":{"actions":["no-op"]}}
]}`

const wantSummary = "prod_eu-west-1/web/1.4.0: 1 to create, 1 to update, 1 to replace, 1 to delete\n" +
	"  ~ module.web_health.aws_lambda_function.this[\"crawler\"]\n" +
	"  + aws_sns_topic.ops\n" +
	"  - aws_s3_object.old\n" +
	"  -/+ aws_api_gateway_deployment.this\n"

type fixture struct {
	root     string
	tools    *fakeTools
	deployer *fakeDeployer
	uploader *fakeUploader
	builds   []string
	stdout   *bytes.Buffer
	stderr   *bytes.Buffer
	flow     *release.Flow
}

// newFixture is a repository with the workload's envs and built arm64 zips, and a flow on fakes.
func newFixture(t *testing.T, cfg release.Config) *fixture {
	t.Helper()
	root := t.TempDir()
	for _, env := range release.DefaultEnvironments {
		p := filepath.Join(root, "terraform", "workload", "envs", env+".tfvars")
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o750))
		require.NoError(t, os.WriteFile(p, nil, 0o600))
	}
	for _, fn := range release.Functions {
		p := filepath.Join(root, "build", "arm64", fn+".zip")
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o750))
		require.NoError(t, os.WriteFile(p, []byte("zip of "+fn), 0o600))
	}
	cfg.SetDefaults()
	fx := &fixture{root: root, tools: &fakeTools{show: planJSON}, deployer: &fakeDeployer{}, uploader: &fakeUploader{},
		stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	fx.flow = &release.Flow{
		Root: root, Config: cfg, TF: "terraform", Go: "go", Gotestsum: "gotestsum", Runner: fx.tools,
		Env: []string{"PATH=/bin"}, Stdout: fx.stdout, Stderr: fx.stderr,
		Build: func(_ context.Context, arch, version string) error {
			fx.builds = append(fx.builds, arch+" "+version)
			return nil
		},
		Deployer: fx.deployer, Uploader: fx.uploader,
	}
	return fx
}

// step runs one release command as `platform release <cmd>` does: Prepare, then the step.
func (fx *fixture) step(ctx context.Context, cmd, tag string) error {
	t, err := fx.flow.Prepare(tag)
	if err != nil {
		return err
	}
	switch cmd {
	case "env":
		_, err = fx.flow.EnvOutput(t, release.FormatEnv)
	case "build":
		err = fx.flow.Build(ctx, fx.flow.Config.Arch, t.Version)
	case "plan":
		err = fx.flow.Plan(ctx, t)
	case "apply":
		err = fx.flow.Apply(ctx, t)
	case "deploy":
		err = fx.flow.Deploy(ctx, t)
	case "smoke":
		err = fx.flow.Smoke(ctx, t)
	case "drift":
		_, err = fx.flow.Drift(ctx, t)
	case "record":
		err = fx.flow.Record(ctx, t)
	case "run":
		err = fx.flow.Run(ctx, t)
	default:
		return fmt.Errorf("no step %s", cmd)
	}
	return err
}

var steps = []string{"env", "build", "plan", "apply", "deploy", "smoke", "drift", "record", "run"}

// Every malformed tag of the table stops every step with the parser's message and the expected form,
// before terraform, the build or any file.
func TestFlowStopsMalformedTags(t *testing.T) {
	t.Parallel()
	for _, tc := range tagTable {
		if tc.valid {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, cmd := range steps {
				fx := newFixture(t, release.Config{SnapshotURI: "s3://snapshots/releases"})
				err := fx.step(context.Background(), cmd, tc.tag)
				require.Error(t, err, cmd)
				var te *release.TagError
				require.ErrorAs(t, err, &te, cmd)
				var in *release.InputError
				require.ErrorAs(t, err, &in, "%s: a tag error is the input's fault (exit status 2)", cmd)
				assert.Equal(t, tc.tag, te.Tag)
				assert.Contains(t, err.Error(), fmt.Sprintf("tag %q: ", tc.tag))
				assert.Contains(t, err.Error(), "expected "+release.Form+", e.g. "+release.Example)
				assert.Empty(t, fx.tools.commands(), "%s: no tool ran", cmd)
				assert.Empty(t, fx.builds, "%s: nothing was built", cmd)
				assert.NoDirExists(t, filepath.Join(fx.root, "build", "tfdata"))
				assert.NoDirExists(t, filepath.Join(fx.root, "build", "plans"))
				assert.NoFileExists(t, filepath.Join(fx.root, "injected"))
			}
		})
	}
}

// The backend of a release: the state bucket's region is STATE_REGION, else the tag's; the lock is the
// table or a lock file; no encryption of its own is requested; the emulator's endpoints when set.
func TestFlowBackend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  release.Config
		want string
	}{
		{
			name: "state region set, lock file",
			cfg:  release.Config{StateRegion: "eu-central-1", StateLocking: "lockfile"},
			want: "bucket = \"webhealth-tfstate-prod\"\nkey    = \"web/prod-eu-west-1/terraform.tfstate\"\nregion = \"eu-central-1\"\nuse_lockfile = true\n",
		},
		{
			name: "the tag's region, lock table",
			cfg:  release.Config{},
			want: "bucket = \"webhealth-tfstate-prod\"\nkey    = \"web/prod-eu-west-1/terraform.tfstate\"\nregion = \"eu-west-1\"\ndynamodb_table = \"webhealth-tfstate-lock-prod\"\n",
		},
		{
			// The role is the build's, through the environment (UseRole): a saved plan keeps its backend
			// configuration, so a role written there would be the planning build's at apply too.
			name: "role and prefix: no role in the backend",
			cfg:  release.Config{StatePrefix: "acme-tf", AssumeRoleARN: "arn:aws:iam::123456789012:role/deploy"},
			want: "bucket = \"acme-tf-prod\"\nkey    = \"web/prod-eu-west-1/terraform.tfstate\"\nregion = \"eu-west-1\"\ndynamodb_table = \"acme-tf-lock-prod\"\n",
		},
		{
			name: "emulator",
			cfg:  release.Config{StateRegion: "us-east-1", Endpoint: "http://127.0.0.1:4566"},
			want: "bucket = \"webhealth-tfstate-prod\"\nkey    = \"web/prod-eu-west-1/terraform.tfstate\"\nregion = \"us-east-1\"\ndynamodb_table = \"webhealth-tfstate-lock-prod\"\n" +
				"endpoints = {\n  s3       = \"http://127.0.0.1:4566\"\n  dynamodb = \"http://127.0.0.1:4566\"\n  iam      = \"http://127.0.0.1:4566\"\n  sts      = \"http://127.0.0.1:4566\"\n}\n" +
				"use_path_style              = true\nskip_credentials_validation = true\nskip_requesting_account_id  = true\nskip_metadata_api_check     = true\nskip_s3_checksum            = true\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t, tc.cfg)
			require.NoError(t, fx.step(context.Background(), "plan", "prod_eu-west-1/web/1.4.0"))
			require.Len(t, fx.tools.backends, 1)
			assert.Equal(t, tc.want, fx.tools.backends[0])
			for _, line := range strings.Split(fx.tools.backends[0], "\n") {
				assert.False(t, strings.HasPrefix(line, "encrypt") || strings.HasPrefix(line, "kms_key_id"),
					"the backend requests no encryption of its own (the bucket's KMS default applies): %q", line)
			}
			init := fx.tools.last("init")
			backend := filepath.Join(fx.root, "build", "tfdata", "prod-eu-west-1-web", "backend.hcl")
			assert.Equal(t, []string{"-chdir=" + filepath.Join(fx.root, "terraform", "workload"), "init", "-input=false", "-reconfigure", "-backend-config=" + backend}, init.Args)
			assert.Contains(t, init.Env, "TF_DATA_DIR="+filepath.Join(fx.root, "build", "tfdata", "prod-eu-west-1-web"))
		})
	}
}

// A bad setting stops the release before terraform init, whatever it holds.
func TestFlowRefusesBadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  release.Config
		want string
	}{
		{"state region with quote", release.Config{StateRegion: `eu-west-1"; x`}, `STATE_REGION (the region of the state buckets, e.g. eu-west-1): region "eu-west-1\"; x" is not an AWS region name`},
		{"state region with backticks", release.Config{StateRegion: "eu-west-1`id`"}, "STATE_REGION"},
		{"state region with substitution", release.Config{StateRegion: "$(id)"}, "STATE_REGION"},
		{"state region with newline", release.Config{StateRegion: "eu-west-1\nregion = \"x\""}, "STATE_REGION"},
		{"state region upper case", release.Config{StateRegion: "EU-WEST-1"}, `region "EU-WEST-1" must be lower case`},
		{"state prefix with backticks", release.Config{StatePrefix: "tf`id`"}, `STATE_PREFIX: state prefix "tf` + "`id`" + `": use lowercase letters`},
		{"state prefix with substitution", release.Config{StatePrefix: "$(touch x)"}, "STATE_PREFIX"},
		{"state prefix with quotes", release.Config{StatePrefix: `tf"x`}, "STATE_PREFIX"},
		{"state prefix with newline", release.Config{StatePrefix: "tf\nx"}, "STATE_PREFIX"},
		{"state prefix too long", release.Config{StatePrefix: strings.Repeat("a", 59)}, "-local would be 65 characters, S3 allows 63"},
		{"locking", release.Config{StateLocking: "none"}, `STATE_LOCKING="none": must be dynamodb or lockfile`},
		{"role not an ARN", release.Config{AssumeRoleARN: "deploy"}, `ASSUME_ROLE_ARN="deploy": must be an IAM role ARN`},
		{"role of a user", release.Config{AssumeRoleARN: "arn:aws:iam::123456789012:user/x"}, "ASSUME_ROLE_ARN"},
		{"role with shell", release.Config{AssumeRoleARN: "arn:aws:iam::123456789012:role/x;id"}, "ASSUME_ROLE_ARN"},
		{"expected environment unknown", release.Config{ExpectEnv: "qa"}, `EXPECT_ENV="qa": must be one of dev, beta, prod (ENVIRONMENTS) or local`},
		{"expected environment with shell", release.Config{ExpectEnv: "prod`id`"}, "EXPECT_ENV"},
		{"snapshot not s3", release.Config{SnapshotURI: "https://bucket/x"}, `RELEASE_SNAPSHOT_URI: "https://bucket/x" is not s3://<bucket>[/<prefix>]`},
		{"snapshot bucket with dots", release.Config{SnapshotURI: "s3://a.b/x"}, "RELEASE_SNAPSHOT_URI"},
		{"snapshot prefix with shell", release.Config{SnapshotURI: "s3://bucket/$(id)"}, "RELEASE_SNAPSHOT_URI"},
		{"arch", release.Config{Arch: "x86_64"}, `ARCH: "x86_64" is not arm64 or amd64`},
		{"endpoint with path", release.Config{Endpoint: "http://127.0.0.1:4566/x"}, "AWS_ENDPOINT_URL"},
		{"endpoint with quote", release.Config{Endpoint: `http://127.0.0.1:4566"`}, "AWS_ENDPOINT_URL"},
		{"environments", release.Config{Environments: []string{"Prod"}}, `ENVIRONMENTS: environment "Prod" is not an environment name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t, tc.cfg)
			for _, cmd := range steps {
				err := fx.step(context.Background(), cmd, "prod_eu-west-1/web/1.4.0")
				require.Error(t, err, cmd)
				var in *release.InputError
				require.ErrorAs(t, err, &in, cmd)
				assert.Contains(t, err.Error(), tc.want, cmd)
			}
			assert.Empty(t, fx.tools.commands(), "terraform never ran")
			assert.Empty(t, fx.builds)
			assert.NoDirExists(t, filepath.Join(fx.root, "build", "tfdata"))
		})
	}
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"ENVIRONMENTS": "dev, prod qa", "STATE_PREFIX": "acme", "STATE_REGION": "eu-central-1", "STATE_LOCKING": "lockfile",
		"ASSUME_ROLE_ARN": "arn:aws-us-gov:iam::123456789012:role/path/deploy", "EXPECT_ENV": "qa", "RELEASE_SNAPSHOT_URI": "s3://artifacts/releases/qa",
		"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "LOCALRUN_URL": "http://127.0.0.1:4567", "CI": "true", "ARCH": "amd64",
	}
	cfg, err := release.LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, release.Config{
		Environments: []string{"dev", "prod", "qa"}, StatePrefix: "acme", StateRegion: "eu-central-1", StateLocking: "lockfile",
		AssumeRoleARN: "arn:aws-us-gov:iam::123456789012:role/path/deploy", ExpectEnv: "qa", SnapshotURI: "s3://artifacts/releases/qa",
		Arch: "amd64", Endpoint: "http://127.0.0.1:4566", LocalrunURL: "http://127.0.0.1:4567", NoColor: true,
	}, cfg)

	cfg, err = release.LoadConfig(func(string) string { return "" })
	require.NoError(t, err)
	assert.Equal(t, release.Config{Environments: []string{"dev", "beta", "prod"}, StatePrefix: "webhealth-tfstate",
		StateLocking: "dynamodb", Arch: "arm64"}, cfg)

	// Every bad variable is named at once.
	_, err = release.LoadConfig(func(k string) string {
		return map[string]string{"STATE_REGION": "x", "STATE_LOCKING": "y", "ARCH": "z"}[k]
	})
	require.Error(t, err)
	for _, v := range []string{"STATE_REGION", "STATE_LOCKING", "ARCH"} {
		assert.Contains(t, err.Error(), v)
	}
}

func TestFlowEnv(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, release.Config{StateRegion: "eu-central-1"})
	tg, err := fx.flow.Prepare("refs/tags/prod_eu-west-1/web/1.4.0")
	require.NoError(t, err)
	out, err := fx.flow.EnvOutput(tg, release.FormatEnv)
	require.NoError(t, err)
	assert.Equal(t, "RELEASE_ENV=prod\nRELEASE_REGION=eu-west-1\nRELEASE_TEAM=web\nRELEASE_VERSION=1.4.0\n"+
		"STATE_BUCKET=webhealth-tfstate-prod\nSTATE_KEY=web/prod-eu-west-1/terraform.tfstate\nLOCK_TABLE=webhealth-tfstate-lock-prod\n"+
		"STATE_REGION=eu-central-1\n", string(out))
	out, err = fx.flow.EnvOutput(tg, release.FormatJSON)
	require.NoError(t, err)
	assert.JSONEq(t, `{"environment":"prod","region":"eu-west-1","team":"web","version":"1.4.0","state_bucket":"webhealth-tfstate-prod",
		"state_key":"web/prod-eu-west-1/terraform.tfstate","lock_table":"webhealth-tfstate-lock-prod","state_region":"eu-central-1"}`, string(out))
	_, err = fx.flow.EnvOutput(tg, "yaml")
	assert.ErrorContains(t, err, `format "yaml" is not env or json`)
}

func TestFlowExpectEnv(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, release.Config{ExpectEnv: "dev"})
	err := fx.step(context.Background(), "plan", "prod_eu-west-1/web/1.4.0")
	var in *release.InputError
	require.ErrorAs(t, err, &in)
	assert.EqualError(t, err, "tag prod_eu-west-1/web/1.4.0 releases prod, but this pipeline deploys dev (EXPECT_ENV)")
	assert.Empty(t, fx.tools.commands())
	require.NoError(t, fx.step(context.Background(), "plan", "dev_eu-west-1/web/1.4.0"))
}

func TestFlowPlan(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, release.Config{NoColor: true, AssumeRoleARN: "arn:aws:iam::123456789012:role/deploy"})
	plans := filepath.Join(fx.root, "build", "plans")
	require.NoError(t, os.MkdirAll(plans, 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(plans, "prod-eu-west-1-web.tfplan.txt"), []byte("stale"), 0o600))

	require.NoError(t, fx.step(context.Background(), "plan", "refs/tags/prod_eu-west-1/web/1.4.0"))
	assert.Equal(t, []string{"terraform init", "terraform plan", "terraform show"}, fx.tools.commands())
	plan := filepath.Join(plans, "prod-eu-west-1-web.tfplan")
	assert.Equal(t, []string{"-chdir=" + filepath.Join(fx.root, "terraform", "workload"), "plan", "-input=false", "-no-color", "-lock-timeout=5m", "-out=" + plan,
		"-var-file=envs/prod.tfvars", "-var", "environment=prod", "-var", "region=eu-west-1", "-var", "team=web",
		"-var", "release_version=1.4.0", "-var", "artifacts_dir=../../build/arm64", "-var", "lambda_architecture=arm64",
		"-var", `global_state={ bucket = "webhealth-tfstate-prod", key = "web/prod-global/terraform.tfstate", region = "eu-west-1" }`},
		fx.tools.last("plan").Args, "no assume_role_arn: a saved plan keeps its variables, the role is the build's (UseRole)")
	assert.Equal(t, fx.stderr, fx.tools.last("plan").Stdout, "terraform's plan output goes to stderr; stdout is the summary")
	assert.Equal(t, []string{"-chdir=" + filepath.Join(fx.root, "terraform", "workload"), "show", "-json", plan}, fx.tools.last("show").Args)

	assert.Equal(t, wantSummary, fx.stdout.String())
	assertFile(t, plan+".txt", wantSummary)
	assertFile(t, filepath.Join(plans, "prod-eu-west-1-web.summary"), "prod_eu-west-1/web/1.4.0: 1 to create, 1 to update, 1 to replace, 1 to delete\n")
	assertFile(t, filepath.Join(plans, "prod-eu-west-1-web.tag"), "prod_eu-west-1/web/1.4.0\n")
	assert.NoDirExists(t, filepath.Join(fx.root, "build", "emulator-deployed"), "copies are for emulators only")
}

func TestFlowPlanFailureLeavesNoSavedPlan(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, release.Config{})
	fx.tools.planCode = 1
	err := fx.step(context.Background(), "plan", "prod_eu-west-1/web/1.4.0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "terraform -chdir="+filepath.Join(fx.root, "terraform", "workload")+" plan -input=false")
	assert.True(t, strings.HasSuffix(err.Error(), " exited with status 1"), err.Error())
	assert.NoFileExists(t, filepath.Join(fx.root, "build", "plans", "prod-eu-west-1-web.tag"), "apply refuses a plan that has no tag")
}

func TestFlowVarsNeedTheZipsAndTheEnvironment(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, release.Config{})
	require.NoError(t, os.Remove(filepath.Join(fx.root, "build", "arm64", "urlapi.zip")))
	err := fx.step(context.Background(), "plan", "prod_eu-west-1/web/1.4.0")
	var in *release.InputError
	require.ErrorAs(t, err, &in)
	assert.Contains(t, err.Error(), "urlapi.zip is missing: run platform build -arch arm64 -version 1.4.0 first")
	assert.Equal(t, []string{"terraform init"}, fx.tools.commands(), "no plan without the zips")

	fx = newFixture(t, release.Config{})
	require.NoError(t, os.Remove(filepath.Join(fx.root, "terraform", "workload", "envs", "beta.tfvars")))
	err = fx.step(context.Background(), "drift", "beta_eu-west-1/web/1.4.0")
	assert.ErrorContains(t, err, "terraform/workload/envs/beta.tfvars is missing: every environment keeps its settings there")
}

func TestFlowEmulatorCopies(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, release.Config{Endpoint: "http://127.0.0.1:4566", LocalrunURL: "http://127.0.0.1:4567", Arch: "arm64"})
	require.NoError(t, fx.step(context.Background(), "plan", "prod_us-east-1/web/1.0.0"))
	args := fx.tools.last("plan").Args
	assert.Equal(t, []string{"-var", "aws_endpoint_url=http://127.0.0.1:4566"}, args[len(args)-2:])
	for _, fn := range release.Functions {
		sum := sha256.Sum256([]byte("zip of " + fn))
		assertFile(t, filepath.Join(fx.root, "build", "emulator-deployed", fn+"-"+hex.EncodeToString(sum[:])[:16]+".zip"), "zip of "+fn)
	}
}

func TestFlowApply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fx := newFixture(t, release.Config{})
	err := fx.step(ctx, "apply", "prod_eu-west-1/web/1.4.0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no saved plan")
	assert.Contains(t, err.Error(), "run platform release plan -tag prod_eu-west-1/web/1.4.0 and review it first (apply never plans)")
	assert.Empty(t, fx.tools.commands())

	require.NoError(t, fx.step(ctx, "plan", "prod_eu-west-1/web/1.3.0"))
	err = fx.step(ctx, "apply", "prod_eu-west-1/web/1.4.0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `was planned for "prod_eu-west-1/web/1.3.0", not prod_eu-west-1/web/1.4.0`)
	assert.NotContains(t, fx.tools.commands(), "terraform apply")

	require.NoError(t, fx.step(ctx, "apply", "prod_eu-west-1/web/1.3.0"))
	plan := filepath.Join(fx.root, "build", "plans", "prod-eu-west-1-web.tfplan")
	assert.Equal(t, []string{"-chdir=" + filepath.Join(fx.root, "terraform", "workload"), "apply", "-input=false", "-lock-timeout=5m", plan}, fx.tools.last("apply").Args)
}

func TestFlowDrift(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		code     int
		stop     error
		drifted  bool
		wantErr  string
		stdout   string
		stderrIn string
	}{
		{name: "none", code: 0, stdout: "drift: none: the live infrastructure of prod_eu-west-1/web/1.4.0 matches its code\n"},
		{name: "drift", code: 2, drifted: true, stderrIn: "DRIFT: the live infrastructure of prod_eu-west-1/web/1.4.0 no longer matches its code:\n" + wantSummary},
		{name: "broken", code: 1, wantErr: "the drift check of prod_eu-west-1/web/1.4.0 could not run (terraform plan exit status 1)"},
		{name: "stopped, whatever it exited with", code: 2, stop: context.Canceled, wantErr: "plan -input=false -lock-timeout=5m -detailed-exitcode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t, release.Config{})
			fx.tools.planCode, fx.tools.planStop = tc.code, tc.stop
			tg, err := fx.flow.Prepare("prod_eu-west-1/web/1.4.0")
			require.NoError(t, err)
			drifted, err := fx.flow.Drift(context.Background(), tg)
			switch {
			case tc.stop != nil:
				require.ErrorIs(t, err, tc.stop)
				assert.ErrorContains(t, err, tc.wantErr)
			case tc.wantErr != "":
				assert.EqualError(t, err, tc.wantErr)
			default:
				require.NoError(t, err)
			}
			assert.Equal(t, tc.drifted, drifted)
			assert.Equal(t, tc.stdout, fx.stdout.String())
			assert.Contains(t, fx.stderr.String(), tc.stderrIn)
			assert.Contains(t, fx.tools.last("plan").Args, "-detailed-exitcode")
			assert.Contains(t, fx.tools.last("plan").Args, "-out="+filepath.Join(fx.root, "build", "plans", "prod-eu-west-1-web.drift.tfplan"))
		})
	}
}

const outputsJSON = `{
 "api_url": {"value": "https://abc.execute-api.eu-west-1.amazonaws.com/v1", "sensitive": false},
 "api_id": {"value": "abc"}, "stage_name": {"value": "v1"}, "api_key": {"value": "secret-key", "sensitive": true},
 "function_names": {"value": {"crawler": "fn-crawler", "alarmlogger": "fn-alarmlogger", "urlapi": "fn-urlapi"}},
 "codedeploy": {"value": {
   "urlapi": {"application": "app", "deployment_group": "grp-urlapi", "appspec": "x"},
   "crawler": {"application": "app", "deployment_group": "grp-crawler", "appspec": "x"},
   "alarmlogger": {"application": null, "deployment_group": null, "appspec": null}}}
}`

func TestFlowDeploy(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, release.Config{AssumeRoleARN: "arn:aws:iam::123456789012:role/deploy"})
	fx.tools.output = outputsJSON
	require.NoError(t, fx.step(context.Background(), "deploy", "prod_eu-west-1/web/1.4.0"))
	assert.Equal(t, []string{"terraform init", "terraform output"}, fx.tools.commands())
	assert.Equal(t, []release.DeployRequest{{
		Tag: "prod_eu-west-1/web/1.4.0", Environment: "prod", Region: "eu-west-1", AssumeRoleARN: "arn:aws:iam::123456789012:role/deploy",
		Deployments: []release.Deployment{
			{Key: "crawler", Function: "fn-crawler", Application: "app", Group: "grp-crawler"},
			{Key: "urlapi", Function: "fn-urlapi", Application: "app", Group: "grp-urlapi"},
		},
	}}, fx.deployer.got)

	for _, off := range []string{`{"codedeploy": {"value": null}, "function_names": {"value": {}}}`, `{}`} {
		fx := newFixture(t, release.Config{})
		fx.tools.output = off
		require.NoError(t, fx.step(context.Background(), "deploy", "prod_eu-west-1/web/1.4.0"))
		assert.Equal(t, "deploy: CodeDeploy is off for prod_eu-west-1/web/1.4.0 (no codedeploy output): Terraform moves the live aliases itself\n", fx.stdout.String())
		assert.Empty(t, fx.deployer.got)
	}

	fx = newFixture(t, release.Config{})
	fx.tools.output = `{"codedeploy": {"value": {"crawler": {"application": "app", "deployment_group": "g"}}}}`
	assert.ErrorContains(t, fx.step(context.Background(), "deploy", "prod_eu-west-1/web/1.4.0"), "no function_names.crawler output")
}

func TestFlowSmoke(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     release.Config
		wantURL string
	}{
		{"AWS", release.Config{}, "https://abc.execute-api.eu-west-1.amazonaws.com/v1"},
		{"emulator with the local runtime", release.Config{Endpoint: "http://127.0.0.1:4566", LocalrunURL: "http://127.0.0.1:4567/", Arch: "arm64"}, "http://127.0.0.1:4567/abc/v1"},
		{"emulator alone", release.Config{Endpoint: "http://127.0.0.1:4566"}, "https://abc.execute-api.eu-west-1.amazonaws.com/v1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t, tc.cfg)
			fx.tools.output = outputsJSON
			require.NoError(t, fx.step(context.Background(), "smoke", "prod_eu-west-1/web/1.4.0"))
			c := fx.tools.last("gotestsum")
			assert.Equal(t, []string{"--format", "testname", "--junitfile", filepath.Join(fx.root, "reports", "smoke-prod-eu-west-1-web.xml"), "--",
				"-tags", "e2e", "-run", "^TestSmoke", "-count=1", "./..."}, c.Args)
			assert.Equal(t, filepath.Join(fx.root, "test"), c.Dir)
			assert.Contains(t, c.Env, "API_URL="+tc.wantURL)
			assert.Contains(t, c.Env, "API_KEY=secret-key")
			assert.NotContains(t, fx.stdout.String()+fx.stderr.String(), "secret-key", "the key is never printed")
		})
	}
	fx := newFixture(t, release.Config{})
	fx.tools.output = `{"api_url": {"value": "https://x/v1"}}`
	assert.ErrorContains(t, fx.step(context.Background(), "smoke", "prod_eu-west-1/web/1.4.0"), "has no api_url/api_key output: is the release applied?")
}

func TestFlowRecord(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, release.Config{})
	require.NoError(t, fx.step(context.Background(), "record", "prod_eu-west-1/web/1.4.0"))
	assert.Equal(t, "record: RELEASE_SNAPSHOT_URI is not set: nothing to record\n", fx.stdout.String())
	assert.Empty(t, fx.uploader.key)

	fx = newFixture(t, release.Config{SnapshotURI: "s3://artifacts/releases/prod/"})
	for _, f := range []string{"go.mod", ".git/HEAD", "terraform/workload/.terraform/x", "build/plans/p.tfplan", ".local/env", "reports/r.xml"} {
		require.NoError(t, os.MkdirAll(filepath.Join(fx.root, filepath.Dir(f)), 0o750))
		require.NoError(t, os.WriteFile(filepath.Join(fx.root, f), []byte(f), 0o600))
	}
	require.NoError(t, fx.step(context.Background(), "record", "refs/tags/prod_eu-west-1/web/1.4.0"))
	assert.Equal(t, "artifacts", fx.uploader.bucket)
	assert.Equal(t, "releases/prod/eu-west-1/web/current.zip", fx.uploader.key)
	assert.Equal(t, "record: prod_eu-west-1/web/1.4.0 recorded at s3://artifacts/releases/prod/eu-west-1/web/current.zip\n", fx.stdout.String())
	assertFile(t, filepath.Join(fx.root, "build", "release", "tag"), "prod_eu-west-1/web/1.4.0\n")
	names := zipNames(t, fx.uploader.path)
	assert.Contains(t, names, "go.mod")
	assert.Contains(t, names, "build/release/tag", "the drift check reads the tag from the snapshot")
	assert.Contains(t, names, "build/arm64/crawler.zip", "the drift check plans the released zips")
	for _, n := range names {
		for _, out := range []string{".git/", ".terraform/", "build/plans/", ".local/", "reports/", "build/release/snapshot.zip", "build/release/.snapshot"} {
			assert.NotContains(t, n, out)
		}
	}
}

func TestFlowRun(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, release.Config{Arch: "amd64"})
	// The build of the fixture is a fake: the zips the plan needs are there for amd64 too.
	for _, fn := range release.Functions {
		p := filepath.Join(fx.root, "build", "amd64", fn+".zip")
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o750))
		require.NoError(t, os.WriteFile(p, nil, 0o600))
	}
	fx.tools.output = outputsJSON
	require.NoError(t, fx.step(context.Background(), "run", "prod_eu-west-1/web/1.4.0"))
	assert.Equal(t, []string{"amd64 1.4.0"}, fx.builds)
	assert.Equal(t, []string{
		"terraform init", "terraform plan", "terraform show", // plan
		"terraform init", "terraform apply", // apply
		"terraform init", "terraform output", // deploy
		"terraform init", "terraform output", "gotestsum", // smoke
	}, fx.tools.commands())
	assert.True(t, strings.HasPrefix(fx.stdout.String(), "RELEASE_ENV=prod\n"), fx.stdout.String())
	assert.Len(t, fx.deployer.got, 1)
	assert.Contains(t, fx.tools.last("plan").Args, "lambda_architecture=x86_64")

	// A failing step stops the run.
	fx = newFixture(t, release.Config{})
	fx.tools.failOn = "apply"
	err := fx.step(context.Background(), "run", "prod_eu-west-1/web/1.4.0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "apply: terraform -chdir="+filepath.Join(fx.root, "terraform", "workload")+" apply -input=false")
	assert.True(t, strings.HasSuffix(err.Error(), " exited with status 1"), err.Error())
	assert.NotContains(t, fx.tools.commands(), "terraform output")
}

func TestSummary(t *testing.T) {
	t.Parallel()
	got, err := release.Summary("prod_eu-west-1/web/1.4.0", []byte(planJSON))
	require.NoError(t, err)
	assert.Equal(t, wantSummary, got)
	got, err = release.Summary("t", []byte(`{"format_version":"1.2"}`))
	require.NoError(t, err)
	assert.Equal(t, "t: 0 to create, 0 to update, 0 to replace, 0 to delete\n", got)
	_, err = release.Summary("t", []byte("Error: not json"))
	assert.ErrorContains(t, err, "read the plan (terraform show -json)")
}

func TestHCLString(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"plain":             `"plain"`,
		`q"uote`:            `"q\"uote"`,
		`back\slash`:        `"back\\slash"`,
		"new\nline\r\t":     `"new\nline\r\t"`,
		"${IFS} %{if} $x %": `"$${IFS} %%{if} $x %"`,
		"$${x}":             `"$$${x}"`,
		"\x1b[31m\x00":      `"\u001b[31m\u0000"`,
	}
	for in, want := range tests {
		assert.Equal(t, want, release.HCLString(in), "%q", in)
	}
}

func TestBackendRefusesBadOptions(t *testing.T) {
	t.Parallel()
	r, err := release.Parse("local_us-east-1/e2e-abc/0.0.0-e2e", release.DefaultEnvironments)
	require.NoError(t, err)
	s, err := r.Settings("webhealth-tfstate")
	require.NoError(t, err)
	for _, o := range []release.BackendOptions{
		{StateRegion: "eu-west-1\"\nx"}, {Locking: "s3"}, {AssumeRoleARN: "role"}, {Endpoint: "127.0.0.1:4566"},
	} {
		_, err := s.Backend(o)
		assert.Error(t, err, "%+v", o)
	}
	b, err := s.Backend(release.BackendOptions{Endpoint: "http://127.0.0.1:4566"})
	require.NoError(t, err)
	assert.Equal(t, release.Backend{Bucket: "webhealth-tfstate-local", Key: "e2e-abc/local-us-east-1/terraform.tfstate", Region: "us-east-1",
		LockTable: "webhealth-tfstate-lock-local", Endpoint: "http://127.0.0.1:4566"}, b)
	file := filepath.Join(t.TempDir(), "d", "backend.hcl")
	require.NoError(t, b.WriteFile(file))
	assertFile(t, file, string(b.HCL()))
	st, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, string(got), path)
}

func zipNames(t *testing.T, path string) []string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	return names
}

// unquoteHCL reads back a string literal HCLString wrote (its escapes and doubled template sequences).
func unquoteHCL(t *testing.T, q string) string {
	t.Helper()
	require.True(t, len(q) >= 2 && q[0] == '"' && q[len(q)-1] == '"', q)
	in := []rune(q[1 : len(q)-1])
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		r := in[i]
		switch {
		case r == '\\':
			i++
			require.Less(t, i, len(in), "dangling backslash in %s", q)
			switch in[i] {
			case '"', '\\':
				b.WriteRune(in[i])
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				require.LessOrEqual(t, i+4, len(in)-1, q)
				var v rune
				_, err := fmt.Sscanf(string(in[i+1:i+5]), "%04x", &v)
				require.NoError(t, err)
				b.WriteRune(v)
				i += 4
			default:
				t.Fatalf("unknown escape \\%c in %s", in[i], q)
			}
		case r == '"' || r == '\n' || r < 0x20:
			t.Fatalf("raw %q in %s", r, q)
		case (r == '$' || r == '%') && i+1 < len(in) && in[i+1] == '{':
			t.Fatalf("template sequence %c{ in %s", r, q)
		case (r == '$' || r == '%') && i+2 < len(in) && in[i+1] == r && in[i+2] == '{':
			b.WriteRune(r)
			b.WriteByte('{')
			i += 2
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FuzzHCLString: whatever a value holds, its literal reads back as the value and can neither end the
// string nor interpolate.
func FuzzHCLString(f *testing.F) {
	for _, s := range []string{"", "plain", `"; x = "y`, "${file(\"/etc/passwd\")}", "%{ if true }x%{ endif }", "$${x}", "a\nb\\", "\x1b[2J", "$", "%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip("values are text")
		}
		assert.Equal(t, s, unquoteHCL(t, release.HCLString(s)))
	})
}

// A global tag releases terraform/global: while that root is missing from the checkout every step stops
// before anything runs, naming the root; without STATE_REGION it stops too (the tag has no region).
func TestFlowGlobalTagNeedsItsRoot(t *testing.T) {
	t.Parallel()
	for _, cmd := range steps {
		fx := newFixture(t, release.Config{StateRegion: "us-east-1", SnapshotURI: "s3://snapshots/releases"})
		err := fx.step(context.Background(), cmd, "dev_global/research/1.0")
		var in *release.InputError
		require.ErrorAs(t, err, &in, cmd)
		assert.EqualError(t, err, "tag dev_global/research/1.0 releases the Terraform root terraform/global, which is missing from this checkout: nothing ran", cmd)
		assert.Empty(t, fx.tools.commands(), "%s: no tool ran", cmd)
		assert.Empty(t, fx.builds, "%s: nothing was built", cmd)
		assert.NoDirExists(t, filepath.Join(fx.root, "build", "tfdata"), cmd)
		assert.NoDirExists(t, filepath.Join(fx.root, "build", "plans"), cmd)
		assert.NoDirExists(t, filepath.Join(fx.root, "terraform", "global"), cmd)
	}

	fx := newFixture(t, release.Config{})
	require.NoError(t, os.MkdirAll(filepath.Join(fx.root, "terraform", "global", "envs"), 0o750))
	err := fx.step(context.Background(), "plan", "dev_global/research/1.0")
	var in *release.InputError
	require.ErrorAs(t, err, &in)
	assert.EqualError(t, err, "tag dev_global/research/1.0 releases terraform/global, which has no region of its own: set STATE_REGION to the region of the state bucket webhealth-tfstate-dev")
	assert.Empty(t, fx.tools.commands())
}

// With the root present, a global tag plans terraform/global under the seed's state key
// <team>/<env>-global/terraform.tfstate, in the state bucket's region, without a region variable; a
// regional tag still plans terraform/workload.
func TestFlowGlobalTagPlansTheGlobalRoot(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, release.Config{StateRegion: "us-east-1"})
	global := filepath.Join(fx.root, "terraform", "global")
	require.NoError(t, os.MkdirAll(filepath.Join(global, "envs"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(global, "envs", "dev.tfvars"), nil, 0o600))

	require.NoError(t, fx.step(context.Background(), "plan", "refs/tags/dev_global/research/1.0"))
	assert.Equal(t, "bucket = \"webhealth-tfstate-dev\"\nkey    = \"research/dev-global/terraform.tfstate\"\nregion = \"us-east-1\"\ndynamodb_table = \"webhealth-tfstate-lock-dev\"\n", fx.tools.backends[0])
	assert.Equal(t, "-chdir="+global, fx.tools.last("init").Args[0])
	plan := fx.tools.last("plan").Args
	assert.Equal(t, "-chdir="+global, plan[0])
	assert.Contains(t, plan, "-out="+filepath.Join(fx.root, "build", "plans", "dev-global-research.tfplan"))
	assert.Contains(t, plan, "environment=dev")
	assert.Contains(t, plan, "release_version=1.0")
	for _, a := range plan {
		assert.False(t, strings.HasPrefix(a, "region="), "a global root gets no region: %s", a)
	}

	require.NoError(t, fx.step(context.Background(), "plan", "dev_us-east-1/research/1.0"))
	assert.Equal(t, "-chdir="+filepath.Join(fx.root, "terraform", "workload"), fx.tools.last("plan").Args[0])
	assert.Contains(t, fx.tools.last("plan").Args, "region=us-east-1")
	assert.Equal(t, "bucket = \"webhealth-tfstate-dev\"\nkey    = \"research/dev-us-east-1/terraform.tfstate\"\nregion = \"us-east-1\"\ndynamodb_table = \"webhealth-tfstate-lock-dev\"\n", fx.tools.backends[len(fx.tools.backends)-1])
}
