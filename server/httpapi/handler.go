package httpapi

import (
	"context"

	"github.com/kiraapi/kira/gen/apiserver"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/kyc"
)

// handler implements the generated strict server interface. Expected failures are returned as
// *kyc.Error and written by the error handler; the typed error responses are not used, so every
// error leaves through one place. An operation of the spec without a method here is answered by
// the embedded apiserver.Unimplemented: 501 not_implemented.
type handler struct {
	apiserver.Unimplemented

	ready   func(context.Context) error
	auth    Authenticator
	users   UserService
	sandbox bool
	linkFor func(sessionID string) string
	// completedURL is the default redirect_uri of a create in verification_link mode.
	completedURL string
	webhooks     WebhookService
	// publicURL is the base of document download links, without a trailing slash.
	publicURL string
}

var _ apiserver.StrictServerInterface = (*handler)(nil)

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

func (h *handler) Authenticate(ctx context.Context, req apiserver.AuthenticateRequestObject) (apiserver.AuthenticateResponseObject, error) {
	apiKey := apiKeyFrom(ctx)
	if apiKey == "" {
		return nil, &kyc.Error{Code: kyc.EUnauthorized, Message: "Send your API key in the x-api-key header."}
	}
	token, expiresIn, err := h.auth.Login(ctx, apiKey, req.Body.ClientId, deref(req.Body.Password))
	if err != nil {
		return nil, err
	}
	return apiserver.Authenticate200JSONResponse{Body: apitypes.AuthResponse{
		Message: "Auth token",
		Data:    apitypes.AuthToken{AccessToken: token, ExpiresIn: int32(expiresIn), TokenType: apitypes.Bearer},
	}}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
