package hosted

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/kyc"
)

// The page's documents, beyond the field table: an individual may add photos of the Government ID
// the form names (document_type), front and back. Under rules that need identity documents
// (kyc.KiraRequirements) the page also asks for the ones the user misses: a proof of address, and
// an individual's tax identification number outside the USA; a business's formation document and
// its associated persons' IDs, with one person's details when it has none. Files come in a
// multipart post (a plain form, no JavaScript), checked as the API checks a data URI, and become
// the user's identifying_information (or the persons').

// The names of the inputs of the user's own documents.
const (
	inIDFront           = "id_front"
	inIDBack            = "id_back"
	inProofOfAddress    = "proof_of_address"
	inBusinessFormation = "business_formation"
	inTaxID             = "tax_id"
)

// The inputs of an associated person's section are named associated_persons/INDEX/NAME: their
// API field path for the person's own fields, so that the API's errors land next to them.
const (
	inPersonIDType  = "id_type"
	inPersonIDFront = "id_front"
	inPersonIDBack  = "id_back"
)

const fileHint = "JPEG, PNG or PDF, up to 3 MiB."

// docInput is an input of the documents part of the form: a file (docType says which document it
// is) or a text or a select that goes with the documents (schema: the spec's schema of its value,
// SCHEMA or SCHEMA.property).
type docInput struct {
	field
	docType string
	schema  string
	// required: the input must be given for the user to be complete.
	required bool
}

// section is a part of the form's documents: the user's own (no Legend), or an associated
// person's (person is its index in associated_persons; added: the person the post adds to a
// business that has none).
type section struct {
	Legend, Hint string
	person       int
	added        bool
	inputs       []docInput
}

func fileInput(name, docType, label, hint string, required bool) docInput {
	return docInput{field: field{Name: name, Label: label, Kind: "file", Hint: hint, Secret: true}, docType: docType, required: required}
}

func personInput(i int, name string) string {
	return "associated_persons/" + strconv.Itoa(i) + "/" + name
}

// documentSections lists the document inputs for user u under the rules: an individual's ID
// photos always; the rest only while the rules miss them (kyc.MissingFields' document tokens).
// The tax identification number is asked of an individual whose address is not in the USA (or
// not chosen yet), where the ssn field does not apply.
func documentSections(u *kyc.User, rules kyc.RequirementSet) []section {
	missing := map[string]bool{}
	for _, m := range kyc.MissingFields(rules, u.Type, &u.Fields) {
		missing[m] = true
	}
	own := section{person: -1}
	proofHint := "A recent utility bill, bank statement or official letter showing the address. " + fileHint
	if u.Type == kyc.Individual {
		own.inputs = append(own.inputs,
			fileInput(inIDFront, kyc.DocFront, "Photo of your ID, front", fileHint, missing[kyc.TokenGovernmentIDFront]),
			fileInput(inIDBack, kyc.DocBack, "Photo of your ID, back", fileHint+" Not needed for a passport or a visa.", false))
		if country := u.Fields.AddressCountry; missing[kyc.TokenTaxIdentifier] && country != "USA" {
			own.inputs = append(own.inputs, docInput{field: field{Name: inTaxID, Label: "Tax identification number", Kind: "text", Secret: true,
				Autocomplete: "off", Hint: "Required for addresses outside the USA: your tax number in the country of your address."},
				schema: "IdentifyingInformationInput.number", required: country != ""})
		}
		if missing[kyc.TokenProofOfAddress] {
			own.inputs = append(own.inputs, fileInput(inProofOfAddress, kyc.DocProofOfAddress, "Proof of address", proofHint, true))
		}
	} else {
		if missing[kyc.TokenProofOfAddress] {
			own.inputs = append(own.inputs, fileInput(inProofOfAddress, kyc.DocProofOfAddress, "Proof of the business's address", proofHint, true))
		}
		if missing[kyc.TokenBusinessFormation] {
			own.inputs = append(own.inputs, fileInput(inBusinessFormation, kyc.DocBusinessFormation, "Business formation document",
				"Articles of incorporation or organization, or a certificate of formation. "+fileHint, true))
		}
	}
	var out []section
	if len(own.inputs) > 0 {
		out = append(out, own)
	}
	if !missing[kyc.TokenPersonsIDFront] {
		return out
	}
	// An existing person's inputs name them, so that the error summary says whose ID it means.
	idType := func(i int, whose string) docInput {
		return docInput{field: field{Name: personInput(i, inPersonIDType), Label: whose + " ID document", Kind: "select", Enum: "DocumentType"},
			schema: "DocumentType", required: true}
	}
	persons := u.Fields.AssociatedPersons
	if len(persons) == 0 {
		text := func(name, label, kind string, secret, required bool) docInput {
			return docInput{field: field{Name: personInput(0, name), Label: label, Kind: kind, Secret: secret, Autocomplete: "off"},
				schema: "AssociatedPersonInput." + name, required: required}
		}
		return append(out, section{Legend: "A person who owns or controls the business",
			Hint: "An owner or signer of the business, with a photo of their ID.", person: 0, added: true, inputs: []docInput{
				text("first_name", "Person's first name", "text", false, true), text("last_name", "Person's last name", "text", false, true),
				text("email", "Person's email", "email", false, true), text("birth_date", "Person's date of birth", "date", true, false),
				idType(0, "Person's"), fileInput(personInput(0, inPersonIDFront), kyc.DocFront, "Photo of the person's ID, front", fileHint, true),
			}})
	}
	for i, p := range persons {
		if kyc.HasGovernmentIDFront(p.IdentifyingInformation) {
			continue
		}
		name := strings.TrimSpace(p.FirstName + " " + p.LastName)
		s := section{Legend: "ID of " + name, person: i}
		if governmentID(p.IdentifyingInformation) < 0 {
			s.inputs = append(s.inputs, idType(i, name+"'s"))
		}
		s.inputs = append(s.inputs,
			fileInput(personInput(i, inPersonIDFront), kyc.DocFront, "Photo of "+name+"'s ID, front", fileHint, true),
			fileInput(personInput(i, inPersonIDBack), kyc.DocBack, "Photo of "+name+"'s ID, back", fileHint+" Not needed for a passport or a visa.", false))
		out = append(out, s)
	}
	return out
}

