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
ACTIONLINT_VERSION  := v1.7.12

FUNCTIONS := $(patsubst functions/%/main.go,%,$(wildcard functions/*/main.go))

# The CDK CLI and Node 22 (for jsii) come from npm, locked in cdk/_cli.
CDK_CLI  := $(CURDIR)/cdk/_cli/node_modules
CDK      := $(CDK_CLI)/.bin/cdk
export JSII_NODE := $(CDK_CLI)/node/bin/node
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := true
ENV ?= dev
LAMBDA_GOARCH ?= arm64
BUILD_DIR ?= build
LDFLAGS := -s -w
FUZZTIME ?= 15s


.PHONY: all build build-local test lint fmt tidy fuzz bench tools engines engine-packages web browser cdk-cli synth diff deploy bootstrap dev drill invoke backup gobench clean

all: build test

## tools: install the pinned helper binaries into ./bin (the CDK CLI comes with the targets that use it)
tools: $(BIN)/versitygw $(BIN)/staticcheck $(BIN)/aws-lambda-rie $(BIN)/actionlint

## cdk-cli: the CDK CLI and Node 22 from npm (cdk/_cli/package-lock.json)
cdk-cli: $(CDK)

$(CDK): cdk/_cli/package.json cdk/_cli/package-lock.json
	cd cdk/_cli && npm ci --no-audit --no-fund --loglevel=error
	@touch $(CDK)

# ENV picks the environment for diff, deploy and bootstrap (synth: every
# environment unless ENV is given); CDK_CONTEXT passes a deployment's
# settings, e.g. CDK_CONTEXT='-c domain=diagrams.acme.test -c hostedZoneId=Z0… -c hostedZoneName=acme.test'.
CDK_CONTEXT ?=
# APPROVAL is cdk deploy's --require-approval: broadening asks before new
# permissions; the deploy workflow, which cannot answer, gives never.
APPROVAL ?= broadening
SYNTH_ENV := $(if $(filter command line environment environment override,$(origin ENV)),-c env=$(ENV))

## synth: build every bootstrap, then synthesize the stacks into cdk.out/ (offline, no credentials; ENV=… for one environment)
synth: build web cdk-cli
	rm -rf cdk.out
	$(CDK) synth --quiet --no-notices $(SYNTH_ENV) $(CDK_CONTEXT)

## diff: what `make deploy ENV=...` would change
diff: build web cdk-cli
	$(CDK) diff --no-notices -c env=$(ENV) $(CDK_CONTEXT)

## deploy: build Kroki's images and deploy ENV's stacks (edge, standby, primary); needs Docker and credentials
deploy: build web cdk-cli
	$(CDK) deploy --all --no-notices -c env=$(ENV) $(CDK_CONTEXT) --require-approval $(APPROVAL)

## bootstrap: prepare the account's regions ENV's stacks use (its two and us-east-1) for cdk deploy
bootstrap: build web cdk-cli
	$(CDK) bootstrap --no-notices -c env=$(ENV) $(CDK_CONTEXT)

$(BIN)/actionlint:
	GOBIN=$(BIN) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

$(BIN)/versitygw:
	GOBIN=$(BIN) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

$(BIN)/staticcheck:
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(BIN)/aws-lambda-rie:
	GOBIN=$(BIN) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

# The Node engines and the browser engines' libraries, locked in internal/engine/_js.
JS_ENGINES := internal/engine/_js/node_modules/.package-lock.json

## engines: install the local renderer's engines and its sandbox (bubblewrap): Debian's packages, then the npm-locked Node engines
engines: engine-packages $(JS_ENGINES)

# Debian's packages the local engines need, as command or file -> package.
ENGINE_PACKAGES := dot:graphviz /usr/share/plantuml/plantuml.jar:plantuml java:default-jre-headless \
	bwrap:bubblewrap prlimit:util-linux node:nodejs /usr/lib/chromium/chromium:chromium \
	blockdiag3:python3-blockdiag seqdiag3:python3-seqdiag actdiag3:python3-actdiag nwdiag3:python3-nwdiag \
	/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core \
	pdflatex:texlive-latex-base pdftocairo:poppler-utils \
	/usr/share/texlive/texmf-dist/tex/latex/pgf/frontendlayer/tikz.sty:texlive-pictures \
	/usr/share/texlive/texmf-dist/tex/latex/standalone/standalone.cls:texlive-latex-extra

engine-packages:
	@need=""; \
	for pair in $(ENGINE_PACKAGES); do \
		what=$${pair%%:*}; pkg=$${pair#*:}; \
		case $$what in /*) [ -e $$what ] ;; *) command -v $$what >/dev/null ;; esac || need="$$need $$pkg"; \
	done; \
	if [ -z "$$need" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null; then \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
		echo "installing$$need"; \
		$$sudo apt-get update -qq && $$sudo apt-get install -y -qq --no-install-recommends $$need; \
	else \
		echo "Install these packages (or their equivalents) for the local renderer:$$need"; exit 1; \
	fi

$(JS_ENGINES): internal/engine/_js/package.json internal/engine/_js/package-lock.json | engine-packages
	cd internal/engine/_js && npm ci --no-audit --no-fund --loglevel=error
	@touch $(JS_ENGINES)

## web: build the editor (web/src -> web/dist) with packages from npm (web/package-lock.json)
web: web/dist/index.html

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

web/dist/index.html: web/node_modules/.package-lock.json web/build.mjs $(wildcard web/src/*)
	cd web && npm run --silent build

## browser: Debian's Chromium for the editor's browser tests
browser:
	@command -v chromium >/dev/null || [ -x /usr/lib/chromium/chromium ] || { \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
		$$sudo apt-get update -qq && $$sudo apt-get install -y -qq --no-install-recommends chromium; }

## dev: the whole service on this machine (UI :9002, API :9001, renderer :8000, S3 :9000)
dev: tools engines web
	@$(GO) build -o build/dev/stack ./cmd/dev
	@build/dev/stack

# The local stack's S3 settings (internal/testsupport/devstack): a loopback store, no secrets.
DEV_S3 ?= 127.0.0.1:9000
LOCAL_S3 := AWS_ENDPOINT_URL_S3=http://$(DEV_S3) AWS_REGION=us-east-1 S3_FORCE_PATH_STYLE=true \
	AWS_ACCESS_KEY_ID=devstack AWS_SECRET_ACCESS_KEY=devstack-local-only

## backup: the backup command against `make dev`'s store, e.g. make backup ARGS='run --full'
backup:
	@$(LOCAL_S3) SOURCE_BUCKET=uml-images BACKUP_BUCKET=uml-images-backup $(GO) run ./functions/backup $(ARGS)

## build: every function's Lambda bootstrap (linux/arm64) in build/<fn>/bootstrap
build:
	@for fn in $(FUNCTIONS); do \
		echo "$(BUILD_DIR)/$$fn/bootstrap"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_GOARCH) $(GO) build -tags lambda.norpc -trimpath \
			-ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/$$fn/bootstrap ./functions/$$fn; \
	done

## build-local: the same bootstraps for this machine's architecture, in build/local/ (for aws-lambda-rie)
build-local:
	@$(MAKE) --no-print-directory build LAMBDA_GOARCH=$$($(GO) env GOARCH) BUILD_DIR=build/local

## test: lint, then every test (against versitygw, the local engines and aws-lambda-rie on loopback)
test: tools cdk-cli engines web browser lint
	$(GO) test -count=1 ./...

## lint: gofmt, go vet, staticcheck, and a tidy go.mod
lint: $(BIN)/staticcheck $(BIN)/actionlint
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...
	$(GO) mod tidy -diff
	actionlint .github/workflows/*.yml

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

## drill: lose the primary region (two local stacks, the real probe and failover, simulated time); prints rto_seconds, saved_served, lost_writes
drill: tools engines
	@$(GO) test -count=1 -v -run '^TestRegionLossDrill$$' ./internal/testsupport/drill | grep -E '^(rto_|saved_served|lost_writes|--- |ok|FAIL|\s+drill_test)'

## bench: the performance figures against their references (prints name: value, writes build/bench.json)
bench: tools engines
	$(GO) run ./cmd/bench

## gobench: every Go benchmark with memory statistics
gobench: tools
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

## invoke: run FN's bootstrap under aws-lambda-rie with EVENT, print the response
invoke: tools build-local
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=render EVENT=events/render-get-svg.json"; exit 2; }
	@$(GO) run ./cmd/invoke build/local/$(FN)/bootstrap $(EVENT)

clean:
	rm -rf build cdk.out
