package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/release"
)

// relRepo is a product-shaped repository with built arm64 zips; relSpy a terraform and a go that record
// their arguments (one line per call) in calls and answer plan with $SPY_PLAN_CODE and show with a plan.
func relRepo(t *testing.T) (root, spy, calls string) {
	t.Helper()
	root = t.TempDir()
	files := map[string]string{"go.mod": "module github.com/webhealth/webhealth\n\ngo 1.26\n"}
	for _, env := range []string{"local", "dev", "beta", "prod"} {
		files["terraform/workload/envs/"+env+".tfvars"] = ""
	}
	for _, fn := range release.Functions {
		files["build/arm64/"+fn+".zip"] = fn
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o750))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	}
	dir := t.TempDir()
	calls = filepath.Join(dir, "calls")
	spy = filepath.Join(dir, "spy")
	script := fmt.Sprintf(`#!/bin/sh
printf '%%s\n' "$*" >> %q
case " $* " in
  *" show "*) echo '{"resource_changes":[{"address":"aws_sns_topic.ops","mode":"managed","change":{"actions":["update"]}}]}' ;;
  *" plan "*) exit "${SPY_PLAN_CODE:-0}" ;;
esac
`, calls)
	require.NoError(t, os.WriteFile(spy, []byte(script), 0o700)) // #nosec G306 -- a test spy must be executable
	return root, spy, calls
}

func relRun(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, Env{Getenv: func(k string) string { return vars[k] }, Stdout: &out, Stderr: &errOut})
	return code, out.String(), errOut.String()
}

// The command-line half of the old release self-test: a malformed tag stops every release command with
// the parser's message and the expected form, before terraform or go run and before anything is built;
// no shell ever sees the tag.
func TestReleaseCommandStopsMalformedTags(t *testing.T) {
	root, spy, calls := relRepo(t)
	t.Chdir(root)
	tags := []string{"", "prod", "prod_eu-west-1/web", "qa_eu-west-1/web/1.0.0", "prod_europe/web/1.0.0",
		"prod_eu-west-1/Web/1.0.0", "prod_eu-west-1/web/1", "dev_eu-west-1/web/latest", "prod_eu-west-1/web/v1.4.0",
		"prod_eu-west-1/web/1.0.0;touch${IFS}injected", "prod_eu-west-1/web/$({touch,injected})",
		"prod_eu-west-1/web/1.0.0`{touch,injected}`", "prod_eu-west-1/web/1.0.0\ntouch injected"}
	for _, tag := range tags {
		for _, cmd := range releaseCommands {
			code, stdout, stderr := relRun(t, map[string]string{"TF": spy, "GO": spy, "TAG": tag}, "release", cmd)
			want := 2
			if cmd == "drift" {
				want = 1 // drift keeps 2 for drift
			}
			assert.Equal(t, want, code, "release %s TAG=%q: %s", cmd, tag, stderr)
			assert.Empty(t, stdout)
			assert.True(t, strings.HasPrefix(stderr, fmt.Sprintf("platform release %s: tag %q: ", cmd, tag)), "release %s: %s", cmd, stderr)
			assert.Contains(t, stderr, ": expected "+release.Form+", e.g. "+release.Example+"\n")
		}
	}
	assert.NoFileExists(t, calls, "terraform and go never ran")
	assert.NoFileExists(t, filepath.Join(root, "injected"))
	assert.NoDirExists(t, filepath.Join(root, "build", "tfdata"))
	assert.NoDirExists(t, filepath.Join(root, "build", "plans"))
	assert.NoDirExists(t, filepath.Join(root, "build", "amd64"))
}

// A bad STATE_REGION or STATE_PREFIX, whatever it holds, stops before terraform init.
func TestReleaseCommandRefusesBadSettingsBeforeInit(t *testing.T) {
	root, spy, calls := relRepo(t)
	t.Chdir(root)
	for _, bad := range []map[string]string{
		{"STATE_REGION": `eu-west-1"; x`}, {"STATE_REGION": "eu-west-1`touch injected`"}, {"STATE_REGION": "$(touch injected)"},
		{"STATE_REGION": "eu-west-1\nregion = \"x\""}, {"STATE_PREFIX": "tf`touch injected`"}, {"STATE_PREFIX": "$(touch injected)"},
		{"STATE_PREFIX": `tf"x`}, {"STATE_PREFIX": "tf\nx"}, {"EXPECT_ENV": "prod;id"}, {"ASSUME_ROLE_ARN": "arn:aws:iam::1:role/x"},
	} {
		vars := map[string]string{"TF": spy, "GO": spy, "TAG": "prod_eu-west-1/web/1.4.0"}
		for k, v := range bad {
			vars[k] = v
		}
		code, _, stderr := relRun(t, vars, "release", "plan")
		assert.Equal(t, 2, code, "%v: %s", bad, stderr)
		for k := range bad {
			assert.Contains(t, stderr, "platform release plan: "+k)
		}
	}
	assert.NoFileExists(t, calls)
	assert.NoFileExists(t, filepath.Join(root, "injected"))
	assert.NoDirExists(t, filepath.Join(root, "build", "tfdata"))
}

