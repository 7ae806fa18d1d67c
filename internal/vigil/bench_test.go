package vigil_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/vigil-aml/vigil/internal/storetest"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// BenchmarkApplyEvent measures one durable event through the whole write path (validation,
// fold, rules, risk, storage) on SQLite, from parallel clients so commits are shared.
func BenchmarkApplyEvent(b *testing.B) {
	f := newFixture(b, storetest.Backends(b)[0])
	t := b
	const users = 100
	for i := range users {
		f.createAs(t, vigil.Consumer, fmt.Sprintf(`{"userId":"u%d","createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":"Ada"},"countryOfResidence":"DE"},"userStateDetails":{"state":"CREATED"}}`, i), vigil.Flags{})
	}
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Sprintf(`{"userId":"u%d","timestamp":%d,"updatedConsumerUserAttributes":{"userStateDetails":{"state":"ACTIVE"},"tags":[{"key":"k","value":"%d"}]}}`, i%users, 1700000000000+i, i)
			if _, err := f.svc.ApplyEvent(context.Background(), f.tenant, vigil.Consumer, obj(t, body), vigil.Flags{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
