package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	openapi_types "github.com/oapi-codegen/runtime/types"
)

// ValidationError is a request the client refused to send because a field cannot be encoded as
// the spec requires, such as an email address that is not one. Like a server-side validation
// error (*APIError with Code validation_error) it names each field, never its value. Find it with
// errors.As.
type ValidationError struct {
	// Fields lists each offending field: its JSON name (a path such as associated_persons/0/email
	// for nested fields) and what is wrong with it.
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + " " + f.Message
	}
	return "invalid request, not sent: " + strings.Join(parts, "; ")
}

// checkBody returns a *ValidationError naming the fields of body that cannot be encoded, or nil
// when it encodes.
func checkBody(body any) error {
	_, err := json.Marshal(body)
	if err == nil {
		return nil
	}
	var fields []FieldError
	findUnencodable(reflect.ValueOf(body), "", &fields)
	if len(fields) == 0 {
		return fmt.Errorf("encode the request: %w", err)
	}
	return &ValidationError{Fields: fields}
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// findUnencodable appends the fields under v (at path) whose own JSON encoding fails.
func findUnencodable(v reflect.Value, path string, out *[]FieldError) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			findUnencodable(v.Elem(), path, out)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			findUnencodable(v.Index(i), join(path, strconv.Itoa(i)), out)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fv := v.Field(i)
			_, err := json.Marshal(fv.Interface())
			switch {
			case err == nil:
			case ownEncoding(fv.Type()):
				*out = append(*out, FieldError{Field: join(path, name), Message: problem(err)})
			default:
				findUnencodable(fv, join(path, name), out)
			}
		}
	}
}

// ownEncoding reports a type (or the type a pointer points to) that encodes itself.
func ownEncoding(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType)
}

func problem(err error) string {
	if errors.Is(err, openapi_types.ErrValidationEmail) {
		return "must be a valid email address"
	}
	return "is not valid"
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "/" + name
}
