// Package store owns webhealth's DynamoDB tables (schemas in docs/design.md): every query and write of
// the URL table (Targets: the API's CRUD, the crawler's scan and last_check) and of the alarm table
// (Alarms: the alarm logger's records, the API's history) is here, with the items' codecs.
package store

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
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

	// Optional client-set attributes: absent when not set.
	AttrMutedUntil              = "muted_until"
	AttrMuteReason              = "mute_reason"
	AttrCertExpiryThresholdDays = "cert_expiry_threshold_days"

	KindTarget = "target"
	KindURLKey = "urlkey"

	// URLKeyPrefix starts the id of a uniqueness item: "urlkey#<sha256 of normalized url>".
	URLKeyPrefix = "urlkey#"
)

// targetItem is the stored shape of a target: the model (its dynamodbav tags) and the item kind.
type targetItem struct {
	target.Target
	Kind string `dynamodbav:"kind"`
}

// optionalTargetAttrs are the target attributes a client sets that are stored only when set (omitempty),
// last_check (the crawler's) aside: a replace that leaves one unset removes it.
var optionalTargetAttrs = func() []string {
	var out []string
	for f := range reflect.TypeFor[target.Target]().Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("dynamodbav"), ",")
		if name != AttrLastCheck && slices.Contains(strings.Split(opts, ","), "omitempty") {
			out = append(out, name)
		}
	}
	return out
}()

// TimeFormat is how timestamps are stored: RFC 3339, UTC, millisecond precision (sorts as text).
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// FormatTime renders t in TimeFormat (UTC).
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// encodeOptions store every time.Time of the URL table in TimeFormat.
func encodeOptions(o *attributevalue.EncoderOptions) {
	o.EncodeTime = func(t time.Time) (types.AttributeValue, error) { return stringAV(FormatTime(t)), nil }
}

// decodeOptions read any RFC 3339 time (items written before TimeFormat had sub-millisecond digits or
// none), in UTC; an empty string is the zero time.
func decodeOptions(o *attributevalue.DecoderOptions) {
	o.DecodeTime.S = func(s string) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q is not RFC 3339", s)
		}
		return t.UTC(), nil
	}
}

// MarshalTarget encodes t as a URL-table item.
func MarshalTarget(t target.Target) (map[string]types.AttributeValue, error) {
	av, err := attributevalue.MarshalMapWithOptions(targetItem{Target: t, Kind: KindTarget}, encodeOptions)
	if err != nil {
		return nil, fmt.Errorf("encode target %s: %w", t.ID, err)
	}
	return av, nil
}

// MarshalLastCheck encodes a check result as the map stored in the last_check attribute: the
// attributevalue encoding of target.LastCheck's dynamodbav tags (held to it by
// TestMarshalLastCheckIsTheAttributeValueEncoding), written out because the crawler encodes one per
// target per run and reflection was a tenth of a run's own CPU.
func MarshalLastCheck(c target.LastCheck) (types.AttributeValue, error) {
	n := func(f float64) types.AttributeValue {
		return &types.AttributeValueMemberN{Value: strconv.FormatFloat(f, 'f', -1, 64)}
	}
	m := map[string]types.AttributeValue{
		"checked_at":  stringAV(FormatTime(c.CheckedAt)),
		"available":   &types.AttributeValueMemberBOOL{Value: c.Available},
		"status_code": numberAV(int64(c.StatusCode)),
		"latency_ms":  n(c.LatencyMS),
		"dns_ms":      n(c.DNSMS),
		"connect_ms":  n(c.ConnectMS),
		"tls_ms":      n(c.TLSMS),
		"ttfb_ms":     n(c.TTFBMS),
		"attempts":    numberAV(int64(c.Attempts)),
		"error":       stringAV(c.Error),
	}
	if c.CertDaysRemaining != nil {
		m["cert_days_remaining"] = numberAV(int64(*c.CertDaysRemaining))
	}
	return &types.AttributeValueMemberM{Value: m}, nil
}

// UnmarshalTarget decodes a URL-table item of kind "target".
func UnmarshalTarget(av map[string]types.AttributeValue) (target.Target, error) {
	var it targetItem
	if err := attributevalue.UnmarshalMapWithOptions(av, &it, decodeOptions); err != nil {
		id, _ := av[AttrID].(*types.AttributeValueMemberS)
		if id == nil {
			id = &types.AttributeValueMemberS{}
		}
		return target.Target{}, fmt.Errorf("decode target item %q: %w", id.Value, err)
	}
	if it.Kind != KindTarget {
		return target.Target{}, fmt.Errorf("decode target item %q: kind is %q, not %q", it.ID, it.Kind, KindTarget)
	}
	return it.Target, nil
}
