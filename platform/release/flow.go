package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/webhealth/webhealth/platform/proc"
)

// Functions are the Lambda functions of the workload, one zip each.
var Functions = []string{"crawler", "alarmlogger", "urlapi", "notifier"}

// InputError is a release stopped by its input (the tag, a setting, a missing file the operator must
// provide) before anything ran; the command exits with status 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(format string, args ...any) error { return &InputError{Err: fmt.Errorf(format, args...)} }

// Deployment is one function whose live alias CodeDeploy shifts (the workload's codedeploy output).
type Deployment struct {
	Key         string // crawler, alarmlogger, urlapi, notifier
	Function    string
	Application string
	Group       string
}

// DeployRequest is what a Deployer needs to shift a release's aliases.
type DeployRequest struct {
	Tag           string
	Environment   string
	Region        string
	AssumeRoleARN string
	Deployments   []Deployment
}

// Deployer shifts each live alias to the function's newest version and waits (release/awsdeploy).
type Deployer interface {
	Deploy(ctx context.Context, r DeployRequest) error
}

// Uploader stores a file in S3 with the caller's own credentials (release/awsdeploy).
type Uploader interface {
	Upload(ctx context.Context, bucket, key, path string) error
}

// Flow runs the release steps of a tag: the Makefile's old release section, in Go.
type Flow struct {
	Root     string // repository root, absolute
	BuildDir string // default <Root>/build
	Config   Config
	TF       string // terraform command (TF)
	Go       string // go command (smoke without gotestsum)
	// Gotestsum runs the smoke test when set (JUnit into reports/); default <Root>/.tools/bin/gotestsum
	// or gotestsum on PATH, else go test.
	Gotestsum string
	Runner    proc.Runner
	Env       []string // the environment of every child process
	Stdout    io.Writer
	Stderr    io.Writer
	// Build builds the zips of a version for an architecture (platform/build).
	Build func(ctx context.Context, arch, version string) error
	// VarFiles are more -var-file arguments, after the environment's (the local stack's notifications).
	VarFiles []string
	Deployer Deployer
	Uploader Uploader
}

// Target is a parsed, checked release and where its files go.
type Target struct {
	Release
	Settings Settings
	Tag      string // canonical: no refs/tags/
	Name     string // <env>-<region|global>-<team>
	Root     string // the Terraform root it releases, relative to the repository: WorkloadRoot or GlobalRoot
	DataDir  string // TF_DATA_DIR (its backend.hcl)
}

// The Terraform roots a tag releases: a region's stack, or (an <env>_global tag) the environment's
// global resources.
const (
	WorkloadRoot = "terraform/workload"
	GlobalRoot   = "terraform/global"
)

// RootOf is the root r releases.
func RootOf(r Release) string {
	if r.IsGlobal() {
		return GlobalRoot
	}
	return WorkloadRoot
}

func (f *Flow) buildDir() string {
	if f.BuildDir != "" {
		return f.BuildDir
	}
	return filepath.Join(f.Root, "build")
}

func (f *Flow) rootDir(t *Target) string { return filepath.Join(f.Root, filepath.FromSlash(t.Root)) }
func (f *Flow) planDir() string          { return filepath.Join(f.buildDir(), "plans") }

