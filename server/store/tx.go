package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/secret"
)

// tx is a kyc.Tx: the store's SQL on one transaction, and River's inserts in it.
type tx struct {
	s       *Store
	q       querier
	enqueue enqueueFunc
	// afterCommit runs once the transaction has committed.
	afterCommit []func(context.Context)
	// users are what the transaction knows of the users it read or wrote.
	users map[kyc.UserRef]*txUser
}

// txUser is what a transaction knows of a user it read or wrote, so that it reads each thing at
// most once and writes only what changed.
type txUser struct {
	// sealer is the sealer of the user's data key; nil when the transaction has none.
	sealer *secret.Sealer
	// uploads are the ids of the user's stored uploads, when uploadsKnown: those its fields listed
	// when the transaction read it, or those it last wrote.
	uploads      []string
	uploadsKnown bool
}

// known returns what the transaction knows of the user, empty at first.
func (t *tx) known(tenantID, userID string) *txUser {
	ref := kyc.UserRef{TenantID: tenantID, ID: userID}
	k := t.users[ref]
	if k == nil {
		if t.users == nil {
			t.users = map[kyc.UserRef]*txUser{}
		}
		k = &txUser{}
		t.users[ref] = k
	}
	return k
}

// sealer returns the sealer of the user's data key that the transaction already has, or nil.
func (t *tx) sealer(tenantID, userID string) *secret.Sealer {
	if k := t.users[kyc.UserRef{TenantID: tenantID, ID: userID}]; k != nil {
		return k.sealer
	}
	return nil
}

// forget drops what the transaction knows of the user (erased).
func (t *tx) forget(tenantID, userID string) {
	delete(t.users, kyc.UserRef{TenantID: tenantID, ID: userID})
}

// GetUserForUpdate reads a user and locks it until the transaction ends (on SQLite the
// transaction already holds the database's write lock); ENotFound if the tenant has no such user.
func (t *tx) GetUserForUpdate(ctx context.Context, tenantID, id string) (*kyc.User, error) {
	u, sealer, err := t.s.getUser(ctx, t.q, tenantID, id, t.s.db.dialect().forUpdate)
	if err != nil {
		return nil, err
	}
	k := t.known(tenantID, id)
	k.sealer, k.uploads, k.uploadsKnown = sealer, uploadIDs(u.Fields.Documents()), true
	return u, nil
}

// InsertUser inserts u (EConflict if its id is taken), with a new data key that seals its
// personal data, and its uploaded documents' content (writeDocuments). It sets u's timestamps to the stored
// values: UTC, to the microsecond, now where they were zero.
func (t *tx) InsertUser(ctx context.Context, u *kyc.User) error {
	u.CreatedAt, u.UpdatedAt = t.s.timestamp(u.CreatedAt), t.s.timestamp(u.UpdatedAt)
	sealer, err := t.s.newUserKey(ctx, t.q, u.TenantID, u.ID)
	if err != nil {
		return err
	}
	rec, err := t.s.encodeUser(u, sealer)
	if err != nil {
		return err
	}
	_, err = t.q.exec(ctx, `INSERT INTO users (id, tenant_id, type, status, email_lower, attempts, public, secrets, reasons, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?)`,
		u.ID, u.TenantID, string(u.Type), string(u.Status), rec.emailKey, u.Attempts, rec.fields, rec.reasons, u.CreatedAt, u.UpdatedAt)
	if err != nil {
		return writeError("insert user", "A user with this id already exists.", err)
	}
	k := t.known(u.TenantID, u.ID)
	k.sealer, k.uploads, k.uploadsKnown = sealer, nil, true // a new user has no stored uploads
	return t.writeDocuments(ctx, u, sealer)
}

// UpdateUser stores u's status, fields, attempts and reasons (its type and creation time do not
// change), its new uploads, and deletes the documents it no longer lists; ENotFound if the
// tenant has no such user. It sets u.UpdatedAt to the stored value.
func (t *tx) UpdateUser(ctx context.Context, u *kyc.User) error {
	u.UpdatedAt = t.s.timestamp(u.UpdatedAt)
	sealer := t.sealer(u.TenantID, u.ID)
	if sealer == nil {
		var err error
		if sealer, err = t.s.writableUserKey(ctx, t.q, u.TenantID, u.ID); err != nil {
			return err
		}
		t.known(u.TenantID, u.ID).sealer = sealer
	}
	rec, err := t.s.encodeUser(u, sealer)
	if err != nil {
		return err
	}
	n, err := t.q.exec(ctx, `UPDATE users SET status = ?, email_lower = ?, attempts = ?, public = '{}', secrets = ?, reasons = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`,
		string(u.Status), rec.emailKey, u.Attempts, rec.fields, rec.reasons, u.UpdatedAt, u.TenantID, u.ID)
	if err != nil {
		return dbError("update user", err)
	}
	if n == 0 {
		return notFound("User")
	}
	return t.writeDocuments(ctx, u, sealer)
}

