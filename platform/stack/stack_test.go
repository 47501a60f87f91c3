package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/moto"
	"github.com/webhealth/webhealth/platform/proc"
	"github.com/webhealth/webhealth/platform/release"
	"github.com/webhealth/webhealth/platform/stack"
)

// The test binary doubles as the stack's two daemons: `<test binary> localrun <flags>` is a fake local
// runtime, `<test binary> fakemoto <script> <port>` a fake emulator.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "localrun":
			fakeRuntime(os.Args[2:])
			return
		case "fakemoto":
			serveUntilTerm("127.0.0.1:"+os.Args[3], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/moto-api/" {
					_, _ = io.WriteString(w, "moto")
					return
				}
				http.NotFound(w, r)
			}))
			return
		}
	}
	os.Exit(m.Run())
}

const healthDoc = `{"status":"ok","emulator":"http://127.0.0.1:1","region":"us-east-1",
 "apis":[{"id":"abc","name":"webhealth","stages":[{"name":"v1","url":"http://127.0.0.1:2/abc/v1"}],"routes":[]}],
 "functions":[{"name":"fn-crawler","qualifier":"live","version":"3","artifact":"build/amd64/crawler.zip","instances":1},
              {"name":"fn-urlapi","qualifier":"live","instances":0}],
 "schedule_rules":[{"name":"rule-1","event_bus":"default","schedule_expression":"rate(1 minute)","next_fire":"2026-01-01T00:01:00Z","targets":[]}],
 "sqs_event_source_mappings":[{"uuid":"u-1","function_arn":"arn:aws:lambda:us-east-1:123456789012:function:fn-crawler-worker:1",
   "invokes":"arn:aws:lambda:us-east-1:123456789012:function:fn-crawler-worker:live",
   "event_source_arn":"arn:aws:sqs:us-east-1:123456789012:fn-crawler-shards","queue_url":"http://127.0.0.1:1/123456789012/fn-crawler-shards",
   "state":"Disabled","batch_size":1,"maximum_concurrency":100,"concurrency":4,"invocations":3,"failed_invocations":1,"error":"function error Sandbox.Timedout"}],
 "alarms":[{"name":"a-availability","state":"OK","evaluated_at":"2026-01-01T00:00:00Z"},{"name":"a-latency","state":"ALARM"}],
 "replicated_tables":[{"name":"webhealth-local-local-urls","regions":["eu-west-1","us-east-1"],"created":["eu-west-1"],"replicated_writes":2}]}`

func fakeRuntime(args []string) {
	fs := flag.NewFlagSet("localrun", flag.ExitOnError)
	listen := fs.String("listen", "", "")
	for _, f := range []string{"endpoint", "region", "regions", "artifacts", "state", "extra-ca"} {
		fs.String(f, "", "")
	}
	_ = fs.Parse(args)
	serveUntilTerm(*listen, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/_local/health":
			_, _ = io.WriteString(w, healthDoc)
		case "/_local/replication/sync":
			if r.Method != http.MethodPost {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			_, _ = io.WriteString(w, `{"records":0,"tables":[]}`)
		case "/_local/schedules/fire":
			_, _ = fmt.Fprintf(w, `{"results":[{"rule":%q}],"alarm_transitions":[]}`, r.URL.Query().Get("rule"))
		case "/abc/v1/urls":
			if r.Header.Get("x-api-key") != "the-key" {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			_, _ = io.WriteString(w, `{"items":[]}`)
		default:
			http.NotFound(w, r)
		}
	}))
}

func serveUntilTerm(addr string, h http.Handler) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() { _ = http.Serve(l, h) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// fakeTerraform records terraform commands and answers output -json.
type fakeTerraform struct {
	mu    sync.Mutex
	calls []proc.Cmd
}

func (f *fakeTerraform) Run(_ context.Context, c proc.Cmd) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	if c.Path == "terraform" && len(c.Args) > 1 && c.Args[1] == "output" {
		_, _ = io.WriteString(c.Stdout, `{"api_id":{"value":"abc"},"stage_name":{"value":"v1"},"api_key":{"value":"the-key"},"crawler_schedule_rule":{"value":"rule-1"}}`)
	}
	return nil
}

// index is the position of c among the recorded commands (-1: not recorded).
func (f *fakeTerraform) index(c proc.Cmd) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.calls {
		if slices.Equal(r.Args, c.Args) && slices.Equal(r.Env, c.Env) {
			return i
		}
	}
	return -1
}

func (f *fakeTerraform) find(dir, sub string) []proc.Cmd {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []proc.Cmd
	for _, c := range f.calls {
		if len(c.Args) > 1 && c.Args[0] == "-chdir="+dir && c.Args[1] == sub {
			out = append(out, c)
		}
	}
	return out
}

