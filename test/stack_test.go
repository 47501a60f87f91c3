//go:build e2e

package test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/terraform"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/test/internal/localenv"
)

// The suite runs against one deployment, the "stack", found once per test binary:
//
//   - E2E_WORKLOAD_DIR set (a terraform/workload root initialised for a deployment, with its TF_DATA_DIR in
//     the environment): API_URL, API_KEY and the other outputs come from `terraform output` there
//     (API_URL/API_KEY from the environment win). Used against AWS, e.g. in the pipeline's test stage.
//   - else API_URL and API_KEY set in the environment: that API, with LOCALRUN_URL and AWS_ENDPOINT_URL
//     from the environment when it is the local stack. Without E2E_WORKLOAD_DIR the outputs (tables,
//     function names...) are read from the local stack's workload state when LOCALRUN_URL is set, else the
//     checks that need them skip saying so.
//   - else the local stack of `make up`: <repo>/.local/env, and the outputs of terraform/workload with the
//     local stack's TF_DATA_DIR (<repo>/.local/tf/workload).
//
// A stack with LOCALRUN_URL is local: the crawler is fired through the local runtime's control endpoint and
// probe targets are test servers on 127.0.0.1. Otherwise it is AWS: the crawler is fired with lambda:Invoke
// and probe targets are public URLs (E2E_PUBLIC_URL).

// workloadOutputs are the terraform/workload outputs the suite uses (docs/design.md, "Terraform outputs").
type workloadOutputs struct {
	APIURL          string
	APIKey          string
	APIID           string
	StageName       string
	URLsTable       string
	AlarmsTable     string
	AlarmPrefix     string
	MetricNamespace string
	CrawlerRule     string
	FunctionNames   map[string]string
	// OpsAlarms are the stack's operational alarms by purpose (the ops_alarms output; nil when the
	// deployment predates it).
	OpsAlarms map[string]string
	// ShardQueueURL and ShardDLQURL are the crawler fan-out's queues (empty without fan-out or when
	// the deployment predates it).
	ShardQueueURL, ShardDLQURL string
}

// stack is the deployment under test.
type stack struct {
	repoRoot string
	api      apiClient
	// localRunURL is the local runtime's base URL; empty on AWS.
	localRunURL string
	// endpoint is the AWS endpoint of the emulator; empty on AWS.
	endpoint string
	region   string
	awsCfg   aws.Config
	// out holds the workload outputs; outErr says why they are unknown.
	out    workloadOutputs
	outErr error
	// source says where the settings came from (logged once per test).
	source string
	// notifyURL is the local stack's json webhook (NOTIFY_WEBHOOK_URL of .local/env); empty: none.
	notifyURL string
	// regions are the environment's regions, the home region first (REGIONS; one region, the stack's own,
	// when unset), and regionAPIs each region's API (API_URL_<REGION>/API_KEY_<REGION>, e.g. API_URL_EU_WEST_1;
	// the home region's is api).
	regions    []string
	regionAPIs map[string]apiClient
}

// regionEnvName is a region's suffix in .local/env: API_URL_<REGION> (eu-west-1 -> EU_WEST_1).
func regionEnvName(region string) string {
	return strings.ToUpper(strings.ReplaceAll(region, "-", "_"))
}

// requireRegions skips a test that needs an environment of at least n regions, saying how to get one.
func (s *stack) requireRegions(t *testing.T, n int) []string {
	t.Helper()
	if len(s.regions) < n {
		t.Skipf("needs %d regions, the stack has %v: make up REGIONS=us-east-1,eu-west-1 (or set REGIONS and API_URL_<REGION>/API_KEY_<REGION>)", n, s.regions)
	}
	return s.regions
}

// regionAPI is the API of one region of the environment.
func (s *stack) regionAPI(t *testing.T, region string) apiClient {
	t.Helper()
	c, ok := s.regionAPIs[region]
	require.True(t, ok, "no API_URL_%s/API_KEY_%s for region %s (regions %v)", regionEnvName(region), regionEnvName(region), region, s.regions)
	return c
}

func (s *stack) local() bool { return s.localRunURL != "" }

var loadStackOnce = sync.OnceValues(discoverStack)

// testStack returns the stack under test; the test fails with what to set when none is configured.
func testStack(t *testing.T) *stack {
	t.Helper()
	s, err := loadStackOnce()
	require.NoError(t, err, "no deployment to test: run make up (the local stack), or set API_URL and API_KEY, or E2E_WORKLOAD_DIR")
	t.Logf("stack: %s (%s)", s.api.baseURL, s.source)
	return s
}

