package tfcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/proc"
)

// writeFiles creates files (path relative to root -> content).
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// call is one command the fake runner saw, with the program's base name.
type call struct {
	prog string
	args []string
	env  []string
}

func (c call) String() string { return c.prog + " " + strings.Join(c.args, " ") }

func (c call) envValue(key string) string {
	for _, kv := range slices.Backward(c.env) {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}

// fakeRunner records commands; answer decides each one's output and error.
type fakeRunner struct {
	calls  []call
	answer func(c call) (string, error)
}

func (f *fakeRunner) run(_ context.Context, c proc.Cmd) error {
	cl := call{prog: filepath.Base(c.Path), args: c.Args, env: c.Env}
	f.calls = append(f.calls, cl)
	out, err := "", error(nil)
	if f.answer != nil {
		out, err = f.answer(cl)
	}
	if c.Stdout != nil {
		_, _ = io.WriteString(c.Stdout, out)
	}
	return err
}

func (f *fakeRunner) lines() []string {
	var s []string
	for _, c := range f.calls {
		s = append(s, c.String())
	}
	return s
}

// fakeTool puts an executable stub of a pinned tool into root/.tools/bin (the fake runner never runs it).
func fakeTool(t *testing.T, root, name string) {
	t.Helper()
	p := filepath.Join(root, ".tools", "bin", name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\nexit 99\n"), 0o755))
}

// fakeTerraform is an executable named terraform (found by TF, never run by the fake runner).
func fakeTerraform(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "terraform")
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\nexit 99\n"), 0o755))
	return p
}

func newChecker(t *testing.T, root string, f *fakeRunner) (*Checker, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errOut bytes.Buffer
	return &Checker{Root: root, TF: fakeTerraform(t), Mirror: filepath.Join(root, "no-mirror"), Runner: proc.RunFunc(f.run), Env: []string{"CHECKER_ENV=1"},
		Out: &out, Err: &errOut}, &out, &errOut
}

var repo = map[string]string{
	"modules/b/main.tf":                      "",
	"modules/a/main.tf":                      "",
	"modules/a/tests/a.tftest.hcl":           "",
	"modules/notes/README.txt":               "",
	"terraform/root/main.tf":                 "",
	"terraform/root/envs/prod.tfvars":        "",
	"terraform/root/envs/dev.tfvars":         "",
	"terraform/root/tests/r.tftest.hcl":      "",
	"terraform/root/tests/envs/e.tftest.hcl": "",
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	t.Run("modules and roots holding .tf files, sorted", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		writeFiles(t, root, repo)
		l, err := Discover(root)
		require.NoError(t, err)
		assert.Equal(t, []string{"modules/a", "modules/b"}, l.Modules)
		assert.Equal(t, []string{"terraform/root"}, l.Roots)
		assert.Equal(t, []string{"modules/a", "modules/b", "terraform/root"}, l.All())
		assert.Equal(t, []string{"modules/a", "terraform/root"}, l.TestDirs(root))
	})
	t.Run("a directory without Terraform is refused", func(t *testing.T) {
		t.Parallel()
		_, err := Discover(t.TempDir())
		assert.ErrorContains(t, err, "run from the repository root")
	})
}

