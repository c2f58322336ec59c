package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/gen/apitypes"
)

// connect returns a client configured from the environment, as in Example.
func connect() *client.Client {
	c, err := client.New(os.Getenv("KIRA_BASE_URL"), client.Credentials{
		APIKey:   os.Getenv("KIRA_API_KEY"),
		ClientID: os.Getenv("KIRA_CLIENT_ID"),
		Password: os.Getenv("KIRA_PASSWORD"),
	})
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// completeIndividual is an individual with every field automatic verification needs; the sandbox
// decides on the SSN.
func completeIndividual(email, ssn string) apitypes.UserCreateRequest {
	return apitypes.UserCreateRequest{
		Type:            apitypes.Individual,
		Email:           apitypes.Email(email),
		FirstName:       client.Ptr("John"),
		LastName:        client.Ptr("Doe"),
		BirthDate:       &apitypes.Date{Time: time.Date(1990, 1, 15, 0, 0, 0, 0, time.UTC)},
		Ssn:             client.Ptr(ssn),
		DocumentType:    client.Ptr(apitypes.Passport),
		DocumentNumber:  client.Ptr("AB1234567"),
		DocumentCountry: client.Ptr(apitypes.USA),
		AddressStreet:   client.Ptr("123 Main St"),
		AddressCity:     client.Ptr("San Francisco"),
		AddressState:    client.Ptr("CA"),
		AddressZipCode:  client.Ptr("94105"),
		AddressCountry:  client.Ptr(apitypes.USA),
	}
}

// waitWhile polls the user until its status is no longer status.
func waitWhile(ctx context.Context, c *client.Client, id string, status apitypes.UserStatus) (*apitypes.User, error) {
	for {
		u, err := c.Users.Get(ctx, id)
		if err != nil || *u.Status != status {
			return u, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// A complete individual is verified in the background: created VERIFYING, then VERIFIED.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.New(os.Getenv("KIRA_BASE_URL"), client.Credentials{
		APIKey:   os.Getenv("KIRA_API_KEY"),
		ClientID: os.Getenv("KIRA_CLIENT_ID"),
		Password: os.Getenv("KIRA_PASSWORD"),
	})
	if err != nil {
		log.Fatal(err)
	}

	u, err := c.Users.Create(ctx, completeIndividual("john.doe@example.com", "123-45-6789"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*u.Status, u.VerificationTriggered, *u.SsnLast4)

	u, err = waitWhile(ctx, c, u.Id.String(), apitypes.UserStatusVERIFYING)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*u.Status)
	// Output:
	// VERIFYING true 6789
	// VERIFIED
}

// A minimal user is created without verification; MissingFields says what it still needs.
func ExampleUsersService_Create() {
	c := connect()
	u, err := c.Users.Create(context.Background(), apitypes.UserCreateRequest{
		Type:      apitypes.Individual,
		Email:     "jane@example.com",
		Phone:     client.Ptr("+14155550123"),
		FirstName: client.Ptr("Jane"),
		LastName:  client.Ptr("Doe"),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*u.Status, u.VerificationTriggered)
	fmt.Println(u.MissingFields)
	// Output:
	// CREATED false
	// [birth_date document_type document_number document_country address_street address_city address_state address_zip_code address_country]
}

// Update completes a user; verification then starts.
func ExampleUsersService_Update() {
	ctx := context.Background()
	c := connect()
	u, err := c.Users.Create(ctx, apitypes.UserCreateRequest{Type: apitypes.Individual, Email: "later@example.com", FirstName: client.Ptr("Ann"), LastName: client.Ptr("Lee")})
	if err != nil {
		log.Fatal(err)
	}
	full := completeIndividual("later@example.com", "123-45-6789")
	u, err = c.Users.Update(ctx, u.Id.String(), apitypes.UserUpdateRequest{
		BirthDate: full.BirthDate, Ssn: full.Ssn, DocumentType: full.DocumentType, DocumentNumber: full.DocumentNumber,
		DocumentCountry: full.DocumentCountry, AddressStreet: full.AddressStreet, AddressCity: full.AddressCity,
		AddressState: full.AddressState, AddressZipCode: full.AddressZipCode, AddressCountry: full.AddressCountry,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*u.Status, u.VerificationTriggered, *u.FirstName)
	// Output: VERIFYING true Ann
}

// List is an iterator over every page.
func ExampleUsersService_List() {
	ctx := context.Background()
	c := connect()
	for i := range 3 {
		if _, err := c.Users.Create(ctx, apitypes.UserCreateRequest{Type: apitypes.Business, Email: apitypes.Email(fmt.Sprintf("finance%d@acme.example", i))}); err != nil {
			log.Fatal(err)
		}
	}
	for u, err := range c.Users.List(ctx, client.UserListParams{Type: apitypes.Business, PageSize: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(u.Email, *u.Status)
	}
	// Output:
	// finance2@acme.example CREATED
	// finance1@acme.example CREATED
	// finance0@acme.example CREATED
}

// Every non-2xx answer is an *APIError; a validation error lists each field, never its value.
func ExampleAPIError() {
	c := connect()
	_, err := c.Users.Create(context.Background(), apitypes.UserCreateRequest{
		Type:  apitypes.Individual,
		Email: "john@example.com",
		Ssn:   client.Ptr("123-45-678X"),
		Phone: client.Ptr("555"),
	})
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
		for _, f := range apiErr.Fields {
			fmt.Println(f.Field, f.Message)
		}
	}
	// Output:
	// 400 validation_error
	// phone must be at least 8 characters long
	// phone has an invalid format
	// ssn has an invalid format
}

// Reusing an Idempotency-Key replays the first answer instead of creating a second user, even
// from another process.
func ExampleWithIdempotencyKey() {
	ctx := context.Background()
	c := connect()
	key := uuid.NewString()
	first, err := c.Users.Create(ctx, apitypes.UserCreateRequest{Type: apitypes.Individual, Email: "once@example.com"}, client.WithIdempotencyKey(key))
	if err != nil {
		log.Fatal(err)
	}
	again, err := c.Users.Create(ctx, apitypes.UserCreateRequest{Type: apitypes.Individual, Email: "once@example.com"}, client.WithIdempotencyKey(key))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*first.Id == *again.Id)
	// Output: true
}

// A hosted verification session lets the end user fill in what is missing.
func ExampleVerificationsService_Create() {
	ctx := context.Background()
	c := connect()
	u, err := c.Users.Create(ctx, apitypes.UserCreateRequest{Type: apitypes.Individual, Email: "hosted@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	v, err := c.Verifications.Create(ctx, u.Id.String(), apitypes.VerificationCreateRequest{RedirectUri: "https://yourapp.example/verification-complete"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Status, v.Type, v.ExpiresAt.Sub(v.CreatedAt.Time))
	// Output: pending embedded-link 24h0m0s
}

// In the sandbox, SSN 222-22-2222 goes to manual review, decided with Sandbox.Review.
func ExampleSandboxService_Review() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := connect()
	u, err := c.Users.Create(ctx, completeIndividual("review@example.com", "222-22-2222"))
	if err != nil {
		log.Fatal(err)
	}
	if u, err = waitWhile(ctx, c, u.Id.String(), apitypes.UserStatusVERIFYING); err != nil {
		log.Fatal(err)
	}
	fmt.Println(*u.Status)
	u, err = c.Sandbox.Review(ctx, u.Id.String(), apitypes.SandboxReviewRequest{Decision: apitypes.Approve})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*u.Status)
	// Output:
	// REVIEW
	// VERIFIED
}

// The event log holds every event as delivered to webhook endpoints.
func ExampleEventsService_List() {
	ctx := context.Background()
	c := connect()
	u, err := c.Users.Create(ctx, apitypes.UserCreateRequest{Type: apitypes.Individual, Email: "events@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	for ev, err := range c.Events.List(ctx, client.EventListParams{UserID: u.Id.String()}) {
		if err != nil {
			log.Fatal(err)
		}
		created, err := ev.Payload.AsUserCreatedEvent()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Type, created.Data.Email, created.Data.UserId == *u.Id)
	}
	// Output: user.created events@example.com true
}

// A webhook endpoint's secret is shown when it is created and when it is rotated.
func ExampleWebhooksService_Create() {
	ctx := context.Background()
	c := connect()
	w, err := c.Webhooks.Create(ctx, apitypes.WebhookEndpointCreateRequest{
		Url:    "http://127.0.0.1:3000/hook",
		Events: &[]apitypes.EventType{apitypes.EventTypeUserVerificationAccepted, apitypes.EventTypeUserVerificationFailed},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(w.Status, w.Events, (*w.Secret)[:6])
	if err := c.Webhooks.Delete(ctx, w.Id.String()); err != nil {
		log.Fatal(err)
	}
	// Output: enabled [user.verification.accepted user.verification.failed] whsec_
}
