package crawler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/webhealth/webhealth/internal/target"
)

// Fan-out (docs/design.md, "Fan-out"): when one invocation cannot judge every enabled target within
// the probe window, the run splits the targets into shards by the leading two hex digits of their ids
// and hands each shard to a worker invocation. A shard owns a contiguous range of those prefixes, so
// it holds every enabled target whose alarms it may create, update or delete.

const (
	// prefixCount is the number of two-hex-digit id prefixes, "00" to "ff": the most shards a run has.
	prefixCount = 256
	// MaxShards is the most shards MAX_SHARDS allows: a shard owns at least one prefix.
	MaxShards = prefixCount
	// DefaultMaxShards is MAX_SHARDS' default.
	DefaultMaxShards = 100
	// maxShardIDs keeps a shard message well under SQS's 256 KiB: 35 bytes per id in JSON.
	maxShardIDs = 6000
	// maxShardMessageBytes is SQS's largest message body.
	maxShardMessageBytes = 256 << 10
	// shardFillNum/shardFillDen is the share of a worker's slots a shard is sized to fill, so that
	// a shard whose checks cost a third more than planned still finishes within the window.
	shardFillNum, shardFillDen = 3, 4
	// ShardMessageVersion is the version of the shard message this crawler writes and reads.
	ShardMessageVersion = 1
)

// shard is one worker's part of a run: the id prefixes it owns (from and to, inclusive, as 0-255),
// the ids of the enabled targets under them and their planned cost.
type shard struct {
	from, to int
	ids      []string
	cost     time.Duration
}

// shardCount is how many shards targets need so that each worker's plan needs at most its fill of
// slots within the window, and each message holds at most that share of maxShardIDs; at most maxShards. 1 means
// the run judges every target itself (as it does without a window).
func shardCount(targets []planned, slots, maxShards int, window time.Duration) int {
	if window <= 0 || len(targets) == 0 {
		return 1
	}
	need := planNeed(targets, window)
	if need <= slots {
		return 1
	}
	perShard := max(slots*shardFillNum/shardFillDen, 1)
	// The id bound is filled to the same share: the cuts fall between prefixes, so a shard may hold a
	// prefix's worth of ids more than its share.
	idsPerShard := maxShardIDs * shardFillNum / shardFillDen
	n := max((need+perShard-1)/perShard, (len(targets)+idsPerShard-1)/idsPerShard)
	return min(n, maxShards, prefixCount)
}

// planShards groups targets into at most n shards of contiguous, disjoint prefix ranges covering
// "00" to "ff", cutting the ranges where the running cost crosses each n-th of the total (a prefix
// is never split) and earlier when a shard would exceed maxShardIDs. Every target is in exactly one
// shard; a shard may own prefixes without targets (its worker then deletes their stale alarms).
// The error is set when a single prefix holds more than maxShardIDs targets.
func planShards(targets []planned, n int) ([]shard, error) {
	if n < 1 {
		return nil, fmt.Errorf("plan shards: %d shards < 1", n)
	}
	var ids [prefixCount][]string
	var cost [prefixCount]time.Duration
	var total time.Duration
	for _, t := range targets {
		p, ok := idPrefix(t.t.ID)
		if !ok {
			return nil, fmt.Errorf("plan shards: target id %q is not 32 lowercase hex", t.t.ID)
		}
		ids[p] = append(ids[p], t.t.ID)
		cost[p] += t.cost
		total += t.cost
	}
	var shards []shard
	cur := shard{from: 0}
	var running time.Duration
	for p := range prefixCount {
		if len(ids[p]) > maxShardIDs {
			return nil, fmt.Errorf("plan shards: prefix %02x holds %d targets, more than a shard message's %d", p, len(ids[p]), maxShardIDs)
		}
		if len(cur.ids)+len(ids[p]) > maxShardIDs && p > cur.from {
			cur.to = p - 1
			shards = append(shards, cur)
			cur = shard{from: p}
		}
		cur.ids = append(cur.ids, ids[p]...)
		cur.cost += cost[p]
		running += cost[p]
		// Close the shard when the running cost reaches its share of the total, keeping enough
		// prefixes for the shards still to come.
		k := len(shards) + 1
		due := time.Duration(float64(total) * float64(k) / float64(n))
		if p < prefixCount-1 && k < n && ((running >= due && total > 0) || prefixCount-1-p <= n-k) {
			cur.to = p
			shards = append(shards, cur)
			cur = shard{from: p + 1}
		}
	}
	cur.to = prefixCount - 1
	shards = append(shards, cur)
	return shards, nil
}

