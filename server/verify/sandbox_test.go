package verify_test

import (
	"context"
	"testing"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/verify"
)

func TestSandboxDecides(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		typ  kyc.UserType
		f    kyc.Fields
		want kyc.Status
	}{
		{"rejecting SSN", kyc.Individual, kyc.Fields{SSN: "111-11-1111"}, kyc.StatusRejected},
		{"rejecting SSN without dashes", kyc.Individual, kyc.Fields{SSN: "111111111"}, kyc.StatusRejected},
		{"review SSN", kyc.Individual, kyc.Fields{SSN: "222-22-2222"}, kyc.StatusReview},
		{"any other SSN", kyc.Individual, kyc.Fields{SSN: "123-45-6789", FirstName: "J"}, kyc.StatusVerified},
		{"no SSN (non-US)", kyc.Individual, kyc.Fields{AddressCountry: "MEX"}, kyc.StatusVerified},
		{"rejecting EIN", kyc.Business, kyc.Fields{EIN: "11-1111111"}, kyc.StatusRejected},
		{"review EIN", kyc.Business, kyc.Fields{EIN: "222222222"}, kyc.StatusReview},
		{"a business's rejecting representative SSN is not its EIN", kyc.Business, kyc.Fields{EIN: "12-3456789", RepresentativeSSN: "111-11-1111"}, kyc.StatusVerified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := verify.Sandbox{}.Decide(context.Background(), &kyc.User{Type: tt.typ, Fields: tt.f})
			if err != nil || d.Status != tt.want {
				t.Fatalf("Decide = %v, %v; want %s", d.Status, err, tt.want)
			}
			switch d.Status {
			case kyc.StatusRejected:
				if len(d.Reasons) != 1 || d.Reasons[0].Reason != "Your information could not be verified" || d.Reasons[0].DeveloperReason == "" {
					t.Errorf("reasons = %+v", d.Reasons)
				}
			case kyc.StatusVerified:
				if d.VerifiedFields == nil && tt.f.FirstName != "" {
					t.Errorf("no verified fields")
				}
			}
		})
	}
}
