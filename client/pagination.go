package client

import (
	"iter"

	"github.com/kiraapi/kira/gen/apitypes"
)

// pageFetcher fetches the page that starts at cursor (nil for the first page).
type pageFetcher[T any] func(cursor *string) ([]T, apitypes.Pagination, error)

// paginate iterates over every item of every page, following next_cursor, fetching each page only
// when the previous one is used up. An error is yielded once, and ends the iteration.
func paginate[T any](fetch pageFetcher[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var cursor *string
		for {
			items, page, err := fetch(cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			// A cursor that does not move (a stub server's fixed example) ends the list too.
			if !page.HasMore || page.NextCursor == nil || *page.NextCursor == "" || (cursor != nil && *cursor == *page.NextCursor) {
				return
			}
			cursor = page.NextCursor
		}
	}
}

// pageSize is the limit parameter for a page size, nil for the server's default.
func pageSize(n int) *apitypes.Limit {
	if n <= 0 {
		return nil
	}
	l := apitypes.Limit(min(n, 100))
	return &l
}
