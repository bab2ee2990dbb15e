# The two commands of the README. Each first makes sure jansson's headers are installed.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test deps build install

deps:
	@if [ ! -f /usr/include/jansson.h ]; then \
		echo "Installing libjansson-dev (jansson's headers) with apt-get…"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjansson-dev; \
	fi

build: deps
	$(SWIFT) build

# Against the simulated market (arkane-mock on loopback, started and stopped by --mock):
# 1. cancels the sample IDs: some of every outcome, a summary on stderr, every record in
#    demo-results.csv;
# 2. lists one contract's READY offers, then cancels exactly those with --select (the plan
#    first), every record in demo-select.ndjson.
# Both replace their record files from the last demo (--overwrite), so the demo runs again.
DEMO_CONTRACT = 0xA4572039E7925BB175944F0F519Ae603F25e16c2
demo: deps
	@echo "Building offer-cancel and arkane-mock (the first time takes a few minutes)…"
	@$(SWIFT) build --quiet
	@$(SWIFT) run --skip-build offer-cancel --mock --overwrite --sink summary --sink csv:demo-results.csv \
		samples/ids.txt samples/offers.csv samples/offers.ndjson samples/user-offers.json; \
	status=$$?; echo "records: demo-results.csv (exit status $$status: 1 means some offers could not be cancelled)"
	@echo; echo "== offer-cancel list --mock --contract $(DEMO_CONTRACT) --output csv (the first rows)"
	@$(SWIFT) run --skip-build offer-cancel list --mock --contract $(DEMO_CONTRACT) --output csv | head -4
	@echo; echo "== offer-cancel --mock --select --contract $(DEMO_CONTRACT) --yes"
	@$(SWIFT) run --skip-build offer-cancel --mock --select --contract $(DEMO_CONTRACT) --yes --overwrite \
		--sink summary --sink ndjson:demo-select.ndjson; \
	status=$$?; echo "records: demo-select.ndjson (exit status $$status)"

# --build-tests builds every product too: the end-to-end tests run the real binaries.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Installs the binaries, shell completions and man pages under PREFIX (default /usr/local;
# DESTDIR for packaging). CONFIGURATION=debug installs the debug build (CI uses it).
PREFIX ?= /usr/local
CONFIGURATION ?= release
install: deps
	$(SWIFT) build -c $(CONFIGURATION) --product offer-cancel
	$(SWIFT) build -c $(CONFIGURATION) --product arkane-mock
	$(SWIFT) package generate-manual --configuration $(CONFIGURATION)
	@set -e; bin=$$($(SWIFT) build -c $(CONFIGURATION) --show-bin-path); root="$(DESTDIR)$(PREFIX)"; \
	man=.build/plugins/GenerateManual/outputs; \
	install -d "$$root/bin" "$$root/share/man/man1" "$$root/share/bash-completion/completions" \
		"$$root/share/zsh/site-functions" "$$root/share/fish/vendor_completions.d"; \
	install -m 755 "$$bin/offer-cancel" "$$bin/arkane-mock" "$$root/bin/"; \
	install -m 644 "$$man/offer-cancel/offer-cancel.1" "$$man/arkane-mock/arkane-mock.1" "$$root/share/man/man1/"; \
	"$$bin/offer-cancel" --generate-completion-script bash > "$$root/share/bash-completion/completions/offer-cancel"; \
	"$$bin/offer-cancel" --generate-completion-script zsh > "$$root/share/zsh/site-functions/_offer-cancel"; \
	"$$bin/offer-cancel" --generate-completion-script fish > "$$root/share/fish/vendor_completions.d/offer-cancel.fish"; \
	echo "installed under $$root: bin/offer-cancel, bin/arkane-mock, their man pages, completions for bash, zsh and fish"
