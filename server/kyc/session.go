package kyc

import (
	"context"
	"fmt"
	"time"
)

// SessionTTL is how long a hosted verification link stays usable.
const SessionTTL = 24 * time.Hour

// SessionStatus is where a hosted verification session is.
type SessionStatus string

// The session statuses.
const (
	SessionPending   SessionStatus = "pending"
	SessionCompleted SessionStatus = "completed"
	SessionExpired   SessionStatus = "expired"
)

// Session is a hosted verification session: a single-use page where the end user completes what
// automatic verification still needs, then is sent to RedirectURI.
type Session struct {
	ID          string
	TenantID    string
	UserID      string
	Type        string
	Status      SessionStatus
	RedirectURI string
	ExpiresAt   time.Time
	CompletedAt time.Time
	CreatedAt   time.Time
}

// Errors of the hosted page, which it shows as pages of their own.
const (
	ESessionExpired = "session_expired"
	ESessionUsed    = "session_used"
)

// StatusAt is the session's status at t: a pending session past its expiry is expired.
func (s *Session) StatusAt(t time.Time) SessionStatus {
	if s.Status == SessionPending && !t.Before(s.ExpiresAt) {
		return SessionExpired
	}
	return s.Status
}

// CreateSession opens a hosted verification session for a CREATED user (the manual flow) or a
// REJECTED one (re-issue). Older pending sessions of the user are expired: one link is live at a
// time. A user who is VERIFYING, REVIEW or VERIFIED gets EInvalidTransition; one with no attempts
// left gets EAttemptsExhausted.
func (s *UserService) CreateSession(ctx context.Context, tenantID, userID, redirectURI string) (*Session, error) {
	var out *Session
	err := s.store.InTx(ctx, func(tx Tx) error {
		u, err := tx.GetUserForUpdate(ctx, tenantID, userID)
		if err != nil {
			return err
		}
		out, err = s.openSession(ctx, tx, u, redirectURI)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create verification session: %w", err)
	}
	return out, nil
}

// openSession opens a hosted verification session for u within tx, by the rules of CreateSession.
func (s *UserService) openSession(ctx context.Context, tx Tx, u *User, redirectURI string) (*Session, error) {
	if u.Redacted() {
		return nil, errRedacted()
	}
	if u.Status != StatusCreated && u.Status != StatusRejected {
		return nil, Errorf(EInvalidTransition, "A user who is %s cannot start a verification session.", u.Status)
	}
	if s.AttemptsLeft(u) == 0 {
		return nil, Errorf(EAttemptsExhausted, "This user has used all %d verification attempts.", s.maxAttempts)
	}
	now := s.now().UTC()
	if err := tx.ExpirePendingSessions(ctx, u.TenantID, u.ID, now); err != nil {
		return nil, err
	}
	se := &Session{
		ID: s.newID(), TenantID: u.TenantID, UserID: u.ID, Type: "embedded-link", Status: SessionPending,
		RedirectURI: redirectURI, ExpiresAt: now.Add(SessionTTL), CreatedAt: now,
	}
	if err := tx.InsertSession(ctx, se); err != nil {
		return nil, err
	}
	return se, nil
}

// ListSessions returns the user's sessions, newest first; ENotFound if the tenant has no such user.
func (s *UserService) ListSessions(ctx context.Context, tenantID, userID string) ([]*Session, error) {
	if _, err := s.store.GetUser(ctx, tenantID, userID); err != nil {
		return nil, fmt.Errorf("list verification sessions: %w", err)
	}
	sessions, err := s.store.ListSessions(ctx, tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("list verification sessions: %w", err)
	}
	now := s.now()
	for _, se := range sessions {
		se.Status = se.StatusAt(now)
	}
	return sessions, nil
}

// OpenSession returns a usable session and its user, for the hosted page: ENotFound for an unknown
// session, ESessionExpired or ESessionUsed for one that can no longer be used.
func (s *UserService) OpenSession(ctx context.Context, id string) (*Session, *User, error) {
	se, err := s.store.GetSession(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("open verification session: %w", err)
	}
	if err := usable(se, s.now()); err != nil {
		return nil, nil, err
	}
	u, err := s.store.GetUser(ctx, se.TenantID, se.UserID)
	if err != nil {
		return nil, nil, fmt.Errorf("open verification session: %w", err)
	}
	return se, u, nil
}

// SubmitSession applies what the end user entered on the hosted page and starts verification, in
// one transaction that also uses up the session. The rules of UpdateUser apply, except that a
// complete CREATED or REJECTED user starts verification even if the page changed nothing.
func (s *UserService) SubmitSession(ctx context.Context, id string, p Patch) (*Session, *User, error) {
	var se *Session
	var u *User
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		if se, err = tx.GetSessionForUpdate(ctx, id); err != nil {
			return err
		}
		if err := usable(se, s.now()); err != nil {
			return err
		}
		if u, err = tx.GetUserForUpdate(ctx, se.TenantID, se.UserID); err != nil {
			return err
		}
		res, err := s.update(ctx, tx, u, p)
		if err != nil {
			return err
		}
		// The page is a request for verification: a complete user who changed nothing is verified
		// as they are.
		if !res.Triggered && len(s.MissingFields(u)) == 0 && (u.Status == StatusCreated || u.Status == StatusRejected) {
			if err := s.startVerification(ctx, tx, u); err != nil {
				return err
			}
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
			res.Triggered = true
		}
		if !res.Triggered {
			return &Error{Code: EInvalid, Message: "The information is not complete.", Fields: s.missingErrors(u)}
		}
		se.Status, se.CompletedAt = SessionCompleted, s.now().UTC()
		return tx.UpdateSession(ctx, se)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("submit verification session: %w", err)
	}
	return se, u, nil
}

func usable(se *Session, now time.Time) error {
	switch se.StatusAt(now) {
	case SessionExpired:
		return Errorf(ESessionExpired, "This verification link has expired.")
	case SessionCompleted:
		return Errorf(ESessionUsed, "This verification link has already been used.")
	}
	return nil
}

func (s *UserService) missingErrors(u *User) []FieldError {
	var out []FieldError
	for _, m := range s.MissingFields(u) {
		out = append(out, FieldError{Field: m, Message: "is required"})
	}
	return out
}
