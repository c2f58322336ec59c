package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/client/webhook"
	"github.com/kiraapi/kira/gen/apitypes"
)

var listenCommand = &command{
	path: "listen", flags: "--forward-to URL [--events a,b] [--interval D]",
	summary:  "Forward new events to a local receiver, signed like real deliveries.",
	noResult: true,
	setup: func(fs *flag.FlagSet) runFunc {
		forwardTo := fs.String("forward-to", "", "the receiver's `URL`, e.g. http://127.0.0.1:3000/hook")
		events := fs.String("events", "", "comma-separated event `types` to forward (default: all)")
		interval := fs.Duration("interval", time.Second, "how often to look for new events")
		return func(ctx context.Context, k *cli, _ []string) error {
			if err := required("forward-to", *forwardTo); err != nil {
				return err
			}
			if u, err := url.Parse(*forwardTo); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return &usageError{msg: "--forward-to must be an http or https URL"}
			}
			if *interval <= 0 {
				return &usageError{msg: "--interval must be positive"}
			}
			types, err := parseEventTypes("events", *events)
			if err != nil {
				return err
			}
			c, err := k.newClient()
			if err != nil {
				return err
			}
			l := &listener{
				k: k, events: c.Events, forwardTo: *forwardTo, secret: listenSecret(k.getenv("KIRA_API_KEY")),
				http: &http.Client{Timeout: 10 * time.Second}, now: time.Now, seen: map[uuid.UUID]time.Time{},
			}
			if types != nil {
				l.types = map[apitypes.EventType]bool{}
				for _, t := range types {
					l.types[t] = true
				}
			}
			return l.run(ctx, *interval)
		}
	},
}

// listenSecret is the signing secret of forwarded events: derived from the API key, so that it is
// the same on every start and a receiver's configuration keeps working.
func listenSecret(apiKey string) string {
	m := hmac.New(sha256.New, []byte(apiKey))
	m.Write([]byte("kira listen signing secret"))
	return "whsec_" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// lookback is how long after an event's time a later-committed event may still appear before it
// in the log; listen keeps looking that far back.
const lookback = time.Minute

// listener follows the event log and forwards each new event once.
type listener struct {
	k         *cli
	events    *client.EventsService
	forwardTo string
	secret    string
	types     map[apitypes.EventType]bool // nil: every type
	http      *http.Client
	now       func() time.Time

	// seen holds the events already handled whose time is not before cutoff; older ones are not
	// looked at.
	seen   map[uuid.UUID]time.Time
	cutoff time.Time
}

func (l *listener) run(ctx context.Context, interval time.Duration) error {
	if err := l.start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(l.k.stderr, "Ready! Forwarding events to %s\nWebhook signing secret: %s (the same on every start with this API key)\nPress Ctrl-C to stop.\n", l.forwardTo, l.secret)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		fresh, err := l.poll(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !transient(err):
			return err
		case err != nil:
			fmt.Fprintf(l.k.stderr, "kira: %v (still listening)\n", err)
		}
		for _, ev := range fresh {
			l.forward(ctx, ev)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// transient reports an error that a later poll may not meet: a network error, 429 or 5xx.
func transient(err error) bool {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode == http.StatusTooManyRequests || apiErr.StatusCode >= 500
	}
	return isNetwork(err)
}

// start marks the events that happened before now as handled.
func (l *listener) start(ctx context.Context) error {
	started := l.now()
	for ev, err := range l.events.List(ctx, client.EventListParams{PageSize: 100}) {
		if err != nil {
			return err
		}
		if ev.CreatedAt.Before(started) {
			l.seen[ev.Id] = ev.CreatedAt.Time
			if ev.CreatedAt.After(l.cutoff) {
				l.cutoff = ev.CreatedAt.Time
			}
		}
	}
	return nil
}

// poll returns the events not handled yet, oldest first, and marks them handled.
func (l *listener) poll(ctx context.Context) ([]apitypes.EventRecord, error) {
	var fresh []apitypes.EventRecord
	newest := l.cutoff
	for ev, err := range l.events.List(ctx, client.EventListParams{PageSize: 100}) {
		if err != nil {
			return nil, err
		}
		if ev.CreatedAt.Before(l.cutoff) {
			break
		}
		if _, ok := l.seen[ev.Id]; ok {
			continue
		}
		l.seen[ev.Id] = ev.CreatedAt.Time
		fresh = append(fresh, ev)
		if ev.CreatedAt.After(newest) {
			newest = ev.CreatedAt.Time
		}
	}
	if c := newest.Add(-lookback); c.After(l.cutoff) {
		l.cutoff = c
		for id, at := range l.seen {
			if at.Before(c) {
				delete(l.seen, id)
			}
		}
	}
	slices.Reverse(fresh)
	return fresh, nil
}

// forward delivers one event to the receiver, signed like a real delivery, and prints a line.
func (l *listener) forward(ctx context.Context, ev apitypes.EventRecord) {
	if l.types != nil && !l.types[ev.Type] {
		return
	}
	result := l.deliver(ctx, ev)
	fmt.Fprintf(l.k.stdout, "%s  %-26s  %s  -> %s\n", ev.CreatedAt.Local().Format(time.DateTime), ev.Type, ev.Id, result)
}

// deliver posts the event and returns the receiver's status, or what went wrong.
func (l *listener) deliver(ctx context.Context, ev apitypes.EventRecord) string {
	body, err := ev.Payload.MarshalJSON()
	if err != nil {
		return "error: encode the payload: " + err.Error()
	}
	at := l.now()
	id := ev.Id.String()
	signature, err := webhook.Sign(l.secret, id, at, body)
	if err != nil {
		return "error: " + err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.forwardTo, bytes.NewReader(body))
	if err != nil {
		return "error: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kira-cli")
	req.Header.Set(webhook.HeaderID, id)
	req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(webhook.HeaderSignature, signature)
	req.Header.Set(webhook.HeaderSHA256, webhook.SignatureSHA256(l.secret, body))
	resp, err := l.http.Do(req)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err // the receiver's URL is on the Ready line
		}
		return "error: " + err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.Status
}
