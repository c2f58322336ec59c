package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/kiraapi/kira/gen/apitypes"
)

// The values of the enum flags, as the spec lists them.
var (
	userStatuses = []apitypes.UserStatus{apitypes.UserStatusCREATED, apitypes.UserStatusVERIFYING, apitypes.UserStatusREVIEW,
		apitypes.UserStatusVERIFIED, apitypes.UserStatusREJECTED}
	userTypes  = []apitypes.UserType{apitypes.Individual, apitypes.Business}
	eventTypes = []apitypes.EventType{apitypes.EventTypeUserCreated, apitypes.EventTypeUserStatusChanged,
		apitypes.EventTypeUserVerificationAccepted, apitypes.EventTypeUserVerificationFailed}
)

// enumValue is a flag whose value must be one of a list (in any case: verified is VERIFIED),
// checked as the command line is parsed, before anything is sent.
type enumValue[T ~string] struct {
	p     *T
	valid []T
}

// enumFlag defines an optional flag that takes one of valid; usage is followed by the list.
func enumFlag[T ~string](fs *flag.FlagSet, name, usage string, valid []T) *T {
	p := new(T)
	fs.Var(&enumValue[T]{p: p, valid: valid}, name, usage+" ("+joinValues(valid)+")")
	return p
}

func (e *enumValue[T]) String() string {
	if e.p == nil {
		return ""
	}
	return string(*e.p)
}

func (e *enumValue[T]) Set(s string) error {
	i := slices.IndexFunc(e.valid, func(v T) bool { return strings.EqualFold(string(v), s) })
	if i < 0 {
		return fmt.Errorf("must be one of %s", joinValues(e.valid))
	}
	*e.p = e.valid[i]
	return nil
}

func joinValues[T ~string](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// parseEventTypes reads a comma-separated list of event types, given to the flag name; none is
// nil.
func parseEventTypes(name, list string) ([]apitypes.EventType, error) {
	var out []apitypes.EventType
	for _, t := range splitList(list) {
		if !slices.Contains(eventTypes, apitypes.EventType(t)) {
			return nil, &usageError{msg: fmt.Sprintf("unknown event type %q in --%s; one of %s", t, name, joinValues(eventTypes))}
		}
		out = append(out, apitypes.EventType(t))
	}
	return out, nil
}