func TestValidate(t *testing.T) {
	t.Parallel()
	t.Run("init and validate each directory in its own data dir", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		writeFiles(t, root, repo)
		f := &fakeRunner{}
		c, out, _ := newChecker(t, root, f)
		require.NoError(t, c.Validate(context.Background()))
		assert.Equal(t, []string{
			"terraform -chdir=modules/a init -backend=false -input=false -no-color", "terraform -chdir=modules/a validate -no-color",
			"terraform -chdir=modules/b init -backend=false -input=false -no-color", "terraform -chdir=modules/b validate -no-color",
			"terraform -chdir=terraform/root init -backend=false -input=false -no-color", "terraform -chdir=terraform/root validate -no-color",
		}, f.lines())
		assert.Equal(t, filepath.Join(root, ".tf", "data", "terraform_root"), f.calls[5].envValue("TF_DATA_DIR"))
		assert.Equal(t, filepath.Join(root, ".tf", "cli.tfrc"), f.calls[0].envValue("TF_CLI_CONFIG_FILE"))
		assert.Equal(t, "1", f.calls[0].envValue("CHECKER_ENV"), "over the checker's environment")
		assert.FileExists(t, filepath.Join(root, ".tf", "cli.tfrc"), "validate writes the CLI config it points terraform at")
		assert.Contains(t, out.String(), "tf validate: terraform/root ok")
	})
	t.Run("a failed init shows its log, names the directory and stops", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		writeFiles(t, root, repo)
		f := &fakeRunner{answer: func(c call) (string, error) {
			if slices.Contains(c.args, "-chdir=modules/b") && slices.Contains(c.args, "init") {
				return "Error: Failed to query available provider packages\n", &proc.ExitError{Cmd: "terraform", Code: 1}
			}
			return "", nil
		}}
		c, _, errOut := newChecker(t, root, f)
		err := c.Validate(context.Background())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "modules/b: terraform init failed")
		assert.Contains(t, errOut.String(), "Failed to query available provider packages")
		assert.Len(t, f.calls, 3, "nothing runs after the failed init")
	})
	t.Run("an invalid directory is named with terraform's diagnostics", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		writeFiles(t, root, repo)
		f := &fakeRunner{answer: func(c call) (string, error) {
			if slices.Contains(c.args, "validate") {
				return "Error: Unsupported argument\n", &proc.ExitError{Cmd: "terraform", Code: 1}
			}
			return "", nil
		}}
		c, _, errOut := newChecker(t, root, f)
		err := c.Validate(context.Background())
		assert.ErrorContains(t, err, "modules/a is invalid")
		assert.Contains(t, errOut.String(), "Unsupported argument")
	})
}

func TestTest(t *testing.T) {
	t.Parallel()
	t.Run("tests, then tests/envs once per envs/*.tfvars", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		writeFiles(t, root, repo)
		f := &fakeRunner{answer: func(c call) (string, error) {
			if slices.Contains(c.args, "test") {
				return "tests/x.tftest.hcl... pass\n\nSuccess! 3 passed, 0 failed.\n", nil
			}
			return "", nil
		}}
		c, out, _ := newChecker(t, root, f)
		require.NoError(t, c.Test(context.Background()))
		assert.Equal(t, []string{
			"terraform -chdir=modules/a init -backend=false -input=false -no-color",
			"terraform -chdir=modules/a test -no-color",
			"terraform -chdir=terraform/root init -backend=false -input=false -no-color",
			"terraform -chdir=terraform/root test -no-color",
			"terraform -chdir=terraform/root test -no-color -test-directory=tests/envs -var-file=envs/dev.tfvars",
			"terraform -chdir=terraform/root test -no-color -test-directory=tests/envs -var-file=envs/prod.tfvars",
		}, f.lines())
		assert.Contains(t, out.String(), "tf test: terraform/root with envs/prod.tfvars\nSuccess! 3 passed, 0 failed.\n")
	})
	t.Run("a failure shows what failed without the passing runs", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		writeFiles(t, root, repo)
		f := &fakeRunner{answer: func(c call) (string, error) {
			if slices.Contains(c.args, "-var-file=envs/prod.tfvars") {
				return "  run \"ok\"... pass\n  run \"names\"... fail\nError: Test assertion failed\nFailure! 1 passed, 1 failed.\n",
					&proc.ExitError{Cmd: "terraform", Code: 1}
			}
			return "", nil
		}}
		c, _, errOut := newChecker(t, root, f)
		err := c.Test(context.Background())
		assert.ErrorContains(t, err, "terraform/root: terraform test failed")
		assert.Contains(t, errOut.String(), "run \"names\"... fail\nError: Test assertion failed\n")
		assert.NotContains(t, errOut.String(), "\"ok\"... pass")
	})
	t.Run("tests/envs without envs/*.tfvars is an error, not a silent pass", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		writeFiles(t, root, map[string]string{"terraform/r/main.tf": "", "terraform/r/tests/a.tftest.hcl": "", "terraform/r/tests/envs/e.tftest.hcl": ""})
		c, _, _ := newChecker(t, root, &fakeRunner{})
		assert.ErrorContains(t, c.Test(context.Background()), "no envs/*.tfvars")
	})
}

