package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/kiraapi/kira/gen/apiserver"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/country"
	"github.com/kiraapi/kira/server/kyc"
)

// referenceCacheControl lets any cache keep reference data (the country list) for a day: it is
// the same for every tenant, holds nothing personal, and changes only with a new release, which
// its ETag tells apart.
const referenceCacheControl = "public, max-age=86400"

// representation is a JSON body computed once, with its strong entity tag.
type representation struct {
	body []byte
	etag string
}

func newRepresentation(v any) representation {
	body, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("httpapi: encode reference data: %v", err)) // generated types always encode
	}
	sum := sha256.Sum256(body)
	return representation{body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`}
}

// countryRepresentations are GET /v1/countries' body and each country's, computed on first use.
var countryRepresentations = sync.OnceValues(func() (representation, map[string]representation) {
	all := country.All()
	list := apitypes.CountryList{Count: int32(len(all)), Data: make([]apitypes.Country, len(all))}
	one := make(map[string]representation, len(all))
	for i := range all {
		list.Data[i] = toAPICountry(&all[i])
		one[all[i].Code] = newRepresentation(list.Data[i])
	}
	return newRepresentation(list), one
})

func (h *handler) ListCountries(_ context.Context, req apiserver.ListCountriesRequestObject) (apiserver.ListCountriesResponseObject, error) {
	list, _ := countryRepresentations()
	return cachedAnswer(list, req.Params.IfNoneMatch), nil
}

func (h *handler) GetCountry(_ context.Context, req apiserver.GetCountryRequestObject) (apiserver.GetCountryResponseObject, error) {
	_, one := countryRepresentations()
	r, ok := one[string(req.CountryCode)]
	if !ok {
		return nil, &kyc.Error{Code: kyc.ENotFound, Message: "Country not found."}
	}
	return cachedAnswer(r, req.Params.IfNoneMatch), nil
}

// cachedAnswer answers with r, or 304 Not Modified when ifNoneMatch names r's tag.
func cachedAnswer(r representation, ifNoneMatch *string) representationAnswer {
	return representationAnswer{representation: r, notModified: ifNoneMatch != nil && noneMatch(*ifNoneMatch, r.etag)}
}

// representationAnswer writes a representation, or 304 without a body, with its caching headers.
// It is the answer of every operation that serves reference data.
type representationAnswer struct {
	representation
	notModified bool
}

func (a representationAnswer) write(w http.ResponseWriter) error {
	h := w.Header()
	h.Set("Cache-Control", referenceCacheControl)
	h.Set("ETag", a.etag)
	if a.notModified {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(a.body)
	return err
}

func (a representationAnswer) VisitListCountriesResponse(w http.ResponseWriter) error {
	return a.write(w)
}

func (a representationAnswer) VisitGetCountryResponse(w http.ResponseWriter) error {
	return a.write(w)
}

// noneMatch reports whether an If-None-Match field value matches the strong entity tag etag: it
// is "*", or a list of entity tags one of which has etag's opaque tag (the weak comparison that
// If-None-Match uses, so W/"x" matches "x"; RFC 9110, sections 13.1.2 and 8.8.3.2). A malformed
// value matches nothing.
func noneMatch(field, etag string) bool {
	i := 0
	skip := func() {
		for i < len(field) && (field[i] == ' ' || field[i] == '\t' || field[i] == ',') {
			i++
		}
	}
	skip()
	if field[i:] == "*" {
		return true
	}
	for i < len(field) {
		if len(field)-i >= 2 && field[i:i+2] == "W/" {
			i += 2
		}
		if i >= len(field) || field[i] != '"' {
			return false
		}
		end := i + 1
		for end < len(field) && field[end] != '"' {
			end++
		}
		if end >= len(field) {
			return false
		}
		if field[i:end+1] == etag {
			return true
		}
		i = end + 1
		skip()
	}
	return false
}
