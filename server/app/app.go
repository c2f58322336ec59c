// Package app wires the service together: storage, credentials, the user and webhook use cases,
// the background work on River (verification, webhook delivery, pruning old events, erasing users
// past their retention), and the HTTP
// API. kirad and the end-to-end tests build the same service through it.
package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/apidocs"
	"github.com/kiraapi/kira/server/auth"
	"github.com/kiraapi/kira/server/console"
	"github.com/kiraapi/kira/server/hosted"
	"github.com/kiraapi/kira/server/httpapi"
	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/metrics"
	"github.com/kiraapi/kira/server/operator"
	"github.com/kiraapi/kira/server/persona"
	"github.com/kiraapi/kira/server/retention"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/store"
	"github.com/kiraapi/kira/server/tracing"
	"github.com/kiraapi/kira/server/verify"
	"github.com/kiraapi/kira/server/webhook"
)

// fetchCooldown is the least time between two fetches of a queue's jobs (River's FetchCooldown),
// which bounds a queue's rate at its workers per fetchCooldown: jobs.DefaultWorkers verifications
// or jobs.WebhookWorkers deliveries every 25 ms.
const fetchCooldown = 25 * time.Millisecond

// Options configures the service.
type Options struct {
	Store   *store.Store
	Keyring *secret.Keyring
	Logger  *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sandbox enables the sandbox helpers (the review endpoint) and lets webhook endpoints be http
	// URLs and loopback addresses; otherwise they must be https URLs of public addresses.
	Sandbox bool
	// RateLimit is the per-API-key request budget.
	RateLimit httpapi.RateLimit
	// MaxAttempts bounds a user's verification attempts (0: kyc.DefaultMaxAttempts).
	MaxAttempts int
	// Requirements decide when automatic verification starts ("": kyc.SeedRequirements).
	Requirements kyc.RequirementSet
	// VerificationDelay is how long the provider takes to decide.
	VerificationDelay time.Duration
	// Provider decides verifications; nil means the sandbox provider, unless Persona is set.
	Provider kyc.Provider
	// Persona, when set, makes Persona decide verifications and receives its webhooks at
	// persona.WebhookPattern.
	Persona *Persona
	// Poll is how a verification that a vendor decides later is polled (zero: verify.DefaultPoll).
	Poll verify.Poll
	// AuthOptions tune credential checks (tests lower the bcrypt cost).
	AuthOptions []auth.Option
	// OperatorOptions tune operator authentication (tests lower the argon2id cost, set the
	// session timeouts).
	OperatorOptions []operator.Option
	// PollInterval is how often idle workers look for jobs besides being notified of new ones
	// (0: 1s, River's default). Both databases notify: PostgreSQL with NOTIFY, SQLite through
	// River's notification table, which its listener reads every 50 ms; a poll is the fallback.
	PollInterval time.Duration
	// PublicURL is the base of the links handed out (hosted verification pages).
	PublicURL string
	// RetrySchedule is the wait before each retry of a failed webhook delivery (nil:
	// webhook.DefaultSchedule).
	RetrySchedule webhook.Schedule
	// EventRetention is how long events and their deliveries are kept (0: webhook.DefaultRetention).
	EventRetention time.Duration
	// UserRetention is how long users may stay untouched CREATED or REJECTED before they are
	// erased (zero periods: kept; both zero: the erasure job is not scheduled).
	UserRetention kyc.Retention
	// CORSOrigins are the browser origins allowed to call the API (none: no CORS).
	CORSOrigins []string
	// FrameAncestors are the origins besides the server's own that may frame the hosted pages.
	FrameAncestors []string
	// TracerProvider makes the spans of requests, jobs and webhook sends (tracing.FromEnv); nil
	// makes none.
	TracerProvider trace.TracerProvider
	// MetricsElsewhere keeps GET /metrics off the API's handler: the caller serves App.Metrics on
	// an address of its own (KIRA_METRICS_ADDR).
	MetricsElsewhere bool
}

// Persona is the Persona provider's configuration.
type Persona struct {
	Client                   *persona.Client
	TemplateKYC, TemplateKYB string
	// WebhookSecrets verify its webhooks (several while a secret is rotated).
	WebhookSecrets []string
	// HostedURL is Persona's hosted flow, where hosted verification pages send the end user
	// (persona.DefaultHostedURL when empty).
	HostedURL string
}

