package benchreport

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"time"
)

// Machine describes where the benchmarks ran.
type Machine struct {
	CPU       string // model name; the "cpu:" line of go test wins over this
	Cores     int    // runtime.NumCPU
	MemBytes  uint64 // MemTotal
	OS, Arch  string // runtime.GOOS/GOARCH; the goos:/goarch: lines of go test win over these
	Kernel    string
	GoVersion string
	Date      time.Time
}

// ReadProc fills CPU, MemBytes and Kernel from /proc (Linux), leaving a field alone when its file
// cannot be read or has no such entry. readFile is os.ReadFile outside tests.
func (m *Machine) ReadProc(readFile func(string) ([]byte, error)) {
	if b, err := readFile("/proc/cpuinfo"); err == nil {
		if v, ok := procField(b, "model name"); ok {
			m.CPU = v
		}
	}
	if b, err := readFile("/proc/meminfo"); err == nil {
		if v, ok := procField(b, "MemTotal"); ok {
			kb, unit, _ := strings.Cut(v, " ")
			if n, err := strconv.ParseUint(kb, 10, 64); err == nil && (unit == "kB" || unit == "") {
				m.MemBytes = n * 1024
			}
		}
	}
	if b, err := readFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
}

// procField returns the value of the first "key: value" line (key and value trimmed).
func procField(b []byte, key string) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}
