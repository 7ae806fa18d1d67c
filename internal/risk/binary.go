package risk

import (
	"encoding/binary"
	"errors"
	"math"
)

// The binary form of a State is what a history entry stores of the risk its write computed
// (for the point-in-time view): every write stores one, so it is written by hand for speed
// (about a microsecond, where compressing the JSON cost 40 to 80) and kept small (about 170
// bytes against 1.7 KB of JSON). It is a stored format: binaryStrings and the layout below
// may only grow in ways that older entries still decode the same.
//
// Layout: the four scores (KYC, CRA, computed KYC, computed CRA), Activity, ActivityAt, the
// factors, the floors, ModelName, ModelVersion. A score is its number, level, source and a
// locked flag (uvarint 0 or 1); a factor its id, name, value, a missing flag, score, weight
// and contribution; a list is uvarint(length+1), 0 for nil (JSON's null).
//
// A number that is a whole number of hundredths (all scores and contributions, as the model
// rounds them) is uvarint(zigzag(hundredths)<<1); any other is uvarint(1) and its 8 IEEE bytes.
// A string of binaryStrings is uvarint(its index + 1); any other is uvarint(0), uvarint(its
// length) and its bytes.

// binaryStrings are the strings a State repeats: levels, sources, the default model's factor
// ids and names, and common values. The index of each is part of the stored format: append
// only.
var binaryStrings = []string{
	"VERY_LOW", "LOW", "MEDIUM", "HIGH", "VERY_HIGH", "COMPUTED", "OVERRIDE",
	"vigil-default", "2026-06",
	"residence-country", "Country of residence", "nationality", "Nationality (any)",
	"pep", "Politically exposed person", "sanctions", "Sanctions screening",
	"adverse-media", "Adverse media", "kyc-status", "KYC status", "user-state", "User state",
	"age", "Age", "employment-status", "Employment status", "source-of-funds", "Source of funds (riskiest)",
	"user-segment", "User segment", "acquisition-channel", "Acquisition channel",
	"expired-documents", "Expired legal documents", "registration-country", "Country of registration",
	"operating-countries", "Operating countries (riskiest)", "industry", "Industry (riskiest)",
	"legal-entity-type", "Legal entity type", "related-parties", "Directors, shareholders and associated parties (riskiest)",
	"company-age", "Company age", "Politically exposed (company)", "KYB status", "business-segment", "Business segment",
	"ACTIVE", "CREATED", "SUSPENDED", "BLOCKED", "DORMANT", "TERMINATED", "UNACCEPTABLE", "UNDECIDED",
	"SUCCESSFUL", "FAILED", "NOT_STARTED", "IN_PROGRESS", "NEW", "MANUAL_REVIEW", "EXPIRED", "CANCELLED",
	"true", "false", "yes", "no",
}

// binaryIndex finds a string's index in binaryStrings.
var binaryIndex = func() map[string]int {
	m := make(map[string]int, len(binaryStrings))
	for i, s := range binaryStrings {
		if _, dup := m[s]; !dup {
			m[s] = i
		}
	}
	return m
}()

// AppendBinary appends the state's binary form (see binaryStrings).
func (s State) AppendBinary(b []byte) []byte {
	for _, sc := range [...]Score{s.KYC, s.CRA, s.ComputedKYC, s.ComputedCRA} {
		b = appendBinaryScore(b, sc)
	}
	b = appendBinaryFloat(b, s.Activity)
	b = binary.AppendVarint(b, s.ActivityAt)
	b = appendBinaryLen(b, s.Factors == nil, len(s.Factors))
	for _, f := range s.Factors {
		b = appendBinaryString(b, f.ID)
		b = appendBinaryString(b, f.Name)
		b = appendBinaryString(b, f.Value)
		b = appendBinaryBool(b, f.Missing)
		b = appendBinaryFloat(b, f.Score)
		b = appendBinaryFloat(b, f.Weight)
		b = appendBinaryFloat(b, f.Contribution)
	}
	b = appendBinaryLen(b, s.Floors == nil, len(s.Floors))
	for _, fl := range s.Floors {
		b = appendBinaryString(b, fl)
	}
	b = appendBinaryString(b, s.ModelName)
	return appendBinaryString(b, s.ModelVersion)
}

