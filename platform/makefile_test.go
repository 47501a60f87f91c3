// Package platform holds the test of the repository's Makefile: it stays a thin entry point (no
// define, under 250 lines, every target listed by make help, tools built on demand) and no setting
// reaches a shell: hostile values are refused by the platform command and never run anything.
package platform

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requiredTargets are the targets README.md, buildspec.yml, .ci/run and the docs call.
var requiredTargets = []string{
	"help", "fmt-check", "vet", "lint", "unit", "integration", "fuzz", "bench", "bench-peers", "build", "release-env", "plan", "apply",
	"deploy-lambdas", "smoke", "drift", "record-release", "release", "ci-validate", "ci-build", "ci-plan", "ci-apply",
	"ci-test", "ci-drift", "tf-cli-config", "tools", "tf-fmt-check", "tf-fmt", "tf-validate", "tf-test", "tflint",
	"tfsec", "tf-docs", "tf-docs-check", "tf-check", "tf-providers-lock", "up", "down", "logs", "crawl", "status",
	"e2e", "e2e-only", "test", "ci-deps", "clean",
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "Makefile"))
	return root
}

// rule is a Makefile rule: its targets, prerequisites, help text and recipe lines.
type rule struct {
	targets, prereqs []string
	help             string
	recipe           []string
}

var (
	ruleLine = regexp.MustCompile(`^([^\s#:=][^:=]*?)\s*:(?:\s+|$)([^=].*)?$`)
	helpText = regexp.MustCompile(`\s*## (.*)$`)
)

