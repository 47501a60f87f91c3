// Package api is the urlapi Lambda handler behind API Gateway (REST, Lambda proxy integration):
// routing, the JSON contract, error mapping and CORS. Storage sits behind small interfaces
// implemented by internal/store.
package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/verdict"
)

// TargetStore is the target repository the handler uses (*store.Targets implements it).
type TargetStore interface {
	Create(ctx context.Context, t target.Target) (target.Target, error)
	Get(ctx context.Context, id string) (target.Target, error)
	List(ctx context.Context, limit int, token string) (store.TargetPage, error)
	Replace(ctx context.Context, id string, t target.Target, expectedVersion int64) (target.Target, error)
	Delete(ctx context.Context, id string) error
}

// AlarmStore reads alarm history (*store.Alarms implements it).
type AlarmStore interface {
	History(ctx context.Context, targetID string, limit int, token string) (store.AlarmPage, error)
}

// CheckStore reads the regions' latest checks of targets (*store.Checks implements it).
type CheckStore interface {
	ChecksFor(ctx context.Context, targetID string) (store.RegionChecks, error)
	BatchChecks(ctx context.Context, targetIDs, regions []string) (map[string]store.RegionChecks, error)
}

// RegionItems reads a region's registration (*store.Targets implements it).
type RegionItems interface {
	RegionItem(ctx context.Context, region string) (store.RegionItem, error)
}

// Handler serves the URL API. It is immutable after New and safe for concurrent use.
type Handler struct {
	targets TargetStore
	alarms  AlarmStore
	checks  CheckStore  // nil: no checks table, the home region's check is the target's last_check
	regItem RegionItems // nil: a refused write names the home region only
	regions verdict.Settings
	policy  *netguard.Policy
	cors    corsPolicy
	now     func() time.Time
	log     *slog.Logger
}

// Option adjusts a Handler.
type Option func(*Handler)

// WithLogger replaces slog.Default().
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithClock replaces time.Now, the time a muted_until is judged against.
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithChecks reads the regions' checks of the targets answered from c (the checks table).
func WithChecks(c CheckStore) Option { return func(h *Handler) { h.checks = c } }

// WithRegionItems reads the home region's API endpoint from r for the writes refused outside it.
func WithRegionItems(r RegionItems) Option { return func(h *Handler) { h.regItem = r } }

// New returns the handler. cfg supplies the private-target switch, the CORS origins and the regions
// (a Config without regions, as tests build, is one region of its own named "local").
func New(targets TargetStore, alarms AlarmStore, cfg Config, opts ...Option) *Handler {
	regions := cfg.Regions
	if len(regions.Regions) == 0 {
		regions = verdict.Single(cmp.Or(regions.Region, regions.Home, "local"))
	}
	h := &Handler{
		targets: targets,
		alarms:  alarms,
		regions: regions,
		policy:  netguard.New(cfg.AllowPrivateTargets),
		cors:    newCORSPolicy(cfg.CORSAllowOrigins),
		now:     time.Now,
		log:     slog.Default(),
	}
	for _, o := range opts {
		o(h)
	}
	return h
}

type routeKind int

const (
	routeNone       routeKind = iota
	routeCollection           // /urls
	routeItem                 // /urls/{id}
	routeAlarms               // /urls/{id}/alarms
)

func (k routeKind) String() string {
	switch k {
	case routeCollection:
		return "/urls"
	case routeItem:
		return "/urls/{id}"
	case routeAlarms:
		return "/urls/{id}/alarms"
	}
	return "unknown"
}

// methods lists what each route answers, as sent in Allow.
func (k routeKind) methods() string {
	switch k {
	case routeCollection:
		return "GET, POST, OPTIONS"
	case routeItem:
		return "GET, PUT, DELETE, OPTIONS"
	case routeAlarms:
		return "GET, OPTIONS"
	}
	return ""
}

