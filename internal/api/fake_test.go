package api

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

// fakeStore is an in-memory TargetStore and AlarmStore with the store's semantics (normalized-URL
// uniqueness, versions, typed errors, opaque tokens). It counts calls so tests can prove a rejected
// request changed nothing.
type fakeStore struct {
	mu        sync.Mutex
	targets   map[string]target.Target
	owners    map[string]string              // target.URLKey of the normalized URL -> id, like the store's uniqueness items
	sorted    []string                       // ids in list order; nil after a change
	alarms    map[string][]store.AlarmRecord // newest first
	now       time.Time
	calls     map[string]int
	lastLimit int
	fail      error // returned by every method when set
	panicMsg  string
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		targets: map[string]target.Target{},
		owners:  map[string]string{},
		alarms:  map[string][]store.AlarmRecord{},
		now:     time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC),
		calls:   map[string]int{},
	}
}

func (f *fakeStore) enter(op string) error {
	f.calls[op]++
	if f.panicMsg != "" {
		panic(f.panicMsg)
	}
	return f.fail
}

// mutations counts calls of the methods that write.
func (f *fakeStore) mutations() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls["Create"] + f.calls["Replace"] + f.calls["Delete"]
}

func (f *fakeStore) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeStore) snapshot() map[string]target.Target {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.targets)
}

func (f *fakeStore) owner(url string) string { return f.owners[target.URLKey(url)] }

// put stores t and moves its URL's ownership (the store writes both in one transaction).
func (f *fakeStore) put(t target.Target) {
	if old, ok := f.targets[t.ID]; ok {
		delete(f.owners, target.URLKey(old.URL))
	} else {
		f.sorted = nil
	}
	f.targets[t.ID] = t
	f.owners[target.URLKey(t.URL)] = t.ID
}

// seed stores a target directly (no call counted).
func (f *fakeStore) seed(rawURL string) target.Target {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := target.Resolve(target.Spec{URL: rawURL}, nil, time.Now())
	if err != nil {
		panic(err)
	}
	t.ID = fmt.Sprintf("%032x", len(f.targets)+1)
	t.CreatedAt, t.UpdatedAt, t.Version = f.now, f.now, 1
	f.put(t)
	return t
}

func (f *fakeStore) Create(_ context.Context, t target.Target) (target.Target, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Create"); err != nil {
		return target.Target{}, err
	}
	if id := f.owner(t.URL); id != "" {
		return target.Target{}, &store.DuplicateURLError{URL: t.URL, ExistingID: id}
	}
	id, err := target.NewID()
	if err != nil {
		return target.Target{}, err
	}
	t.ID, t.CreatedAt, t.UpdatedAt, t.Version = id, f.now, f.now, 1
	f.put(t)
	return t, nil
}

func (f *fakeStore) Get(_ context.Context, id string) (target.Target, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Get"); err != nil {
		return target.Target{}, err
	}
	t, ok := f.targets[id]
	if !ok {
		return target.Target{}, fmt.Errorf("get target %s: %w", id, store.ErrNotFound)
	}
	return t, nil
}

// fake tokens: "fake:<offset>".
func (f *fakeStore) List(_ context.Context, limit int, token string) (store.TargetPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("List"); err != nil {
		return store.TargetPage{}, err
	}
	f.lastLimit = limit
	if f.sorted == nil {
		f.sorted = slices.Sorted(maps.Keys(f.targets))
	}
	ids := f.sorted
	start, err := fakeOffset(token)
	if err != nil {
		return store.TargetPage{}, err
	}
	var page store.TargetPage // Items nil when empty, as the store answers
	if n := min(limit, len(ids)-start); n > 0 {
		page.Items = make([]target.Target, 0, n)
	}
	for i := start; i < len(ids) && len(page.Items) < limit; i++ {
		page.Items = append(page.Items, f.targets[ids[i]])
	}
	if start+limit < len(ids) {
		page.NextToken = "fake:" + strconv.Itoa(start+limit)
	}
	return page, nil
}

func fakeOffset(token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(token, "fake:"))
	if !strings.HasPrefix(token, "fake:") || err != nil || n < 0 {
		return 0, fmt.Errorf("fake list: %w", store.ErrBadToken)
	}
	return n, nil
}

func (f *fakeStore) Replace(_ context.Context, id string, t target.Target, expected int64) (target.Target, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Replace"); err != nil {
		return target.Target{}, err
	}
	cur, ok := f.targets[id]
	if !ok {
		return target.Target{}, store.ErrNotFound
	}
	if expected > 0 && expected != cur.Version {
		return target.Target{}, &store.VersionConflictError{Expected: expected, Current: cur.Version}
	}
	if owner := f.owner(t.URL); owner != "" && owner != id {
		return target.Target{}, &store.DuplicateURLError{URL: t.URL, ExistingID: owner}
	}
	t.ID, t.CreatedAt, t.LastCheck = id, cur.CreatedAt, cur.LastCheck
	t.UpdatedAt, t.Version = f.now.Add(time.Minute), cur.Version+1
	f.put(t)
	return t, nil
}

func (f *fakeStore) Delete(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Delete"); err != nil {
		return err
	}
	t, ok := f.targets[id]
	if !ok {
		return store.ErrNotFound
	}
	delete(f.owners, target.URLKey(t.URL))
	delete(f.targets, id)
	f.sorted = nil
	return nil
}

func (f *fakeStore) History(_ context.Context, id string, limit int, token string) (store.AlarmPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("History"); err != nil {
		return store.AlarmPage{}, err
	}
	f.lastLimit = limit
	start, err := fakeOffset(token)
	if err != nil {
		return store.AlarmPage{}, err
	}
	recs := f.alarms[id]
	var page store.AlarmPage
	for i := start; i < len(recs) && len(page.Items) < limit; i++ {
		page.Items = append(page.Items, recs[i])
	}
	if start+limit < len(recs) {
		page.NextToken = "fake:" + strconv.Itoa(start+limit)
	}
	return page, nil
}
