# Rivetr's Makefile. Every go command needs Go >= 1.27 (the embedded Temporal
# server requires it); GOTOOLCHAIN makes the installed go fetch that toolchain
# from the module proxy on first use.
export GOTOOLCHAIN := go1.27.3

BIN        ?= bin/rivetr
DATA_DIR   ?= $(CURDIR)/.rivetr
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT     ?= $(shell git rev-parse HEAD 2>/dev/null)
GOFLAGS_BUILD ?= -trimpath -ldflags "-s -w -X github.com/rivetr/rivetr/internal/buildinfo.Version=$(VERSION) -X github.com/rivetr/rivetr/internal/buildinfo.Commit=$(COMMIT)"
TEMPORAL_CLI_VERSION ?= v1.5.1
BENCH ?= all
# PostgreSQL for the store tests: scripts/test-deps.sh starts one here.
RIVETR_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable
export RIVETR_TEST_POSTGRES_URL

.PHONY: help build run test test-deps test-short fuzz bench chaos screenshots docs lint clean

help: ## show this help
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/rivetr, bin/rivetr-agent (the same without the embedded Temporal server) and bin/rivetr-static (the static site server)
	@[ -x $(BIN) ] || echo "rivetr: building. The first build compiles the embedded Temporal server: about 7 minutes on 2 cores, progress below; later builds take seconds."
	@scripts/go-build.sh $(GOFLAGS_BUILD) -o $(BIN) ./cmd/rivetr
	@scripts/go-build.sh $(GOFLAGS_BUILD) -o $(dir $(BIN))rivetr-agent ./cmd/rivetr-agent
	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o $(dir $(BIN))rivetr-static ./cmd/rivetr-static

# The proxy takes port 80 as root; ports below 1024 need root, so others get 8000.
PROXY_ADDR ?= $(shell [ "$$(id -u)" = 0 ] && echo :80 || echo :8000)

run: ## check Docker, build, and start `rivetr server` with its data in ./.rivetr (ARGS=... adds flags)
	@scripts/ensure-docker.sh
	@$(MAKE) --no-print-directory build
	$(BIN) server --data-dir $(DATA_DIR) --proxy-addr $(PROXY_ADDR) $(ARGS)

test-deps: ## install (as root on Debian) and start what the tests use: dockerd, busybox-static, Chromium, PostgreSQL, versitygw, the database images
	@scripts/test-deps.sh >/dev/null

test: test-deps ## run every test: unit, workflow, store (SQLite + PostgreSQL), end to end, browser; then a short fuzz run
	go vet ./...
	go test -count=1 -timeout 25m ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(TEST_FUZZTIME)

# Every fuzz test, as package:Name. `make fuzz FUZZTIME=10m` for a long run.
FUZZ_TARGETS := internal/safepath:FuzzResolve internal/docker:FuzzImageRefs internal/egress:FuzzCheckURL api:FuzzRequestBodies internal/config:FuzzConfigFile schema:FuzzDuration internal/gitsrc:FuzzURLAndCommit internal/proxy:FuzzNormalizeHost internal/webhook:FuzzParse internal/webhook:FuzzMatchGlob internal/archive:FuzzExtract internal/stack:FuzzLoad internal/voltar:FuzzUnpack
FUZZTIME ?= 30s
TEST_FUZZTIME ?= 5s

fuzz: ## fuzz every parser of outside input for FUZZTIME each (make test runs 5s each)
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$fn ($(FUZZTIME))"; go test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$pkg; done

test-short: ## unit and workflow tests only (no Docker, no PostgreSQL)
	go test -count=1 -short ./...

bench: build test-deps ## run the benchmarks in bench/ and write bench/results/ (BENCH=deploy,proxy,... for some)
	@scripts/bench-deps.sh
	@scripts/bench-traefik.sh || echo "Traefik could not be built: the TLS benchmark skips it"
	@[ -x bench/.bin/temporal ] || { echo "installing the Temporal CLI (footprint baseline; skipped if this fails)"; \
	  GOBIN=$(CURDIR)/bench/.bin go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION) || true; }
	go run ./bench -rivetr $(BIN) -agent $(dir $(BIN))rivetr-agent -only $(BENCH)

CHAOS_RUNS ?= 3

chaos: build test-deps ## SIGKILL the server at every deploy step, restart dockerd and stop Temporal mid-build, CHAOS_RUNS times each; report in bench/results/chaos.md
	rm -f bench/results/chaos.md
	RIVETR_CHAOS_RUNS=$(CHAOS_RUNS) RIVETR_CHAOS_FULL=1 RIVETR_CHAOS_REPORT=$(CURDIR)/bench/results/chaos.md go test -count=1 -timeout 60m -run 'TestChaos' -v ./e2e/ | grep -E '^(=== RUN|--- |\s+---|ok|FAIL|PASS)'
	@cat bench/results/chaos.md

screenshots: test-deps ## regenerate docs/screenshots with the browser tests
	RIVETR_SCREENSHOTS=$(CURDIR)/docs/screenshots go test -count=1 -run 'TestDashboardInBrowser|TestTeamsInBrowser' ./e2e/

docs: ## regenerate docs/cli.md (from the commands) and docs/openapi.json (from the API's route table); make test fails when they are stale
	go run ./internal/docs/gen

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...

clean: ## remove build output
	rm -rf bin
