// Package httpapi serves the Kira API over HTTP: Echo, the middleware chain (request id, access
// log, recovery, body limit, spec validation), the implementation of the generated strict server
// interface, and the one mapping from domain errors to the error schema.
package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/kiraapi/kira/gen/apiserver"
	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/tracing"
)

// MaxBodyBytes is the largest request body accepted; larger ones get 413.
const MaxBodyBytes = 1 << 20

// Options configures the HTTP API.
type Options struct {
	// Spec is the loaded OpenAPI document (openapi.Load), which requests are validated against
	// and which /openapi.json serves.
	Spec *openapi3.T
	// Logger receives the access log and internal errors. It never receives request bodies.
	Logger *slog.Logger
	// Ready reports whether the service can take traffic (GET /readyz); nil means always ready.
	Ready func(context.Context) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Auth checks credentials.
	Auth Authenticator
	// Operators checks operator API tokens, on the review routes (nil: they answer 401).
	Operators OperatorAuthorizer
	// Users carries out the user use cases.
	Users UserService
	// Store keeps idempotency records, in the transaction of the request they belong to.
	Store kyc.Transactor
	// Hasher hashes idempotency keys before they are stored.
	Hasher kyc.KeyHasher
	// RateLimit is the per-API-key request budget.
	RateLimit RateLimit
	// Sandbox enables the sandbox helper routes; without it they answer 404.
	Sandbox bool
	// LinkFor returns the absolute URL of a verification session's hosted page.
	LinkFor func(sessionID string) string
	// CompletedURL is where the hosted page sends the end user of a session that has no
	// redirect_uri of its own (a create in verification_link mode without one).
	CompletedURL string
	// Webhooks carries out the webhook endpoint and events use cases.
	Webhooks WebhookService
	// Metrics, when set, records every answered request.
	Metrics Observer
	// Tracer makes a span per request; nil makes none.
	Tracer trace.Tracer
	// CORSOrigins are the browser origins allowed to call the API; with none, no CORS header is
	// sent and preflights are refused like any other OPTIONS request.
	CORSOrigins []string
	// Mount serves other handlers beside the API (the hosted pages), by http.ServeMux pattern.
	Mount map[string]http.Handler
	// PublicURL is the base of the document download links the API hands out ("": relative links).
	PublicURL string
}

// New builds the API's HTTP handler. The spec, the router and the validator are built once here.
func New(opts Options) (http.Handler, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Tracer == nil {
		opts.Tracer = noop.NewTracerProvider().Tracer(tracing.Name)
	}
	if err := checkFieldTable(); err != nil {
		return nil, err
	}
	spec := opts.Spec
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode spec as JSON: %w", err)
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	ops := newOperations(spec)
	limits, err := limitsOf(spec)
	if err != nil {
		return nil, err
	}
	e.HTTPErrorHandler = errorHandler(opts.Logger, opts.Ready, ops.parameterNames())

	e.Pre(withRequestID, refuseUncleanPath, canonicalMediaType)
	e.Use(traced(opts.Tracer, ops))
	e.Use(accessLog(opts.Logger, opts.Now, opts.Metrics, ops))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			opts.Logger.ErrorContext(c.Request().Context(), "panic", "request_id", requestID(c), "route", c.Path(), "error", err, "stack", string(stack))
			return err
		},
	}))
	e.Use(limitBody(ops))
	e.Use(refuseOptions(len(opts.CORSOrigins) > 0))
	if len(opts.CORSOrigins) > 0 {
		e.Use(cors(opts.CORSOrigins))
	}
	e.Use(rateLimited(opts.RateLimit, opts.Now))
	e.Use(authenticate(opts.Auth, opts.Operators, ops))
	e.Use(checkParameters(ops))
	e.Use(screenBody(limits))
	e.Use(validator(spec, isDocumentRoute, opts.Now))
	e.Use(throttleLogins(loginBudget, opts.Now))
	e.Use(idempotent(opts.Store, opts.Hasher, opts.Now, ops))

	e.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", openapi.YAML())
	})
	e.GET("/openapi.json", func(c echo.Context) error {
		return c.JSONBlob(http.StatusOK, specJSON)
	})
	apiserver.RegisterHandlers(e, apiserver.NewStrictHandler(&handler{ready: opts.Ready, auth: opts.Auth, users: opts.Users, sandbox: opts.Sandbox, linkFor: opts.LinkFor, completedURL: opts.CompletedURL, webhooks: opts.Webhooks, publicURL: strings.TrimSuffix(opts.PublicURL, "/")}, nil))
	return newFront(e, opts.Mount), nil
}

// cors answers preflights from the allowed origins before credentials are asked for, and lets
// those origins read the API's responses and the headers that matter to a client.
func cors(origins []string) echo.MiddlewareFunc {
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  origins,
		AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, apiKeyHeader, "Idempotency-Key", echo.HeaderXRequestID},
		ExposeHeaders: []string{echo.HeaderLocation, echo.HeaderXRequestID, echo.HeaderRetryAfter, "Idempotent-Replayed", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"},
		MaxAge:        600,
	})
}

// refuseOptions answers OPTIONS with 405 on every route, as the mounted routes do, instead of
// Echo's 204 where the spec validation does not run. With preflights set, a CORS preflight (an
// OPTIONS with Origin and Access-Control-Request-Method) passes on to the cors middleware.
func refuseOptions(preflights bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.Method != http.MethodOptions {
				return next(c)
			}
			if preflights && r.Header.Get(echo.HeaderOrigin) != "" && r.Header.Get(echo.HeaderAccessControlRequestMethod) != "" {
				return next(c)
			}
			return echo.ErrMethodNotAllowed
		}
	}
}

// refuseUncleanPath answers a path with empty, . or .. segments with 400 instead of routing it.
func refuseUncleanPath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !cleanPath(c.Request().URL.Path) {
			return errUncleanPath
		}
		return next(c)
	}
}

// isDocumentRoute reports the routes that serve the spec itself, which the spec does not describe.
func isDocumentRoute(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == "/openapi.yaml" || p == "/openapi.json"
}

// canonicalMediaType rewrites Content-Type in canonical form (lower-case type and parameter
// names): media types are case-insensitive (RFC 9110), and the validator and the body binding
// must agree on any casing.
func canonicalMediaType(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if ct := h.Get(echo.HeaderContentType); ct != "" {
			if mt, params, err := mime.ParseMediaType(ct); err == nil {
				h.Set(echo.HeaderContentType, mime.FormatMediaType(mt, params))
			}
		}
		return next(c)
	}
}
