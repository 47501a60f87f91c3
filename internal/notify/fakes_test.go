package notify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/notify"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

// fakeTargets is the URL table: targets by id.
type fakeTargets struct {
	mu    sync.Mutex
	items map[string]target.Target
	err   error
	gets  atomic.Int32
}

func (f *fakeTargets) Get(_ context.Context, id string) (target.Target, error) {
	f.gets.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return target.Target{}, f.err
	}
	t, ok := f.items[id]
	if !ok {
		return target.Target{}, fmt.Errorf("get target %s: %w", id, store.ErrNotFound)
	}
	return t, nil
}

// fakeHistory is the alarm table: records newest first, paged like store.Alarms (the token is the
// index of the next record).
type fakeHistory struct {
	records []store.AlarmRecord // newest first
	err     error
	queries atomic.Int32
}

func (f *fakeHistory) History(_ context.Context, targetID string, limit int, token string) (store.AlarmPage, error) {
	f.queries.Add(1)
	if f.err != nil {
		return store.AlarmPage{}, f.err
	}
	var mine []store.AlarmRecord
	for _, r := range f.records {
		if r.TargetID == targetID {
			mine = append(mine, r)
		}
	}
	start := 0
	if token != "" {
		start, _ = strconv.Atoi(token)
	}
	end := min(start+limit, len(mine))
	page := store.AlarmPage{Items: mine[start:end]}
	if end < len(mine) {
		page.NextToken = strconv.Itoa(end)
	}
	return page, nil
}

// fakeDeliveries keeps store.Deliveries' rules in memory: a claim is granted when there is no item or
// the item is a claim whose lease has run out; only the holder settles or releases it.
type fakeDeliveries struct {
	mu       sync.Mutex
	items    map[string]*store.Delivery
	now      func() time.Time
	claimErr error // every Claim fails with it
	claims   int
	tokens   int
}

func newFakeDeliveries() *fakeDeliveries {
	return &fakeDeliveries{items: map[string]*store.Delivery{}, now: time.Now}
}

func (f *fakeDeliveries) Claim(_ context.Context, messageID, channel string, lease time.Duration) (store.Claim, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.claims++
	if f.claimErr != nil {
		return store.Claim{}, f.claimErr
	}
	id := store.DeliveryID(messageID, channel)
	now := f.now()
	if it, ok := f.items[id]; ok {
		switch {
		case it.Status == store.DeliveryDelivered:
			return store.Claim{}, fmt.Errorf("claim %s: %w", id, store.ErrDelivered)
		case it.Status == store.DeliveryRejected:
			return store.Claim{}, fmt.Errorf("claim %s: %w (%s)", id, store.ErrRejected, it.Detail)
		case it.LeaseUntil >= now.UnixMilli():
			return store.Claim{}, fmt.Errorf("claim %s: %w", id, store.ErrClaimed)
		}
	}
	f.tokens++
	c := store.Claim{ID: id, Token: strconv.Itoa(f.tokens), LeaseUntil: now.Add(lease)}
	prev := 0
	if it, ok := f.items[id]; ok {
		prev = it.Attempts
	}
	f.items[id] = &store.Delivery{ID: id, MessageID: messageID, Channel: channel, Status: store.DeliveryClaimed,
		ClaimToken: c.Token, LeaseUntil: c.LeaseUntil.UnixMilli(), Attempts: prev + 1}
	return c, nil
}

func (f *fakeDeliveries) settle(c store.Claim, status, detail string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[c.ID]
	if !ok || it.Status != store.DeliveryClaimed || it.ClaimToken != c.Token {
		return store.ErrClaimLost
	}
	it.Status, it.Detail, it.ClaimToken, it.LeaseUntil = status, detail, "", 0
	return nil
}

func (f *fakeDeliveries) Complete(_ context.Context, c store.Claim) error {
	return f.settle(c, store.DeliveryDelivered, "")
}

func (f *fakeDeliveries) Reject(_ context.Context, c store.Claim, detail string) error {
	return f.settle(c, store.DeliveryRejected, detail)
}

func (f *fakeDeliveries) Release(_ context.Context, c store.Claim) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[c.ID]
	if !ok || it.Status != store.DeliveryClaimed || it.ClaimToken != c.Token {
		return store.ErrClaimLost
	}
	delete(f.items, c.ID)
	return nil
}

// status is the stored status of a delivery, "" when there is none.
func (f *fakeDeliveries) status(messageID, channel string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if it, ok := f.items[store.DeliveryID(messageID, channel)]; ok {
		return it.Status
	}
	return ""
}

// fakeSecrets answers channels' secrets by channel name.
type fakeSecrets struct {
	mu     sync.Mutex
	values map[string]string
	errs   map[string]error
	reads  map[string]int
}

func (f *fakeSecrets) Value(_ context.Context, ch notify.Channel) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reads == nil {
		f.reads = map[string]int{}
	}
	f.reads[ch.Name]++
	if err := f.errs[ch.Name]; err != nil {
		return "", err
	}
	v, ok := f.values[ch.Name]
	if !ok {
		return "", errors.New("no such secret")
	}
	return v, nil
}

// fakeTopic is the people topic: it keeps every message published and answers the next calls with the
// errors of its script (nil or none: published).
type fakeTopic struct {
	mu     sync.Mutex
	inputs []*sns.PublishInput
	script []error
	calls  int
}

func (f *fakeTopic) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if len(f.script) > 0 {
		err := f.script[0]
		f.script = f.script[1:]
		if err != nil {
			return nil, err
		}
	}
	f.inputs = append(f.inputs, in)
	return &sns.PublishOutput{MessageId: aws.String(fmt.Sprintf("published-%d", len(f.inputs)))}, nil
}

func (f *fakeTopic) fail(errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, errs...)
}

func (f *fakeTopic) published() []*sns.PublishInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*sns.PublishInput(nil), f.inputs...)
}

// receiver is a webhook endpoint: it records each request's body by path and answers with the next
// status of the path's script (200 once the script is used up).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  map[string][]string
	script  map[string][]int
	headers map[string]http.Header
	delay   map[string]time.Duration // how long the path takes to answer
}

func newReceiver(t testing.TB) *receiver {
	t.Helper()
	r := &receiver{bodies: map[string][]string{}, script: map[string][]int{}, headers: map[string]http.Header{}, delay: map[string]time.Duration{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies[req.URL.Path] = append(r.bodies[req.URL.Path], string(b))
	r.headers[req.URL.Path] = req.Header.Clone()
	status := http.StatusOK
	if s := r.script[req.URL.Path]; len(s) > 0 {
		status, r.script[req.URL.Path] = s[0], s[1:]
	}
	delay := r.delay[req.URL.Path]
	r.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-req.Context().Done():
			return
		}
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "0")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, strings.ToLower(http.StatusText(status)))
}

func (r *receiver) answer(path string, statuses ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.script[path] = append(r.script[path], statuses...)
}

func (r *receiver) slow(path string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delay[path] = d
}

func (r *receiver) got(path string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies[path]...)
}

func (r *receiver) header(path string) http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.headers[path]
}

// total is the number of requests received on every path.
func (r *receiver) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, b := range r.bodies {
		n += len(b)
	}
	return n
}

func mustPoster(t testing.TB, o notify.PosterOptions) *notify.Poster {
	t.Helper()
	p, err := notify.NewPoster(o)
	require.NoError(t, err)
	return p
}
