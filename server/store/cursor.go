package store

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/server/kyc"
)

// A cursor is the position of the last item of a page, (created_at, id), which the next page
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
	// Only a cursor this server made is taken: anything else would be a page of nothing.
	if parsed, perr := uuid.Parse(id); err != nil || perr != nil || parsed.String() != id || encodeCursor(createdAt, id) != cursor {
		return time.Time{}, "", invalidCursor()
	}
	return createdAt.UTC(), id, nil
}

func invalidCursor() error {
	return &kyc.Error{Code: kyc.EInvalid, Message: "The request is invalid.",
		Fields: []kyc.FieldError{{Field: "cursor", Message: "is not a valid cursor"}}}
}

// listPage runs a listing, newest first (ties by id, descending), a page at a time: query selects
// the rows and applies the filters, with args; listPage adds the cursor's condition, the order and
// the limit, scans each row with scan, and returns the page and the next page's cursor ("" on the
// last). A limit of 0 means defaultListLimit.
func listPage[T any](ctx context.Context, q querier, op, query string, args []any, cursor string, limit int,
	scan func(row) (T, error), key func(T) (time.Time, string)) ([]T, string, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	if cursor != "" {
		createdAt, id, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		query += " AND (created_at, id) < (?, ?)"
		args = append(args, createdAt, id)
	}
	query += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, limit+1) // one more tells whether there is a next page

	r, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, "", dbError(op, err)
	}
	defer r.Close()
	var items []T
	for r.Next() {
		item, err := scan(r)
		if err != nil {
			return nil, "", dbError(op, err)
		}
		items = append(items, item)
	}
	if err := r.Err(); err != nil {
		return nil, "", dbError(op, err)
	}
	if len(items) <= limit {
		return items, "", nil
	}
	items = items[:limit]
	createdAt, id := key(items[limit-1])
	return items, encodeCursor(createdAt, id), nil
}
