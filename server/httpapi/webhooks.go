package httpapi

import (
	"context"

	"github.com/kiraapi/kira/gen/apiserver"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/kyc"
)

func (h *handler) CreateWebhook(ctx context.Context, req apiserver.CreateWebhookRequestObject) (apiserver.CreateWebhookResponseObject, error) {
	e, err := h.webhooks.Create(ctx, tenantFrom(ctx).ID, webhookFromRequest(req.Body))
	if err != nil {
		return nil, err
	}
	return apiserver.CreateWebhook201JSONResponse{Body: toAPIWebhookWithSecret(e)}, nil
}

func (h *handler) ListWebhooks(ctx context.Context, _ apiserver.ListWebhooksRequestObject) (apiserver.ListWebhooksResponseObject, error) {
	endpoints, err := h.webhooks.List(ctx, tenantFrom(ctx).ID)
	if err != nil {
		return nil, err
	}
	body := apitypes.WebhookEndpointList{Data: make([]apitypes.WebhookEndpoint, len(endpoints))}
	for i, e := range endpoints {
		body.Data[i] = toAPIWebhook(e)
	}
	return apiserver.ListWebhooks200JSONResponse{Body: body}, nil
}

func (h *handler) GetWebhook(ctx context.Context, req apiserver.GetWebhookRequestObject) (apiserver.GetWebhookResponseObject, error) {
	e, err := h.webhooks.Get(ctx, tenantFrom(ctx).ID, req.WebhookId.String())
	if err != nil {
		return nil, err
	}
	return apiserver.GetWebhook200JSONResponse{Body: toAPIWebhook(e)}, nil
}

func (h *handler) DeleteWebhook(ctx context.Context, req apiserver.DeleteWebhookRequestObject) (apiserver.DeleteWebhookResponseObject, error) {
	if err := h.webhooks.Delete(ctx, tenantFrom(ctx).ID, req.WebhookId.String()); err != nil {
		return nil, err
	}
	return apiserver.DeleteWebhook204Response{}, nil
}

func (h *handler) RotateWebhookSecret(ctx context.Context, req apiserver.RotateWebhookSecretRequestObject) (apiserver.RotateWebhookSecretResponseObject, error) {
	e, err := h.webhooks.RotateSecret(ctx, tenantFrom(ctx).ID, req.WebhookId.String())
	if err != nil {
		return nil, err
	}
	return apiserver.RotateWebhookSecret200JSONResponse{Body: toAPIWebhookWithSecret(e)}, nil
}

// webhookFromRequest turns a validated create body into the domain's input.
func webhookFromRequest(body *apitypes.WebhookEndpointCreateRequest) kyc.WebhookInput {
	in := kyc.WebhookInput{URL: body.Url, Description: deref(body.Description)}
	if body.Events != nil {
		for _, t := range *body.Events {
			in.Events = append(in.Events, kyc.EventType(t))
		}
	}
	return in
}
