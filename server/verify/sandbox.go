// Package verify runs automatic identity verification: the deterministic sandbox provider behind
// the kyc.Provider seam, and the durable job that asks the provider and records its decision.
package verify

import (
	"context"
	"time"

	"github.com/kiraapi/kira/openapi/timestamp"
	"github.com/kiraapi/kira/server/kyc"
)

// The sandbox's magic identifiers, compared on their digits.
const (
	RejectSSN = "111111111"
	ReviewSSN = "222222222"
	RejectEIN = "111111111"
	ReviewEIN = "222222222"
)

// Sandbox is the built-in provider. It decides on the digits of the SSN (individuals) or the EIN
// (businesses): 111-11-1111 / 11-1111111 are rejected, 222-22-2222 / 22-2222222 go to REVIEW, and
// anything else is verified.
type Sandbox struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

var _ kyc.Provider = Sandbox{}

// Decide implements kyc.Provider.
func (s Sandbox) Decide(_ context.Context, u *kyc.User) (kyc.Decision, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	id, reject, review := kyc.Digits(u.Fields.SSN), RejectSSN, ReviewSSN
	if u.Type == kyc.Business {
		id, reject, review = kyc.Digits(u.Fields.EIN), RejectEIN, ReviewEIN
	}
	switch id {
	case reject:
		return kyc.Decision{Status: kyc.StatusRejected, Reasons: []kyc.Reason{{
			Reason:          "Your information could not be verified",
			DeveloperReason: "Sandbox: this test identifier is always rejected.",
			CreatedAt:       timestamp.Of(now()),
		}}}, nil
	case review:
		return kyc.Decision{Status: kyc.StatusReview}, nil
	}
	return kyc.Decision{Status: kyc.StatusVerified, VerifiedFields: kyc.CheckedFields(u.Type, &u.Fields)}, nil
}
