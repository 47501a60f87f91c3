package lambdarun

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
)

// InvokeHandler serves Lambda's Invoke API (POST /2015-03-31/functions/{name}/invocations), so
// `aws lambda invoke --endpoint-url <local runtime>` and SDK clients can run functions locally.
func (s *Service) InvokeHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", s.serveInvoke)
	return mux
}

func (s *Service) serveInvoke(w http.ResponseWriter, r *http.Request) {
	target, err := url.PathUnescape(r.PathValue("name"))
	if err != nil {
		invokeAPIError(w, http.StatusBadRequest, "InvalidParameterValueException", "bad function name")
		return
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		target += ":" + q
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes+1))
	if err != nil || len(payload) > maxResponseBytes {
		invokeAPIError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "request payload too large")
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	switch r.Header.Get("X-Amz-Invocation-Type") {
	case "Event":
		a, err := s.InvokeAsync(r.Context(), target, payload)
		if err != nil {
			s.invokeFailed(w, err)
			return
		}
		w.Header().Set("X-Amzn-RequestId", a.RequestID)
		w.WriteHeader(http.StatusAccepted)
	case "DryRun":
		r2, err := s.Resolve(r.Context(), target)
		if err == nil {
			_, err = s.poolFor(r2.Config)
		}
		if err != nil {
			s.invokeFailed(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		res, err := s.Invoke(r.Context(), target, payload)
		if err != nil {
			s.invokeFailed(w, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-RequestId", res.RequestID)
		h.Set("X-Amz-Executed-Version", res.ExecutedVersion)
		if res.FunctionError != "" {
			h.Set("X-Amz-Function-Error", res.FunctionError)
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(res.Payload)
	}
}

func (s *Service) invokeFailed(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrFunctionNotFound):
		invokeAPIError(w, http.StatusNotFound, "ResourceNotFoundException", err.Error())
	case errors.Is(err, ErrThrottled):
		invokeAPIError(w, http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.")
	case errors.Is(err, ErrNoArtifact):
		// The caller is the developer on this machine: say exactly why nothing ran.
		invokeAPIError(w, http.StatusBadGateway, "LocalArtifactMismatch", err.Error())
	default:
		s.log.Error("invoke failed", "err", err)
		invokeAPIError(w, http.StatusInternalServerError, "ServiceException", "the local runtime could not run the function; see its log")
	}
}

func invokeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}
