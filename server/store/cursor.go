package store

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// A cursor is the position of the last user of a page, (created_at, id), which the next page
// starts after: base64url("RFC3339Nano created_at|id"). Clients treat it as opaque.

func encodeCursor(createdAt time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(createdAt.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(cursor string) (createdAt time.Time, id string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return time.Time{}, "", invalidCursor()
	}
	at, id, ok := strings.Cut(string(raw), "|")
	if !ok || id == "" {
		return time.Time{}, "", invalidCursor()
	}
	createdAt, err = time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return time.Time{}, "", invalidCursor()
	}
	return createdAt.UTC(), id, nil
}

func invalidCursor() error {
	return &kyc.Error{Code: kyc.EInvalid, Message: "The request is invalid.",
		Fields: []kyc.FieldError{{Field: "cursor", Message: "is not a valid cursor"}}}
}
