package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGroupCommitKeepsEachOutcome batches four transactions into one SQLite transaction, queued
// while a first holds the writer: each caller learns its own outcome, a failing or panicking one
// is rolled back alone, and the others commit.
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
	waitFor(t, b.group, 4)
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

// waitFor waits until n transactions wait for g's next batches.
func waitFor(t *testing.T, g *groupCommit, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g.mu.Lock()
		waiting := len(g.requests) + len(g.background)
		g.mu.Unlock()
		if waiting == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d transactions waiting, want %d", waiting, n)
		}
		runtime.Gosched()
	}
}

// TestGroupCommitRequestsFirst queues two and a half batches of jobs' transactions, then a request's, behind a
// transaction that holds the writer: the request's runs in the next batch, first, and the jobs'
// in batches of maxBackgroundInBatch, in the order they came.
func TestGroupCommitRequestsFirst(t *testing.T) {
	t.Parallel()
	st, _ := openSQLiteStore(t)
	b := st.db.(*sqliteBackend)
	ctx := t.Context()
	var (
		mu  sync.Mutex
		ran []string // each transaction's name as it runs, and "commit" after each batch
	)
	record := func(name string) {
		mu.Lock()
		ran = append(ran, name)
		mu.Unlock()
	}
	tx := func(name string) func(querier, enqueueFunc) error {
		return func(q querier, _ enqueueFunc) error {
			record(name)
			_, err := q.exec(ctx, "INSERT INTO settings (name, value) VALUES (?, 'x')", name)
			return err
		}
	}
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	run := func(ctx context.Context, fn func(querier, enqueueFunc) error) {
		wg.Go(func() {
			if err := b.inTx(ctx, fn); err != nil {
				t.Error(err)
			}
		})
	}
	run(ctx, func(q querier, enqueue enqueueFunc) error {
		close(started)
		<-release
		return tx("holder")(q, enqueue)
	})
	<-started
	jobs := 2*maxBackgroundInBatch + maxBackgroundInBatch/2
	var want []string
	for i := range jobs {
		name := fmt.Sprintf("job%02d", i)
		run(asBackground(ctx), tx(name))
		// Queued one by one, so that the order they came in is known.
		waitFor(t, b.group, i+1)
		want = append(want, name)
	}
	run(ctx, tx("request"))
	waitFor(t, b.group, jobs+1)
	b.group.committed = func() { record("commit") } // read by the batch once holder returns
	close(release)
	wg.Wait()

	const n = maxBackgroundInBatch
	want = slices.Concat([]string{"holder", "commit", "request"}, want[:n], []string{"commit"}, want[n:2*n], []string{"commit"}, want[2*n:], []string{"commit"})
	if !slices.Equal(ran, want) {
		t.Fatalf("ran %v, want %v", ran, want)
	}
}

// TestBackgroundJobsMarksTheirWork checks that the job middleware runs a job's work as background.
func TestBackgroundJobsMarksTheirWork(t *testing.T) {
	marked := false
	err := (&BackgroundJobs{}).Work(t.Context(), nil, func(ctx context.Context) error {
		marked = ctx.Value(backgroundKey{}) != nil
		return nil
	})
	if err != nil || !marked {
		t.Fatalf("a job's work ran with background = %v (error %v), want true", marked, err)
	}
}

// TestGroupCommitLeaderRunsItsOwnBatch checks that the caller whose transaction ran the writer's
// batch returns once that batch has committed, while the next batch, the transactions that came
// meanwhile, is still running.
func TestGroupCommitLeaderRunsItsOwnBatch(t *testing.T) {
	t.Parallel()
	st, _ := openSQLiteStore(t)
	b := st.db.(*sqliteBackend)
	ctx := t.Context()
	started, release := make(chan struct{}), make(chan struct{})
	nextStarted, nextRelease := make(chan struct{}), make(chan struct{})
	hold := func(started, release chan struct{}) func(querier, enqueueFunc) error {
		return func(querier, enqueueFunc) error {
			close(started)
			<-release
			return nil
		}
	}
	leader, next := make(chan error, 1), make(chan error, 1)
	go func() { leader <- b.inTx(ctx, hold(started, release)) }()
	<-started
	go func() { next <- b.inTx(asBackground(ctx), hold(nextStarted, nextRelease)) }()
	waitFor(t, b.group, 1)
	close(release)
	<-nextStarted
	select {
	case err := <-leader:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the leader's call did not return while the next batch ran")
	}
	close(nextRelease)
	if err := <-next; err != nil {
		t.Fatal(err)
	}
}