// parseMakefile reads the rules and the lines of the Makefile (continuations joined).
func parseMakefile(t *testing.T, path string) (rules []rule, lines []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	var cur string
	for sc.Scan() {
		l := sc.Text()
		if strings.HasSuffix(l, `\`) {
			cur += strings.TrimSuffix(l, `\`) + " "
			continue
		}
		lines = append(lines, cur+l)
		cur = ""
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "\t") {
			if len(rules) > 0 {
				rules[len(rules)-1].recipe = append(rules[len(rules)-1].recipe, l)
			}
			continue
		}
		m := ruleLine.FindStringSubmatch(l)
		if m == nil || strings.HasPrefix(l, "export ") || strings.HasPrefix(l, "override ") {
			continue
		}
		r := rule{targets: strings.Fields(m[1])}
		deps := m[2]
		if h := helpText.FindStringSubmatch(deps); h != nil {
			r.help = h[1]
			deps = helpText.ReplaceAllString(deps, "")
		}
		r.prereqs = strings.Fields(deps)
		rules = append(rules, r)
	}
	return rules, lines
}

// settings is the Makefile's SETTINGS list.
func settings(t *testing.T, lines []string) []string {
	t.Helper()
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "SETTINGS := "); ok {
			return strings.Fields(rest)
		}
	}
	t.Fatal("the Makefile has no SETTINGS := line")
	return nil
}

func TestMakefileShape(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	path := filepath.Join(root, "Makefile")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	raw := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	rules, lines := parseMakefile(t, path)

	t.Run("thin: fewer than 250 lines, no define", func(t *testing.T) {
		t.Parallel()
		assert.Less(t, len(raw), 250)
		for i, l := range raw {
			assert.NotRegexp(t, `^\s*(override\s+|export\s+)?define\b`, l, "line %d", i+1)
		}
	})

	t.Run("every target that README, buildspec.yml, .ci/run and the docs call exists, with a help line", func(t *testing.T) {
		t.Parallel()
		helps := map[string]string{}
		for _, r := range rules {
			for _, tg := range r.targets {
				helps[tg] = r.help
			}
		}
		for _, want := range requiredTargets {
			assert.NotEmpty(t, helps[want], "target %s with a ## help text", want)
		}
	})

	t.Run("make help lists every documented target on one line", func(t *testing.T) {
		t.Parallel()
		out, code := runMake(t, root, nil, nil, "help")
		require.Equal(t, 0, code, out)
		listed := map[string]bool{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(stripColor(l))
			require.GreaterOrEqual(t, len(f), 2, "help line %q: a target and its description", l)
			assert.False(t, listed[f[0]], "%s listed once", f[0])
			listed[f[0]] = true
		}
		for _, r := range rules {
			if r.help == "" {
				continue
			}
			for _, tg := range r.targets {
				assert.True(t, listed[tg], "make help lists %s", tg)
			}
		}
	})

	t.Run("no setting is ever expanded by make: only the SETTINGS list names them", func(t *testing.T) {
		t.Parallel()
		for _, name := range settings(t, lines) {
			ref := regexp.MustCompile(`\$[({]` + regexp.QuoteMeta(name) + `[)}]|\$\((value|origin|flavor)\s+` + regexp.QuoteMeta(name) + `\)`)
			for i, l := range raw {
				assert.NotRegexp(t, ref, l, "line %d refers to %s", i+1, name)
			}
		}
	})

	t.Run("every setting of the platform's contract is in SETTINGS", func(t *testing.T) {
		t.Parallel()
		readme, err := os.ReadFile(filepath.Join(root, "platform", "README.md"))
		require.NoError(t, err)
		_, section, ok := strings.Cut(string(readme), "\n## Settings\n")
		require.True(t, ok, "platform/README.md has a Settings section")
		section, _, _ = strings.Cut(section, "\n## ")
		names := regexp.MustCompile("(?m)^\\| (`[A-Z0-9_]+`(?:, `[A-Z0-9_]+`)*) \\|").FindAllStringSubmatch(section, -1)
		require.NotEmpty(t, names)
		have := settings(t, lines)
		for _, m := range names {
			for _, n := range regexp.MustCompile("`([A-Z0-9_]+)`").FindAllStringSubmatch(m[1], -1) {
				assert.Contains(t, have, n[1], "platform/README.md's setting %s is exported raw by the Makefile", n[1])
			}
		}
	})

	t.Run("a target that runs a pinned tool or the platform depends on its file", func(t *testing.T) {
		t.Parallel()
		// What a recipe line calls -> the file it needs.
		uses := []struct{ pattern, file string }{
			{`\$\(PLATFORM\)`, "$(PLATFORM)"},
			{`\$\(GOTESTSUM\)`, "$(GOTESTSUM)"},
			{`\$\(BIN\)/staticcheck`, "$(BIN)/staticcheck"},
			{`\$\(BIN\)/gosec`, "$(BIN)/gosec"},
			{`\$\(PLATFORM\) tf lint`, "$(BIN)/tflint"},
			{`\$\(PLATFORM\) tf sec`, "$(BIN)/tfsec"},
			{`\$\(PLATFORM\) tf docs`, "$(BIN)/terraform-docs"},
			{`\$\(PLATFORM\) release (smoke|run)`, "$(GOTESTSUM)"},
		}
		checked := 0
		for _, r := range rules {
			for _, l := range r.recipe {
				for _, u := range uses {
					if regexp.MustCompile(u.pattern).MatchString(l) && !slices.Contains(r.targets, u.file) {
						checked++
						assert.Contains(t, r.prereqs, u.file, "%v: %q needs %s as a prerequisite", r.targets, strings.TrimSpace(l), u.file)
					}
				}
			}
		}
		assert.Greater(t, checked, 30, "the recipes were found")
	})
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func stripColor(s string) string { return ansi.ReplaceAllString(s, "") }

// makeEnv is the environment of a make run: none of the Makefile's settings or make's own variables
// from the caller (the test may itself run under make), plus set.
func makeEnv(names []string, set map[string]string) []string {
	drop := append([]string{"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "GNUMAKEFLAGS"}, names...)
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !slices.Contains(drop, k) {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// buildOnce builds .tools/bin/platform before the parallel make runs, so they find it up to date.
var buildOnce sync.Once

// runMake runs make in root with env (nil: the test process's, without the settings) and the
// command-line assignments vars; it returns the combined output and the exit status.
func runMake(t *testing.T, root string, env []string, vars map[string]string, target string) (string, int) {
	t.Helper()
	buildOnce.Do(func() {
		out, err := exec.Command("make", "-C", root, "--no-print-directory", ".tools/bin/platform").CombinedOutput()
		require.NoError(t, err, string(out))
	})
	args := []string{"-C", root, "--no-print-directory", target}
	for k, v := range vars {
		args = append(args, k+"="+v)
	}
	cmd := exec.Command("make", args...)
	if env == nil {
		env = makeEnv(nil, nil)
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("make %s: %v", target, err)
	}
	return string(out), code
}

// payloads are ways a value could make make or a shell run a command: each touches marker.
var payloads = []func(marker string) string{
	func(m string) string { return "`touch " + m + "`" },
	func(m string) string { return "$(touch " + m + ")" },
	func(m string) string { return "$$(touch " + m + ")" },
	func(m string) string { return "$(shell touch " + m + ")" },
	func(m string) string { return "${shell touch " + m + "}" },
	func(m string) string { return ";touch " + m },
	func(m string) string { return "'; touch " + m + "; '" },
	func(m string) string { return `"; touch ` + m + `; "` },
	func(m string) string { return "\ntouch " + m + "\n" },
	func(m string) string { return "&& touch " + m + " #" },
}

const validTag = "prod_eu-west-1/web/1.0.0"

func TestMakefileHostileSettings(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	_, lines := parseMakefile(t, filepath.Join(root, "Makefile"))
	names := settings(t, lines)

	// terraform is a spy: a run that reaches it leaves a file.
	spyDir := t.TempDir()
	spyCalls := filepath.Join(spyDir, "terraform-calls")
	spy := filepath.Join(spyDir, "terraform")
	require.NoError(t, os.WriteFile(spy, []byte("#!/bin/sh\necho \"$@\" >> '"+spyCalls+"'\n"), 0o755))
	markers := t.TempDir()

	type hostile struct {
		target string
		name   string
		prefix string            // before the payload (a valid start, so the payload is what is wrong)
		extra  map[string]string // other settings of the run
		want   string            // in the refusal, besides the setting's name
		inject func(marker string) string
	}
	tagged := map[string]string{"TAG": validTag}
	cases := []hostile{
		{target: "release-env", name: "ENVIRONMENTS", prefix: "prod ", extra: tagged},
		{target: "release-env", name: "STATE_PREFIX", prefix: "webhealth-tfstate", extra: tagged},
		{target: "release-env", name: "STATE_REGION", prefix: "eu-west-1", extra: tagged},
		{target: "release-env", name: "STATE_LOCKING", prefix: "dynamodb", extra: tagged},
		{target: "release-env", name: "EXPECT_ENV", prefix: "prod", extra: tagged},
		{target: "release-env", name: "ASSUME_ROLE_ARN", prefix: "arn:aws:iam::123456789012:role/deploy", extra: tagged},
		{target: "release-env", name: "RELEASE_SNAPSHOT_URI", prefix: "s3://snapshots/webhealth", extra: tagged},
		{target: "release-env", name: "AWS_ENDPOINT_URL", prefix: "http://127.0.0.1:4566", extra: tagged},
		{target: "release-env", name: "LOCALRUN_URL", prefix: "http://127.0.0.1:4567", extra: tagged},
		{target: "plan", name: "STATE_PREFIX", prefix: "acme", extra: tagged},
		{target: "plan", name: "STATE_REGION", prefix: "eu-west-1", extra: tagged},
		{target: "ci-apply", name: "ASSUME_ROLE_ARN", prefix: "arn:aws:iam::123456789012:role/deploy", extra: tagged},
		{target: "build", name: "ARCH", prefix: "arm64"},
		{target: "build", name: "VERSION", prefix: "1.0.0"},
		{target: "ci-build", name: "ARCH", prefix: "amd64", extra: tagged},
		{target: "tf-validate", name: "TF", prefix: "terraform"},
		{target: "tf-cli-config", name: "TF_PROVIDER_MIRROR", prefix: "/opt/tf-plugins"},
		{target: "tf-providers-lock", name: "TF_LOCK_PLATFORMS", prefix: "linux_amd64"},
		{target: "status", name: "MOTO_PORT", prefix: "4566"},
		{target: "status", name: "LOCALRUN_PORT", prefix: "4567"},
		{target: "status", name: "LOCAL_REGION", prefix: "us-east-1"},
		{target: "status", name: "REGIONS", prefix: "us-east-1,"},
		{target: "crawl", name: "REGIONS", prefix: "us-east-1,eu-west-1"},
		{target: "status", name: "NOTIFY_WEBHOOK_URL", prefix: "http://127.0.0.1:4568/notify"},
		{target: "bench", name: "BENCH_STACK", prefix: "1"},
		{target: "bench", name: "BENCH_COLDSTARTS", prefix: "20"},
		{target: "bench", name: "BENCH_E2E_N", prefix: "50"},
		{target: "fuzz", name: "FUZZTIME", prefix: "10s"},
		{target: "ci-deps", name: "TERRAFORM_VERSION", prefix: "1.11.4"},
		{target: "ci-deps", name: "MOTO_VERSION", prefix: "5.2.1"},
	}
	for i := range cases {
		cases[i].inject = payloads[i%len(payloads)]
	}
	// The tag with every payload through release-env and release, and through every other target that
	// takes a tag with one.
	tagTargets := []string{"plan", "apply", "deploy-lambdas", "smoke", "drift", "record-release", "ci-build", "ci-plan", "ci-apply", "ci-test"}
	for i, p := range payloads {
		for _, target := range []string{"release-env", "release", tagTargets[i%len(tagTargets)]} {
			cases = append(cases, hostile{target: target, name: "TAG", prefix: validTag, inject: p,
				want: "expected <env>_<region>/<team>/<version>"})
		}
	}
	for i, c := range cases {
		for _, via := range []string{"command line", "environment"} {
			marker := filepath.Join(markers, fmt.Sprintf("%d-%s", i, strings.ReplaceAll(via, " ", "-")))
			value := c.prefix + c.inject(marker)
			t.Run(fmt.Sprintf("%s %s=%q via the %s", c.target, c.name, value, via), func(t *testing.T) {
				t.Parallel()
				set := map[string]string{"TF": spy}
				for k, v := range c.extra {
					set[k] = v
				}
				var out string
				var code int
				if via == "command line" {
					set[c.name] = value
					out, code = runMake(t, root, makeEnv(names, nil), set, c.target)
				} else {
					env := map[string]string{c.name: value}
					for k, v := range set {
						if k != c.name {
							env[k] = v
						}
					}
					out, code = runMake(t, root, makeEnv(names, env), nil, c.target)
				}
				assert.NotEqual(t, 0, code, "make %s refuses %s=%q:\n%s", c.target, c.name, value, out)
				assert.NoFileExists(t, marker, "a command in %s ran:\n%s", c.name, out)
				assert.Contains(t, strings.ToLower(out), strings.ToLower(c.name), "the refusal names %s:\n%s", c.name, out)
				if c.want != "" {
					assert.Contains(t, out, c.want)
				}
				assert.NotContains(t, out, "not written yet", "the platform command handles %s", c.target)
			})
		}
	}
	t.Cleanup(func() {
		_, err := os.Stat(spyCalls)
		assert.True(t, os.IsNotExist(err), "terraform ran for a refused setting")
	})
}

// TestMakefilePassesValuesUnaltered: a valid value reaches the platform exactly as given, and make
// syntax in a value arrives as text instead of being expanded.
func TestMakefilePassesValuesUnaltered(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	_, lines := parseMakefile(t, filepath.Join(root, "Makefile"))
	names := settings(t, lines)
	for _, via := range []string{"command line", "environment"} {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			run := func(vars map[string]string) (string, int) {
				if via == "command line" {
					return runMake(t, root, makeEnv(names, nil), vars, "release-env")
				}
				return runMake(t, root, makeEnv(names, vars), nil, "release-env")
			}
			out, code := run(map[string]string{"TAG": "refs/tags/" + validTag, "STATE_PREFIX": "acme-state", "STATE_REGION": "us-east-2"})
			require.Equal(t, 0, code, out)
			assert.Contains(t, out, "STATE_BUCKET=acme-state-prod\n")
			assert.Contains(t, out, "STATE_REGION=us-east-2\n")

			out, code = run(map[string]string{"TAG": validTag, "STATE_PREFIX": "$(TAG)"})
			assert.NotEqual(t, 0, code)
			assert.Contains(t, out, `"$(TAG)"`, "the platform saw the text, not TAG's value:\n%s", out)
		})
	}
}
