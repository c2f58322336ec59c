package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kiraapi/kira/server/kyc"
)

// Authenticator checks credentials: Login exchanges a tenant's API key, client id and password
// for an access token; Authenticate finds the tenant that both an API key and a token belong to.
// Both fail with kyc.EUnauthorized.
type Authenticator interface {
	Login(ctx context.Context, apiKey, clientID, password string) (token string, expiresIn int, err error)
	Authenticate(ctx context.Context, apiKey, bearerToken string) (*kyc.Tenant, error)
}

type ctxKey int

const (
	tenantKey ctxKey = iota
	apiKeyKey
	reviewerKey
)

// OperatorAuthorizer checks operator API tokens (operator.Service): Authorize returns the
// operator of a token that grants scope, kyc.EUnauthorized for an unknown token and
// kyc.EForbidden for one without the scope.
type OperatorAuthorizer interface {
	Authorize(ctx context.Context, token, scope string) (*kyc.Operator, error)
}

// reviewPrefix starts the operators' routes, which take an operator token with the scope
// kyc.ScopeReviewDecide instead of a tenant's credentials.
const reviewPrefix = "/v1/review/"

// reviewerFrom returns the operator the auth middleware authenticated on a review route, with the
// request's id, for the audit trail.
func reviewerFrom(ctx context.Context) *kyc.Reviewer {
	r, _ := ctx.Value(reviewerKey).(*kyc.Reviewer)
	return r
}

// tenantFrom returns the tenant the auth middleware authenticated for this request.
func tenantFrom(ctx context.Context) *kyc.Tenant {
	t, _ := ctx.Value(tenantKey).(*kyc.Tenant)
	return t
}

func apiKeyFrom(ctx context.Context) string {
	k, _ := ctx.Value(apiKeyKey).(string)
	return k
}

const apiKeyHeader = "x-api-key"

var errNoCredentials = &kyc.Error{Code: kyc.EUnauthorized, Message: "Send both Authorization: Bearer <token> and x-api-key."}

// authenticate requires, on every /v1 route, a bearer token and an API key of the same tenant,
// and puts the tenant in the request context. On POST /auth it only passes the API key on. On the
// review routes it requires an operator token with the scope kyc.ScopeReviewDecide instead, and
// puts the operator (a kyc.Reviewer) in the context. The operations the spec makes public
// (security: [], a signed document link) need neither.
func authenticate(auth Authenticator, operators OperatorAuthorizer, ops operations) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			// A credential sent twice is refused: which one would count?
			var twice []kyc.FieldError
			for _, name := range []string{echo.HeaderAuthorization, apiKeyHeader} {
				if len(req.Header.Values(name)) > 1 {
					twice = append(twice, kyc.FieldError{Field: name, Message: "must be given once"})
				}
			}
			if len(twice) > 0 {
				return &kyc.Error{Code: kyc.EInvalid, Message: "The request is invalid.", Fields: twice}
			}
			apiKey := req.Header.Get(apiKeyHeader)
			switch {
			case req.URL.Path == "/auth":
				c.SetRequest(req.WithContext(context.WithValue(req.Context(), apiKeyKey, apiKey)))
				return next(c)
			case !strings.HasPrefix(req.URL.Path, "/v1/"):
				return next(c)
			case strings.HasPrefix(req.URL.Path, reviewPrefix):
				return authenticateOperator(c, next, operators)
			}
			if op, ok := ops.of(c); ok && op.public {
				return next(c)
			}
			token, ok := bearer(req)
			if !ok || apiKey == "" {
				return errNoCredentials
			}
			tenant, err := auth.Authenticate(req.Context(), apiKey, token)
			if err != nil {
				return err
			}
			c.SetRequest(req.WithContext(context.WithValue(req.Context(), tenantKey, tenant)))
			return next(c)
		}
	}
}

// authenticateOperator serves a review route to the operator whose token grants
// kyc.ScopeReviewDecide. Tenant credentials are refused: an API key here is a mistake.
func authenticateOperator(c echo.Context, next echo.HandlerFunc, operators OperatorAuthorizer) error {
	if c.Get(echo.ContextKeyHeaderAllow) != nil {
		return next(c) // a method the route does not take: 405 with Allow, whatever the credentials
	}
	req := c.Request()
	token, ok := bearer(req)
	if !ok || req.Header.Get(apiKeyHeader) != "" || operators == nil {
		return errNoOperatorToken
	}
	op, err := operators.Authorize(req.Context(), token, kyc.ScopeReviewDecide)
	if err != nil {
		return err
	}
	reviewer := &kyc.Reviewer{OperatorID: op.ID, RequestID: requestID(c)}
	c.SetRequest(req.WithContext(context.WithValue(req.Context(), reviewerKey, reviewer)))
	return next(c)
}

var errNoOperatorToken = &kyc.Error{Code: kyc.EUnauthorized, Message: "Send Authorization: Bearer <operator token>, and no x-api-key."}

func bearer(req *http.Request) (string, bool) {
	h := req.Header.Get(echo.HeaderAuthorization)
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(h[len(prefix):]), true
}
