// Package stack runs the whole system on this machine, no AWS account: moto (the AWS emulator) and the
// local runtime (`platform localrun`, serving every region of REGIONS) in the background, the state
// backends of every environment bootstrapped on moto, terraform/global applied as the release
// local_global/<LOCAL_TEAM>/<LOCAL_VERSION> with the regions of REGIONS, then terraform/workload as
// local_<region>/<LOCAL_TEAM>/<LOCAL_VERSION> for each region, the home region (the first) first, all
// through the release flow (its backend writer and variable list). Pids: .local/pids, logs:
// .local/logs, settings: .local/env.
package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/webhealth/webhealth/platform/localrun"
	"github.com/webhealth/webhealth/platform/moto"
	"github.com/webhealth/webhealth/platform/proc"
	"github.com/webhealth/webhealth/platform/release"
)

// Config is the stack's settings (platform/README.md, "Settings").
type Config struct {
	MotoPort     int      // MOTO_PORT
	LocalrunPort int      // LOCALRUN_PORT
	Region       string   // LOCAL_REGION, or the first of REGIONS: the home region
	Regions      []string // REGIONS: every region of the local environment, the home region first
	Team         string   // LOCAL_TEAM
	Version      string   // LOCAL_VERSION
	StatePrefix  string   // STATE_PREFIX
	// NotifyWebhookURL (NOTIFY_WEBHOOK_URL): the local environment's one json webhook channel; empty: none.
	NotifyWebhookURL string
}

