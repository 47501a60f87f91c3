package target

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/webhealth/webhealth/internal/netguard"
)

func TestCheckURLNormalizes(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"https://example.com", "https://example.com/"},
		{"HTTPS://Example.COM:443/Path?q=1#frag", "https://example.com/Path?q=1"},
		{"http://example.com:80/a", "http://example.com/a"},
		{"http://example.com:443/a", "http://example.com:443/a"},
		{"https://example.com:80/a", "https://example.com:80/a"},
		{"https://example.com:8443", "https://example.com:8443/"},
		{"  https://example.com/x  ", "https://example.com/x"},
		{"http://[2606:2800:220:1::1]:80/", "http://[2606:2800:220:1::1]/"},
		{"http://[2606:2800:220:1:0:0:0:1]/", "http://[2606:2800:220:1::1]/"},
		{"http://[2606:2800:220:1::ABCD]/", "http://[2606:2800:220:1::abcd]/"},
		{"http://[::ffff:93.184.215.14]/", "http://93.184.215.14/"},
		{"https://例え.jp/", "https://xn--r8jz45g.jp/"},
		{"https://XN--R8JZ45G.jp/", "https://xn--r8jz45g.jp/"},
		{"https://faß.de/", "https://xn--fa-hia.de/"},
		{"https://אב.example/", "https://xn--4dbc.example/"},
		{"https://r3---sn-abc.googlevideo.com/", "https://r3---sn-abc.googlevideo.com/"},
		{"https://host_name.example/", "https://host_name.example/"},
		{"https://example.com/a%20b", "https://example.com/a%20b"},
		{"https://example.com/a%2fb", "https://example.com/a%2Fb"},
		{"https://example.com/%7euser/%41%62%2D%2e%5F", "https://example.com/~user/Ab-._"},
		{"https://example.com/例", "https://example.com/%E4%BE%8B"},
		{"https://example.com/a[1]", "https://example.com/a%5B1%5D"},
		{"https://example.com/?q=%e4%be%8b&r=%7E", "https://example.com/?q=%E4%BE%8B&r=~"},
		{"https://example.com/?a=1;b=/?c", "https://example.com/?a=1;b=/?c"},
		{"https://example.com/?q=例", "https://example.com/?q=%E4%BE%8B"},
		{"https://example.com?x", "https://example.com/?x"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizeURL(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestCheckURLSpellingsCollapse: every spelling of one URL gives one normalized URL and one URLKey,
// so the store's uniqueness check sees one target however the host or path was written.
func TestCheckURLSpellingsCollapse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		want      string
		spellings []string
	}{
		{"ascii host", "https://example.com/", []string{
			"https://example.com",
			"HTTPS://EXAMPLE.COM:443/",
			"https://example.com./",
			"https://ｅｘａｍｐｌｅ．ｃｏｍ/",       // fullwidth letters and full stop
			"https://example。com/",       // ideographic full stop
			"https://example｡com/",       // halfwidth ideographic full stop
			"https://ＥＸＡＭＰＬＥ.ｃｏｍ．/",      // fullwidth capitals, fullwidth trailing dot
			"https://ex%61mple.com/",     // escaped unreserved letter in the host
			"https://ex%61mple%2Ecom/",   // and an escaped dot
			"https://exa\u00admple.com/", // soft hyphen, mapped to nothing
			"https://example.com/#top",
		}},
		{"idn host", "https://xn--r8jz45g.jp/", []string{
			"https://例え.jp/",
			"https://xn--r8jz45g.jp/",
			"https://XN--R8JZ45G.JP./",
			"https://ｘｎ--ｒ８ｊｚ４５ｇ.ｊｐ/",
			"https://%E4%BE%8B%E3%81%88.jp/",
			"https://%e4%be%8b%e3%81%88。jp/",
		}},
		{"ipv4 host", "http://93.184.215.14:8080/", []string{
			"http://93.184.215.14:8080/",
			"http://９３．１８４．２１５．１４:8080/",
			"http://93。184。215。14:8080",
			"http://93.184.215.14.:8080/",
			"http://[::ffff:93.184.215.14]:8080/",
			"http://[::FFFF:5DB8:D70E]:8080/",
		}},
		{"path and query", "https://example.com/~user/a%2Fb?q=%E4%BE%8B&t=~", []string{
			"https://example.com/~user/a%2Fb?q=%E4%BE%8B&t=~",
			"https://example.com/%7Euser/a%2fb?q=%e4%be%8b&t=%7e",
			"https://example.com/%7euser/%61%2fb?q=例&t=~",
			"https://example.com/~%75%73%65%72/a%2Fb?%71=%E4%BE%8B&t=%7E#frag",
		}},
	}
	seen := map[string]string{}
	for _, tc := range cases {
		seen[URLKey(tc.want)] = tc.name
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, s := range tc.spellings {
				got, err := NormalizeURL(s)
				require.NoError(t, err, s)
				assert.Equal(t, tc.want, got, s)
				assert.Equal(t, URLKey(tc.want), URLKey(got), s)
			}
		})
	}
	assert.Len(t, seen, len(cases), "the groups are distinct URLs")
}

