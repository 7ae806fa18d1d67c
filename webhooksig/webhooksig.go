// Package webhooksig signs and verifies the webhooks that Vigil (and Flagright) send.
//
// Every webhook is an HTTP POST whose JSON body is signed with the endpoint's signing
// secret. The header [Header] ("x-flagright-signature") carries the lower-case hex
// HMAC-SHA256 of the exact request body bytes. While a secret is being rotated the header
// carries one signature per active secret, separated by commas; a receiver accepts the
// request if any of them matches its secret.
//
// Verify the raw body bytes before parsing them: re-encoding parsed JSON does not give back
// the bytes that were signed. A receiver:
//
//	http.HandleFunc("/vigil-webhooks", func(w http.ResponseWriter, r *http.Request) {
//		body, err := webhooksig.VerifyRequest(r, os.Getenv("VIGIL_WEBHOOK_SECRET"), 0)
//		switch {
//		case errors.Is(err, webhooksig.ErrBodyTooLarge):
//			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
//			return
//		case err != nil:
//			http.Error(w, "bad signature", http.StatusUnauthorized)
//			return
//		}
//		var event struct {
//			ID   string          `json:"id"`
//			Type string          `json:"type"`
//			Data json.RawMessage `json:"data"`
//		}
//		if err := json.Unmarshal(body, &event); err != nil {
//			http.Error(w, "bad JSON", http.StatusBadRequest)
//			return
//		}
//		// Deliveries are at least once: skip event.ID if it was already handled.
//		w.WriteHeader(http.StatusNoContent) // any 2xx acknowledges the delivery
//	})
//
// The package is a module of its own that uses only the standard library, so a receiver adds
// it without the server's dependencies:
//
//	go get github.com/vigil-aml/vigil/webhooksig
//
// Its releases are tagged webhooksig/vX.Y.Z in Vigil's repository.
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
)

// Header is the name of the HTTP request header that carries the signatures. HTTP header
// names are case-insensitive; Flagright's guide also spells it X-Flagright-Signature.
const Header = "x-flagright-signature"

// DefaultMaxBody is the body size limit VerifyRequest applies when it is given a limit of
// zero or less: 1 MiB, far more than any webhook Vigil sends.
const DefaultMaxBody int64 = 1 << 20

// Errors returned by VerifyRequest. Test for them with errors.Is.
var (
	// ErrMissingSignature means the request has no signature header, or an empty one.
	ErrMissingSignature = errors.New("webhooksig: missing " + Header + " header")
	// ErrBadSignature means no signature in the header matches the body and the secret.
	ErrBadSignature = errors.New("webhooksig: signature does not match")
	// ErrBodyTooLarge means the body exceeds the limit given to VerifyRequest.
	ErrBodyTooLarge = errors.New("webhooksig: request body too large")
	// ErrNoSecret means VerifyRequest was called with an empty secret, which can verify
	// nothing; it points at the receiver's configuration, not at the sender.
	ErrNoSecret = errors.New("webhooksig: empty signing secret")
)

// sigHexLen is the length of one hex-encoded HMAC-SHA256.
const sigHexLen = 2 * sha256.Size

func mac(body []byte, secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the value of the signature header for body: the lower-case hex HMAC-SHA256
// of body keyed by each secret, in the order of the secrets, separated by commas without
// spaces. Pass the new secret and the old one while a secret rotates. Empty secrets are
// skipped (Verify never accepts one); with no non-empty secret Sign returns "".
func Sign(body []byte, secrets ...string) string {
	var b strings.Builder
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(hex.EncodeToString(mac(body, s)))
	}
	return b.String()
}

// Verify reports whether header, the value of the signature header, holds a valid
// signature of body under secret. body must be the exact bytes received.
//
// The header may carry several comma-separated signatures (one per active secret during a
// rotation); Verify accepts if any of them matches. Spaces and tabs around each signature
// and upper-case hex digits are accepted. Entries that are not 64 hex digits never match
// (they are skipped, so a valid signature next to one still verifies). Verify returns false
// for an empty header or an empty secret. Signatures are compared in constant time with
// hmac.Equal.
func Verify(body []byte, header string, secret string) bool {
	if header == "" || secret == "" {
		return false
	}
	want := mac(body, secret)
	ok := false
	for entry := range strings.SplitSeq(header, ",") {
		entry = strings.TrimSpace(entry)
		if len(entry) != sigHexLen {
			continue
		}
		got, err := hex.DecodeString(entry)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			ok = true // keep going: the time taken does not depend on which entry matched
		}
	}
	return ok
}

// VerifyRequest reads the body of a webhook request, at most maxBody bytes (DefaultMaxBody
// when maxBody <= 0), and verifies it against the signature header with secret.
//
// On success it returns the body; parse those bytes, because VerifyRequest consumes r.Body
// and does not restore it (a middleware that must pass the request on can set
// r.Body = io.NopCloser(bytes.NewReader(body))). It does not close r.Body; the HTTP server
// does. On failure it returns a nil body and an error: ErrNoSecret for an empty secret,
// ErrMissingSignature when the header is absent or empty (the body is then not read),
// ErrBodyTooLarge (wrapped, with the limit) when the body exceeds the limit, ErrBadSignature
// when no signature matches, or the read error. Check them with errors.Is.
//
// If the header is split across several header lines, as some proxies do with
// comma-separated values, the lines are joined with commas.
func VerifyRequest(r *http.Request, secret string, maxBody int64) ([]byte, error) {
	if secret == "" {
		return nil, ErrNoSecret
	}
	header := strings.Join(r.Header.Values(Header), ",")
	if strings.TrimSpace(strings.ReplaceAll(header, ",", "")) == "" {
		return nil, ErrMissingSignature
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	tooLarge := fmt.Errorf("%w (limit %d bytes)", ErrBodyTooLarge, maxBody)
	if r.ContentLength > maxBody {
		return nil, tooLarge
	}
	var body []byte
	if r.Body != nil {
		var err error
		limit := maxBody
		if limit < math.MaxInt64 {
			limit++ // read one byte more than allowed to detect an oversized body
		}
		body, err = io.ReadAll(io.LimitReader(r.Body, limit))
		if err != nil {
			return nil, fmt.Errorf("webhooksig: reading body: %w", err)
		}
	}
	if int64(len(body)) > maxBody {
		return nil, tooLarge
	}
	if !Verify(body, header, secret) {
		return nil, ErrBadSignature
	}
	return body, nil
}
