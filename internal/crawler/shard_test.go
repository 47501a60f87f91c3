package crawler

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/target"
)

// randomPlanned are n targets with random ids (as target.NewID makes them) costing cost each.
func randomPlanned(t *testing.T, n int, cost func(i int) time.Duration) []planned {
	t.Helper()
	out := make([]planned, n)
	for i := range out {
		id, err := target.NewID()
		require.NoError(t, err)
		out[i] = planned{t: target.Target{ID: id}, cost: cost(i)}
	}
	return out
}

func TestShardCount(t *testing.T) {
	t.Parallel()
	fast := func(int) time.Duration { return 200 * time.Millisecond }
	tests := []struct {
		name      string
		n         int
		cost      func(int) time.Duration
		timeout   time.Duration
		slots     int
		maxShards int
		window    time.Duration
		want      int
	}{
		{"no deadline: one run", 100_000, fast, 10 * time.Second, 256, 100, 0, 1},
		// A check starts only while its 10 s timeout fits: by 40 s of a 50 s window.
		{"fits one invocation", 1000, fast, 10 * time.Second, 16, 100, 50 * time.Second, 1}, // 200 s of checks over 16 × 40 s
		{"just fits", 3201, fast, 10 * time.Second, 16, 100, 50 * time.Second, 1},           // the last starts after 640 s = 16 × 40 s
		{"one slot too many", 3202, fast, 10 * time.Second, 16, 100, 50 * time.Second, 2},   // 17 slots; 12 per shard
		// 100,000 × 200 ms = 20,000 slot-seconds by 40 s = 500 slots; 192 per shard → 3;
		// but 4,500 ids (3/4 of 6,000) per message → 23.
		{"100,000 at one minute: the message bound", 100_000, fast, 10 * time.Second, 256, 100, 50 * time.Second, 23},
		// 100,000 at 1 s each: 2,500 slots / 192 → 14; 23 by ids.
		{"100,000 slow ones", 100_000, func(int) time.Duration { return time.Second }, 10 * time.Second, 256, 100, 50 * time.Second, 23},
		// 100,000 hanging at a 5 s timeout: the last starts after 499,995 s of checks, by 45 s: 11,111 slots / 192 → 58.
		{"100,000 hanging", 100_000, func(int) time.Duration { return 5 * time.Second }, 5 * time.Second, 256, 100, 50 * time.Second, 58},
		{"capped by MAX_SHARDS", 100_000, func(int) time.Duration { return 5 * time.Second }, 5 * time.Second, 256, 10, 50 * time.Second, 10},
		{"capped by the prefixes", 100_000, func(int) time.Duration { return 30 * time.Second }, 30 * time.Second, 16, 1000, 50 * time.Second, 256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := randomPlanned(t, tt.n, tt.cost)
			for i := range ts {
				ts[i].t.TimeoutMS = int(tt.timeout.Milliseconds())
			}
			assert.Equal(t, tt.want, shardCount(ts, tt.slots, tt.maxShards, tt.window))
		})
	}
}

// checkShards asserts the shards' invariants: contiguous disjoint ranges covering 00-ff, every
// target in exactly one shard and under its range, and each message within SQS's size.
func checkShards(t *testing.T, ts []planned, shards []shard) {
	t.Helper()
	require.NotEmpty(t, shards)
	assert.Equal(t, 0, shards[0].from, "the first shard starts at 00")
	assert.Equal(t, prefixCount-1, shards[len(shards)-1].to, "the last shard ends at ff")
	where := map[string]int{}
	for i, s := range shards {
		assert.LessOrEqual(t, s.from, s.to, "shard %d", i)
		if i > 0 {
			assert.Equal(t, shards[i-1].to+1, s.from, "shard %d follows shard %d with no gap or overlap", i, i-1)
		}
		assert.LessOrEqual(t, len(s.ids), maxShardIDs)
		for _, id := range s.ids {
			_, twice := where[id]
			assert.False(t, twice, "id %s in two shards", id)
			where[id] = i
			assert.True(t, s.owns(id), "shard %d (%02x-%02x) holds %s", i, s.from, s.to, id)
		}
		b, err := EncodeShardMessage(ShardMessage{Version: ShardMessageVersion, RunID: strings.Repeat("r", 128), Shard: i,
			Shards: len(shards), From: fmt.Sprintf("%02x", s.from), To: fmt.Sprintf("%02x", s.to), IDs: s.ids,
			IssuedAt: time.Now(), NotAfter: time.Now().Add(time.Minute)})
		require.NoError(t, err)
		assert.Less(t, len(b), maxShardMessageBytes)
	}
	for _, pt := range ts {
		_, ok := where[pt.t.ID]
		assert.True(t, ok, "id %s in no shard", pt.t.ID)
	}
}

