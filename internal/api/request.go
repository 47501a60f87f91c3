package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

// headers merges the single- and multi-value header maps of a proxy event into a case-insensitive
// http.Header (API Gateway passes names as the client spelled them).
func headers(req *events.APIGatewayProxyRequest) http.Header {
	h := make(http.Header, len(req.MultiValueHeaders)+len(req.Headers))
	for k, vs := range req.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range req.Headers {
		if _, ok := h[http.CanonicalHeaderKey(k)]; !ok {
			h.Set(k, v)
		}
	}
	return h
}

// queryParam returns the single value of a query parameter; a repeated parameter is an error.
func queryParam(req *events.APIGatewayProxyRequest, name string) (string, error) {
	if vs, ok := req.MultiValueQueryStringParameters[name]; ok {
		if len(vs) > 1 {
			return "", fmt.Errorf("%s must be given once", name)
		}
		if len(vs) == 1 {
			return vs[0], nil
		}
		return "", nil
	}
	return req.QueryStringParameters[name], nil
}

// errBadLimit answers a limit that is not one integer in 1..store.MaxPageSize.
var errBadLimit = fieldError(CodeInvalidLimit, "limit", fmt.Sprintf("limit must be an integer between 1 and %d", store.MaxPageSize))

// pageParams reads limit (default store.DefaultPageSize, 1..store.MaxPageSize) and next_token.
func pageParams(req *events.APIGatewayProxyRequest) (int, string, *apiError) {
	raw, err := queryParam(req, "limit")
	if err != nil {
		return 0, "", errBadLimit
	}
	limit := store.DefaultPageSize
	if raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > store.MaxPageSize || strings.HasPrefix(raw, "+") {
			return 0, "", errBadLimit
		}
		limit = n
	}
	token, err := queryParam(req, "next_token")
	if err != nil {
		return 0, "", fieldError(CodeInvalidNextToken, "next_token", err.Error())
	}
	return limit, token, nil
}

var errBadIfMatch = newError(http.StatusBadRequest, CodeInvalidIfMatch,
	`If-Match must be a single version as returned in ETag: "3" (3 and W/"3" are accepted too), or *`)

// parseIfMatch returns the version an If-Match header requires; 0 means no precondition (absent or *).
func parseIfMatch(h http.Header) (int64, *apiError) {
	vs := h.Values("If-Match")
	switch len(vs) {
	case 0:
		return 0, nil
	case 1:
	default:
		return 0, errBadIfMatch
	}
	v := strings.TrimSpace(vs[0])
	if v == "*" {
		return 0, nil
	}
	v = strings.TrimPrefix(v, "W/")
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if v == "" || len(v) > 19 || strings.Trim(v, "0123456789") != "" {
		return 0, errBadIfMatch
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, errBadIfMatch
	}
	return n, nil
}

// specFields maps each JSON field of target.Spec to how its type is described in error messages;
// specFieldNames lists them in the order of the struct, for the unknown_field message.
var specFields, specFieldNames = func() (map[string]string, []string) {
	out := map[string]string{}
	var names []string
	typ := reflect.TypeFor[target.Spec]()
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names = append(names, name)
		t := f.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case name == "muted_until":
			out[name] = "an RFC 3339 time string such as 2026-11-21T18:00:00Z, or null"
		case t.Kind() == reflect.String:
			out[name] = "a string"
		case t.Kind() == reflect.Bool:
			out[name] = "a boolean (true or false)"
		case t.Kind() == reflect.Int:
			out[name] = "an integer"
		case t.Kind() == reflect.Slice:
			out[name] = "an array of integers"
		default:
			panic("api: describe type of target.Spec field " + name)
		}
	}
	return out, names
}()

// readSpec checks Content-Type, size and encoding of a create/replace body and decodes it strictly:
// one JSON object, known fields spelled exactly, each once, of the right types, nothing after it.
func readSpec(req *events.APIGatewayProxyRequest, h http.Header) (target.Spec, *apiError) {
	if err := checkContentType(h.Get("Content-Type")); err != nil {
		return target.Spec{}, err
	}
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		if len(req.Body) > base64.StdEncoding.EncodedLen(MaxBodyBytes) {
			return target.Spec{}, tooLarge()
		}
		dec, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return target.Spec{}, newError(http.StatusBadRequest, CodeMalformedBody, "the body is marked base64-encoded but is not valid base64")
		}
		body = dec
	}
	if len(body) > MaxBodyBytes {
		return target.Spec{}, tooLarge()
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return target.Spec{}, malformed("the request body is empty; send a JSON object")
	}
	if !utf8.Valid(body) {
		return target.Spec{}, malformed("the request body is not valid UTF-8")
	}
	if err := checkObjectShape(body); err != nil {
		return target.Spec{}, err
	}
	var spec target.Spec
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		return target.Spec{}, jsonError(err)
	}
	return spec, nil
}

func tooLarge() *apiError {
	return newError(http.StatusRequestEntityTooLarge, CodePayloadTooLarge,
		fmt.Sprintf("the request body must be at most %d bytes", MaxBodyBytes))
}

func malformed(msg string) *apiError {
	return newError(http.StatusBadRequest, CodeMalformedJSON, msg)
}

func checkContentType(ct string) *apiError {
	unsupported := newError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
		"Content-Type must be application/json")
	if ct == "" {
		return unsupported
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return unsupported
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		unsupported.Message = "Content-Type must be application/json with charset utf-8"
		return unsupported
	}
	return nil
}

// checkObjectShape walks the top level of body: it must be one object whose keys are known fields
// spelled exactly (encoding/json would accept "URL" for "url"), each given once, with nothing after it.
// Values are checked by the typed decode that follows.
func checkObjectShape(body []byte) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return malformed("the request body must be a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err)
		}
		key, _ := tok.(string)
		if _, known := specFields[key]; !known {
			return fieldError(CodeUnknownField, key, fmt.Sprintf("unknown field %q; allowed: %s", key, strings.Join(specFieldNames, ", ")))
		}
		if seen[key] {
			return fieldError(CodeMalformedJSON, key, fmt.Sprintf("field %q appears more than once", key))
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return jsonError(err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return malformed("unexpected data after the JSON object")
	}
	return nil
}

// jsonError turns a decoding error into a 400 naming the offending field where there is one.
func jsonError(err error) *apiError {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return malformed(fmt.Sprintf("malformed JSON at byte %d: %s", syntax.Offset, syntax.Error()))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return malformed("the JSON document is truncated")
	case errors.As(err, &typ):
		field, _, _ := strings.Cut(typ.Field, ".")
		want, ok := specFields[field]
		if !ok {
			return malformed("the request body must be a JSON object")
		}
		return fieldError(CodeInvalidType, field, fmt.Sprintf("%s must be %s, not %s", field, want, typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// Unreachable after checkObjectShape; kept so the decoder's own check maps correctly.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldError(CodeUnknownField, name, fmt.Sprintf("unknown field %q", name))
	default:
		return malformed("malformed JSON: " + err.Error())
	}
}
