package main

import (
	"context"
	"flag"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/gen/apitypes"
)

var verificationHeader = []string{"ID", "USER", "STATUS", "EXPIRES", "LINK"}

func verificationRow(v apitypes.Verification) []string {
	id := ""
	if v.Id != nil {
		id = v.Id.String()
	}
	return []string{id, v.UserId.String(), string(v.Status), timestamp(v.ExpiresAt), v.ProviderLink}
}

var verificationsCommands = []*command{
	{
		path: "verifications create", args: []string{"USER_ID"}, flags: "--redirect-uri URL [--idempotency-key KEY]",
		summary: "Create a hosted verification session; send the end user to its provider_link.",
		setup: func(fs *flag.FlagSet) runFunc {
			redirect := fs.String("redirect-uri", "", "where the end user's browser goes after submitting (http or https `URL`)")
			key := fs.String("idempotency-key", "", "the Idempotency-Key (default: a new UUID), to repeat the call safely")
			return func(ctx context.Context, k *cli, args []string) error {
				if err := required("redirect-uri", *redirect); err != nil {
					return err
				}
				c, err := k.newClient()
				if err != nil {
					return err
				}
				var opts []client.CallOption
				if *key != "" {
					opts = append(opts, client.WithIdempotencyKey(*key))
				}
				v, err := c.Verifications.Create(ctx, args[0], apitypes.VerificationCreateRequest{RedirectUri: *redirect}, opts...)
				if err != nil {
					return err
				}
				return k.print(v, verificationHeader, verificationRow(*v))
			}
		},
	},
	{
		path: "verifications list", args: []string{"USER_ID"},
		summary: "List a user's verification sessions, newest first.",
		setup: func(*flag.FlagSet) runFunc {
			return func(ctx context.Context, k *cli, args []string) error {
				c, err := k.newClient()
				if err != nil {
					return err
				}
				list, err := c.Verifications.List(ctx, args[0])
				if err != nil {
					return err
				}
				return printList(k, values(list), 0, verificationHeader, verificationRow)
			}
		},
	},
}
