// Package lambdatest builds the test Lambda function (testdata/fn, a real aws-lambda-go program)
// into deterministic zips and deploys it to moto, for the local runtime's tests.
package lambdatest

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// Artifact is one built zip.
type Artifact struct {
	Path       string // the zip
	Zip        []byte // its bytes
	CodeSha256 string // base64(sha256(zip)), what Lambda reports
}

// OutDirEnv names the test function's environment variable for a directory where it writes every
// event it receives, as <request id>.json (see Received).
const OutDirEnv = "OUT_DIR"

// Received is the event the test function, deployed with OutDirEnv set to dir, received in the
// invocation requestID.
func Received(t testing.TB, dir, requestID string) []byte {
	t.Helper()
	// #nosec G304 -- the test's own dir and a request id the runtime made
	b, err := os.ReadFile(filepath.Join(dir, requestID+".json"))
	if err != nil {
		t.Fatalf("event of invocation %s: %v", requestID, err)
	}
	return b
}

// Role is the execution role the tests' functions use (moto checks that it exists).
const Role = "arn:aws:iam::123456789012:role/localrun-test"

// Build compiles testdata/fn for the host (variant is baked in with -ldflags) and zips it with
// bootstrap at the root, deterministically. Builds are cached by source hash in the user's cache
// dir (the OS temp dir when there is none), so repeated test runs do not recompile.
func Build(variant string) (Artifact, error) {
	_, self, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(self), "testdata", "fn")
	code, err := os.ReadFile(filepath.Join(src, "main.go")) // #nosec G304 -- this package's own testdata
	if err != nil {
		return Artifact{}, fmt.Errorf("read test function source: %w", err)
	}
	sum := sha256.Sum256(append(append(code, variant...), runtime.Version()...))
	// The tests run the cached zip's bootstrap: a per-user dir, so no other user of the machine can
	// plant one (as they could in a shared /tmp).
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "webhealth", "localrun-fn-"+hex.EncodeToString(sum[:8]))
	zipPath := filepath.Join(dir, "fn.zip")
	// #nosec G304 -- our own cache dir and a source hash
	if b, err := os.ReadFile(zipPath); err == nil {
		return artifact(zipPath, b), nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Artifact{}, err
	}
	// Test processes of several packages may build at once: each builds and zips in files of its
	// own and renames the zip into place, so no reader ever sees a partly written one.
	work, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return Artifact{}, err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "bootstrap")
	// #nosec G204 -- the go tool building this package's testdata; variant comes from the tests' code
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc",
		"-ldflags", "-s -w -buildid= -X main.variant="+variant, "-o", bin, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return Artifact{}, fmt.Errorf("build test function: %w\n%s", err, out)
	}
	exe, err := os.ReadFile(bin) // #nosec G304 -- the binary just built into our own work dir
	if err != nil {
		return Artifact{}, err
	}
	b, err := Zip(map[string][]byte{"bootstrap": exe})
	if err != nil {
		return Artifact{}, err
	}
	tmp := filepath.Join(work, "fn.zip")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return Artifact{}, err
	}
	if err := os.Rename(tmp, zipPath); err != nil {
		return Artifact{}, err
	}
	return artifact(zipPath, b), nil
}

// builds maps a variant to its Build, run once (sync.OnceValues), for Fn.
var builds sync.Map

// Fn is the test function built for variant: Build runs once per test process and variant (the
// first test that needs it waits for it), so packages need no TestMain for it, and a run that only
// benchmarks or lists tests builds nothing. A failed build fails every test that asks for it.
func Fn(t testing.TB, variant string) Artifact {
	t.Helper()
	build, _ := builds.LoadOrStore(variant, sync.OnceValues(func() (Artifact, error) { return Build(variant) }))
	a, err := build.(func() (Artifact, error))()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var seq atomic.Int64

// Unique returns prefix-<pid>-<n>: a name no other test of the process, nor a concurrent test
// process on the same emulator, uses.
func Unique(prefix string) string { return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), seq.Add(1)) }

func artifact(path string, b []byte) Artifact {
	sum := sha256.Sum256(b)
	return Artifact{Path: path, Zip: b, CodeSha256: base64.StdEncoding.EncodeToString(sum[:])}
}

