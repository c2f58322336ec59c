package httpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/gen/apiserver"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/openapi/timestamp"
	"github.com/kiraapi/kira/server/kyc"
)

func (h *handler) CreateVerification(ctx context.Context, req apiserver.CreateVerificationRequestObject) (apiserver.CreateVerificationResponseObject, error) {
	se, err := h.users.CreateSession(ctx, tenantFrom(ctx).ID, req.UserId.String(), req.Body.RedirectUri)
	if err != nil {
		return nil, err
	}
	return apiserver.CreateVerification201JSONResponse{Body: h.toAPISession(se)}, nil
}

func (h *handler) ListVerifications(ctx context.Context, req apiserver.ListVerificationsRequestObject) (apiserver.ListVerificationsResponseObject, error) {
	sessions, err := h.users.ListSessions(ctx, tenantFrom(ctx).ID, req.UserId.String())
	if err != nil {
		return nil, err
	}
	body := apitypes.VerificationList{Data: make([]apitypes.Verification, len(sessions))}
	for i, se := range sessions {
		body.Data[i] = h.toAPISession(se)
	}
	return apiserver.ListVerifications200JSONResponse{Body: body}, nil
}

func (h *handler) toAPISession(se *kyc.Session) apitypes.Verification {
	v := apitypes.Verification{
		Id:           opt(uuid.MustParse(se.ID)),
		UserId:       uuid.MustParse(se.UserID),
		Type:         apitypes.VerificationType(se.Type),
		Status:       apitypes.VerificationStatus(se.Status),
		ProviderLink: h.linkFor(se.ID),
		RedirectUri:  se.RedirectURI,
		ExpiresAt:    timestamp.Of(se.ExpiresAt),
		CreatedAt:    timestamp.Of(se.CreatedAt),
	}
	if !se.CompletedAt.IsZero() {
		v.CompletedAt = opt(timestamp.Of(se.CompletedAt))
	}
	return v
}
