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
	redirect := string(deref(req.Body.RedirectUri))
	if redirect == "" && fields.VerificationMode == kyc.VerifyThroughLink {
		redirect = h.completedURL
	}
	res, err := h.users.CreateUser(ctx, tenantFrom(ctx).ID, kyc.UserType(req.Body.Type), fields, redirect)
	if err != nil {
		return nil, err
	}
	return apiserver.CreateUser201JSONResponse{
		Body:    h.toAPICreatedUser(res),
		Headers: apiserver.CreateUser201ResponseHeaders{Location: opt("/v1/users/" + res.User.ID)},
	}, nil
}

func (h *handler) GetUser(ctx context.Context, req apiserver.GetUserRequestObject) (apiserver.GetUserResponseObject, error) {
	u, err := h.users.GetUser(ctx, tenantFrom(ctx).ID, req.UserId.String())
	if err != nil {
		return nil, err
	}
	return apiserver.GetUser200JSONResponse{Body: h.toAPIUser(u, false)}, nil
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
	return apiserver.UpdateUser200JSONResponse{Body: h.toAPIUpdatedUser(res)}, nil
}

func (h *handler) RedactUser(ctx context.Context, req apiserver.RedactUserRequestObject) (apiserver.RedactUserResponseObject, error) {
	u, err := h.users.RedactUser(ctx, tenantFrom(ctx).ID, req.UserId.String(), kyc.RedactedOnRequest)
	if err != nil {
		return nil, err
	}
	return apiserver.RedactUser200JSONResponse{Body: h.toAPIUser(u, false)}, nil
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
		body.Data[i] = h.toAPIUser(u, false)
	}
	return apiserver.ListUsers200JSONResponse{Body: body}, nil
}

func (h *handler) SandboxReviewUser(ctx context.Context, req apiserver.SandboxReviewUserRequestObject) (apiserver.SandboxReviewUserResponseObject, error) {
	if !h.sandbox {
		return nil, errorByStatus[http.StatusNotFound]
	}
	u, err := h.users.Review(ctx, tenantFrom(ctx).ID, req.UserId.String(),
		kyc.ReviewDecision{Approve: req.Body.Decision == apitypes.Approve, Reason: deref(req.Body.Reason)})
	if err != nil {
		return nil, err
	}
	return apiserver.SandboxReviewUser200JSONResponse{Body: h.toAPIUser(u, false)}, nil
}

// DecideReview is the operators' review decision: the tenant is named in the path, since
// operators span tenants, and the operator (authenticate) is recorded in the audit trail with the
// decision.
func (h *handler) DecideReview(ctx context.Context, req apiserver.DecideReviewRequestObject) (apiserver.DecideReviewResponseObject, error) {
	u, err := h.users.Review(ctx, req.TenantId.String(), req.UserId.String(), kyc.ReviewDecision{
		Approve:         req.Body.Decision == apitypes.ReviewApprove,
		Reason:          deref(req.Body.Reason),
		DeveloperReason: deref(req.Body.DeveloperReason),
		By:              reviewerFrom(ctx),
	})
	if err != nil {
		return nil, err
	}
	return apiserver.DecideReview200JSONResponse{Body: h.toAPIUser(u, false)}, nil
}