// fakeParameters is SSM on the emulator: the parameters the stack wrote.
type fakeParameters struct {
	mu     sync.Mutex
	params map[string]ssm.PutParameterInput
}

func (f *fakeParameters) PutParameter(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.params[aws.ToString(in.Name)] = *in
	return &ssm.PutParameterOutput{Version: 1}, nil
}

func (f *fakeParameters) DeleteParameter(_ context.Context, in *ssm.DeleteParameterInput, _ ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.params[aws.ToString(in.Name)]; !ok {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("not found")}
	}
	delete(f.params, aws.ToString(in.Name))
	return &ssm.DeleteParameterOutput{}, nil
}

func (f *fakeParameters) get(name string) (ssm.PutParameterInput, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.params[name]
	return p, ok
}

type fixture struct {
	st     *stack.Stack
	params *fakeParameters
	tf     *fakeTerraform
	out    *bytes.Buffer
	root   string
	binary string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "terraform", "workload", "envs"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(root, "terraform", "workload", "envs", "local.tfvars"), nil, 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "terraform", "global", "envs"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(root, "terraform", "global", "envs", "local.tfvars"), nil, 0o600))
	// The runtime binary is a copy of the test binary, so a test can make it "newer".
	self, err := os.Executable()
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "platform")
	data, err := os.ReadFile(self)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bin, data, 0o700))

	out := &bytes.Buffer{}
	tf := &fakeTerraform{}
	params := &fakeParameters{params: map[string]ssm.PutParameterInput{}}
	cfg, err := stack.LoadConfig(func(k string) string {
		return map[string]string{"MOTO_PORT": strconv.Itoa(freePort(t)), "LOCALRUN_PORT": strconv.Itoa(freePort(t))}[k]
	})
	require.NoError(t, err)
	st := &stack.Stack{
		Config: cfg, Root: root, TF: "terraform", Go: "go", Runner: tf, Env: os.Environ(), Stdout: out, Stderr: out,
		Build: func(_ context.Context, arch, version string) error {
			for _, fn := range release.Functions {
				p := filepath.Join(root, "build", arch, fn+".zip")
				if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
					return err
				}
				if err := os.WriteFile(p, []byte(fn+" "+version), 0o600); err != nil {
					return err
				}
			}
			return nil
		},
		Runtime: []string{bin, "localrun"},
		LaunchMoto: func(_ context.Context, o moto.Options) (int, error) {
			script := filepath.Join(o.Dir, "moto-serial.py")
			if err := os.MkdirAll(o.Dir, 0o750); err != nil {
				return 0, err
			}
			cmd := exec.Command(self, "fakemoto", script, strconv.Itoa(o.Port))
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := cmd.Start(); err != nil {
				return 0, err
			}
			go func() { _ = cmd.Wait() }()
			return cmd.Process.Pid, nil
		},
		LookPath:   func(string) (string, error) { return "/bin/true", nil },
		Parameters: params,
		Grace:      2 * time.Second,
		Wait:       0.2,
	}
	fx := &fixture{st: st, params: params, tf: tf, out: out, root: root, binary: bin}
	t.Cleanup(func() { _ = st.Down() })
	return fx
}

func pidOf(t *testing.T, root, name string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".local", "pids", name+".pid"))
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return pid
}

func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err != nil || !strings.Contains(string(stat[bytes.LastIndexByte(stat, ')'):]), ") Z")
}

