package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/gen/apitypes"
)

var userHeader = []string{"ID", "TYPE", "STATUS", "EMAIL", "NAME", "MISSING", "CREATED"}

func userRow(u apitypes.User) []string {
	name := strings.TrimSpace(str(u.FirstName) + " " + str(u.LastName))
	if u.Type == apitypes.Business {
		name = str(u.BusinessLegalName)
	}
	id := ""
	if u.Id != nil {
		id = u.Id.String()
	}
	return []string{id, string(u.Type), str(u.Status), string(u.Email), name, strings.Join(u.MissingFields, ","), timestamp(u.CreatedAt)}
}

func (k *cli) printUser(u *apitypes.User) error {
	return k.print(u, userHeader, userRow(*u))
}

var usersCommands = []*command{
	{
		path: "users create", flags: "-f FILE [--idempotency-key KEY]",
		summary: "Create a user from a JSON file (- for stdin) in the shape of UserCreateRequest.",
		setup: func(fs *flag.FlagSet) runFunc {
			file := fs.String("f", "", "the JSON `file` to send (- for stdin)")
			key := fs.String("idempotency-key", "", "the Idempotency-Key (default: a new UUID), to repeat the call safely")
			return func(ctx context.Context, k *cli, _ []string) error {
				raw, c, err := k.readBody(*file)
				if err != nil {
					return err
				}
				r, err := c.API.CreateUserWithBodyWithResponse(ctx, &apitypes.CreateUserParams{IdempotencyKey: *key}, "application/json", bytes.NewReader(raw))
				if err != nil {
					return fmt.Errorf("create user: %w", err)
				}
				if err := client.CheckResponse(r.HTTPResponse, r.Body); err != nil {
					return fmt.Errorf("create user: %w", err)
				}
				if r.JSON201 == nil {
					return unexpected(r.HTTPResponse)
				}
				return k.printUser(r.JSON201)
			}
		},
	},
	{
		path: "users get", args: []string{"ID"},
		summary: "Show a user.",
		setup: func(*flag.FlagSet) runFunc {
			return func(ctx context.Context, k *cli, args []string) error {
				c, err := k.newClient()
				if err != nil {
					return err
				}
				u, err := c.Users.Get(ctx, args[0])
				if err != nil {
					return err
				}
				return k.printUser(u)
			}
		},
	},
	{
		path: "users list", flags: "[--status S] [--type T] [--email E] [--limit N]",
		summary: "List users, newest first, across pages.",
		setup: func(fs *flag.FlagSet) runFunc {
			status := enumFlag(fs, "status", "only users with this `status`", userStatuses)
			typ := enumFlag(fs, "type", "only users of this `type`", userTypes)
			email := fs.String("email", "", "only users with this `email` (exact, case-insensitive)")
			limit := fs.Int("limit", 100, "show at most `N` users (0: all)")
			return func(ctx context.Context, k *cli, _ []string) error {
				c, err := k.newClient()
				if err != nil {
					return err
				}
				users := c.Users.List(ctx, client.UserListParams{
					Status: *status, Type: *typ, Email: *email, PageSize: pageSizeFor(*limit),
				})
				return printList(k, users, *limit, userHeader, userRow)
			}
		},
	},
	{
		path: "users update", args: []string{"ID"}, flags: "-f FILE",
		summary: "Update a user with the fields of a JSON file (- for stdin) in the shape of UserUpdateRequest.",
		setup: func(fs *flag.FlagSet) runFunc {
			file := fs.String("f", "", "the JSON `file` to send (- for stdin)")
			return func(ctx context.Context, k *cli, args []string) error {
				raw, c, err := k.readBody(*file)
				if err != nil {
					return err
				}
				id, err := parseID("user", args[0])
				if err != nil {
					return err
				}
				r, err := c.API.UpdateUserWithBodyWithResponse(ctx, id, "application/json", bytes.NewReader(raw))
				if err != nil {
					return fmt.Errorf("update user: %w", err)
				}
				if err := client.CheckResponse(r.HTTPResponse, r.Body); err != nil {
					return fmt.Errorf("update user: %w", err)
				}
				if r.JSON200 == nil {
					return unexpected(r.HTTPResponse)
				}
				return k.printUser(r.JSON200)
			}
		},
	},
	{
		path: "users redact", args: []string{"ID"}, flags: "[--idempotency-key KEY]",
		summary: "Erase a user's personal data; show the tombstone that remains.",
		setup: func(fs *flag.FlagSet) runFunc {
			key := fs.String("idempotency-key", "", "the Idempotency-Key (default: a new UUID), to repeat the call safely")
			return func(ctx context.Context, k *cli, args []string) error {
				c, err := k.newClient()
				if err != nil {
					return err
				}
				u, err := c.Users.Redact(ctx, args[0], client.WithIdempotencyKey(*key))
				if err != nil {
					return err
				}
				return k.printUser(u)
			}
		},
	},
}

// pageSizeFor is the page size that fetches limit items in as few requests as possible.
func pageSizeFor(limit int) int {
	if limit <= 0 || limit > 100 {
		return 100
	}
	return limit
}
