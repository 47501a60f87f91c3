package benchreport

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReadProc(t *testing.T) {
	t.Parallel()
	const x86 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7R13 Processor\nflags\t\t: fpu vme\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7R13 Processor\n"
	const graviton = "processor\t: 0\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n"
	const meminfo = "MemTotal:        8039196 kB\nMemFree:         1234 kB\n"
	tests := []struct {
		name  string
		files map[string]string
		want  Machine
	}{
		{name: "x86 Linux", files: map[string]string{"/proc/cpuinfo": x86, "/proc/meminfo": meminfo, "/proc/sys/kernel/osrelease": "6.1.0-28-cloud-amd64\n"},
			want: Machine{CPU: "AMD EPYC 7R13 Processor", MemBytes: 8039196 * 1024, Kernel: "6.1.0-28-cloud-amd64", Cores: 2}},
		{name: "arm64 cpuinfo has no model name", files: map[string]string{"/proc/cpuinfo": graviton, "/proc/meminfo": meminfo},
			want: Machine{CPU: "preset", MemBytes: 8039196 * 1024, Cores: 2}},
		{name: "no /proc (not Linux)", files: map[string]string{},
			want: Machine{CPU: "preset", Cores: 2}},
		{name: "MemTotal in an unknown unit is not guessed", files: map[string]string{"/proc/meminfo": "MemTotal: 8 GB\n"},
			want: Machine{CPU: "preset", Cores: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := Machine{CPU: "preset", Cores: 2}
			m.ReadProc(func(name string) ([]byte, error) {
				if b, ok := tc.files[name]; ok {
					return []byte(b), nil
				}
				return nil, fs.ErrNotExist
			})
			assert.Equal(t, tc.want, m)
		})
	}
}