func TestUpStatusCrawlDown(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	st, root := fx.st, fx.root
	ctx := context.Background()
	require.NoError(t, st.Up(ctx), fx.out.String())

	out := fx.out.String()
	assert.Contains(t, out, "up: started moto on "+st.MotoURL()+" (fresh emulator: fresh local bootstrap state)")
	assert.Contains(t, out, "up: started the local runtime on "+st.RuntimeURL())
	apiURL := st.RuntimeURL() + "/abc/v1"
	assert.Contains(t, out, "API_URL="+apiURL+"\nAPI_KEY=the-key\n")

	// The bootstrap: its own TF_DATA_DIR and state file, the emulator's settings, dummy credentials.
	boot := fx.tf.find(filepath.Join(root, "terraform", "bootstrap"), "apply")
	require.Len(t, boot, 1)
	assert.Equal(t, []string{"-input=false", "-auto-approve", "-state=" + filepath.Join(root, ".local", "tf", "bootstrap.tfstate"),
		"-var", "region=us-east-1", "-var", "state_prefix=webhealth-tfstate", "-var", "aws_endpoint_url=" + st.MotoURL()}, boot[0].Args[2:])
	for _, kv := range []string{"TF_DATA_DIR=" + filepath.Join(root, ".local", "tf", "bootstrap"), "AWS_ENDPOINT_URL=" + st.MotoURL(),
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_REGION=us-east-1"} {
		assert.Contains(t, boot[0].Env, kv)
	}
	// The workload: the local release through the release flow (its backend writer and variable list).
	wl := filepath.Join(root, "terraform", "workload")
	apply := fx.tf.find(wl, "apply")
	require.Len(t, apply, 1)
	arch := runtime.GOARCH
	assert.Equal(t, []string{"-chdir=" + wl, "apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=2m",
		"-var-file=envs/local.tfvars", "-var", "environment=local", "-var", "region=us-east-1", "-var", "team=local",
		"-var", "release_version=0.0.0-local", "-var", "artifacts_dir=../../build/" + arch, "-var", "lambda_architecture=" + release.LambdaArchitecture(arch),
		"-var", `global_state={ bucket = "webhealth-tfstate-local", key = "local/local-global/terraform.tfstate", region = "us-east-1", endpoint = "` + st.MotoURL() + `" }`,
		"-var", "aws_endpoint_url=" + st.MotoURL()}, apply[0].Args)
	// Before it, the global stack: terraform/global with the stack's regions, its own TF_DATA_DIR.
	gl := filepath.Join(root, "terraform", "global")
	global := fx.tf.find(gl, "apply")
	require.Len(t, global, 1)
	globalVars := filepath.Join(root, ".local", "tf", "global.tfvars.json")
	assert.Equal(t, []string{"-chdir=" + gl, "apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=2m",
		"-var-file=envs/local.tfvars", "-var-file=" + globalVars, "-var", "environment=local", "-var", "team=local",
		"-var", "release_version=0.0.0-local", "-var", "aws_endpoint_url=" + st.MotoURL()}, global[0].Args)
	assert.Contains(t, global[0].Env, "TF_DATA_DIR="+filepath.Join(root, ".local", "tf", "global"))
	regions, err := os.ReadFile(globalVars)
	require.NoError(t, err)
	assert.JSONEq(t, `{"regions": ["us-east-1"]}`, string(regions))
	assert.Less(t, fx.tf.index(global[0]), fx.tf.index(apply[0]), "the global stack is released before the regional one")
	assert.Contains(t, apply[0].Env, "TF_DATA_DIR="+filepath.Join(root, ".local", "tf", "workload"))
	backend, err := os.ReadFile(filepath.Join(root, ".local", "tf", "workload", "backend.hcl"))
	require.NoError(t, err)
	assert.Contains(t, string(backend), "key    = \"local/local-us-east-1/terraform.tfstate\"\nregion = \"us-east-1\"\ndynamodb_table = \"webhealth-tfstate-lock-local\"\n")
	assert.Contains(t, string(backend), "s3       = \""+st.MotoURL()+"\"")
	emu, _ := filepath.Glob(filepath.Join(root, "build", "emulator-deployed", "*.zip"))
	assert.Len(t, emu, len(release.Functions), "every zip deployed to the emulator is kept")

	// The local CA: the runtime's functions trust it; its key is the owner's only. No webhook channel.
	assert.Contains(t, out, "up: created the local CA "+filepath.Join(root, ".local", "ca", "ca.pem"))
	key, err := os.Stat(filepath.Join(root, ".local", "ca", "ca-key.pem"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), key.Mode().Perm())
	argv, err := os.ReadFile("/proc/" + strconv.Itoa(pidOf(t, root, "localrun")) + "/cmdline")
	require.NoError(t, err)
	assert.Contains(t, string(argv), "\x00-extra-ca\x00"+filepath.Join(root, ".local", "ca", "ca.pem")+"\x00")
	_, stored := fx.params.get(stack.WebhookParameter)
	assert.False(t, stored, "no NOTIFY_WEBHOOK_URL, no parameter")
	assert.NoFileExists(t, filepath.Join(root, ".local", "tf", "notifications.tfvars.json"))

	env, err := os.ReadFile(filepath.Join(root, ".local", "env"))
	require.NoError(t, err)
	assert.Equal(t, "API_URL="+apiURL+"\nAPI_KEY=the-key\nAPI_URL_US_EAST_1="+apiURL+"\nAPI_KEY_US_EAST_1=the-key\nREGIONS=us-east-1\nLOCALRUN_URL="+st.RuntimeURL()+"\nAWS_ENDPOINT_URL="+st.MotoURL()+
		"\nAWS_REGION=us-east-1\nAWS_DEFAULT_REGION=us-east-1\nAWS_ACCESS_KEY_ID=local\nAWS_SECRET_ACCESS_KEY=local\n"+
		"STATE_PREFIX=webhealth-tfstate\nSTATE_REGION=us-east-1\n", string(env))

	motoPid, runtimePid := pidOf(t, root, "moto"), pidOf(t, root, "localrun")

	// Again: nothing is restarted.
	fx.out.Reset()
	require.NoError(t, st.Up(ctx), fx.out.String())
	assert.NotContains(t, fx.out.String(), "started")
	assert.Equal(t, motoPid, pidOf(t, root, "moto"))
	assert.Equal(t, runtimePid, pidOf(t, root, "localrun"))

	fx.out.Reset()
	require.NoError(t, st.Status(ctx))
	assert.Equal(t, fmt.Sprintf("moto:     running (pid %d) on %s\nlocalrun: running (pid %d) on %s\n", motoPid, st.MotoURL(), runtimePid, st.RuntimeURL())+
		`{
  "status": "ok",
  "errors": null,
  "apis": [
    {
      "id": "abc",
      "name": "webhealth",
      "stages": [
        "http://127.0.0.1:2/abc/v1"
      ]
    }
  ],
  "functions": [
    {
      "name": "fn-crawler",
      "version": "3",
      "artifact": "build/amd64/crawler.zip",
      "instances": 1
    },
    {
      "name": "fn-urlapi",
      "version": null,
      "artifact": null,
      "instances": 0
    }
  ],
  "schedules": [
    {
      "name": "rule-1",
      "schedule_expression": "rate(1 minute)",
      "next_fire": "2026-01-01T00:01:00Z"
    }
  ],
  "sqs_mappings": [
    {
      "event_source_arn": "arn:aws:sqs:us-east-1:123456789012:fn-crawler-shards",
      "invokes": "arn:aws:lambda:us-east-1:123456789012:function:fn-crawler-worker:live",
      "state": "Disabled",
      "concurrency": 4,
      "invocations": 3,
      "failed_invocations": 1,
      "error": "function error Sandbox.Timedout"
    }
  ],
  "alarms": [
    "OK  a-availability",
    "ALARM  a-latency"
  ],
  "replicated_tables": [
    {
      "name": "webhealth-local-local-urls",
      "regions": [
        "eu-west-1",
        "us-east-1"
      ],
      "created": [
        "eu-west-1"
      ],
      "replicated_writes": 2
    }
  ]
}
`, fx.out.String())

	fx.out.Reset()
	require.NoError(t, st.Crawl(ctx))
	assert.Equal(t, "{\n  \"results\": [\n    {\n      \"rule\": \"rule-1\"\n    }\n  ],\n  \"alarm_transitions\": []\n}\n", fx.out.String())

	fx.out.Reset()
	require.NoError(t, st.Down())
	assert.Equal(t, fmt.Sprintf("stopped the local runtime (pid %d)\nstopped moto (pid %d)\ndown: the local stack is stopped (state of the next stack up starts fresh)\n", runtimePid, motoPid), fx.out.String())
	assert.Eventually(t, func() bool { return !alive(motoPid) && !alive(runtimePid) }, 5*time.Second, 50*time.Millisecond)
	assert.NoFileExists(t, filepath.Join(root, ".local", "pids", "moto.pid"))

	fx.out.Reset()
	require.NoError(t, st.Status(ctx))
	assert.Equal(t, "moto:     not running\nlocalrun: not running\n", fx.out.String())
	err = st.Crawl(ctx)
	assert.ErrorContains(t, err, "is the local stack up? (platform stack up)")
}

