package client

import (
	"context"
	"fmt"
	"iter"

	"github.com/kiraapi/kira/gen/apitypes"
)

// UsersService creates, reads, updates, lists and redacts users.
type UsersService struct{ c *Client }

// Create creates a user. When the request carries every field automatic verification needs, the
// user comes back VERIFYING and verification runs in the background; otherwise it is CREATED and
// MissingFields lists what is still needed. A field that cannot be sent as the spec requires (an
// invalid email address) is a *ValidationError, and nothing is sent.
func (s *UsersService) Create(ctx context.Context, req apitypes.UserCreateRequest, opts ...CallOption) (*apitypes.User, error) {
	if err := checkBody(req); err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	r, err := s.c.API.CreateUserWithResponse(ctx, &apitypes.CreateUserParams{}, req, editors(opts)...)
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	u, err := result(r.HTTPResponse, r.Body, r.JSON201)
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// Get returns the user with the given id.
func (s *UsersService) Get(ctx context.Context, id string) (*apitypes.User, error) {
	uid, err := parseID("user", id)
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	r, err := s.c.API.GetUserWithResponse(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	u, err := result(r.HTTPResponse, r.Body, r.JSON200)
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

// Update writes the fields set in req and leaves the others as they are. Completing a CREATED user
// or correcting a REJECTED one starts verification.
func (s *UsersService) Update(ctx context.Context, id string, req apitypes.UserUpdateRequest) (*apitypes.User, error) {
	uid, err := parseID("user", id)
	if err != nil {
		return nil, fmt.Errorf("update user: %w", err)
	}
	if err := checkBody(req); err != nil {
		return nil, fmt.Errorf("update user: %w", err)
	}
	r, err := s.c.API.UpdateUserWithResponse(ctx, uid, req)
	if err != nil {
		return nil, fmt.Errorf("update user: %w", err)
	}
	u, err := result(r.HTTPResponse, r.Body, r.JSON200)
	if err != nil {
		return nil, fmt.Errorf("update user: %w", err)
	}
	return u, nil
}

// Redact erases the user's personal data and returns the tombstone that remains: RedactedAt is
// set, Email is the placeholder redacted@redacted.invalid, and no other field of the
// user's data is left. Its events lose their personal fields and a user.redacted event is sent.
// Redacting a redacted user changes nothing and returns its tombstone, so a retry is always safe.
func (s *UsersService) Redact(ctx context.Context, id string, opts ...CallOption) (*apitypes.User, error) {
	uid, err := parseID("user", id)
	if err != nil {
		return nil, fmt.Errorf("redact user: %w", err)
	}
	r, err := s.c.API.RedactUserWithResponse(ctx, uid, &apitypes.RedactUserParams{}, editors(opts)...)
	if err != nil {
		return nil, fmt.Errorf("redact user: %w", err)
	}
	u, err := result(r.HTTPResponse, r.Body, r.JSON200)
	if err != nil {
		return nil, fmt.Errorf("redact user: %w", err)
	}
	return u, nil
}

// UserListParams filters a list of users; zero fields do not filter.
type UserListParams struct {
	Status apitypes.UserStatus
	Type   apitypes.UserType
	// Email matches exactly, ignoring case.
	Email string
	// PageSize is how many users each request fetches (1 to 100; 0 for the server's default).
	PageSize int
}

// List iterates over the tenant's users, newest first, fetching pages as the loop needs them:
//
//	for u, err := range c.Users.List(ctx, client.UserListParams{Status: apitypes.UserStatusVERIFIED}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(u.Id, u.Email)
//	}
func (s *UsersService) List(ctx context.Context, p UserListParams) iter.Seq2[apitypes.User, error] {
	return paginate(func(cursor *string) ([]apitypes.User, apitypes.Pagination, error) {
		params := &apitypes.ListUsersParams{Cursor: cursor, Limit: pageSize(p.PageSize)}
		if p.Status != "" {
			params.Status = &p.Status
		}
		if p.Type != "" {
			params.Type = &p.Type
		}
		if p.Email != "" {
			email := apitypes.Email(p.Email)
			params.Email = &email
		}
		r, err := s.c.API.ListUsersWithResponse(ctx, params)
		if err != nil {
			return nil, apitypes.Pagination{}, fmt.Errorf("list users: %w", err)
		}
		page, err := result(r.HTTPResponse, r.Body, r.JSON200)
		if err != nil {
			return nil, apitypes.Pagination{}, fmt.Errorf("list users: %w", err)
		}
		return page.Data, page.Pagination, nil
	})
}
