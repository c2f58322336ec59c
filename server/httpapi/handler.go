package httpapi

import (
	"context"

	"github.com/kiraapi/kira/gen/apiserver"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/kyc"
)

// handler implements the generated strict server interface. Expected failures are returned as
// *kyc.Error and written by the error handler; the typed error responses are not used, so every
// error leaves through one place.
type handler struct {
	ready func(context.Context) error
}

var _ apiserver.StrictServerInterface = (*handler)(nil)

var errNotImplemented = &kyc.Error{Code: kyc.ENotImplemented, Message: "This operation is not available yet."}

func (h *handler) GetHealth(context.Context, apiserver.GetHealthRequestObject) (apiserver.GetHealthResponseObject, error) {
	return apiserver.GetHealth200JSONResponse{Body: apitypes.Health{Status: apitypes.Ok}}, nil
}

func (h *handler) GetReadiness(ctx context.Context, _ apiserver.GetReadinessRequestObject) (apiserver.GetReadinessResponseObject, error) {
	if h.ready != nil {
		if err := h.ready(ctx); err != nil {
			return apiserver.GetReadiness503JSONResponse{Body: apitypes.Health{Status: apitypes.Unavailable}}, nil
		}
	}
	return apiserver.GetReadiness200JSONResponse{Body: apitypes.Health{Status: apitypes.Ok}}, nil
}

func (h *handler) Authenticate(context.Context, apiserver.AuthenticateRequestObject) (apiserver.AuthenticateResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) ListEvents(context.Context, apiserver.ListEventsRequestObject) (apiserver.ListEventsResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) GetEvent(context.Context, apiserver.GetEventRequestObject) (apiserver.GetEventResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) RedeliverEvent(context.Context, apiserver.RedeliverEventRequestObject) (apiserver.RedeliverEventResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) SandboxReviewUser(context.Context, apiserver.SandboxReviewUserRequestObject) (apiserver.SandboxReviewUserResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) ListUsers(context.Context, apiserver.ListUsersRequestObject) (apiserver.ListUsersResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) CreateUser(context.Context, apiserver.CreateUserRequestObject) (apiserver.CreateUserResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) GetUser(context.Context, apiserver.GetUserRequestObject) (apiserver.GetUserResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) UpdateUser(context.Context, apiserver.UpdateUserRequestObject) (apiserver.UpdateUserResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) ListVerifications(context.Context, apiserver.ListVerificationsRequestObject) (apiserver.ListVerificationsResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) CreateVerification(context.Context, apiserver.CreateVerificationRequestObject) (apiserver.CreateVerificationResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) ListWebhooks(context.Context, apiserver.ListWebhooksRequestObject) (apiserver.ListWebhooksResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) CreateWebhook(context.Context, apiserver.CreateWebhookRequestObject) (apiserver.CreateWebhookResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) DeleteWebhook(context.Context, apiserver.DeleteWebhookRequestObject) (apiserver.DeleteWebhookResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) GetWebhook(context.Context, apiserver.GetWebhookRequestObject) (apiserver.GetWebhookResponseObject, error) {
	return nil, errNotImplemented
}

func (h *handler) RotateWebhookSecret(context.Context, apiserver.RotateWebhookSecretRequestObject) (apiserver.RotateWebhookSecretResponseObject, error) {
	return nil, errNotImplemented
}
