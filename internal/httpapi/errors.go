package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// errorBody is Flagright's ApiErrorResponse.
type errorBody struct {
	Message          string `json:"message"`
	ValidationErrors string `json:"validationErrors,omitempty"`
}

// statusByCode is the one table from domain error codes to HTTP statuses.
var statusByCode = map[vigil.Code]int{
	vigil.CodeInvalid:      http.StatusBadRequest,
	vigil.CodeUnauthorized: http.StatusUnauthorized,
	vigil.CodeNotFound:     http.StatusNotFound,
	vigil.CodeConflict:     http.StatusConflict,
	vigil.CodeTooLarge:     http.StatusRequestEntityTooLarge,
	vigil.CodeForbidden:    http.StatusForbidden,
	vigil.CodeGone:         http.StatusGone,
}

// retryAfterSeconds is the Retry-After of every 503: overload is expected to pass quickly.
const retryAfterSeconds = "1"

// overloadedMessage answers every refusal for load, whichever bound was hit.
const overloadedMessage = "The server is busy; the request was not applied. Retry later"

// writeError answers with err's status and message. Overload (vigil.ErrOverloaded, or the
// request's deadline passing) is 503 with Retry-After. Errors that are not a *vigil.Error or a
// *schema.DecodeError are internal: they are logged and answered 500 without detail.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var ve *vigil.Error
	var de *schema.DecodeError
	switch {
	case errors.Is(err, vigil.ErrOverloaded) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		// Canceled: the client left or the server is stopping; whoever still listens may retry.
		w.Header().Set("Retry-After", retryAfterSeconds)
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Message: overloadedMessage})
	case errors.As(err, &ve):
		writeJSON(w, statusByCode[ve.Code], errorBody{Message: ve.Message, ValidationErrors: ve.ValidationErrors()})
	case errors.As(err, &de):
		writeJSON(w, http.StatusBadRequest, errorBody{Message: de.Reason, ValidationErrors: de.Reason})
	default:
		// The route pattern, not the path: paths carry user ids, which stay out of logs.
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", r.Pattern, "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody{Message: "Internal server error; the request was not applied"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"message":"Internal server error"}`)
	}
	writeRaw(w, status, body)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	// With its length known, a reply over net/http's 2 KB buffer (an event's is about 6 KB) goes
	// out whole instead of chunked.
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