// Prepare parses tag, derives its settings, refuses a tag of another environment than EXPECT_ENV and a
// tag whose root (RootOf) is not in this checkout. Nothing runs and nothing is written before it succeeds.
func (f *Flow) Prepare(tag string) (*Target, error) {
	if err := f.Config.Check(); err != nil {
		return nil, &InputError{Err: err}
	}
	r, err := Parse(tag, f.Config.Environments)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	s, err := r.Settings(f.Config.StatePrefix)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	t := &Target{Release: r, Settings: s, Tag: r.String(), Name: r.Environment + "-" + r.Region + "-" + r.Team, Root: RootOf(r)}
	t.DataDir = filepath.Join(f.buildDir(), "tfdata", t.Name)
	if f.Config.ExpectEnv != "" && r.Environment != f.Config.ExpectEnv {
		return nil, inputErr("tag %s releases %s, but this pipeline deploys %s (EXPECT_ENV)", t.Tag, r.Environment, f.Config.ExpectEnv)
	}
	if st, err := os.Stat(f.rootDir(t)); err != nil || !st.IsDir() {
		return nil, inputErr("tag %s releases the Terraform root %s, which is missing from this checkout: nothing ran", t.Tag, t.Root)
	}
	if r.IsGlobal() && f.Config.StateRegion == "" {
		return nil, inputErr("tag %s releases %s, which has no region of its own: set STATE_REGION to the region of the state bucket %s", t.Tag, t.Root, s.StateBucket)
	}
	return t, nil
}

// Backend is the backend configuration of t under the flow's settings.
func (f *Flow) Backend(t *Target) (Backend, error) {
	b, err := t.Settings.Backend(BackendOptions{
		// No AssumeRoleARN: a saved plan keeps its backend configuration, and the role is the build's (UseRole).
		StateRegion: f.Config.StateRegion, Locking: f.Config.StateLocking, Endpoint: f.Config.Endpoint,
	})
	if err != nil {
		return Backend{}, &InputError{Err: err}
	}
	return b, nil
}

// EnvOutput is what `release env` prints: the parsed tag, the backend names and the state region, as
// KEY=value lines (FormatEnv) or a JSON object (FormatJSON).
func (f *Flow) EnvOutput(t *Target, format string) ([]byte, error) {
	b, err := f.Backend(t)
	if err != nil {
		return nil, err
	}
	switch format {
	case FormatEnv:
		lines, err := t.Settings.EnvLines()
		if err != nil {
			return nil, err
		}
		return []byte(lines + "STATE_REGION=" + b.Region + "\n"), nil
	case FormatJSON:
		out, err := json.MarshalIndent(struct {
			Settings
			StateRegion string `json:"state_region"`
		}{t.Settings, b.Region}, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode settings: %w", err)
		}
		return append(out, '\n'), nil
	}
	return nil, inputErr("format %q is not %s or %s", format, FormatEnv, FormatJSON)
}

// terraform runs one terraform command in the workload root with t's TF_DATA_DIR.
func (f *Flow) terraform(ctx context.Context, t *Target, stdout io.Writer, args ...string) error {
	return f.Runner.Run(ctx, proc.Cmd{
		Path:   f.TF,
		Args:   append([]string{"-chdir=" + f.rootDir(t)}, args...),
		Dir:    f.Root,
		Env:    proc.Env(f.Env, map[string]string{"TF_DATA_DIR": t.DataDir}),
		Stdout: stdout,
		Stderr: f.Stderr,
	})
}

func (f *Flow) colorFlags() []string {
	if f.Config.NoColor {
		return []string{"-no-color"}
	}
	return nil
}

// Init writes t's backend configuration into its TF_DATA_DIR and initialises t's root with it.
func (f *Flow) Init(ctx context.Context, t *Target) error {
	b, err := f.Backend(t)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.planDir(), 0o750); err != nil {
		return fmt.Errorf("plans dir: %w", err)
	}
	file := filepath.Join(t.DataDir, "backend.hcl")
	if err := b.WriteFile(file); err != nil {
		return err
	}
	return f.terraform(ctx, t, io.Discard, "init", "-input=false", "-reconfigure", "-backend-config="+file)
}

