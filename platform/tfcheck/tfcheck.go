// Package tfcheck runs the static checks and tests of every Terraform module (modules/*) and root
// (terraform/*): fmt, validate, terraform test, tflint, tfsec, terraform-docs and the provider lock.
// Directories are discovered, so modules and roots added later are covered. Each directory gets its
// own TF_DATA_DIR under .tf/data, so checks never touch a root's own .terraform (release inits).
package tfcheck

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/webhealth/webhealth/platform/proc"
)

// Defaults of the settings.
const (
	DefaultMirror = "/opt/tf-plugins"
	DefaultTF     = "terraform"
)

// DefaultLockPlatforms are the platforms whose provider hashes the roots' lock files record.
var DefaultLockPlatforms = []string{"linux_amd64", "linux_arm64", "darwin_arm64"}

// Checker runs the checks in the repository at Root.
type Checker struct {
	Root          string   // repository root
	TF            string   // terraform program
	Mirror        string   // provider filesystem mirror used when it exists
	LockPlatforms []string // platforms of Lock
	// Runner runs the commands (proc.Exec; tests fake it), Env is their environment (nil: this process's).
	Runner proc.Runner
	Env    []string
	// Out receives progress and command output, Err failure details.
	Out, Err io.Writer
}

// Layout is the set of Terraform directories of a repository, relative to its root, sorted.
type Layout struct {
	Modules []string // modules/<name> holding *.tf
	Roots   []string // terraform/<name> holding *.tf
}

// All is every module, then every root.
func (l Layout) All() []string { return append(slices.Clone(l.Modules), l.Roots...) }

// Discover finds the modules and roots under root.
func Discover(root string) (Layout, error) {
	var l Layout
	for _, parent := range []struct {
		dir  string
		dest *[]string
	}{{"modules", &l.Modules}, {"terraform", &l.Roots}} {
		matches, err := filepath.Glob(filepath.Join(root, parent.dir, "*", "*.tf"))
		if err != nil {
			return l, fmt.Errorf("discover %s: %w", parent.dir, err)
		}
		for _, m := range matches {
			d := filepath.ToSlash(filepath.Join(parent.dir, filepath.Base(filepath.Dir(m))))
			if !slices.Contains(*parent.dest, d) {
				*parent.dest = append(*parent.dest, d)
			}
		}
		slices.Sort(*parent.dest)
	}
	if len(l.Modules)+len(l.Roots) == 0 {
		return l, fmt.Errorf("no Terraform module or root under %s (modules/*/*.tf, terraform/*/*.tf): run from the repository root", root)
	}
	return l, nil
}

func (c *Checker) layout() (Layout, error) { return Discover(c.Root) }

func (c *Checker) path(rel string) string { return filepath.Join(c.Root, filepath.FromSlash(rel)) }

// dataDir is the TF_DATA_DIR of directory d: .tf/data/<d with / as _>.
func (c *Checker) dataDir(d string) string {
	return filepath.Join(c.Root, ".tf", "data", strings.ReplaceAll(d, "/", "_"))
}

func (c *Checker) cliConfigPath() string { return filepath.Join(c.Root, ".tf", "cli.tfrc") }

// tfEnv is the environment of a terraform command: the project's CLI config and plugin cache, no
// prompts or update checks, and the directory's own data dir when dataDir is set.
func (c *Checker) tfEnv(dataDir string) []string {
	set := map[string]string{
		"TF_CLI_CONFIG_FILE":  c.cliConfigPath(),
		"TF_PLUGIN_CACHE_DIR": filepath.Join(c.Root, ".tf", "plugin-cache"),
		"TF_IN_AUTOMATION":    "1",
		"CHECKPOINT_DISABLE":  "1",
	}
	if dataDir != "" {
		set["TF_DATA_DIR"] = dataDir
	}
	return proc.Env(c.Env, set)
}

func (c *Checker) terraform() (string, error) {
	tf := c.TF
	if tf == "" {
		tf = DefaultTF
	}
	p, err := proc.Look(tf, "make ci-deps installs Terraform 1.11.4 where it can be downloaded, "+
		"else see https://developer.hashicorp.com/terraform/install (TF names another terraform)")
	if err != nil {
		return "", fmt.Errorf("TF: %w", err)
	}
	return p, nil
}

