# Thin driver around CMake. The README's two commands are `make run` and
# `make test`; both install missing Debian packages first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
LISTEN     ?= 127.0.0.1:8000
DATA_DIR   ?= ./portico-data
PYTHON     ?= /usr/bin/python3
FUZZ_SECONDS ?= 20

.PHONY: all build run test unit integration asan fuzz-smoke fuzz bench soak clean deps deps-run node-deps

all: build

deps:
	@./scripts/deps.sh

# Node clients the integration suite drives (AWS SDK v3, Dynamoose), pinned
# by tests/integration/node/package-lock.json.
node-deps:
	@cd tests/integration/node && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; }

deps-run:
	@./scripts/deps.sh --run-only

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: deps-run build
	$(BUILD)/portico serve --listen $(LISTEN) --data-dir $(DATA_DIR)

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Servers run durable, as in production (PORTICO_TEST_SYNC=1, conftest.py);
# tests that are about --no-sync ask for it.
integration: build node-deps
	PORTICO_TEST_SYNC=1 PORTICO_BIN=$(abspath $(BUILD)/portico) $(PYTHON) -m pytest -q -x tests/integration

asan: node-deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPT_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)
	# A small quarantine: the suite bounds the server's RSS under load, and
	# ASan's default 256 MiB of held-back freed memory would dominate it.
	PORTICO_TEST_SYNC=1 PORTICO_BIN=$(abspath $(ASAN_BUILD)/portico) PORTICO_SANITIZED=1 \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:quarantine_size_mb=4 \
	  $(PYTHON) -m pytest -q -x tests/integration -m "not slow"

fuzz-build:
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPT_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

fuzz-smoke: fuzz-build
	@for f in $(FUZZ_BUILD)/fuzz_*; do \
	  name=$$(basename $$f); corpus=tests/fuzz/corpus/$${name#fuzz_}; \
	  mkdir -p $(FUZZ_BUILD)/corpus-$$name; \
	  echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
	  mkdir -p $(FUZZ_BUILD)/logs; log=$(FUZZ_BUILD)/logs/$$name.log; \
	  if ! $$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
	      -artifact_prefix=$(FUZZ_BUILD)/ \
	      $(FUZZ_BUILD)/corpus-$$name $$( [ -d $$corpus ] && echo $$corpus ) >$$log 2>&1; then \
	    tail -40 $$log; echo "fuzz: $$name FAILED (reproduce: $$f <the crash- file named above>)"; exit 1; \
	  fi; tail -1 $$log; \
	done

fuzz:
	$(MAKE) fuzz-smoke FUZZ_SECONDS=600

test: deps build unit integration asan fuzz-smoke
	@echo "all tests passed"

bench: deps build
	PORTICO_BIN=$(abspath $(BUILD)/portico) ./bench/run.sh

soak: deps build
	PORTICO_BIN=$(abspath $(BUILD)/portico) ./bench/soak.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