// AppendEvent adds e to its tenant's event log (EConflict if its id is taken). It sets
// e.CreatedAt to the stored value. A payload that holds personal data (user.created's email and
// phone) is stored sealed under its user's data key, beside its redacted form (kyc.RedactPayload)
// in the clear, which is all that is left once the user is erased. A user written before data
// keys has none yet: its events are stored as they are until it gets one.
func (t *tx) AppendEvent(ctx context.Context, e *kyc.Event) error {
	if !json.Valid(e.Payload) {
		return errors.New("append event: the payload is not JSON")
	}
	e.CreatedAt = t.s.timestamp(e.CreatedAt)
	stored, sealed, err := t.sealPayload(ctx, e)
	if err != nil {
		return err
	}
	_, err = t.q.exec(ctx, "INSERT INTO events (id, tenant_id, type, user_id, created_at, payload, sealed_payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
		e.ID, e.TenantID, string(e.Type), e.UserID, e.CreatedAt, string(stored), sealed)
	if err != nil {
		return writeError("append event", "An event with this id already exists.", err)
	}
	return nil
}

// sealPayload returns what AppendEvent stores of e's payload: in the clear, and sealed (nil when
// the payload holds no personal data or its user has no data key).
func (t *tx) sealPayload(ctx context.Context, e *kyc.Event) (stored json.RawMessage, sealed []byte, err error) {
	redacted, err := kyc.RedactPayload(e.Payload)
	if err != nil || bytes.Equal(redacted, e.Payload) {
		return e.Payload, nil, err
	}
	sealer := t.sealer(e.TenantID, e.UserID)
	if sealer == nil {
		var key []byte
		err = t.q.queryRow(ctx, "SELECT data_key FROM user_keys WHERE user_id = ? AND tenant_id = ?", e.UserID, e.TenantID).Scan(&key)
		if isNoRows(err) {
			return e.Payload, nil, nil
		}
		if err != nil {
			return nil, nil, dbError("read user data key", err)
		}
		if sealer, err = t.s.userSealer(e.TenantID, e.UserID, key); err != nil {
			return nil, nil, err
		}
		t.known(e.TenantID, e.UserID).sealer = sealer
	}
	return redacted, sealer.Seal(e.Payload, eventAAD(e.TenantID, e.ID)), nil
}

// SubscribedEndpoints returns the ids of the tenant's enabled endpoints that take events of type
// typ, oldest first.
func (t *tx) SubscribedEndpoints(ctx context.Context, tenantID string, typ kyc.EventType) ([]string, error) {
	return subscribedEndpoints(ctx, t.q, tenantID, typ)
}

// QueueDelivery stores the pending delivery d and queues a River job jobs.DeliverWebhookArgs for
// it in the transaction, inserted with the transaction's other deliveries' jobs when its function
// returns (runWithJobs). It sets d's times to the stored values.
func (t *tx) QueueDelivery(ctx context.Context, d *kyc.Delivery) error {
	d.CreatedAt, d.UpdatedAt, d.NextAttemptAt = t.s.timestamp(d.CreatedAt), t.s.timestamp(d.UpdatedAt), t.s.timestamp(d.NextAttemptAt)
	_, err := t.q.exec(ctx, "INSERT INTO deliveries ("+deliveryColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		d.ID, d.TenantID, d.EventID, d.EndpointID, string(d.Status), d.NextAttemptAt, d.CreatedAt, d.UpdatedAt)
	if err != nil {
		return writeError("queue delivery", "A delivery with this id already exists.", err)
	}
	args := jobs.DeliverWebhookArgs{DeliveryID: d.ID}
	opts := args.InsertOpts()
	if err := t.enqueue(ctx, args, &opts); err != nil {
		return dbError("queue delivery", err)
	}
	return nil
}

// EnqueueVerification queues a River job jobs.VerifyUserArgs in the transaction. The job is
// unique by its arguments: an attempt is queued once, however often it is enqueued.
func (t *tx) EnqueueVerification(ctx context.Context, job kyc.VerificationJob) error {
	args := jobs.VerifyUserArgs{TenantID: job.TenantID, UserID: job.UserID, Attempt: job.Attempt}
	opts := args.InsertOpts()
	opts.ScheduledAt = job.RunAt
	err := t.enqueue(ctx, args, &opts)
	if err != nil {
		return dbError("enqueue verification", err)
	}
	return nil
}
