package target

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolveName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   *string
		url  string
		want string
	}{
		{"absent: the host", nil, "https://Example.com/x", "example.com"},
		{"empty: the host", ptr(""), "https://example.com/", "example.com"},
		{"blank: the host", ptr(" \t\n "), "https://example.com/", "example.com"},
		{"absent, IDN host: the host in Unicode", nil, "https://xn--r8jz45g.jp/", "例え.jp"},
		{"absent, fullwidth host: the mapped host", nil, "https://ｅｘａｍｐｌｅ．ｃｏｍ/", "example.com"},
		{"trimmed, spaces and line breaks at the ends", ptr("\r\n\t My site \n"), "https://example.com/", "My site"},
		{"unicode", ptr("Überwachung — 監視 ✓"), "https://example.com/", "Überwachung — 監視 ✓"},
		{"emoji with zero width joiners", ptr("team 👩‍💻 on call"), "https://example.com/", "team 👩‍💻 on call"},
		{"zero width non-joiner in Persian", ptr("می\u200cخواهم"), "https://example.com/", "می\u200cخواهم"},
		{"right-to-left text with a bidi mark", ptr("שלום 2024\u200f"), "https://example.com/", "שלום 2024\u200f"},
		{"arabic letter mark", ptr("مرحبا\u061c 1"), "https://example.com/", "مرحبا\u061c 1"},
		{"left-to-right mark", ptr("a\u200eb"), "https://example.com/", "a\u200eb"},
		{"128 characters of several bytes", ptr(strings.Repeat("é", MaxNameLength)), "https://example.com/", strings.Repeat("é", MaxNameLength)},
		{"128 characters once trimmed", ptr("  " + strings.Repeat("n", MaxNameLength) + "  "), "https://example.com/", strings.Repeat("n", MaxNameLength)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Resolve(Spec{URL: tc.url, Name: tc.in}, nil, testNow)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.Name)
		})
	}
}

func TestResolveNameRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, msg string
	}{
		{"NUL", "a\x00b", "must not contain control characters: U+0000 at character 2"},
		{"ESC of a terminal colour", "ok\x1b[31mDOWN", "must not contain control characters: U+001B at character 3"},
		{"CR", "site\rAlarm: OK", "U+000D at character 5"},
		{"LF", "site\nSubject: forged", "U+000A at character 5"},
		{"CRLF", "site\r\nBcc: x", "U+000D at character 5"},
		{"TAB inside", "a\tb", "U+0009 at character 2"},
		{"DEL", "a\x7fb", "U+007F at character 2"},
		{"C1 NEL", "a\u0085b", "U+0085 at character 2"},
		{"C1 CSI", "a\u009b31mb", "U+009B at character 2"},
		{"line separator", "a\u2028b", "must not contain line or paragraph separators: U+2028 at character 2"},
		{"paragraph separator", "a\u2029b", "U+2029 at character 2"},
		{"LRE", "a\u202ab", "must not contain bidirectional embedding, override or isolate characters: U+202A at character 2"},
		{"RLE", "a\u202bb", "U+202B at character 2"},
		{"PDF", "a\u202cb", "U+202C at character 2"},
		{"LRO", "a\u202db", "U+202D at character 2"},
		{"RLO", "invoice\u202efdp.exe", "U+202E at character 8"},
		{"LRI", "a\u2066b", "U+2066 at character 2"},
		{"RLI", "a\u2067b", "U+2067 at character 2"},
		{"FSI", "a\u2068b", "U+2068 at character 2"},
		{"PDI", "a\u2069b", "U+2069 at character 2"},
		{"position counts characters as sent", "  ünïcödé\x1b", "U+001B at character 10"},
		{"control at the end, before trailing space", "name\x00 ", "U+0000 at character 5"},
		{"control at the start, after leading space", " \x07name", "U+0007 at character 2"},
		{"too long", strings.Repeat("n", MaxNameLength+1), "must be at most 128 characters"},
		{"too long in characters, not bytes", strings.Repeat("é", MaxNameLength+1), "must be at most 128 characters"},
		{"invalid UTF-8", "a\xffb", "must be valid UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Resolve(Spec{URL: "https://example.com/", Name: ptr(tc.in)}, nil, testNow)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			var fe *FieldError
			require.True(t, errors.As(err, &fe))
			assert.Equal(t, "name", fe.Field)
			assert.Contains(t, fe.Message, tc.msg)
		})
	}
}

// FuzzName: a name is accepted exactly when, once trimmed, it is valid UTF-8 of at most 128
// characters with no refused character; an accepted name is stored trimmed, and a refusal names the
// character and its position in the name as sent.
func FuzzName(f *testing.F) {
	for _, s := range []string{
		"", " ", "Health", "  Health  ", "a\x00b", "ok\x1b[31m", "a\r\nb", "\tname\t", "a\u202eb", "a\u2066b",
		"שלום\u200f", "👩‍💻", "a\u2028b", "a\u0085b", "é\x7f", "a\xffb", strings.Repeat("n", MaxNameLength+1),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := Resolve(Spec{URL: "https://example.com/", Name: &raw}, nil, testNow)
		trimmed := strings.TrimSpace(raw)
		var bad []rune
		for _, r := range trimmed {
			if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
				bad = append(bad, r)
			}
		}
		valid := utf8.ValidString(raw)
		long := utf8.RuneCountInString(trimmed) > MaxNameLength
		if err == nil {
			if !valid || long || len(bad) > 0 {
				t.Fatalf("%q accepted as %q", raw, got.Name)
			}
			want := trimmed
			if want == "" {
				want = "example.com"
			}
			if got.Name != want {
				t.Fatalf("%q stored as %q, want %q", raw, got.Name, want)
			}
			return
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "name" {
			t.Fatalf("%q: want a name FieldError, got %v", raw, err)
		}
		if valid && !long && len(bad) == 0 {
			t.Fatalf("%q refused: %v", raw, err)
		}
		if !valid || long {
			return
		}
		var r rune
		var pos int
		at := strings.Index(fe.Message, "U+")
		if at < 0 {
			t.Fatalf("%q: message %q does not name the character", raw, fe.Message)
		}
		if _, serr := fmt.Sscanf(fe.Message[at:], "U+%X at character %d", &r, &pos); serr != nil {
			t.Fatalf("%q: message %q does not name a character and position: %v", raw, fe.Message, serr)
		}
		if r != bad[0] || pos < 1 || pos > utf8.RuneCountInString(raw) || []rune(raw)[pos-1] != r {
			t.Fatalf("%q: message %q names the wrong character or position", raw, fe.Message)
		}
	})
}