// tf runs terraform with args in the repository root, output to the checker's streams.
func (c *Checker) tf(ctx context.Context, dataDir string, args ...string) error {
	tf, err := c.terraform()
	if err != nil {
		return err
	}
	return c.Runner.Run(ctx, proc.Cmd{Dir: c.Root, Path: tf, Args: args, Env: c.tfEnv(dataDir), Stdout: c.Out, Stderr: c.Err})
}

// tfLogged runs terraform with args, its output into the file log only.
func (c *Checker) tfLogged(ctx context.Context, dataDir, log string, args ...string) error {
	tf, err := c.terraform()
	if err != nil {
		return err
	}
	f, err := os.Create(log) // #nosec G304 -- a log under the repository's .tf/data
	if err != nil {
		return fmt.Errorf("terraform log: %w", err)
	}
	runErr := c.Runner.Run(ctx, proc.Cmd{Dir: c.Root, Path: tf, Args: args, Env: c.tfEnv(dataDir), Stdout: f, Stderr: f})
	return errors.Join(runErr, f.Close())
}

// initDir runs `terraform init -backend=false` in d with its own data dir, which it returns.
func (c *Checker) initDir(ctx context.Context, d string) (string, error) {
	if err := c.CLIConfig(); err != nil {
		return "", err
	}
	data := c.dataDir(d)
	if err := os.MkdirAll(data, 0o750); err != nil {
		return "", fmt.Errorf("data dir of %s: %w", d, err)
	}
	log := data + ".init.log"
	if err := c.tfLogged(ctx, data, log, "-chdir="+d, "init", "-backend=false", "-input=false", "-no-color"); err != nil {
		c.showLog(log, nil)
		return "", fmt.Errorf("%s: terraform init failed: %w", d, err)
	}
	return data, nil
}

// showLog copies log to Err, leaving out the lines skip matches.
func (c *Checker) showLog(log string, skip *regexp.Regexp) {
	b, err := os.ReadFile(log) // #nosec G304 -- a log under the repository's .tf/data
	if err != nil {
		fmt.Fprintf(c.Err, "read %s: %v\n", log, err)
		return
	}
	for line := range strings.Lines(string(b)) {
		if skip == nil || !skip.MatchString(strings.TrimRight(line, "\n")) {
			fmt.Fprint(c.Err, line)
		}
	}
}

// lastLine is the last non-empty line of log ("Success! 12 passed, 0 failed.").
func lastLine(log string) string {
	b, err := os.ReadFile(log) // #nosec G304 -- a log under the repository's .tf/data
	if err != nil {
		return ""
	}
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			last = s
		}
	}
	return last
}

// FmtCheck fails when a .tf, .tfvars or .tftest.hcl file is not terraform fmt-formatted (and shows the diff).
func (c *Checker) FmtCheck(ctx context.Context) error {
	l, err := c.layout()
	if err != nil {
		return err
	}
	if err := c.tf(ctx, "", append([]string{"fmt", "-check", "-recursive", "-diff"}, l.All()...)...); err != nil {
		return fmt.Errorf("terraform files are not formatted (run make tf-fmt): %w", err)
	}
	fmt.Fprintf(c.Out, "tf fmt-check: %d directories formatted\n", len(l.All()))
	return nil
}

// Fmt formats the Terraform files in place.
func (c *Checker) Fmt(ctx context.Context) error {
	l, err := c.layout()
	if err != nil {
		return err
	}
	return c.tf(ctx, "", append([]string{"fmt", "-recursive"}, l.All()...)...)
}

// Validate runs `terraform init -backend=false` and `terraform validate` in every module and root.
func (c *Checker) Validate(ctx context.Context) error {
	l, err := c.layout()
	if err != nil {
		return err
	}
	if _, err := c.terraform(); err != nil {
		return err
	}
	for _, d := range l.All() {
		data, err := c.initDir(ctx, d)
		if err != nil {
			return err
		}
		log := data + ".validate.log"
		if err := c.tfLogged(ctx, data, log, "-chdir="+d, "validate", "-no-color"); err != nil {
			c.showLog(log, nil)
			return fmt.Errorf("%s is invalid: %w", d, err)
		}
		fmt.Fprintf(c.Out, "tf validate: %s ok\n", d)
	}
	return nil
}

