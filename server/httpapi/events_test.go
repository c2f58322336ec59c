package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

type eventList struct {
	Data []struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		UserID  string `json:"user_id"`
		Payload struct {
			Event string         `json:"event"`
			Data  map[string]any `json:"data"`
		} `json:"payload"`
	} `json:"data"`
	Pagination struct {
		Limit      int    `json:"limit"`
		HasMore    bool   `json:"has_more"`
		NextCursor string `json:"next_cursor"`
	} `json:"pagination"`
}

// listEvents follows the pages of GET /v1/events?query and returns the ids in order, and the
// number of pages.
func (env *testEnv) listEvents(t *testing.T, a *testTenant, query url.Values) ([]string, int) {
	t.Helper()
	var ids []string
	for pages := 1; ; pages++ {
		resp, raw := env.srv.Do(t, "GET", "/v1/events?"+query.Encode(), a.headers(), nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("list events: %d %s", resp.StatusCode, raw)
		}
		page := decode[eventList](t, raw)
		for _, e := range page.Data {
			if e.Payload.Event != e.Type || e.Payload.Data["event_id"] != e.ID || e.Payload.Data["user_id"] != e.UserID {
				t.Errorf("event %s: payload %+v", e.ID, e.Payload)
			}
			ids = append(ids, e.ID)
		}
		if page.Pagination.HasMore != (page.Pagination.NextCursor != "") {
			t.Fatalf("pagination: %+v", page.Pagination)
		}
		if !page.Pagination.HasMore {
			return ids, pages
		}
		query.Set("cursor", page.Pagination.NextCursor)
	}
}

func TestListEvents(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a, b := env.tenant(t, "acme"), env.tenant(t, "globex")
		var incomplete []string
		for _, email := range []string{"ada@example.com", "grace@example.com", "alan@example.com"} {
			incomplete = append(incomplete, env.createUser(t, a, incompleteUser(email)))
		}
		verified := env.createAndSettle(t, a, "seed", seedUser)
		env.createUser(t, b, incompleteUser("other@example.com"))

		stored, err := env.inspect.Events(t.Context(), a.id) // oldest first
		if err != nil {
			t.Fatal(err)
		}
		var all []string
		byType, byUser := map[string][]string{}, map[string][]string{}
		for _, e := range slices.Backward(stored) {
			all = append(all, e.ID)
			byType[string(e.Type)] = append(byType[string(e.Type)], e.ID)
			byUser[e.UserID] = append(byUser[e.UserID], e.ID)
		}
		if len(all) != 7 {
			t.Fatalf("%d events, want 7", len(all))
		}
		tests := []struct {
			name      string
			query     url.Values
			want      []string
			wantPages int
		}{
			{"newest first, default page", url.Values{}, all, 1},
			{"three per page", url.Values{"limit": {"3"}}, all, 3},
			{"seven per page has no empty last page", url.Values{"limit": {"7"}}, all, 1},
			{"by type", url.Values{"type": {"user.created"}, "limit": {"2"}}, byType["user.created"], 2},
			{"by user", url.Values{"user_id": {verified.ID}}, byUser[verified.ID], 1},
			{"by type and user", url.Values{"user_id": {verified.ID}, "type": {"user.status_changed"}}, byType["user.status_changed"], 1},
			{"by another user", url.Values{"user_id": {incomplete[1]}}, byUser[incomplete[1]], 1},
		}
		for _, tt := range tests {
			got, pages := env.listEvents(t, a, tt.query)
			if !slices.Equal(got, tt.want) || pages != tt.wantPages {
				t.Errorf("%s: %d pages of %v, want %d of %v", tt.name, pages, got, tt.wantPages, tt.want)
			}
		}

		// Another tenant sees none of them.
		if got, _ := env.listEvents(t, b, url.Values{}); len(got) != 1 {
			t.Errorf("the other tenant lists %d events, want its own 1", len(got))
		}
		if resp, _ := env.srv.Do(t, "GET", "/v1/events/"+all[0], b.headers(), nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another tenant's event: %d", resp.StatusCode)
		}
		for _, bad := range []struct{ query, field string }{{"cursor=bm90LWEtY3Vyc29y", "cursor"}, {"user_id=42", "user_id"}, {"type=user.deleted", "type"}} {
			resp, raw := env.srv.Do(t, "GET", "/v1/events?"+bad.query, a.headers(), nil)
			if e := decode[errorBody](t, raw); resp.StatusCode != 400 || len(e.Errors) != 1 || e.Errors[0].Field != bad.field {
				t.Errorf("%s: %d %s", bad.query, resp.StatusCode, raw)
			}
		}

		// GET /v1/events/{id} returns the payload exactly as it would be delivered.
		ev := env.event(t, a, byType["user.verification.accepted"][0])
		var payload map[string]any
		if err := json.Unmarshal(ev.Payload, &payload); err != nil || payload["event"] != "user.verification.accepted" || len(ev.Deliveries) != 0 {
			t.Errorf("event detail: %+v", ev)
		}
	})
}
