package kyc

import (
	"encoding/json"
	"fmt"
	"time"
)

// EventType names an event.
type EventType string

// The event types.
const (
	EventUserCreated          EventType = "user.created"
	EventVerificationAccepted EventType = "user.verification.accepted"
	EventVerificationFailed   EventType = "user.verification.failed"
	EventStatusChanged        EventType = "user.status_changed"
	EventUserRedacted         EventType = "user.redacted"
)

// Event is an entry of a tenant's event log. Payload is the body delivered to webhooks,
// {"event": ..., "data": {...}}, with data.event_id equal to ID.
type Event struct {
	ID        string
	TenantID  string
	Type      EventType
	UserID    string
	CreatedAt time.Time
	Payload   json.RawMessage
}

// NewEvent builds an event whose payload is {"event": typ, "data": data}; data must marshal to a
// JSON object, into which event_id is added.
func NewEvent(id, tenantID string, typ EventType, userID string, at time.Time, data map[string]any) (*Event, error) {
	data["event_id"] = id
	payload, err := json.Marshal(struct {
		Event EventType      `json:"event"`
		Data  map[string]any `json:"data"`
	}{typ, data})
	if err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", typ, err)
	}
	return &Event{ID: id, TenantID: tenantID, Type: typ, UserID: userID, CreatedAt: at, Payload: payload}, nil
}
