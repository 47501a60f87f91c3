package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Error codes of the JSON error body {"error": {"code": ..., "message": ...}}. They are part of the API
// contract (the end-to-end suite asserts them); messages are for humans and may change.
const (
	CodeMalformedBody        = "malformed_body"         // 400: isBase64Encoded body that is not base64
	CodeMalformedJSON        = "malformed_json"         // 400: empty, not UTF-8, syntax error, not an object, duplicate key, trailing data
	CodeUnknownField         = "unknown_field"          // 400: a field the API does not know (field set)
	CodeInvalidType          = "invalid_type"           // 400: a field of the wrong JSON type (field set)
	CodeInvalidField         = "invalid_field"          // 400: a value breaking a target rule (field set)
	CodeInvalidLimit         = "invalid_limit"          // 400: limit not an integer in 1..100
	CodeInvalidNextToken     = "invalid_next_token"     // 400: next_token not issued for this listing
	CodeInvalidIfMatch       = "invalid_if_match"       // 400: If-Match not a version ("3", 3, W/"3" or *)
	CodeNotFound             = "not_found"              // 404: unknown route, malformed or unknown target id
	CodeMethodNotAllowed     = "method_not_allowed"     // 405: with an Allow header
	CodeWrongRegion          = "wrong_region"           // 421: a write outside the home region (home_region, home_api_url set)
	CodeDuplicateURL         = "duplicate_url"          // 409: another target watches the normalized URL (existing_id set)
	CodeConflict             = "conflict"               // 409: concurrent modifications kept colliding; retry
	CodeVersionConflict      = "version_conflict"       // 412: If-Match is stale (current_version set)
	CodePayloadTooLarge      = "payload_too_large"      // 413: body over MaxBodyBytes
	CodeUnsupportedMediaType = "unsupported_media_type" // 415: Content-Type missing or not application/json
	CodeInternal             = "internal"               // 500: request_id set, no detail
)

// MaxBodyBytes is the largest request body accepted (after base64 decoding).
const MaxBodyBytes = 16 << 10

// apiError is an error answer. Field, ExistingID, CurrentVersion, HomeRegion, HomeAPIURL and RequestID
// are set where they apply.
type apiError struct {
	status         int
	Code           string `json:"code"`
	Message        string `json:"message"`
	Field          string `json:"field,omitempty"`
	ExistingID     string `json:"existing_id,omitempty"`
	CurrentVersion int64  `json:"current_version,omitempty"`
	HomeRegion     string `json:"home_region,omitempty"`
	HomeAPIURL     string `json:"home_api_url,omitempty"` // absent when the home region has not registered
	RequestID      string `json:"request_id,omitempty"`
	allow          string // Allow header of a 405
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, msg string) *apiError {
	return &apiError{status: status, Code: code, Message: msg}
}

func fieldError(code, field, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, Code: code, Field: field, Message: msg}
}

// reply is a response before it is turned into the API Gateway shape.
type reply struct {
	status  int
	body    any // nil: no body
	headers map[string]string
}

func (r *reply) header(k, v string) {
	if r.headers == nil {
		r.headers = map[string]string{}
	}
	r.headers[k] = v
}

func errorReply(e *apiError) reply {
	r := reply{status: e.status, body: struct {
		Error *apiError `json:"error"`
	}{e}}
	if e.allow != "" {
		r.header("Allow", e.allow)
	}
	return r
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// listBody is the shape of every paginated answer: next_token is absent on the last page.
type listBody[T any] struct {
	Items     []T    `json:"items"`
	NextToken string `json:"next_token,omitempty"`
}

// listReply is a 200 with one page: items is [] rather than null when the page is empty.
func listReply[T any](items []T, nextToken string) reply {
	if items == nil {
		items = []T{}
	}
	return reply{status: http.StatusOK, body: listBody[T]{Items: items, NextToken: nextToken}}
}

// encodeBody is json.Marshal(v) as a string. The encoder writes straight into the string's builder,
// where json.Marshal would copy its output to a new slice and string() copy it again.
func encodeBody(v any) (string, error) {
	var sb strings.Builder
	if err := json.NewEncoder(&sb).Encode(v); err != nil {
		return "", err
	}
	s := sb.String()
	return s[:len(s)-1], nil // Encode ends the document with a newline
}
