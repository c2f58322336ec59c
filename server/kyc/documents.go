package kyc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Identity documents: Kira's identifying_information[] (docs.kirafin.ai, create user reference;
// see /work/shared/reference/kira-api-facts.md §2). Each item is an identifier (an SSN, a tax id,
// a passport...) with its number and the files that prove it. A file arrives as a data URI, whose
// bytes are kept sealed in storage apart from the user's fields, or as an https URL, which is kept
// as a reference and never fetched: the server makes no request to an address a client names.

// The limits of identity documents. The spec states the same numbers (a test keeps them equal).
const (
	// MaxDocumentBytes is the largest document file accepted, decoded: 3 MiB.
	MaxDocumentBytes = 3 << 20
	// MaxDocumentFileLength is the longest `file` value: a data URI of MaxDocumentBytes in base64
	// with a media type of up to 100 characters.
	MaxDocumentFileLength = (MaxDocumentBytes+2)/3*4 + 100
	// MaxDocumentsPerItem is how many documents one identifying_information item has at most.
	MaxDocumentsPerItem = 4
	// MaxIdentifyingInformation is how many identifying_information items a user, or an
	// associated person, has at most.
	MaxIdentifyingInformation = 5
	// MaxDocumentURLLength is the longest https URL accepted as a document reference.
	MaxDocumentURLLength = 2048
	// DocumentLinkTTL is how long a download link works once issued: 10 minutes, as Kira's
	// presigned URLs.
	DocumentLinkTTL = 10 * time.Minute
)

// The content types of accepted documents, as sniffed from their first bytes.
const (
	ContentJPEG = "image/jpeg"
	ContentPNG  = "image/png"
	ContentPDF  = "application/pdf"
)

// The sources of a document's file.
const (
	SourceUpload = "upload" // sent as a data URI; the bytes are stored
	SourceURL    = "url"    // sent as an https URL; kept as a reference, not fetched
)

// Government ID types: identifying_information types that are photo IDs (Kira's document values).
var governmentIDTypes = []string{"passport", "national_id", "drivers_license", "permanent_residency_id",
	"state_or_provincial_id", "military_id", "matriculate_id", "visa"}

// IdentifyingInformation is one identifier of a user or an associated person: Type (ssn, tax_id,
// passport, ...), the ISO 3166-1 alpha-3 IssuingCountry, Number (a secret: sealed with the rest
// of the fields, returned as its last four characters), Expiration (YYYY-MM-DD) and Documents.
type IdentifyingInformation struct {
	Type           string     `json:"type"`
	IssuingCountry string     `json:"issuing_country,omitempty"`
	Number         string     `json:"number,omitempty"`
	Expiration     string     `json:"expiration,omitempty"`
	Documents      []Document `json:"documents,omitempty"`
}

// Document is one file proving an identifier: its Type (front, back, or a business document role
// such as file_proof_of_address) and, once received, its metadata. A document sent as a data URI
// has its bytes stored apart from the user (see Tx.InsertUser); one sent as an https URL keeps
// the URL (sealed with the fields, never returned). Digest identifies the content (or the URL),
// so that a document sent again unchanged is not a change.
type Document struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	Source      string    `json:"source"`
	ContentType string    `json:"content_type,omitempty"`
	Size        int       `json:"size,omitempty"`
	FileName    string    `json:"file_name,omitempty"`
	URL         string    `json:"url,omitempty"`
	Digest      string    `json:"digest"`
	UploadedAt  time.Time `json:"uploaded_at"`

	// File is the file as the client sent it (a data URI or an https URL), until the service
	// decodes it. Never stored.
	File string `json:"-"`
	// Content is the decoded bytes of a new upload, which storage writes (sealed) with the user.
	// Nil for a document already stored, or a URL.
	Content []byte `json:"-"`
}

// DocumentFile is a stored document's content, as the download route serves it.
type DocumentFile struct {
	TenantID    string
	UserID      string
	ID          string
	ContentType string
	Content     []byte
}

// Documents returns every document of f, the user's then each associated person's, in order.
func (f *Fields) Documents() []*Document {
	var out []*Document
	add := func(items []IdentifyingInformation) {
		for i := range items {
			for j := range items[i].Documents {
				out = append(out, &items[i].Documents[j])
			}
		}
	}
	add(f.IdentifyingInformation)
	for i := range f.AssociatedPersons {
		add(f.AssociatedPersons[i].IdentifyingInformation)
	}
	return out
}

