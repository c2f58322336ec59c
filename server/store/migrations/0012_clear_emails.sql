-- Users written before 0005 keep their email in the clear in users.email_lower until their next
-- write, so a search by email looks up both the keyed hash and the clear email. This records
-- whether any such user is left; a database without one (every database created since 0005)
-- searches by the keyed hash alone, one index range read in order.
INSERT INTO settings (name, value)
SELECT 'users_with_clear_emails', 'yes'
WHERE EXISTS (SELECT 1 FROM users u WHERE u.redacted_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM user_keys k WHERE k.user_id = u.id));
