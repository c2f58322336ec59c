package store

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestGroupCommitKeepsEachOutcome batches five transactions into one SQLite transaction (the
// first holds the writer until the others wait): each caller learns its own outcome, a failing or
// panicking one is rolled back alone, and the others commit.
func TestGroupCommitKeepsEachOutcome(t *testing.T) {
	t.Parallel()
	st, _ := openSQLiteStore(t)
	b := st.db.(*sqliteBackend)
	ctx := t.Context()
	insert := func(q querier, name string) error {
		_, err := q.exec(ctx, "INSERT INTO settings (name, value) VALUES (?, 'x')", name)
		return err
	}
	boom := errors.New("boom")
	started, release := make(chan struct{}), make(chan struct{})
	fns := map[string]func(querier, enqueueFunc) error{
		"first": func(q querier, _ enqueueFunc) error {
			close(started)
			<-release
			return insert(q, "first")
		},
		"ok":     func(q querier, _ enqueueFunc) error { return insert(q, "ok") },
		"failed": func(q querier, _ enqueueFunc) error { _ = insert(q, "failed"); return boom },
		"panicked": func(q querier, _ enqueueFunc) error {
			_ = insert(q, "panicked")
			panic("handler bug")
		},
		"ok2": func(q querier, _ enqueueFunc) error { return insert(q, "ok2") },
	}
	results := make(chan [2]any, len(fns))
	run := func(name string) { results <- [2]any{name, b.inTx(ctx, fns[name])} }
	go run("first")
	<-started
	for _, name := range []string{"ok", "failed", "panicked", "ok2"} {
		go run(name)
	}
	// Wait until the four wait behind the first, so that they run as one batch.
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.group.mu.Lock()
		n := len(b.group.waiting)
		b.group.mu.Unlock()
		if n == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d transactions waiting, want 4", n)
		}
		runtime.Gosched()
	}
	close(release)
	outcome := map[string]error{}
	for range fns {
		r := <-results
		err, _ := r[1].(error)
		outcome[r[0].(string)] = err
	}
	if outcome["first"] != nil || outcome["ok"] != nil || outcome["ok2"] != nil || !errors.Is(outcome["failed"], boom) ||
		outcome["panicked"] == nil || !strings.Contains(outcome["panicked"].Error(), "handler bug") {
		t.Fatalf("outcomes = %v", outcome)
	}
	r, err := b.reader().query(ctx, "SELECT name FROM settings WHERE value = 'x' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var names []string
	for r.Next() {
		var n string
		if err := r.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if want := []string{"first", "ok", "ok2"}; !slices.Equal(names, want) {
		t.Fatalf("committed %v, want %v", names, want)
	}
}
