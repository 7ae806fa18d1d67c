package webhooksig_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/vigil-aml/vigil/webhooksig"
)

func ExampleSign() {
	body := []byte(`{"a":1}`)
	fmt.Println(webhooksig.Sign(body, "s3cret"))
	// Output: 5910e62016ef5034272c926c27071992a465c2335cecf41851bda071577f4f6d
}

func ExampleVerify() {
	body := []byte(`{"a":1}`)
	// While a secret rotates, the header carries one signature per active secret.
	header := webhooksig.Sign(body, "new-secret", "old-secret")
	fmt.Println(webhooksig.Verify(body, header, "old-secret"))
	fmt.Println(webhooksig.Verify(body, header, "new-secret"))
	fmt.Println(webhooksig.Verify([]byte(`{"a":2}`), header, "new-secret"))
	// Output:
	// true
	// true
	// false
}

func ExampleVerifyRequest() {
	const secret = "s3cret" // the endpoint's signing secret, from `vigil webhooks add`
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := webhooksig.VerifyRequest(r, secret, 1<<20)
		switch {
		case errors.Is(err, webhooksig.ErrBodyTooLarge):
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		// Parse body (not r.Body) here, and deduplicate on the envelope id.
		fmt.Printf("verified %s\n", body)
		w.WriteHeader(http.StatusNoContent)
	})

	body := `{"id":"e-1","type":"USER_STATE_UPDATED","createdTimestamp":1700000000000,"triggeredBy":"SYSTEM","data":{"userId":"u-1","state":"BLOCKED"}}`
	for _, sig := range []string{webhooksig.Sign([]byte(body), secret), webhooksig.Sign([]byte(body), "wrong")} {
		r := httptest.NewRequest(http.MethodPost, "/vigil-webhooks", strings.NewReader(body))
		r.Header.Set(webhooksig.Header, sig)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	// Output:
	// verified {"id":"e-1","type":"USER_STATE_UPDATED","createdTimestamp":1700000000000,"triggeredBy":"SYSTEM","data":{"userId":"u-1","state":"BLOCKED"}}
	// 204
	// 401
}
