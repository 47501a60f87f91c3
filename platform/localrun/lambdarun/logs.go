package lambdarun

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
)

// logSinks holds one sink per function name: the terminal (prefixed) and <state>/logs/<name>.log.
type logSinks struct {
	dir      string
	terminal io.Writer

	mu    sync.Mutex
	sinks map[string]*logSink
}

func newLogSinks(dir string, terminal io.Writer) *logSinks {
	return &logSinks{dir: dir, terminal: terminal, sinks: map[string]*logSink{}}
}

func (l *logSinks) get(function string) (*logSink, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.sinks[function]; ok {
		return s, nil
	}
	if err := os.MkdirAll(l.dir, 0o750); err != nil {
		return nil, fmt.Errorf("create log dir: %w", err)
	}
	// Through an os.Root: the function name (from the emulator) cannot place the file outside the dir.
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return nil, fmt.Errorf("open log dir: %w", err)
	}
	defer root.Close()
	f, err := root.OpenFile(function+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open function log: %w", err)
	}
	s := &logSink{prefix: []byte(function + " | "), file: f, terminal: l.terminal}
	l.sinks[function] = s
	return s, nil
}

func (l *logSinks) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.sinks {
		_ = s.file.Close()
	}
	l.sinks = map[string]*logSink{}
}

// logSink writes whole lines to the function's log file and, prefixed, to the terminal.
type logSink struct {
	prefix   []byte
	terminal io.Writer

	mu   sync.Mutex
	file *os.File
}

func (s *logSink) line(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = s.file.Write(b)
	if s.terminal != nil {
		_, _ = s.terminal.Write(append(append([]byte(nil), s.prefix...), b...))
	}
}

func (s *logSink) printf(format string, args ...any) {
	s.line([]byte(fmt.Sprintf(format, args...) + "\n"))
}

// lineWriter splits a process stream into lines for a sink (one per stream, so partial lines of
// stdout and stderr never interleave).
type lineWriter struct {
	sink *logSink
	buf  []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.sink.line(w.buf[:i+1])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 256<<10 { // a runaway line without newline: flush it anyway
		w.flush()
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.sink.line(append(w.buf, '\n'))
		w.buf = nil
	}
}
