package kyc

import (
	"context"
	"fmt"
	"time"
)

// VendorCheck is an external vendor's record of one verification attempt (a Persona inquiry): the
// vendor's id for it, and the attempt of the user it checks. The vendor's id is what its callbacks
// name; it holds no personal data.
type VendorCheck struct {
	Provider  string
	ID        string
	TenantID  string
	UserID    string
	Attempt   int
	CreatedAt time.Time
}

// RetryAfterError is a provider's "ask again after After" (a vendor's 429 with Retry-After): the
// verification job waits that long before it asks again, without counting a failed attempt.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// RecordVendorCheck stores that a vendor checks a user's attempt (EConflict if the vendor's id, or
// the attempt's check by that provider, is already recorded).
func (s *UserService) RecordVendorCheck(ctx context.Context, c *VendorCheck) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now().UTC()
	}
	err := s.store.InTx(ctx, func(tx Tx) error { return tx.InsertVendorCheck(ctx, c) })
	if err != nil {
		return fmt.Errorf("record vendor check: %w", err)
	}
	return nil
}

// VendorCheckFor returns the provider's check of a user's attempt; ENotFound if none is recorded.
func (s *UserService) VendorCheckFor(ctx context.Context, provider, tenantID, userID string, attempt int) (*VendorCheck, error) {
	c, err := s.store.VendorCheckFor(ctx, provider, tenantID, userID, attempt)
	if err != nil {
		return nil, fmt.Errorf("get vendor check: %w", err)
	}
	return c, nil
}

// VendorOutcome is what ApplyVendorDecision did.
type VendorOutcome int

// The outcomes of ApplyVendorDecision.
const (
	// VendorApplied: the decision changed the user.
	VendorApplied VendorOutcome = iota
	// VendorDuplicate: the event was received before; nothing changed.
	VendorDuplicate
	// VendorStale: the decision is about an attempt that is no longer current, or says nothing
	// new (Pending); it is recorded as received, and nothing changed.
	VendorStale
)

// ApplyVendorDecision records a vendor's decision, delivered by its event eventID about its check
// checkID, in one transaction: the event is claimed (an event received before is a
// VendorDuplicate and changes nothing), and decide's decision about the check's user (decide maps
// the vendor's verdict, with the user at hand for its verified fields) applied to its attempt as
// ApplyDecision does, except that a final decision (VERIFIED, REJECTED) also resolves the attempt
// when it is in REVIEW, since the vendor's reviewers decide in the vendor's dashboard. A check
// that is not recorded is ENotFound, and the event stays unclaimed (the vendor retries it).
func (s *UserService) ApplyVendorDecision(ctx context.Context, provider, eventID, checkID string, decide func(*User) Decision) (VendorOutcome, error) {
	out := VendorStale
	err := s.store.InTx(ctx, func(tx Tx) error {
		c, err := tx.VendorCheckByID(ctx, provider, checkID)
		if err != nil {
			return err
		}
		fresh, err := tx.ClaimVendorEvent(ctx, provider, eventID, s.now().UTC())
		if err != nil {
			return err
		}
		if !fresh {
			out = VendorDuplicate
			return nil
		}
		changed, err := s.applyAttempt(ctx, tx, c.TenantID, c.UserID, c.Attempt, true, decide)
		if changed {
			out = VendorApplied
		}
		return err
	})
	if err != nil {
		return out, fmt.Errorf("apply vendor decision: %w", err)
	}
	return out, nil
}
