package kyc

// transitions is the status state machine: from -> the statuses it may move to.
//
//	CREATED -> VERIFYING -> VERIFIED | REJECTED
//	VERIFYING -> REVIEW -> VERIFIED | REJECTED
//	REJECTED -> VERIFYING (review & retry: corrected data or a new session)
//	VERIFIED -> VERIFYING (verified identity data changed: it is verified again)
//	VERIFYING -> CREATED (the vendor's flow expired before the end user finished it: the user is
//	             asked again, with a reason, and may start a new attempt)
var transitions = map[Status][]Status{
	StatusCreated:   {StatusVerifying},
	StatusVerifying: {StatusVerified, StatusRejected, StatusReview, StatusCreated},
	StatusReview:    {StatusVerified, StatusRejected},
	StatusRejected:  {StatusVerifying},
	StatusVerified:  {StatusVerifying},
}

// CanTransition reports whether a user may move from one status to another.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}
