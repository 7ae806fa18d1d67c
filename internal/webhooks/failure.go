package webhooks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// The failure classes a delivery record shows the tenant. They name what went wrong without an
// address or a Go error: the receiver's URL is the tenant's, but what it resolved to and what
// the server's network said are the operator's business (and a probe of the network behind
// Vigil must learn nothing from them).
const (
	FailureNotAllowed     = "address not allowed"
	FailureDNS            = "DNS failure"
	FailureRefused        = "connection refused"
	FailureReset          = "connection closed without an answer"
	FailureUnreachable    = "connection failed"
	FailureTimeout        = "timeout"
	FailureTLS            = "TLS error"
	FailureRedirect       = "HTTP 3xx (redirects are not followed)"
	FailureClientError    = "HTTP 4xx"
	FailureServerError    = "HTTP 5xx"
	FailureOtherStatus    = "HTTP status not 2xx"
	FailureEndpointGone   = "endpoint removed"
	FailureInterrupted    = "interrupted (Vigil stopped)"
	FailureInvalidRequest = "invalid URL"
)

// errNotAllowed is what the connection guard refuses with.
var errNotAllowed = errors.New("webhooks: address not allowed")

// statusFailure is a receiver's answer that was not 2xx.
type statusFailure int

func (s statusFailure) Error() string { return "the receiver answered " + strconv.Itoa(int(s)) }

// classify names the class of a failed attempt's error.
func classify(err error) string {
	var status statusFailure
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &status):
		switch {
		case status >= 300 && status < 400:
			return FailureRedirect
		case status >= 400 && status < 500:
			return FailureClientError
		case status >= 500 && status < 600:
			return FailureServerError
		}
		return FailureOtherStatus
	case errors.Is(err, errNotAllowed):
		return FailureNotAllowed
	case errors.Is(err, errEndpointGone):
		return FailureEndpointGone
	case errors.Is(err, errBadURL):
		return FailureInvalidRequest
	case errors.As(err, &dnsErr):
		return FailureDNS
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return FailureTimeout
	case errors.Is(err, context.Canceled):
		return FailureInterrupted
	case errors.Is(err, syscall.ECONNREFUSED):
		return FailureRefused
	case isTLS(err):
		return FailureTLS
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.EPIPE),
		// net/http's error for a connection closed before any answer is not exported.
		strings.Contains(err.Error(), "server closed idle connection"):
		return FailureReset
	}
	return FailureUnreachable
}

// isTLS reports a failed handshake or certificate check.
func isTLS(err error) bool {
	var (
		header     tls.RecordHeaderError
		alert      tls.AlertError
		verify     *tls.CertificateVerificationError
		unknownCA  x509.UnknownAuthorityError
		hostname   x509.HostnameError
		invalidCrt x509.CertificateInvalidError
	)
	if errors.As(err, &header) || errors.As(err, &alert) || errors.As(err, &verify) ||
		errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalidCrt) {
		return true
	}
	// crypto/tls reports most handshake failures as plain errors whose text starts with "tls: ".
	msg := err.Error()
	return strings.Contains(msg, "tls: ") || strings.Contains(msg, "x509: ")
}
