# Authy — `make help` lists the targets.
GO        ?= go
BIN       ?= bin/authy
PKGS_INTEGRATION = $(shell grep -rl --include='*_test.go' '^//go:build integration' . | xargs -r -n1 dirname | sort -u)

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## Run the server (SQLite file under ./var, in-process cache; or DATABASE_URL/REDIS_URL)
	$(GO) run . serve

.PHONY: build
build: ## Build a static binary into bin/authy
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(BIN) .

.PHONY: test
test: test-unit test-integration test-browser ## Unit tests, integration tests (Postgres, Redis, SQLite) with the race detector, then browser tests

.PHONY: test-unit
test-unit: ## Unit tests: domain, application, HTTP with fakes, architecture (no I/O)
	$(GO) test -count=1 ./...

.PHONY: test-integration
test-integration: ## Integration tests against TEST_DATABASE_URL/TEST_REDIS_URL (else testcontainers) and SQLite, with -race
	$(GO) test -count=1 -race -tags integration -timeout 20m $(PKGS_INTEGRATION)

.PHONY: test-browser
test-browser: ## Browser tests: headless Debian chromium against the booted server (chromedp)
	$(GO) test -count=1 -tags browser -timeout 10m ./tests/browser/

.PHONY: bench
bench: ## Benchmarks (ratios against baselines measured in the same run)
	$(GO) test -tags integration -run '^$$' -bench . -benchtime 3s $(PKGS_INTEGRATION)

.PHONY: lint
lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1)
	$(GO) vet ./...
	$(GO) vet -tags integration ./...

.PHONY: migrate
migrate: ## Apply pending migrations
	$(GO) run . migrate up

.PHONY: seed
seed: ## Load the demo data (idempotent): Acme Corp, bob@acme-corp.com / UserPass123!, …
	$(GO) run . seed

.PHONY: docs-check
docs-check: ## Open /api/docs in headless Chromium and check that it lists the operations (installs chromium if absent)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	$(GO) test -count=1 -tags browser -run DocsPage -v ./tests/browser/

.PHONY: docker-build
docker-build: ## Build the container image authy:local
	docker build -t authy:local .

.PHONY: compose-up
compose-up: ## Start api + postgres + redis + jobs with Docker Compose
	docker compose up --build

.PHONY: compose-config
compose-config: ## Validate compose.yaml (docker compose, or docker-compose v1)
	@if docker compose version >/dev/null 2>&1; then docker compose -f compose.yaml config -q; else docker-compose -f compose.yaml config -q; fi && echo "compose.yaml is valid"

.PHONY: cover
cover: ## Coverage report of the unit and integration suites into coverage.html
	$(GO) test -count=1 -tags integration -coverpkg=./... -coverprofile=coverage.out ./...
	$(GO) tool cover -html=coverage.out -o coverage.html
	$(GO) tool cover -func=coverage.out | tail -1
