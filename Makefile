# Countersign — `make run` starts the app, `make test` runs every test.
# Both first install the system packages they need (see scripts/deps.sh).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

# Go is preinstalled in /usr/local/go on many machines without being on PATH.
ifeq ($(shell command -v go),)
export PATH := $(PATH):/usr/local/go/bin
endif
# Never let the go command download another toolchain behind our back.
export GOTOOLCHAIN := local

BIN := bin/countersign
SOURCES := $(shell find . -name '*.go' -not -path './bin/*') go.mod go.sum $(wildcard assets/*)
# Xvfb's default screen is 640x480 at 8 bits; the app and screen-capture tests want a real one.
XVFB := xvfb-run -a -s "-screen 0 1920x1080x24"
# A private session bus with an unlocked gnome-keyring: the real Secret Service for the keyring tests.
KEYRING := scripts/with-keyring.sh
FUZZTIME ?= 20s
SCREENSHOTS ?= screenshots
GOTEST_TIMEOUT ?= 30m

.PHONY: run build test bench fuzz idle screenshots clean deps-run deps-test

## run: install what is missing, build bin/countersign and start the app (flags in ARGS="...")
run: deps-run $(BIN)
	./$(BIN) $(ARGS)

## build: build bin/countersign
build: deps-run $(BIN)

# no_emoji: Fyne leaves out its bundled emoji font (4 MiB, parsed again for
# each text style); emoji in account names come from the system's fonts.
$(BIN): $(SOURCES)
	go build -tags no_emoji -o $@ ./cmd/countersign

## test: install what is missing, check formatting and vet, run every test under Xvfb with a real keyring, then the push server's packages again under the race detector
# The server is concurrent throughout (connections, workers, the batch
# writer, the event follower): its packages' tests run a second time with
# -race, about 2.5 minutes more on 2 cores.
test: deps-test
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:" $$unformatted >&2; exit 1; fi
	go vet ./...
	$(XVFB) $(KEYRING) go test -count=1 -timeout $(GOTEST_TIMEOUT) ./...
	go test -race -count=1 -timeout $(GOTEST_TIMEOUT) ./push/...

## bench: run every benchmark (the scanner's compares itself with zbarimg and ZXingReader)
bench: deps-test
	$(XVFB) $(KEYRING) go test -run '^$$' -bench . -benchmem ./...

## fuzz: fuzz every Fuzz target for FUZZTIME (default 20s) each
fuzz: deps-test
	@for pkg in $$(go list ./...); do \
	  for target in $$(go test -list '^Fuzz' "$$pkg" | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target"; \
	    go test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
	  done; \
	done

## idle: idle CPU and memory of the GUI with 200 accounts, next to an empty vault and bare Fyne windows (about 5 minutes)
idle: deps-test
	scripts/idle.sh 200

## screenshots: every screen, light and dark, at the default window size and 360x740, as PNGs in SCREENSHOTS (default ./screenshots)
screenshots: deps-test
	mkdir -p $(SCREENSHOTS)
	COUNTERSIGN_SCREENSHOTS=$(abspath $(SCREENSHOTS)) $(XVFB) $(KEYRING) go test -count=1 -run '^TestScreenshots$$' ./app
	COUNTERSIGN_SCREENSHOTS=$(abspath $(SCREENSHOTS))/web go test -count=1 ./internal/browsertest
	@echo "screenshots in $(SCREENSHOTS)/"

## clean: remove the build output
clean:
	rm -rf bin

deps-run:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test
