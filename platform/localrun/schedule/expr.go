// Package schedule fires the EventBridge schedule rules deployed to the emulator at their Lambda
// targets, on time (rate() and the 6-field cron() of EventBridge, in UTC) or on demand.
package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule computes fire times.
type Schedule interface {
	// Next returns the first fire time strictly after t, or the zero time when there is none.
	Next(t time.Time) time.Time
}

// Parse parses an EventBridge ScheduleExpression: rate(value unit) or
// cron(minutes hours day-of-month month day-of-week year).
func Parse(expr string) (Schedule, error) {
	expr = strings.TrimSpace(expr)
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		return parseRate(expr[len("rate(") : len(expr)-1])
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		return parseCron(expr[len("cron(") : len(expr)-1])
	}
	return nil, fmt.Errorf("schedule expression %q: want rate(value unit) or cron(minutes hours day-of-month month day-of-week year)", expr)
}

// rate fires every period, aligned to multiples of the period since the Unix epoch (EventBridge
// counts from the rule's creation; alignment keeps local runs predictable).
type rate struct{ every time.Duration }

func parseRate(s string) (Schedule, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return nil, fmt.Errorf("rate(%s): want rate(value unit), e.g. rate(5 minutes)", s)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 || f[0][0] == '+' || f[0][0] == '0' {
		return nil, fmt.Errorf("rate(%s): value must be a positive whole number", s)
	}
	var unit time.Duration
	singular := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	plural := map[string]time.Duration{"minutes": time.Minute, "hours": time.Hour, "days": 24 * time.Hour}
	if n == 1 {
		unit = singular[f[1]]
	} else {
		unit = plural[f[1]]
	}
	if unit == 0 {
		return nil, fmt.Errorf("rate(%s): unit must be minute, hour or day (singular for 1, plural above)", s)
	}
	if int64(n) > int64(100*365*24*time.Hour/unit) {
		return nil, fmt.Errorf("rate(%s): value too large", s)
	}
	return rate{every: time.Duration(n) * unit}, nil
}

func (r rate) Next(t time.Time) time.Time {
	return t.UTC().Truncate(r.every).Add(r.every)
}

// field is the set of allowed values of one cron field.
type field struct {
	min, max int
	any      bool
	allowed  []bool
}

func (f *field) has(v int) bool {
	if f.any {
		return true
	}
	return v >= f.min && v <= f.max && f.allowed[v-f.min]
}

type cron struct {
	minutes, hours, months, years field
	dom                           domSpec
	dow                           dowSpec
	domSet                        bool // day-of-month given (day-of-week is ?), or the other way round
}

// domSpec is a day-of-month field: values, L (last day), LW (last weekday), nW (nearest weekday).
type domSpec struct {
	days        field
	last        bool
	lastWeekday bool
	nearest     []int
}

// dowSpec is a day-of-week field (1 = SUN ... 7 = SAT): values, nL (last such day), n#k (k-th).
type dowSpec struct {
	days field
	last []int
	nth  [][2]int
}

const (
	minYear = 1970
	maxYear = 2199
)

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

func parseCron(s string) (Schedule, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron(%s): want 6 fields (minutes hours day-of-month month day-of-week year), got %d", s, len(f))
	}
	c := &cron{}
	var err error
	wrap := func(name string, e error) error { return fmt.Errorf("cron(%s): %s: %w", s, name, e) }
	if c.minutes, err = parseField(f[0], 0, 59, nil); err != nil {
		return nil, wrap("minutes", err)
	}
	if c.hours, err = parseField(f[1], 0, 23, nil); err != nil {
		return nil, wrap("hours", err)
	}
	if c.months, err = parseField(f[3], 1, 12, monthNames); err != nil {
		return nil, wrap("month", err)
	}
	if c.years, err = parseField(f[5], minYear, maxYear, nil); err != nil {
		return nil, wrap("year", err)
	}
	switch domQ, dowQ := f[2] == "?", f[4] == "?"; {
	case domQ == dowQ:
		return nil, fmt.Errorf("cron(%s): exactly one of day-of-month and day-of-week must be ?", s)
	case dowQ:
		c.domSet = true
		if c.dom, err = parseDOM(f[2]); err != nil {
			return nil, wrap("day-of-month", err)
		}
	default:
		if c.dow, err = parseDOW(f[4]); err != nil {
			return nil, wrap("day-of-week", err)
		}
	}
	return c, nil
}

// parseField parses a list of *, values, ranges a-b and steps x/n.
func parseField(s string, min, max int, names map[string]int) (field, error) {
	f := field{min: min, max: max, allowed: make([]bool, max-min+1)}
	if s == "*" {
		f.any = true
		return f, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		if err := f.addItem(item, names); err != nil {
			return field{}, err
		}
	}
	return f, nil
}

