// Package webpage sends the server's own HTML pages (the hosted verification page, the review
// console), rendered from html/template templates whose page is named "layout".
package webpage

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
)

// Render executes t's "layout" template with data and, once it has run whole, sends the page
// with status as text/html. If the template fails, nothing of it is sent: the answer is a plain
// 500, and the error is returned for the caller to log.
func Render(w http.ResponseWriter, t *template.Template, status int, data any) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		http.Error(w, "Something went wrong.", http.StatusInternalServerError)
		return fmt.Errorf("render %s: %w", t.Name(), err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
	return nil
}