// TestCheckURLKeepsApart: spellings that mean different resources stay different.
func TestCheckURLKeepsApart(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, a, b string }{
		{"escaped slash is not a slash", "https://example.com/a%2Fb", "https://example.com/a/b"},
		{"escaped question mark is not a query", "https://example.com/a%3Fb", "https://example.com/a?b"},
		{"escaped ampersand in a query", "https://example.com/?a=1%262", "https://example.com/?a=1&2"},
		{"plus is not an escaped plus", "https://example.com/?q=a+b", "https://example.com/?q=a%2Bb"},
		{"path case is significant", "https://example.com/Path", "https://example.com/path"},
		{"eszett is not ss (non-transitional)", "https://faß.de/", "https://fass.de/"},
		{"a non-default port", "https://example.com:8443/", "https://example.com/"},
		{"the scheme", "http://example.com/", "https://example.com/"},
		{"an empty query", "https://example.com/?", "https://example.com/"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, err := NormalizeURL(tc.a)
			require.NoError(t, err)
			b, err := NormalizeURL(tc.b)
			require.NoError(t, err)
			assert.NotEqual(t, URLKey(a), URLKey(b), "%s and %s", a, b)
		})
	}
}

func TestCheckURLRejects(t *testing.T) {
	t.Parallel()
	public := netguard.New(false)
	cases := []struct {
		name, in, msg string
	}{
		{"empty", "", "required"},
		{"too long", "https://example.com/" + strings.Repeat("a", MaxURLLength), "at most"},
		{"too long once escaped", "https://example.com/" + strings.Repeat(`"`, 700), "must be at most 2048 bytes once normalized"},
		{"too long once in punycode", "https://例え.jp/" + strings.Repeat("a", MaxURLLength-len("https://例え.jp/")), "once normalized"},
		{"ftp", "ftp://example.com/", "scheme must be http or https"},
		{"no scheme", "example.com/path", "scheme must be http or https"},
		{"javascript", "javascript:alert(1)", "scheme must be http or https"},
		{"opaque", "http:example.com", "absolute"},
		{"no host", "https:///path", "must have a host"},
		{"host of dots only", "https://./", "must have a host"},
		{"host of an ideographic full stop", "https://。/", "must have a host"},
		{"host mapped to nothing", "https://\u00ad/", "must have a host"},
		{"userinfo", "https://user:pass@example.com/", "user information"},
		{"user only", "https://user@example.com/", "user information"},
		{"bad port", "https://example.com:99999/", "port"},
		{"zero port", "https://example.com:0/", "port"},
		{"space", "https://exa mple.com/", "spaces or control"},
		{"control", "https://example.com/\x00", "spaces or control"},
		{"loopback", "http://127.0.0.1/", "not allowed"},
		{"loopback v6", "http://[::1]:8080/", "not allowed"},
		{"private", "http://10.0.0.5/", "not allowed"},
		{"link-local", "http://169.254.1.1/", "not allowed"},
		{"metadata", "http://169.254.169.254/latest/meta-data/", "refused always"},
		{"metadata v6", "http://[fd00:ec2::254]/", "refused always"},
		{"metadata v4-mapped", "http://[::ffff:169.254.169.254]/", "refused always"},
		{"metadata fullwidth digits", "http://１６９.２５４.１６９.２５４/", `"１６９.２５４.１６９.２５４" (read as "169.254.169.254") is not allowed: 169.254.169.254 is refused always`},
		{"metadata fullwidth digits and dots", "http://１６９．２５４．１６９．２５４/latest/meta-data/", "refused always"},
		{"metadata ideographic full stops", "http://169。254。169。254/", "refused always"},
		{"metadata trailing dot", "http://169.254.169.254./", "refused always"},
		{"metadata escaped digit", "http://169.254.169.%32%35%34/", "refused always"},
		{"metadata circled digits", "http://①⑥⑨.②⑤④.①⑥⑨.②⑤④/", "refused always"},
		{"loopback fullwidth", "http://１２７．０．０．１/", `(read as "127.0.0.1") is not allowed`},
		{"loopback halfwidth ideographic stops", "http://127｡0｡0｡1:8080/", "not allowed"},
		{"private fullwidth", "http://１０.０.０.５/", "not allowed"},
		{"zone", "http://[fe80::1%25eth0]/", "zone"},
		{"ipv4 in brackets", "http://[127.0.0.1]/", "not a valid URL"},
		{"fullwidth ipv6 in brackets", "http://[：：１]/", "not a valid URL"},
		{"fullwidth ipv6 without brackets", "http://１：：１/", "not allowed in a host name"},
		{"decimal ip", "http://2130706433/", "numeric address"},
		{"short ip", "http://127.1/", "numeric address"},
		{"hex ip", "http://0x7f.0.0.1/", "numeric address"},
		{"leading zeros", "http://127.000.000.001/", "numeric address"},
		{"fullwidth decimal metadata", "http://２８５２０３９１６６/", `(read as "2852039166") looks like a numeric address`},
		{"fullwidth hex loopback", "http://０ｘ７ｆ.１/", `(read as "0x7f.1") looks like a numeric address`},
		{"fullwidth short loopback", "http://１２７。１/", "numeric address"},
		{"bad host char", "http://exa$mple.com/", "not allowed in a host name"},
		{"fullwidth colon in the host", "http://example.com：8080/", "not allowed in a host name"},
		{"fullwidth solidus in the host", "http://example.com／evil/", "not allowed in a host name"},
		{"ideographic space in the host", "http://exa\u3000mple.com/", "not allowed in a host name"},
		{"parenthesized digit maps to parentheses", "http://⑴.example/", "not allowed in a host name"},
		{"escaped reserved character in the host", "http://ex%2Fample.com/", "not a valid URL"},
		{"empty label", "http://example..com/", "empty label"},
		{"two trailing dots", "http://example.com../", "empty label"},
		{"leading dot", "http://.example.com/", "empty label"},
		{"label too long", "http://" + strings.Repeat("a", 64) + ".example/", "longer than 63"},
		{"host too long", "http://" + strings.Repeat(strings.Repeat("a", 60)+".", 5) + "example/", "at most 253"},
		{"host not UTF-8 once unescaped", "http://%FF.example/", "valid UTF-8"},
		{"disallowed rune", "http://exa\u2488mple.com/", "not a valid domain name: disallowed rune U+2488"},
		{"unassigned rune", "http://\u0378.example/", "not a valid domain name"},
		{"bad punycode", "http://xn--a.example/", "not a valid domain name"},
		{"punycode of fullwidth letters", "http://xn--mi7cc.example/", "not a valid domain name"},
		{"punycode of a disallowed rune", "http://xn--a-ecp.example/", "not a valid domain name"},
		{"punycode of a soft hyphen", "http://xn--kba.example/", "not a valid domain name"},
		{"combining mark first", "http://\u0301a.example/", "not a valid domain name"},
		{"zero width joiner out of context", "http://a\u200db.example/", "not a valid domain name"},
		{"bidi rule", "http://a\u05d0.example/", "not a valid domain name"},
		{"bad query escape", "https://example.com/?q=%zz", "query has an invalid percent-escape"},
		{"truncated query escape", "https://example.com/?q=%4", "query has an invalid percent-escape"},
		{"bad path escape", "https://example.com/%zz", "not a valid URL"},
		{"bad utf8", "https://example.com/\xff", "UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := CheckURL(tc.in, public)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			var fe *FieldError
			require.True(t, errors.As(err, &fe))
			assert.Equal(t, "url", fe.Field)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestCheckURLPrivateAllowed(t *testing.T) {
	t.Parallel()
	private := netguard.New(true)
	for _, in := range []string{"http://127.0.0.1:8080/health", "http://10.1.2.3/", "http://[::1]/", "http://１２７．０．０．１:8080/"} {
		_, err := CheckURL(in, private)
		assert.NoError(t, err, in)
	}
	for _, in := range []string{"http://169.254.169.254/", "http://１６９．２５４．１６９．２５４/", "http://169。254。169。254./"} {
		_, err := CheckURL(in, private)
		assert.ErrorContains(t, err, "refused always", "metadata stays refused with private targets allowed: %s", in)
	}
}

func TestURLKeyStableAcrossSpellings(t *testing.T) {
	t.Parallel()
	a, err := NormalizeURL("HTTP://Example.com:80/x#top")
	require.NoError(t, err)
	b, err := NormalizeURL("http://example.com/x")
	require.NoError(t, err)
	assert.Equal(t, URLKey(a), URLKey(b))
	c, err := NormalizeURL("http://example.com/y")
	require.NoError(t, err)
	assert.NotEqual(t, URLKey(a), URLKey(c))
}

func TestDisplayHost(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"https://例え.jp/", "例え.jp"},
		{"https://xn--r8jz45g.jp/", "例え.jp"},
		{"https://Example.com/", "example.com"},
		{"https://r3---sn-abc.googlevideo.com/", "r3---sn-abc.googlevideo.com"},
		{"http://[2606:2800:220:1::1]:8080/", "2606:2800:220:1::1"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			u, err := CheckURL(tc.in, nil)
			require.NoError(t, err)
			assert.Equal(t, tc.want, DisplayHost(u))
		})
	}
}

