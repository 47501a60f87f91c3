package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/webhealth/webhealth/internal/target"
)

// ErrBadToken marks a next_token that this store did not issue for this listing: not base64url,
// truncated, altered, from another listing (an alarm-history token for another target, a target-list
// token used on alarms) or structurally invalid. It is the caller's fault (HTTP 400) and is never
// passed on to DynamoDB.
var ErrBadToken = errors.New("invalid page token")

// Page tokens are opaque to clients: base64url (no padding) of a small JSON document followed by an
// 8-byte checksum over it. The checksum is not a secret MAC: it catches truncated, corrupted and
// hand-edited tokens. A deliberately recomputed token can only move the start of a page within the
// same listing (the listing and, for alarm history, the target id are checked), which exposes nothing
// the caller could not read by paging from the start.
const (
	tokenVersion   = 1
	tokenSumLen    = 8
	maxTokenLen    = 1024 // encoded characters; real tokens are well under 300
	tokenSumDomain = "webhealth/page-token/v1\x00"

	listingTargets = "targets"
	listingAlarms  = "alarms"

	maxSortKeyLen = 1024 // DynamoDB's limit for a sort key
)

// pageToken is the decoded token. Fields are short: the token travels in query strings.
type pageToken struct {
	V  int    `json:"v"`
	L  string `json:"l"`            // listing: targets | alarms
	ID string `json:"id,omitempty"` // targets: id of the last returned target
	T  string `json:"t,omitempty"`  // alarms: target id of the listing
	SK string `json:"sk,omitempty"` // alarms: sort key of the last returned record
}

func tokenSum(payload []byte) []byte {
	h := sha256.New()
	h.Write([]byte(tokenSumDomain))
	h.Write(payload)
	return h.Sum(nil)[:tokenSumLen]
}

func encodeToken(tok pageToken) string {
	tok.V = tokenVersion
	payload, err := json.Marshal(tok)
	if err != nil { // a struct of strings and an int always marshals
		panic(fmt.Sprintf("encode page token: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(append(payload, tokenSum(payload)...))
}

func badToken(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadToken, fmt.Sprintf(format, args...))
}

// decodeToken checks encoding, checksum and JSON shape, and that the token belongs to listing.
func decodeToken(s, listing string) (pageToken, error) {
	if len(s) > maxTokenLen {
		return pageToken{}, badToken("longer than %d characters", maxTokenLen)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return pageToken{}, badToken("not base64url")
	}
	if len(raw) <= tokenSumLen {
		return pageToken{}, badToken("too short")
	}
	payload, sum := raw[:len(raw)-tokenSumLen], raw[len(raw)-tokenSumLen:]
	if !bytes.Equal(sum, tokenSum(payload)) {
		return pageToken{}, badToken("checksum mismatch")
	}
	var tok pageToken
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tok); err != nil {
		return pageToken{}, badToken("malformed payload")
	}
	if dec.More() {
		return pageToken{}, badToken("trailing data")
	}
	if tok.V != tokenVersion {
		return pageToken{}, badToken("unsupported version %d", tok.V)
	}
	if tok.L != listing {
		return pageToken{}, badToken("issued for another listing")
	}
	return tok, nil
}

// encodeTargetsToken continues a target list after the target lastID.
func encodeTargetsToken(lastID string) string {
	return encodeToken(pageToken{L: listingTargets, ID: lastID})
}

// decodeTargetsToken returns the id of the last target of the previous page.
func decodeTargetsToken(s string) (string, error) {
	tok, err := decodeToken(s, listingTargets)
	if err != nil {
		return "", err
	}
	if tok.T != "" || tok.SK != "" {
		return "", badToken("unexpected fields for a target list")
	}
	if !target.ValidID(tok.ID) {
		return "", badToken("bad target id")
	}
	return tok.ID, nil
}

// encodeAlarmsToken continues targetID's alarm history after the record with sort key sk.
func encodeAlarmsToken(targetID, sk string) string {
	return encodeToken(pageToken{L: listingAlarms, T: targetID, SK: sk})
}

// decodeAlarmsToken returns the sort key of the last record of the previous page of targetID's history.
func decodeAlarmsToken(s, targetID string) (string, error) {
	tok, err := decodeToken(s, listingAlarms)
	if err != nil {
		return "", err
	}
	if tok.ID != "" {
		return "", badToken("unexpected fields for an alarm history")
	}
	if tok.T != targetID {
		return "", badToken("issued for another target")
	}
	if err := checkAlarmSortKey(tok.SK); err != nil {
		return "", err
	}
	return tok.SK, nil
}

// checkAlarmSortKey validates the shape design.md gives the alarm table's sort key:
// "<RFC 3339 time>#<SNS MessageId>".
func checkAlarmSortKey(sk string) error {
	if sk == "" || len(sk) > maxSortKeyLen || !utf8.ValidString(sk) {
		return badToken("bad sort key")
	}
	ts, msgID, ok := strings.Cut(sk, "#")
	if !ok || msgID == "" {
		return badToken("bad sort key")
	}
	if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
		return badToken("bad sort key time")
	}
	for _, r := range msgID {
		if r < 0x20 || r == 0x7f {
			return badToken("bad sort key message id")
		}
	}
	return nil
}