// governmentID is the index of the first Government ID of items, -1 if none.
func governmentID(items []kyc.IdentifyingInformation) int {
	return slices.IndexFunc(items, func(it kyc.IdentifyingInformation) bool { return kyc.IsGovernmentID(it.Type) })
}

// docInputs are the inputs of the sections, in order.
func docInputs(sections []section) []docInput {
	var out []docInput
	for _, s := range sections {
		out = append(out, s.inputs...)
	}
	return out
}

// uploadLimit bounds a post with the sections' files: each of the largest size, and the form.
func uploadLimit(sections []section) int64 {
	files := 0
	for _, in := range docInputs(sections) {
		if in.Kind == "file" {
			files++
		}
	}
	return int64(files)*kyc.MaxDocumentBytes + maxFormBytes
}

// documentForm renders the sections' inputs with the values typed (secrets aside) and problems.
func documentForm(spec *openapi3.T, sections []section, values, problems map[string]string) []formSection {
	out := make([]formSection, len(sections))
	for i, s := range sections {
		out[i] = formSection{Legend: s.Legend, Hint: s.Hint}
		for _, in := range s.inputs {
			// An id without the name's slashes, that a link's fragment names as it is.
			fi := formInput{field: in.field, ID: "f-" + strings.ReplaceAll(in.Name, "/", "-"), Error: problems[in.Name], Required: in.required}
			if !in.Secret {
				fi.Value = values[in.Name]
			}
			if in.Enum != "" {
				fi.Options = enumOptions(spec, in.Enum)
			}
			out[i].Inputs = append(out[i].Inputs, fi)
		}
	}
	return out
}

// postedDocuments are what a post gives the document inputs, by input name: the files, checked
// as the API checks a data URI, and the text.
type postedDocuments struct {
	files map[string]kyc.Document
	text  map[string]string
}

