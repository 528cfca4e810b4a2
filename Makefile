# UML Images: build, test and run the diagram-rendering service.
# `make dev` runs it locally; `make test` runs every test. See README.md.

SHELL       := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO          ?= go
BIN         := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)
export GOFLAGS := -buildvcs=false

# Tool versions, pinned.
VERSITYGW_VERSION   := v1.8.0
STATICCHECK_VERSION := v0.8.2
RIE_VERSION         := v0.0.0-20261030222936-bef5c4ba774d

FUNCTIONS := $(patsubst functions/%/main.go,%,$(wildcard functions/*/main.go))
LAMBDA_GOARCH ?= arm64
LDFLAGS := -s -w
FUZZTIME ?= 15s

.PHONY: all build build-local test lint fmt tidy fuzz bench tools invoke clean

all: build test

## tools: install the pinned helper binaries into ./bin
tools: $(BIN)/versitygw $(BIN)/staticcheck $(BIN)/aws-lambda-rie

$(BIN)/versitygw:
	GOBIN=$(BIN) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

$(BIN)/staticcheck:
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(BIN)/aws-lambda-rie:
	GOBIN=$(BIN) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

## build: every function's Lambda bootstrap (linux/arm64) in build/<fn>/bootstrap
build:
	@for fn in $(FUNCTIONS); do \
		echo "build/$$fn/bootstrap"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_GOARCH) $(GO) build -tags lambda.norpc -trimpath \
			-ldflags '$(LDFLAGS)' -o build/$$fn/bootstrap ./functions/$$fn; \
	done

## build-local: the same bootstraps for this machine's architecture (for aws-lambda-rie)
build-local:
	@$(MAKE) --no-print-directory build LAMBDA_GOARCH=$$($(GO) env GOARCH)

## test: lint, then every test (S3 tests run against versitygw on loopback)
test: tools lint
	$(GO) test -count=1 ./...

## lint: gofmt, go vet, staticcheck, and a tidy go.mod
lint: $(BIN)/staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...
	$(GO) mod tidy -diff

fmt:
	gofmt -w $$(git ls-files '*.go')

tidy:
	$(GO) mod tidy

## fuzz: run every fuzz target for FUZZTIME each
fuzz: tools
	@for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for target in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
			echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

## bench: Go benchmarks with memory statistics
bench: tools
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

## invoke: run FN's bootstrap under aws-lambda-rie with EVENT, print the response
invoke: tools build-local
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=render EVENT=events/render-get-svg.json"; exit 2; }
	$(GO) run ./internal/rie/invoke build/$(FN)/bootstrap $(EVENT)

clean:
	rm -rf build
