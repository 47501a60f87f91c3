package lambdarun

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/webhealth/webhealth/platform/localrun/internal/ids"
)

// FunctionConfig is one deployed function version as moto reports it.
type FunctionConfig struct {
	Name        string
	Version     string // "$LATEST" or a published version number
	FunctionARN string // unqualified
	CodeSha256  string
	Handler     string
	Timeout     time.Duration
	MemoryMB    int32
	Env         map[string]string
	// Logging configuration (Lambda's LoggingConfig); moto 5.2 does not keep it, so it is usually
	// the default (Text, group /aws/lambda/<name>).
	LogFormat      string
	AppLogLevel    string
	SystemLogLevel string
	LogGroup       string
	// ReservedConcurrency caps the instances (nil: unreserved).
	ReservedConcurrency *int32
}

// configFromAPI converts a GetFunction configuration.
func configFromAPI(c *types.FunctionConfiguration, reserved *int32) FunctionConfig {
	fc := FunctionConfig{
		Name:                aws.ToString(c.FunctionName),
		Version:             aws.ToString(c.Version),
		FunctionARN:         unqualified(aws.ToString(c.FunctionArn)),
		CodeSha256:          aws.ToString(c.CodeSha256),
		Handler:             aws.ToString(c.Handler),
		Timeout:             time.Duration(aws.ToInt32(c.Timeout)) * time.Second,
		MemoryMB:            aws.ToInt32(c.MemorySize),
		Env:                 map[string]string{},
		LogFormat:           "Text",
		LogGroup:            "/aws/lambda/" + aws.ToString(c.FunctionName),
		ReservedConcurrency: reserved,
	}
	if fc.Version == "" {
		fc.Version = "$LATEST"
	}
	if fc.Timeout <= 0 {
		fc.Timeout = 3 * time.Second
	}
	if fc.MemoryMB <= 0 {
		fc.MemoryMB = 128
	}
	if c.Environment != nil {
		maps.Copy(fc.Env, c.Environment.Variables)
	}
	if lc := c.LoggingConfig; lc != nil {
		if lc.LogFormat != "" {
			fc.LogFormat = string(lc.LogFormat)
		}
		fc.AppLogLevel = string(lc.ApplicationLogLevel)
		fc.SystemLogLevel = string(lc.SystemLogLevel)
		if g := aws.ToString(lc.LogGroup); g != "" {
			fc.LogGroup = g
		}
	}
	return fc
}

