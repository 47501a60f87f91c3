package release_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/release"
)

// withGlobalRoot gives the fixture a terraform/global root with an envs file per environment.
func withGlobalRoot(t *testing.T, fx *fixture) string {
	t.Helper()
	global := filepath.Join(fx.root, "terraform", "global")
	for _, env := range append(slices.Clone(release.DefaultEnvironments), release.LocalEnvironment) {
		p := filepath.Join(global, "envs", env+".tfvars")
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o750))
		require.NoError(t, os.WriteFile(p, nil, 0o600))
	}
	return global
}

// A global release plans terraform/global with its envs file and the tag's parts only: no region, no zips
// (it runs without a build), on the emulator with its endpoint.
func TestFlowGlobalVars(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  release.Config
		want []string
	}{
		{"aws", release.Config{StateRegion: "eu-west-1"}, []string{
			"-var-file=envs/dev.tfvars", "-var", "environment=dev", "-var", "team=research", "-var", "release_version=1.0",
		}},
		{"emulator", release.Config{StateRegion: "us-east-1", Endpoint: "http://127.0.0.1:4566"}, []string{
			"-var-file=envs/dev.tfvars", "-var", "environment=dev", "-var", "team=research", "-var", "release_version=1.0",
			"-var", "aws_endpoint_url=http://127.0.0.1:4566",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t, tc.cfg)
			global := withGlobalRoot(t, fx)
			require.NoError(t, os.RemoveAll(filepath.Join(fx.root, "build", "arm64")), "a global release needs no zips")
			require.NoError(t, fx.step(context.Background(), "plan", "dev_global/research/1.0"))
			plan := fx.tools.last("plan").Args
			assert.Equal(t, "-chdir="+global, plan[0])
			i := slices.Index(plan, "-var-file=envs/dev.tfvars")
			require.GreaterOrEqual(t, i, 0, "the environment's var file: %v", plan)
			assert.Equal(t, tc.want, plan[i:])
			assert.NoDirExists(t, filepath.Join(fx.root, "build", "emulator-deployed"), "no function, no emulator copy")
		})
	}
}

// The local stack's own var files (its region list) follow the environment's, as for a regional release.
func TestFlowGlobalVarFiles(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, release.Config{StateRegion: "us-east-1"})
	withGlobalRoot(t, fx)
	fx.flow.VarFiles = []string{"/tmp/regions.tfvars.json"}
	require.NoError(t, fx.step(context.Background(), "plan", "local_global/web/0.0.1"))
	plan := fx.tools.last("plan").Args
	i := slices.Index(plan, "-var-file=envs/local.tfvars")
	require.GreaterOrEqual(t, i, 0, "%v", plan)
	assert.Equal(t, "-var-file=/tmp/regions.tfvars.json", plan[i+1])
}

// A global release runs plan and apply; it builds nothing, and deploy and smoke have nothing to do
// (no function, no API) and say so without running a tool.
func TestFlowGlobalRun(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, release.Config{StateRegion: "us-east-1"})
	withGlobalRoot(t, fx)
	require.NoError(t, fx.step(context.Background(), "run", "dev_global/research/1.0"))
	assert.Empty(t, fx.builds)
	assert.Equal(t, []string{"terraform init", "terraform plan", "terraform show", "terraform init", "terraform apply"}, fx.tools.commands())
	assert.Empty(t, fx.deployer.got)
	assert.Contains(t, fx.stdout.String(), "deploy: dev_global/research/1.0 releases terraform/global, which has no function: nothing to deploy\n")
	assert.Contains(t, fx.stdout.String(), "smoke: dev_global/research/1.0 releases terraform/global, which has no API: nothing to smoke-test")
	assert.Equal(t, "bucket = \"webhealth-tfstate-dev\"\nkey    = \"research/dev-global/terraform.tfstate\"\nregion = \"us-east-1\"\ndynamodb_table = \"webhealth-tfstate-lock-dev\"\n", fx.tools.backends[0])

	for _, cmd := range []string{"deploy", "smoke"} {
		fx := newFixture(t, release.Config{StateRegion: "us-east-1"})
		withGlobalRoot(t, fx)
		require.NoError(t, fx.step(context.Background(), cmd, "dev_global/research/1.0"), cmd)
		assert.Empty(t, fx.tools.commands(), "%s of a global release runs nothing", cmd)
	}
}

// A regional release passes terraform/workload where its global root's state is: the key of
// <env>_global/<team>, in the bucket and region of its own state, with the emulator's endpoint.
func TestFlowRegionalPlanPassesTheGlobalState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  release.Config
		tag  string
		want string
	}{
		{"state region of its own", release.Config{}, "prod_eu-west-1/web/1.4.0",
			`{ bucket = "webhealth-tfstate-prod", key = "web/prod-global/terraform.tfstate", region = "eu-west-1" }`},
		{"the state region", release.Config{StateRegion: "us-east-1", StatePrefix: "acme-state"}, "dev_ap-southeast-1/risk/1.0",
			`{ bucket = "acme-state-dev", key = "risk/dev-global/terraform.tfstate", region = "us-east-1" }`},
		{"emulator", release.Config{Endpoint: "http://127.0.0.1:4566"}, "local_eu-west-1/web/0.0.1",
			`{ bucket = "webhealth-tfstate-local", key = "web/local-global/terraform.tfstate", region = "eu-west-1", endpoint = "http://127.0.0.1:4566" }`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t, tc.cfg)
			require.NoError(t, os.WriteFile(filepath.Join(fx.root, "terraform", "workload", "envs", "local.tfvars"), nil, 0o600))
			require.NoError(t, fx.step(context.Background(), "plan", tc.tag))
			var got []string
			for _, a := range fx.tools.last("plan").Args {
				if v, ok := strings.CutPrefix(a, "global_state="); ok {
					got = append(got, v)
				}
			}
			assert.Equal(t, []string{tc.want}, got)
		})
	}
}

func TestBackendStateVarQuotes(t *testing.T) {
	t.Parallel()
	b := release.Backend{Bucket: `b"x`, Key: "k/${x}", Region: "eu-west-1"}
	assert.Equal(t, `{ bucket = "b\"x", key = "k/$${x}", region = "eu-west-1" }`, b.StateVar())
}

// The checkout's global root has an envs file for every default environment and the local stack's.
func TestGlobalRootHasEveryEnvironment(t *testing.T) {
	t.Parallel()
	for _, env := range append(slices.Clone(release.DefaultEnvironments), release.LocalEnvironment) {
		assert.FileExists(t, filepath.Join("..", "..", release.GlobalRoot, "envs", env+".tfvars"))
	}
}
