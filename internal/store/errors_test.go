package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestErrorTypes(t *testing.T) {
	t.Parallel()
	dup := fmt.Errorf("wrap: %w", &DuplicateURLError{URL: "https://x/", ExistingID: "abc"})
	assert.ErrorIs(t, dup, ErrDuplicateURL)
	assert.Contains(t, dup.Error(), "abc")
	vc := fmt.Errorf("wrap: %w", &VersionConflictError{Expected: 1, Current: 4})
	assert.ErrorIs(t, vc, ErrVersionConflict)
	assert.Contains(t, vc.Error(), "current version is 4")
	assert.False(t, errors.Is(dup, ErrVersionConflict))
}
