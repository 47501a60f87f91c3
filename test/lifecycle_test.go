//go:build e2e

package test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	http_helper "github.com/gruntwork-io/terratest/modules/http-helper"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/terraform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/release"
)

// TestWorkloadLifecycle applies terraform/workload to the emulator as a second deployment under a team
// name of its own (its own state key in the local state bucket, its own TF_DATA_DIR), waits until the
// local runtime serves its API, runs the CRUD checks against it, and destroys it, the destroy deferred
// so that a failing check still cleans up.
func TestWorkloadLifecycle(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	s.requireLocal(t, "it applies terraform/workload to the local emulator; against AWS the pipeline's own apply and this suite are the lifecycle")

	team := "e2e-" + uniqueName() // a team name: 2-12 lower-case letters, digits and '-'
	arch := runtime.GOARCH
	require.NoError(t, release.CheckArch(arch), "the local stack runs this machine's zips")
	artifacts := filepath.Join(s.repoRoot, "build", arch)
	for _, fn := range release.Functions {
		require.FileExists(t, filepath.Join(artifacts, fn+".zip"), "platform stack up builds the host-arch zips the local runtime runs")
	}
	workloadDir := filepath.Join(s.repoRoot, "terraform", "workload")
	relArtifacts, err := filepath.Rel(workloadDir, artifacts)
	require.NoError(t, err)

	// The team's own environment first: its global root (one region, this stack's), released as
	// local_global/<team>/<version> would be; destroyed last.
	global, globalState := s.lifecycleRoot(t, "local_global/"+team+"/0.0.0-e2e", filepath.Join(s.repoRoot, "terraform", "global"))
	global.Vars = map[string]any{
		"environment":      "local",
		"team":             team,
		"release_version":  "0.0.0-e2e",
		"regions":          []string{s.region},
		"aws_endpoint_url": s.endpoint,
	}
	defer terraform.Destroy(t, global)
	terraform.InitAndApply(t, global)

	opts, _ := s.lifecycleRoot(t, "local_"+s.region+"/"+team+"/0.0.0-e2e", workloadDir)
	opts.Vars = map[string]any{
		"environment":         "local",
		"region":              s.region,
		"team":                team,
		"release_version":     "0.0.0-e2e",
		"artifacts_dir":       relArtifacts,
		"lambda_architecture": release.LambdaArchitecture(arch),
		"aws_endpoint_url":    s.endpoint,
		"global_state":        globalState,
	}
	defer terraform.Destroy(t, opts)
	terraform.InitAndApply(t, opts)

	apiID := terraform.Output(t, opts, "api_id")
	stage := terraform.Output(t, opts, "stage_name")
	quiet := *opts
	quiet.Logger = logger.Discard // the key must not reach the test log
	key := terraform.Output(t, &quiet, "api_key")
	require.NotEmpty(t, key, "api_key output")
	require.NotEqual(t, s.api.key, key, "the second deployment has a key of its own")
	assert.Contains(t, terraform.Output(t, opts, "urls_table"), team, "the deployment's resources carry its team name")

	api, err := newAPIClient(fmt.Sprintf("%s/%s/%s", s.localRunURL, apiID, stage), key)
	require.NoError(t, err)
	t.Logf("second deployment %s: %s", team, api.baseURL)

	// The local runtime discovers new APIs within a few seconds.
	http_helper.HTTPDoWithRetryWithOptions(t, http_helper.HttpDoOptions{
		Method: http.MethodGet, Url: api.baseURL + "/urls", Headers: map[string]string{"x-api-key": key}, Timeout: 10,
	}, http.StatusOK, 30, time.Second)

	t.Run("the first deployment's key does not open the second", func(t *testing.T) {
		resp := api.do(t, apiRequest{Method: http.MethodGet, Path: "/urls", Key: s.api.key})
		assert.Equal(t, http.StatusForbidden, resp.Status, "%s", resp.Body)
	})

	t.Run("CRUD", func(t *testing.T) {
		url := s.inertURL("lifecycle")
		created, resp := api.createTarget(t, map[string]any{"url": url, "name": "e2e lifecycle", "enabled": false})
		assert.Equal(t, api.basePath+"/urls/"+created.ID, resp.Header.Get("Location"))
		assert.Equal(t, created, withoutLastCheck(api.getTarget(t, created.ID)))
		listed := map[string]bool{}
		for _, tg := range api.allTargets(t) {
			listed[tg.ID] = true
		}
		assert.Equal(t, map[string]bool{created.ID: true}, listed, "the new deployment lists its own targets only")
		assertNoTargetWithURL(t, s.api, url) // and the first deployment does not see it

		put := api.do(t, apiRequest{Method: http.MethodPut, Path: "/urls/" + created.ID, Headers: map[string]string{"If-Match": versionHeader(created.Version)},
			Body: mustJSON(t, map[string]any{"url": url, "name": "e2e lifecycle replaced", "enabled": false})})
		require.Equal(t, http.StatusOK, put.Status, "%s", put.Body)
		assert.Equal(t, created.Version+1, decodeTarget(t, put).Version)

		dup := api.do(t, apiRequest{Method: http.MethodPost, Path: "/urls", Body: mustJSON(t, map[string]any{"url": url})})
		assert.Equal(t, created.ID, requireError(t, dup, http.StatusConflict, "duplicate_url", "").ExistingID)

		del := api.do(t, apiRequest{Method: http.MethodDelete, Path: "/urls/" + created.ID})
		require.Equal(t, http.StatusNoContent, del.Status, "%s", del.Body)
		requireError(t, api.do(t, apiRequest{Method: http.MethodGet, Path: "/urls/" + created.ID}), http.StatusNotFound, "not_found", "")
	})
}

