package client

import (
	"context"
	"fmt"

	"github.com/kiraapi/kira/gen/apitypes"
)

// WebhooksService manages the endpoints that receive signed event deliveries. Verify deliveries
// with the client/webhook package.
type WebhooksService struct{ c *Client }

// Create registers an endpoint. The answer carries the signing secret, shown only here and on
// rotation: store it.
func (s *WebhooksService) Create(ctx context.Context, req apitypes.WebhookEndpointCreateRequest, opts ...CallOption) (*apitypes.WebhookEndpointWithSecret, error) {
	r, err := s.c.API.CreateWebhookWithResponse(ctx, req, editors(opts)...)
	if err != nil {
		return nil, fmt.Errorf("create webhook: %w", err)
	}
	w, err := result(r.HTTPResponse, r.Body, r.JSON201)
	if err != nil {
		return nil, fmt.Errorf("create webhook: %w", err)
	}
	return w, nil
}

// List returns the tenant's endpoints, newest first, without their secrets.
func (s *WebhooksService) List(ctx context.Context) ([]apitypes.WebhookEndpoint, error) {
	r, err := s.c.API.ListWebhooksWithResponse(ctx)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	list, err := result(r.HTTPResponse, r.Body, r.JSON200)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return list.Data, nil
}

// Get returns an endpoint, without its secret.
func (s *WebhooksService) Get(ctx context.Context, id string) (*apitypes.WebhookEndpoint, error) {
	wid, err := parseID("webhook", id)
	if err != nil {
		return nil, fmt.Errorf("get webhook: %w", err)
	}
	r, err := s.c.API.GetWebhookWithResponse(ctx, wid)
	if err != nil {
		return nil, fmt.Errorf("get webhook: %w", err)
	}
	w, err := result(r.HTTPResponse, r.Body, r.JSON200)
	if err != nil {
		return nil, fmt.Errorf("get webhook: %w", err)
	}
	return w, nil
}

// Delete deletes an endpoint; deliveries still queued for it are cancelled.
func (s *WebhooksService) Delete(ctx context.Context, id string) error {
	wid, err := parseID("webhook", id)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	r, err := s.c.API.DeleteWebhookWithResponse(ctx, wid)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if err := CheckResponse(r.HTTPResponse, r.Body); err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	return nil
}

// RotateSecret issues a new signing secret. For 24 hours deliveries are signed with both.
func (s *WebhooksService) RotateSecret(ctx context.Context, id string, opts ...CallOption) (*apitypes.WebhookEndpointWithSecret, error) {
	wid, err := parseID("webhook", id)
	if err != nil {
		return nil, fmt.Errorf("rotate webhook secret: %w", err)
	}
	r, err := s.c.API.RotateWebhookSecretWithResponse(ctx, wid, editors(opts)...)
	if err != nil {
		return nil, fmt.Errorf("rotate webhook secret: %w", err)
	}
	w, err := result(r.HTTPResponse, r.Body, r.JSON200)
	if err != nil {
		return nil, fmt.Errorf("rotate webhook secret: %w", err)
	}
	return w, nil
}