// Vars is the one variable list of a workload deployment (plan, drift, the local stack): the
// environment's -var-file first, then VarFiles, so the tag's parts win over them. artifacts_dir is relative to the
// workload root, so a plan saved in one checkout applies in another. On an emulator each zip is also
// kept as build/emulator-deployed/<function>-<sha256 prefix>.zip: the local runtime runs a deployed
// function from the local zip whose hash the emulator reports, so every version deployed there stays
// runnable after the next build overwrites build/<arch>.
func (f *Flow) Vars(t *Target) ([]string, error) {
	tfvars := filepath.Join("envs", t.Environment+".tfvars")
	if _, err := os.Stat(filepath.Join(f.rootDir(t), tfvars)); err != nil {
		return nil, inputErr("%s/%s is missing: every environment keeps its settings there", t.Root, filepath.ToSlash(tfvars))
	}
	if t.IsGlobal() {
		return f.globalVars(t, tfvars), nil
	}
	global, err := f.GlobalState(t)
	if err != nil {
		return nil, err
	}
	artifacts := filepath.Join(f.buildDir(), f.Config.Arch)
	for _, fn := range Functions {
		zip := filepath.Join(artifacts, fn+".zip")
		if _, err := os.Stat(zip); err != nil {
			return nil, inputErr("%s is missing: run platform build -arch %s -version %s first", zip, f.Config.Arch, t.Version)
		}
		if f.Config.Endpoint != "" {
			if err := f.keepEmulatorCopy(fn, zip); err != nil {
				return nil, err
			}
		}
	}
	rel, err := filepath.Rel(f.rootDir(t), artifacts)
	if err != nil {
		return nil, fmt.Errorf("artifacts_dir: %w", err)
	}
	vars := []string{"-var-file=" + tfvars}
	for _, f := range f.VarFiles {
		vars = append(vars, "-var-file="+f)
	}
	vars = append(vars,
		"-var", "environment="+t.Environment,
		"-var", "region="+t.Region,
		"-var", "team="+t.Team,
		"-var", "release_version="+t.Version,
		"-var", "artifacts_dir="+filepath.ToSlash(rel),
		"-var", "lambda_architecture="+LambdaArchitecture(f.Config.Arch),
		"-var", "global_state="+global.StateVar(),
	)
	if f.Config.Endpoint != "" {
		vars = append(vars, "-var", "aws_endpoint_url="+f.Config.Endpoint)
	}
	// No assume_role_arn: a saved plan keeps its variables, and the role is the build's (UseRole).
	return vars, nil
}

func (f *Flow) keepEmulatorCopy(fn, zip string) error {
	data, err := os.ReadFile(zip) // #nosec G304 -- a zip under the build directory
	if err != nil {
		return fmt.Errorf("read %s: %w", zip, err)
	}
	sum := sha256.Sum256(data)
	dir := filepath.Join(f.buildDir(), "emulator-deployed")
	kept := filepath.Join(dir, fn+"-"+hex.EncodeToString(sum[:])[:16]+".zip")
	if _, err := os.Stat(kept); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("emulator copies: %w", err)
	}
	return writeFileAtomic(kept, data, 0o644)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // already gone after the rename
	if _, err := tmp.Write(data); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", path, err), tmp.Close())
	}
	if err := tmp.Chmod(mode); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", path, err), tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func (f *Flow) planPath(t *Target, suffix string) string {
	return filepath.Join(f.planDir(), t.Name+suffix)
}

// Plan plans t into build/plans/<name>.tfplan (with .tag, .tfplan.txt and .summary) and prints the summary.
func (f *Flow) Plan(ctx context.Context, t *Target) error {
	if err := f.Init(ctx, t); err != nil {
		return err
	}
	vars, err := f.Vars(t)
	if err != nil {
		return err
	}
	plan := f.planPath(t, ".tfplan")
	for _, p := range []string{plan, plan + ".txt", f.planPath(t, ".tag"), f.planPath(t, ".summary")} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove the previous plan: %w", err)
		}
	}
	args := append([]string{"plan", "-input=false"}, f.colorFlags()...)
	args = append(append(args, "-lock-timeout=5m", "-out="+plan), vars...)
	if err := f.terraform(ctx, t, f.Stderr, args...); err != nil {
		return err
	}
	if err := os.WriteFile(f.planPath(t, ".tag"), []byte(t.Tag+"\n"), 0o600); err != nil {
		return fmt.Errorf("plan tag: %w", err)
	}
	return f.summarise(ctx, t, plan, f.Stdout)
}