// make up NOTIFY_WEBHOOK_URL=<url>: the URL goes to moto as the SSM SecureString the local release's one json
// webhook channel names (never to the terminal or a Terraform variable), .local/env records it; up without it
// removes the channel and the parameter.
func TestUpWithNotifyWebhook(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	ctx := context.Background()
	const hook = "http://127.0.0.1:4568/notify?token=s3cr3t&x=1"
	fx.st.NotifyWebhookURL = hook
	require.NoError(t, fx.st.Up(ctx), fx.out.String())

	p, ok := fx.params.get(stack.WebhookParameter)
	require.True(t, ok, "the parameter is stored")
	assert.Equal(t, "/webhealth/local/notify-webhook", aws.ToString(p.Name))
	assert.Equal(t, ssmtypes.ParameterTypeSecureString, p.Type)
	assert.Equal(t, hook, aws.ToString(p.Value))
	assert.True(t, aws.ToBool(p.Overwrite))
	assert.NotContains(t, fx.out.String(), "s3cr3t", "the value is never printed")
	assert.Contains(t, fx.out.String(), `one json webhook channel "local"`)

	varFile := filepath.Join(fx.root, ".local", "tf", "notifications.tfvars.json")
	b, err := os.ReadFile(varFile)
	require.NoError(t, err)
	assert.JSONEq(t, `{"notifications": {"webhooks": [{"name": "local", "format": "json", "ssm_parameter": "/webhealth/local/notify-webhook"}]}}`, string(b))
	assert.NotContains(t, string(b), "s3cr3t")
	wl := filepath.Join(fx.root, "terraform", "workload")
	apply := fx.tf.find(wl, "apply")
	require.Len(t, apply, 1)
	assert.Equal(t, []string{"-var-file=envs/local.tfvars", "-var-file=" + varFile, "-var", "environment=local"}, apply[0].Args[6:10],
		"the release flow's one variable list: the environment's file, the local notifications, then the tag's parts")
	for _, a := range apply[0].Args {
		assert.NotContains(t, a, "s3cr3t", "no secret in Terraform's arguments")
	}
	env, err := os.ReadFile(filepath.Join(fx.root, ".local", "env"))
	require.NoError(t, err)
	assert.Contains(t, string(env), "\nNOTIFY_WEBHOOK_URL='"+hook+"'\n")
	sourced, err := exec.Command("sh", "-c", `set -a; . "$1"; printf %s "$NOTIFY_WEBHOOK_URL"`, "sh", filepath.Join(fx.root, ".local", "env")).Output()
	require.NoError(t, err)
	assert.Equal(t, hook, string(sourced), "a shell sourcing .local/env reads the URL as it is")

	fx.st.NotifyWebhookURL = ""
	fx.out.Reset()
	require.NoError(t, fx.st.Up(ctx), fx.out.String())
	_, ok = fx.params.get(stack.WebhookParameter)
	assert.False(t, ok, "the parameter is removed")
	assert.NoFileExists(t, varFile)
	apply = fx.tf.find(wl, "apply")
	require.Len(t, apply, 2)
	assert.Equal(t, "-var", apply[1].Args[7], "no notifications var file")
	env, err = os.ReadFile(filepath.Join(fx.root, ".local", "env"))
	require.NoError(t, err)
	assert.NotContains(t, string(env), "NOTIFY_WEBHOOK_URL")
}

