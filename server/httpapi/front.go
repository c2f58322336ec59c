package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/kyc"
)

// MaxHeaderBytes bounds the request line and headers together; net/http answers larger ones with
// 431, which the listener of Listen turns into the error schema.
const MaxHeaderBytes = 32 << 10

// ConfigureServer sets the limits every server of the API uses: kirad's and the tests'.
func ConfigureServer(srv *http.Server) {
	srv.MaxHeaderBytes = MaxHeaderBytes
	srv.ReadHeaderTimeout = 10 * time.Second
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.IdleTimeout = 2 * time.Minute
	srv.DisableGeneralOptionsHandler = true // front answers OPTIONS * in the error schema
}

// front routes a request to the API (Echo) or to a mounted handler (the hosted pages, the docs,
// the metrics). A HEAD request reaches Echo as a GET: net/http still sends no body, since its own
// copy of the request says HEAD. A path net/http's mux would redirect (empty, . or .. segments)
// goes to Echo, which refuses it in the error schema. Mounted handlers answer in the error schema
// too: a wrong method gets 405 with Allow, and the plain-text errors of net/http's helpers
// (http.Error, http.NotFound, http.ServeContent's 416) are rewritten by mountedWriter.
type front struct {
	api http.Handler
	mux *http.ServeMux
	// mounted holds the first path segment of every mounted pattern ("docs" for "GET /docs/"):
	// a request whose path starts with another goes to the API without a lookup in mux. nil
	// when a pattern is "/", names a host or starts with a wildcard: every request asks mux.
	mounted map[string]bool
}

// newFront mounts each handler of mount on its http.ServeMux pattern ("GET /docs"). The path of a
// pattern with a method answers every other method with 405 and Allow: the pattern's methods,
// with HEAD wherever GET is (http.ServeMux serves HEAD by the GET pattern).
func newFront(api http.Handler, mount map[string]http.Handler) *front {
	mux := http.NewServeMux()
	methods := map[string][]string{}
	segments := map[string]bool{}
	for pattern, h := range mount {
		mux.Handle(pattern, mounted(h))
		p := pattern
		if method, rest, ok := strings.Cut(pattern, " "); ok {
			p = strings.TrimSpace(rest)
			methods[p] = append(methods[p], method)
		}
		if first := firstSegment(p); segments != nil && strings.HasPrefix(p, "/") && first != "" && !strings.HasPrefix(first, "{") {
			segments[first] = true
		} else {
			segments = nil
		}
	}
	for p, ms := range methods {
		if _, taken := mount[p]; taken {
			continue
		}
		if slices.Contains(ms, http.MethodGet) {
			ms = append(ms, http.MethodHead)
		}
		slices.Sort(ms)
		allow := strings.Join(slices.Compact(ms), ", ")
		mux.Handle(p, mounted(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, http.StatusMethodNotAllowed, allow)
		})))
	}
	return &front{api: api, mux: mux, mounted: segments}
}

// firstSegment is the first segment of path p: "docs" for "/docs/x", "" for "/".
func firstSegment(p string) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return first
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.RequestURI == "*" && r.Method == http.MethodOptions {
		// The server as a whole allows no method: OPTIONS is answered on no resource either
		// (ConfigureServer leaves OPTIONS * to the handler instead of net/http's empty 200).
		w.Header().Set(echo.HeaderXRequestID, newRequestID(r))
		writeError(w, http.StatusMethodNotAllowed, "")
		return
	}
	if cleanPath(r.URL.Path) && (f.mounted == nil || f.mounted[firstSegment(r.URL.Path)]) {
		if _, pattern := f.mux.Handler(r); pattern != "" {
			f.mux.ServeHTTP(w, r) // sets the pattern's path values
			return
		}
	}
	if r.Method == http.MethodHead {
		r = r.Clone(r.Context())
		r.Method = http.MethodGet
	}
	f.api.ServeHTTP(w, r)
}

// mounted gives every answer of h a request id, and its plain-text errors the error schema.
func mounted(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(echo.HeaderXRequestID, newRequestID(r))
		h.ServeHTTP(&mountedWriter{ResponseWriter: w}, r)
	})
}