// idPrefix is the value of the leading two hex digits of a target id.
func idPrefix(id string) (int, bool) {
	if !target.ValidID(id) {
		return 0, false
	}
	v, err := strconv.ParseUint(id[:2], 16, 8)
	return int(v), err == nil
}

// owns reports whether the shard's prefix range holds id.
func (s shard) owns(id string) bool {
	p, ok := idPrefix(id)
	return ok && p >= s.from && p <= s.to
}

// prefixes are the shard's owned prefixes as two lowercase hex digits each.
func (s shard) prefixes() []string {
	out := make([]string, 0, s.to-s.from+1)
	for p := s.from; p <= s.to; p++ {
		out = append(out, fmt.Sprintf("%02x", p))
	}
	return out
}

// ShardMessage is the body of a shard's SQS message: which run it belongs to, the prefixes it owns
// (From to To, inclusive), the ids of its targets, and until when it may still run (a shard found
// after NotAfter is dropped: the next run has already been planned).
type ShardMessage struct {
	Version  int       `json:"version"`
	RunID    string    `json:"run_id"`
	Shard    int       `json:"shard"`
	Shards   int       `json:"shards"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	IDs      []string  `json:"ids"`
	IssuedAt time.Time `json:"issued_at"`
	NotAfter time.Time `json:"not_after"`
}

// ErrBadShardMessage is wrapped by every refusal of DecodeShardMessage.
var ErrBadShardMessage = errors.New("bad shard message")

// EncodeShardMessage writes m, refusing one over SQS's message size.
func EncodeShardMessage(m ShardMessage) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode shard message: %w", err)
	}
	if len(b) > maxShardMessageBytes {
		return nil, fmt.Errorf("encode shard message: %d bytes, more than SQS's %d", len(b), maxShardMessageBytes)
	}
	return b, nil
}

// DecodeShardMessage reads and checks a shard message: the version this crawler speaks, a run id,
// a prefix range of two lowercase hex digits each with From <= To, every id 32 lowercase hex under
// that range and listed once, and a NotAfter after IssuedAt. Unknown fields are refused.
func DecodeShardMessage(body []byte) (ShardMessage, error) {
	bad := func(format string, args ...any) (ShardMessage, error) {
		return ShardMessage{}, fmt.Errorf("%w: %s", ErrBadShardMessage, fmt.Sprintf(format, args...))
	}
	if len(body) > maxShardMessageBytes {
		return bad("%d bytes, more than SQS's %d", len(body), maxShardMessageBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var m ShardMessage
	if err := dec.Decode(&m); err != nil {
		return bad("%v", err)
	}
	if dec.More() {
		return bad("data after the message")
	}
	if m.Version != ShardMessageVersion {
		return bad("version %d, this crawler reads %d", m.Version, ShardMessageVersion)
	}
	if m.RunID == "" || len(m.RunID) > 128 {
		return bad("run_id must be 1-128 characters")
	}
	if m.Shards < 1 || m.Shards > MaxShards || m.Shard < 0 || m.Shard >= m.Shards {
		return bad("shard %d of %d is not a shard of 1-%d", m.Shard, m.Shards, MaxShards)
	}
	from, okFrom := hexPrefix(m.From)
	to, okTo := hexPrefix(m.To)
	if !okFrom || !okTo || from > to {
		return bad("prefix range %q-%q is not two lowercase hex digits each, in order", m.From, m.To)
	}
	if len(m.IDs) > maxShardIDs {
		return bad("%d ids, more than %d", len(m.IDs), maxShardIDs)
	}
	s := shard{from: from, to: to}
	seen := make(map[string]bool, len(m.IDs))
	for _, id := range m.IDs {
		if !s.owns(id) {
			return bad("id %q is not a target id under %s-%s", id, m.From, m.To)
		}
		if seen[id] {
			return bad("id %s listed twice", id)
		}
		seen[id] = true
	}
	if m.IssuedAt.IsZero() || !m.NotAfter.After(m.IssuedAt) {
		return bad("not_after %s must be after issued_at %s", m.NotAfter.Format(time.RFC3339), m.IssuedAt.Format(time.RFC3339))
	}
	return m, nil
}

// hexPrefix reads two lowercase hex digits.
func hexPrefix(s string) (int, bool) {
	if len(s) != 2 || !isLowerHex(s[0]) || !isLowerHex(s[1]) {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 8)
	return int(v), err == nil
}

func isLowerHex(c byte) bool { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') }

// shard is the shard a message describes (a decoded message's range is valid).
func (m ShardMessage) shard() shard {
	from, _ := hexPrefix(m.From)
	to, _ := hexPrefix(m.To)
	return shard{from: from, to: to, ids: m.IDs}
}
