package main

import (
	"context"
	"flag"
	"slices"
	"strings"

	"github.com/kiraapi/kira/gen/apitypes"
)

var webhookHeader = []string{"ID", "URL", "EVENTS", "STATUS", "DESCRIPTION"}

func webhookRow(w apitypes.WebhookEndpoint) []string {
	return []string{idOf(w.Id), w.Url, eventsText(w.Events), string(w.Status), str(w.Description)}
}

// printWithSecret shows an endpoint with its signing secret (on create and rotate only).
func (k *cli) printWithSecret(w *apitypes.WebhookEndpointWithSecret) error {
	return k.print(w, slices.Concat(webhookHeader, []string{"SECRET"}),
		[]string{idOf(w.Id), w.Url, eventsText(w.Events), string(w.Status), str(w.Description), str(w.Secret)})
}

func eventsText(events []apitypes.EventType) string {
	parts := make([]string, len(events))
	for i, e := range events {
		parts[i] = string(e)
	}
	return strings.Join(parts, ",")
}

func idOf[T interface{ String() string }](id *T) string {
	if id == nil {
		return ""
	}
	return (*id).String()
}

// splitList splits a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// webhookCommand is a command on one endpoint, given by its id.
func webhookCommand(path, summary string, run func(ctx context.Context, k *cli, id string) error) *command {
	return &command{path: path, args: []string{"ID"}, summary: summary, setup: func(*flag.FlagSet) runFunc {
		return func(ctx context.Context, k *cli, args []string) error { return run(ctx, k, args[0]) }
	}}
}

var webhooksCommands = []*command{
	{
		path: "webhooks create", args: []string{"URL"}, flags: "[--events a,b] [--description D]",
		summary: "Register a webhook endpoint; the answer shows its signing secret, this once.",
		setup: func(fs *flag.FlagSet) runFunc {
			events := fs.String("events", "", "comma-separated event `types` to deliver (default: all)")
			description := fs.String("description", "", "a `description` for you")
			return func(ctx context.Context, k *cli, args []string) error {
				types, err := parseEventTypes("events", *events)
				if err != nil {
					return err
				}
				c, err := k.newClient()
				if err != nil {
					return err
				}
				req := apitypes.WebhookEndpointCreateRequest{Url: args[0]}
				if types != nil {
					req.Events = &types
				}
				if *description != "" {
					req.Description = description
				}
				w, err := c.Webhooks.Create(ctx, req)
				if err != nil {
					return err
				}
				return k.printWithSecret(w)
			}
		},
	},
	{
		path: "webhooks list", summary: "List the webhook endpoints, newest first.",
		setup: func(*flag.FlagSet) runFunc {
			return func(ctx context.Context, k *cli, _ []string) error {
				c, err := k.newClient()
				if err != nil {
					return err
				}
				list, err := c.Webhooks.List(ctx)
				if err != nil {
					return err
				}
				return printList(k, values(list), 0, webhookHeader, webhookRow)
			}
		},
	},
	webhookCommand("webhooks get", "Show a webhook endpoint (without its secret).", func(ctx context.Context, k *cli, id string) error {
		c, err := k.newClient()
		if err != nil {
			return err
		}
		w, err := c.Webhooks.Get(ctx, id)
		if err != nil {
			return err
		}
		return k.print(w, webhookHeader, webhookRow(*w))
	}),
	webhookCommand("webhooks delete", "Delete a webhook endpoint; its queued deliveries are cancelled.", func(ctx context.Context, k *cli, id string) error {
		c, err := k.newClient()
		if err != nil {
			return err
		}
		if err := c.Webhooks.Delete(ctx, id); err != nil {
			return err
		}
		return k.print(map[string]any{"id": id, "deleted": true}, []string{"ID", "DELETED"}, []string{id, "true"})
	}),
	webhookCommand("webhooks rotate-secret", "Issue a new signing secret; the previous one keeps signing for 24 hours.", func(ctx context.Context, k *cli, id string) error {
		c, err := k.newClient()
		if err != nil {
			return err
		}
		w, err := c.Webhooks.RotateSecret(ctx, id)
		if err != nil {
			return err
		}
		return k.printWithSecret(w)
	}),
}
