package client

import (
	"context"
	"fmt"
	"iter"

	"github.com/kiraapi/kira/gen/apitypes"
)

// EventsService reads the event log (every event, with its delivery attempts) and redelivers
// events.
type EventsService struct{ c *Client }

// EventListParams filters a list of events; zero fields do not filter.
type EventListParams struct {
	Type apitypes.EventType
	// UserID keeps the events about this user.
	UserID string
	// PageSize is how many events each request fetches (1 to 100; 0 for the server's default).
	PageSize int
}

// List iterates over the tenant's events, newest first, fetching pages as the loop needs them.
// Each record's Payload is the event exactly as delivered to webhook endpoints.
func (s *EventsService) List(ctx context.Context, p EventListParams) iter.Seq2[apitypes.EventRecord, error] {
	return paginate(func(cursor *string) ([]apitypes.EventRecord, apitypes.Pagination, error) {
		params := &apitypes.ListEventsParams{Cursor: cursor, Limit: pageSize(p.PageSize)}
		if p.Type != "" {
			params.Type = &p.Type
		}
		if p.UserID != "" {
			uid, err := parseID("user", p.UserID)
			if err != nil {
				return nil, apitypes.Pagination{}, fmt.Errorf("list events: %w", err)
			}
			params.UserId = &uid
		}
		r, err := s.c.API.ListEventsWithResponse(ctx, params)
		if err != nil {
			return nil, apitypes.Pagination{}, fmt.Errorf("list events: %w", err)
		}
		page, err := result(r.HTTPResponse, r.Body, r.JSON200)
		if err != nil {
			return nil, apitypes.Pagination{}, fmt.Errorf("list events: %w", err)
		}
		return page.Data, page.Pagination, nil
	})
}

// Get returns an event with every delivery attempt per endpoint.
func (s *EventsService) Get(ctx context.Context, id string) (*apitypes.EventDetail, error) {
	eid, err := parseID("event", id)
	if err != nil {
		return nil, fmt.Errorf("get event: %w", err)
	}
	r, err := s.c.API.GetEventWithResponse(ctx, eid)
	if err != nil {
		return nil, fmt.Errorf("get event: %w", err)
	}
	e, err := result(r.HTTPResponse, r.Body, r.JSON200)
	if err != nil {
		return nil, fmt.Errorf("get event: %w", err)
	}
	return e, nil
}

// Redeliver queues a new delivery of the event to every endpoint subscribed to its type.
func (s *EventsService) Redeliver(ctx context.Context, id string, opts ...CallOption) (*apitypes.RedeliverResponse, error) {
	eid, err := parseID("event", id)
	if err != nil {
		return nil, fmt.Errorf("redeliver event: %w", err)
	}
	r, err := s.c.API.RedeliverEventWithResponse(ctx, eid, editors(opts)...)
	if err != nil {
		return nil, fmt.Errorf("redeliver event: %w", err)
	}
	res, err := result(r.HTTPResponse, r.Body, r.JSON202)
	if err != nil {
		return nil, fmt.Errorf("redeliver event: %w", err)
	}
	return res, nil
}
