package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/localrun/lambdatest"
	"github.com/webhealth/webhealth/platform/moto"
)

// TestLocalrunSignalsLeaveNoProcessBehind runs the real binary as `platform localrun`, starts a function process through it,
// and checks that SIGTERM (graceful) and SIGKILL (no cleanup possible) both end that process.
func TestLocalrunSignalsLeaveNoProcessBehind(t *testing.T) {
	fn, err := lambdatest.Build("a")
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "platform")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	m := moto.Start(t)
	lambdatest.Deploy(t, context.Background(), lambda.NewFromConfig(m.Config()), m.Endpoint, lambdatest.Function{Name: "sig-fn", Zip: fn.Zip})
	build := filepath.Join(t.TempDir(), "build")
	lambdatest.Install(t, fn, build, "amd64", "sig-fn")

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			addr := freeAddr(t)
			cmd := exec.Command(bin, "localrun", "-endpoint", m.Endpoint, "-region", moto.Region, "-listen", addr,
				"-artifacts", build, "-state", t.TempDir(), "-log-format", "json")
			stderr, err := cmd.StderrPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			ready := make(chan struct{})
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					if strings.Contains(sc.Text(), "local runtime ready") {
						close(ready)
						break
					}
				}
				for sc.Scan() { // keep draining
				}
			}()
			select {
			case <-ready:
			case <-time.After(15 * time.Second):
				t.Fatal("localrun did not start")
			}

			resp, err := http.Post(fmt.Sprintf("http://%s/2015-03-31/functions/sig-fn/invocations?Qualifier=live", addr), "application/json", strings.NewReader(`{"action":"env"}`))
			require.NoError(t, err)
			var res struct {
				PID int `json:"pid"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&res))
			resp.Body.Close()
			require.NotZero(t, res.PID)

			require.NoError(t, cmd.Process.Signal(sig))
			err = cmd.Wait()
			if sig == syscall.SIGTERM {
				assert.NoError(t, err, "a graceful stop exits 0")
			}
			assert.Eventually(t, func() bool { return syscall.Kill(res.PID, 0) != nil }, 5*time.Second, 20*time.Millisecond,
				"the function process %d outlived localrun", res.PID)
		})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}
