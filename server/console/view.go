package console

import (
	"strings"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// queueRow is a user in the review queue.
type queueRow struct {
	TenantID, ID, Type, Name, Email string
	CreatedAt                       time.Time
}

func toQueueRow(u *kyc.User) queueRow {
	return queueRow{TenantID: u.TenantID, ID: u.ID, Type: string(u.Type), Name: displayName(u), Email: u.Fields.Email, CreatedAt: u.CreatedAt}
}

// displayName is how the console names a user: the person's name, or the business's legal name.
func displayName(u *kyc.User) string {
	if u.Type == kyc.Business {
		return u.Fields.BusinessLegalName
	}
	return strings.TrimSpace(u.Fields.FirstName + " " + u.Fields.LastName)
}

// userView is a user's detail page: what it submitted, masked, and the provider's reasons.
type userView struct {
	TenantID, ID, Type, Status, Name string
	Attempts                         int
	CreatedAt, UpdatedAt             time.Time
	Fields                           []fieldView
	Reasons                          []kyc.Reason
	// Persons is how many associated persons a business declared (shown by count only).
	Persons  int
	InReview bool
}

// fieldView is one submitted field: its value as shown, and whether it is masked and may be
// revealed.
type fieldView struct {
	Name, Label, Value string
	Masked, Revealed   bool
}

// toUserView shows u's text fields in table order, the sealed ones masked (mask) except the one
// named revealed.
func toUserView(u *kyc.User, revealed string) userView {
	v := userView{TenantID: u.TenantID, ID: u.ID, Type: string(u.Type), Status: string(u.Status), Name: displayName(u),
		Attempts: u.Attempts, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Reasons: u.Reasons,
		Persons: len(u.Fields.AssociatedPersons), InReview: u.Status == kyc.StatusReview}
	for _, spec := range kyc.UserFields() {
		value, isText := spec.Value(&u.Fields).(string)
		if !spec.For(u.Type) || !isText || value == "" {
			continue
		}
		f := fieldView{Name: spec.Name, Label: label(spec), Value: value}
		if spec.Sealed && spec.Name != revealed {
			f.Value, f.Masked = mask(spec, value), true
		}
		f.Revealed = spec.Sealed && spec.Name == revealed
		v.Fields = append(v.Fields, f)
	}
	return v
}

// mask is what the console shows of a sealed value: the year of a date, the last four characters
// of a number.
func mask(spec *kyc.FieldSpec, value string) string {
	if spec.Date != "" {
		year, _, _ := strings.Cut(value, "-")
		return year + "-••-••"
	}
	if last4 := kyc.Last4(value); last4 != "" {
		return "•••• " + last4
	}
	return "••••"
}

// label is the field's label on the hosted page, or its API name.
func label(spec *kyc.FieldSpec) string {
	if spec.Label != "" {
		return spec.Label
	}
	return spec.Name
}
