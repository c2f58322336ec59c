package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kiraapi/kira/gen/apiserver"
)

// ServeUnimplemented is the API's routing and error handling over an implementation that has no
// handler at all: what an operation added to the spec gets until its handler exists.
func ServeUnimplemented() http.Handler {
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.DiscardHandler), nil, nil)
	e.Pre(withRequestID)
	apiserver.RegisterHandlers(e, apiserver.NewStrictHandler(apiserver.Unimplemented{}, nil))
	return e
}
