package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// readObject reads a size-limited body and decodes it strictly as a JSON object.
func readObject(w http.ResponseWriter, r *http.Request, limit int64) (schema.Object, error) {
	data, err := readBody(w, r, limit)
	if err != nil {
		return nil, err
	}
	return schema.DecodeObject(data)
}

// readBody reads a body of at most limit bytes: a declared or actual length over it is 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		return nil, &vigil.Error{Code: vigil.CodeInvalid, Message: "The request body could not be read"}
	}
	return data, nil
}

func tooLarge(limit int64) error {
	return &vigil.Error{Code: vigil.CodeTooLarge,
		Message: fmt.Sprintf("The request body is larger than the limit of %d bytes", limit)}
}

// flagSet names the BooleanString query flags an endpoint takes.
type flagSet struct {
	lockKYC, lockCRA, validateUserID, convert, rename bool
}

var (
	userFlags  = flagSet{lockKYC: true, lockCRA: true, validateUserID: true}
	eventFlags = flagSet{lockKYC: true, lockCRA: true, convert: true, rename: true}
	batchFlags = flagSet{lockKYC: true, lockCRA: true}
)

// Paging of batch results: 1-based pages, pageSize 1 to maxPageSize.
const (
	defaultPageSize = 20
	maxPageSize     = 1000
)

// parsePage reads page and pageSize. Numbers are truncated to integers (the SDK's own example
// sends 1.1); anything that is not a finite number, or out of range, is 400.
func parsePage(q url.Values) (page, pageSize int, err error) {
	var problems []string
	read := func(name string, def, lo, hi int) int {
		v := q.Get(name)
		if v == "" {
			return def
		}
		f, perr := strconv.ParseFloat(v, 64)
		if perr != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			problems = append(problems, fmt.Sprintf("%s: %q is not a number", name, v))
			return def
		}
		n := int(math.Trunc(f))
		if n < lo || n > hi {
			problems = append(problems, fmt.Sprintf("%s: must be from %d to %d", name, lo, hi))
		}
		return n
	}
	page = read("page", 1, 1, math.MaxInt32)
	pageSize = read("pageSize", defaultPageSize, 1, maxPageSize)
	if problems != nil {
		return 0, 0, &vigil.Error{Code: vigil.CodeInvalid, Message: problems[0], Problems: problems}
	}
	return page, pageSize, nil
}

// parseFlags reads the endpoint's flags. Each must be "true" or "false", and a flag given twice
// must agree with itself. Unknown query parameters never get here: onlyParams refuses them.
func parseFlags(q url.Values, set flagSet) (vigil.Flags, error) {
	var f vigil.Flags
	var problems []string
	get := func(name string) *bool {
		vals, ok := q[name]
		if !ok {
			return nil
		}
		v := vals[0]
		for _, other := range vals[1:] {
			if other != v {
				problems = append(problems, fmt.Sprintf("%s: is given twice with different values", name))
				return nil
			}
		}
		switch v {
		case "true", "false":
			b := v == "true"
			return &b
		}
		problems = append(problems, fmt.Sprintf("%s: %q is not one of true, false", name, v))
		return nil
	}
	isTrue := func(b *bool) bool { return b != nil && *b }
	if set.lockKYC {
		f.LockKYCRiskLevel = get("lockKycRiskLevel")
	}
	if set.lockCRA {
		f.LockCRARiskLevel = get("lockCraRiskLevel")
	}
	if set.validateUserID {
		f.ValidateUserID = get("validateUserId")
	}
	if set.convert {
		f.AllowUserTypeConversion = isTrue(get("allowUserTypeConversion"))
	}
	if set.rename {
		f.ChangeUserID = isTrue(get("changeUserId"))
	}
	if problems != nil {
		return f, &vigil.Error{Code: vigil.CodeInvalid, Message: problems[0], Problems: problems}
	}
	return f, nil
}

// decodeInto converts a decoded body into a struct, refusing unknown fields and wrong types.
func decodeInto(body schema.Object, v any) error {
	data, err := schema.Encode(body)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &vigil.Error{Code: vigil.CodeInvalid, Message: "The body does not match: " + err.Error()}
	}
	return nil
}
