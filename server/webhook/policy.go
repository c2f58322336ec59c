package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/kiraapi/kira/server/jobs"
)

// DeliveryTimeout bounds one delivery attempt, from connecting to reading the response.
const DeliveryTimeout = 15 * time.Second

// resolveTimeout bounds the DNS lookup of an endpoint's host at registration.
const resolveTimeout = 5 * time.Second

// ErrForbiddenAddress is the error of a delivery whose host resolved to an address the policy
// refuses.
var ErrForbiddenAddress = errors.New("the endpoint's address is not allowed")

// The reasons CheckURL gives. They are shown to clients, so they never repeat the URL.
var (
	errNotHTTPS      = errors.New("must be an absolute https URL")
	errNotHTTP       = errors.New("must be an absolute http or https URL")
	errCredentials   = errors.New("must not contain credentials")
	errUnresolvable  = errors.New("must have a host that resolves")
	errPrivate       = errors.New("must not point to a private, loopback or link-local address")
	errPrivateOrLoop = errors.New("must not point to a private or link-local address")
)

// reserved are special-purpose ranges that netip's predicates do not cover and that deliveries
// must not reach either.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64, which reaches IPv4 addresses, private ones too
	netip.MustParsePrefix("64:ff9b:1::/48"), // local NAT64
	netip.MustParsePrefix("2001::/32"),      // Teredo
	netip.MustParsePrefix("2002::/16"),      // 6to4
}

// Policy says where deliveries may go. In production (the zero Policy) an endpoint must be an
// https URL whose host is a public address. Sandbox also allows http and loopback addresses, so
// that integrators can receive on 127.0.0.1; private, link-local, multicast and unspecified
// addresses are refused in both modes.
//
// Addresses are checked when an endpoint is registered (the literal IP, or every address its host
// resolves to) and again on every delivery, by the dialer, after resolution: a host that resolves
// to a public address at registration and to a private one later (DNS rebinding) gains nothing.
type Policy struct {
	Sandbox bool
	// Resolver resolves hosts at registration; nil means net.DefaultResolver.
	Resolver *net.Resolver
}

// CheckURL returns why deliveries may not go to rawURL, nil if they may. It is a kyc.URLChecker.
func (p Policy) CheckURL(ctx context.Context, rawURL string) error {
	bad := errNotHTTPS
	if p.Sandbox {
		bad = errNotHTTP
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || u.Opaque != "" || (u.Scheme != "https" && (u.Scheme != "http" || !p.Sandbox)) {
		return bad
	}
	if u.User != nil {
		return errCredentials
	}
	if addr, err := netip.ParseAddr(u.Hostname()); err == nil {
		return p.checkAddr(addr)
	}
	resolver := p.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	addrs, err := resolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil || len(addrs) == 0 {
		return errUnresolvable
	}
	for _, addr := range addrs {
		if err := p.checkAddr(addr); err != nil {
			return err
		}
	}
	return nil
}

func (p Policy) checkAddr(addr netip.Addr) error {
	switch {
	case p.allowed(addr):
		return nil
	case p.Sandbox:
		return errPrivateOrLoop
	}
	return errPrivate
}

// allowed reports whether deliveries may connect to addr.
func (p Policy) allowed(addr netip.Addr) bool {
	addr = addr.Unmap()
	if addr.IsLoopback() {
		return p.Sandbox
	}
	if addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() ||
		addr.IsMulticast() || addr.IsUnspecified() || !addr.IsValid() {
		return false
	}
	for _, prefix := range reserved {
		if prefix.Contains(addr) {
			return false
		}
	}
	return true
}

// control is the dialer's check of the address it is about to connect to, after DNS resolution.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !p.allowed(ap.Addr()) {
		return ErrForbiddenAddress
	}
	return nil
}

// Client returns the HTTP client deliveries are sent with. It connects only to addresses the
// policy allows, uses no proxy, follows no redirect (a 3xx is the response) and gives up after
// DeliveryTimeout. It keeps as many idle connections to one host, and in all, as a process makes
// attempts at once (jobs.WebhookWorkers), so that a busy endpoint's attempts reuse them.
func (p Policy) Client() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: p.control}
	return &http.Client{
		Timeout: DeliveryTimeout,
		Transport: &http.Transport{
			DialContext:            dialer.DialContext,
			ForceAttemptHTTP2:      true,
			TLSHandshakeTimeout:    10 * time.Second,
			MaxIdleConns:           jobs.WebhookWorkers,
			MaxIdleConnsPerHost:    jobs.WebhookWorkers,
			IdleConnTimeout:        90 * time.Second,
			MaxResponseHeaderBytes: 64 << 10,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