func TestLintSecDocs(t *testing.T) {
	t.Parallel()
	failIn := func(dir string) func(c call) (string, error) {
		return func(c call) (string, error) {
			for _, a := range c.args {
				if strings.HasSuffix(a, dir) {
					return "", &proc.ExitError{Cmd: c.prog, Code: 2}
				}
			}
			return "", nil
		}
	}
	tests := []struct {
		name      string
		tool      string
		run       func(*Checker, context.Context) error
		answer    func(c call) (string, error)
		wantCalls []string
		wantErr   string
	}{
		{
			name: "lint every directory, then name the failed ones", tool: "tflint", run: (*Checker).Lint, answer: failIn("modules/a"),
			wantCalls: []string{"--chdir=modules/a --config=ROOT/.tflint.hcl --no-color",
				"--chdir=modules/b --config=ROOT/.tflint.hcl --no-color",
				"--chdir=terraform/root --config=ROOT/.tflint.hcl --no-color"},
			wantErr: "tflint found problems in modules/a",
		},
		{
			name: "tfsec the repository, then each root per envs file", tool: "tfsec", run: (*Checker).Sec,
			wantCalls: []string{". --config-file .tfsec/config.yml --no-color --concise-output",
				"terraform/root --tfvars-file terraform/root/envs/dev.tfvars --config-file .tfsec/config.yml --no-color --concise-output",
				"terraform/root --tfvars-file terraform/root/envs/prod.tfvars --config-file .tfsec/config.yml --no-color --concise-output"},
		},
		{
			name: "tfsec stops at the first finding", tool: "tfsec", run: (*Checker).Sec, answer: failIn("dev.tfvars"),
			wantCalls: []string{". --config-file .tfsec/config.yml --no-color --concise-output",
				"terraform/root --tfvars-file terraform/root/envs/dev.tfvars --config-file .tfsec/config.yml --no-color --concise-output"},
			wantErr: "tfsec terraform/root with terraform/root/envs/dev.tfvars",
		},
		{
			name: "docs-check names every stale README", tool: "terraform-docs", run: (*Checker).DocsCheck,
			answer: func(c call) (string, error) {
				if slices.Contains(c.args, "modules/b") || slices.Contains(c.args, "terraform/root") {
					return "", &proc.ExitError{Cmd: c.prog, Code: 1}
				}
				return "", nil
			},
			wantCalls: []string{"markdown table --output-file README.md --output-mode inject --output-check modules/a",
				"markdown table --output-file README.md --output-mode inject --output-check modules/b",
				"markdown table --output-file README.md --output-mode inject --output-check terraform/root"},
			wantErr: "out of date: modules/b/README.md, terraform/root/README.md: run make tf-docs",
		},
		{
			name: "docs injects the tables", tool: "terraform-docs", run: (*Checker).Docs,
			wantCalls: []string{"markdown table --output-file README.md --output-mode inject modules/a",
				"markdown table --output-file README.md --output-mode inject modules/b",
				"markdown table --output-file README.md --output-mode inject terraform/root"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			writeFiles(t, root, repo)
			writeFiles(t, root, map[string]string{"modules/a/README.md": "", "modules/b/README.md": "", "terraform/root/README.md": ""})
			fakeTool(t, root, tc.tool)
			f := &fakeRunner{answer: tc.answer}
			c, _, _ := newChecker(t, root, f)
			err := tc.run(c, context.Background())
			var got []string
			for _, l := range f.lines() {
				l = strings.TrimPrefix(l, tc.tool+" ")
				got = append(got, strings.ReplaceAll(l, root, "ROOT"))
			}
			assert.Equal(t, tc.wantCalls, got)
			if tc.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tc.wantErr)
			}
		})
	}
}

