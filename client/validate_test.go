package client_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/gen/apitypes"
)

// TestClientSideValidationNamesTheField sends requests the client cannot encode: each fails with a
// *client.ValidationError naming the field, without its value, and nothing reaches the server.
func TestClientSideValidationNamesTheField(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, client.Credentials{APIKey: "k", ClientID: "c", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	bad := apitypes.Email("not-an-email")
	tests := []struct {
		name string
		call func() error
	}{
		{"create", func() error {
			_, err := c.Users.Create(t.Context(), apitypes.UserCreateRequest{Type: apitypes.Individual, Email: bad})
			return err
		}},
		{"update", func() error {
			_, err := c.Users.Update(t.Context(), "8d05b02e-9d15-46d6-bb33-9c81d461a969", apitypes.UserUpdateRequest{Email: &bad})
			return err
		}},
	}
	for _, tt := range tests {
		err := tt.call()
		var v *client.ValidationError
		if !errors.As(err, &v) {
			t.Fatalf("%s: %v is not a *client.ValidationError", tt.name, err)
		}
		if len(v.Fields) != 1 || v.Fields[0].Field != "email" || v.Fields[0].Message != "must be a valid email address" {
			t.Errorf("%s: fields %+v", tt.name, v.Fields)
		}
		if strings.Contains(err.Error(), "not-an-email") || !strings.Contains(err.Error(), "email must be a valid email address") {
			t.Errorf("%s: message %q", tt.name, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}
