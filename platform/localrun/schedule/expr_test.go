package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseAndNext(t *testing.T) {
	t.Parallel()
	// 2026-11-21 is a Saturday.
	tests := []struct {
		expr  string
		after string
		want  []string // successive fire times
	}{
		{expr: "rate(1 minute)", after: "2026-11-21 10:00", want: []string{"2026-11-21 10:01", "2026-11-21 10:02"}},
		{expr: "rate(5 minutes)", after: "2026-11-21 10:03", want: []string{"2026-11-21 10:05", "2026-11-21 10:10"}},
		{expr: "rate(1 hour)", after: "2026-11-21 10:03", want: []string{"2026-11-21 11:00"}},
		{expr: "rate(2 days)", after: "2026-11-21 10:03", want: []string{"2026-11-23 00:00", "2026-11-25 00:00"}},
		{expr: "cron(0/5 * * * ? *)", after: "2026-11-21 10:03", want: []string{"2026-11-21 10:05", "2026-11-21 10:10"}},
		{expr: "cron(15 10 * * ? *)", after: "2026-11-21 10:15", want: []string{"2026-11-22 10:15", "2026-11-23 10:15"}},
		{expr: "cron(0 18 ? * MON-FRI *)", after: "2026-11-21 00:00", want: []string{"2026-11-23 18:00", "2026-11-24 18:00"}},
		{expr: "cron(0 8 1 * ? *)", after: "2026-11-21 00:00", want: []string{"2026-12-01 08:00", "2027-01-01 08:00"}},
		{expr: "cron(0/10 * ? * MON-FRI *)", after: "2026-11-21 12:00", want: []string{"2026-11-23 00:00", "2026-11-23 00:10"}},
		{expr: "cron(0/30 8-9 ? * 2-6 *)", after: "2026-11-23 09:30", want: []string{"2026-11-24 08:00", "2026-11-24 08:30"}},
		{expr: "cron(0 12 L * ? *)", after: "2026-11-21 00:00", want: []string{"2026-11-30 12:00", "2026-12-31 12:00", "2027-01-31 12:00"}},
		{expr: "cron(0 12 LW * ? *)", after: "2027-01-01 00:00", want: []string{"2027-01-29 12:00", "2027-02-26 12:00"}},
		{expr: "cron(0 9 1W * ? *)", after: "2026-11-21 00:00", want: []string{"2026-12-01 09:00", "2027-01-01 09:00", "2027-02-01 09:00"}},
		{expr: "cron(0 9 15W * ? *)", after: "2026-11-01 00:00", want: []string{"2026-11-16 09:00", "2026-12-15 09:00"}},
		{expr: "cron(0 10 ? * 6L *)", after: "2026-11-01 00:00", want: []string{"2026-11-27 10:00", "2026-12-25 10:00"}},
		{expr: "cron(0 10 ? * 3#2 *)", after: "2026-11-01 00:00", want: []string{"2026-11-10 10:00", "2026-12-08 10:00"}},
		{expr: "cron(0 0 29 2 ? *)", after: "2026-01-01 00:00", want: []string{"2028-02-29 00:00", "2032-02-29 00:00"}},
		{expr: "cron(30 4 1 JAN,JUL ? 2027-2028)", after: "2026-11-01 00:00", want: []string{"2027-01-01 04:30", "2027-07-01 04:30", "2028-01-01 04:30", "2028-07-01 04:30", ""}},
		{expr: "cron(0 0 1 1 ? 2020)", after: "2026-11-01 00:00", want: []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.expr+" after "+tc.after, func(t *testing.T) {
			t.Parallel()
			s, err := Parse(tc.expr)
			require.NoError(t, err)
			cur := at(tc.after)
			for _, w := range tc.want {
				next := s.Next(cur)
				if w == "" {
					assert.True(t, next.IsZero(), "no more fire times, got %s", next)
					return
				}
				assert.Equal(t, at(w), next)
				cur = next
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{
		"", "rate()", "rate(0 minutes)", "rate(-1 minutes)", "rate(1 minutes)", "rate(5 minute)", "rate(5 weeks)",
		"rate(01 minute)", "rate(1.5 hours)", "cron(* * * * *)", "cron(0 0 * * * *)", "cron(0 0 ? * ? *)",
		"cron(60 * * * ? *)", "cron(* 24 * * ? *)", "cron(* * 0 * ? *)", "cron(* * 32 * ? *)", "cron(* * * 13 ? *)",
		"cron(* * ? * 8 *)", "cron(* * * * ? 1969)", "cron(* * * * ? 2200)", "cron(5-1 * * * ? *)", "cron(*/0 * * * ? *)",
		"cron(* * ? * 2#6 *)", "cron(* * 1,,2 * ? *)", "cron(* * ? * FOO *)", "at(2026-01-01T00:00:00)",
	} {
		t.Run(expr, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(expr)
			assert.Error(t, err)
		})
	}
}

// FuzzParse checks that any expression either fails to parse or yields fire times that are
// strictly later, match the expression, and skip no earlier matching minute.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"rate(5 minutes)", "rate(1 day)", "cron(0/5 * * * ? *)", "cron(0 18 ? * MON-FRI *)",
		"cron(0 12 L * ? *)", "cron(0 10 ? * 6L *)", "cron(0 10 ? * 3#2 *)", "cron(0 9 1W * ? *)", "cron(1-50/7 3,4 LW 2-11/3 ? 2030-2040/2)"} {
		f.Add(s, int64(1795304185))
	}
	f.Fuzz(func(t *testing.T, expr string, unix int64) {
		s, err := Parse(expr)
		if err != nil {
			return
		}
		from := time.Unix(unix%(200*365*24*3600), 0).UTC()
		next := s.Next(from)
		if next.IsZero() {
			return
		}
		if !next.After(from) {
			t.Fatalf("%s: Next(%s) = %s is not after it", expr, from, next)
		}
		if c, ok := s.(*cron); ok {
			if !c.matches(next) {
				t.Fatalf("%s: Next(%s) = %s does not match", expr, from, next)
			}
			if next.Sub(from) < 48*time.Hour {
				for m := from.Truncate(time.Minute).Add(time.Minute); m.Before(next); m = m.Add(time.Minute) {
					if c.matches(m) {
						t.Fatalf("%s: Next(%s) = %s skips %s", expr, from, next, m)
					}
				}
			}
		}
		if r, ok := s.(rate); ok && next.Sub(from) > r.every {
			t.Fatalf("%s: Next(%s) = %s is more than one period away", expr, from, next)
		}
	})
}