func TestMissingPrograms(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, root, repo)
	writeFiles(t, root, map[string]string{"modules/a/README.md": "", "modules/b/README.md": "", "terraform/root/README.md": ""})
	f := &fakeRunner{}
	c, _, _ := newChecker(t, root, f)
	assert.ErrorContains(t, c.Lint(context.Background()), "tflint is not installed in "+filepath.Join(root, ".tools", "bin")+": run make tools")
	assert.ErrorContains(t, c.Sec(context.Background()), "tfsec is not installed")
	assert.ErrorContains(t, c.DocsCheck(context.Background()), "terraform-docs is not installed")
	c.TF = filepath.Join(root, "nowhere", "terraform")
	assert.ErrorContains(t, c.Validate(context.Background()), "make ci-deps installs Terraform")
	c.TF = "terraform\n; touch x"
	assert.ErrorContains(t, c.FmtCheck(context.Background()), "control characters")
	assert.Empty(t, f.calls, "nothing runs without its program")
}

func TestDocsNeedsReadme(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, root, repo)
	fakeTool(t, root, "terraform-docs")
	c, _, _ := newChecker(t, root, &fakeRunner{})
	assert.ErrorContains(t, c.Docs(context.Background()), "modules/a/README.md is missing")
}

func TestLock(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, root, repo)
	f := &fakeRunner{}
	c, _, _ := newChecker(t, root, f)
	c.LockPlatforms = []string{"linux_amd64", "darwin_arm64"}
	require.NoError(t, c.Lock(context.Background()))
	assert.Equal(t, []string{"terraform -chdir=terraform/root providers lock -platform=linux_amd64 -platform=darwin_arm64"}, f.lines())
	assert.Equal(t, "/dev/null", f.calls[0].envValue("TF_CLI_CONFIG_FILE"), "the registry, not the mirror")
	assert.Equal(t, "1", f.calls[0].envValue("CHECKER_ENV"), "over the checker's environment")
}

func TestParsePlatforms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
		wantErr  string
	}{
		{name: "empty: the defaults", in: "", want: DefaultLockPlatforms},
		{name: "spaces and commas", in: "linux_amd64, darwin_arm64 windows_amd64", want: []string{"linux_amd64", "darwin_arm64", "windows_amd64"}},
		{name: "a shell command", in: "linux_amd64;touch x", wantErr: `"linux_amd64;touch" is not a platform`},
		{name: "an option", in: "-chdir=/", wantErr: "is not a platform: expected os_arch names"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePlatforms(tc.in)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestCLIConfig(t *testing.T) {
	t.Parallel()
	mirror := t.TempDir()
	for _, p := range []string{"registry.terraform.io/hashicorp/aws/5.100.0", "registry.terraform.io/hashicorp/archive/2.7.0"} {
		require.NoError(t, os.MkdirAll(filepath.Join(mirror, p), 0o755))
	}
	badMirror := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(badMirror, "registry.terraform.io", "hashicorp", `aws"]`), 0o755))
	tests := []struct {
		name    string
		mirror  string
		want    []string
		wantErr string
	}{
		{
			name: "the mirror's providers from the mirror, all others from their registries", mirror: mirror,
			want: []string{
				fmt.Sprintf("    path    = %q\n", mirror),
				`    include = ["registry.terraform.io/hashicorp/archive","registry.terraform.io/hashicorp/aws"]`,
				`    exclude = ["registry.terraform.io/hashicorp/archive","registry.terraform.io/hashicorp/aws"]`,
			},
		},
		{name: "no mirror: the registries", mirror: filepath.Join(mirror, "absent"), want: []string{"providers are installed from their registries"}},
		{name: "a quote would end the HCL string", mirror: `/opt/x" } direct {`, wantErr: "expected an absolute directory path"},
		{name: "a template sequence", mirror: "/opt/${file(\"/etc/passwd\")}", wantErr: "TF_PROVIDER_MIRROR="},
		{name: "a newline", mirror: "/opt/x\nprovider_installation {}", wantErr: `TF_PROVIDER_MIRROR="/opt/x\nprovider_installation {}"`},
		{name: "a relative path", mirror: "opt/tf-plugins", wantErr: "absolute directory path"},
		{name: "shell syntax", mirror: "/opt/tf-plugins'; touch x; '", wantErr: "letters, digits, spaces and the characters /._-+~@,: only"},
		{name: "a provider directory that is not a provider name", mirror: badMirror, wantErr: "is not a <hostname>/<namespace>/<type> provider directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			var out bytes.Buffer
			c := &Checker{Root: root, Mirror: tc.mirror, Out: &out}
			err := c.CLIConfig()
			path := filepath.Join(root, ".tf", "cli.tfrc")
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				assert.NoFileExists(t, path)
				return
			}
			require.NoError(t, err)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			for _, w := range tc.want {
				assert.Contains(t, string(b), w)
			}
			assert.Equal(t, "wrote "+path+"\n", out.String())
			assert.DirExists(t, filepath.Join(root, ".tf", "plugin-cache"))
			out.Reset()
			require.NoError(t, c.CLIConfig())
			assert.Empty(t, out.String(), "an unchanged config is not rewritten")
		})
	}
}

