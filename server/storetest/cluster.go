package storetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// Cluster is a PostgreSQL server of the test's own, on a private port, which the test may stop
// and start again to cause an outage. (The machine's shared server is never stopped.)
type Cluster struct {
	// URL reaches the cluster's postgres database.
	URL  string
	bin  string
	dir  string
	port int
	// runAs is the command prefix that runs PostgreSQL's tools as the postgres user when the
	// test runs as root, which PostgreSQL refuses to run as.
	runAs []string
}

// StartCluster creates and starts a PostgreSQL cluster in a temporary directory, removed when the
// test ends. Without PostgreSQL's server binaries the test is skipped, or fails when CI=true.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		const msg = "an outage test needs PostgreSQL's server binaries (initdb, pg_ctl: Debian's postgresql package)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	c := &Cluster{bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "kira-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	c.port = freePort(t)
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	c.run(t, "initdb", "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
	c.Start(t)
	t.Cleanup(func() {
		// The test may have stopped it already.
		argv := c.command("pg_ctl", "stop", "-D", filepath.Join(dir, "data"), "-m", "immediate")
		_ = exec.Command(argv[0], argv[1:]...).Run()
	})
	return c
}

// Start starts the cluster and waits until it accepts connections.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.dir)
	c.pgctl(t, "start", "-o", opts, "-l", filepath.Join(c.dir, "postgres.log"))
}

// Stop stops the cluster at once (fast shutdown: sessions are ended, transactions rolled back).
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	c.pgctl(t, "stop", "-m", "fast")
}

func (c *Cluster) pgctl(t testing.TB, action string, args ...string) {
	t.Helper()
	c.run(t, "pg_ctl", append([]string{action, "-D", filepath.Join(c.dir, "data"), "-w", "-t", "60"}, args...)...)
}

func (c *Cluster) run(t testing.TB, tool string, args ...string) {
	t.Helper()
	argv := c.command(tool, args...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, args, err, out)
	}
}

// command is the argv that runs one of PostgreSQL's tools.
func (c *Cluster) command(tool string, args ...string) []string {
	return append(append(append([]string{}, c.runAs...), filepath.Join(c.bin, tool)), args...)
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