// route matches the request. Declared resources are matched by their template and path parameters,
// which does not depend on how the API is mounted (stage, custom-domain base path); anything else,
// including what the "/{proxy+}" catch-all forwards, is matched on the request path.
func route(req *events.APIGatewayProxyRequest) (routeKind, string) {
	switch req.Resource {
	case "/urls":
		return routeCollection, ""
	case "/urls/{id}":
		return routeItem, req.PathParameters["id"]
	case "/urls/{id}/alarms":
		return routeAlarms, req.PathParameters["id"]
	}
	path := req.Path
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if segs[0] != "urls" || !strings.HasPrefix(path, "/") {
		return routeNone, ""
	}
	switch {
	case len(segs) == 1:
		return routeCollection, ""
	case len(segs) == 2 && segs[1] != "":
		return routeItem, segs[1]
	case len(segs) == 3 && segs[1] != "" && segs[2] == "alarms":
		return routeAlarms, segs[1]
	}
	return routeNone, ""
}

// Handle serves one API Gateway proxy request. It never returns an error: failures are JSON answers
// (an error would make API Gateway answer 502 without CORS headers).
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse, _ error) {
	start := time.Now()
	reqID := req.RequestContext.RequestID
	lambdaReqID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		lambdaReqID = lc.AwsRequestID
	}
	if reqID == "" {
		reqID = lambdaReqID
	}
	log := h.log.With(slog.String("apigw_request_id", req.RequestContext.RequestID),
		slog.String("lambda_request_id", lambdaReqID), slog.String("method", req.HTTPMethod), slog.String("path", req.Path))
	hdr := headers(&req)
	kind, id := route(&req)

	r := func() (r reply) {
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(ctx, "panic serving request", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
				r = h.internal(reqID)
			}
		}()
		return h.serve(ctx, log, &req, hdr, kind, id, reqID)
	}()
	if req.HTTPMethod != http.MethodOptions {
		h.cors.apply(hdr, &r)
	}
	resp = h.render(ctx, log, r, reqID)
	log.InfoContext(ctx, "request served", slog.String("route", kind.String()), slog.Int("status", resp.StatusCode),
		slog.Int64("duration_ms", time.Since(start).Milliseconds()))
	return resp, nil
}

func (h *Handler) serve(ctx context.Context, log *slog.Logger, req *events.APIGatewayProxyRequest, hdr http.Header,
	kind routeKind, id, reqID string) reply {
	if kind == routeNone {
		return errorReply(newError(http.StatusNotFound, CodeNotFound, "no such resource; the API serves /urls, /urls/{id} and /urls/{id}/alarms"))
	}
	method := req.HTTPMethod
	if method == http.MethodOptions {
		return h.cors.preflight(hdr, kind.methods())
	}
	if !strings.Contains(", "+kind.methods()+",", ", "+method+",") {
		e := newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			fmt.Sprintf("method %s is not allowed on %s; allowed: %s", method, kind, kind.methods()))
		e.allow = kind.methods()
		return errorReply(e)
	}
	if kind != routeCollection && !target.ValidID(id) {
		return errorReply(notFound(""))
	}
	if method != http.MethodGet && !h.regions.IsHome() {
		// Writes are homed (docs/design.md "Multi-region"): refused before anything is read or written.
		return errorReply(h.wrongRegion(ctx, log))
	}

	var (
		r   reply
		err error
	)
	switch {
	case kind == routeCollection && method == http.MethodGet:
		r, err = h.list(ctx, req)
	case kind == routeCollection && method == http.MethodPost:
		r, err = h.create(ctx, req, hdr)
	case kind == routeItem && method == http.MethodGet:
		r, err = h.get(ctx, id)
	case kind == routeItem && method == http.MethodPut:
		r, err = h.replace(ctx, req, hdr, id)
	case kind == routeItem && method == http.MethodDelete:
		r, err = h.delete(ctx, id)
	case kind == routeAlarms && method == http.MethodGet:
		r, err = h.history(ctx, req, id)
	}
	if err != nil {
		return h.failure(ctx, log, err, id, reqID)
	}
	return r
}

func notFound(id string) *apiError {
	if id == "" {
		return newError(http.StatusNotFound, CodeNotFound, "target not found")
	}
	return newError(http.StatusNotFound, CodeNotFound, fmt.Sprintf("target %s not found", id))
}