func (f *field) addItem(item string, names map[string]int) error {
	if item == "" {
		return errors.New("empty list item")
	}
	rangePart, stepPart, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepPart)
		if err != nil || n <= 0 || n > f.max-f.min+1 {
			return fmt.Errorf("bad step %q", stepPart)
		}
		step = n
	}
	lo, hi := f.min, f.max
	switch {
	case rangePart == "*":
	case strings.Contains(rangePart, "-"):
		a, b, _ := strings.Cut(rangePart, "-")
		var err error
		if lo, err = value(a, f.min, f.max, names); err != nil {
			return err
		}
		if hi, err = value(b, f.min, f.max, names); err != nil {
			return err
		}
		if hi < lo {
			return fmt.Errorf("range %q runs backwards", rangePart)
		}
	default:
		v, err := value(rangePart, f.min, f.max, names)
		if err != nil {
			return err
		}
		lo = v
		if !hasStep {
			hi = v
		}
	}
	for v := lo; v <= hi; v += step {
		f.allowed[v-f.min] = true
	}
	return nil
}

func value(s string, min, max int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < min || v > max || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("%q is not a value between %d and %d", s, min, max)
	}
	return v, nil
}

func parseDOM(s string) (domSpec, error) {
	d := domSpec{days: field{min: 1, max: 31, allowed: make([]bool, 31)}}
	if s == "*" {
		d.days.any = true
		return d, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		switch {
		case item == "L":
			d.last = true
		case item == "LW":
			d.lastWeekday = true
		case strings.HasSuffix(item, "W"):
			v, err := value(strings.TrimSuffix(item, "W"), 1, 31, nil)
			if err != nil {
				return domSpec{}, err
			}
			d.nearest = append(d.nearest, v)
		default:
			if err := d.days.addItem(item, nil); err != nil {
				return domSpec{}, err
			}
		}
	}
	return d, nil
}

func parseDOW(s string) (dowSpec, error) {
	d := dowSpec{days: field{min: 1, max: 7, allowed: make([]bool, 7)}}
	if s == "*" {
		d.days.any = true
		return d, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		switch {
		case item == "L":
			d.days.allowed[6] = true // Saturday, the last day of the week
		case len(item) > 1 && strings.HasSuffix(item, "L"):
			v, err := value(strings.TrimSuffix(item, "L"), 1, 7, dayNames)
			if err != nil {
				return dowSpec{}, err
			}
			d.last = append(d.last, v)
		case strings.Contains(item, "#"):
			a, b, _ := strings.Cut(item, "#")
			v, err := value(a, 1, 7, dayNames)
			if err != nil {
				return dowSpec{}, err
			}
			k, err := value(b, 1, 5, nil)
			if err != nil {
				return dowSpec{}, err
			}
			d.nth = append(d.nth, [2]int{v, k})
		default:
			if err := d.days.addItem(item, dayNames); err != nil {
				return dowSpec{}, err
			}
		}
	}
	return d, nil
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// nearestWeekday is the weekday closest to day n of the month, within the month.
func nearestWeekday(y int, m time.Month, n int) int {
	last := daysIn(y, m)
	if n > last {
		n = last
	}
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

func (c *cron) dayMatches(y int, m time.Month, d int) bool {
	if c.domSet {
		if c.dom.days.has(d) {
			return true
		}
		last := daysIn(y, m)
		if c.dom.last && d == last {
			return true
		}
		if c.dom.lastWeekday && d == nearestWeekday(y, m, last) {
			return true
		}
		for _, n := range c.dom.nearest {
			if n <= last && d == nearestWeekday(y, m, n) {
				return true
			}
		}
		return false
	}
	wd := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()) + 1 // SUN = 1
	if c.dow.days.has(wd) {
		return true
	}
	for _, v := range c.dow.last {
		if wd == v && d+7 > daysIn(y, m) {
			return true
		}
	}
	for _, nk := range c.dow.nth {
		if wd == nk[0] && (d-1)/7+1 == nk[1] {
			return true
		}
	}
	return false
}

func (c *cron) matches(t time.Time) bool {
	t = t.UTC()
	return c.years.has(t.Year()) && c.months.has(int(t.Month())) && c.dayMatches(t.Year(), t.Month(), t.Day()) &&
		c.hours.has(t.Hour()) && c.minutes.has(t.Minute())
}

func (c *cron) Next(after time.Time) time.Time {
	t := after.UTC().Truncate(time.Minute).Add(time.Minute)
	for t.Year() <= maxYear {
		y, m, d := t.Date()
		switch {
		case !c.years.has(y):
			t = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
			continue
		case !c.months.has(int(m)):
			t = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		case !c.dayMatches(y, m, d):
			t = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		for h := t.Hour(); h < 24; h++ {
			if !c.hours.has(h) {
				continue
			}
			start := 0
			if h == t.Hour() {
				start = t.Minute()
			}
			for mi := start; mi < 60; mi++ {
				if c.minutes.has(mi) {
					return time.Date(y, m, d, h, mi, 0, 0, time.UTC)
				}
			}
		}
		t = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
	}
	return time.Time{}
}
