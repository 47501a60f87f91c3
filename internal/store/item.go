// Package store owns webhealth's DynamoDB tables (schemas in docs/design.md): every query and write of
// the URL table (Targets: the API's CRUD, the crawler's scan and last_check) and of the alarm table
// (Alarms: the alarm logger's records, the API's history) is here, with the items' codecs.
package store

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/webhealth/webhealth/internal/target"
)

// Attribute names and item kinds of the URL table.
const (
	AttrID        = "id"
	AttrKind      = "kind"
	AttrEnabled   = "enabled"
	AttrVersion   = "version"
	AttrLastCheck = "last_check"
	AttrTargetID  = "target_id"

	KindTarget = "target"
	KindURLKey = "urlkey"

	// URLKeyPrefix starts the id of a uniqueness item: "urlkey#<sha256 of normalized url>".
	URLKeyPrefix = "urlkey#"
)

// targetItem is the stored shape of a target.
type targetItem struct {
	ID                 string         `dynamodbav:"id"`
	Kind               string         `dynamodbav:"kind"`
	URL                string         `dynamodbav:"url"`
	Name               string         `dynamodbav:"name"`
	Enabled            bool           `dynamodbav:"enabled"`
	ExpectedStatus     []int          `dynamodbav:"expected_status"`
	LatencyThresholdMS int            `dynamodbav:"latency_threshold_ms"`
	TimeoutMS          int            `dynamodbav:"timeout_ms"`
	Method             string         `dynamodbav:"method"`
	BodyContains       string         `dynamodbav:"body_contains"`
	CreatedAt          string         `dynamodbav:"created_at"`
	UpdatedAt          string         `dynamodbav:"updated_at"`
	Version            int64          `dynamodbav:"version"`
	LastCheck          *lastCheckItem `dynamodbav:"last_check,omitempty"`
}

type lastCheckItem struct {
	CheckedAt         string  `dynamodbav:"checked_at"`
	Available         bool    `dynamodbav:"available"`
	StatusCode        int     `dynamodbav:"status_code"`
	LatencyMS         float64 `dynamodbav:"latency_ms"`
	DNSMS             float64 `dynamodbav:"dns_ms"`
	ConnectMS         float64 `dynamodbav:"connect_ms"`
	TLSMS             float64 `dynamodbav:"tls_ms"`
	TTFBMS            float64 `dynamodbav:"ttfb_ms"`
	CertDaysRemaining *int    `dynamodbav:"cert_days_remaining,omitempty"`
	Attempts          int     `dynamodbav:"attempts"`
	Error             string  `dynamodbav:"error"`
}

// TimeFormat is how timestamps are stored: RFC 3339, UTC, millisecond precision (sorts as text).
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// FormatTime renders t in TimeFormat (UTC).
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("decode %s: %w", field, err)
	}
	return t.UTC(), nil
}

// MarshalTarget encodes t as a URL-table item.
func MarshalTarget(t target.Target) (map[string]types.AttributeValue, error) {
	it := targetItem{
		ID: t.ID, Kind: KindTarget, URL: t.URL, Name: t.Name, Enabled: t.Enabled,
		ExpectedStatus: t.ExpectedStatus, LatencyThresholdMS: t.LatencyThresholdMS, TimeoutMS: t.TimeoutMS,
		Method: t.Method, BodyContains: t.BodyContains,
		CreatedAt: FormatTime(t.CreatedAt), UpdatedAt: FormatTime(t.UpdatedAt), Version: t.Version,
	}
	if t.LastCheck != nil {
		lc := marshalLastCheckItem(*t.LastCheck)
		it.LastCheck = &lc
	}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, fmt.Errorf("encode target %s: %w", t.ID, err)
	}
	return av, nil
}

// MarshalLastCheck encodes a check result as the map stored in the last_check attribute.
func MarshalLastCheck(c target.LastCheck) (types.AttributeValue, error) {
	av, err := attributevalue.Marshal(marshalLastCheckItem(c))
	if err != nil {
		return nil, fmt.Errorf("encode last_check: %w", err)
	}
	return av, nil
}

func marshalLastCheckItem(c target.LastCheck) lastCheckItem {
	return lastCheckItem{
		CheckedAt: FormatTime(c.CheckedAt), Available: c.Available, StatusCode: c.StatusCode,
		LatencyMS: c.LatencyMS, DNSMS: c.DNSMS, ConnectMS: c.ConnectMS, TLSMS: c.TLSMS, TTFBMS: c.TTFBMS,
		CertDaysRemaining: c.CertDaysRemaining, Attempts: c.Attempts, Error: c.Error,
	}
}

// UnmarshalTarget decodes a URL-table item of kind "target".
func UnmarshalTarget(av map[string]types.AttributeValue) (target.Target, error) {
	var it targetItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return target.Target{}, fmt.Errorf("decode target item: %w", err)
	}
	if it.Kind != KindTarget {
		return target.Target{}, fmt.Errorf("decode target item %q: kind is %q, not %q", it.ID, it.Kind, KindTarget)
	}
	t := target.Target{
		ID: it.ID, URL: it.URL, Name: it.Name, Enabled: it.Enabled, ExpectedStatus: it.ExpectedStatus,
		LatencyThresholdMS: it.LatencyThresholdMS, TimeoutMS: it.TimeoutMS, Method: it.Method,
		BodyContains: it.BodyContains, Version: it.Version,
	}
	var err error
	if t.CreatedAt, err = parseTime("created_at", it.CreatedAt); err != nil {
		return target.Target{}, err
	}
	if t.UpdatedAt, err = parseTime("updated_at", it.UpdatedAt); err != nil {
		return target.Target{}, err
	}
	if it.LastCheck != nil {
		lc := it.LastCheck
		checked, err := parseTime("last_check.checked_at", lc.CheckedAt)
		if err != nil {
			return target.Target{}, err
		}
		t.LastCheck = &target.LastCheck{
			CheckedAt: checked, Available: lc.Available, StatusCode: lc.StatusCode, LatencyMS: lc.LatencyMS,
			DNSMS: lc.DNSMS, ConnectMS: lc.ConnectMS, TLSMS: lc.TLSMS, TTFBMS: lc.TTFBMS,
			CertDaysRemaining: lc.CertDaysRemaining, Attempts: lc.Attempts, Error: lc.Error,
		}
	}
	return t, nil
}
