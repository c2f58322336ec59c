// Package kyc is the domain of the Kira Users & Verification API: users and the rules that make
// them complete for automatic verification, the status state machine, verification sessions,
// webhook endpoints and events, and the error type every layer speaks.
//
// It imports no HTTP, SQL or generated code; adapters (server/httpapi, the storage packages)
// translate to and from it.
package kyc