// documentLists calls fn with each identifying_information list of f and its field path prefix.
func (f *Fields) documentLists(fn func(prefix string, items []IdentifyingInformation)) {
	fn("identifying_information/", f.IdentifyingInformation)
	for i := range f.AssociatedPersons {
		fn("associated_persons/"+strconv.Itoa(i)+"/identifying_information/", f.AssociatedPersons[i].IdentifyingInformation)
	}
}

// checkDocuments refuses the document files of f that would not decode (see decodeFile), without
// decoding them into f, and expiration dates that are not dates. Errors name the field path
// (identifying_information/0/documents/1/file), never the value.
func (f *Fields) checkDocuments() []FieldError {
	var out []FieldError
	f.documentLists(func(prefix string, items []IdentifyingInformation) {
		for i, item := range items {
			path := prefix + strconv.Itoa(i) + "/"
			if item.Expiration != "" {
				if _, err := time.Parse(time.DateOnly, item.Expiration); err != nil {
					out = append(out, FieldError{Field: path + "expiration", Message: "must be a date in the form YYYY-MM-DD"})
				}
			}
			for j, d := range item.Documents {
				if d.File == "" {
					continue
				}
				if _, msg := decodeFile(d.File); msg != "" {
					out = append(out, FieldError{Field: path + "documents/" + strconv.Itoa(j) + "/file", Message: msg})
				}
			}
		}
	})
	return out
}

// receiveDocuments decodes the files the client sent in f (Document.File): a data URI becomes
// Content with its sniffed ContentType, a URL is kept as a reference; each new document gets an
// id, a file name and uploaded_at = now. It returns an error for every file that does not decode.
func (f *Fields) receiveDocuments(now time.Time, newID func() string) []FieldError {
	var bad []FieldError
	f.documentLists(func(prefix string, items []IdentifyingInformation) {
		for i := range items {
			for j := range items[i].Documents {
				d := &items[i].Documents[j]
				if d.File == "" {
					continue
				}
				file, msg := decodeFile(d.File)
				if msg != "" {
					d.File = "" // reported here, not again by checkDocuments
					bad = append(bad, FieldError{Field: prefix + strconv.Itoa(i) + "/documents/" + strconv.Itoa(j) + "/file", Message: msg})
					continue
				}
				d.ID, d.UploadedAt, d.File = newID(), now, ""
				d.Source, d.ContentType, d.URL, d.Content = file.source, file.contentType, file.url, file.content
				d.Size, d.Digest = len(file.content), file.digest
				d.FileName = items[i].Type + "-" + d.Type + file.extension
			}
		}
	})
	return bad
}

// receiveDocuments decodes the files the patch sends, in identifying_information and in
// associated_persons (see Fields.receiveDocuments).
func (p Patch) receiveDocuments(now time.Time, newID func() string) []FieldError {
	var f Fields
	items, hasItems := p.values[userFieldsBy["identifying_information"]].([]IdentifyingInformation)
	persons, hasPersons := p.values[userFieldsBy["associated_persons"]].([]Person)
	if !hasItems && !hasPersons {
		return nil
	}
	// The lists share their elements with the patch, which the decoding fills in.
	f.IdentifyingInformation, f.AssociatedPersons = items, persons
	return f.receiveDocuments(now, newID)
}

// keepStored gives the documents of f that old already holds (same type, same content) their
// stored identity back, so that a document sent again is not stored twice and keeps its id.
func (f *Fields) keepStored(old *Fields) {
	stored := map[string]Document{}
	for _, d := range old.Documents() {
		stored[d.Type+"/"+d.Digest] = *d
	}
	for _, d := range f.Documents() {
		if s, ok := stored[d.Type+"/"+d.Digest]; ok {
			*d = s
			d.Content = nil // stored already
		}
	}
}

// decodedFile is a document file decoded: its bytes (a data URI) or its URL.
type decodedFile struct {
	source, contentType, extension, url, digest string
	content                                     []byte
}