// FuzzCheckURL: whatever the input, a URL that passes is normalized idempotently, parses, keeps an
// http(s) scheme and an ASCII host, carries no userinfo or fragment, and never names a refused
// address: neither as the literal it became nor as the literal its host reads as under a
// compatibility mapping (NFKC, case folded, the full-stop variants as dots) checked independently.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com", "HTTP://EXAMPLE.com:80/a#b", "http://[::1]/", "http://169.254.169.254/",
		"https://u:p@host/", "http://127.1/", "http://[fe80::1%25en0]/", "https://example.com:8443/p?q=1",
		"http://[::ffff:169.254.169.254]/", "http://0x7f.1/", "https://例え.jp/", "https://xn--r8jz45g.jp/",
		"http://１６９.２５４.１６９.２５４/", "http://１２７．０．０．１/", "http://127。0。0。1./", "http://２８５２０３９１６６/",
		"https://ｅｘａｍｐｌｅ．ｃｏｍ/", "https://example.com./%7euser?q=%e4%be%8b", "https://ex%61mple.com/a%2fb",
		"https://faß.de/", "http://①⑥⑨.②⑤④.①⑥⑨.②⑤④/", "https://example.com/a[1]?q=例", "http://xn--a.example/",
		"https://a\u200db.example/", "http://[::FFFF:A9FE:A9FE]/", "http://169.254.169.%32%35%34/",
	} {
		f.Add(s)
	}
	policy := netguard.New(false)
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := CheckURL(raw, policy)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not marked invalid: %v", err)
			}
			return
		}
		got := u.String()
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("scheme %q passed", u.Scheme)
		}
		if u.Hostname() == "" || u.User != nil || u.Fragment != "" || u.RawFragment != "" {
			t.Fatalf("bad normalized URL %q", got)
		}
		for i := range len(got) {
			if got[i] >= utf8.RuneSelf || got[i] <= ' ' {
				t.Fatalf("normalized URL %q has byte %#x", got, got[i])
			}
		}
		parsed, err := url.Parse(got)
		if err != nil {
			t.Fatalf("normalized %q does not parse: %v", got, err)
		}
		if parsed.User != nil || parsed.Fragment != "" || parsed.Hostname() != u.Hostname() {
			t.Fatalf("normalized %q parses to another URL", got)
		}
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil && policy.CheckAddr(ip) != nil {
			t.Fatalf("refused address %s passed as %q", ip, got)
		}
		if ip, ok := compatibilityAddr(raw); ok && policy.CheckAddr(ip) != nil {
			t.Fatalf("%q reads as the refused address %s, yet passed as %q", raw, ip, got)
		}
		if numericHost.MatchString(u.Hostname()) {
			if _, err := netip.ParseAddr(u.Hostname()); err != nil {
				t.Fatalf("numeric host %q passed", u.Hostname())
			}
		}
		again, err := CheckURL(got, policy)
		if err != nil {
			t.Fatalf("normalized %q no longer valid: %v", got, err)
		}
		if again.String() != got {
			t.Fatalf("normalization not idempotent: %q -> %q", got, again.String())
		}
	})
}

