package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/kiraapi/kira/server/secret"
)

// keyFingerprintSetting names the setting that holds the fingerprint of the encryption key the
// database was first opened with.
const keyFingerprintSetting = "encryption_key_fingerprint"

// ErrWrongKey is returned by Open when the keyring's master key is not the one the database's data
// is sealed with: such a process could read no personal data and would fail every job it took.
var ErrWrongKey = errors.New("the encryption key is not the one this database was first opened with")

// checkKeyring records the keyring's fingerprint on the database's first open and, on every later
// one, refuses a keyring with another. A database that holds users from before fingerprints were
// recorded must open one of them with the keyring before its fingerprint is recorded.
func (s *Store) checkKeyring(ctx context.Context) error {
	fingerprint := s.keyring.Fingerprint()
	var stored string
	err := s.db.writer().queryRow(ctx, "SELECT value FROM settings WHERE name = ?", keyFingerprintSetting).Scan(&stored)
	switch {
	case err == nil:
		if stored != fingerprint {
			return fmt.Errorf("%w (the database's key has fingerprint %s, this one %s): start with the database's KIRA_ENCRYPTION_KEY",
				ErrWrongKey, stored, fingerprint)
		}
		return nil
	case !isNoRows(err):
		return dbError("read the key fingerprint", err)
	}
	if err := s.opensAUser(ctx); err != nil {
		return err
	}
	if _, err := s.db.writer().exec(ctx, "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
		keyFingerprintSetting, fingerprint); err != nil {
		return dbError("record the key fingerprint", err)
	}
	return s.checkKeyring(ctx) // another process may have recorded its own first
}

// opensAUser checks that the keyring opens the sealed data of a user that was not redacted, if
// there is any.
func (s *Store) opensAUser(ctx context.Context) error {
	var tenantID, id string
	err := s.db.reader().queryRow(ctx, "SELECT tenant_id, id FROM users WHERE redacted_at IS NULL LIMIT 1").Scan(&tenantID, &id)
	if isNoRows(err) {
		return nil
	}
	if err != nil {
		return dbError("read a user", err)
	}
	if _, err := s.GetUser(ctx, tenantID, id); errors.Is(err, secret.ErrOpen) {
		return fmt.Errorf("%w: it does not open the users' personal data", ErrWrongKey)
	} else if err != nil {
		return err
	}
	return nil
}

// clearEmailsSetting names the setting that says users written before data keys may remain,
// whose email_lower holds the email in the clear rather than its keyed hash (migration 0012).
const clearEmailsSetting = "users_with_clear_emails"

// checkClearEmails learns whether a search by email must also look up clear emails: while the
// setting is recorded and such a user remains. Once none remains (each one's next write gives it
// a data key), it deletes the setting, and the stores opened after it look up the keyed hash only.
func (s *Store) checkClearEmails(ctx context.Context) error {
	var v string
	err := s.db.writer().queryRow(ctx, "SELECT value FROM settings WHERE name = ?", clearEmailsSetting).Scan(&v)
	switch {
	case isNoRows(err):
		s.clearEmails = false
		return nil
	case err != nil:
		return dbError("read the clear-emails setting", err)
	}
	var left int
	if err := s.db.writer().queryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM users u WHERE u.redacted_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM user_keys k WHERE k.user_id = u.id) LIMIT 1) AS legacy`).Scan(&left); err != nil {
		return dbError("look for users without data keys", err)
	}
	if s.clearEmails = left > 0; s.clearEmails {
		return nil
	}
	if _, err := s.db.writer().exec(ctx, "DELETE FROM settings WHERE name = ?", clearEmailsSetting); err != nil {
		return dbError("delete the clear-emails setting", err)
	}
	return nil
}
