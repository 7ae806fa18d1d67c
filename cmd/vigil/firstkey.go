package main

import (
	"context"
	"fmt"
	"io"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// announceKey creates and prints the default tenant's first API key when no key exists, right
// after the server has bound its address; when keys exist it says how to make another, since
// only their hashes are stored and a lost key cannot be shown again.
func announceKey(ctx context.Context, svc *vigil.Service, stdout io.Writer, addr, dsn string) error {
	key, err := svc.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("create the first API key: %w", err)
	}
	if key == "" {
		fmt.Fprintf(stdout, "API keys exist and are not shown again. Lost yours? Create another with: vigil keys create --tenant %s --db %s\n",
			vigil.DefaultTenant, dsn)
		return nil
	}
	fmt.Fprintf(stdout, `Created tenant %q and its first API key. It is shown only this once; store it now:

    %s

Send it in the x-api-key header, for example:

    curl -H 'x-api-key: %s' http://%s/consumer/users/some-user-id

Create more keys with: vigil keys create --tenant NAME --db %s
`, vigil.DefaultTenant, key, key, addr, dsn)
	return nil
}