// readDocuments reads the document inputs of a post: each file (from mf, nil when the post is not
// multipart) and each text given at most once, the text valid under its schema. Files posted to
// inputs the form does not have are the form's problem. It returns the problems by input name.
func readDocuments(spec *openapi3.T, sections []section, post map[string][]string, mf *multipart.Form) (postedDocuments, map[string]string) {
	got := postedDocuments{files: map[string]kyc.Document{}, text: map[string]string{}}
	problems := map[string]string{}
	inputs := docInputs(sections)
	if mf != nil {
		for name, files := range mf.File {
			if !slices.ContainsFunc(inputs, func(in docInput) bool { return in.Name == name && in.Kind == "file" }) &&
				!(len(files) == 1 && files[0].Size == 0 && files[0].Filename == "") {
				problems[formLevel] = msgUnknownFields
			}
		}
	}
	for _, in := range inputs {
		if in.Kind != "file" {
			list, problem := typedValues(in.field, post[in.Name])
			switch {
			case len(post[in.Name]) > 1:
				problems[in.Name] = "was given more than once; please enter it once"
			case problem != "":
				problems[in.Name] = problem
			case len(list) == 1:
				got.text[in.Name] = list[0]
				if msg := checkValue(spec, in.schema, list[0]); msg != "" {
					problems[in.Name] = msg
				}
			}
			continue
		}
		if mf == nil {
			continue
		}
		files := mf.File[in.Name]
		switch {
		case len(files) == 0 || len(files) == 1 && files[0].Size == 0 && files[0].Filename == "":
			continue // the input left empty
		case len(files) > 1:
			problems[in.Name] = "was given more than once; please choose one file"
			continue
		case files[0].Size > kyc.MaxDocumentBytes:
			problems[in.Name] = fmt.Sprintf("must be at most %d MiB", kyc.MaxDocumentBytes>>20)
			continue
		}
		content, err := readFile(files[0])
		if err != nil {
			problems[in.Name] = "could not be read; please choose it again"
			continue
		}
		file := kyc.NewUpload(content)
		if msg := kyc.CheckDocumentFile(file); msg != "" {
			problems[in.Name] = msg
			continue
		}
		got.files[in.Name] = kyc.Document{Type: in.docType, File: file}
	}
	return got, problems
}

// checkValue says what is wrong with value under the spec's schema named by ref (SCHEMA or
// SCHEMA.property), as the API would say it; "" when nothing is.
func checkValue(spec *openapi3.T, ref, value string) string {
	name, prop, _ := strings.Cut(ref, ".")
	s := spec.Components.Schemas[name]
	if s != nil && prop != "" {
		s = s.Value.Properties[prop]
	}
	if s == nil || s.Value == nil {
		return ""
	}
	err := s.Value.VisitJSON(value, append(openapi.ValidationOptions(), openapi3.VisitAsRequest())...)
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return openapi.SchemaMessage(se)
	}
	if err != nil {
		return "is invalid"
	}
	return ""
}

func readFile(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, kyc.MaxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	return b, nil
}

// applyDocuments sets in sub's patch what the documents posted add to the user (next: the
// user's fields with the rest of the patch applied): the ID photos go to the Government ID of the
// type the form names (or the user has on file), with its country and number; the tax
// identification number, the proof of address and the formation document to the user's tax_id
// item (issued in the address's country); the persons' photos to their Government IDs, and the
// added person to associated_persons. A document of the same type replaces the one on file, the
// others stay. It returns the problems by input name.
func applyDocuments(sub *submission, next *kyc.Fields, sections []section, got postedDocuments) map[string]string {
	problems := map[string]string{}
	items, itemsChanged := slices.Clone(next.IdentifyingInformation), false
	if front, back := got.files[inIDFront], got.files[inIDBack]; front.File != "" || back.File != "" {
		if next.DocumentType == "" {
			problems["document_type"] = "must be chosen to add a photo of your ID"
		} else {
			item := itemOfType(&items, next.DocumentType)
			item.IssuingCountry, item.Number = next.DocumentCountry, next.DocumentNumber
			addDocuments(item, front, back)
			itemsChanged = true
		}
	}
	number, proof, formation := got.text[inTaxID], got.files[inProofOfAddress], got.files[inBusinessFormation]
	if number != "" || proof.File != "" || formation.File != "" {
		item := itemOfType(&items, "tax_id")
		if item.IssuingCountry == "" || number != "" {
			item.IssuingCountry = next.AddressCountry
		}
		if number != "" {
			item.Number = number
		}
		addDocuments(item, proof, formation)
		itemsChanged = true
	}
	if itemsChanged {
		if err := sub.patch.Set("identifying_information", items); err != nil {
			problems[formLevel] = msgNotAccepted
		}
	}
	persons, personsChanged := slices.Clone(next.AssociatedPersons), false
	for _, s := range sections {
		if s.person < 0 {
			continue
		}
		name := func(in string) string { return personInput(s.person, in) }
		front, back := got.files[name(inPersonIDFront)], got.files[name(inPersonIDBack)]
		if s.added {
			if !slices.ContainsFunc(s.inputs, func(in docInput) bool { return given(in, got) }) {
				continue // nothing given: the person stays missing
			}
			p := kyc.Person{FirstName: got.text[name("first_name")], LastName: got.text[name("last_name")],
				Email: got.text[name("email")], BirthDate: got.text[name("birth_date")]}
			if idType := got.text[name(inPersonIDType)]; idType != "" && front.File != "" {
				p.IdentifyingInformation = []kyc.IdentifyingInformation{{Type: idType, Documents: []kyc.Document{front}}}
			}
			persons, personsChanged = []kyc.Person{p}, true
			continue
		}
		if front.File == "" && back.File == "" {
			continue
		}
		p := &persons[s.person]
		p.IdentifyingInformation = slices.Clone(p.IdentifyingInformation)
		i := governmentID(p.IdentifyingInformation)
		if i < 0 {
			idType := got.text[name(inPersonIDType)]
			if idType == "" {
				problems[name(inPersonIDType)] = "must be chosen to add a photo of the ID"
				continue
			}
			p.IdentifyingInformation = append(p.IdentifyingInformation, kyc.IdentifyingInformation{Type: idType,
				IssuingCountry: p.DocumentCountry, Number: p.DocumentNumber})
			i = len(p.IdentifyingInformation) - 1
		}
		addDocuments(&p.IdentifyingInformation[i], front, back)
		personsChanged = true
	}
	if personsChanged {
		if err := sub.patch.Set("associated_persons", persons); err != nil {
			problems[formLevel] = msgNotAccepted
		}
	}
	return problems
}