// A newer runtime binary, or other settings, restart the local runtime; moto stays.
func TestUpRestartsAChangedRuntime(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	ctx := context.Background()
	require.NoError(t, fx.st.Up(ctx), fx.out.String())
	motoPid, first := pidOf(t, fx.root, "moto"), pidOf(t, fx.root, "localrun")

	future := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(fx.binary, future, future))
	fx.out.Reset()
	require.NoError(t, fx.st.Up(ctx), fx.out.String())
	assert.Contains(t, fx.out.String(), fmt.Sprintf("up: stopped the local runtime (pid %d): its binary or settings changed", first))
	second := pidOf(t, fx.root, "localrun")
	assert.NotEqual(t, first, second)
	assert.False(t, alive(first))
	assert.Equal(t, motoPid, pidOf(t, fx.root, "moto"))
	assert.NotContains(t, fx.out.String(), "started moto")

	fx.st.LocalrunPort = freePort(t)
	fx.out.Reset()
	require.NoError(t, fx.st.Up(ctx), fx.out.String())
	assert.Contains(t, fx.out.String(), "its binary or settings changed")
	assert.NotEqual(t, second, pidOf(t, fx.root, "localrun"))
}

func TestUpNamesABusyPort(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	fx.st.MotoPort = l.Addr().(*net.TCPAddr).Port
	err = fx.st.Up(context.Background())
	require.Error(t, err)
	assert.Equal(t, fmt.Sprintf("port %d is busy (MOTO_PORT): stop what listens there or set MOTO_PORT=<free port>", fx.st.MotoPort), err.Error())
	assert.Empty(t, fx.tf.calls, "nothing ran")
}

func TestUpNamesMissingPrerequisites(t *testing.T) {
	t.Parallel()
	for _, missing := range []string{"terraform", "moto_server", "python3", "go"} {
		t.Run(missing, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t)
			fx.st.LookPath = func(name string) (string, error) {
				if name == missing {
					return "", fmt.Errorf("%s: not found", name)
				}
				return "/bin/true", nil
			}
			err := fx.st.Up(context.Background())
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), missing+" is not installed: "), err.Error())
			assert.NoDirExists(t, filepath.Join(fx.root, ".local", "pids"))
		})
	}
}

