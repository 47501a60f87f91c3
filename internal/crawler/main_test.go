package crawler

import (
	"flag"
	"io"
	"log/slog"
	"testing"

	"github.com/webhealth/webhealth/internal/testutil/moto"
)

// TestMain shares one moto_server among the integration tests and keeps the crawler's logs out of
// the test output unless -v is given.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	moto.Main(m)
}
