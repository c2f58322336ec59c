package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/oapi-codegen/runtime/types"

	"github.com/kiraapi/kira/gen/apiserver"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/openapi/timestamp"
	"github.com/kiraapi/kira/server/kyc"
)

// Identity documents at the edge: their conversion (a document's file in, its metadata and a
// signed download link out), the download route, and the larger body limit of the operations
// that take them.

// MaxDocumentBodyBytes is the largest request body of the operations that take identity documents
// (documentOperations): 16 MiB, room for three documents of kyc.MaxDocumentBytes in base64 and the
// rest of a user. Every other operation keeps MaxBodyBytes.
const MaxDocumentBodyBytes = 16 << 20

// documentOperations are the operations whose bodies carry identity documents.
var documentOperations = []string{"createUser", "updateUser"}

// identifyingFromAPI converts identifying_information as a request sends it.
func identifyingFromAPI(in []apitypes.IdentifyingInformationInput) []kyc.IdentifyingInformation {
	out := make([]kyc.IdentifyingInformation, len(in))
	for i, item := range in {
		out[i] = kyc.IdentifyingInformation{Type: string(item.Type), IssuingCountry: string(deref(item.IssuingCountry)), Number: deref(item.Number)}
		if item.Expiration != nil {
			out[i].Expiration = item.Expiration.Format(time.DateOnly)
		}
		for _, d := range deref(item.Documents) {
			out[i].Documents = append(out[i].Documents, kyc.Document{Type: string(d.Type), File: deref(d.File)})
		}
	}
	return out
}

// identifyingToAPI renders identifying_information: the number as its last four characters, the
// documents as their metadata (their links are linkDocuments').
func identifyingToAPI(in []kyc.IdentifyingInformation) []apitypes.IdentifyingInformation {
	out := make([]apitypes.IdentifyingInformation, len(in))
	for i, item := range in {
		out[i] = apitypes.IdentifyingInformation{Type: apitypes.IdentifyingInformationType(item.Type),
			IssuingCountry: opt(apitypes.CountryCode(item.IssuingCountry)), NumberLast4: opt(kyc.Last4(item.Number))}
		if t, err := time.Parse(time.DateOnly, item.Expiration); err == nil {
			out[i].Expiration = &types.Date{Time: t}
		}
		if len(item.Documents) == 0 {
			continue
		}
		docs := make([]apitypes.IdentityDocument, len(item.Documents))
		for j, d := range item.Documents {
			docs[j] = apitypes.IdentityDocument{
				Id: opt(uuid.MustParse(d.ID)), Type: apitypes.IdentityDocumentType(d.Type), Source: apitypes.IdentityDocumentSource(d.Source),
				ContentType: opt(apitypes.IdentityDocumentContentType(d.ContentType)), FileName: opt(d.FileName),
				SizeBytes: opt(int32(d.Size)), UploadedAt: timestamp.Of(d.UploadedAt),
			}
		}
		out[i].Documents = &docs
	}
	return out
}

// linkDocuments gives each uploaded document of out, the rendering of u, a signed download link
// valid for kyc.DocumentLinkTTL.
func (h *handler) linkDocuments(out *apitypes.User, u *kyc.User) {
	link := func(items *[]apitypes.IdentifyingInformation) {
		if items == nil {
			return
		}
		for i := range *items {
			if (*items)[i].Documents == nil {
				continue
			}
			for j := range *(*items)[i].Documents {
				d := &(*(*items)[i].Documents)[j]
				if d.Source != apitypes.Upload {
					continue
				}
				expires, sig, ok := h.users.DocumentLink(u.TenantID, u.ID, d.Id.String())
				if !ok {
					continue
				}
				q := url.Values{"expires": {strconv.FormatInt(expires, 10)}, "signature": {sig}}
				d.DownloadUrl = opt(h.publicURL + "/v1/users/" + u.ID + "/documents/" + d.Id.String() + "?" + q.Encode())
				d.ExpiresAt = opt(timestamp.Of(time.Unix(expires, 0).UTC()))
			}
		}
	}
	link(out.IdentifyingInformation)
	if out.AssociatedPersons != nil {
		for i := range *out.AssociatedPersons {
			link((*out.AssociatedPersons)[i].IdentifyingInformation)
		}
	}
}

// GetUserDocument serves a document's bytes to a valid signed link (see kyc.UserService.OpenDocument):
// not cached, as an attachment, never sniffed by the browser.
func (h *handler) GetUserDocument(ctx context.Context, req apiserver.GetUserDocumentRequestObject) (apiserver.GetUserDocumentResponseObject, error) {
	doc, err := h.users.OpenDocument(ctx, req.UserId.String(), req.DocumentId.String(), req.Params.Expires, req.Params.Signature)
	if err != nil {
		return nil, err
	}
	ext := map[string]string{kyc.ContentJPEG: ".jpg", kyc.ContentPNG: ".png", kyc.ContentPDF: ".pdf"}[doc.ContentType]
	headers := apiserver.GetUserDocument200ResponseHeaders{
		CacheControl:       opt("private, no-store"),
		ContentDisposition: opt(mime.FormatMediaType("attachment", map[string]string{"filename": doc.ID + ext})),
	}
	body, n := bytes.NewReader(doc.Content), int64(len(doc.Content))
	switch doc.ContentType {
	case kyc.ContentJPEG:
		return apiserver.GetUserDocument200ImagejpegResponse{Body: body, ContentLength: n, Headers: headers}, nil
	case kyc.ContentPNG:
		return apiserver.GetUserDocument200ImagepngResponse{Body: body, ContentLength: n, Headers: headers}, nil
	case kyc.ContentPDF:
		return apiserver.GetUserDocument200ApplicationpdfResponse{Body: body, ContentLength: n, Headers: headers}, nil
	}
	return nil, fmt.Errorf("get document: stored with the content type %q", doc.ContentType)
}

// limitBody refuses a body larger than its operation takes with 413: MaxDocumentBodyBytes for
// documentOperations, MaxBodyBytes for every other. The answer says the operation's limit.
func limitBody(ops operations) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			limit := int64(MaxBodyBytes)
			if op, ok := ops.of(c); ok && slices.Contains(documentOperations, op.id) {
				limit = MaxDocumentBodyBytes
			}
			req := c.Request()
			if req.ContentLength > limit {
				return bodyTooLarge(limit)
			}
			if req.Body != nil && req.Body != http.NoBody {
				req.Body = &limitedBody{body: req.Body, left: limit, limit: limit}
			}
			return next(c)
		}
	}
}

// bodyTooLarge is the error of a body over limit bytes.
func bodyTooLarge(limit int64) error {
	return &kyc.Error{Code: codeTooLarge, Message: fmt.Sprintf("The request body must not exceed %d MiB.", limit>>20)}
}

// limitedBody reads a request body up to left bytes, then fails with bodyTooLarge(limit).
type limitedBody struct {
	body  io.ReadCloser
	left  int64
	limit int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, bodyTooLarge(b.limit)
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.body.Read(p)
	if b.left -= int64(n); b.left < 0 {
		return 0, bodyTooLarge(b.limit)
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.body.Close() }
