package store

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/target"
)

const (
	tokID  = "0f8fad5bd9cb469fa16570867728950e"
	tokID2 = "1f8fad5bd9cb469fa16570867728950e"
	tokSK  = "2026-11-21T10:00:00.000Z#5a5b2c8e-1f2d-4c8e-9f0a-0123456789ab"
)

// withSum builds a token from a raw payload with a correct checksum, to reach the structural checks.
func withSum(payload string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte(payload), tokenSum([]byte(payload))...))
}

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	tok := encodeTargetsToken(tokID)
	assert.NotContains(t, tok, tokID, "opaque: the id is not readable as such")
	assert.Regexp(t, `^[A-Za-z0-9_-]+$`, tok, "safe in a query string")
	id, err := decodeTargetsToken(tok)
	require.NoError(t, err)
	assert.Equal(t, tokID, id)

	sk, err := decodeAlarmsToken(encodeAlarmsToken(tokID, tokSK), tokID)
	require.NoError(t, err)
	assert.Equal(t, tokSK, sk)
	sk, err = decodeAlarmsToken(encodeAlarmsToken(tokID, "2026-11-21T10:00:00.000Z#sha256-00ff"), tokID)
	require.NoError(t, err)
	assert.Equal(t, "2026-11-21T10:00:00.000Z#sha256-00ff", sk)
}

func TestTargetsTokenRejects(t *testing.T) {
	t.Parallel()
	valid := encodeTargetsToken(tokID)
	raw, err := base64.RawURLEncoding.DecodeString(valid)
	require.NoError(t, err)
	tampered := append([]byte(nil), raw...)
	tampered[10] ^= 0x01
	cases := map[string]string{
		"not base64":         "%%%",
		"std alphabet":       strings.NewReplacer("-", "+", "_", "/").Replace(valid) + "+/",
		"padding":            valid + "==",
		"truncated":          valid[:len(valid)-1],
		"only checksum":      base64.RawURLEncoding.EncodeToString(raw[len(raw)-tokenSumLen:]),
		"tampered payload":   base64.RawURLEncoding.EncodeToString(tampered),
		"checksum dropped":   base64.RawURLEncoding.EncodeToString(raw[:len(raw)-tokenSumLen]),
		"too long":           strings.Repeat("A", maxTokenLen+1),
		"alarm token":        encodeAlarmsToken(tokID, tokSK),
		"unknown field":      withSum(`{"v":1,"l":"targets","id":"` + tokID + `","x":1}`),
		"trailing json":      withSum(`{"v":1,"l":"targets","id":"` + tokID + `"}{}`),
		"not json":           withSum(`hello world`),
		"json array":         withSum(`[1,2]`),
		"wrong version":      withSum(`{"v":2,"l":"targets","id":"` + tokID + `"}`),
		"no version":         withSum(`{"l":"targets","id":"` + tokID + `"}`),
		"wrong listing":      withSum(`{"v":1,"l":"other","id":"` + tokID + `"}`),
		"missing id":         withSum(`{"v":1,"l":"targets"}`),
		"upper-case id":      withSum(`{"v":1,"l":"targets","id":"` + strings.ToUpper(tokID) + `"}`),
		"uniqueness item id": withSum(`{"v":1,"l":"targets","id":"urlkey#` + target.URLKey("https://x/") + `"}`),
		"extra alarm fields": withSum(`{"v":1,"l":"targets","id":"` + tokID + `","sk":"` + tokSK + `"}`),
		"type confusion":     withSum(`{"v":"1","l":"targets","id":"` + tokID + `"}`),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeTargetsToken(tok)
			assert.ErrorIs(t, err, ErrBadToken)
		})
	}
}

