package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vigil-aml/vigil/internal/vigil"
)

const webhooksUsage = `use: vigil webhooks add --tenant NAME --url URL [--events T1,T2] [--origin all|system] [--webhook-max-endpoints N]
     vigil webhooks list --tenant NAME
     vigil webhooks rotate --tenant NAME --id ENDPOINT
     vigil webhooks remove --tenant NAME --id ENDPOINT
     vigil webhooks deliveries --tenant NAME --id ENDPOINT [--status PENDING|DELIVERED|FAILED]
     vigil webhooks retry --tenant NAME --delivery DELIVERY
     vigil webhooks reseal --tenant NAME[,NAME...]   (secrets sealed again with the current secret key)
(each takes --db DSN)`

// webhookFlags are the flags each webhooks subcommand takes, besides --tenant and --db; the
// required ones are listed first, up to nRequired.
var webhookFlags = map[string]struct {
	flags     []string
	nRequired int
}{
	"add":        {[]string{"url", "events", "origin"}, 1},
	"list":       {nil, 0},
	"rotate":     {[]string{"id"}, 1},
	"remove":     {[]string{"id"}, 1},
	"deliveries": {[]string{"id", "status"}, 1},
	"retry":      {[]string{"delivery"}, 1},
}

// maxEndpointsFlag registers --webhook-max-endpoints, whose default VIGIL_WEBHOOK_MAX_ENDPOINTS
// sets, and returns how to read it as vigil.Options.MaxWebhookEndpoints (0 there is the default,
// so "no bound" becomes -1).
func maxEndpointsFlag(fs *flag.FlagSet) func() (int, error) {
	value := fs.String("webhook-max-endpoints", envOr("VIGIL_WEBHOOK_MAX_ENDPOINTS", strconv.Itoa(vigil.DefaultMaxWebhookEndpoints)),
		"most webhook endpoints one tenant may have (0: no bound)")
	return func() (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(*value))
		switch {
		case err != nil || n < 0:
			return 0, fmt.Errorf("--webhook-max-endpoints (or VIGIL_WEBHOOK_MAX_ENDPOINTS): %q is not a whole number of endpoints (0: no bound)", *value)
		case n == 0:
			return -1, nil
		}
		return n, nil
	}
}

// webhooksCommand manages a tenant's webhook endpoints and deliveries.
func webhooksCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(webhooksUsage)
	}
	if isHelp(args[0]) {
		fmt.Fprintln(stdout, webhooksUsage)
		return nil
	}
	if args[0] == "reseal" {
		return resealCommand(ctx, args[1:], stdout, stderr)
	}
	sub, ok := webhookFlags[args[0]]
	if !ok {
		return fmt.Errorf("unknown webhooks command %q\n%s", args[0], webhooksUsage)
	}
	fs := newFlagSet("webhooks "+args[0], stderr)
	tenantName := fs.String("tenant", "", "tenant name")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	values := map[string]*string{}
	usage := map[string][2]string{
		"url":      {"", "receiver URL"},
		"events":   {"", "comma-separated webhook types (default: all)"},
		"origin":   {"all", "all, or system: only changes Vigil made itself"},
		"id":       {"", "endpoint id"},
		"delivery": {"", "delivery id"},
		"status":   {"", "PENDING, DELIVERED or FAILED"},
	}
	for _, name := range sub.flags {
		values[name] = fs.String(name, usage[name][0], usage[name][1])
	}
	maxEndpoints := func() (int, error) { return 0, nil }
	if args[0] == "add" {
		maxEndpoints = maxEndpointsFlag(fs)
	}
	if err := parseArgs(fs, args[1:], 0, append([]string{"tenant"}, sub.flags[:sub.nRequired]...)...); err != nil {
		return err
	}
	bound, err := maxEndpoints()
	if err != nil {
		return err
	}
	get := func(name string) string {
		if v := values[name]; v != nil {
			return *v
		}
		return ""
	}
	url, events, origin, id, delivery, status := get("url"), get("events"), get("origin"), get("id"), get("delivery"), get("status")
	return withServiceOptions(ctx, *dsn, vigil.Options{MaxWebhookEndpoints: bound}, func(svc *vigil.Service) error {
		tenant, err := svc.TenantByName(ctx, *tenantName)
		if err != nil {
			return err
		}
		var reply []byte
		switch args[0] {
		case "add":
			spec := vigil.WebhookSpec{URL: url, Origin: origin}
			if events != "" {
				spec.Events = strings.Split(events, ",")
			}
			if reply, err = svc.CreateWebhook(ctx, tenant, spec); err != nil {
				return err
			}
			var created struct{ ID, Secret string }
			if err := json.Unmarshal(reply, &created); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Webhook endpoint %s added for tenant %q. Its signing secret (shown only once):\n%s\n", created.ID, *tenantName, created.Secret)
			return nil
		case "rotate":
			if reply, err = svc.RotateWebhookSecret(ctx, tenant, id); err != nil {
				return err
			}
			var rotated struct{ Secret string }
			if err := json.Unmarshal(reply, &rotated); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "New signing secret of %s (the previous one keeps signing for 24 hours):\n%s\n", id, rotated.Secret)
			return nil
		case "remove":
			if err := svc.DeleteWebhook(ctx, tenant, id); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Webhook endpoint %s removed.\n", id)
			return nil
		case "list":
			reply, err = svc.ListWebhooks(ctx, tenant)
		case "deliveries":
			reply, err = svc.WebhookDeliveries(ctx, tenant, id, status)
		case "retry":
			reply, err = svc.RetryWebhookDelivery(ctx, tenant, delivery)
		}
		if err != nil {
			return err
		}
		var pretty any
		if err := json.Unmarshal(reply, &pretty); err != nil {
			return err
		}
		out, _ := json.MarshalIndent(pretty, "", "  ")
		fmt.Fprintln(stdout, string(out))
		return nil
	})
}

// resealCommand runs `vigil webhooks reseal --tenant NAME[,NAME...]`: it rewrites the tenants'
// webhook endpoints so their secrets are sealed with the current secret key (after a rotation,
// or once encryption is first configured).
func resealCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("webhooks reseal", stderr)
	tenants := fs.String("tenant", "", "tenant names, comma-separated")
	dsn := fs.String("db", envOr("VIGIL_DB", defaultDB), "database DSN")
	if err := parseArgs(fs, args, 0, "tenant"); err != nil {
		return err
	}
	return withService(ctx, *dsn, func(svc *vigil.Service) error {
		var ts []vigil.Tenant
		for _, name := range strings.Split(*tenants, ",") {
			t, err := svc.TenantByName(ctx, strings.TrimSpace(name))
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
		n, err := svc.ResealSecrets(ctx, ts)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d webhook endpoint(s) resealed with the current secret key\n", n)
		return nil
	})
}
