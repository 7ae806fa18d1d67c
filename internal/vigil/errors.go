package vigil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-aml/vigil/internal/schema"
)

// Code classifies an error for the client; the HTTP layer maps each code to one status.
type Code int

// The error codes a client can see.
const (
	CodeInvalid Code = iota + 1
	CodeUnauthorized
	CodeNotFound
	CodeConflict
	CodeTooLarge
	// CodeForbidden: the caller is known but may not make this call.
	CodeForbidden
	// CodeGone: the resource existed and was erased.
	CodeGone
)

// Error is an error whose message is safe to show to a client.
type Error struct {
	Code    Code
	Message string
	// Problems lists every validation problem as "path: reason", sorted by path.
	Problems []string
	// Reason is the batch reasonCode of the error (VALIDATION_ERROR when empty).
	Reason string
}

func (e *Error) Error() string { return e.Message }

// ErrNotFound is returned by a Store when a record does not exist.
var ErrNotFound = errors.New("not found")

// ErrDuplicate is returned by a Store when an insert collides with a unique key (a concurrent
// writer in another process got there first); the service retries the whole unit.
var ErrDuplicate = errors.New("duplicate key")

// ErrRetry is returned by a Store when it aborted a unit for a concurrency conflict (a
// serialisation failure or deadlock); the service runs the unit again.
var ErrRetry = errors.New("concurrency conflict")

// ErrOverloaded is returned (wrapped) when a bound on waiting was hit: a full write queue, a
// unit that waited too long for the writer, a database pool with no connection to spare, a
// statement over its time limit. Nothing of the refused work was applied; the client should
// retry later.
var ErrOverloaded = errors.New("overloaded: retry later")

// Batch reason codes (Flagright's where it has one).
const (
	ReasonValidation       = "VALIDATION_ERROR"
	ReasonRelatedNotFound  = "RELATED_ID_NOT_FOUND"
	ReasonExists           = "ID_ALREADY_EXISTS"
	ReasonDuplicateInBatch = "DUPLICATE_ID_IN_BATCH"
	ReasonConflict         = "CONFLICT"
	ReasonTypeMismatch     = "USER_TYPE_MISMATCH"
	// ReasonErased is Vigil's: the record names a user id that was erased.
	ReasonErased = "USER_ERASED"
)

// withReason sets the batch reason code of an error.
func withReason(e *Error, reason string) *Error {
	e.Reason = reason
	return e
}

// invalid builds a 400 from validation problems; the message is the first problem.
func invalid(problems []schema.Problem) *Error {
	return invalidLines((&schema.Invalid{Problems: problems}).Strings())
}

// invalidLines builds a 400 from problems already rendered as "path: reason".
func invalidLines(lines []string) *Error {
	return &Error{Code: CodeInvalid, Message: lines[0], Problems: lines}
}

// inputError turns the checkers' error for wrong inputs (*schema.Invalid, from the schema, the
// rules or the risk model) into a 400 listing every problem; any other error is returned as is.
func inputError(err error) error {
	var inv *schema.Invalid
	if errors.As(err, &inv) && len(inv.Problems) > 0 {
		return invalidLines(inv.Strings())
	}
	return err
}

func invalidf(path, format string, args ...any) *Error {
	return invalid([]schema.Problem{{Path: path, Reason: fmt.Sprintf(format, args...)}})
}

func notFoundf(format string, args ...any) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

func conflictf(format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

// ValidationErrors joins the problems as the wire's single validationErrors string.
func (e *Error) ValidationErrors() string { return strings.Join(e.Problems, "\n") }