// summarise writes the summary of a saved plan to <plan>.txt and its first line to <name>.summary, and prints it.
func (f *Flow) summarise(ctx context.Context, t *Target, plan string, w io.Writer) error {
	var js bytes.Buffer
	if err := f.terraform(ctx, t, &js, "show", "-json", plan); err != nil {
		return err
	}
	sum, err := Summary(t.Tag, js.Bytes())
	if err != nil {
		return err
	}
	if err := os.WriteFile(plan+".txt", []byte(sum), 0o600); err != nil {
		return fmt.Errorf("plan summary: %w", err)
	}
	first, _, _ := strings.Cut(sum, "\n")
	if err := os.WriteFile(f.planPath(t, ".summary"), []byte(first+"\n"), 0o600); err != nil {
		return fmt.Errorf("plan summary: %w", err)
	}
	_, err = io.WriteString(w, sum)
	return err
}

// Apply applies exactly the saved plan of t (never a fresh plan); it refuses when there is none or it
// was planned for another tag.
func (f *Flow) Apply(ctx context.Context, t *Target) error {
	plan := f.planPath(t, ".tfplan")
	if _, err := os.Stat(plan); err != nil {
		return fmt.Errorf("no saved plan %s for %s: run platform release plan -tag %s and review it first (apply never plans)", plan, t.Tag, t.Tag)
	}
	planned, _ := os.ReadFile(f.planPath(t, ".tag")) // #nosec G304 -- under the build directory
	if got := strings.TrimSpace(string(planned)); got != t.Tag {
		return fmt.Errorf("%s was planned for %q, not %s: run platform release plan -tag %s first", plan, got, t.Tag, t.Tag)
	}
	if err := f.Init(ctx, t); err != nil {
		return err
	}
	args := append([]string{"apply", "-input=false"}, f.colorFlags()...)
	return f.terraform(ctx, t, f.Stdout, append(args, "-lock-timeout=5m", plan)...)
}

// ApplyDirect applies t without a saved plan (-auto-approve): the local stack's own release.
func (f *Flow) ApplyDirect(ctx context.Context, t *Target) error {
	if err := f.Init(ctx, t); err != nil {
		return err
	}
	vars, err := f.Vars(t)
	if err != nil {
		return err
	}
	args := append([]string{"apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=2m"}, vars...)
	return f.terraform(ctx, t, f.Stdout, args...)
}

// Drift plans t's code against its live infrastructure: false when they match, true (and the summary on
// stderr after a "DRIFT:" line) when they differ, an error when the check could not run.
func (f *Flow) Drift(ctx context.Context, t *Target) (bool, error) {
	if err := f.Init(ctx, t); err != nil {
		return false, err
	}
	vars, err := f.Vars(t)
	if err != nil {
		return false, err
	}
	plan := f.planPath(t, ".drift.tfplan")
	args := append([]string{"plan", "-input=false"}, f.colorFlags()...)
	args = append(append(args, "-lock-timeout=5m", "-detailed-exitcode", "-out="+plan), vars...)
	err = f.terraform(ctx, t, f.Stderr, args...)
	code, ran := proc.ExitCode(err)
	if !ran {
		return false, err
	}
	switch code {
	case 0:
		fmt.Fprintf(f.Stdout, "drift: none: the live infrastructure of %s matches its code\n", t.Tag)
		return false, nil
	case 2:
		fmt.Fprintf(f.Stderr, "DRIFT: the live infrastructure of %s no longer matches its code:\n", t.Tag)
		return true, f.summarise(ctx, t, plan, f.Stderr)
	}
	return false, fmt.Errorf("the drift check of %s could not run (terraform plan exit status %d)", t.Tag, code)
}

// Outputs are the workload's terraform outputs of t's state.
type Outputs map[string]json.RawMessage