func TestPlanShards(t *testing.T) {
	t.Parallel()
	fast := func(int) time.Duration { return 200 * time.Millisecond }
	tests := []struct {
		name   string
		n      int
		cost   func(int) time.Duration
		shards int
		// wantShards is how many shards come out (the id bound may add some; too few prefixes
		// with targets may leave fewer).
		wantShards int
	}{
		{"100,000 in 23", 100_000, fast, 23, 23},
		{"100,000 in 53", 100_000, func(int) time.Duration { return 5 * time.Second }, 53, 53},
		{"100,000 in 256", 100_000, fast, 256, 256},
		{"100,000 in 2: the id bound cuts more", 100_000, fast, 2, 17}, // 100,000 / 6,000 → at least 17
		{"one shard", 10, fast, 1, 1},
		{"no targets: the ranges still cover every prefix", 0, fast, 5, 5},
		{"skewed costs", 20_000, func(i int) time.Duration {
			if i%10 == 0 {
				return 5 * time.Second
			}
			return 50 * time.Millisecond
		}, 8, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := randomPlanned(t, tt.n, tt.cost)
			shards, err := planShards(ts, tt.shards)
			require.NoError(t, err)
			checkShards(t, ts, shards)
			if tt.name == "100,000 in 2: the id bound cuts more" {
				assert.GreaterOrEqual(t, len(shards), tt.wantShards)
			} else {
				assert.Equal(t, tt.wantShards, len(shards))
			}
			if tt.n < 10_000 || tt.wantShards != tt.shards {
				return
			}
			// Balanced by cost: with random ids no shard is far from its share (a prefix is ~1/256 of
			// the whole, so a cut misses its mark by at most about that much, plus the randomness).
			var total time.Duration
			for _, s := range shards {
				total += s.cost
			}
			share := float64(total) / float64(len(shards))
			for i, s := range shards {
				assert.InDelta(t, share, float64(s.cost), share*0.5+float64(total)/prefixCount*1.5, "shard %d cost %s, share %s", i, s.cost, time.Duration(share))
			}
		})
	}
}

func TestPlanShardsRefuses(t *testing.T) {
	t.Parallel()
	_, err := planShards(nil, 0)
	require.Error(t, err)
	_, err = planShards([]planned{{t: target.Target{ID: "not-an-id"}}}, 2)
	require.ErrorContains(t, err, "not-an-id")
	// More targets under one prefix than a message holds.
	crowded := make([]planned, maxShardIDs+1)
	for i := range crowded {
		crowded[i] = planned{t: target.Target{ID: fmt.Sprintf("ab%030x", i)}, cost: time.Second}
	}
	_, err = planShards(crowded, 2)
	require.ErrorContains(t, err, "prefix ab")
}

