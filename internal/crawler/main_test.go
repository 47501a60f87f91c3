package crawler

import (
	"flag"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/webhealth/webhealth/internal/testutil/moto"
)

// TestMain shares one moto_server among the integration tests and keeps the crawler's logs out of
// the test output unless -v is given. Run with benchServerEnv set, the binary is instead the
// benchmarks' HTTP server (benchserver_test.go).
func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) != "" {
		os.Exit(runBenchServer())
	}
	flag.Parse()
	if !testing.Verbose() {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	moto.Main(m)
}
