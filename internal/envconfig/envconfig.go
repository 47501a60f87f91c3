// Package envconfig reads typed settings from environment variables once, at start-up,
// and reports every bad value with the variable's name and what is allowed.
package envconfig

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Lookup is os.LookupEnv or a test double.
type Lookup func(key string) (string, bool)

// Reader accumulates errors so one start-up failure lists every bad variable.
type Reader struct {
	lookup Lookup
	errs   []error
}

// New returns a Reader over lookup.
func New(lookup Lookup) *Reader { return &Reader{lookup: lookup} }

// Err returns all problems found so far, or nil.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

func (r *Reader) fail(key, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("environment variable %s: %s", key, fmt.Sprintf(format, args...)))
}

// Fail records a problem of key found by a rule of the caller's (one that spans variables, or a
// form this package does not parse), worded like the Reader's own: "environment variable KEY: ...".
func (r *Reader) Fail(key, format string, args ...any) { r.fail(key, format, args...) }

func (r *Reader) raw(key string) (string, bool) {
	v, ok := r.lookup(key)
	if !ok {
		return "", false
	}
	v = strings.TrimSpace(v)
	return v, v != ""
}

// Required returns a non-empty string.
func (r *Reader) Required(key string) string {
	v, ok := r.raw(key)
	if !ok {
		r.fail(key, "is required")
	}
	return v
}

// String returns the value or def when unset or empty.
func (r *Reader) String(key, def string) string {
	if v, ok := r.raw(key); ok {
		return v
	}
	return def
}

// Bool accepts true/false/1/0 (strconv.ParseBool).
func (r *Reader) Bool(key string, def bool) bool {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(key, "%q is not a boolean (true or false)", v)
		return def
	}
	return b
}

// Int returns an integer in [lo, hi].
func (r *Reader) Int(key string, def, lo, hi int) int {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(key, "%q is not an integer between %d and %d", v, lo, hi)
		return def
	}
	return n
}

// Duration returns a Go duration (e.g. 500ms, 5s) in [lo, hi].
func (r *Reader) Duration(key string, def, lo, hi time.Duration) time.Duration {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		r.fail(key, "%q is not a duration between %s and %s (e.g. 500ms, 5s)", v, lo, hi)
		return def
	}
	return d
}

// List splits a comma-separated value, dropping empty items.
func (r *Reader) List(key string) []string {
	v, ok := r.raw(key)
	if !ok {
		return nil
	}
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
