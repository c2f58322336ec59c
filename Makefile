# Kira Users & Verification API. `make help` lists the targets.

GO      ?= go
OASDIFF := $(GO) run github.com/oasdiff/oasdiff@v1.37.0
SPEC    := openapi/openapi.yaml
RELEASED_SPEC := openapi/released/openapi.yaml
# The renderer of the /docs page, vendored from npm by `make redoc` into server/apidocs/redoc.
REDOC_VERSION := 2.5.4
REDOC_DIR := server/apidocs/redoc

.DEFAULT_GOAL := help
.PHONY: help run test generate check check-generated check-format vet lint-spec breaking check-deps release-spec bench redoc

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

check: check-generated check-format vet check-deps lint-spec breaking ## Everything CI checks besides the tests

check-generated: generate ## Fail if gen/ is stale
	@git diff --exit-code --stat -- gen || (echo "gen/ is stale: run 'make generate' and commit the result" && exit 1)
	@test -z "$$(git status --porcelain -- gen)" || (echo "gen/ has untracked files: run 'make generate' and commit the result" && exit 1)

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

lint-spec: openapi/node_modules ## Spectral (OWASP) lint and a TypeScript type-check of types generated from the spec
	npm --prefix openapi run --silent check

breaking: ## Fail on a breaking change against the released contract
	$(OASDIFF) breaking $(RELEASED_SPEC) $(SPEC) --fail-on ERR

release-spec: ## Record the current spec as the released contract (deliberately)
	cp $(SPEC) $(RELEASED_SPEC)

bench: ## Run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...