// Outputs reads t's outputs (`terraform output -json`; they hold the API key, so they are never printed).
func (f *Flow) Outputs(ctx context.Context, t *Target) (Outputs, error) {
	var out bytes.Buffer
	if err := f.terraform(ctx, t, &out, "output", "-json"); err != nil {
		return nil, err
	}
	var raw map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		return nil, fmt.Errorf("read terraform output -json: %w", err)
	}
	o := Outputs{}
	for k, v := range raw {
		o[k] = v.Value
	}
	return o, nil
}

// String is the string output name, "" when absent or not a string.
func (o Outputs) String(name string) string {
	var s string
	if err := json.Unmarshal(o[name], &s); err != nil {
		return ""
	}
	return s
}

// Deploy shifts each live alias to its new version with CodeDeploy and waits; a rollback fails it.
// Without a codedeploy output (CodeDeploy off, the emulator) Terraform moves the aliases itself.
func (f *Flow) Deploy(ctx context.Context, t *Target) error {
	if t.IsGlobal() {
		fmt.Fprintf(f.Stdout, "deploy: %s releases %s, which has no function: nothing to deploy\n", t.Tag, t.Root)
		return nil
	}
	if err := f.Init(ctx, t); err != nil {
		return err
	}
	out, err := f.Outputs(ctx, t)
	if err != nil {
		return err
	}
	var groups map[string]*struct {
		Application *string `json:"application"`
		Group       string  `json:"deployment_group"`
	}
	if raw := out["codedeploy"]; len(raw) > 0 {
		if err := json.Unmarshal(raw, &groups); err != nil {
			return fmt.Errorf("read the codedeploy output: %w", err)
		}
	}
	var functions map[string]string
	if raw := out["function_names"]; len(raw) > 0 {
		if err := json.Unmarshal(raw, &functions); err != nil {
			return fmt.Errorf("read the function_names output: %w", err)
		}
	}
	req := DeployRequest{Tag: t.Tag, Environment: t.Environment, Region: t.Region, AssumeRoleARN: f.Config.AssumeRoleARN}
	keys := make([]string, 0, len(groups))
	for k, g := range groups {
		if g != nil && g.Application != nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fn := functions[k]
		if fn == "" {
			return fmt.Errorf("no function_names.%s output for the codedeploy group %s", k, k)
		}
		req.Deployments = append(req.Deployments, Deployment{Key: k, Function: fn, Application: *groups[k].Application, Group: groups[k].Group})
	}
	if len(req.Deployments) == 0 {
		fmt.Fprintf(f.Stdout, "deploy: CodeDeploy is off for %s (no codedeploy output): Terraform moves the live aliases itself\n", t.Tag)
		return nil
	}
	if f.Deployer == nil {
		return errors.New("deploy: no CodeDeploy client configured")
	}
	return f.Deployer.Deploy(ctx, req)
}

// Smoke runs the end-to-end TestSmoke against t's API (URL and key from its outputs; through the local
// runtime when LOCALRUN_URL and AWS_ENDPOINT_URL are set), JUnit in reports/smoke-<name>.xml.
func (f *Flow) Smoke(ctx context.Context, t *Target) error {
	if t.IsGlobal() {
		fmt.Fprintf(f.Stdout, "smoke: %s releases %s, which has no API: nothing to smoke-test (each regional release tests its own)\n", t.Tag, t.Root)
		return nil
	}
	if err := f.Init(ctx, t); err != nil {
		return err
	}
	out, err := f.Outputs(ctx, t)
	if err != nil {
		return err
	}
	apiURL := out.String("api_url")
	if f.Config.LocalrunURL != "" && f.Config.Endpoint != "" {
		apiURL = ""
		if id, stage := out.String("api_id"), out.String("stage_name"); id != "" && stage != "" {
			apiURL = strings.TrimRight(f.Config.LocalrunURL, "/") + "/" + id + "/" + stage
		}
	}
	apiKey := out.String("api_key")
	if apiURL == "" || apiKey == "" {
		return fmt.Errorf("the state of %s has no api_url/api_key output: is the release applied?", t.Tag)
	}
	reports := filepath.Join(f.Root, "reports")
	if err := os.MkdirAll(reports, 0o750); err != nil {
		return fmt.Errorf("reports dir: %w", err)
	}
	goTest := []string{"-tags", "e2e", "-run", "^TestSmoke", "-count=1", "./..."}
	cmd := proc.Cmd{
		Dir:    filepath.Join(f.Root, "test"),
		Env:    proc.Env(f.Env, map[string]string{"API_URL": apiURL, "API_KEY": apiKey}),
		Stdout: f.Stdout, Stderr: f.Stderr,
	}
	if gts := f.gotestsum(); gts != "" {
		cmd.Path = gts
		cmd.Args = append([]string{"--format", "testname", "--junitfile", filepath.Join(reports, "smoke-"+t.Name+".xml"), "--"}, goTest...)
	} else {
		fmt.Fprintln(f.Stderr, "smoke: gotestsum is not installed (make tools): go test, no JUnit report")
		cmd.Path = f.Go
		cmd.Args = append([]string{"test"}, goTest...)
	}
	return f.Runner.Run(ctx, cmd)
}