// Zip writes files (executable, fixed mtime) into a deterministic zip.
func Zip(files map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		h := &zip.FileHeader{Name: n, Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
		h.SetMode(0o755)
		f, err := w.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := f.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Install copies the artifact into <dir>/<arch>/<name>.zip, the layout `make build` produces.
func Install(t testing.TB, a Artifact, dir, arch, name string) {
	t.Helper()
	p := filepath.Join(dir, arch, name+".zip")
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, a.Zip, 0o600); err != nil {
		t.Fatal(err)
	}
}

// CreateRole creates the execution role in moto. The SDK's IAM client is not a dependency of the
// module, and moto accepts the unsigned Query-protocol call; an existing role is fine.
func CreateRole(ctx context.Context, endpoint string) error {
	form := url.Values{
		"Action":                   {"CreateRole"},
		"Version":                  {"2010-05-08"},
		"RoleName":                 {"localrun-test"},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20200101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("create role: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusConflict {
		return fmt.Errorf("create role: status %d", resp.StatusCode)
	}
	return nil
}

// retriedCreate reports whether a create failed only because it already happened: the SDK retries
// a call whose answer it could not read (seen under load against the emulator: a 201 whose body
// read failed), and the retry then finds what the first attempt created. Deploy's names are its
// own (Unique, or a private emulator), so the existing resource is checked against the request.
func retriedCreate(t testing.TB, err error) bool {
	t.Helper()
	var api smithy.APIError
	// Lambda answers ResourceConflictException; moto answers it for functions, ConflictException for aliases.
	if !errors.As(err, &api) || (api.ErrorCode() != "ResourceConflictException" && api.ErrorCode() != "ConflictException") {
		return false
	}
	t.Logf("deploy: %v; reading back what the first attempt created", err)
	return true
}

// Function describes a function to deploy to moto.
type Function struct {
	Name    string // "": a Unique "fn-…"
	Zip     []byte // nil: the test function, variant "a" (Fn)
	Env     map[string]string
	Timeout int32
	Memory  int32
	Logging *types.LoggingConfig
}

// Deploy creates the function, publishes version 1 and points a `live` alias at it, as the
// project's Terraform does. It returns the alias ARN.
func Deploy(t testing.TB, ctx context.Context, c *lambda.Client, endpoint string, f Function) string {
	t.Helper()
	if err := CreateRole(ctx, endpoint); err != nil {
		t.Fatal(err)
	}
	if f.Name == "" {
		f.Name = Unique("fn")
	}
	if f.Zip == nil {
		f.Zip = Fn(t, "a").Zip
	}
	if f.Timeout == 0 {
		f.Timeout = 10
	}
	if f.Memory == 0 {
		f.Memory = 256
	}
	out, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName:  aws.String(f.Name),
		Runtime:       types.RuntimeProvidedal2023,
		Handler:       aws.String("bootstrap"),
		Role:          aws.String(Role),
		Code:          &types.FunctionCode{ZipFile: f.Zip},
		Environment:   &types.Environment{Variables: f.Env},
		Timeout:       aws.Int32(f.Timeout),
		MemorySize:    aws.Int32(f.Memory),
		Architectures: []types.Architecture{types.ArchitectureX8664},
		LoggingConfig: f.Logging,
		Publish:       true,
	})
	version := ""
	switch {
	case retriedCreate(t, err):
		got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.Name), Qualifier: aws.String("1")})
		if err != nil {
			t.Fatalf("read back function %s: %v", f.Name, err)
		}
		if sum := artifact("", f.Zip).CodeSha256; aws.ToString(got.Configuration.CodeSha256) != sum {
			t.Fatalf("create function %s: another function of that name exists (code %s, not %s)", f.Name, aws.ToString(got.Configuration.CodeSha256), sum)
		}
		version = aws.ToString(got.Configuration.Version)
	case err != nil:
		t.Fatalf("create function %s: %v", f.Name, err)
	default:
		version = aws.ToString(out.Version)
	}
	alias, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{
		FunctionName:    aws.String(f.Name),
		Name:            aws.String("live"),
		FunctionVersion: aws.String(version),
	})
	switch {
	case retriedCreate(t, err):
		got, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(f.Name), Name: aws.String("live")})
		if err != nil {
			t.Fatalf("read back alias %s:live: %v", f.Name, err)
		}
		if aws.ToString(got.FunctionVersion) != version {
			t.Fatalf("create alias %s:live: it exists on version %s, not %s", f.Name, aws.ToString(got.FunctionVersion), version)
		}
		return aws.ToString(got.AliasArn)
	case err != nil:
		t.Fatalf("create alias %s: %v", f.Name, err)
	}
	return aws.ToString(alias.AliasArn)
}