// TestWithTerraform runs the checks against a real terraform on a module that needs no provider.
func TestWithTerraform(t *testing.T) {
	t.Parallel()
	tf, err := exec.LookPath("terraform")
	require.NoError(t, err, "the platform's tests need terraform (make ci-deps installs it)")
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"modules/m/main.tf": "variable \"name\" {\n  type        = string\n  description = \"a name\"\n  validation {\n" +
			"    condition     = length(var.name) > 2\n    error_message = \"name: at least 3 characters\"\n  }\n}\n\n" +
			"output \"greeting\" {\n  value       = \"hello ${var.name}\"\n  description = \"the greeting\"\n}\n",
		"modules/m/tests/m.tftest.hcl": "run \"greets\" {\n  command = plan\n  variables {\n    name = \"web\"\n  }\n" +
			"  assert {\n    condition     = output.greeting == \"hello web\"\n    error_message = \"greeting\"\n  }\n}\n\n" +
			"run \"short_name\" {\n  command = plan\n  variables {\n    name = \"w\"\n  }\n  expect_failures = [var.name]\n}\n",
	})
	var out, errOut bytes.Buffer
	c := &Checker{Root: root, TF: tf, Mirror: filepath.Join(root, "no-mirror"), Runner: proc.Exec{}, Out: &out, Err: &errOut}
	ctx := context.Background()
	require.NoError(t, c.FmtCheck(ctx), errOut.String())
	require.NoError(t, c.Validate(ctx), errOut.String())
	require.NoError(t, c.Test(ctx), errOut.String())
	assert.Contains(t, out.String(), "Success! 2 passed, 0 failed.")

	writeFiles(t, root, map[string]string{"modules/m/extra.tf": "locals {\nx=1\n}\n"})
	err = c.FmtCheck(ctx)
	var ee *proc.ExitError
	assert.True(t, errors.As(err, &ee), "unformatted file: %v", err)
	assert.Contains(t, out.String(), "extra.tf", "the diff names the file")
	require.NoError(t, c.Fmt(ctx))
	require.NoError(t, c.FmtCheck(ctx))

	writeFiles(t, root, map[string]string{"modules/m/tests/m.tftest.hcl": "run \"wrong\" {\n  command = plan\n  variables {\n    name = \"web\"\n  }\n" +
		"  assert {\n    condition     = output.greeting == \"bye\"\n    error_message = \"greeting is not bye\"\n  }\n}\n"})
	errOut.Reset()
	assert.ErrorContains(t, c.Test(ctx), "modules/m: terraform test failed")
	assert.Contains(t, errOut.String(), "greeting is not bye")
}
