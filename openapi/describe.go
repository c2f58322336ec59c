package openapi

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// FieldProblem is what is wrong with one field, in words that never repeat its value.
type FieldProblem struct {
	Field   string
	Message string
}

// DescribeSchemaError names the field of a schema error and says what is wrong with it, from the
// schema alone: the submitted value is never repeated. An unknown property is reported under
// its own name, so that `"status": "VERIFIED"` in a request says `status` is read-only.
func DescribeSchemaError(e *openapi3.SchemaError) []FieldProblem {
	path := strings.Join(e.JSONPointer(), "/")
	if e.SchemaField == "additionalProperties" || strings.HasSuffix(e.Reason, " is unsupported") {
		obj, _ := e.Value.(map[string]any)
		var out []FieldProblem
		for name := range obj {
			if _, known := e.Schema.Properties[name]; known {
				continue
			}
			msg := "is not a known field"
			if name == "status" || name == "id" || name == "created_at" || name == "updated_at" {
				msg = "is read-only and cannot be set"
			}
			out = append(out, FieldProblem{Field: joinPath(path, name), Message: msg})
		}
		if len(out) > 0 {
			return out
		}
	}
	if path == "" {
		path = "body"
	}
	return []FieldProblem{{Field: path, Message: SchemaMessage(e)}}
}

func joinPath(base, name string) string {
	if base == "" {
		return name
	}
	return base + "/" + name
}

// SchemaMessage describes a schema violation from the schema alone, never from the value.
func SchemaMessage(e *openapi3.SchemaError) string {
	s := e.Schema
	if s == nil {
		return "is invalid"
	}
	switch e.SchemaField {
	case "required":
		return "is required"
	case "type", "nullable":
		if s.Type != nil && len(*s.Type) > 0 {
			return "must be of type " + (*s.Type)[0]
		}
		return "has the wrong type"
	case "enum":
		if len(s.Enum) <= 12 {
			vals := make([]string, len(s.Enum))
			for i, v := range s.Enum {
				vals[i] = fmt.Sprint(v)
			}
			return "must be one of: " + strings.Join(vals, ", ")
		}
		return "is not an allowed value"
	case "format":
		return formatMessage(s.Format)
	case "pattern":
		if s.Format != "" {
			return formatMessage(s.Format)
		}
		return "has an invalid format"
	case "minLength":
		return fmt.Sprintf("must be at least %d characters long", s.MinLength)
	case "maxLength":
		if s.MaxLength != nil {
			return fmt.Sprintf("must be at most %d characters long", *s.MaxLength)
		}
	case "minimum":
		if s.Min != nil {
			return fmt.Sprintf("must be at least %v", *s.Min)
		}
	case "maximum":
		if s.Max != nil {
			return fmt.Sprintf("must be at most %v", *s.Max)
		}
	case "minItems":
		return fmt.Sprintf("must have at least %d items", s.MinItems)
	case "maxItems":
		if s.MaxItems != nil {
			return fmt.Sprintf("must have at most %d items", *s.MaxItems)
		}
	case "uniqueItems":
		return "must not contain duplicates"
	case "maxProperties":
		if s.MaxProps != nil {
			return fmt.Sprintf("must have at most %d entries", *s.MaxProps)
		}
	case "readOnly":
		return "is read-only and cannot be set"
	}
	return "is invalid"
}

func formatMessage(format string) string {
	switch format {
	case "date":
		return "must be a date in the form YYYY-MM-DD"
	case "date-time":
		return "must be an RFC 3339 timestamp"
	case "email":
		return "must be a valid email address"
	case "uuid":
		return "must be a UUID"
	case "uri":
		return "must be an absolute URL"
	case "":
		return "has an invalid format"
	default:
		return "must be a valid " + format
	}
}
