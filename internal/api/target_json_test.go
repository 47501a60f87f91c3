package api

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/target"
)

// fillAll sets every field reachable from v (a pointer) to a non-zero value that differs per field,
// so a field of target.Target missing from the API's encoding shows in the comparison.
func fillAll(t *testing.T, v reflect.Value, seed *int) {
	t.Helper()
	*seed++
	n := *seed
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(t, v.Elem(), seed)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 21, 10, n, 3, n*1_000_000+7, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fillAll(t, v.Field(i), seed)
		}
	case reflect.String:
		v.SetString("v<&>\u2028" + string(rune('a'+n%26)) + "\xff")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(n))
	case reflect.Float64:
		v.SetFloat(float64(n) + 0.25)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillAll(t, v.Index(i), seed)
		}
	default:
		require.Failf(t, "fillAll", "no filler for %s (%s): extend it", v.Type(), v.Kind())
	}
}

// TestTargetJSONMatchesTarget: the API answers the JSON document json.Marshal gives for target.Target
// (names, values, omitempty, time format; the order of the members may differ), with every field set,
// with none set, and for a target that has no last_check; and the times keep their nanoseconds and zone
// as time.Time's JSON does.
func TestTargetJSONMatchesTarget(t *testing.T) {
	t.Parallel()
	full := target.Target{}
	seed := 0
	fillAll(t, reflect.ValueOf(&full).Elem(), &seed)
	require.NotNil(t, full.LastCheck)
	require.NotNil(t, full.LastCheck.CertDaysRemaining)
	noCheck := full
	noCheck.LastCheck = nil
	zone := full
	zone.CreatedAt = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("", 5*3600+30*60))

	for _, tc := range []struct {
		name string
		in   target.Target
	}{
		{"every field set", full},
		{"zero target", target.Target{}},
		{"no last_check", noCheck},
		{"time with nanoseconds and an offset", zone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want, err := json.Marshal(tc.in)
			require.NoError(t, err)
			got, err := json.Marshal(targetBody(tc.in))
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(got))
		})
	}

	t.Run("page", func(t *testing.T) {
		t.Parallel()
		page := []target.Target{full, noCheck}
		want, err := json.Marshal(listBody[target.Target]{Items: page, NextToken: "n"})
		require.NoError(t, err)
		got, err := encodeBody(listReply(targetsBody(page), "n").body)
		require.NoError(t, err)
		assert.JSONEq(t, string(want), got)
		empty, err := encodeBody(listReply(targetsBody(nil), "").body)
		require.NoError(t, err)
		assert.JSONEq(t, `{"items": []}`, empty)
	})
}

// TestTargetJSONShadowsEveryTime: every time.Time of the model is answered through textTime (see
// targetJSON), so a time field added to target.Target or target.LastCheck needs its shadow here.
func TestTargetJSONShadowsEveryTime(t *testing.T) {
	t.Parallel()
	for _, pair := range []struct{ model, answer reflect.Type }{
		{reflect.TypeFor[target.Target](), reflect.TypeFor[targetJSON]()},
		{reflect.TypeFor[target.LastCheck](), reflect.TypeFor[lastCheckJSON]()},
	} {
		for i := range pair.model.NumField() {
			f := pair.model.Field(i)
			if f.Type != reflect.TypeFor[time.Time]() {
				continue
			}
			shadow, ok := pair.answer.FieldByName(f.Name)
			if assert.True(t, ok, "%s.%s", pair.answer, f.Name) {
				assert.Equal(t, reflect.TypeFor[textTime](), shadow.Type, "%s.%s is not shadowed by textTime", pair.answer, f.Name)
				assert.Equal(t, f.Tag.Get("json"), shadow.Tag.Get("json"), "%s.%s", pair.answer, f.Name)
			}
		}
	}
	lc, ok := reflect.TypeFor[targetJSON]().FieldByName("LastCheck")
	require.True(t, ok)
	assert.Equal(t, reflect.TypeFor[*lastCheckJSON](), lc.Type, "last_check is answered through lastCheckJSON")
}

// TestEncodeBodyIsMarshal: the answer body is exactly json.Marshal's document (HTML-safe escaping, no
// trailing newline), for a target, an error and a page.
func TestEncodeBodyIsMarshal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"target", targetBody(target.Target{ID: "a", URL: "https://example.com/?a=1&b=<2>", Name: "\u2028\xff"})},
		{"error", errorReply(fieldError(CodeInvalidField, "url", `url "<x>" & more`)).body},
		{"page", listReply([]targetJSON{}, "t").body},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want, err := json.Marshal(tc.v)
			require.NoError(t, err)
			got, err := encodeBody(tc.v)
			require.NoError(t, err)
			assert.Equal(t, string(want), got)
		})
	}
}
