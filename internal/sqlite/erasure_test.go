package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/vigil"
)

// TestErasedDataLeavesTheFiles writes a user with distinctive personal data through many
// writes (so old versions of its row exist), erases it, closes the store, and finds none of
// that data in the database file or its WAL; another user's data is still there.
func TestErasedDataLeavesTheFiles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "erase.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := vigil.NewService(s, vigil.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	tenant, err := svc.Authenticate(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"Xanthippe-Vorobyeva", "Grindelwald-Street-77", "xanthippe.v@example.org", "+4915112345678", "P-SECRET-9981"}
	keep := "Keepsake-Persona"
	decode := func(s string) schema.Object {
		o, err := schema.DecodeObject([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	create := func(id, first string, secrets []string) {
		body := fmt.Sprintf(`{"userId":%q,"createdTimestamp":1700000000000,"userDetails":{"name":{"firstName":%q,"lastName":%q}},
			"contactDetails":{"emailIds":[%q],"contactNumbers":[%q],"addresses":[{"addressLines":[%q],"city":"Berlin","country":"DE"}]},
			"legalDocuments":[{"documentType":"passport","documentNumber":%q,"documentIssuedCountry":"DE"}]}`,
			id, first, secrets[0], secrets[2], secrets[3], secrets[1], secrets[4])
		if _, err := svc.CreateUser(ctx, tenant, vigil.Consumer, decode(body), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
	}
	create("erase-me", "Ophelia", secrets)
	create("keep-me", keep, []string{"Other-Surname", "Other-Street-1", "other@example.org", "+4900000000", "P-OTHER-1"})
	for i := range 30 { // many versions of the row, the history and its answers
		ev := fmt.Sprintf(`{"eventId":"e%d","userId":"erase-me","timestamp":%d,"updatedConsumerUserAttributes":{"tags":[{"key":"t%d","value":%q}]}}`,
			i, 1700000001000+int64(i), i, secrets[0])
		if _, err := svc.ApplyEvent(ctx, tenant, vigil.Consumer, decode(ev), vigil.Flags{}); err != nil {
			t.Fatal(err)
		}
	}
	files := func() []byte {
		var all []byte
		for _, f := range []string{path, path + "-wal"} {
			data, err := os.ReadFile(f)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, data...)
		}
		return all
	}
	before := files()
	for _, secret := range secrets {
		if !bytes.Contains(before, []byte(secret)) {
			t.Fatalf("%q is not in the files before the erasure: the test would prove nothing", secret)
		}
	}
	if _, err := svc.EraseUser(ctx, tenant, vigil.Consumer, "erase-me"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	after := files()
	for _, secret := range append(secrets, "erase-me") {
		if i := bytes.Index(after, []byte(secret)); i >= 0 {
			t.Errorf("%q is still in the files at byte %d after the erasure", secret, i)
		}
	}
	if !bytes.Contains(after, []byte(keep)) {
		t.Errorf("the other user's data is gone too")
	}
}
