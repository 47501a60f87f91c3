package notify

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/webhealth/webhealth/internal/alarmevent"
	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/target"
)

// What happened: the "event" of a notification.
const (
	EventDown         = "DOWN"                // a target's availability alarm went to ALARM (one region), or its verdict alarm (several)
	EventDegraded     = "DEGRADED"            // a target's degraded alarm went to ALARM (several regions, NOTIFY_DEGRADED)
	EventSlow         = "SLOW"                // a target's latency alarm went to ALARM
	EventCertificate  = "CERTIFICATE_EXPIRES" // a target's certificate alarm went to ALARM
	EventRecovered    = "RECOVERED"           // a target's alarm went back to OK after ALARM
	EventOpsAlarm     = "OPS_ALARM"           // an operational alarm of the stack went to ALARM
	EventOpsRecovered = "OPS_RECOVERED"       // an operational alarm went back to OK after ALARM
)

// KindOps is the kind of the stack's operational alarms (the targets' kinds are contract.AlarmKinds).
const KindOps = "ops"

// Event is one notification: a state change worth telling a person about, with what they need to act
// on it. Every format renders it.
type Event struct {
	Event         string
	State         string // the new state: ALARM or OK
	PreviousState string
	Kind          string // contract.AlarmKind* or KindOps
	AlarmName     string
	AlarmURL      string // the CloudWatch console page of the alarm
	Description   string // the alarm's description (ops alarms)
	Reason        string // CloudWatch's NewStateReason
	ChangedAt     time.Time
	// Since is when the condition began: the state change for an ALARM, the last ALARM of the alarm
	// for a RECOVERED (zero when the history does not have it).
	Since     time.Time
	Region    string
	MessageID string
	// Target and its LastCheck are nil for ops alarms.
	Target    *target.Target
	LastCheck *target.LastCheck
	// Verdict is set for the verdict and degraded alarms (an environment of several regions).
	Verdict *VerdictFacts
}

// VerdictFacts are what a verdict or degraded notification says of the environment's regions.
type VerdictFacts struct {
	Regions int // the environment's regions (REGIONS)
	Quorum  int // how many must see the target down for DOWN (QUORUM)
	// Down is how many regions saw the target down at the newest datapoint of a verdict ALARM (its
	// RegionsDown); 0 when unknown (other events, or a reason without a datapoint).
	Down int
}

// Recovery reports whether the event is an end of an alarm.
func (e Event) Recovery() bool { return e.Event == EventRecovered || e.Event == EventOpsRecovered }

// Warning reports whether the event is a lesser alarm (shown in amber): slow, a certificate about to
// expire, degraded.
func (e Event) Warning() bool {
	return e.Event == EventSlow || e.Event == EventCertificate || e.Event == EventDegraded
}

// Routing is who is told of which target alarms in this environment (docs/design.md "Notifier"): with more
// than one region alerting follows the verdict, so a region's availability alarm is recorded only, the
// certificate (the site's, seen alike from every region) is told by the home region only, and the degraded
// alarm is told only when NOTIFY_DEGRADED is set.
type Routing struct {
	MultiRegion bool
	// Home: the notifier runs in the home region.
	Home           bool
	NotifyDegraded bool
}

// Silenced is why the changes of an alarm of kind are told to nobody in this environment, "" when they
// may be told.
func (r Routing) Silenced(kind string) string {
	switch {
	case r.MultiRegion && kind == contract.AlarmKindAvailability:
		return "a region's availability alarm in an environment of several regions is recorded, not told: the home region's verdict alarm tells"
	case r.MultiRegion && !r.Home && kind == contract.AlarmKindCertificate:
		return "the certificate alarm of a region other than the home region is recorded, not told: the home region's tells"
	case kind == contract.AlarmKindDegraded && !r.NotifyDegraded:
		return "the degraded alarm is recorded, not told (NOTIFY_DEGRADED is not set)"
	}
	return ""
}

// TargetEvent is what a target alarm's state change is, "" when it notifies nobody: ALARM entered
// from OK or INSUFFICIENT_DATA, and OK after ALARM, of the kinds not Silenced. An INSUFFICIENT_DATA to
// OK change (a new alarm's first evaluation) is decided by the caller from the history (maybeRecovery).
func (r Routing) TargetEvent(kind, oldState, newState string) (event string, maybeRecovery bool) {
	if r.Silenced(kind) != "" || !slices.Contains(contract.AlarmKinds(), kind) {
		return "", false
	}
	switch {
	case newState == alarmevent.StateAlarm && oldState != alarmevent.StateAlarm:
		switch kind {
		case contract.AlarmKindAvailability, contract.AlarmKindVerdict:
			return EventDown, false
		case contract.AlarmKindDegraded:
			return EventDegraded, false
		case contract.AlarmKindLatency:
			return EventSlow, false
		case contract.AlarmKindCertificate:
			return EventCertificate, false
		}
	case newState == alarmevent.StateOK && oldState == alarmevent.StateAlarm:
		return EventRecovered, false
	case newState == alarmevent.StateOK && oldState == alarmevent.StateInsufficientData:
		return "", true
	}
	return "", false
}

// opsEvent is what an ops alarm's state change is, "" when it notifies nobody.
func opsEvent(oldState, newState string) string {
	switch {
	case newState == alarmevent.StateAlarm && oldState != alarmevent.StateAlarm:
		return EventOpsAlarm
	case newState == alarmevent.StateOK && oldState == alarmevent.StateAlarm:
		return EventOpsRecovered
	}
	return ""
}

// AlarmURL is the CloudWatch console page of an alarm.
func AlarmURL(consoleURL, region, alarmName string) string {
	return consoleURL + "/cloudwatch/home?region=" + url.QueryEscape(region) + "#alarmsV2:alarm/" + url.PathEscape(alarmName)
}

