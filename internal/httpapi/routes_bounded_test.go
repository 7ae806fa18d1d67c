package httpapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigil-aml/vigil/internal/httpapi"
	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestObservedRoutesBounded checks that what the server hands to metrics as labels comes from a
// bounded set: requests with ever new paths, ids, methods and keys add no new (route, status)
// pair once each kind of request has been seen.
func TestObservedRoutesBounded(t *testing.T) {
	svc, err := vigil.NewService(storetest.Backends(t)[0].Open(t), vigil.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateKey(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	handler := httpapi.New(svc, httpapi.Options{Observe: func(route string, status int, _ time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		seen[route+" "+strconv.Itoa(status)] = true
	}})
	kinds := []func(i int) (method, path, key string){
		func(i int) (string, string, string) { return "GET", fmt.Sprintf("/unknown/%d", i), key },
		func(i int) (string, string, string) { return "GET", fmt.Sprintf("/consumer/users/u-%d", i), key },
		func(i int) (string, string, string) { return "GET", fmt.Sprintf("/rules/R-%d", i), key },
		func(i int) (string, string, string) { return "GET", fmt.Sprintf("/events/business/user/e-%d", i), key },
		func(i int) (string, string, string) { return fmt.Sprintf("M%d", i), "/rules", key },
		func(i int) (string, string, string) { return fmt.Sprintf("M%d", i), fmt.Sprintf("/x%d", i), key },
		func(i int) (string, string, string) { return "GET", fmt.Sprintf("/consumer//users/u%d", i), key },
		func(i int) (string, string, string) {
			return "GET", fmt.Sprintf("/rules/R-%d", i), fmt.Sprintf("vgl_bad%d", i)
		},
	}
	send := func(from, to int) int {
		for i := from; i < to; i++ {
			for _, kind := range kinds {
				method, path, key := kind(i)
				req := httptest.NewRequest(method, path, nil)
				req.Header.Set("x-api-key", key)
				handler.ServeHTTP(httptest.NewRecorder(), req)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		return len(seen)
	}
	first := send(0, 3)
	if later := send(3, 300); later != first {
		t.Fatalf("%d (route, status) pairs after 3 requests of each kind, %d after 300: a label grows with what clients send: %v",
			first, later, seen)
	}
	t.Logf("observed: %v", seen)
	if _, ok := seen["/ 404"]; !ok {
		t.Fatalf("unknown paths not observed under the catch-all route: %v", seen)
	}
}