// Down stops only what is still ours: a recorded pid now used by another program is left alone.
func TestDownLeavesOthersAlone(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	other := exec.Command("sleep", "30")
	require.NoError(t, other.Start())
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
	pids := filepath.Join(fx.root, ".local", "pids")
	require.NoError(t, os.MkdirAll(pids, 0o750))
	for _, f := range []string{"moto.pid", "localrun.pid"} {
		require.NoError(t, os.WriteFile(filepath.Join(pids, f), []byte(strconv.Itoa(other.Process.Pid)+"\n"), 0o600))
	}
	require.NoError(t, fx.st.Down())
	assert.Equal(t, "down: the local stack is stopped (state of the next stack up starts fresh)\n", fx.out.String())
	assert.True(t, alive(other.Process.Pid), "not ours: not stopped")
	assert.NoFileExists(t, filepath.Join(pids, "moto.pid"), "the stale pid is forgotten")
}

// A failing step shows the end of its log and names it.
func TestUpShowsTheFailingLog(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	fx.st.Runner = proc.RunFunc(func(_ context.Context, c proc.Cmd) error {
		if strings.HasSuffix(c.Args[0], "bootstrap") && c.Args[1] == "apply" {
			_, _ = io.WriteString(c.Stderr, "Error: creating S3 bucket: boom\n")
			return proc.Exited(c, 1)
		}
		return nil
	})
	err := fx.st.Up(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bootstrap: terraform -chdir="+filepath.Join(fx.root, "terraform", "bootstrap")+" apply -input=false")
	assert.Contains(t, err.Error(), " exited with status 1 (log: "+filepath.Join(fx.root, ".local", "logs", "bootstrap.log")+")")
	assert.Contains(t, fx.out.String(), "Error: creating S3 bucket: boom\n")
}

func TestLogs(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	err := fx.st.Logs(context.Background())
	assert.ErrorContains(t, err, "nothing in "+filepath.Join(fx.root, ".local", "logs")+": run platform stack up")

	logs := filepath.Join(fx.root, ".local", "logs")
	require.NoError(t, os.MkdirAll(logs, 0o750))
	for _, f := range []string{"moto.log", "crawler.log"} {
		require.NoError(t, os.WriteFile(filepath.Join(logs, f), nil, 0o600))
	}
	var got proc.Cmd
	fx.st.Runner = proc.RunFunc(func(_ context.Context, c proc.Cmd) error { got = c; return nil })
	require.NoError(t, fx.st.Logs(context.Background()))
	assert.Equal(t, "tail", got.Path)
	assert.Equal(t, []string{"-n", "30", "-F", filepath.Join(logs, "crawler.log"), filepath.Join(logs, "moto.log")}, got.Args)

	// Interrupted is the way out of following; a tail that fails on its own is an error.
	ctx, cancel := context.WithCancel(context.Background())
	fx.st.Runner = proc.RunFunc(func(_ context.Context, c proc.Cmd) error {
		cancel()
		return &proc.ExitError{Cmd: c.String(), Code: 130, Stopped: ctx.Err()}
	})
	require.NoError(t, fx.st.Logs(ctx))
	fx.st.Runner = proc.RunFunc(func(_ context.Context, c proc.Cmd) error { return proc.Exited(c, 1) })
	assert.ErrorContains(t, fx.st.Logs(context.Background()), "tail -n 30 -F "+filepath.Join(logs, "crawler.log"))
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	cfg, err := stack.LoadConfig(func(string) string { return "" })
	require.NoError(t, err)
	assert.Equal(t, stack.Config{MotoPort: 4566, LocalrunPort: 4567, Region: "us-east-1", Regions: []string{"us-east-1"}, Team: "local", Version: "0.0.0-local", StatePrefix: "webhealth-tfstate"}, cfg)
	assert.Equal(t, "local_us-east-1/local/0.0.0-local", cfg.Tag())
	assert.Equal(t, "local_global/local/0.0.0-local", cfg.GlobalTag())

	// REGIONS: the home region first; LOCAL_REGION alone is one region.
	cfg, err = stack.LoadConfig(func(k string) string { return map[string]string{"REGIONS": "us-east-1,eu-west-1"}[k] })
	require.NoError(t, err)
	assert.Equal(t, []string{"us-east-1", "eu-west-1"}, cfg.Regions)
	assert.Equal(t, "us-east-1", cfg.Region)
	assert.Equal(t, "local_eu-west-1/local/0.0.0-local", cfg.TagOf("eu-west-1"))
	cfg, err = stack.LoadConfig(func(k string) string {
		return map[string]string{"LOCAL_REGION": "eu-west-1", "REGIONS": "eu-west-1,ap-south-1"}[k]
	})
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", cfg.Region)
	cfg, err = stack.LoadConfig(func(k string) string { return map[string]string{"LOCAL_REGION": "eu-west-1"}[k] })
	require.NoError(t, err)
	assert.Equal(t, []string{"eu-west-1"}, cfg.Regions)
	for value, want := range map[string]string{
		"us-east-1,eu-west-1,us-east-1": "named twice",
		"us-east-1 eu-west-1":           "comma-separated region names",
		"us-east-1,$(id)":               "comma-separated region names",
		"us-east-1;touch /tmp/x":        "comma-separated region names",
		"US-EAST-1":                     "lower case",
		",eu-west-1":                    "comma-separated region names",
	} {
		_, err = stack.LoadConfig(func(k string) string { return map[string]string{"REGIONS": value}[k] })
		assert.ErrorContains(t, err, want, "REGIONS=%q", value)
		assert.ErrorContains(t, err, "REGIONS", "REGIONS=%q", value)
	}
	_, err = stack.LoadConfig(func(k string) string {
		return map[string]string{"LOCAL_REGION": "us-east-1", "REGIONS": "eu-west-1,us-east-1"}[k]
	})
	assert.ErrorContains(t, err, "the first of REGIONS is the home region")
	assert.Equal(t, "API_URL_EU_WEST_1", "API_URL_"+stack.EnvName("eu-west-1"))

	_, err = stack.LoadConfig(func(k string) string {
		return map[string]string{"MOTO_PORT": "99999", "LOCALRUN_PORT": "x", "LOCAL_REGION": "Mars", "LOCAL_TEAM": "Local",
			"LOCAL_VERSION": "v1.0.0", "STATE_PREFIX": "$(id)"}[k]
	})
	require.Error(t, err)
	for _, want := range []string{`MOTO_PORT="99999": must be a port number`, `LOCALRUN_PORT="x"`, `LOCAL_REGION: region "Mars"`,
		`LOCAL_TEAM: team "Local" must be lower case`, `LOCAL_VERSION: version "v1.0.0" has a leading v`, `STATE_PREFIX: state prefix "$(id)"`} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = stack.LoadConfig(func(k string) string { return map[string]string{"MOTO_PORT": "4567"}[k] })
	assert.ErrorContains(t, err, "MOTO_PORT and LOCALRUN_PORT are both 4567")
}

func TestLoadConfigNotifyWebhookURL(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"http://127.0.0.1:4568/notify", "https://hooks.slack.com/services/T000/B000/XXXX", "http://[::1]:8080/",
		"https://example.com/hook?token=a%2Fb&x=1#frag", "http://localhost/"} {
		t.Run("accepted "+ok, func(t *testing.T) {
			t.Parallel()
			cfg, err := stack.LoadConfig(func(k string) string { return map[string]string{"NOTIFY_WEBHOOK_URL": ok}[k] })
			require.NoError(t, err)
			assert.Equal(t, ok, cfg.NotifyWebhookURL)
		})
	}
	for bad, want := range map[string]string{
		"ftp://127.0.0.1/x":                             "must start with http:// or https://",
		"example.com/hook":                              "must start with http:// or https://",
		"127.0.0.1:9/hook":                              "is not a URL",
		"http:///path":                                  "has no host",
		"http://user:pw@127.0.0.1/":                     "holds credentials",
		"http://127.0.0.1:99999/":                       `has port "99999"`,
		"http://127.0.0.1/$(id)":                        "has a character at byte 17",
		"http://127.0.0.1/`id`":                         "has a character at byte 17",
		"http://127.0.0.1/a b":                          "has a character at byte 18",
		"http://127.0.0.1/'x":                           "has a character at byte 17",
		"http://127.0.0.1/x;id":                         "has a character at byte 18",
		"http://127.0.0.1/\nid":                         "has a character at byte 17",
		"http://127.0.0.1/" + strings.Repeat("a", 2048): "bytes long, at most 2048",
	} {
		t.Run("refused "+strings.ReplaceAll(bad, "\n", `\n`), func(t *testing.T) {
			t.Parallel()
			_, err := stack.LoadConfig(func(k string) string { return map[string]string{"NOTIFY_WEBHOOK_URL": bad}[k] })
			require.Error(t, err)
			assert.Contains(t, err.Error(), "NOTIFY_WEBHOOK_URL (the value is a secret and not shown)")
			assert.Contains(t, err.Error(), want)
			assert.Contains(t, err.Error(), "e.g. http://127.0.0.1:4568/notify")
			assert.NotContains(t, err.Error(), bad[7:], "the value is not repeated")
		})
	}
}

