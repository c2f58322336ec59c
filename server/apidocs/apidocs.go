// Package apidocs serves the API reference page, GET /docs: the spec the server publishes at
// /openapi.json, rendered in the browser by Redoc's standalone bundle. The bundle is vendored from
// npm (`make redoc`, pinned in the Makefile) into redoc/ and embedded, so the page works offline:
// it loads nothing but this server's own files.
package apidocs

import (
	"embed"
	"net/http"
	"strings"
)

// Patterns are the routes to register Handler on (http.ServeMux patterns).
var Patterns = []string{"GET /docs", "GET /docs/"}

//go:embed redoc/redoc.standalone.js redoc/redoc.standalone.js.LICENSE.txt redoc/LICENSE redoc/VERSION
var redoc embed.FS

// Version is the vendored Redoc's version.
func Version() string {
	v, _ := redoc.ReadFile("redoc/VERSION")
	return strings.TrimSpace(string(v))
}

// page loads the renderer and the spec by relative URLs, so that it also works behind a proxy
// that serves the API under a path prefix.
const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kira Users &amp; Verification API reference</title>
<style>body { margin: 0; }</style>
</head>
<body>
<div id="redoc"></div>
<script src="docs/redoc.standalone.js"></script>
<script src="docs/init.js"></script>
</body>
</html>
`

const initScript = `Redoc.init("openapi.json", {hideDownloadButton: false, expandResponses: "200,201", pathInMiddlePanel: true}, document.getElementById("redoc"));
`

// csp lets the page run its own scripts, Redoc's inline styles, its search worker (a blob: URL)
// and its fetch of the spec, and nothing from elsewhere.
const csp = "default-src 'none'; script-src 'self'; worker-src blob:; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the page and its files; another path under /docs/ is 404 by http.NotFound, which
// the server mounting Handler answers in its error schema.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		switch r.URL.Path {
		case "/docs/":
			// No body: http.Redirect would write an HTML one.
			h.Set("Location", "../docs")
			w.WriteHeader(http.StatusMovedPermanently)
		case "/docs":
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", csp)
			h.Set("Cache-Control", "no-cache")
			_, _ = w.Write([]byte(page))
		case "/docs/init.js":
			h.Set("Content-Type", "text/javascript; charset=utf-8")
			h.Set("Cache-Control", "no-cache")
			_, _ = w.Write([]byte(initScript))
		case "/docs/redoc.standalone.js":
			h.Set("Content-Type", "text/javascript; charset=utf-8")
			h.Set("Cache-Control", "public, max-age=86400")
			http.ServeFileFS(w, r, redoc, "redoc/redoc.standalone.js")
		case "/docs/LICENSE.txt":
			h.Set("Content-Type", "text/plain; charset=utf-8")
			lic, _ := redoc.ReadFile("redoc/LICENSE")
			bundled, _ := redoc.ReadFile("redoc/redoc.standalone.js.LICENSE.txt")
			_, _ = w.Write(append(append(lic, '\n'), bundled...))
		default:
			http.NotFound(w, r)
		}
	})
}