func (f *Flow) gotestsum() string {
	if f.Gotestsum != "" {
		return f.Gotestsum
	}
	if p, err := proc.Tool(f.Root, "gotestsum"); err == nil {
		return p
	}
	if p, err := exec.LookPath("gotestsum"); err == nil {
		return p
	}
	return ""
}

// Record stores the applied release (sources, zips, tag) at RELEASE_SNAPSHOT_URI/<region>/<team>/current.zip
// for the drift check, which runs in that snapshot. Without RELEASE_SNAPSHOT_URI there is nothing to do.
func (f *Flow) Record(ctx context.Context, t *Target) error {
	if f.Config.SnapshotURI == "" {
		fmt.Fprintln(f.Stdout, "record: RELEASE_SNAPSHOT_URI is not set: nothing to record")
		return nil
	}
	bucket, prefix, err := ParseS3URI(f.Config.SnapshotURI)
	if err != nil {
		return &InputError{Err: err}
	}
	dir := filepath.Join(f.buildDir(), "release")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("release dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tag"), []byte(t.Tag+"\n"), 0o600); err != nil {
		return fmt.Errorf("release tag file: %w", err)
	}
	snapshot := filepath.Join(dir, "snapshot.zip")
	if err := WriteSnapshot(f.Root, snapshot); err != nil {
		return err
	}
	key := strings.TrimPrefix(prefix+"/"+t.Region+"/"+t.Team+"/current.zip", "/")
	if f.Uploader == nil {
		return errors.New("record: no S3 client configured")
	}
	if err := f.Uploader.Upload(ctx, bucket, key, snapshot); err != nil {
		return err
	}
	fmt.Fprintf(f.Stdout, "record: %s recorded at s3://%s/%s\n", t.Tag, bucket, key)
	return nil
}

// Run releases t as the pipeline does: env, build, plan, apply, deploy, smoke.
func (f *Flow) Run(ctx context.Context, t *Target) error {
	lines, err := f.EnvOutput(t, FormatEnv)
	if err != nil {
		return err
	}
	if _, err := f.Stdout.Write(lines); err != nil {
		return err
	}
	if f.Build == nil {
		return errors.New("run: no build configured")
	}
	steps := []struct {
		name string
		run  func(context.Context, *Target) error
	}{
		{"build", func(ctx context.Context, t *Target) error {
			if t.IsGlobal() { // terraform/global deploys no function
				return nil
			}
			return f.Build(ctx, f.Config.Arch, t.Version)
		}},
		{"plan", f.Plan},
		{"apply", f.Apply},
		{"deploy", f.Deploy},
		{"smoke", f.Smoke},
	}
	for _, s := range steps {
		fmt.Fprintf(f.Stderr, "release: %s %s\n", s.name, t.Tag)
		if err := s.run(ctx, t); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}