// mountedWriter turns an error status written with a text/plain body, which is how net/http's
// helpers answer (http.Error), into the error schema of the same status. Other answers pass.
type mountedWriter struct {
	http.ResponseWriter
	wroteHeader bool
	replaced    bool // the handler's body is dropped
}

func (w *mountedWriter) WriteHeader(status int) {
	if !w.wroteHeader && status >= http.StatusBadRequest && strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		w.replaced = true
		writeError(w.ResponseWriter, status, w.Header().Get(echo.HeaderAllow))
	} else {
		w.ResponseWriter.WriteHeader(status)
	}
	w.wroteHeader = true
}

func (w *mountedWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

func (w *mountedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writeError answers status in the error schema with the security headers, the request id already
// in w's headers, and Allow when status is 405.
func writeError(w http.ResponseWriter, status int, allow string) {
	h := w.Header()
	body := errorBody(status, h.Get(echo.HeaderXRequestID))
	for _, k := range []string{"Content-Encoding", "Content-Length", "Content-Disposition", "Last-Modified", "Etag"} {
		h.Del(k)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	setSecurityHeaders(h)
	if status == http.StatusMethodNotAllowed {
		h.Set(echo.HeaderAllow, allow)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// errorBody is the error schema's body for status, with request id id.
func errorBody(status int, id string) []byte {
	apiErr, ok := errorByStatus[status]
	switch {
	case !ok && status >= http.StatusInternalServerError:
		apiErr = errInternal
	case !ok:
		apiErr = errorByStatus[http.StatusBadRequest]
	}
	body, _ := json.Marshal(apitypes.Error{Code: apitypes.ErrorCode(apiErr.Code), Message: apiErr.Message, RequestId: id}) // cannot fail
	return body
}

// cleanPath reports whether p is in canonical form: absolute, with no empty, . or .. segment.
func cleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

var errUncleanPath = &kyc.Error{Code: kyc.EInvalid, Message: "The request is invalid.", Fields: []kyc.FieldError{
	{Field: "path", Message: "must not contain empty, '.' or '..' segments"},
}}

// Listen wraps ln so that the plain-text answers net/http writes itself, before any handler runs
// (431 for headers over MaxHeaderBytes, 400 for a malformed request line or header, 501 for an
// unknown transfer encoding, 417 for an Expect other than 100-continue), leave in the error schema
// instead.
func Listen(ln net.Listener) net.Listener { return errorSchemaListener{ln} }

type errorSchemaListener struct{ net.Listener }

func (l errorSchemaListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return errorSchemaConn{c}, nil
}

type errorSchemaConn struct{ net.Conn }

// netHTTPErrorHeaders are the headers of every answer net/http writes itself, whole, in one write.
const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c errorSchemaConn) Write(p []byte) (int, error) {
	status, ok := netHTTPError(p)
	if !ok {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(errorResponse(status)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// netHTTPError recognises an answer of net/http's own: a status line followed at once by
// netHTTPErrorHeaders (responses of handlers always carry more headers, Date at least), or a 417,
// which net/http answers with an empty body to an Expect other than 100-continue and no handler
// of the API answers.
func netHTTPError(p []byte) (int, bool) {
	const proto = "HTTP/1.1 "
	if bytes.HasPrefix(p, []byte(proto+"417 ")) {
		return http.StatusExpectationFailed, true
	}
	i := bytes.Index(p, []byte(netHTTPErrorHeaders))
	if !bytes.HasPrefix(p, []byte(proto)) || i < len(proto)+3 || bytes.Contains(p[:i], []byte("\r\n")) {
		return 0, false
	}
	status, err := strconv.Atoi(string(p[len(proto) : len(proto)+3]))
	if err != nil {
		return 0, false
	}
	return status, true
}

// errorResponse is a whole HTTP/1.1 response in the error schema for one of net/http's statuses.
func errorResponse(status int) []byte {
	if _, ok := errorByStatus[status]; !ok {
		status = http.StatusBadRequest
	}
	id := uuid.Must(uuid.NewV7()).String()
	body := errorBody(status, id)
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n", len(body))
	fmt.Fprintf(&b, "X-Request-Id: %s\r\n", id)
	for _, sh := range securityHeaders {
		fmt.Fprintf(&b, "%s: %s\r\n", sh.name, sh.value)
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}
