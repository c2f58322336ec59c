package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/gen/apitypes"
)

// triggers make the sandbox emit an event by creating the user that causes it.
var triggers = []struct {
	event apitypes.EventType
	user  func(email string) apitypes.UserCreateRequest
}{
	{apitypes.EventTypeUserCreated, func(email string) apitypes.UserCreateRequest {
		return apitypes.UserCreateRequest{Type: apitypes.Individual, Email: apitypes.Email(email), FirstName: client.Ptr("Test"), LastName: client.Ptr("User")}
	}},
	{apitypes.EventTypeUserVerificationAccepted, func(email string) apitypes.UserCreateRequest { return completeUser(email, "123-45-6789") }},
	{apitypes.EventTypeUserVerificationFailed, func(email string) apitypes.UserCreateRequest { return completeUser(email, "111-11-1111") }},
	{apitypes.EventTypeUserStatusChanged, func(email string) apitypes.UserCreateRequest { return completeUser(email, "123-45-6789") }},
}

// completeUser is an individual with every field verification needs; the sandbox decides on ssn.
func completeUser(email, ssn string) apitypes.UserCreateRequest {
	return apitypes.UserCreateRequest{
		Type: apitypes.Individual, Email: apitypes.Email(email),
		FirstName: client.Ptr("Test"), LastName: client.Ptr("User"),
		BirthDate: &apitypes.Date{Time: time.Date(1990, 1, 15, 0, 0, 0, 0, time.UTC)}, Ssn: client.Ptr(ssn),
		DocumentType: client.Ptr(apitypes.Passport), DocumentNumber: client.Ptr("AB1234567"), DocumentCountry: client.Ptr(apitypes.USA),
		AddressStreet: client.Ptr("123 Main St"), AddressCity: client.Ptr("San Francisco"), AddressState: client.Ptr("CA"),
		AddressZipCode: client.Ptr("94105"), AddressCountry: client.Ptr(apitypes.USA),
	}
}

func triggerNames() string {
	names := make([]string, len(triggers))
	for i, t := range triggers {
		names[i] = string(t.event)
	}
	return strings.Join(names, ", ")
}

var triggerCommand = &command{
	path: "trigger", args: []string{"EVENT"},
	summary: "Make the sandbox emit EVENT (" + triggerNames() + ") by creating a user that causes it; prints the user's id.",
	setup: func(*flag.FlagSet) runFunc {
		return func(ctx context.Context, k *cli, args []string) error {
			for _, t := range triggers {
				if string(t.event) != args[0] {
					continue
				}
				c, err := k.newClient()
				if err != nil {
					return err
				}
				email := "trigger-" + uuid.NewString()[:8] + "@example.com"
				u, err := c.Users.Create(ctx, t.user(email))
				if err != nil {
					return err
				}
				result := map[string]string{"event": args[0], "user_id": u.Id.String(), "status": str(u.Status)}
				return k.print(result, []string{"EVENT", "USER", "STATUS"}, []string{args[0], u.Id.String(), str(u.Status)})
			}
			return &usageError{msg: fmt.Sprintf("unknown event %q; one of %s", args[0], triggerNames())}
		}
	},
}
