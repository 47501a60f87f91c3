// Package runtimetest runs the local Lambda runtime (lambdarun) on a moto server with the test
// function (lambdatest) installed, for the tests of the local runtime's parts that invoke functions
// (API Gateway, schedules, SNS, alarms).
package runtimetest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/webhealth/webhealth/platform/localrun/lambdarun"
	"github.com/webhealth/webhealth/platform/localrun/lambdatest"
	"github.com/webhealth/webhealth/platform/moto"
)

// Runtime is a lambdarun.Service on a moto server whose artifacts directory holds the test
// function (variant "a"), so every function deployed from it runs locally.
type Runtime struct {
	Functions *lambdarun.Service
	lambda    *lambda.Client
	endpoint  string
}

// New starts the runtime on m; it is closed (its function processes stopped) when the test ends.
func New(t testing.TB, m *moto.Server) *Runtime {
	t.Helper()
	build := filepath.Join(t.TempDir(), "build")
	lambdatest.Install(t, lambdatest.Fn(t, "a"), build, "amd64", "fn")
	lc := lambda.NewFromConfig(m.Config())
	svc := lambdarun.New(lc, nil, lambdarun.Options{ArtifactsDir: build, StateDir: t.TempDir(), Endpoint: m.Endpoint, Region: moto.Region})
	t.Cleanup(func() { svc.Close(time.Second) })
	return &Runtime{Functions: svc, lambda: lc, endpoint: m.Endpoint}
}

// Deploy deploys f to the emulator (lambdatest.Deploy: by default the installed test function
// under a unique name) and returns the ARN of its live alias.
func (r *Runtime) Deploy(t testing.TB, f lambdatest.Function) string {
	t.Helper()
	return lambdatest.Deploy(t, context.Background(), r.lambda, r.endpoint, f)
}

// DeployRecorder deploys the test function under a unique name starting with prefix, recording
// every event it receives in a new directory (read them with lambdatest.Received). It returns the
// ARN of the live alias and the directory.
func (r *Runtime) DeployRecorder(t testing.TB, prefix string) (arn, dir string) {
	t.Helper()
	dir = t.TempDir()
	return r.Deploy(t, lambdatest.Function{Name: lambdatest.Unique(prefix), Env: map[string]string{lambdatest.OutDirEnv: dir}}), dir
}