func TestHealthSummaryRefusesGarbage(t *testing.T) {
	t.Parallel()
	_, err := stack.HealthSummary([]byte("<html>"))
	assert.ErrorContains(t, err, "read the local runtime's health")
	out, err := stack.HealthSummary([]byte(`{}`))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(out, &m))
	assert.Equal(t, map[string]any{"status": nil, "errors": nil, "apis": []any{}, "functions": []any{}, "schedules": []any{}, "sqs_mappings": []any{}, "alarms": []any{}, "replicated_tables": []any{}}, m)
}

// make up REGIONS=us-east-1,eu-west-1: one local runtime serving both regions, the global stack with both,
// then one regional stack per region (the home region first, each with its own TF_DATA_DIR and state key,
// the state in the home region's buckets), API_URL_<REGION> per region in .local/env, make crawl firing
// every region's crawler.
func TestUpTwoRegions(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	st, root := fx.st, fx.root
	st.Regions = []string{"us-east-1", "eu-west-1"}
	ctx := context.Background()
	require.NoError(t, st.Up(ctx), fx.out.String())

	argv, err := os.ReadFile("/proc/" + strconv.Itoa(pidOf(t, root, "localrun")) + "/cmdline")
	require.NoError(t, err)
	assert.Contains(t, string(argv), "\x00-regions\x00us-east-1,eu-west-1\x00")
	regions, err := os.ReadFile(filepath.Join(root, ".local", "tf", "global.tfvars.json"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"regions": ["us-east-1", "eu-west-1"]}`, string(regions))

	applies := fx.tf.find(filepath.Join(root, "terraform", "workload"), "apply")
	require.Len(t, applies, 2)
	for i, want := range []struct{ region, dataDir, key string }{
		{"us-east-1", "workload", "local/local-us-east-1/terraform.tfstate"},
		{"eu-west-1", "workload-eu-west-1", "local/local-eu-west-1/terraform.tfstate"},
	} {
		assert.Contains(t, applies[i].Args, "region="+want.region)
		assert.Contains(t, applies[i].Args, `global_state={ bucket = "webhealth-tfstate-local", key = "local/local-global/terraform.tfstate", region = "us-east-1", endpoint = "`+st.MotoURL()+`" }`)
		assert.Contains(t, applies[i].Env, "TF_DATA_DIR="+filepath.Join(root, ".local", "tf", want.dataDir))
		backend, err := os.ReadFile(filepath.Join(root, ".local", "tf", want.dataDir, "backend.hcl"))
		require.NoError(t, err)
		assert.Contains(t, string(backend), "key    = \""+want.key+"\"\nregion = \"us-east-1\"\n", "the state in the home region's bucket")
	}
	global := fx.tf.find(filepath.Join(root, "terraform", "global"), "apply")
	require.Len(t, global, 1)
	assert.Less(t, fx.tf.index(global[0]), fx.tf.index(applies[0]))
	assert.FileExists(t, filepath.Join(root, ".local", "logs", "apply-eu-west-1.log"))

	env, err := os.ReadFile(filepath.Join(root, ".local", "env"))
	require.NoError(t, err)
	apiURL := st.RuntimeURL() + "/abc/v1"
	for _, line := range []string{"API_URL=" + apiURL, "API_KEY=the-key", "API_URL_US_EAST_1=" + apiURL, "API_URL_EU_WEST_1=" + apiURL,
		"API_KEY_EU_WEST_1=the-key", "REGIONS=us-east-1,eu-west-1", "AWS_REGION=us-east-1", "STATE_REGION=us-east-1"} {
		assert.Contains(t, strings.Split(string(env), "\n"), line)
	}
	assert.Contains(t, fx.out.String(), "API_URL_EU_WEST_1="+apiURL+"\n")

	// make crawl without REGIONS still fires every region the stack was brought up with.
	crawl := *st
	crawl.Regions = []string{"us-east-1"}
	fx.out.Reset()
	require.NoError(t, crawl.Crawl(ctx))
	assert.Contains(t, fx.out.String(), `"rule": "rule-1"`, "the regions' rules, each once")
	outputs := 0
	for _, c := range fx.tf.calls {
		if len(c.Args) > 1 && c.Args[1] == "output" && slices.Contains(c.Env, "TF_DATA_DIR="+filepath.Join(root, ".local", "tf", "workload-eu-west-1")) {
			outputs++
		}
	}
	assert.Positive(t, outputs, "the other region's outputs are read for its crawler rule")
}
