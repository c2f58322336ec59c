package webpage_test

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kiraapi/kira/server/webpage"
)

// TestRender: a page is sent whole with its status; a template that fails midway sends a plain
// 500 and none of the page.
func TestRender(t *testing.T) {
	t.Parallel()
	page := template.Must(template.New("page").Parse(`{{define "layout"}}<p>{{.Title}}</p><p>{{.Missing.Field}}</p>{{end}}`))
	tests := []struct {
		name       string
		data       any
		wantStatus int
		wantBody   string
		wantErr    bool
	}{
		{"whole", map[string]any{"Title": "Hi & bye", "Missing": map[string]string{"Field": "x"}}, http.StatusCreated, "<p>Hi &amp; bye</p><p>x</p>", false},
		{"failing midway", struct{ Title string }{"Hi"}, http.StatusInternalServerError, "Something went wrong.\n", true},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		err := webpage.Render(w, page, http.StatusCreated, tt.data)
		if (err != nil) != tt.wantErr || w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
			t.Errorf("%s: %d %q, error %v", tt.name, w.Code, w.Body, err)
		}
		if ct := w.Header().Get("Content-Type"); !tt.wantErr && !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: Content-Type %q", tt.name, ct)
		}
	}
}
