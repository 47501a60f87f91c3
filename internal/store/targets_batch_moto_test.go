//go:build integration

package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBatchGetEnabledAgainstDynamoDB: more ids than one BatchGetItem call takes come back as exactly
// the enabled targets among them; a disabled target, a gone id and a uniqueness item's id are left out.
func TestBatchGetEnabledAgainstDynamoDB(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	want := map[string]bool{}
	var ids []string
	for i := range 130 {
		tg := f.create(t, fmt.Sprintf("https://t%d.example/", i))
		want[tg.ID] = true
		ids = append(ids, tg.ID)
	}
	off := resolved(t, "https://off.example/")
	off.Enabled = false
	disabled, err := f.repo.Create(ctx, off)
	require.NoError(t, err)
	ids = append(ids, disabled.ID, "0123456789abcdef0123456789abcdef")

	page, err := NewTargetBatches(f.db, f.table).BatchGetEnabled(ctx, ids)
	require.NoError(t, err)
	assert.Empty(t, page.Invalid)
	got := map[string]bool{}
	for _, tg := range page.Targets {
		got[tg.ID] = true
		assert.True(t, tg.Enabled)
	}
	assert.Equal(t, want, got)
}
