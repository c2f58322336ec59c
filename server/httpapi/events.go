package httpapi

import (
	"context"

	"github.com/kiraapi/kira/gen/apiserver"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/kyc"
)

func (h *handler) ListEvents(ctx context.Context, req apiserver.ListEventsRequestObject) (apiserver.ListEventsResponseObject, error) {
	p := req.Params
	f := kyc.EventFilter{Limit: 10, Cursor: deref(p.Cursor)}
	if p.Limit != nil {
		f.Limit = int(*p.Limit)
	}
	if p.Type != nil {
		f.Type = kyc.EventType(*p.Type)
	}
	if p.UserId != nil {
		f.UserID = p.UserId.String()
	}
	events, next, err := h.webhooks.ListEvents(ctx, tenantFrom(ctx).ID, f)
	if err != nil {
		return nil, err
	}
	body := apitypes.EventList{Data: make([]apitypes.EventRecord, len(events)), Pagination: apitypes.Pagination{Limit: int32(f.Limit), HasMore: next != "", NextCursor: opt(next)}}
	for i, e := range events {
		if body.Data[i], err = toAPIEvent(e); err != nil {
			return nil, err
		}
	}
	return apiserver.ListEvents200JSONResponse{Body: body}, nil
}

func (h *handler) GetEvent(ctx context.Context, req apiserver.GetEventRequestObject) (apiserver.GetEventResponseObject, error) {
	e, deliveries, err := h.webhooks.GetEvent(ctx, tenantFrom(ctx).ID, req.EventId.String())
	if err != nil {
		return nil, err
	}
	record, err := toAPIEvent(e)
	if err != nil {
		return nil, err
	}
	body := apitypes.EventDetail{
		Id: record.Id, Type: record.Type, UserId: record.UserId, CreatedAt: record.CreatedAt, Payload: record.Payload,
		Deliveries: make([]apitypes.Delivery, len(deliveries)),
	}
	for i, d := range deliveries {
		body.Deliveries[i] = toAPIDelivery(d)
	}
	return apiserver.GetEvent200JSONResponse{Body: body}, nil
}

func (h *handler) RedeliverEvent(ctx context.Context, req apiserver.RedeliverEventRequestObject) (apiserver.RedeliverEventResponseObject, error) {
	n, err := h.webhooks.Redeliver(ctx, tenantFrom(ctx).ID, req.EventId.String())
	if err != nil {
		return nil, err
	}
	return apiserver.RedeliverEvent202JSONResponse{Body: apitypes.RedeliverResponse{EventId: req.EventId, DeliveriesQueued: int32(n)}}, nil
}
