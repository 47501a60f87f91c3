// Package target holds the monitored Target: its fields, defaults, validation and URL normalization.
// It is shared by the URL API (which validates input), the store (which persists it) and the crawler
// (which probes it); it has no AWS dependencies.
package target

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Limits and defaults of a target.
const (
	MaxURLLength          = 2048
	MaxNameLength         = 128
	MaxBodyContainsLength = 1024
	MaxExpectedStatus     = 20
	MinTimeoutMS          = 100
	MaxTimeoutMS          = 30000
	MinLatencyThresholdMS = 1
	MaxLatencyThresholdMS = 30000

	DefaultExpectedStatus     = 200 // when expected_status is not given
	DefaultTimeoutMS          = 10000
	DefaultLatencyThresholdMS = 1000
	DefaultMethod             = "GET"

	// A mute ends at most MaxMuteDuration after it is written; its reason has the name's rules.
	MaxMuteDuration       = 30 * 24 * time.Hour
	MaxMuteReasonLength   = 256
	MinCertExpiryDays     = 1
	MaxCertExpiryDays     = 365
	DefaultCertExpiryDays = 14 // the crawler's CERT_EXPIRY_DAYS when unset
)

// ErrInvalid marks a validation failure; the message says which field and what is allowed.
var ErrInvalid = errors.New("invalid target")

// FieldError is a validation failure of one field.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Target is one monitored URL and how to judge it. It is the one model of a target: the API's JSON
// (json tags) and the URL table's item (dynamodbav tags; the store adds the item kind) are its encodings.
type Target struct {
	ID                 string     `json:"id" dynamodbav:"id"`
	URL                string     `json:"url" dynamodbav:"url"`
	Name               string     `json:"name" dynamodbav:"name"`
	Enabled            bool       `json:"enabled" dynamodbav:"enabled"`
	ExpectedStatus     []int      `json:"expected_status" dynamodbav:"expected_status"`
	LatencyThresholdMS int        `json:"latency_threshold_ms" dynamodbav:"latency_threshold_ms"`
	TimeoutMS          int        `json:"timeout_ms" dynamodbav:"timeout_ms"`
	Method             string     `json:"method" dynamodbav:"method"`
	BodyContains       string     `json:"body_contains" dynamodbav:"body_contains"`
	CreatedAt          time.Time  `json:"created_at" dynamodbav:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at" dynamodbav:"updated_at"`
	Version            int64      `json:"version" dynamodbav:"version"`
	LastCheck          *LastCheck `json:"last_check,omitempty" dynamodbav:"last_check,omitempty"`

	// MutedUntil: nobody is notified of the target's alarms before this time (nil: not muted). The
	// target is still checked and its alarm history kept.
	MutedUntil *time.Time `json:"muted_until" dynamodbav:"muted_until,omitempty"`
	// MuteReason says why, only with MutedUntil.
	MuteReason string `json:"mute_reason" dynamodbav:"mute_reason,omitempty"`
	// CertExpiryThresholdDays: the certificate alarm fires below this many days (nil: the crawler's
	// CERT_EXPIRY_DAYS). Only https targets have a certificate alarm.
	CertExpiryThresholdDays *int `json:"cert_expiry_threshold_days" dynamodbav:"cert_expiry_threshold_days,omitempty"`
}

// Muted reports whether the target is muted at time at: its MutedUntil is after at. A mute that has
// passed needs no action to end.
//
// It is the one rule of whether a state change of the target's alarms is told, judged at the state
// change's time (never at the time it is read): the alarm logger records a change for which it holds as
// muted, and the notifier tells nobody of it. (A recovery is told when the ALARM it ends was told; see
// internal/notify.)
func (t Target) Muted(at time.Time) bool { return t.MutedUntil != nil && t.MutedUntil.After(at) }

// LastCheck is the verdict on the crawler's most recent check of a target (Judge gives it), as the API
// answers it and the URL table stores it.
type LastCheck struct {
	CheckedAt         time.Time `json:"checked_at" dynamodbav:"checked_at"`
	Available         bool      `json:"available" dynamodbav:"available"`
	StatusCode        int       `json:"status_code,omitempty" dynamodbav:"status_code"`
	LatencyMS         float64   `json:"latency_ms" dynamodbav:"latency_ms"`
	DNSMS             float64   `json:"dns_ms" dynamodbav:"dns_ms"`
	ConnectMS         float64   `json:"connect_ms" dynamodbav:"connect_ms"`
	TLSMS             float64   `json:"tls_ms" dynamodbav:"tls_ms"`
	TTFBMS            float64   `json:"ttfb_ms" dynamodbav:"ttfb_ms"`
	CertDaysRemaining *int      `json:"cert_days_remaining,omitempty" dynamodbav:"cert_days_remaining,omitempty"`
	Attempts          int       `json:"attempts" dynamodbav:"attempts"`
	Error             string    `json:"error,omitempty" dynamodbav:"error"`
}

// Spec is what a client sends to create or replace a target: only URL is required.
// Pointer fields distinguish "absent" (take the default) from a zero value.
type Spec struct {
	URL                string  `json:"url"`
	Name               *string `json:"name,omitempty"`
	Enabled            *bool   `json:"enabled,omitempty"`
	ExpectedStatus     []int   `json:"expected_status,omitempty"`
	LatencyThresholdMS *int    `json:"latency_threshold_ms,omitempty"`
	TimeoutMS          *int    `json:"timeout_ms,omitempty"`
	Method             *string `json:"method,omitempty"`
	BodyContains       *string `json:"body_contains,omitempty"`
	// MutedUntil is an RFC 3339 time; null or absent is not muted. Resolve parses it, so a string
	// that is not a time is an invalid value rather than a decoding failure.
	MutedUntil              *string `json:"muted_until,omitempty"`
	MuteReason              *string `json:"mute_reason,omitempty"`
	CertExpiryThresholdDays *int    `json:"cert_expiry_threshold_days,omitempty"`
}

// NewID returns a random 128-bit id as 32 lowercase hex characters.
func NewID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// ValidID reports whether id has the form NewID produces: 32 lowercase hex characters. It runs on
// every request for a target and every alarm notification, so it is a loop rather than a regexp.
func ValidID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := range len(id) {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