// outputs returns the workload outputs, or skips the test saying why they are unknown (only possible
// against an API given by API_URL/API_KEY alone).
func (s *stack) outputs(t *testing.T) workloadOutputs {
	t.Helper()
	if s.outErr != nil {
		if s.local() {
			t.Fatalf("the local stack's workload outputs are unreadable: %v", s.outErr)
		}
		t.Skipf("needs the workload's terraform outputs (set E2E_WORKLOAD_DIR to the initialised terraform/workload root): %v", s.outErr)
	}
	return s.out
}

// requireLocal skips a test that needs something only the local stack has, saying what and why.
func (s *stack) requireLocal(t *testing.T, why string) {
	t.Helper()
	if !s.local() {
		t.Skipf("local stack only: %s", why)
	}
}

func discoverStack() (*stack, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	s := &stack{repoRoot: root}
	env := os.Getenv
	workloadDir := os.Getenv("E2E_WORKLOAD_DIR")
	var tfEnv map[string]string

	switch {
	case workloadDir != "":
		s.source = "E2E_WORKLOAD_DIR=" + workloadDir
	case os.Getenv("API_URL") != "":
		s.source = "API_URL from the environment"
	default:
		file := filepath.Join(root, ".local", "env")
		vals, err := localenv.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("API_URL is not set and the local stack's settings are unreadable (make up writes them): %w", err)
		}
		env = func(k string) string { return vals[k] }
		s.source = file
	}
	s.localRunURL = strings.TrimRight(env("LOCALRUN_URL"), "/")
	s.notifyURL = env("NOTIFY_WEBHOOK_URL")
	s.endpoint = env("AWS_ENDPOINT_URL")
	s.region = firstNonEmpty(env("AWS_REGION"), env("AWS_DEFAULT_REGION"))

	if s.local() {
		if workloadDir == "" {
			workloadDir = filepath.Join(root, "terraform", "workload")
			tfEnv = map[string]string{"TF_DATA_DIR": firstNonEmpty(os.Getenv("E2E_TF_DATA_DIR"), filepath.Join(root, ".local", "tf", "workload"))}
		}
		if s.endpoint == "" {
			return nil, errors.New("LOCALRUN_URL is set but AWS_ENDPOINT_URL (the emulator) is not")
		}
		if s.region == "" {
			s.region = "us-east-1"
		}
		// The emulator takes any credentials; never the developer's own.
		tfEnv = mergeEnv(tfEnv, map[string]string{
			"AWS_ACCESS_KEY_ID":     firstNonEmpty(env("AWS_ACCESS_KEY_ID"), "local"),
			"AWS_SECRET_ACCESS_KEY": firstNonEmpty(env("AWS_SECRET_ACCESS_KEY"), "local"),
			"AWS_REGION":            s.region,
			"AWS_PROFILE":           "",
		})
	}
	if workloadDir != "" {
		s.out, s.outErr = readOutputs(workloadDir, mergeEnv(tfEnv, terraformCLIEnv(root)))
	} else {
		s.outErr = errors.New("E2E_WORKLOAD_DIR is not set")
	}

	apiURL, apiKey := env("API_URL"), env("API_KEY")
	if apiURL == "" && s.outErr == nil {
		apiURL = s.out.APIURL
		if s.local() {
			apiURL = fmt.Sprintf("%s/%s/%s", s.localRunURL, s.out.APIID, s.out.StageName)
		}
	}
	if apiKey == "" && s.outErr == nil {
		apiKey = s.out.APIKey
	}
	if apiURL == "" || apiKey == "" {
		return nil, fmt.Errorf("no API_URL/API_KEY (%s); outputs: %v", s.source, s.outErr)
	}
	if s.api, err = newAPIClient(apiURL, apiKey); err != nil {
		return nil, err
	}
	if s.region == "" {
		s.region = regionFromAPIURL(apiURL)
	}
	s.regions, s.regionAPIs = []string{s.region}, map[string]apiClient{s.region: s.api}
	if list := env("REGIONS"); list != "" {
		s.regions = strings.Split(list, ",")
		for _, region := range s.regions {
			u, k := env("API_URL_"+regionEnvName(region)), env("API_KEY_"+regionEnvName(region))
			if u == "" || k == "" {
				continue
			}
			if s.regionAPIs[region], err = newAPIClient(u, k); err != nil {
				return nil, fmt.Errorf("API_URL_%s: %w", regionEnvName(region), err)
			}
		}
	}

	ctx := context.Background()
	opts := []func(*config.LoadOptions) error{config.WithRegion(s.region)}
	if s.local() {
		opts = append(opts, config.WithBaseEndpoint(s.endpoint),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(
				firstNonEmpty(env("AWS_ACCESS_KEY_ID"), "local"), firstNonEmpty(env("AWS_SECRET_ACCESS_KEY"), "local"), "")))
	}
	if s.awsCfg, err = config.LoadDefaultConfig(ctx, opts...); err != nil {
		return nil, fmt.Errorf("load the AWS SDK configuration: %w", err)
	}
	return s, nil
}

