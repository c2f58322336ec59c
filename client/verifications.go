package client

import (
	"context"
	"fmt"

	"github.com/kiraapi/kira/gen/apitypes"
)

// VerificationsService creates and lists hosted verification sessions.
type VerificationsService struct{ c *Client }

// Create creates a hosted verification session for a CREATED or REJECTED user: send the end user
// to its ProviderLink. An empty req.Type means embedded-link, the only type.
func (s *VerificationsService) Create(ctx context.Context, userID string, req apitypes.VerificationCreateRequest, opts ...CallOption) (*apitypes.Verification, error) {
	uid, err := parseID("user", userID)
	if err != nil {
		return nil, fmt.Errorf("create verification: %w", err)
	}
	if req.Type == "" {
		req.Type = apitypes.VerificationCreateRequestTypeEmbeddedLink
	}
	r, err := s.c.API.CreateVerificationWithResponse(ctx, uid, &apitypes.CreateVerificationParams{}, req, editors(opts)...)
	if err != nil {
		return nil, fmt.Errorf("create verification: %w", err)
	}
	v, err := result(r.HTTPResponse, r.Body, r.JSON201)
	if err != nil {
		return nil, fmt.Errorf("create verification: %w", err)
	}
	return v, nil
}

// List returns the user's verification sessions, newest first.
func (s *VerificationsService) List(ctx context.Context, userID string) ([]apitypes.Verification, error) {
	uid, err := parseID("user", userID)
	if err != nil {
		return nil, fmt.Errorf("list verifications: %w", err)
	}
	r, err := s.c.API.ListVerificationsWithResponse(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("list verifications: %w", err)
	}
	list, err := result(r.HTTPResponse, r.Body, r.JSON200)
	if err != nil {
		return nil, fmt.Errorf("list verifications: %w", err)
	}
	return list.Data, nil
}