// failure maps an error to its answer: client errors by type, anything else a logged 500.
func (h *Handler) failure(ctx context.Context, log *slog.Logger, err error, id, reqID string) reply {
	var (
		ae  *apiError
		dup *store.DuplicateURLError
		vc  *store.VersionConflictError
		fe  *target.FieldError
	)
	switch {
	case errors.As(err, &ae):
		return errorReply(ae)
	case errors.As(err, &fe):
		return errorReply(fieldError(CodeInvalidField, fe.Field, fe.Error()))
	case errors.As(err, &dup):
		e := newError(http.StatusConflict, CodeDuplicateURL,
			fmt.Sprintf("url %s is already monitored by target %s", dup.URL, dup.ExistingID))
		e.ExistingID = dup.ExistingID
		return errorReply(e)
	case errors.As(err, &vc):
		e := newError(http.StatusPreconditionFailed, CodeVersionConflict,
			fmt.Sprintf("If-Match version %d is stale: the current version is %d", vc.Expected, vc.Current))
		e.CurrentVersion = vc.Current
		return errorReply(e)
	case errors.Is(err, store.ErrNotFound):
		return errorReply(notFound(id))
	case errors.Is(err, store.ErrBadToken):
		return errorReply(fieldError(CodeInvalidNextToken, "next_token",
			"next_token is not valid for this listing; pass the next_token of the previous page unchanged"))
	case errors.Is(err, store.ErrBadLimit):
		return errorReply(errBadLimit)
	case errors.Is(err, store.ErrContention):
		return errorReply(newError(http.StatusConflict, CodeConflict, "the target is being modified concurrently; retry the request"))
	}
	log.ErrorContext(ctx, "request failed", slog.Any("error", err))
	return h.internal(reqID)
}

func (h *Handler) internal(reqID string) reply {
	e := newError(http.StatusInternalServerError, CodeInternal, "internal error")
	e.RequestID = reqID
	return errorReply(e)
}

// render turns a reply into the proxy response, encoding the body as JSON.
func (h *Handler) render(ctx context.Context, log *slog.Logger, r reply, reqID string) events.APIGatewayProxyResponse {
	resp := events.APIGatewayProxyResponse{StatusCode: r.status, Headers: map[string]string{
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
	}}
	for k, v := range r.headers {
		resp.Headers[k] = v
	}
	if r.body == nil {
		return resp
	}
	body, err := encodeBody(r.body)
	if err != nil { // only a bug can get here; answer 500 rather than half a body
		log.ErrorContext(ctx, "encode response", slog.Any("error", err))
		body, _ = encodeBody(h.internal(reqID).body)
		resp.StatusCode = http.StatusInternalServerError
		for _, k := range []string{"ETag", "Location"} {
			delete(resp.Headers, k)
		}
	}
	resp.Headers["Content-Type"] = "application/json; charset=utf-8"
	resp.Body = body
	return resp
}

func (h *Handler) list(ctx context.Context, req *events.APIGatewayProxyRequest) (reply, error) {
	limit, token, perr := pageParams(req)
	if perr != nil {
		return reply{}, perr
	}
	page, err := h.targets.List(ctx, limit, token)
	if err != nil {
		return reply{}, err
	}
	var checks map[string]store.RegionChecks
	if h.checks != nil && len(page.Items) > 0 {
		ids := make([]string, len(page.Items))
		for i := range page.Items {
			ids[i] = page.Items[i].ID
		}
		if checks, err = h.checks.BatchChecks(ctx, ids, h.regions.Regions); err != nil {
			return reply{}, err
		}
	}
	items := targetsBody(page.Items)
	now := h.now()
	for i := range items {
		items[i].Status = h.judge(&page.Items[i], checks[page.Items[i].ID], now).Status
	}
	return listReply(items, page.NextToken), nil
}

// judge is the verdict on t from its regions' checks. The home region's check is the target's
// last_check where the checks table has none of it (no checks table, or a target checked before it was).
func (h *Handler) judge(t *target.Target, checks store.RegionChecks, now time.Time) verdict.Verdict {
	if _, ok := checks[h.regions.Home]; !ok && t.LastCheck != nil {
		with := make(store.RegionChecks, len(checks)+1)
		maps.Copy(with, checks)
		with[h.regions.Home] = *t.LastCheck
		checks = with
	}
	return h.regions.Judge(checks, now)
}