// LoadConfig reads the settings from the environment with their defaults and checks them all.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	port := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s=%q: must be a port number from 1 to 65535", name, v))
		}
		return n
	}
	or := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	c := Config{
		MotoPort:         port("MOTO_PORT", 4566),
		LocalrunPort:     port("LOCALRUN_PORT", 4567),
		Region:           or("LOCAL_REGION", DefaultRegion),
		Team:             or("LOCAL_TEAM", "local"),
		Version:          or("LOCAL_VERSION", "0.0.0-local"),
		StatePrefix:      or("STATE_PREFIX", release.DefaultStatePrefix),
		NotifyWebhookURL: getenv("NOTIFY_WEBHOOK_URL"),
	}
	c.Regions = []string{c.Region}
	if list := getenv("REGIONS"); list != "" {
		regions, err := localrun.ParseRegions(list, c.Region)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("REGIONS: %w", err))
		case getenv("LOCAL_REGION") != "" && getenv("LOCAL_REGION") != regions[0]:
			errs = append(errs, fmt.Errorf("LOCAL_REGION=%s but REGIONS=%s starts with %s: the first of REGIONS is the home region; set one of them", c.Region, list, regions[0]))
		default:
			c.Regions, c.Region = regions, regions[0]
		}
	}
	if err := c.check(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

func (c Config) check() error {
	var errs []error
	if c.MotoPort == c.LocalrunPort {
		errs = append(errs, fmt.Errorf("MOTO_PORT and LOCALRUN_PORT are both %d: they need a port each", c.MotoPort))
	}
	if err := release.CheckRegion(c.Region); err != nil {
		errs = append(errs, fmt.Errorf("LOCAL_REGION: %w", err))
	}
	if len(c.Regions) > 0 {
		if _, err := localrun.ParseRegions(strings.Join(c.Regions, ","), c.Region); err != nil {
			errs = append(errs, fmt.Errorf("REGIONS: %w", err))
		} else if c.Regions[0] != c.Region {
			errs = append(errs, fmt.Errorf("REGIONS must start with the home region %s, not %s", c.Region, c.Regions[0]))
		}
	}
	if err := release.CheckTeam(c.Team); err != nil {
		errs = append(errs, fmt.Errorf("LOCAL_TEAM: %w", err))
	}
	if err := release.CheckVersion(c.Version); err != nil {
		errs = append(errs, fmt.Errorf("LOCAL_VERSION: %w", err))
	}
	if c.NotifyWebhookURL != "" {
		if err := CheckWebhookURL(c.NotifyWebhookURL); err != nil {
			errs = append(errs, fmt.Errorf("NOTIFY_WEBHOOK_URL (the value is a secret and not shown) %w", err))
		}
	}
	cfg := release.Config{StatePrefix: c.StatePrefix}
	cfg.SetDefaults()
	if err := cfg.Check(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// DefaultRegion is the local stack's region without LOCAL_REGION or REGIONS.
const DefaultRegion = "us-east-1"

// Tag is the local stack's release of the home region.
func (c Config) Tag() string { return c.TagOf(c.Region) }

// TagOf is the local stack's release of one region.
func (c Config) TagOf(region string) string {
	return "local_" + region + "/" + c.Team + "/" + c.Version
}

// GlobalTag is the local stack's release of terraform/global.
func (c Config) GlobalTag() string { return "local_" + release.Global + "/" + c.Team + "/" + c.Version }

// regions is Regions, or Region alone for a Config built without LoadConfig.
func (c Config) regions() []string {
	if len(c.Regions) == 0 {
		return []string{c.Region}
	}
	return c.Regions
}

// EnvName is the .local/env suffix of a region: API_URL_<EnvName> (eu-west-1 -> EU_WEST_1).
func EnvName(region string) string { return strings.ToUpper(strings.ReplaceAll(region, "-", "_")) }

// MotoURL and RuntimeURL are the two services of the stack.
func (c Config) MotoURL() string    { return "http://127.0.0.1:" + strconv.Itoa(c.MotoPort) }
func (c Config) RuntimeURL() string { return "http://127.0.0.1:" + strconv.Itoa(c.LocalrunPort) }

// Stack is the local stack of the repository at Root.
type Stack struct {
	Config
	Root   string // repository root, absolute
	TF     string // terraform command
	Go     string // go command
	Runner proc.Runner
	Env    []string // the environment of the tools (the stack puts the emulator's settings over it)
	Stdout io.Writer
	Stderr io.Writer
	// Build builds the zips of a version for an architecture (platform/build).
	Build func(ctx context.Context, arch, version string) error
	// Runtime is the local runtime's command: the platform binary and its "localrun" argument.
	Runtime []string
	// LaunchMoto starts a detached emulator and returns its pid (default: platform/moto).
	LaunchMoto func(ctx context.Context, o moto.Options) (int, error)
	// Parameters writes the webhook's SSM parameter (default: SSM on the emulator).
	Parameters ParameterStore
	// LookPath finds the prerequisites (default exec.LookPath).
	LookPath func(string) (string, error)
	// HTTP talks to the local runtime (default: a client without a timeout; requests carry contexts).
	HTTP *http.Client
	// Grace is how long a stopped process has before SIGKILL (0: 10 s); Wait scales the readiness waits
	// (0: 1, tests shorten them).
	Grace time.Duration
	Wait  float64
}

func (s *Stack) local(parts ...string) string {
	return filepath.Join(append([]string{s.Root, ".local"}, parts...)...)
}

func (s *Stack) motoProc() process {
	script := s.local("moto", "moto-serial.py")
	return process{name: "moto", pidFile: s.local("pids", "moto.pid"), ours: func(argv []string) bool {
		return slices.Contains(argv, script)
	}}
}

// runtimeProc is the local runtime: the platform's localrun command serving this repository's .local.
func (s *Stack) runtimeProc() process {
	state := s.local()
	return process{name: "the local runtime", pidFile: s.local("pids", "localrun.pid"), ours: func(argv []string) bool {
		i := slices.Index(argv, "-state")
		return len(argv) > 1 && argv[1] == "localrun" && i > 0 && i+1 < len(argv) && argv[i+1] == state
	}}
}

func (s *Stack) runtimeArgv() []string {
	return append(slices.Clone(s.Runtime),
		"-endpoint", s.MotoURL(), "-region", s.Region, "-regions", strings.Join(s.regions(), ","), "-listen", "127.0.0.1:"+strconv.Itoa(s.LocalrunPort),
		"-artifacts", filepath.Join(s.Root, "build"), "-state", s.local(), "-extra-ca", s.local("ca", CACertFile))
}

func (s *Stack) grace() time.Duration {
	if s.Grace == 0 {
		return 10 * time.Second
	}
	return s.Grace
}

func (s *Stack) wait(d time.Duration) time.Duration {
	if s.Wait == 0 {
		return d
	}
	return time.Duration(float64(d) * s.Wait)
}

func (s *Stack) httpClient() *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	return &http.Client{}
}

// emulatorEnv is the tools' environment against the emulator: its endpoint, the region and dummy
// credentials, never the developer's own.
func (s *Stack) emulatorEnv() []string {
	return proc.Env(s.Env, map[string]string{
		"AWS_ENDPOINT_URL": s.MotoURL(), "AWS_REGION": s.Region, "AWS_DEFAULT_REGION": s.Region,
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_PAGER": "",
	}, "AWS_PROFILE", "AWS_SESSION_TOKEN")
}

// prerequisites names the first missing tool and how to get it.
func (s *Stack) prerequisites() error {
	look := s.LookPath
	if look == nil {
		look = exec.LookPath
	}
	for _, t := range []struct{ cmd, hint string }{
		{s.TF, "https://developer.hashicorp.com/terraform/install (1.11 or later)"},
		{"moto_server", "pip install 'moto[server]==5.2.1'"},
		{"python3", "https://www.python.org/downloads/ (moto runs on it)"},
		{s.Go, "https://go.dev/doc/install (Go 1.26)"},
	} {
		if _, err := look(t.cmd); err != nil {
			return fmt.Errorf("%s is not installed: %s", t.cmd, t.hint)
		}
	}
	return nil
}

// Up starts what is not running, then (re)applies the local release; running it again is safe.
func (s *Stack) Up(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := s.prerequisites(); err != nil {
		return err
	}
	for _, d := range []string{s.local("pids"), s.local("logs"), s.local("tf")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return err
		}
	}
	if err := s.startMoto(ctx); err != nil {
		return err
	}
	if err := s.Build(ctx, runtime.GOARCH, s.Version); err != nil {
		return fmt.Errorf("build the zips: %w", err)
	}
	created, err := EnsureCA(s.local("ca"), time.Now())
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(s.Stdout, "up: created the local CA %s (the local runtime's functions trust it; key %s, mode 0600)\n",
			s.local("ca", CACertFile), s.local("ca", CAKeyFile))
	}
	if err := s.startRuntime(ctx); err != nil {
		return err
	}
	varFiles, err := s.notifications(ctx)
	if err != nil {
		return err
	}
	if len(varFiles) > 0 {
		fmt.Fprintf(s.Stdout, "up: NOTIFY_WEBHOOK_URL stored in moto as the SSM SecureString %s: one json webhook channel %q\n", WebhookParameter, WebhookChannel)
	}
	fmt.Fprintf(s.Stdout, "up: bootstrapping the state backends on moto (log: %s)\n", s.local("logs", "bootstrap.log"))
	if err := s.logged(ctx, "bootstrap.log", s.bootstrap); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if err := s.releaseGlobal(ctx); err != nil {
		return err
	}
	env := []string{}
	var homeURL, homeKey string
	for i, region := range s.regions() {
		apiURL, apiKey, err := s.releaseRegion(ctx, region, varFiles)
		if err != nil {
			return err
		}
		if i == 0 {
			homeURL, homeKey = apiURL, apiKey
		}
		env = append(env, "API_URL_"+EnvName(region)+"="+apiURL, "API_KEY_"+EnvName(region)+"="+apiKey)
	}
	env = append([]string{"API_URL=" + homeURL, "API_KEY=" + homeKey}, env...)
	env = append(env, "REGIONS="+strings.Join(s.regions(), ","), "LOCALRUN_URL="+s.RuntimeURL(), "AWS_ENDPOINT_URL="+s.MotoURL(),
		"AWS_REGION="+s.Region, "AWS_DEFAULT_REGION="+s.Region, "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"STATE_PREFIX="+s.StatePrefix, "STATE_REGION="+s.Region,
	)
	if s.NotifyWebhookURL != "" {
		// Quoted: sourced by shells; CheckWebhookURL admits no quote.
		env = append(env, "NOTIFY_WEBHOOK_URL='"+s.NotifyWebhookURL+"'")
	}
	if err := os.WriteFile(s.local("env"), []byte(strings.Join(env, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("write .local/env: %w", err)
	}
	fmt.Fprintf(s.Stdout, "API_URL=%s\nAPI_KEY=%s\n", homeURL, homeKey)
	if len(s.regions()) > 1 {
		for _, region := range s.regions() {
			fmt.Fprintf(s.Stdout, "API_URL_%s=%s\n", EnvName(region), envValue(env, "API_URL_"+EnvName(region)))
		}
	}
	fmt.Fprintf(s.Stdout, "up: ready; settings in %s; platform stack crawl|logs|status|down\n", s.local("env"))
	return nil
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// GlobalVarFile is the local release's variable file of terraform/global: the stack's regions.
const GlobalVarFile = "global.tfvars.json"

// releaseGlobal applies terraform/global as the release local_global/<team>/<version> with the stack's
// regions, then has the local runtime create the replica tables the emulator does not (so each
// regional stack finds its region's tables).
func (s *Stack) releaseGlobal(ctx context.Context) error {
	file := s.local("tf", GlobalVarFile)
	b, err := json.MarshalIndent(map[string]any{"regions": s.regions()}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	fmt.Fprintf(s.Stdout, "up: applying terraform/global as release %s (regions %s, home %s; log: %s)\n", s.GlobalTag(),
		strings.Join(s.regions(), ","), s.Region, s.local("logs", "global.log"))
	err = s.logged(ctx, "global.log", func(ctx context.Context, w io.Writer) error {
		flow, t, err := s.flowFor(w, s.GlobalTag(), s.local("tf", "global"))
		if err != nil {
			return err
		}
		flow.VarFiles = []string{file}
		return flow.ApplyDirect(ctx, t)
	})
	if err != nil {
		return fmt.Errorf("apply the global stack: %w", err)
	}
	return s.syncReplication(ctx)
}

// syncReplication asks the local runtime to replicate the global tables now and waits for it.
func (s *Stack) syncReplication(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.RuntimeURL()+"/_local/replication/sync", nil)
	if err != nil {
		return err
	}
	resp, err := s.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("replicate the global tables: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("replicate the global tables: the local runtime answered %d: %s (see %s)", resp.StatusCode,
			strings.TrimSpace(string(body)), s.local("logs", "localrun.log"))
	}
	return nil
}

// workloadDir is a region's TF_DATA_DIR: .local/tf/workload for the home region (as with one region),
// .local/tf/workload-<region> for the others.
func (s *Stack) workloadDir(region string) string {
	if region == s.Region {
		return s.local("tf", "workload")
	}
	return s.local("tf", "workload-"+region)
}

func (s *Stack) applyLog(region string) string {
	if region == s.Region {
		return "apply.log"
	}
	return "apply-" + region + ".log"
}

// releaseRegion applies terraform/workload as the region's local release and returns its API's URL on
// the local runtime and its key, once the API answers.
func (s *Stack) releaseRegion(ctx context.Context, region string, varFiles []string) (string, string, error) {
	tag := s.TagOf(region)
	fmt.Fprintf(s.Stdout, "up: applying terraform/workload as release %s (envs/local.tfvars; log: %s)\n", tag, s.local("logs", s.applyLog(region)))
	var t *release.Target
	err := s.logged(ctx, s.applyLog(region), func(ctx context.Context, w io.Writer) error {
		flow, target, err := s.flowFor(w, tag, s.workloadDir(region))
		if err != nil {
			return err
		}
		flow.VarFiles = varFiles
		t = target
		return flow.ApplyDirect(ctx, t)
	})
	if err != nil {
		return "", "", fmt.Errorf("apply %s: %w", tag, err)
	}
	flow, _, err := s.flowFor(s.Stderr, tag, s.workloadDir(region))
	if err != nil {
		return "", "", err
	}
	out, err := flow.Outputs(ctx, t)
	if err != nil {
		return "", "", err
	}
	apiURL := s.RuntimeURL() + "/" + out.String("api_id") + "/" + out.String("stage_name")
	apiKey := out.String("api_key")
	if err := s.waitAPI(ctx, apiURL, apiKey); err != nil {
		return "", "", err
	}
	return apiURL, apiKey, nil
}

func (s *Stack) startMoto(ctx context.Context) error {
	p := s.motoProc()
	if p.pid() == 0 {
		if busy(s.MotoPort) {
			return fmt.Errorf("port %d is busy (MOTO_PORT): stop what listens there or set MOTO_PORT=<free port>", s.MotoPort)
		}
		launch := s.LaunchMoto
		if launch == nil {
			launch = launchMoto
		}
		pid, err := launch(ctx, moto.Options{Dir: s.local("moto"), Port: s.MotoPort, LogPath: s.local("logs", "moto.log"), Detach: true})
		if err != nil {
			return err
		}
		if err := p.record(pid); err != nil {
			return err
		}
		// A fresh emulator holds no state: the local bootstrap and workload state start over.
		if err := os.RemoveAll(s.local("tf")); err != nil {
			return err
		}
		if err := os.MkdirAll(s.local("tf"), 0o750); err != nil {
			return err
		}
		fmt.Fprintf(s.Stdout, "up: started moto on %s (fresh emulator: fresh local bootstrap state)\n", s.MotoURL())
	}
	if err := moto.WaitReady(ctx, s.MotoURL(), s.wait(30*time.Second)); err != nil {
		return fmt.Errorf("%w; see %s", err, s.local("logs", "moto.log"))
	}
	return nil
}

func launchMoto(ctx context.Context, o moto.Options) (int, error) {
	srv, err := moto.Launch(ctx, o)
	if err != nil {
		return 0, err
	}
	pid := srv.Pid()
	return pid, srv.Release()
}

// startRuntime starts the local runtime unless it runs with the same command line from a binary no
// newer than its start; a changed binary or setting restarts it.
func (s *Stack) startRuntime(ctx context.Context) error {
	p := s.runtimeProc()
	argv := s.runtimeArgv()
	if pid := p.pid(); pid != 0 {
		current, _ := commandLine(pid)
		if !slices.Equal(current, argv) || newer(argv[0], p.pidFile) {
			stopped, err := p.stop(s.grace())
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Stdout, "up: stopped the local runtime (pid %d): its binary or settings changed\n", stopped)
			// Its children (the functions) may hold the port a moment after it is gone.
			waitFree(s.LocalrunPort, s.grace())
		}
	}
	if p.pid() == 0 {
		if busy(s.LocalrunPort) {
			return fmt.Errorf("port %d is busy (LOCALRUN_PORT): stop what listens there or set LOCALRUN_PORT=<free port>", s.LocalrunPort)
		}
		pid, err := startDetached(argv, s.Env, s.Root, s.local("logs", "localrun.log"))
		if err != nil {
			return fmt.Errorf("start the local runtime: %w", err)
		}
		if err := p.record(pid); err != nil {
			return err
		}
		fmt.Fprintf(s.Stdout, "up: started the local runtime on %s\n", s.RuntimeURL())
	}
	deadline := time.Now().Add(s.wait(20 * time.Second))
	for {
		if _, err := s.health(ctx); err == nil {
			return nil
		}
		if time.Now().After(deadline) || p.pid() == 0 {
			return fmt.Errorf("the local runtime does not answer on %s; see %s", s.RuntimeURL(), s.local("logs", "localrun.log"))
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// newer says whether file a was modified after file b.
func newer(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && sa.ModTime().After(sb.ModTime())
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// logged runs step with its output in .local/logs/<name> (truncated first); on failure the log's last
// 40 lines go to stderr.
func (s *Stack) logged(ctx context.Context, name string, step func(context.Context, io.Writer) error) error {
	path := s.local("logs", name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600) // #nosec G304 -- under .local/logs
	if err != nil {
		return err
	}
	stepErr := step(ctx, f)
	if err := f.Close(); err != nil && stepErr == nil {
		return err
	}
	if stepErr != nil {
		b, err := os.ReadFile(path) // #nosec G304 -- the log just written
		if err == nil {
			fmt.Fprint(s.Stderr, lastLines(string(b), 40))
		}
		return fmt.Errorf("%w (log: %s)", stepErr, path)
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.SplitAfter(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "") + "\n"
}

// bootstrap applies terraform/bootstrap on the emulator (its own TF_DATA_DIR and state file).
func (s *Stack) bootstrap(ctx context.Context, w io.Writer) error {
	env := proc.Env(s.emulatorEnv(), map[string]string{"TF_DATA_DIR": s.local("tf", "bootstrap")})
	dir := "-chdir=" + filepath.Join(s.Root, "terraform", "bootstrap")
	for _, args := range [][]string{
		{dir, "init", "-input=false"},
		{dir, "apply", "-input=false", "-auto-approve", "-state=" + s.local("tf", "bootstrap.tfstate"),
			"-var", "region=" + s.Region, "-var", "state_prefix=" + s.StatePrefix, "-var", "aws_endpoint_url=" + s.MotoURL()},
	} {
		if err := s.Runner.Run(ctx, proc.Cmd{Path: s.TF, Args: args, Dir: s.Root, Env: env, Stdout: w, Stderr: w}); err != nil {
			return err
		}
	}
	return nil
}

// flowFor is the release flow of one local release (tag), writing to w, with TF_DATA_DIR dataDir. The
// state buckets are the home region's (STATE_REGION).
func (s *Stack) flowFor(w io.Writer, tag, dataDir string) (*release.Flow, *release.Target, error) {
	cfg := release.Config{
		StatePrefix: s.StatePrefix, StateRegion: s.Region, StateLocking: release.LockingDynamoDB,
		Arch: runtime.GOARCH, Endpoint: s.MotoURL(),
	}
	cfg.SetDefaults()
	f := &release.Flow{Root: s.Root, Config: cfg, TF: s.TF, Go: s.Go, Runner: s.Runner, Env: s.emulatorEnv(), Stdout: w, Stderr: w}
	t, err := f.Prepare(tag)
	if err != nil {
		return nil, nil, err
	}
	t.DataDir = dataDir
	return f, t, nil
}

func (s *Stack) waitAPI(ctx context.Context, apiURL, key string) error {
	code := 0
	deadline := time.Now().Add(s.wait(60 * time.Second))
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/urls", nil)
		if err != nil {
			return err
		}
		req.Header.Set("x-api-key", key)
		if resp, err := s.httpClient().Do(req); err == nil {
			code = resp.StatusCode
			_ = resp.Body.Close() // the status is the answer
			if code == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the API at %s/urls answers %d, not 200; see %s", apiURL, code, s.local("logs", "localrun.log"))
		}
		if err := sleep(ctx, s.wait(time.Second)); err != nil {
			return err
		}
	}
}

// Down stops exactly the processes Up started (the recorded pids, their process groups) if they are
// still ours.
func (s *Stack) Down() error {
	var errs []error
	for _, p := range []process{s.runtimeProc(), s.motoProc()} {
		pid, err := p.stop(s.grace())
		if err != nil {
			errs = append(errs, err)
		}
		if pid != 0 {
			fmt.Fprintf(s.Stdout, "stopped %s (pid %d)\n", p.name, pid)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	fmt.Fprintln(s.Stdout, "down: the local stack is stopped (state of the next stack up starts fresh)")
	return nil
}

// health is the local runtime's /_local/health document.
func (s *Stack) health(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.RuntimeURL()+"/_local/health", nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := s.httpClient().Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("health: status %d", resp.StatusCode)
	}
	return body, nil
}

// Status prints what runs and the local runtime's health report in short.
func (s *Stack) Status(ctx context.Context) error {
	for _, p := range []struct {
		label string
		proc  process
		url   string
	}{{"moto:    ", s.motoProc(), s.MotoURL()}, {"localrun:", s.runtimeProc(), s.RuntimeURL()}} {
		if pid := p.proc.pid(); pid != 0 {
			fmt.Fprintf(s.Stdout, "%s running (pid %d) on %s\n", p.label, pid, p.url)
		} else {
			fmt.Fprintf(s.Stdout, "%s not running\n", p.label)
		}
	}
	body, err := s.health(ctx)
	if err != nil {
		return nil // nothing more to show: the lines above say what is not running
	}
	short, err := HealthSummary(body)
	if err != nil {
		return err
	}
	_, err = s.Stdout.Write(short)
	return err
}

// sqsMapping is what the summary keeps of an SQS event source mapping the runtime delivers.
type sqsMapping struct {
	Queue       json.RawMessage `json:"event_source_arn"`
	Invokes     json.RawMessage `json:"invokes"`
	State       json.RawMessage `json:"state"`
	Concurrency json.RawMessage `json:"concurrency"`
	Invocations json.RawMessage `json:"invocations"`
	Failures    json.RawMessage `json:"failed_invocations"`
	Error       json.RawMessage `json:"error,omitempty"`
}

// HealthSummary shortens a /_local/health document: status, errors, the APIs' stage URLs, the functions
// with their artifacts, the schedules, the SQS event source mappings with their deliveries and the alarm
// states.
func HealthSummary(body []byte) ([]byte, error) {
	var h struct {
		Status json.RawMessage `json:"status"`
		Errors json.RawMessage `json:"errors"`
		APIs   []struct {
			ID     json.RawMessage `json:"id"`
			Name   json.RawMessage `json:"name"`
			Stages []struct {
				URL json.RawMessage `json:"url"`
			} `json:"stages"`
		} `json:"apis"`
		Functions []struct {
			Name      json.RawMessage `json:"name"`
			Version   json.RawMessage `json:"version"`
			Artifact  json.RawMessage `json:"artifact"`
			Instances json.RawMessage `json:"instances"`
		} `json:"functions"`
		Rules []struct {
			Name       json.RawMessage `json:"name"`
			Expression json.RawMessage `json:"schedule_expression"`
			Next       json.RawMessage `json:"next_fire"`
		} `json:"schedule_rules"`
		Mappings []sqsMapping `json:"sqs_event_source_mappings"`
		Alarms   []struct {
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"alarms"`
		Replicated []json.RawMessage `json:"replicated_tables"`
	}
	if err := json.Unmarshal(body, &h); err != nil {
		return nil, fmt.Errorf("read the local runtime's health: %w", err)
	}
	type api struct {
		ID     json.RawMessage   `json:"id"`
		Name   json.RawMessage   `json:"name"`
		Stages []json.RawMessage `json:"stages"`
	}
	type function struct {
		Name      json.RawMessage `json:"name"`
		Version   json.RawMessage `json:"version"`
		Artifact  json.RawMessage `json:"artifact"`
		Instances json.RawMessage `json:"instances"`
	}
	type schedule struct {
		Name       json.RawMessage `json:"name"`
		Expression json.RawMessage `json:"schedule_expression"`
		Next       json.RawMessage `json:"next_fire"`
	}
	out := struct {
		Status    json.RawMessage `json:"status"`
		Errors    json.RawMessage `json:"errors"`
		APIs      []api           `json:"apis"`
		Functions []function      `json:"functions"`
		Schedules []schedule      `json:"schedules"`
		Mappings  []sqsMapping    `json:"sqs_mappings"`
		Alarms    []string        `json:"alarms"`
		// Replicated are the global tables the runtime replicates between the regions, as it reports them.
		Replicated []json.RawMessage `json:"replicated_tables"`
	}{Status: h.Status, Errors: h.Errors, APIs: []api{}, Functions: []function{}, Schedules: []schedule{}, Mappings: []sqsMapping{},
		Alarms: []string{}, Replicated: append([]json.RawMessage{}, h.Replicated...)}
	for _, a := range h.APIs {
		x := api{ID: a.ID, Name: a.Name, Stages: []json.RawMessage{}}
		for _, st := range a.Stages {
			x.Stages = append(x.Stages, st.URL)
		}
		out.APIs = append(out.APIs, x)
	}
	for _, f := range h.Functions {
		out.Functions = append(out.Functions, function(f))
	}
	for _, r := range h.Rules {
		out.Schedules = append(out.Schedules, schedule(r))
	}
	out.Mappings = append(out.Mappings, h.Mappings...)
	for _, a := range h.Alarms {
		out.Alarms = append(out.Alarms, a.State+"  "+a.Name)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// upRegions is the regions the running stack was brought up with (REGIONS in .local/env), else the
// configured ones.
func (s *Stack) upRegions() []string {
	b, err := os.ReadFile(s.local("env")) // #nosec G304 -- the stack's own settings file
	if err == nil {
		if v := envValue(strings.Split(string(b), "\n"), "REGIONS"); v != "" {
			if regions, err := localrun.ParseRegions(v, s.Region); err == nil {
				return regions
			}
		}
	}
	return s.regions()
}

// Crawl fires the crawler's schedule of every region of the stack through the local runtime now and
// prints the result (the crawls and their alarm transitions).
func (s *Stack) Crawl(ctx context.Context) error {
	target := s.RuntimeURL() + "/_local/schedules/fire"
	var rules []string
	home := s.upRegions()[0]
	for _, region := range s.upRegions() {
		dir := s.local("tf", "workload")
		if region != home {
			dir = s.local("tf", "workload-"+region)
		}
		if flow, t, err := s.flowFor(io.Discard, s.TagOf(region), dir); err == nil {
			if out, err := flow.Outputs(ctx, t); err == nil {
				if rule := out.String("crawler_schedule_rule"); rule != "" && !slices.Contains(rules, rule) {
					rules = append(rules, rule)
				}
			}
		}
	}
	if len(rules) > 0 {
		target += "?rule=" + url.QueryEscape(strings.Join(rules, ","))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, nil)
	if err != nil {
		return err
	}
	resp, err := s.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("%w: is the local stack up? (platform stack up)", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read the crawl result: %w", err)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		body = append(pretty.Bytes(), '\n')
	}
	if _, err := s.Stdout.Write(body); err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the local runtime answered %d: is the local stack up? (platform stack up)", resp.StatusCode)
	}
	return nil
}

// Logs follows the stack's logs (the local runtime, the functions, moto) until ctx ends.
func (s *Stack) Logs(ctx context.Context) error {
	files, _ := filepath.Glob(s.local("logs", "*.log"))
	if len(files) == 0 {
		return fmt.Errorf("nothing in %s: run platform stack up", s.local("logs"))
	}
	err := s.Runner.Run(ctx, proc.Cmd{Path: "tail", Args: append([]string{"-n", "30", "-F"}, files...),
		Dir: s.Root, Env: s.Env, Stdout: s.Stdout, Stderr: s.Stderr})
	if ctx.Err() != nil {
		return nil // interrupted: the way out of following
	}
	return err
}