func appendBinaryScore(b []byte, s Score) []byte {
	b = appendBinaryFloat(b, s.Score)
	b = appendBinaryString(b, s.Level)
	b = appendBinaryString(b, s.Source)
	return appendBinaryBool(b, s.Locked)
}

func appendBinaryFloat(b []byte, x float64) []byte {
	if h := math.Round(x * 100); h/100 == x && math.Abs(h) < 1<<52 && !(x == 0 && math.Signbit(x)) {
		n := int64(h)
		return binary.AppendUvarint(b, uint64((n<<1)^(n>>63))<<1)
	}
	b = binary.AppendUvarint(b, 1)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
}

func appendBinaryString(b []byte, s string) []byte {
	if i, ok := binaryIndex[s]; ok {
		return binary.AppendUvarint(b, uint64(i)+1)
	}
	b = binary.AppendUvarint(b, 0)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBinaryBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendBinaryLen(b []byte, isNil bool, n int) []byte {
	if isNil {
		return append(b, 0)
	}
	return binary.AppendUvarint(b, uint64(n)+1)
}

// errBinary is the error of a binary form that is not one AppendBinary wrote.
var errBinary = errors.New("risk: malformed binary state")

// binaryReader reads a binary form, remembering its first error.
type binaryReader struct {
	b   []byte
	err error
}

// readVarint reads one number by decode (binary.Uvarint or binary.Varint).
func readVarint[T uint64 | int64](r *binaryReader, decode func([]byte) (T, int)) T {
	if r.err != nil {
		return 0
	}
	v, n := decode(r.b)
	if n <= 0 {
		r.err = errBinary
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *binaryReader) uvarint() uint64 { return readVarint(r, binary.Uvarint) }

func (r *binaryReader) float() float64 {
	v := r.uvarint()
	if v&1 == 0 {
		z := v >> 1
		return float64(int64(z>>1)^-int64(z&1)) / 100
	}
	if v != 1 {
		r.err = errBinary
		return 0
	}
	if r.err != nil || len(r.b) < 8 {
		r.err = errBinary
		return 0
	}
	x := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return x
}

func (r *binaryReader) string() string {
	i := r.uvarint()
	if i > 0 {
		if i > uint64(len(binaryStrings)) {
			r.err = errBinary
			return ""
		}
		return binaryStrings[i-1]
	}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errBinary
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *binaryReader) bool() bool {
	switch v := r.uvarint(); v {
	case 0, 1:
		return v == 1
	default:
		r.err = errBinary
		return false
	}
}

// length reads a list's length; nil for a nil list. It refuses a length the bytes left cannot
// hold (each item takes at least one byte), so a corrupt length allocates nothing.
func (r *binaryReader) length() (int, bool) {
	v := r.uvarint()
	if v == 0 || r.err != nil {
		return 0, false
	}
	if v-1 > uint64(len(r.b)) {
		r.err = errBinary
		return 0, false
	}
	return int(v - 1), true
}

func (r *binaryReader) score() Score {
	return Score{Score: r.float(), Level: r.string(), Source: r.string(), Locked: r.bool()}
}

// DecodeBinary reads a state's binary form (State.AppendBinary).
func DecodeBinary(b []byte) (State, error) {
	r := &binaryReader{b: b}
	s := State{KYC: r.score(), CRA: r.score(), ComputedKYC: r.score(), ComputedCRA: r.score()}
	s.Activity = r.float()
	s.ActivityAt = readVarint(r, binary.Varint)
	if n, ok := r.length(); ok {
		s.Factors = make([]FactorResult, n)
		for i := range s.Factors {
			s.Factors[i] = FactorResult{ID: r.string(), Name: r.string(), Value: r.string(), Missing: r.bool(),
				Score: r.float(), Weight: r.float(), Contribution: r.float()}
		}
	}
	if n, ok := r.length(); ok {
		s.Floors = make([]string, n)
		for i := range s.Floors {
			s.Floors[i] = r.string()
		}
	}
	s.ModelName, s.ModelVersion = r.string(), r.string()
	if r.err == nil && len(r.b) > 0 {
		r.err = errBinary
	}
	if r.err != nil {
		return State{}, r.err
	}
	return s, nil
}
