package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/throttle"
)

// loginBudget bounds failed logins (POST /auth): 10 in a row, then one more a minute. Failures
// are counted per API key and per API key and client id together, never per client id alone, so
// that nobody can lock a tenant out without holding its API key.
var loginBudget = RateLimit{PerSecond: 1.0 / 60, Burst: 10}

const loginRoute = "/auth"

var errLoginThrottled = &kyc.Error{Code: codeRateLimited, Message: "Too many failed logins; retry after the time in Retry-After."}

// throttleLogins answers a login with 429 and Retry-After once its API key, or its API key and
// client id, have used up their failures; a login that fails spends one failure of each, one
// that succeeds spends nothing.
func throttleLogins(budget RateLimit, now func() time.Time) echo.MiddlewareFunc {
	failures := throttle.NewFailures(2, budget.PerSecond, budget.Burst, now)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.Method != http.MethodPost || c.Path() != loginRoute {
				return next(c)
			}
			apiKey := req.Header.Get(apiKeyHeader)
			clientID, err := loginClientID(req)
			if err != nil {
				return err
			}
			attempt, wait := failures.Begin(apiKey, apiKey+"\x00"+clientID)
			if attempt == nil {
				c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				return errLoginThrottled
			}
			err = next(c)
			if kyc.ErrorCode(err) != kyc.EUnauthorized {
				attempt.Forgive() // not a failed login: nothing spent
			}
			return err
		}
	}
}

// loginClientID reads the client id of a login body that the validator has accepted, and leaves
// the body to be read again.
func loginClientID(req *http.Request) (string, error) {
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		return "", err
	}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	var body struct {
		ClientID string `json:"client_id"`
	}
	_ = json.Unmarshal(raw, &body) // validated already; a failure leaves "" and the login fails
	return body.ClientID, nil
}
