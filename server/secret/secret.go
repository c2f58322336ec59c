// Package secret holds the service's keys and the encryption of personal data at rest.
//
// One 32-byte master key (KIRA_ENCRYPTION_KEY, or a key file in sandbox mode) is expanded with
// HKDF-SHA256 into independent subkeys: one for AES-256-GCM encryption of personal data and cached
// responses, one for signing access tokens, and one for keyed hashes of lookup values such as
// idempotency keys.
//
// Data keys (NewDataKey, OpenDataKey) are random 32-byte keys of their own, one per user, stored
// sealed under the master key: what a data key seals becomes unreadable everywhere, backups
// included, once that key is deleted (crypto-shredding).
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeySize is the size of the master key in bytes.
const KeySize = 32

// version prefixes every sealed value, so that the scheme can change without ambiguity.
const version byte = 1

// ErrOpen is returned when a sealed value cannot be decrypted (wrong key, tampered or truncated).
var ErrOpen = errors.New("secret: cannot open sealed value")

// Sealer encrypts and authenticates values with one AES-256-GCM key. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

func newSealer(key []byte) (*Sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Keyring holds the subkeys derived from the master key. Its Seal and Open use the master
// encryption subkey. It is safe for concurrent use.
type Keyring struct {
	*Sealer
	signing []byte
	hashing []byte
}

// NewDataKey returns a new random data key of KeySize bytes. Store it sealed (Keyring.Seal) and
// use it through OpenDataKey.
func NewDataKey() []byte {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		panic("secret: no randomness: " + err.Error())
	}
	return b
}

// OpenDataKey returns the Sealer of a data key made by NewDataKey; an error if it is not KeySize
// bytes.
func OpenDataKey(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: a data key must be %d bytes, got %d", KeySize, len(key))
	}
	return newSealer(key)
}

// NewKeyring derives the subkeys from a 32-byte master key.
func NewKeyring(master []byte) (*Keyring, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("secret: master key must be %d bytes, got %d", KeySize, len(master))
	}
	derive := func(label string) ([]byte, error) {
		return hkdf.Key(sha256.New, master, nil, "kira "+label, 32)
	}
	encKey, err := derive("pii encryption v1")
	if err != nil {
		return nil, fmt.Errorf("derive encryption key: %w", err)
	}
	sealer, err := newSealer(encKey)
	if err != nil {
		return nil, err
	}
	signing, err := derive("token signing v1")
	if err != nil {
		return nil, fmt.Errorf("derive signing key: %w", err)
	}
	hashing, err := derive("lookup hashing v1")
	if err != nil {
		return nil, fmt.Errorf("derive hashing key: %w", err)
	}
	return &Keyring{Sealer: sealer, signing: signing, hashing: hashing}, nil
}

// Seal encrypts plaintext with AES-256-GCM. aad binds the value to its context (a row id, say):
// a sealed value moved to another row does not open.
func (k *Sealer) Seal(plaintext, aad []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("secret: no randomness: " + err.Error())
	}
	out := make([]byte, 0, 1+len(nonce)+len(plaintext)+k.aead.Overhead())
	out = append(out, version)
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plaintext, aad)
}

// Open decrypts a value made by Seal with the same aad.
func (k *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < 1+n+k.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	plain, err := k.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// SigningKey is the HMAC key for access tokens.
func (k *Keyring) SigningKey() []byte { return k.signing }

// Hash returns a keyed hash (HMAC-SHA256, hex) of value for purpose, for looking values up
// without storing them.
func (k *Keyring) Hash(purpose, value string) string {
	m := hmac.New(sha256.New, k.hashing)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// Fingerprint identifies the master key without revealing it: 16 hex digits of a keyed hash
// (Hash) of a fixed label. Two keyrings have the same fingerprint exactly when their master keys
// are the same (but for a 2^-64 chance).
func (k *Keyring) Fingerprint() string { return k.Hash("key fingerprint", "kira")[:16] }

// ParseKey reads a master key written as base64 (standard or URL alphabet, padded or not) or as
// 64 hex digits.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("secret: the key must be %d bytes in base64 or hex", KeySize)
}

// NewKey returns a new random master key, base64-encoded.
func NewKey() string {
	return base64.StdEncoding.EncodeToString(NewDataKey())
}

// LoadOrCreateKeyFile reads the master key kept in path, creating the file (mode 0600) with a new
// key when it does not exist. It is meant for sandbox mode; production takes the key from the
// environment.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		key, err := ParseKey(string(raw))
		if err != nil {
			return nil, false, fmt.Errorf("key file %s: %w", path, err)
		}
		return key, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("read key file: %w", err)
	}
	encoded := NewKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("create key file: %w", err)
	}
	if _, err := f.WriteString(encoded + "\n"); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("write key file: %w", err)
	}
	key, err = ParseKey(encoded)
	return key, true, err
}
