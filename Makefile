# The two commands of the README. Each first makes sure jansson's headers are installed.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test deps build

deps:
	@if [ ! -f /usr/include/jansson.h ]; then \
		echo "Installing libjansson-dev (jansson's headers) with apt-get…"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjansson-dev; \
	fi

build: deps
	$(SWIFT) build

# Cancels the sample IDs against the simulated market, in-process on loopback: some of every
# outcome, a summary on stderr, and every record in demo-results.csv.
demo: build
	@$(SWIFT) run --skip-build offer-cancel --mock --sink summary --sink csv:demo-results.csv \
		samples/ids.txt samples/offers.csv samples/offers.ndjson samples/user-offers.json; \
	status=$$?; echo "records: demo-results.csv (exit status $$status: 1 means some offers could not be cancelled)"

# --build-tests builds every product too: the end-to-end tests run the real binaries.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
