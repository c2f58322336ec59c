package main

import (
	"context"
	"flag"

	"github.com/kiraapi/kira/gen/apitypes"
)

var sandboxCommands = []*command{
	{
		path: "sandbox review", args: []string{"ID"}, flags: "--approve|--reject [--reason R]",
		summary: "Decide the manual review of a user in REVIEW (sandbox mode only).",
		setup: func(fs *flag.FlagSet) runFunc {
			approve := fs.Bool("approve", false, "approve: the user becomes VERIFIED")
			reject := fs.Bool("reject", false, "reject: the user becomes REJECTED")
			reason := fs.String("reason", "", "the user-facing `reason` of a rejection")
			return func(ctx context.Context, k *cli, args []string) error {
				if *approve == *reject {
					return &usageError{msg: "give exactly one of --approve and --reject"}
				}
				req := apitypes.SandboxReviewRequest{Decision: apitypes.Approve}
				if *reject {
					req.Decision = apitypes.Reject
				}
				if *reason != "" {
					req.Reason = reason
				}
				c, err := k.newClient()
				if err != nil {
					return err
				}
				u, err := c.Sandbox.Review(ctx, args[0], req)
				if err != nil {
					return err
				}
				return k.printUser(u)
			}
		},
	},
}