// fingerprint identifies everything that requires new processes when it changes.
func (fc FunctionConfig) fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d\x00%d\x00%s\x00%s\x00%s\x00%s\x00",
		fc.Name, fc.Version, fc.CodeSha256, fc.Handler, fc.Timeout, fc.MemoryMB,
		fc.LogFormat, fc.AppLogLevel, fc.SystemLogLevel, fc.LogGroup)
	for _, k := range slices.Sorted(maps.Keys(fc.Env)) {
		fmt.Fprintf(h, "%s=%s\x00", k, fc.Env[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// reservedEnv are the variables Lambda defines itself; a function's configuration cannot set them.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_LAMBDA_LOG_GROUP_NAME": true,
	"AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_LAMBDA_RUNTIME_API": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// envInput is what an instance's environment is built from.
type envInput struct {
	fn         FunctionConfig
	runtimeAPI string // host:port of this instance's Runtime API
	taskRoot   string
	logStream  string
	region     string
	endpoint   string // AWS_ENDPOINT_URL: the emulator
	path       string // PATH of the host, so a bootstrap can find what it execs
	certFile   string // SSL_CERT_FILE: the local stack's CA bundle, if any
}

// buildEnv returns the process environment Lambda would give the function: its configured
// variables, then the variables Lambda defines (which win), then local-emulator additions that
// the configuration may override (AWS_ENDPOINT_URL, GOMEMLIMIT, SSL_CERT_FILE).
func buildEnv(in envInput) []string {
	env := map[string]string{
		"AWS_ENDPOINT_URL": in.endpoint,
		// Go's soft memory limit, a little under the function's memory, so the GC works
		// harder before the runtime kills the process for exceeding MemorySize.
		"GOMEMLIMIT":    strconv.Itoa(int(in.fn.MemoryMB)*9/10) + "MiB",
		"LANG":          "en_US.UTF-8",
		"PATH":          in.path,
		"SSL_CERT_FILE": in.certFile,
	}
	for k, v := range in.fn.Env {
		if !reservedEnv[k] {
			env[k] = v
		}
	}
	lambdaEnv := map[string]string{
		"_HANDLER":                        in.fn.Handler,
		"AWS_REGION":                      in.region,
		"AWS_DEFAULT_REGION":              in.region,
		"AWS_LAMBDA_FUNCTION_NAME":        in.fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     in.fn.Version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(int(in.fn.MemoryMB)),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       in.fn.LogGroup,
		"AWS_LAMBDA_LOG_STREAM_NAME":      in.logStream,
		"AWS_LAMBDA_RUNTIME_API":          in.runtimeAPI,
		"AWS_ACCESS_KEY_ID":               "localrun",
		"AWS_SECRET_ACCESS_KEY":           "localrun",
		"AWS_SESSION_TOKEN":               "localrun",
		"LAMBDA_TASK_ROOT":                in.taskRoot,
		"LAMBDA_RUNTIME_DIR":              in.taskRoot,
		"TZ":                              ":UTC",
	}
	if strings.EqualFold(in.fn.LogFormat, "JSON") {
		lambdaEnv["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
		if in.fn.AppLogLevel != "" {
			lambdaEnv["AWS_LAMBDA_LOG_LEVEL"] = strings.ToUpper(in.fn.AppLogLevel)
		}
	}
	maps.Copy(env, lambdaEnv)
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if env[k] != "" {
			out = append(out, k+"="+env[k])
		}
	}
	return out
}

// logStreamName is Lambda's stream naming: date/[version]random.
func logStreamName(now time.Time, version string) string {
	return now.UTC().Format("2006/01/02") + "/[" + version + "]" + ids.Hex(16)
}

// newTraceID is an X-Ray trace header as Lambda passes it (not sampled: nothing is sent).
func newTraceID(now time.Time) string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", now.Unix(), ids.Hex(12), ids.Hex(8))
}

// ParseTarget splits what an invoker names — a function name, a partial ARN
// (123456789012:function:name) or a full ARN, each optionally with :qualifier — into name and
// qualifier.
func ParseTarget(s string) (name, qualifier string, err error) {
	parts := strings.Split(s, ":")
	switch {
	case strings.HasPrefix(s, "arn:"):
		// arn:partition:lambda:region:account:function:name[:qualifier]
		if len(parts) < 7 || len(parts) > 8 || parts[2] != "lambda" || parts[5] != "function" {
			return "", "", fmt.Errorf("%q is not a Lambda function ARN", s)
		}
		name = parts[6]
		if len(parts) == 8 {
			qualifier = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function":
		name = parts[2]
		if len(parts) == 4 {
			qualifier = parts[3]
		} else if len(parts) > 4 {
			return "", "", fmt.Errorf("%q is not a function name or ARN", s)
		}
	case len(parts) <= 2:
		name = parts[0]
		if len(parts) == 2 {
			qualifier = parts[1]
		}
	default:
		return "", "", fmt.Errorf("%q is not a function name or ARN", s)
	}
	if name == "" || (len(parts) == 2 && qualifier == "") {
		return "", "", fmt.Errorf("%q is not a function name or ARN", s)
	}
	return name, qualifier, nil
}

func unqualified(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) == 8 {
		return strings.Join(parts[:7], ":")
	}
	return arn
}

func isVersion(q string) bool {
	if q == "$LATEST" {
		return true
	}
	_, err := strconv.ParseUint(q, 10, 64)
	return err == nil
}