var passLine = regexp.MustCompile(`\.\.\. pass$`)

// TestDirs are the modules and roots that have tests/*.tftest.hcl.
func (l Layout) TestDirs(root string) []string {
	var dirs []string
	for _, d := range l.All() {
		if m, _ := filepath.Glob(filepath.Join(root, filepath.FromSlash(d), "tests", "*.tftest.hcl")); len(m) > 0 {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// Test runs `terraform test` (mocked providers, offline) in every directory with tests/, and, where
// it has tests/envs, once more per envs/*.tfvars with that file's settings.
func (c *Checker) Test(ctx context.Context) error {
	l, err := c.layout()
	if err != nil {
		return err
	}
	dirs := l.TestDirs(c.Root)
	if len(dirs) == 0 {
		return errors.New("no tests/*.tftest.hcl in any module or root")
	}
	if _, err := c.terraform(); err != nil {
		return err
	}
	for _, d := range dirs {
		data, err := c.initDir(ctx, d)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Out, "tf test: %s\n", d)
		if err := c.testRun(ctx, d, data, data+".test.log"); err != nil {
			return err
		}
		if info, err := os.Stat(filepath.Join(c.path(d), "tests", "envs")); err != nil || !info.IsDir() {
			continue
		}
		vars, err := filepath.Glob(filepath.Join(c.path(d), "envs", "*.tfvars"))
		if err != nil {
			return err
		}
		if len(vars) == 0 {
			return fmt.Errorf("%s has tests/envs but no envs/*.tfvars to run them with", d)
		}
		slices.Sort(vars)
		for _, f := range vars {
			rel := "envs/" + filepath.Base(f)
			fmt.Fprintf(c.Out, "tf test: %s with %s\n", d, rel)
			if err := c.testRun(ctx, d, data, data+".test-envs.log", "-test-directory=tests/envs", "-var-file="+rel); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Checker) testRun(ctx context.Context, d, data, log string, extra ...string) error {
	args := append([]string{"-chdir=" + d, "test", "-no-color"}, extra...)
	if err := c.tfLogged(ctx, data, log, args...); err != nil {
		c.showLog(log, passLine)
		return fmt.Errorf("%s: terraform test failed: %w", d, err)
	}
	fmt.Fprintln(c.Out, lastLine(log))
	return nil
}

// Lint runs TFLint in every module and root with the repository's .tflint.hcl; it lints them all
// and then names the ones that failed.
func (c *Checker) Lint(ctx context.Context) error {
	l, err := c.layout()
	if err != nil {
		return err
	}
	tflint, err := proc.Tool(c.Root, "tflint")
	if err != nil {
		return err
	}
	var failed []string
	for _, d := range l.All() {
		fmt.Fprintf(c.Out, "tf lint: %s\n", d)
		err := c.Runner.Run(ctx, proc.Cmd{Dir: c.Root, Path: tflint, Env: c.Env, Stdout: c.Out, Stderr: c.Err,
			Args: []string{"--chdir=" + d, "--config=" + filepath.Join(c.Root, ".tflint.hcl"), "--no-color"}})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = append(failed, d)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("tflint found problems in %s", strings.Join(failed, ", "))
	}
	return nil
}

// Sec runs tfsec over the repository (fails on HIGH/CRITICAL; exceptions are #tfsec:ignore comments),
// then over each root once more per envs/*.tfvars, so parts an environment switches on are scanned.
func (c *Checker) Sec(ctx context.Context) error {
	l, err := c.layout()
	if err != nil {
		return err
	}
	tfsec, err := proc.Tool(c.Root, "tfsec")
	if err != nil {
		return err
	}
	common := []string{"--config-file", filepath.Join(".tfsec", "config.yml"), "--no-color", "--concise-output"}
	scan := func(args ...string) error {
		return c.Runner.Run(ctx, proc.Cmd{Dir: c.Root, Path: tfsec, Args: append(args, common...), Env: c.Env, Stdout: c.Out, Stderr: c.Err})
	}
	if err := scan("."); err != nil {
		return fmt.Errorf("tfsec: %w", err)
	}
	for _, d := range l.Roots {
		vars, err := filepath.Glob(filepath.Join(c.path(d), "envs", "*.tfvars"))
		if err != nil {
			return err
		}
		slices.Sort(vars)
		for _, f := range vars {
			rel := d + "/envs/" + filepath.Base(f)
			fmt.Fprintf(c.Out, "tf sec: %s with %s\n", d, rel)
			if err := scan(d, "--tfvars-file", rel); err != nil {
				return fmt.Errorf("tfsec %s with %s: %w", d, rel, err)
			}
		}
	}
	return nil
}

// Docs regenerates the inputs/outputs tables of every module's and root's README.md (between the
// BEGIN_TF_DOCS/END_TF_DOCS markers).
func (c *Checker) Docs(ctx context.Context) error {
	return c.docs(ctx, false)
}

// DocsCheck fails when a README.md's generated tables are out of date, naming every such README.
func (c *Checker) DocsCheck(ctx context.Context) error {
	return c.docs(ctx, true)
}

func (c *Checker) docs(ctx context.Context, check bool) error {
	l, err := c.layout()
	if err != nil {
		return err
	}
	tfdocs, err := proc.Tool(c.Root, "terraform-docs")
	if err != nil {
		return err
	}
	var stale []string
	for _, d := range l.All() {
		if _, err := os.Stat(filepath.Join(c.path(d), "README.md")); err != nil {
			return fmt.Errorf("%s/README.md is missing: every module and root documents itself there", d)
		}
		args := []string{"markdown", "table", "--output-file", "README.md", "--output-mode", "inject"}
		if check {
			args = append(args, "--output-check")
		}
		var out bytes.Buffer
		err := c.Runner.Run(ctx, proc.Cmd{Dir: c.Root, Path: tfdocs, Args: append(args, d), Env: c.Env, Stdout: io.Discard, Stderr: &out})
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil && check:
			stale = append(stale, d+"/README.md")
		case err != nil:
			fmt.Fprint(c.Err, out.String())
			return fmt.Errorf("terraform-docs %s: %w", d, err)
		case !check:
			fmt.Fprintf(c.Out, "tf docs: %s/README.md\n", d)
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("out of date: %s: run make tf-docs", strings.Join(stale, ", "))
	}
	if check {
		fmt.Fprintf(c.Out, "tf docs-check: %d README.md files up to date\n", len(l.All()))
	}
	return nil
}

var platformPattern = regexp.MustCompile(`^[a-z0-9]+_[a-z0-9]+$`)

// ParsePlatforms reads TF_LOCK_PLATFORMS: os_arch names separated by spaces or commas.
func ParsePlatforms(s string) ([]string, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	if len(fields) == 0 {
		return DefaultLockPlatforms, nil
	}
	for _, f := range fields {
		if !platformPattern.MatchString(f) {
			return nil, fmt.Errorf("TF_LOCK_PLATFORMS: %q is not a platform: expected os_arch names such as linux_amd64, separated by spaces or commas", f)
		}
	}
	return fields, nil
}

// Lock records the provider hashes of LockPlatforms in every root's lock file. It asks the registry
// (no CLI config, so no filesystem mirror).
func (c *Checker) Lock(ctx context.Context) error {
	l, err := c.layout()
	if err != nil {
		return err
	}
	tf, err := c.terraform()
	if err != nil {
		return err
	}
	platforms := c.LockPlatforms
	if len(platforms) == 0 {
		platforms = DefaultLockPlatforms
	}
	args := []string{"providers", "lock"}
	for _, p := range platforms {
		args = append(args, "-platform="+p)
	}
	for _, d := range l.Roots {
		fmt.Fprintf(c.Out, "tf lock: %s\n", d)
		err := c.Runner.Run(ctx, proc.Cmd{Dir: c.Root, Path: tf, Args: append([]string{"-chdir=" + d}, args...),
			Env: proc.Env(c.Env, map[string]string{"TF_CLI_CONFIG_FILE": "/dev/null", "CHECKPOINT_DISABLE": "1"}), Stdout: c.Out, Stderr: c.Err})
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
	}
	return nil
}
