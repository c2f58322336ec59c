package openapi_test

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/apitest"
)

// newOperation is the operation TestAddingAnOperation adds to a copy of the spec: the README's
// walkthrough, DELETE /v1/users/{userId}, answering the user as it was. It passes `make check`'s
// lint as it is (the responses and headers of the other operations).
const newOperation = `    delete:
      tags: [Users]
      operationId: deleteUser
      summary: Delete a user
      description: Deletes the user and answers it as it was.
      responses:
        '200':
          description: The user, as it was.
          headers:
            Access-Control-Allow-Origin:
              $ref: '#/components/headers/Access-Control-Allow-Origin'
            X-Request-Id:
              $ref: '#/components/headers/X-Request-Id'
            RateLimit-Limit:
              $ref: '#/components/headers/RateLimit-Limit'
            RateLimit-Remaining:
              $ref: '#/components/headers/RateLimit-Remaining'
            RateLimit-Reset:
              $ref: '#/components/headers/RateLimit-Reset'
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/User'
              examples:
                verified:
                  $ref: '#/components/examples/VerifiedUser'
        '400':
          $ref: '#/components/responses/BadRequest'
        '401':
          $ref: '#/components/responses/Unauthorized'
        '404':
          $ref: '#/components/responses/NotFound'
        '429':
          $ref: '#/components/responses/TooManyRequests'
        '500':
          $ref: '#/components/responses/InternalError'
        '503':
          $ref: '#/components/responses/ServiceUnavailable'
        default:
          $ref: '#/components/responses/Error'
`

// TestAddingAnOperation walks the spec-edit loop on a copy of the module: it adds an operation to
// the spec, runs `go generate ./gen/...` and builds kirad and kira. Then the server answers the new
// operation 501 not_implemented in the error schema, and `kira mock` answers it from its example.
func TestAddingAnOperation(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and builds a copy of the module")
	}
	t.Parallel()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	operations := 0
	for _, item := range doc.Paths.Map() {
		operations += len(item.Operations())
	}

	dir := t.TempDir()
	copyModule(t, "..", dir)
	specPath := filepath.Join(dir, "openapi", "openapi.yaml")
	spec, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	anchor := []byte("  /v1/users/{userId}:\n")
	if bytes.Count(spec, anchor) != 1 {
		t.Fatalf("the spec has no single %q path item", anchor)
	}
	spec = bytes.Replace(spec, anchor, append(anchor, newOperation...), 1)
	if err := os.WriteFile(specPath, spec, 0o644); err != nil {
		t.Fatal(err)
	}
	goCmd(t, dir, "generate", "./gen/...")
	bin := filepath.Join(dir, "bin")
	goCmd(t, dir, "build", "-o", bin+string(filepath.Separator), "./server/cmd/kirad", "./client/cmd/kira")

	user := "/v1/users/e9610a11-d514-4587-85dc-e18e2b461e55"

	// kirad: 501 not_implemented, in the error schema (apitest checks every answer against it).
	kirad := apitest.Remote(t, "http://"+start(t, filepath.Join(bin, "kirad"), nil, []string{
		"KIRA_ADDR=127.0.0.1:0", "KIRA_MODE=sandbox", "KIRA_DATABASE_URL=sqlite:" + filepath.Join(dir, "kira.db"),
		"KIRA_API_KEY=kira_sk_loop_test", "KIRA_CLIENT_ID=loop-test", "KIRA_PASSWORD=loop-test-password",
	}, regexp.MustCompile(`"msg":"listening".*"addr":"([^"]+)"`)))
	creds := kirad.Login(t, "kira_sk_loop_test", "loop-test", "loop-test-password")
	resp, raw := kirad.Do(t, "DELETE", user, creds, nil)
	if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(string(raw), `"code":"not_implemented"`) {
		t.Errorf("kirad: DELETE %s = %d %s, want 501 not_implemented", user, resp.StatusCode, raw)
	}

	// kira mock: the example, and one operation more. (Its answers are those of the edited spec,
	// which the harness does not know: they are not checked against the embedded one.)
	mock := &apitest.Server{URL: "http://" + start(t, filepath.Join(bin, "kira"), []string{"mock", "--port", "0"}, nil,
		regexp.MustCompile(`Mock Kira API on http://(\S+): `+strconv.Itoa(operations+1)+` operations`)), Client: http.DefaultClient}
	resp, raw = mock.Do(t, "DELETE", user, http.Header{"X-Api-Key": {"k"}, "Authorization": {"Bearer t"}}, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(raw), `"status":"VERIFIED"`) {
		t.Errorf("kira mock: DELETE %s = %d %s, want 200 with the VerifiedUser example", user, resp.StatusCode, raw)
	}
}

// copyModule copies what building the module needs from src to dst: go.mod, go.sum, tools.go
// and the Go trees, without node_modules or the TypeScript sources.
func copyModule(t *testing.T, src, dst string) {
	t.Helper()
	for _, name := range []string{"go.mod", "go.sum", "tools.go", "openapi", "gen", "server", "client"} {
		root := filepath.Join(src, name)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(src, path)
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "node_modules" || rel == filepath.Join("openapi", "ts") {
					return filepath.SkipDir
				}
				return os.MkdirAll(filepath.Join(dst, rel), 0o755)
			}
			if !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
		})
		if err != nil {
			t.Fatalf("copy %s: %v", name, err)
		}
	}
}

// goCmd runs the go command in dir and fails the test with its output if it fails.
func goCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// start runs a program until the test ends and returns the first submatch of ready in its
// stderr (its address), once a line matches.
func start(t *testing.T, path string, args, env []string, ready *regexp.Regexp) string {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		var seen bytes.Buffer
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				_, _ = io.Copy(io.Discard, stderr)
				return
			}
			seen.WriteString(sc.Text() + "\n")
		}
		found <- "\n" + seen.String()
	}()
	select {
	case got := <-found:
		if strings.HasPrefix(got, "\n") {
			t.Fatalf("%s exited before %q:%s", filepath.Base(path), ready, got)
		}
		return got
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: no %q within 30s", filepath.Base(path), ready)
	}
	return ""
}
