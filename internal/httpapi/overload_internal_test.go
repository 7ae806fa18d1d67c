package httpapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestOverloadAnswer: every kind of overload is one answer, 503 with Retry-After and a fixed
// message, whatever detail the error carries.
func TestOverloadAnswer(t *testing.T) {
	for _, err := range []error{
		vigil.ErrOverloaded,
		fmt.Errorf("sqlite: the write queue is full (2 units): %w", vigil.ErrOverloaded),
		fmt.Errorf("read user: %w", context.DeadlineExceeded),
		context.Canceled,
	} {
		w := httptest.NewRecorder()
		writeError(w, httptest.NewRequest(http.MethodGet, "/", nil), slog.New(slog.NewTextHandler(io.Discard, nil)), err)
		want := `{"message":"` + overloadedMessage + `"}`
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != retryAfterSeconds || w.Body.String() != want {
			t.Errorf("%v: %d, Retry-After %q, %s; want 503, %s, %s", err, w.Code, w.Header().Get("Retry-After"), w.Body, retryAfterSeconds, want)
		}
	}
}
