package client

import (
	"context"
	"fmt"

	"github.com/kiraapi/kira/gen/apitypes"
)

// SandboxService holds the helpers that exist in sandbox mode only (elsewhere they answer 404).
//
// The sandbox decides on the digits of the SSN (individuals) or EIN (businesses): 111-11-1111 and
// 11-1111111 are rejected, 222-22-2222 and 22-2222222 go to REVIEW, anything else is verified.
type SandboxService struct{ c *Client }

// Review decides the manual review of a user in REVIEW: apitypes.Approve makes it VERIFIED,
// apitypes.Reject makes it REJECTED with req.Reason.
func (s *SandboxService) Review(ctx context.Context, userID string, req apitypes.SandboxReviewRequest, opts ...CallOption) (*apitypes.User, error) {
	uid, err := parseID("user", userID)
	if err != nil {
		return nil, fmt.Errorf("review user: %w", err)
	}
	r, err := s.c.API.SandboxReviewUserWithResponse(ctx, uid, req, editors(opts)...)
	if err != nil {
		return nil, fmt.Errorf("review user: %w", err)
	}
	u, err := result(r.HTTPResponse, r.Body, r.JSON200)
	if err != nil {
		return nil, fmt.Errorf("review user: %w", err)
	}
	return u, nil
}
