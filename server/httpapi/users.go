package httpapi

import (
	"context"
	"net/http"

	"github.com/kiraapi/kira/gen/apiserver"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/kyc"
)

// The user operations: create, read, update, list and redact users, and the sandbox's review
// decision.

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
		Body:    h.user(res.User, res.Triggered),
		Headers: apiserver.CreateUser201ResponseHeaders{Location: opt("/v1/users/" + res.User.ID)},
	}, nil
}

func (h *handler) GetUser(ctx context.Context, req apiserver.GetUserRequestObject) (apiserver.GetUserResponseObject, error) {
	u, err := h.users.GetUser(ctx, tenantFrom(ctx).ID, req.UserId.String())
	if err != nil {
		return nil, err
	}
	return apiserver.GetUser200JSONResponse{Body: h.user(u, false)}, nil
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
	return apiserver.UpdateUser200JSONResponse{Body: h.updatedUser(res)}, nil
}

func (h *handler) RedactUser(ctx context.Context, req apiserver.RedactUserRequestObject) (apiserver.RedactUserResponseObject, error) {
	u, err := h.users.RedactUser(ctx, tenantFrom(ctx).ID, req.UserId.String(), kyc.RedactedOnRequest)
	if err != nil {
		return nil, err
	}
	return apiserver.RedactUser200JSONResponse{Body: h.user(u, false)}, nil
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
		body.Data[i] = h.user(u, false)
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
	return apiserver.SandboxReviewUser200JSONResponse{Body: h.user(u, false)}, nil
}