// App is the wired service.
type App struct {
	Handler http.Handler
	Auth    *auth.Service
	// Operators authenticates the review console's operators and their API tokens.
	Operators *operator.Service
	Users     *kyc.UserService
	// Metrics records the service's metrics; Metrics.Handler serves them.
	Metrics *metrics.Metrics
	river   store.RiverClient
}

// New wires the service. Start runs its background work.
func New(opts Options) (*App, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = river.FetchPollIntervalDefault
	}
	if opts.RetrySchedule == nil {
		opts.RetrySchedule = webhook.DefaultSchedule
	}
	if opts.EventRetention == 0 {
		opts.EventRetention = webhook.DefaultRetention
	}
	if opts.TracerProvider == nil {
		opts.TracerProvider = noop.NewTracerProvider()
	}
	tracer := opts.TracerProvider.Tracer(tracing.Name)
	jobTracing := tracing.NewJobMiddleware(opts.TracerProvider)
	if err := opts.Store.UseJobMiddleware(jobTracing); err != nil {
		return nil, err
	}
	svcOpts := []kyc.Option{kyc.WithClock(opts.Now), kyc.WithVerificationDelay(opts.VerificationDelay), kyc.WithLinkKey(opts.Keyring)}
	if opts.MaxAttempts > 0 {
		svcOpts = append(svcOpts, kyc.WithMaxAttempts(opts.MaxAttempts))
	}
	if opts.Requirements != "" {
		svcOpts = append(svcOpts, kyc.WithRules(opts.Requirements))
	}
	spec, err := openapi.Load()
	if err != nil {
		return nil, err
	}
	svcOpts = append(svcOpts, kyc.WithEnums(openapi.EnumValues(spec)))
	users := kyc.NewUserService(opts.Store, svcOpts...)
	mount := map[string]http.Handler{}
	if p := opts.Persona; p != nil {
		opts.Provider = &persona.Provider{Client: p.Client, Checks: users, TemplateKYC: p.TemplateKYC, TemplateKYB: p.TemplateKYB, Now: opts.Now}
		webhooks := &persona.Webhooks{Users: users, Secrets: p.WebhookSecrets, Now: opts.Now, Logger: opts.Logger, Ready: opts.Store.Ping}
		mount[persona.WebhookPattern] = webhooks
	}
	if opts.Provider == nil {
		opts.Provider = verify.Sandbox{Now: opts.Now}
	}
	authSvc := auth.New(opts.Store, opts.Keyring, append([]auth.Option{auth.WithClock(opts.Now)}, opts.AuthOptions...)...)
	operators := operator.New(opts.Store, opts.Keyring, append([]operator.Option{operator.WithClock(opts.Now)}, opts.OperatorOptions...)...)
	policy := webhook.Policy{Sandbox: opts.Sandbox}
	webhooks := kyc.NewWebhookService(opts.Store, kyc.WithURLCheck(policy.CheckURL), kyc.WithClock(opts.Now))

	m := metrics.New(metrics.Options{Database: opts.Store, Logger: opts.Logger,
		JobKinds: []string{jobs.KindVerifyUser, jobs.KindDeliverWebhook, jobs.KindPruneEvents, jobs.KindEraseExpiredUsers, jobs.KindOptimizeDatabase}})
	workers := river.NewWorkers()
	river.AddWorker(workers, &verify.Worker{Users: users, Provider: opts.Provider, Poll: opts.Poll, Now: opts.Now, Logger: opts.Logger, Metrics: m})
	river.AddWorker(workers, &webhook.Worker{Store: opts.Store, Client: policy.Client(), Schedule: opts.RetrySchedule, Now: opts.Now, Logger: opts.Logger, Metrics: m, Tracer: tracer})
	river.AddWorker(workers, &webhook.PruneWorker{Store: opts.Store, Retention: opts.EventRetention, Now: opts.Now, Logger: opts.Logger})
	river.AddWorker(workers, &retention.Worker{Users: users, Retention: opts.UserRetention, Logger: opts.Logger})
	river.AddWorker(workers, &store.OptimizeWorker{Store: opts.Store})
	periodic := []*river.PeriodicJob{webhook.PeriodicPrune(), store.PeriodicOptimize()}
	if opts.UserRetention.Created > 0 || opts.UserRetention.Rejected > 0 {
		periodic = append(periodic, retention.Periodic())
	}
	rc, err := opts.Store.NewRiverClient(&river.Config{
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: jobs.DefaultWorkers},
			jobs.QueueWebhooks: {MaxWorkers: jobs.WebhookWorkers},
		},
		Workers:              workers,
		PeriodicJobs:         periodic,
		FetchCooldown:        min(fetchCooldown, opts.PollInterval),
		FetchPollInterval:    opts.PollInterval,
		JobTimeout:           jobs.Timeout,
		RescueStuckJobsAfter: jobs.RescueAfter,
		Logger:               store.RiverLogger(opts.Logger),
		Middleware:           []rivertype.Middleware{jobTracing, &store.BackgroundJobs{}},
	})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	links := hosted.Links{BaseURL: opts.PublicURL, Hasher: opts.Keyring}
	page := &hosted.Page{Users: users, Links: links, Spec: spec, Logger: opts.Logger, FrameAncestors: opts.FrameAncestors, Ready: opts.Store.Ping, Now: opts.Now}
	if p := opts.Persona; p != nil {
		flow := &persona.Flow{Store: opts.Store, Client: p.Client, Hasher: opts.Keyring, HostedURL: cmp.Or(p.HostedURL, persona.DefaultHostedURL),
			RedirectTo: hosted.RedirectTo, Logger: opts.Logger, Now: opts.Now}
		page.Continue = flow.URL
		mount[persona.FlowPattern] = httpapi.Instrument(flow, persona.FlowPattern, "personaFlow", m, tracer)
	}
	mount[hosted.Pattern] = httpapi.Instrument(page, hosted.Pattern, "hostedVerificationPage", m, tracer)
	mount[hosted.CompletedPattern] = httpapi.Instrument(http.HandlerFunc(page.ServeCompleted), hosted.CompletedPattern, "hostedVerificationCompleted", m, tracer)
	if h, ok := mount[persona.WebhookPattern]; ok {
		mount[persona.WebhookPattern] = httpapi.Instrument(h, persona.WebhookPattern, "personaWebhook", m, tracer)
	}
	reviewConsole := console.New(console.Console{Operators: operators, Reviews: users, Store: opts.Store, Sandbox: opts.Sandbox,
		Logger: opts.Logger, Ready: opts.Store.Ping, Now: opts.Now})
	for _, p := range console.Patterns {
		mount[p] = httpapi.Instrument(reviewConsole, p, "reviewConsole", m, tracer)
	}
	for _, p := range apidocs.Patterns {
		mount[p] = apidocs.Handler()
	}
	if !opts.MetricsElsewhere {
		mount["GET /metrics"] = m.Handler()
	}
	api, err := httpapi.New(httpapi.Options{
		Spec:         spec,
		Logger:       opts.Logger,
		Ready:        opts.Store.Ping,
		Now:          opts.Now,
		Auth:         authSvc,
		Operators:    operators,
		Users:        users,
		Store:        opts.Store,
		Hasher:       opts.Keyring,
		RateLimit:    opts.RateLimit,
		Sandbox:      opts.Sandbox,
		LinkFor:      links.URL,
		CompletedURL: links.CompletedURL(),
		PublicURL:    opts.PublicURL,
		Webhooks:     webhooks,
		CORSOrigins:  opts.CORSOrigins,
		Metrics:      m,
		Tracer:       tracer,
		Mount:        mount,
	})
	if err != nil {
		return nil, err
	}
	return &App{Handler: api, Auth: authSvc, Operators: operators, Users: users, Metrics: m, river: rc}, nil
}

// Start starts the background workers.
func (a *App) Start(ctx context.Context) error {
	if err := a.river.Start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	return nil
}

// Stop stops the background workers, letting running jobs finish until ctx is done.
func (a *App) Stop(ctx context.Context) error {
	if err := a.river.Stop(ctx); err != nil {
		return fmt.Errorf("stop job queue: %w", err)
	}
	return nil
}

// Subscribe reports the background jobs' events (tests wait on them instead of sleeping).
func (a *App) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	return a.river.Subscribe(kinds...)
}