// wrongRegion is the answer to a write outside the home region: 421, naming the home region and, when
// it has registered its region item, its API endpoint.
func (h *Handler) wrongRegion(ctx context.Context, log *slog.Logger) *apiError {
	home := h.regions.Home
	e := newError(http.StatusMisdirectedRequest, CodeWrongRegion, fmt.Sprintf(
		"this is region %s: targets are created, replaced and deleted in the home region %s only", h.regions.Region, home))
	e.HomeRegion = home
	if h.regItem == nil {
		return e
	}
	it, err := h.regItem.RegionItem(ctx, home)
	switch {
	case err == nil:
		e.HomeAPIURL = it.APIURL
		e.Message = fmt.Sprintf("this is region %s: targets are created, replaced and deleted in the home region %s only; send the request to its API, %s",
			h.regions.Region, home, it.APIURL)
	case errors.Is(err, store.ErrNoRegionItem):
		log.WarnContext(ctx, "the home region has no region item: the refused write names the region only", slog.String("home_region", home))
	default:
		log.ErrorContext(ctx, "read the home region's item failed: the refused write names the region only", slog.Any("error", err))
	}
	return e
}

func (h *Handler) create(ctx context.Context, req *events.APIGatewayProxyRequest, hdr http.Header) (reply, error) {
	t, err := h.readTarget(req, hdr)
	if err != nil {
		return reply{}, err
	}
	created, err := h.targets.Create(ctx, t)
	if err != nil {
		return reply{}, err
	}
	r := reply{status: http.StatusCreated, body: targetBody(created)}
	r.header("Location", location(req, created.ID))
	r.header("ETag", etag(created.Version))
	return r, nil
}

// readTarget decodes a create/replace body and resolves it into a valid target (defaults, normalized URL).
func (h *Handler) readTarget(req *events.APIGatewayProxyRequest, hdr http.Header) (target.Target, error) {
	spec, perr := readSpec(req, hdr)
	if perr != nil {
		return target.Target{}, perr
	}
	return target.Resolve(spec, h.policy, h.now())
}

// location is the created target's path as the client addresses it. API Gateway's requestContext.path
// is the path the client called, including the stage on execute-api URLs ("/prod/urls") or the
// base path of a custom domain; when it is absent or unexpected the root-relative "/urls/{id}" is used.
func location(req *events.APIGatewayProxyRequest, id string) string {
	p := strings.TrimSuffix(req.RequestContext.Path, "/")
	if strings.HasPrefix(p, "/") && strings.HasSuffix(p, "/urls") && printableASCII(p) {
		return p + "/" + id
	}
	return "/urls/" + id
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func (h *Handler) get(ctx context.Context, id string) (reply, error) {
	t, err := h.targets.Get(ctx, id)
	if err != nil {
		return reply{}, err
	}
	var checks store.RegionChecks
	if h.checks != nil {
		if checks, err = h.checks.ChecksFor(ctx, id); err != nil {
			return reply{}, err
		}
	}
	v := h.judge(&t, checks, h.now())
	body := targetBody(t)
	body.Regions, body.Status = regionsBody(v.Regions), v.Status
	r := reply{status: http.StatusOK, body: body}
	r.header("ETag", etag(t.Version))
	return r, nil
}

func (h *Handler) replace(ctx context.Context, req *events.APIGatewayProxyRequest, hdr http.Header, id string) (reply, error) {
	version, perr := parseIfMatch(hdr)
	if perr != nil {
		return reply{}, perr
	}
	t, err := h.readTarget(req, hdr)
	if err != nil {
		return reply{}, err
	}
	replaced, err := h.targets.Replace(ctx, id, t, version)
	if err != nil {
		return reply{}, err
	}
	r := reply{status: http.StatusOK, body: targetBody(replaced)}
	r.header("ETag", etag(replaced.Version))
	return r, nil
}

func (h *Handler) delete(ctx context.Context, id string) (reply, error) {
	if err := h.targets.Delete(ctx, id); err != nil {
		return reply{}, err
	}
	return reply{status: http.StatusNoContent}, nil
}

// history answers a target's alarm history; a target that does not exist is a 404, like its other
// sub-resources, even if records of a deleted target remain until they expire.
func (h *Handler) history(ctx context.Context, req *events.APIGatewayProxyRequest, id string) (reply, error) {
	limit, token, perr := pageParams(req)
	if perr != nil {
		return reply{}, perr
	}
	if _, err := h.targets.Get(ctx, id); err != nil {
		return reply{}, err
	}
	page, err := h.alarms.History(ctx, id, limit, token)
	if err != nil {
		return reply{}, err
	}
	return listReply(page.Items, page.NextToken), nil
}