// itemOfType is the item of items of type t, added when there is none.
func itemOfType(items *[]kyc.IdentifyingInformation, t string) *kyc.IdentifyingInformation {
	i := slices.IndexFunc(*items, func(it kyc.IdentifyingInformation) bool { return it.Type == t })
	if i < 0 {
		*items, i = append(*items, kyc.IdentifyingInformation{Type: t}), len(*items)
	}
	return &(*items)[i]
}

// addDocuments adds the documents given (File set) to item, each replacing the item's document of
// its type.
func addDocuments(item *kyc.IdentifyingInformation, docs ...kyc.Document) {
	item.Documents = slices.Clone(item.Documents)
	for _, d := range docs {
		if d.File == "" {
			continue
		}
		item.Documents = slices.DeleteFunc(item.Documents, func(old kyc.Document) bool { return old.Type == d.Type })
		item.Documents = append(item.Documents, d)
	}
}

// missingInputs names the inputs that still lack what the rules need of next: each document token
// that kyc.MissingFields lists, on the inputs shown that meet it.
func missingInputs(rules kyc.RequirementSet, u *kyc.User, next *kyc.Fields, sections []section, got postedDocuments) []string {
	var out []string
	for _, m := range kyc.MissingFields(rules, u.Type, next) {
		for _, s := range sections {
			for _, in := range s.inputs {
				if meets(m, in, s, next) && (s.person < 0 || in.required) && !given(in, got) {
					out = append(out, in.Name)
				}
			}
		}
	}
	return out
}

// meets reports whether input in of section s helps meet token m for a user with fields f.
func meets(m string, in docInput, s section, f *kyc.Fields) bool {
	switch m {
	case kyc.TokenTaxIdentifier:
		return in.Name == inTaxID && f.AddressCountry != "USA" && f.AddressCountry != ""
	case kyc.TokenGovernmentIDFront:
		return in.Name == inIDFront
	case kyc.TokenProofOfAddress:
		return in.Name == inProofOfAddress
	case kyc.TokenBusinessFormation:
		return in.Name == inBusinessFormation
	case kyc.TokenPersonsIDFront:
		return s.person >= 0 && (s.added || !kyc.HasGovernmentIDFront(personAt(f, s.person)))
	}
	return false
}

func personAt(f *kyc.Fields, i int) []kyc.IdentifyingInformation {
	if i < len(f.AssociatedPersons) {
		return f.AssociatedPersons[i].IdentifyingInformation
	}
	return nil
}

func given(in docInput, got postedDocuments) bool {
	return got.text[in.Name] != "" || got.files[in.Name].File != ""
}
