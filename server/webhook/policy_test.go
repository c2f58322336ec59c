package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// offline resolves from /etc/hosts only (localhost), so that the tests need no DNS.
var offline = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("no DNS in tests")
}}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sandbox bool
		url     string
		want    error
	}{
		{false, "https://93.184.216.34/hooks/kira", nil},
		{false, "https://[2606:2800:220:1:248:1893:25c8:1946]:8443/hook", nil},
		{false, "http://93.184.216.34/hook", errNotHTTPS},
		{false, "ftp://93.184.216.34/hook", errNotHTTPS},
		{false, "not a url", errNotHTTPS},
		{false, "https://", errNotHTTPS},
		{false, "https://user:pass@93.184.216.34/", errCredentials},
		{false, "https://127.0.0.1/hook", errPrivate},
		{false, "https://localhost:8443/hook", errPrivate},
		{false, "https://[::1]/hook", errPrivate},
		{false, "https://[::ffff:127.0.0.1]/hook", errPrivate},
		{false, "https://10.1.2.3/hook", errPrivate},
		{false, "https://172.16.0.1/hook", errPrivate},
		{false, "https://192.168.1.10/hook", errPrivate},
		{false, "https://169.254.169.254/latest/meta-data", errPrivate},
		{false, "https://[fe80::1]/hook", errPrivate},
		{false, "https://[fd00::1]/hook", errPrivate},
		{false, "https://0.0.0.0/hook", errPrivate},
		{false, "https://100.64.0.1/hook", errPrivate},
		{false, "https://224.0.0.1/hook", errPrivate},
		{false, "https://[64:ff9b::a00:1]/hook", errPrivate},
		{false, "https://hooks.example.invalid/kira", errUnresolvable},
		{true, "http://127.0.0.1:8080/hook", nil},
		{true, "http://localhost:8080/hook", nil},
		{true, "https://[::1]/hook", nil},
		{true, "http://93.184.216.34/hook", nil},
		{true, "http://10.0.0.1/hook", errPrivateOrLoop},
		{true, "http://169.254.169.254/", errPrivateOrLoop},
		{true, "ftp://127.0.0.1/", errNotHTTP},
	}
	for _, tt := range tests {
		p := Policy{Sandbox: tt.sandbox, Resolver: offline}
		err := p.CheckURL(t.Context(), tt.url)
		if !errors.Is(err, tt.want) {
			t.Errorf("sandbox %v: CheckURL(%q) = %v, want %v", tt.sandbox, tt.url, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "127.0.0.1") || strings.Contains(err.Error(), "example")) {
			t.Errorf("the error repeats the URL: %v", err)
		}
	}
}

// TestDialerRefusesForbiddenAddresses checks the delivery-time guard: whatever a URL passed at
// registration, the production client does not connect to a loopback address, given literally or
// by a name that resolves to it (as a rebinding DNS server would answer).
func TestDialerRefusesForbiddenAddresses(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	for _, host := range []string{"127.0.0.1", "localhost"} {
		url := "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/hook"
		resp, err := Policy{}.Client().Post(url, "application/json", nil)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("production client reached %s", url)
		}
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: error %v, want ErrForbiddenAddress", host, err)
		}
		resp, err = Policy{Sandbox: true}.Client().Post(url, "application/json", nil)
		if err != nil {
			t.Fatalf("sandbox client: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("sandbox client: status %d", resp.StatusCode)
		}
	}
	if err := (Policy{}).control("tcp4", "not an address", nil); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("control of a malformed address = %v", err)
	}
}