// Headline is the one line that says what happened, e.g. "DOWN: example.com".
func (e Event) Headline() string {
	name := e.AlarmName
	if e.Target != nil {
		name = e.Target.Name
	}
	switch e.Event {
	case EventDown:
		if v := e.Verdict; v != nil && v.Down > 0 {
			return fmt.Sprintf("DOWN: %s is not available from %d of %d regions", name, v.Down, v.Regions)
		} else if v != nil {
			return fmt.Sprintf("DOWN: %s is not available from at least %d of %d regions", name, v.Quorum, v.Regions)
		}
		return "DOWN: " + name + " is not available"
	case EventDegraded:
		if v := e.Verdict; v != nil {
			return fmt.Sprintf("DEGRADED: %s is not available from some of its %d regions, fewer than %d", name, v.Regions, v.Quorum)
		}
		return "DEGRADED: " + name + " is not available from some of its regions"
	case EventSlow:
		return fmt.Sprintf("SLOW: %s answers slower than %d ms", name, e.Target.LatencyThresholdMS)
	case EventCertificate:
		if d := e.certDays(); d != nil {
			return fmt.Sprintf("CERTIFICATE EXPIRES: the certificate of %s expires in %s", name, plural(*d, "day"))
		}
		return "CERTIFICATE EXPIRES: the certificate of " + name + " expires soon"
	case EventRecovered:
		switch e.Kind {
		case contract.AlarmKindLatency:
			return fmt.Sprintf("RECOVERED: %s answers within %d ms again", name, e.Target.LatencyThresholdMS)
		case contract.AlarmKindCertificate:
			return "RECOVERED: the certificate of " + name + " is no longer about to expire"
		case contract.AlarmKindDegraded:
			return "RECOVERED: " + name + " is no longer degraded"
		}
		return "RECOVERED: " + name + " is available again"
	case EventOpsAlarm:
		return "OPS ALARM: " + e.AlarmName
	case EventOpsRecovered:
		return "OPS RECOVERED: " + e.AlarmName
	}
	return e.Event + ": " + name
}

func (e Event) certDays() *int {
	if e.LastCheck == nil {
		return nil
	}
	return e.LastCheck.CertDaysRemaining
}

// Fact is one labelled line of a notification.
type Fact struct {
	Title, Value string
}

// Facts are the details every format shows, in order: the target, since when, the last check, the
// description and reason, the region and the alarm.
func (e Event) Facts() []Fact {
	var out []Fact
	if e.Target != nil {
		out = append(out, Fact{"Target", e.Target.Name + " (" + e.Target.URL + ")"})
	}
	if s := e.sinceText(); s != "" {
		out = append(out, Fact{e.sinceTitle(), s})
	}
	if v := e.Verdict; v != nil {
		if v.Down > 0 {
			out = append(out, Fact{"Regions down", fmt.Sprintf("%d of %d (quorum %d)", v.Down, v.Regions, v.Quorum)})
		} else {
			out = append(out, Fact{"Regions", fmt.Sprintf("%d (quorum %d)", v.Regions, v.Quorum)})
		}
	}
	if e.Target != nil {
		out = append(out, Fact{"Last check", e.lastCheckText()})
		if e.LastCheck != nil && e.LastCheck.Error != "" {
			out = append(out, Fact{"Error", e.LastCheck.Error})
		}
	}
	if e.Description != "" {
		out = append(out, Fact{"Description", e.Description})
	}
	if e.Reason != "" {
		out = append(out, Fact{"Reason", e.Reason})
	}
	out = append(out, Fact{"Region", e.Region}, Fact{"Alarm", e.AlarmName})
	return out
}

func (e Event) sinceTitle() string {
	if !e.Recovery() {
		return "Since"
	}
	switch e.Kind {
	case contract.AlarmKindAvailability, contract.AlarmKindVerdict:
		return "Down"
	case contract.AlarmKindDegraded:
		return "Degraded"
	case contract.AlarmKindLatency:
		return "Slow"
	}
	return "In alarm"
}

// sinceText: "2026-11-21 10:03:12 UTC" for an alarm; "from 10:03:12 to 10:15:46 UTC (12 min 34 s)"
// for a recovery whose start is known, else when it ended.
func (e Event) sinceText() string {
	if !e.Recovery() {
		return humanTime(e.ChangedAt)
	}
	if e.Since.IsZero() || e.Since.After(e.ChangedAt) {
		return "until " + humanTime(e.ChangedAt)
	}
	return fmt.Sprintf("from %s until %s (%s)", humanTime(e.Since), humanTime(e.ChangedAt), humanDuration(e.ChangedAt.Sub(e.Since)))
}

// lastCheckText: "2026-11-21 10:02:58 UTC: HTTP 503, 123 ms, certificate valid for 60 days".
func (e Event) lastCheckText() string {
	lc := e.LastCheck
	if lc == nil {
		return "none recorded yet"
	}
	parts := []string{}
	if lc.StatusCode != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", lc.StatusCode))
	} else {
		parts = append(parts, "no response")
	}
	parts = append(parts, fmt.Sprintf("%s ms", trimFloat(lc.LatencyMS)))
	if lc.CertDaysRemaining != nil {
		parts = append(parts, "certificate valid for "+plural(*lc.CertDaysRemaining, "day"))
	}
	verdict := "available"
	if !lc.Available {
		verdict = "not available"
	}
	return humanTime(lc.CheckedAt) + ": " + verdict + ", " + strings.Join(parts, ", ")
}

func humanTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// humanDuration: "45 s", "12 min 34 s", "3 h 5 min", "2 d 4 h".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
}

func plural(n int, unit string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// trimFloat renders a latency with at most one decimal: 123, 123.4.
func trimFloat(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}