func TestShardMessageOfMaxIDsFits(t *testing.T) {
	t.Parallel()
	ids := make([]string, maxShardIDs)
	for i := range ids {
		ids[i] = fmt.Sprintf("%032x", i)
	}
	m := ShardMessage{Version: ShardMessageVersion, RunID: strings.Repeat("r", 128), Shard: 255, Shards: 256,
		From: "00", To: "ff", IDs: ids, IssuedAt: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	b, err := EncodeShardMessage(m)
	require.NoError(t, err)
	assert.Less(t, len(b), maxShardMessageBytes, "the largest shard message fits SQS's 256 KiB")
	got, err := DecodeShardMessage(b)
	require.NoError(t, err)
	assert.Equal(t, m.IDs, got.IDs)
	assert.Equal(t, m.RunID, got.RunID)
	assert.True(t, m.NotAfter.Equal(got.NotAfter))
}

func validShardMessage() ShardMessage {
	at := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	return ShardMessage{Version: ShardMessageVersion, RunID: "run-1", Shard: 1, Shards: 3, From: "40", To: "7f",
		IDs: []string{"40" + strings.Repeat("0", 30), "7f" + strings.Repeat("f", 30)}, IssuedAt: at, NotAfter: at.Add(time.Minute)}
}

func TestDecodeShardMessage(t *testing.T) {
	t.Parallel()
	encode := func(f func(m *ShardMessage)) []byte {
		m := validShardMessage()
		f(&m)
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}
	got, err := DecodeShardMessage(encode(func(*ShardMessage) {}))
	require.NoError(t, err)
	assert.Equal(t, validShardMessage().IDs, got.IDs)
	assert.Equal(t, shard{from: 0x40, to: 0x7f, ids: got.IDs}, got.shard())

	tests := []struct {
		name, body, want string
	}{
		{"not JSON", "{", "unexpected EOF"},
		{"empty", "", "EOF"},
		{"array", "[]", "cannot unmarshal"},
		{"unknown field", `{"version":1,"extra":true}`, "unknown field"},
		{"trailing data", string(encode(func(*ShardMessage) {})) + "{}", "data after"},
		{"other version", string(encode(func(m *ShardMessage) { m.Version = 2 })), "version 2"},
		{"no run id", string(encode(func(m *ShardMessage) { m.RunID = "" })), "run_id"},
		{"shard out of range", string(encode(func(m *ShardMessage) { m.Shard = 3 })), "shard 3 of 3"},
		{"too many shards", string(encode(func(m *ShardMessage) { m.Shards = MaxShards + 1 })), "shard 1 of 257"},
		{"range reversed", string(encode(func(m *ShardMessage) { m.From, m.To = "7f", "40" })), "prefix range"},
		{"upper-case prefix", string(encode(func(m *ShardMessage) { m.From = "4A" })), "prefix range"},
		{"long prefix", string(encode(func(m *ShardMessage) { m.To = "7ff" })), "prefix range"},
		{"id outside the range", string(encode(func(m *ShardMessage) { m.IDs = append(m.IDs, "80"+strings.Repeat("0", 30)) })), "not a target id under 40-7f"},
		{"bad id", string(encode(func(m *ShardMessage) { m.IDs = []string{"4"} })), "not a target id"},
		{"id twice", string(encode(func(m *ShardMessage) { m.IDs = append(m.IDs, m.IDs[0]) })), "listed twice"},
		{"no issue time", string(encode(func(m *ShardMessage) { m.IssuedAt = time.Time{} })), "not_after"},
		{"expired before issued", string(encode(func(m *ShardMessage) { m.NotAfter = m.IssuedAt })), "not_after"},
		{"too large", `{"run_id":"` + strings.Repeat("r", maxShardMessageBytes) + `"}`, "more than SQS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeShardMessage([]byte(tt.body))
			require.ErrorIs(t, err, ErrBadShardMessage)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func FuzzDecodeShardMessage(f *testing.F) {
	b, err := json.Marshal(validShardMessage())
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"run_id":"r","shard":0,"shards":1,"from":"00","to":"ff","ids":null,"issued_at":"2026-01-01T00:00:00Z","not_after":"2026-01-01T00:01:00Z"}`))
	f.Add([]byte("null"))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := DecodeShardMessage(body)
		if err != nil {
			require.ErrorIs(t, err, ErrBadShardMessage)
			return
		}
		// What is accepted is a valid shard: every id under its range, once; and it encodes again.
		s := m.shard()
		seen := map[string]bool{}
		for _, id := range m.IDs {
			require.True(t, s.owns(id))
			require.False(t, seen[id])
			seen[id] = true
		}
		again, err := EncodeShardMessage(m)
		require.NoError(t, err)
		m2, err := DecodeShardMessage(again)
		require.NoError(t, err)
		require.Equal(t, m.IDs, m2.IDs)
	})
}

func TestShardOwnsItsPrefixes(t *testing.T) {
	t.Parallel()
	s := shard{from: 0x0f, to: 0x11}
	assert.Equal(t, []string{"0f", "10", "11"}, s.prefixes())
	for id, want := range map[string]bool{
		"0f" + strings.Repeat("a", 30): true,
		"11" + strings.Repeat("f", 30): true,
		"0e" + strings.Repeat("f", 30): false,
		"12" + strings.Repeat("0", 30): false,
		"10":                           false,
	} {
		assert.Equal(t, want, s.owns(id), id)
	}
}
