package hosted

import (
	"fmt"
	"io"
	"mime/multipart"
	"slices"

	"github.com/kiraapi/kira/server/kyc"
)

// The page's uploads: an individual may add photos of the Government ID the form names
// (document_type), front and back, as a multipart post (a plain form, no JavaScript). They become
// that ID's identifying_information documents, checked as the API checks a data URI.

// maxUploadBytes bounds a post with uploads: two documents of the largest size and the form.
const maxUploadBytes = 2*kyc.MaxDocumentBytes + maxFormBytes

// upload is a file input of the page.
type upload struct {
	Name, DocType, Label, Hint string
}

// uploads are the page's file inputs, for individuals.
var uploads = []upload{
	{"id_front", "front", "Photo of your ID, front", "JPEG, PNG or PDF, up to 3 MiB."},
	{"id_back", "back", "Photo of your ID, back", "JPEG, PNG or PDF, up to 3 MiB. Not needed for a passport or a visa."},
}

// uploadInputs are the file inputs shown to u, with their problems.
func uploadInputs(u *kyc.User, problems map[string]string) []formInput {
	if u.Type != kyc.Individual {
		return nil
	}
	out := make([]formInput, len(uploads))
	for i, up := range uploads {
		out[i] = formInput{field: field{Name: up.Name, Label: up.Label, Kind: "file", Hint: up.Hint, Secret: true}, ID: "f-" + up.Name, Error: problems[up.Name]}
	}
	return out
}

// readUploads reads the files of a multipart post (nil: none), each given at most once, and
// checks them as the API would. It returns the documents by document type and the problems by
// input name.
func readUploads(u *kyc.User, mf *multipart.Form) (map[string]kyc.Document, map[string]string) {
	docs, problems := map[string]kyc.Document{}, map[string]string{}
	if mf == nil {
		return docs, problems
	}
	for _, up := range uploads {
		files := mf.File[up.Name]
		switch {
		case len(files) == 0 || len(files) == 1 && files[0].Size == 0 && files[0].Filename == "":
			continue // the input left empty
		case u.Type != kyc.Individual:
			problems[formLevel] = msgUnknownFields
			continue
		case len(files) > 1:
			problems[up.Name] = "was given more than once; please choose one file"
			continue
		case files[0].Size > kyc.MaxDocumentBytes:
			problems[up.Name] = fmt.Sprintf("must be at most %d MiB", kyc.MaxDocumentBytes>>20)
			continue
		}
		content, err := readFile(files[0])
		if err != nil {
			problems[up.Name] = "could not be read; please choose it again"
			continue
		}
		file := kyc.NewUpload(content)
		if msg := kyc.CheckDocumentFile(file); msg != "" {
			problems[up.Name] = msg
			continue
		}
		docs[up.DocType] = kyc.Document{Type: up.DocType, File: file}
	}
	return docs, problems
}

func readFile(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, kyc.MaxDocumentBytes+1))
}

// addUploads sets in sub's patch the user's identifying_information with docs added to the
// Government ID of the type the form names (or the user has on file), with its country and
// number: a document of the same side replaces the one on file, the other documents stay. It
// returns a problem when no ID type is known.
func addUploads(sub *submission, u *kyc.User, docs map[string]kyc.Document) map[string]string {
	if len(docs) == 0 {
		return nil
	}
	value := func(name, stored string) string {
		if v, ok := sub.typed[name]; ok {
			return v
		}
		return stored
	}
	idType := value("document_type", u.Fields.DocumentType)
	if idType == "" {
		return map[string]string{"document_type": "must be chosen to add a photo of your ID"}
	}
	items := slices.Clone(u.Fields.IdentifyingInformation)
	i := slices.IndexFunc(items, func(it kyc.IdentifyingInformation) bool { return it.Type == idType })
	if i < 0 {
		items, i = append(items, kyc.IdentifyingInformation{Type: idType}), len(items)
	}
	item := &items[i]
	item.IssuingCountry = value("document_country", u.Fields.DocumentCountry)
	item.Number = value("document_number", u.Fields.DocumentNumber)
	item.Documents = slices.DeleteFunc(slices.Clone(item.Documents), func(d kyc.Document) bool { _, replaced := docs[d.Type]; return replaced })
	for _, up := range uploads {
		if d, ok := docs[up.DocType]; ok {
			item.Documents = append(item.Documents, d)
		}
	}
	if err := sub.patch.Set("identifying_information", items); err != nil {
		return map[string]string{formLevel: msgNotAccepted}
	}
	return nil
}
