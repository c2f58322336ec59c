package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

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
}

// front routes a request to the API (Echo) or to a mounted handler (the hosted pages). A HEAD
// request reaches Echo as a GET: net/http still sends no body, since its own copy of the request
// says HEAD. A path net/http's mux would redirect (empty, . or .. segments) goes to Echo, which
// refuses it in the error schema.
type front struct {
	api http.Handler
	mux *http.ServeMux
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if cleanPath(r.URL.Path) {
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
// unknown transfer encoding), leave in the error schema instead.
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
// netHTTPErrorHeaders. Responses of handlers always carry more headers (Date at least).
func netHTTPError(p []byte) (int, bool) {
	const proto = "HTTP/1.1 "
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
	apiErr, ok := errorByStatus[status]
	if !ok {
		status, apiErr = http.StatusBadRequest, errorByStatus[http.StatusBadRequest]
	}
	id := uuid.Must(uuid.NewV7()).String()
	body, _ := json.Marshal(apitypes.Error{Code: apitypes.ErrorCode(apiErr.Code), Message: apiErr.Message, RequestId: id}) // cannot fail
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n", len(body))
	fmt.Fprintf(&b, "X-Request-Id: %s\r\n", id)
	for k, v := range securityHeaders {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}
