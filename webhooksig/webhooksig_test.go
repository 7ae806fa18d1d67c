package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
)

// refSig computes the expected signature independently of the package.
func refSig(body, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	io.WriteString(m, body)
	return hex.EncodeToString(m.Sum(nil))
}

const (
	body1 = `{"a":1}`
	// Computed outside Go: printf '%s' '{"a":1}' | openssl dgst -sha256 -hmac s3cret
	sigS3cret = "5910e62016ef5034272c926c27071992a465c2335cecf41851bda071577f4f6d"
	// printf '%s' '{"a":1}' | openssl dgst -sha256 -hmac old-secret
	sigOld = "3c72ab878c4ed3c2fde01df3b26de050e00acb2627397bd6fae626b378f72931"
	// RFC 4231, test case 2.
	sigRFC4231 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
)

func TestSignKnownAnswers(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		secrets []string
		want    string
	}{
		{"openssl vector", body1, []string{"s3cret"}, sigS3cret},
		{"rfc 4231 case 2", "what do ya want for nothing?", []string{"Jefe"}, sigRFC4231},
		{"computed with crypto/hmac", body1, []string{"s3cret"}, refSig(body1, "s3cret")},
		{"empty body", "", []string{"s3cret"}, refSig("", "s3cret")},
		{"binary body", "\x00\xff\n\r", []string{"k"}, refSig("\x00\xff\n\r", "k")},
		{"rotation keeps secret order", body1, []string{"s3cret", "old-secret"}, sigS3cret + "," + sigOld},
		{"rotation reversed", body1, []string{"old-secret", "s3cret"}, sigOld + "," + sigS3cret},
		{"empty secret skipped", body1, []string{"", "s3cret", ""}, sigS3cret},
		{"no secrets", body1, nil, ""},
		{"only empty secrets", body1, []string{""}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sign([]byte(tt.body), tt.secrets...)
			if got != tt.want {
				t.Errorf("Sign(%q, %q) = %q, want %q", tt.body, tt.secrets, got, tt.want)
			}
			if got != strings.ToLower(got) || strings.Contains(got, " ") {
				t.Errorf("Sign output %q is not lower-case hex without spaces", got)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	rotated := Sign([]byte(body1), "new-secret", "old-secret")
	tests := []struct {
		name   string
		body   string
		header string
		secret string
		want   bool
	}{
		{"valid", body1, sigS3cret, "s3cret", true},
		{"valid via Sign", body1, Sign([]byte(body1), "s3cret"), "s3cret", true},
		{"rotation: new secret", body1, rotated, "new-secret", true},
		{"rotation: old secret", body1, rotated, "old-secret", true},
		{"rotation: other secret", body1, rotated, "s3cret", false},
		{"modified body", `{"a":2}`, sigS3cret, "s3cret", false},
		{"body with added whitespace", `{"a": 1}`, sigS3cret, "s3cret", false},
		{"body with trailing newline", body1 + "\n", sigS3cret, "s3cret", false},
		{"wrong secret", body1, sigS3cret, "S3cret", false},
		{"empty header", body1, "", "s3cret", false},
		{"empty secret", body1, sigS3cret, "", false},
		{"empty secret, header signed with empty key", body1, refSig(body1, ""), "", false},
		{"garbage header", body1, "not-a-signature", "s3cret", false},
		{"only commas and spaces", body1, " , ,, ", "s3cret", false},
		{"non-hex of right length", body1, strings.Repeat("z", 64), "s3cret", false},
		{"truncated signature", body1, sigS3cret[:63], "s3cret", false},
		{"signature with extra digit", body1, sigS3cret + "0", "s3cret", false},
		{"raw bytes instead of hex", body1, string(mustHex(sigS3cret)), "s3cret", false},
		{"sha256= prefix is not accepted", body1, "sha256=" + sigS3cret, "s3cret", false},
		{"upper-case hex", body1, strings.ToUpper(sigS3cret), "s3cret", true},
		{"mixed-case hex", body1, strings.ToUpper(sigS3cret[:32]) + sigS3cret[32:], "s3cret", true},
		{"spaces around commas", body1, sigOld + " , " + sigS3cret, "s3cret", true},
		{"leading and trailing spaces", body1, "  " + sigS3cret + "\t", "s3cret", true},
		{"trailing comma", body1, sigS3cret + ",", "s3cret", true},
		{"valid next to garbage", body1, "garbage," + sigS3cret, "s3cret", true},
		{"space inside a signature", body1, sigS3cret[:32] + " " + sigS3cret[32:], "s3cret", false},
		{"two wrong signatures", body1, sigOld + "," + refSig(body1, "x"), "s3cret", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify([]byte(tt.body), tt.header, tt.secret); got != tt.want {
				t.Errorf("Verify(%q, %q, %q) = %v, want %v", tt.body, tt.header, tt.secret, got, tt.want)
			}
		})
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestSignVerifyRoundTrip(t *testing.T) {
	bodies := []string{"", "{}", body1, strings.Repeat("x", 100000)}
	secrets := []string{"a", "s3cret", strings.Repeat("k", 200)} // 200 > block size: key is hashed
	for _, b := range bodies {
		for _, s := range secrets {
			if !Verify([]byte(b), Sign([]byte(b), s), s) {
				t.Errorf("round trip failed for body len %d, secret len %d", len(b), len(s))
			}
			if Verify([]byte(b+"!"), Sign([]byte(b), s), s) {
				t.Errorf("changed body verified for body len %d, secret len %d", len(b), len(s))
			}
		}
	}
}

func TestVerifyRequest(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		headers []string // values of the signature header, one per header line
		secret  string
		maxBody int64
		wantErr error
	}{
		{name: "good", body: body1, headers: []string{sigS3cret}, secret: "s3cret", maxBody: 1024},
		{name: "good, default limit", body: body1, headers: []string{sigS3cret}, secret: "s3cret"},
		{name: "good, body exactly at limit", body: body1, headers: []string{sigS3cret}, secret: "s3cret", maxBody: int64(len(body1))},
		{name: "good, rotation", body: body1, headers: []string{Sign([]byte(body1), "new", "s3cret")}, secret: "s3cret", maxBody: 1024},
		{name: "good, split over two header lines", body: body1, headers: []string{refSig(body1, "new"), sigS3cret}, secret: "s3cret", maxBody: 1024},
		{name: "good, upper-case hex", body: body1, headers: []string{strings.ToUpper(sigS3cret)}, secret: "s3cret", maxBody: 1024},
		{name: "good, empty body", body: "", headers: []string{refSig("", "s3cret")}, secret: "s3cret", maxBody: 1024},
		{name: "missing header", body: body1, secret: "s3cret", maxBody: 1024, wantErr: ErrMissingSignature},
		{name: "empty header", body: body1, headers: []string{""}, secret: "s3cret", maxBody: 1024, wantErr: ErrMissingSignature},
		{name: "blank header", body: body1, headers: []string{" , "}, secret: "s3cret", maxBody: 1024, wantErr: ErrMissingSignature},
		{name: "bad signature", body: body1, headers: []string{refSig(body1, "other")}, secret: "s3cret", maxBody: 1024, wantErr: ErrBadSignature},
		{name: "garbage signature", body: body1, headers: []string{"nope"}, secret: "s3cret", maxBody: 1024, wantErr: ErrBadSignature},
		{name: "modified body", body: `{"a":2}`, headers: []string{sigS3cret}, secret: "s3cret", maxBody: 1024, wantErr: ErrBadSignature},
		{name: "too large", body: body1, headers: []string{sigS3cret}, secret: "s3cret", maxBody: int64(len(body1)) - 1, wantErr: ErrBodyTooLarge},
		{name: "too large, default limit", body: strings.Repeat("x", int(DefaultMaxBody)+1), headers: []string{"00"}, secret: "s3cret", wantErr: ErrBodyTooLarge},
		{name: "empty secret", body: body1, headers: []string{refSig(body1, "")}, secret: "", maxBody: 1024, wantErr: ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/webhooks", strings.NewReader(tt.body))
			for _, h := range tt.headers {
				r.Header.Add("X-Flagright-Signature", h) // canonical casing: lookup is case-insensitive
			}
			got, err := VerifyRequest(r, tt.secret, tt.maxBody)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if got != nil {
					t.Errorf("body = %q on error, want nil", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if string(got) != tt.body {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
		})
	}
}

// A body larger than the limit is rejected even when Content-Length does not announce it
// (chunked requests have ContentLength -1), and at most limit+1 bytes are read.
func TestVerifyRequestTooLargeWithoutContentLength(t *testing.T) {
	const limit = 16
	src := &countingReader{r: strings.NewReader(strings.Repeat("x", 10*limit))}
	r := httptest.NewRequest("POST", "/", nil)
	r.Body = io.NopCloser(src)
	r.ContentLength = -1
	r.Header.Set(Header, sigS3cret)
	_, err := VerifyRequest(r, "s3cret", limit)
	if !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err = %v, want ErrBodyTooLarge", err)
	}
	if !strings.Contains(err.Error(), "16 bytes") {
		t.Errorf("error %q does not name the limit", err)
	}
	if src.n > limit+1 {
		t.Errorf("read %d bytes, want at most %d", src.n, limit+1)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestVerifyRequestMissingHeaderDoesNotReadBody(t *testing.T) {
	src := &countingReader{r: strings.NewReader(body1)}
	r := httptest.NewRequest("POST", "/", nil)
	r.Body = io.NopCloser(src)
	if _, err := VerifyRequest(r, "s3cret", 1024); !errors.Is(err, ErrMissingSignature) {
		t.Fatalf("err = %v, want ErrMissingSignature", err)
	}
	if src.n != 0 {
		t.Errorf("read %d bytes of an unsigned request", src.n)
	}
}

func TestVerifyRequestReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := httptest.NewRequest("POST", "/", nil)
	r.Body = io.NopCloser(iotest.ErrReader(boom))
	r.Header.Set(Header, sigS3cret)
	_, err := VerifyRequest(r, "s3cret", 1024)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap %v", err, boom)
	}
	for _, sentinel := range []error{ErrBadSignature, ErrBodyTooLarge, ErrMissingSignature} {
		if errors.Is(err, sentinel) {
			t.Errorf("read error also matches %v", sentinel)
		}
	}
}

func TestVerifyRequestNilBody(t *testing.T) {
	r := httptest.NewRequest("POST", "/", nil)
	r.Body = nil
	r.Header.Set(Header, refSig("", "s3cret"))
	got, err := VerifyRequest(r, "s3cret", 1024)
	if err != nil || len(got) != 0 {
		t.Fatalf("got (%q, %v), want empty body and no error", got, err)
	}
}

func TestVerifyRequestMaxInt64Limit(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body1))
	r.Header.Set(Header, sigS3cret)
	got, err := VerifyRequest(r, "s3cret", 1<<63-1)
	if err != nil || string(got) != body1 {
		t.Fatalf("got (%q, %v), want (%q, nil)", got, err, body1)
	}
}
