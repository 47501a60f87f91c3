package probe

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

const copyBufferSize = 32 << 10

type bodyResult struct {
	n     int64
	found bool
}

// readBody reads at most MaxBodyBytes, searching for needle across chunk boundaries without keeping the body.
func (p *Prober) readBody(body io.Reader, needle, method string) (bodyResult, error) {
	if method == http.MethodHead {
		return bodyResult{}, nil
	}
	m := newMatcher(needle)
	buf := p.bufs.Get().(*[copyBufferSize]byte)
	defer p.bufs.Put(buf)
	n, err := io.CopyBuffer(m, io.LimitReader(body, p.opts.MaxBodyBytes), buf[:])
	if err != nil {
		return bodyResult{n: n, found: m.found}, fmt.Errorf("read body: %w", err)
	}
	return bodyResult{n: n, found: m.found}, nil
}

// matcher is an io.Writer that reports whether needle occurred in everything written, keeping only
// the last len(needle)-1 bytes between writes.
type matcher struct {
	needle []byte
	tail   []byte
	window []byte
	found  bool
}

func newMatcher(needle string) *matcher {
	m := &matcher{needle: []byte(needle)}
	if len(needle) > 1 {
		m.tail = make([]byte, 0, len(needle)-1)
		m.window = make([]byte, 0, 2*(len(needle)-1))
	}
	return m
}

func (m *matcher) Write(p []byte) (int, error) {
	if m.found || len(m.needle) == 0 {
		return len(p), nil
	}
	k := len(m.needle) - 1
	if k > 0 && len(m.tail) > 0 {
		// An occurrence straddling the previous write and this one lies within tail + p[:k].
		m.window = append(append(m.window[:0], m.tail...), p[:min(k, len(p))]...)
		if bytes.Contains(m.window, m.needle) {
			m.found = true
			return len(p), nil
		}
	}
	if bytes.Contains(p, m.needle) {
		m.found = true
		return len(p), nil
	}
	if k > 0 {
		if len(p) >= k {
			m.tail = append(m.tail[:0], p[len(p)-k:]...)
		} else {
			m.tail = append(m.tail, p...)
			if over := len(m.tail) - k; over > 0 {
				m.tail = append(m.tail[:0], m.tail[over:]...)
			}
		}
	}
	return len(p), nil
}
