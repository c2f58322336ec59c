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