// decodeFile decodes a document file: a data URI (data:<media type>;base64,<data>) of a JPEG, PNG
// or PDF file of at most MaxDocumentBytes, whose type is sniffed from its first bytes (the media
// type the client declares is not trusted), or an https URL of at most MaxDocumentURLLength
// characters, without user information. It returns what is wrong as a message that never repeats
// the value.
func decodeFile(file string) (decodedFile, string) {
	if strings.HasPrefix(file, "https://") {
		u, err := url.Parse(file)
		switch {
		case len(file) > MaxDocumentURLLength:
			return decodedFile{}, fmt.Sprintf("must be at most %d characters as a URL", MaxDocumentURLLength)
		case err != nil || u.Host == "" || u.Hostname() == "":
			return decodedFile{}, "must be a valid https URL or a data URI"
		case u.User != nil:
			return decodedFile{}, "must not carry user information in the URL"
		}
		sum := sha256.Sum256([]byte(file))
		return decodedFile{source: SourceURL, url: file, digest: hex.EncodeToString(sum[:])}, ""
	}
	rest, ok := strings.CutPrefix(file, "data:")
	if !ok {
		return decodedFile{}, "must be a data URI (data:<type>;base64,...) or an https URL"
	}
	header, data, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(strings.ToLower(header), ";base64") {
		return decodedFile{}, "must be a base64 data URI (data:<type>;base64,...)"
	}
	if base64.StdEncoding.DecodedLen(len(data)) > MaxDocumentBytes+2 {
		return decodedFile{}, fmt.Sprintf("must be at most %d bytes once decoded", MaxDocumentBytes)
	}
	content, err := base64.StdEncoding.DecodeString(data)
	switch {
	case err != nil:
		return decodedFile{}, "must be valid base64 after the comma"
	case len(content) > MaxDocumentBytes:
		return decodedFile{}, fmt.Sprintf("must be at most %d bytes once decoded", MaxDocumentBytes)
	case len(content) == 0:
		return decodedFile{}, "must not be empty"
	}
	contentType, ext := SniffDocument(content)
	if contentType == "" {
		return decodedFile{}, "must be a JPEG, PNG or PDF file (checked by its content)"
	}
	sum := sha256.Sum256(content)
	return decodedFile{source: SourceUpload, contentType: contentType, extension: ext, content: content, digest: hex.EncodeToString(sum[:])}, ""
}

// SniffDocument returns the content type and file extension of an accepted document by its first
// bytes (its magic number: JPEG FF D8 FF, PNG's 8-byte signature, PDF "%PDF-"), or "" for any
// other content.
func SniffDocument(b []byte) (contentType, extension string) {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return ContentJPEG, ".jpg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return ContentPNG, ".png"
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return ContentPDF, ".pdf"
	}
	return "", ""
}

// CheckDocumentFile says what is wrong with a document file (a data URI or an https URL) as the
// API would refuse it, "" when nothing is.
func CheckDocumentFile(file string) string {
	_, msg := decodeFile(file)
	return msg
}

// NewUpload returns a document file as a data URI, for callers that receive raw bytes (the hosted
// page's upload form), which then go through the same checks as the API's.
func NewUpload(content []byte) string {
	return "data:application/octet-stream;base64," + base64.StdEncoding.EncodeToString(content)
}

// sameDocuments compares two identifying_information lists as a change is judged: numbers by
// their letters and digits whatever the case, documents by type and content (Digest), not by the
// id or time they were received.
func sameDocuments(a, b []IdentifyingInformation) bool {
	return reflect.DeepEqual(comparableDocuments(a), comparableDocuments(b))
}

func comparableDocuments(items []IdentifyingInformation) []IdentifyingInformation {
	out := make([]IdentifyingInformation, len(items))
	for i, item := range items {
		out[i] = IdentifyingInformation{Type: item.Type, IssuingCountry: item.IssuingCountry,
			Number: strings.ToUpper(alphanumeric(item.Number)), Expiration: item.Expiration}
		for _, d := range item.Documents {
			out[i].Documents = append(out[i].Documents, Document{Type: d.Type, Digest: d.Digest})
		}
	}
	return out
}

// The tokens of Kira's document requirements in missing_fields (extraRules, under
// KiraRequirements), as Kira names them.
const (
	// TokenTaxIdentifier: an individual's SSN or, outside the USA, tax identifier.
	TokenTaxIdentifier = "identifying_information:ssn"
	// TokenGovernmentIDFront: an individual's Government ID with a photo of its front.
	TokenGovernmentIDFront = "identifying_information:government_id:front"
	// TokenProofOfAddress: a proof of address document (individuals and businesses).
	TokenProofOfAddress = "identifying_information:file_proof_of_address"
	// TokenBusinessFormation: a business's formation document.
	TokenBusinessFormation = "identifying_information:file_business_formation"
	// TokenPersonsIDFront: associated persons, each with a Government ID with a photo of its front.
	TokenPersonsIDFront = "associated_persons:identifying_information:front"
)

// The document types (Document.Type) the requirements name.
const (
	DocFront             = "front"
	DocBack              = "back"
	DocProofOfAddress    = "file_proof_of_address"
	DocBusinessFormation = "file_business_formation"
)

