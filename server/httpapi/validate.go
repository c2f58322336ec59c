package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"

	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/kyc"
)

// validator returns the middleware that checks every request against the spec before it reaches a
// handler. Violations become one validation error that lists every offending field and never
// repeats a submitted value. Credentials are checked by the auth middleware that runs before it,
// so the spec's security requirements only need the headers to be present here.
//
// The operation is found by the route Echo matched (one map lookup), not by routing the request
// again: Echo's routes are the spec's operations (apiserver.RegisterHandlers). A request Echo
// matched to no operation goes on to Echo's own 404 or 405.
//
// When the schema refuses a create or an update, the domain's own checks (dates that cannot be
// true, fields of the other user type, numbers never issued) run too on what could be read, so
// that one answer names every offending field rather than one phase's at a time.
func validator(spec *openapi3.T, skipper func(echo.Context) bool, now func() time.Time) echo.MiddlewareFunc {
	// Validate against paths only, whatever host the API is served on, without changing the
	// shared spec (which /openapi.json serves with its servers).
	routed := *spec
	routed.Servers = nil
	routes := map[string]*routers.Route{}
	for path, item := range routed.Paths.Map() {
		pattern := strings.NewReplacer("{", ":", "}", "").Replace(path)
		for method, op := range item.Operations() {
			routes[method+" "+pattern] = &routers.Route{Spec: &routed, Path: path, PathItem: item, Method: method, Operation: op}
		}
	}
	options := &openapi3filter.Options{
		MultiError:              true,
		AuthenticationFunc:      func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
		SchemaValidationOptions: append(openapi.ValidationOptions(), openapi3.DisableSchemaErrorDetails()),
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			route, ok := routes[c.Request().Method+" "+c.Path()]
			if !ok || skipper(c) {
				return next(c)
			}
			params := make(map[string]string, len(c.ParamNames()))
			for i, name := range c.ParamNames() {
				params[name] = c.ParamValues()[i]
			}
			err := openapi3filter.ValidateRequest(c.Request().Context(), &openapi3filter.RequestValidationInput{
				Request: c.Request(), PathParams: params, Route: route, Options: options,
			})
			var me openapi3.MultiError
			if err == nil {
				return next(c)
			}
			if !errors.As(err, &me) {
				me = openapi3.MultiError{err}
			}
			kerr := fromValidation(me)
			if kerr.Code == kyc.EInvalid && route.Operation.OperationID == "updateUser" {
				sayCreateOnly(kerr.Fields)
			}
			if kerr.Code == kyc.EInvalid {
				kerr.Fields = withNewFields(kerr.Fields, domainChecks(route.Operation.OperationID, c.Request(), kerr.Fields, now()))
			}
			return kerr
		}
	}
}

// fromValidation turns the validator's errors into one domain error: an oversized body, a wrong
// content type, missing credentials or malformed JSON, or else every field error.
func fromValidation(me openapi3.MultiError) *kyc.Error {
	var limit *kyc.Error // limitBody's, which says the operation's limit
	tooLarge := func(err error) bool {
		return errors.As(err, &limit) && limit.Code == codeTooLarge || errors.Is(err, echo.ErrStatusRequestEntityTooLarge)
	}
	problem, fields := openapi.DescribeRequestError(me, tooLarge)
	switch problem {
	case openapi.ProblemTooLarge:
		if limit != nil && limit.Code == codeTooLarge {
			return limit
		}
		return errorByStatus[http.StatusRequestEntityTooLarge]
	case openapi.ProblemMediaType:
		return errorByStatus[http.StatusUnsupportedMediaType]
	case openapi.ProblemUnauthorized:
		return errNoCredentials
	case openapi.ProblemInvalidJSON:
		return &kyc.Error{Code: codeInvalidJSON, Message: "The request body is not valid JSON."}
	}
	out := make([]kyc.FieldError, len(fields))
	for i, f := range fields {
		out[i] = kyc.FieldError{Field: f.Field, Message: f.Message}
	}
	return &kyc.Error{Code: kyc.EInvalid, Message: "The request is invalid.", Fields: out}
}

// sayCreateOnly says of each create-only user field in fields, which an update sent and its
// schema does not know, that only a create sets it.
func sayCreateOnly(fields []kyc.FieldError) {
	for i, f := range fields {
		if s := kyc.UserField(f.Field); s != nil && s.CreateOnly {
			fields[i].Message = kyc.MsgCreateOnly
		}
	}
}

// domainChecks runs the domain's checks on a user create or update body the schema refused,
// leaving out the members it refused (named in refused): the create's every check, the update's
// value checks (its type checks need the stored user). It returns nothing for other operations
// and when the rest cannot be read.
func domainChecks(operation string, req *http.Request, refused []kyc.FieldError, today time.Time) []kyc.FieldError {
	if operation != "createUser" && operation != "updateUser" {
		return nil
	}
	raw, err := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(raw))
	var members map[string]json.RawMessage
	if err != nil || json.Unmarshal(raw, &members) != nil {
		return nil
	}
	for _, f := range refused {
		name, _, _ := strings.Cut(f.Field, "/")
		delete(members, name)
	}
	rest, err := json.Marshal(members)
	if err != nil {
		return nil
	}
	var checked error
	if operation == "createUser" {
		var body apitypes.UserCreateRequest
		if json.Unmarshal(rest, &body) != nil {
			return nil
		}
		fields, err := fieldsFromRequest(&body)
		if t := kyc.UserType(body.Type); err != nil || (t != kyc.Individual && t != kyc.Business) {
			return nil
		}
		checked = fields.Validate(kyc.UserType(body.Type), today)
	} else {
		var body apitypes.UserUpdateRequest
		if json.Unmarshal(rest, &body) != nil {
			return nil
		}
		patch, err := patchFromRequest(&body)
		if err != nil {
			return nil
		}
		var fields kyc.Fields
		patch.Apply(&fields)
		checked = fields.CheckValues(today)
	}
	var kerr *kyc.Error
	if errors.As(checked, &kerr) {
		return kerr.Fields
	}
	return nil
}

// withNewFields adds to fields the ones of more that name a field not named yet.
func withNewFields(fields, more []kyc.FieldError) []kyc.FieldError {
	named := make(map[string]bool, len(fields))
	for _, f := range fields {
		named[f.Field] = true
	}
	for _, f := range more {
		if !named[f.Field] {
			fields = append(fields, f)
			named[f.Field] = true
		}
	}
	return fields
}