// readOutputs reads the workload outputs with `terraform output -json`. The output holds the API key:
// terratest's logging of the command output is discarded.
func readOutputs(dir string, env map[string]string) (workloadOutputs, error) {
	opts := &terraform.Options{TerraformDir: dir, EnvVars: env, NoColor: true, Logger: logger.Discard}
	raw, err := terraform.OutputJsonE(silentT{}, opts, "")
	if err != nil {
		return workloadOutputs{}, fmt.Errorf("terraform output in %s: %w", dir, err)
	}
	var all map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(raw), &all); err != nil {
		return workloadOutputs{}, fmt.Errorf("decode terraform outputs of %s: %w", dir, err)
	}
	if len(all) == 0 {
		return workloadOutputs{}, fmt.Errorf("terraform/workload in %s has no outputs: is it applied?", dir)
	}
	var o workloadOutputs
	for name, dst := range map[string]any{
		"api_url": &o.APIURL, "api_key": &o.APIKey, "api_id": &o.APIID, "stage_name": &o.StageName,
		"urls_table": &o.URLsTable, "alarms_table": &o.AlarmsTable, "alarm_prefix": &o.AlarmPrefix,
		"metric_namespace": &o.MetricNamespace, "crawler_schedule_rule": &o.CrawlerRule, "function_names": &o.FunctionNames,
	} {
		v, ok := all[name]
		if !ok {
			return workloadOutputs{}, fmt.Errorf("terraform/workload in %s has no output %q", dir, name)
		}
		if err := json.Unmarshal(v.Value, dst); err != nil {
			return workloadOutputs{}, fmt.Errorf("output %s of %s: %w", name, dir, err)
		}
	}
	for name, dst := range map[string]*string{"crawler_shard_queue_url": &o.ShardQueueURL, "crawler_shard_dlq_url": &o.ShardDLQURL} {
		if v, ok := all[name]; ok && string(v.Value) != "null" {
			if err := json.Unmarshal(v.Value, dst); err != nil {
				return workloadOutputs{}, fmt.Errorf("output %s of %s: %w", name, dir, err)
			}
		}
	}
	if v, ok := all["ops_alarms"]; ok {
		if err := json.Unmarshal(v.Value, &o.OpsAlarms); err != nil {
			return workloadOutputs{}, fmt.Errorf("output ops_alarms of %s: %w", dir, err)
		}
	}
	return o, nil
}

// terraformCLIEnv points terraform at the project's CLI configuration (make tf-cli-config writes it: a
// provider mirror when the machine has one) unless the caller chose one that exists.
func terraformCLIEnv(root string) map[string]string {
	env := map[string]string{"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
	if f := os.Getenv("TF_CLI_CONFIG_FILE"); f == "" || !fileExists(f) {
		if f := filepath.Join(root, ".tf", "cli.tfrc"); fileExists(f) {
			env["TF_CLI_CONFIG_FILE"] = f
		}
	}
	if os.Getenv("TF_PLUGIN_CACHE_DIR") == "" {
		if d := filepath.Join(root, ".tf", "plugin-cache"); fileExists(d) {
			env["TF_PLUGIN_CACHE_DIR"] = d
		}
	}
	return env
}

// repoRoot is the repository root above the working directory.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	return localenv.RepoRoot(wd)
}

// regionFromAPIURL takes the region out of an execute-api invoke URL (https://id.execute-api.<region>.amazonaws.com/stage).
func regionFromAPIURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	parts := strings.Split(u.Hostname(), ".")
	for i, p := range parts {
		if p == "execute-api" && i+1 < len(parts) {
			return parts[i+1]
		}
	}
	return ""
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func mergeEnv(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// silentT satisfies terratest's testing.TestingT outside a test (stack discovery runs once, for all
// tests): failures are returned as errors by the E functions, never reported through it.
type silentT struct{}

func (silentT) Fail()                 {}
func (silentT) FailNow()              {}
func (silentT) Fatal(...any)          {}
func (silentT) Fatalf(string, ...any) {}
func (silentT) Error(...any)          {}
func (silentT) Errorf(string, ...any) {}
func (silentT) Name() string          { return "e2e-stack-discovery" }