// IsGovernmentID reports whether an identifying_information type is a Government photo ID.
func IsGovernmentID(idType string) bool { return slices.Contains(governmentIDTypes, idType) }

// HasGovernmentIDFront reports whether items hold a Government ID with a front document, uploaded
// or given as a URL.
func HasGovernmentIDFront(items []IdentifyingInformation) bool {
	return slices.ContainsFunc(items, func(i IdentifyingInformation) bool {
		return IsGovernmentID(i.Type) && slices.ContainsFunc(i.Documents, func(d Document) bool { return d.Type == DocFront })
	})
}

// hasDocument reports whether items hold a document of type docType (of any item), uploaded or
// given as a URL.
func hasDocument(items []IdentifyingInformation, docType string) bool {
	return slices.ContainsFunc(items, func(i IdentifyingInformation) bool {
		return slices.ContainsFunc(i.Documents, func(d Document) bool { return d.Type == docType })
	})
}

// hasTaxIdentifier reports whether an individual has a tax identifier: an identifying_information
// item of type ssn or tax_id with a number, or the ssn field, which states the same fact.
func hasTaxIdentifier(f *Fields) bool {
	return f.SSN != "" || slices.ContainsFunc(f.IdentifyingInformation, func(i IdentifyingInformation) bool {
		return (i.Type == "ssn" || i.Type == "tax_id") && i.Number != ""
	})
}

// personsIdentified reports whether a business has associated persons, each with a Government ID
// with a front document.
func personsIdentified(f *Fields) bool {
	return len(f.AssociatedPersons) > 0 && !slices.ContainsFunc(f.AssociatedPersons, func(p Person) bool { return !HasGovernmentIDFront(p.IdentifyingInformation) })
}

// WithLinkKey sets the key that signs document download links (DocumentLink): a KeyHasher, whose
// keyed hash (HMAC-SHA-256 under the master key) is the signature. Without it no link is issued
// and none opens.
func WithLinkKey(h KeyHasher) Option { return func(c *config) { c.linkKey = h } }

// DocumentLink returns the expiry (Unix seconds, DocumentLinkTTL from now) and signature of a
// download link to document docID of the tenant's user. The signature binds the tenant, the user,
// the document and the expiry: a link works for that document only, until it expires, and no one
// can make one without the key. ok is false when the service has no link key.
func (s *UserService) DocumentLink(tenantID, userID, docID string) (expires int64, signature string, ok bool) {
	if s.linkKey == nil {
		return 0, "", false
	}
	expires = s.now().Add(DocumentLinkTTL).Unix()
	return expires, s.linkSignature(tenantID, userID, docID, expires), true
}

func (s *UserService) linkSignature(tenantID, userID, docID string, expires int64) string {
	return s.linkKey.Hash("document-link", tenantID+"/"+userID+"/"+docID+"/"+strconv.FormatInt(expires, 10))
}

// DocumentReader reads stored document content.
type DocumentReader interface {
	// GetDocument returns the content of the user's document, whatever the tenant (the download
	// link is checked against the tenant it names); ENotFound if there is none.
	GetDocument(ctx context.Context, userID, docID string) (*DocumentFile, error)
}

// errNoDocument is the answer to a link that does not open a document: unknown, forged and
// expired links look the same.
func errNoDocument() error {
	return Errorf(ENotFound, "No such document, or the link has expired: read the user again for a fresh link.")
}

// OpenDocument returns the document a download link (DocumentLink) names, if its signature holds
// and it has not expired; ENotFound otherwise, the same for an unknown document, a forged link, an
// expired one and an erased user's.
func (s *UserService) OpenDocument(ctx context.Context, userID, docID string, expires int64, signature string) (*DocumentFile, error) {
	if s.linkKey == nil || s.now().Unix() >= expires {
		return nil, errNoDocument()
	}
	doc, err := s.store.GetDocument(ctx, userID, docID)
	if ErrorCode(err) == ENotFound {
		return nil, errNoDocument()
	}
	if err != nil {
		return nil, fmt.Errorf("open document: %w", err)
	}
	want := s.linkSignature(doc.TenantID, userID, docID, expires)
	if subtle.ConstantTimeCompare([]byte(want), []byte(signature)) != 1 {
		return nil, errNoDocument()
	}
	return doc, nil
}

// samePersons compares two lists of associated persons as a change is judged: their identity
// documents as sameDocuments does.
func samePersons(a, b []Person) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !sameDocuments(x.IdentifyingInformation, y.IdentifyingInformation) {
			return false
		}
		x.IdentifyingInformation, y.IdentifyingInformation = nil, nil
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}
