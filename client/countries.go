package client

import (
	"context"
	"fmt"

	"github.com/kiraapi/kira/gen/apitypes"
)

// CountriesService reads the API's country list: the ISO 3166-1 countries, the subdivisions their
// addresses name (address_state) and their postal code formats (address_zip_code), as the API
// checks addresses.
type CountriesService struct{ c *Client }

// List returns every country, by code. The list changes only when the server is upgraded: keep it
// rather than fetching it per request.
func (s *CountriesService) List(ctx context.Context) ([]apitypes.Country, error) {
	r, err := s.c.API.ListCountriesWithResponse(ctx, &apitypes.ListCountriesParams{})
	if err != nil {
		return nil, fmt.Errorf("list countries: %w", err)
	}
	list, err := result(r.HTTPResponse, r.Body, r.JSON200)
	if err != nil {
		return nil, fmt.Errorf("list countries: %w", err)
	}
	return list.Data, nil
}

// Get returns the country of an ISO 3166-1 alpha-3 code (apitypes.USA).
func (s *CountriesService) Get(ctx context.Context, code apitypes.CountryCode) (*apitypes.Country, error) {
	r, err := s.c.API.GetCountryWithResponse(ctx, code, &apitypes.GetCountryParams{})
	if err != nil {
		return nil, fmt.Errorf("get country: %w", err)
	}
	c, err := result(r.HTTPResponse, r.Body, r.JSON200)
	if err != nil {
		return nil, fmt.Errorf("get country: %w", err)
	}
	return c, nil
}