func TestAlarmsTokenRejects(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"other target":     encodeAlarmsToken(tokID2, tokSK),
		"target list":      encodeTargetsToken(tokID),
		"no sort key":      withSum(`{"v":1,"l":"alarms","t":"` + tokID + `"}`),
		"no hash":          withSum(`{"v":1,"l":"alarms","t":"` + tokID + `","sk":"2026-11-21T10:00:00.000Z"}`),
		"no message id":    withSum(`{"v":1,"l":"alarms","t":"` + tokID + `","sk":"2026-11-21T10:00:00.000Z#"}`),
		"bad time":         withSum(`{"v":1,"l":"alarms","t":"` + tokID + `","sk":"yesterday#m"}`),
		"control char":     withSum(`{"v":1,"l":"alarms","t":"` + tokID + `","sk":"2026-11-21T10:00:00.000Z#a\u0000b"}`),
		"long sort key":    withSum(`{"v":1,"l":"alarms","t":"` + tokID + `","sk":"2026-11-21T10:00:00.000Z#` + strings.Repeat("m", maxSortKeyLen) + `"}`),
		"target id field":  withSum(`{"v":1,"l":"alarms","t":"` + tokID + `","id":"` + tokID + `","sk":"` + tokSK + `"}`),
		"unparsed records": encodeAlarmsToken("_unparsed", tokSK),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeAlarmsToken(tok, tokID)
			assert.ErrorIs(t, err, ErrBadToken)
		})
	}
}

// FuzzDecodeToken: whatever a client sends, decoding ends in a value or ErrBadToken, never a panic or
// another error, and what is accepted is well formed and round-trips.
func FuzzDecodeToken(f *testing.F) {
	for _, s := range []string{
		encodeTargetsToken(tokID), encodeAlarmsToken(tokID, tokSK), "", "A", "AAAAAAAAAAAA", "%%%",
		withSum(`{"v":1,"l":"targets","id":"zz"}`), withSum(`{"v":1,"l":"alarms","t":"` + tokID + `","sk":"x#y"}`),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkDecoders(t, s)
	})
}

// FuzzTokenPayload reaches the structural checks behind the checksum: the payload is fuzzed and the
// checksum made to match, as a forger who knows the scheme would.
func FuzzTokenPayload(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"l":"targets","id":"` + tokID + `"}`,
		`{"v":1,"l":"alarms","t":"` + tokID + `","sk":"` + tokSK + `"}`,
		`{"v":1,"l":"alarms","t":"` + tokID + `","sk":"2026-11-21T10:00:00Z#\u00e9"}`,
		`{"V":1,"L":"targets","ID":"` + tokID + `"}`, `null`, `{}`, `{"v":1e0}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		checkDecoders(t, withSum(payload))
	})
}

func checkDecoders(t *testing.T, s string) {
	t.Helper()
	id, err := decodeTargetsToken(s)
	if err != nil {
		if !errors.Is(err, ErrBadToken) {
			t.Fatalf("targets token %q: error not ErrBadToken: %v", s, err)
		}
	} else {
		if !target.ValidID(id) {
			t.Fatalf("targets token %q accepted with bad id %q", s, id)
		}
		if again, err := decodeTargetsToken(encodeTargetsToken(id)); err != nil || again != id {
			t.Fatalf("id %q does not round-trip: %q, %v", id, again, err)
		}
	}
	sk, err := decodeAlarmsToken(s, tokID)
	if err != nil {
		if !errors.Is(err, ErrBadToken) {
			t.Fatalf("alarms token %q: error not ErrBadToken: %v", s, err)
		}
		return
	}
	if checkAlarmSortKey(sk) != nil {
		t.Fatalf("alarms token %q accepted with bad sort key %q", s, sk)
	}
	if again, err := decodeAlarmsToken(encodeAlarmsToken(tokID, sk), tokID); err != nil || again != sk {
		t.Fatalf("sort key %q does not round-trip: %q, %v", sk, again, err)
	}
	if _, err := decodeAlarmsToken(s, tokID2); !errors.Is(err, ErrBadToken) {
		t.Fatalf("alarms token %q accepted for another target", s)
	}
}
