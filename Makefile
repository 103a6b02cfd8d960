# patchflow's short commands. `make test` is the README's test command and
# what CI runs; `make check` adds formatting, vet and staticcheck.
GO ?= /usr/local/go/bin/go
export PATH := $(dir $(GO)):$(HOME)/go/bin:$(PATH)

.PHONY: build test check fuzz deps demo dev clean

build:
	$(GO) build -o bin/patchflow ./cmd/patchflow

# Every test, the real-fleet and real-server ones included (they need root;
# under CI=true they fail instead of skipping). Packages run two at a time:
# this is sized for 2 cores.
test:
	$(GO) test -p 2 -timeout 75m ./...

check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: the files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	$(GO) run go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0 ./workflows

# Bounded fuzzing of every parser of user input: package:FuzzTarget pairs.
FUZZ_TARGETS ?= policies:FuzzParse policies:FuzzPromQL internal/safetext:FuzzTerminal \
	inventory:FuzzParseINI inventory:FuzzParseYAML inventory:FuzzCompareNames transport:FuzzQuote \
	pkgmgr:FuzzValidNameCompare pkgmgr:FuzzUpdateinfo pkgmgr:FuzzZypperXML planfile:FuzzRead \
	advisories:FuzzChangelog advisories:FuzzDebianTracker advisories:FuzzEPSS advisories:FuzzKEV \
	advisories:FuzzOSRelease advisories:FuzzOSVRecord advisories:FuzzPackageQuery advisories:FuzzSources \
	advisories:FuzzUpdateinfoInfo advisories:FuzzVersion advisories:FuzzVulnListRecord \
	notify:FuzzFit notify:FuzzParseFilter notify:FuzzParseRetryAfter notify:FuzzParseSecret \
	notify:FuzzVerify report:FuzzHostileValues report:FuzzReadCompliance report:FuzzReadCycleEvidence \
	posture:FuzzParseUntil posture:FuzzNewException \
	deploy/local/temporal-setup:FuzzParsePIDs
FUZZ_TIME ?= 8s
# A run that ends with only "context deadline exceeded" and no failing input
# is the fuzz engine's own time-out racing a slow input at the end of
# -fuzztime (no input failed): it runs once more; a real failure stops.
fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz $$t for $(FUZZ_TIME)"; \
	  out=$$($(GO) test -run='^$$' -fuzz="^$${t#*:}$$" -fuzztime=$(FUZZ_TIME) ./$${t%%:*} 2>&1) && { echo "$$out" | tail -1; continue; }; \
	  echo "$$out"; \
	  if echo "$$out" | grep -q 'context deadline exceeded' && ! echo "$$out" | grep -q 'Failing input written'; then \
	    echo "fuzz $$t: the engine timed out with no failing input; once more"; \
	    $(GO) test -run='^$$' -fuzz="^$${t#*:}$$" -fuzztime=$(FUZZ_TIME) ./$${t%%:*} || exit 1; \
	  else exit 1; fi; \
	done

# Debian packages the tests and the demo fleet need (run as root).
deps:
	.ci/install-deps

dev: build
	bin/patchflow dev

# The README's first command: prerequisites, build, and the demo (root).
demo: deps build
	bin/patchflow demo

clean:
	rm -rf bin