// lifecycleRoot is the terratest options of root dir released as tag on the local emulator: its backend from
// the platform's one backend writer (as every release's), its own TF_DATA_DIR, the environment's settings
// (envs/local.tfvars) first and the test's variables on top; and the tag's state location as
// terraform/workload's global_state takes it.
func (s *stack) lifecycleRoot(t *testing.T, tag, dir string) (*terraform.Options, map[string]any) {
	t.Helper()
	rel, err := release.Parse(tag, release.DefaultEnvironments)
	require.NoError(t, err)
	settings, err := rel.Settings(firstNonEmpty(os.Getenv("STATE_PREFIX"), release.DefaultStatePrefix))
	require.NoError(t, err)
	backendCfg, err := settings.Backend(release.BackendOptions{StateRegion: s.region, Endpoint: s.endpoint})
	require.NoError(t, err)
	dataDir := t.TempDir()
	backend := filepath.Join(dataDir, "backend.hcl")
	require.NoError(t, backendCfg.WriteFile(backend))
	state := map[string]any{"bucket": backendCfg.Bucket, "key": backendCfg.Key, "region": s.region, "endpoint": s.endpoint}

	return terraform.WithDefaultRetryableErrors(t, &terraform.Options{
		TerraformDir:         dir,
		VarFiles:             []string{"envs/local.tfvars"},
		SetVarsAfterVarFiles: true,
		BackendConfig:        map[string]any{backend: nil}, // -backend-config=<file>
		Reconfigure:          true,
		LockTimeout:          "2m",
		NoColor:              true,
		EnvVars: mergeEnv(terraformCLIEnv(s.repoRoot), map[string]string{
			"TF_DATA_DIR":           filepath.Join(dataDir, "tfdata"),
			"AWS_ACCESS_KEY_ID":     "local",
			"AWS_SECRET_ACCESS_KEY": "local",
			"AWS_REGION":            s.region,
			"AWS_DEFAULT_REGION":    s.region,
			"AWS_PROFILE":           "",
			"AWS_ENDPOINT_URL":      s.endpoint,
		}),
	}), state
}
