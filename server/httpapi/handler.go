package httpapi

import (
	"context"
	"net/http"

	"github.com/kiraapi/kira/gen/apiserver"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/kyc"
)

// handler implements the generated strict server interface. Expected failures are returned as
// *kyc.Error and written by the error handler; the typed error responses are not used, so every
// error leaves through one place.
type handler struct {
	ready    func(context.Context) error
	auth     Authenticator
	users    *kyc.Service
	sandbox  bool
	linkFor  func(sessionID string) string
	webhooks *kyc.Webhooks
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

func (h *handler) CreateUser(ctx context.Context, req apiserver.CreateUserRequestObject) (apiserver.CreateUserResponseObject, error) {
	fields, err := fieldsFromRequest(req.Body)
	if err != nil {
		return nil, err
	}
	res, err := h.users.CreateUser(ctx, tenantFrom(ctx).ID, kyc.UserType(req.Body.Type), fields)
	if err != nil {
		return nil, err
	}
	return apiserver.CreateUser201JSONResponse{
		Body:    toAPIUser(res.User, res.Triggered),
		Headers: apiserver.CreateUser201ResponseHeaders{Location: opt("/v1/users/" + res.User.ID)},
	}, nil
}

func (h *handler) GetUser(ctx context.Context, req apiserver.GetUserRequestObject) (apiserver.GetUserResponseObject, error) {
	u, err := h.users.GetUser(ctx, tenantFrom(ctx).ID, req.UserId.String())
	if err != nil {
		return nil, err
	}
	return apiserver.GetUser200JSONResponse{Body: toAPIUser(u, false)}, nil
}

func (h *handler) UpdateUser(ctx context.Context, req apiserver.UpdateUserRequestObject) (apiserver.UpdateUserResponseObject, error) {
	patch, err := patchFromRequest(req.Body)
	if err != nil {
		return nil, err
	}
	res, err := h.users.UpdateUser(ctx, tenantFrom(ctx).ID, req.UserId.String(), patch)
	if err != nil {
		return nil, err
	}
	return apiserver.UpdateUser200JSONResponse{Body: toAPIUpdatedUser(res)}, nil
}

func (h *handler) RedactUser(ctx context.Context, req apiserver.RedactUserRequestObject) (apiserver.RedactUserResponseObject, error) {
	u, err := h.users.RedactUser(ctx, tenantFrom(ctx).ID, req.UserId.String(), kyc.RedactedOnRequest)
	if err != nil {
		return nil, err
	}
	return apiserver.RedactUser200JSONResponse{Body: toAPIUser(u, false)}, nil
}

func (h *handler) ListUsers(ctx context.Context, req apiserver.ListUsersRequestObject) (apiserver.ListUsersResponseObject, error) {
	p := req.Params
	f := kyc.UserFilter{Limit: 10}
	if p.Limit != nil {
		f.Limit = int(*p.Limit)
	}
	if p.Cursor != nil {
		f.Cursor = *p.Cursor
	}
	if p.Status != nil {
		f.Status = kyc.Status(*p.Status)
	}
	if p.Type != nil {
		f.Type = kyc.UserType(*p.Type)
	}
	if p.Email != nil {
		f.Email = string(*p.Email)
	}
	users, next, err := h.users.ListUsers(ctx, tenantFrom(ctx).ID, f)
	if err != nil {
		return nil, err
	}
	body := apitypes.UserList{Data: make([]apitypes.User, len(users)), Pagination: apitypes.Pagination{Limit: int32(f.Limit), HasMore: next != "", NextCursor: opt(next)}}
	for i, u := range users {
		body.Data[i] = toAPIUser(u, false)
	}
	return apiserver.ListUsers200JSONResponse{Body: body}, nil
}

func (h *handler) SandboxReviewUser(ctx context.Context, req apiserver.SandboxReviewUserRequestObject) (apiserver.SandboxReviewUserResponseObject, error) {
	if !h.sandbox {
		return nil, errorByStatus[http.StatusNotFound]
	}
	u, err := h.users.Review(ctx, tenantFrom(ctx).ID, req.UserId.String(), req.Body.Decision == apitypes.Approve, deref(req.Body.Reason))
	if err != nil {
		return nil, err
	}
	return apiserver.SandboxReviewUser200JSONResponse{Body: toAPIUser(u, false)}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
