package kyc

import (
	"cmp"
	"context"
	"fmt"

	"github.com/kiraapi/kira/openapi/timestamp"
)

// Decision is a verification provider's verdict on one attempt: VERIFIED with the fields it
// checked, REJECTED with reasons, REVIEW when a person must decide (with the provider's reasons, if
// it gave any, for the reviewer), or CREATED with reasons when the attempt lapsed before the end
// user finished it (a vendor's flow expired): the user is asked again. A provider that decides
// later returns Pending.
type Decision struct {
	Status         Status
	VerifiedFields []string
	Reasons        []Reason
}

// Pending is the decision of a provider that decides later, for instance a vendor that calls back:
// the attempt stays VERIFYING, and the verification job asks again after a while (polling) until
// the decision has arrived by another way (ApplyVendorDecision) or the provider gives it.
var Pending = Decision{Status: StatusVerifying}

// Provider verifies a user's identity. A real KYC/KYB vendor plugs in here; the sandbox provider
// decides deterministically. Decide is called for u's current attempt (u.Attempts) and again for
// the same attempt when the job is retried or polls a Pending decision, so it must be idempotent
// per attempt. An error is retried with backoff; a *RetryAfterError is retried after its delay.
type Provider interface {
	Decide(ctx context.Context, u *User) (Decision, error)
}

// ApplyDecision records a provider's decision on a user's attempt, with its events, in one
// transaction. A decision for an attempt that is no longer current (the user moved on, was
// redacted, or the job ran twice) changes nothing.
func (s *UserService) ApplyDecision(ctx context.Context, tenantID, userID string, attempt int, d Decision) error {
	err := s.store.InTx(ctx, func(tx Tx) error {
		_, err := s.applyAttempt(ctx, tx, tenantID, userID, attempt, false, func(*User) Decision { return d })
		return err
	})
	if err != nil {
		return fmt.Errorf("apply decision: %w", err)
	}
	return nil
}

// applyAttempt applies decide's decision about the user to its attempt, within tx, when the attempt
// is current: the user is VERIFYING at that attempt (or, with fromReview, in REVIEW there and the
// decision is final), is not redacted, and the decision is not Pending. It reports whether the
// user changed.
func (s *UserService) applyAttempt(ctx context.Context, tx Tx, tenantID, userID string, attempt int, fromReview bool, decide func(*User) Decision) (bool, error) {
	u, err := tx.GetUserForUpdate(ctx, tenantID, userID)
	if err != nil {
		return false, err
	}
	if u.Attempts != attempt || u.Redacted() || (u.Status != StatusVerifying && (!fromReview || u.Status != StatusReview)) {
		return false, nil
	}
	d := decide(u)
	final := d.Status == StatusVerified || d.Status == StatusRejected
	if d.Status == StatusVerifying || (u.Status == StatusReview && !final) {
		return false, nil
	}
	if err := s.decide(ctx, tx, u, d); err != nil {
		return false, err
	}
	return true, tx.UpdateUser(ctx, u)
}

// ReviewDecision is a person's decision on a user in REVIEW.
type ReviewDecision struct {
	// Approve verifies the user; otherwise it is rejected.
	Approve bool
	// Reason tells the user why it was rejected ("": DefaultReviewReason).
	Reason string
	// DeveloperReason tells the integrator's developers why ("": DefaultReviewDeveloperReason).
	DeveloperReason string
	// By is the operator who decided, nil for the sandbox helper. When set, the decision is
	// recorded in the audit trail in the decision's transaction.
	By *Reviewer
}

// The reasons of a rejection in manual review that gives none.
const (
	DefaultReviewReason          = "Your information could not be verified"
	DefaultReviewDeveloperReason = "Rejected in manual review."
)

// Review resolves a user in REVIEW: approving verifies it (event user.verification.accepted),
// rejecting rejects it with the decision's reasons (user.verification.failed), in one transaction
// with the events, their deliveries and, when d.By is set, the audit entry. A user who is not in
// REVIEW is an EInvalidTransition; an erased one EInvalid; an unknown one ENotFound.
func (s *UserService) Review(ctx context.Context, tenantID, userID string, d ReviewDecision) (*User, error) {
	var out *User
	err := s.store.InTx(ctx, func(tx Tx) error {
		u, err := tx.GetUserForUpdate(ctx, tenantID, userID)
		if err != nil {
			return err
		}
		if u.Redacted() {
			return errRedacted()
		}
		if u.Status != StatusReview {
			return Errorf(EInvalidTransition, "Only a user in REVIEW can be reviewed; this user is %s.", u.Status)
		}
		verdict, outcome := Decision{Status: StatusVerified, VerifiedFields: CheckedFields(u.Type, &u.Fields)}, "approve"
		if !d.Approve {
			verdict, outcome = Decision{Status: StatusRejected, Reasons: []Reason{{
				Reason:          cmp.Or(d.Reason, DefaultReviewReason),
				DeveloperReason: cmp.Or(d.DeveloperReason, DefaultReviewDeveloperReason),
				CreatedAt:       timestamp.Of(s.now()),
			}}}, "reject"
		}
		if err := s.decide(ctx, tx, u, verdict); err != nil {
			return err
		}
		if d.By != nil {
			err := tx.AppendAudit(ctx, &AuditEntry{ID: s.newID(), OperatorID: d.By.OperatorID, Action: AuditDecision,
				TenantID: tenantID, UserID: userID, Detail: outcome, RequestID: d.By.RequestID, CreatedAt: s.now()})
			if err != nil {
				return err
			}
		}
		out = u
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		return nil, fmt.Errorf("review user: %w", err)
	}
	return out, nil
}

// decide moves u to the decision's status and appends the matching events.
func (s *UserService) decide(ctx context.Context, tx Tx, u *User, d Decision) error {
	if err := s.changeStatus(ctx, tx, u, d.Status); err != nil {
		return err
	}
	switch d.Status {
	case StatusVerified:
		u.Reasons = nil
		fields := d.VerifiedFields
		if fields == nil {
			fields = []string{}
		}
		return s.appendEvent(ctx, tx, u, EventVerificationAccepted, map[string]any{
			"user_id": u.ID, "status": StatusVerified, "verified_fields": fields,
		})
	case StatusRejected:
		u.Reasons = d.Reasons
		return s.appendEvent(ctx, tx, u, EventVerificationFailed, map[string]any{
			"user_id": u.ID, "status": StatusRejected, "reasons": d.Reasons,
		})
	case StatusReview, StatusCreated:
		u.Reasons = d.Reasons
	}
	return nil
}