func TestReleaseCommandEnv(t *testing.T) {
	root, spy, _ := relRepo(t)
	t.Chdir(root)
	code, stdout, stderr := relRun(t, map[string]string{"TF": spy, "TAG": "refs/tags/prod_eu-west-1/web/1.4.0", "STATE_REGION": "eu-central-1"}, "release", "env")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "RELEASE_ENV=prod\nRELEASE_REGION=eu-west-1\nRELEASE_TEAM=web\nRELEASE_VERSION=1.4.0\nSTATE_BUCKET=webhealth-tfstate-prod\n"+
		"STATE_KEY=web/prod-eu-west-1/terraform.tfstate\nLOCK_TABLE=webhealth-tfstate-lock-prod\nSTATE_REGION=eu-central-1\n", stdout)

	// Flags win over the environment.
	code, stdout, stderr = relRun(t, map[string]string{"TAG": "prod_eu-west-1/web/1.4.0", "STATE_PREFIX": "env-prefix"},
		"release", "env", "-tag", "dev_us-east-1/ops/2.0.0", "-state-prefix", "flag-prefix", "-format", "json")
	require.Equal(t, 0, code, stderr)
	assert.JSONEq(t, `{"environment":"dev","region":"us-east-1","team":"ops","version":"2.0.0","state_bucket":"flag-prefix-dev",
		"state_key":"ops/dev-us-east-1/terraform.tfstate","lock_table":"flag-prefix-lock-dev","state_region":"us-east-1"}`, stdout)

	code, _, stderr = relRun(t, nil, "release", "deploy-lambdas")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `platform release: unknown command "deploy-lambdas"`)
	code, _, stderr = relRun(t, nil, "release", "env", "-tag", "prod_eu-west-1/web/1.4.0", "extra")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `unexpected argument "extra"`)
}

// Drift through the binaries: 0 none, 2 drift (with the DRIFT line and the summary), 1 a broken check.
func TestReleaseCommandDriftStatus(t *testing.T) {
	root, spy, calls := relRepo(t)
	t.Chdir(root)
	vars := map[string]string{"TF": spy, "GO": spy, "TAG": "prod_eu-west-1/web/1.4.0"}
	for _, tc := range []struct {
		planCode, want int
		stderr         string
	}{
		{0, 0, ""},
		{2, 2, "DRIFT: the live infrastructure of prod_eu-west-1/web/1.4.0 no longer matches its code:\nprod_eu-west-1/web/1.4.0: 0 to create, 1 to update, 0 to replace, 0 to delete\n  ~ aws_sns_topic.ops\n"},
		{1, 1, "platform release drift: the drift check of prod_eu-west-1/web/1.4.0 could not run (terraform plan exit status 1)"},
	} {
		t.Setenv("SPY_PLAN_CODE", fmt.Sprint(tc.planCode))
		code, stdout, stderr := relRun(t, vars, "release", "drift")
		assert.Equal(t, tc.want, code, stderr)
		assert.Contains(t, stderr, tc.stderr)
		if tc.want == 0 {
			assert.Equal(t, "drift: none: the live infrastructure of prod_eu-west-1/web/1.4.0 matches its code\n", stdout)
		}
	}
	got, err := os.ReadFile(calls)
	require.NoError(t, err)
	first := strings.SplitN(string(got), "\n", 2)[0]
	assert.Equal(t, "-chdir="+filepath.Join(root, "terraform", "workload")+" init -input=false -reconfigure -backend-config="+
		filepath.Join(root, "build", "tfdata", "prod-eu-west-1-web", "backend.hcl"), first)
}

func TestReleaseCommandReadsTheSnapshotTag(t *testing.T) {
	root, spy, _ := relRepo(t)
	t.Chdir(root)
	code, _, stderr := relRun(t, map[string]string{"TF": spy}, "release", "drift", "-tag-file", "build/release/tag")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "build/release/tag is missing: this source is not a release snapshot (platform release record writes it)")

	require.NoError(t, os.MkdirAll(filepath.Join(root, "build", "release"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(root, "build", "release", "tag"), []byte("beta_eu-west-1/web/1.2.3\n"), 0o600))
	code, stdout, stderr := relRun(t, map[string]string{"TF": spy}, "release", "env", "-tag-file", "build/release/tag")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "RELEASE_VERSION=1.2.3\n")
}

func TestBuildCommandRefusesBadInput(t *testing.T) {
	root, spy, calls := relRepo(t)
	t.Chdir(root)
	for _, tc := range []struct {
		vars map[string]string
		args []string
		want string
	}{
		{map[string]string{"GO": spy, "ARCH": "x86_64"}, nil, `platform build: ARCH: "x86_64" is not arm64 or amd64`},
		{map[string]string{"GO": spy}, []string{"-version", "v1.0.0"}, `platform build: VERSION: version "v1.0.0" has a leading v: write 1.0.0`},
		{map[string]string{"GO": spy, "VERSION": "1.0.0$(id)"}, nil, `is not a release version`},
	} {
		code, _, stderr := relRun(t, tc.vars, append([]string{"build"}, tc.args...)...)
		assert.Equal(t, 2, code, stderr)
		assert.Contains(t, stderr, tc.want)
	}
	assert.NoFileExists(t, calls, "go never ran")
}