// compatibilityAddr reads the host of raw the way a lenient resolver might, independently of
// CheckURL: unescaped, NFKC-normalized, lower-cased, the full-stop variants as dots, one trailing
// dot dropped; it reports the IP address that gives, if any.
func compatibilityAddr(raw string) (netip.Addr, bool) {
	u, err := url.Parse(strings.TrimSpace(decodeAuthority(raw)))
	if err != nil {
		return netip.Addr{}, false
	}
	h := strings.ToLower(norm.NFKC.String(u.Hostname()))
	h = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".").Replace(h)
	ip, err := netip.ParseAddr(strings.TrimSuffix(h, "."))
	return ip, err == nil
}

// FuzzMapHostASCII: the shortcut for plain ASCII hosts gives what the IDNA profile gives.
func FuzzMapHostASCII(f *testing.F) {
	for _, s := range []string{"Example.COM", "example.com.", "a_b.example", "r3---sn.example", "exa$mple.com", "-a-.b", "..", "", "XN--R8JZ45G.jp", "axn--b.c", "1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if !plainASCII(host) {
			return
		}
		got, err := mapHost(host)
		if err != nil {
			t.Fatalf("%q: %v", host, err)
		}
		want, err := mapHostIDNA(host)
		if err != nil {
			t.Fatalf("%q: the profile refuses what the shortcut takes: %v", host, err)
		}
		if got != want {
			t.Fatalf("%q: shortcut %q, profile %q", host, got, want)
		}
	})
}
