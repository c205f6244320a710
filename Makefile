# cozypkg build.  Targets: all (default), test, sanitize, fuzz, bench, run,
# clean.  Dependencies are Debian packages found with pkg-config; when one is
# missing, scripts/install-deps.sh installs them first.

CC      ?= cc
BUILD   ?= build
PKGS    := jansson yaml-0.1 cmocka sqlite3 libmicrohttpd libcrypto libcurl libgit2 libarchive zlib
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wvla
CFLAGS  ?= -O2 -g
SAN     ?=
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
           $(CFLAGS) $(SAN) -Isrc/lib -DCZ_VERSION='"$(VERSION)"' \
           $(shell pkg-config --cflags jansson yaml-0.1 sqlite3 libcrypto libcurl libgit2 libarchive zlib) -pthread
LIBS     = $(shell pkg-config --libs jansson yaml-0.1 sqlite3 libcrypto libcurl libgit2 libarchive zlib) -lm -pthread
SRVLIBS  = $(shell pkg-config --libs libmicrohttpd)
TESTLIBS = $(shell pkg-config --libs cmocka)

LIB_SRCS  := $(sort $(wildcard src/lib/*/*.c))
CLI_SRCS  := $(sort $(wildcard src/cli/*.c))
SRV_SRCS  := $(sort $(wildcard src/server/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRCS := $(sort $(wildcard bench/*.c))
# Test drivers: small programs the end-to-end tests run against a server.
DRIVER_SRCS := $(sort $(wildcard tests/drivers/*.c))

LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/%.o)
SRV_OBJS  := $(SRV_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/ui_assets.o
# The dashboard's files, compiled into cozypkgd (docs/dashboard.md).
UI_FILES  := $(sort $(wildcard src/server/ui/*.html src/server/ui/*.js src/server/ui/*.css))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
DRIVER_BINS := $(DRIVER_SRCS:tests/drivers/%.c=$(BUILD)/tests/drivers/%)

LIBCZ := $(BUILD)/libcozypkg.a
CLI   := $(BUILD)/cozypkg
SRV   := $(BUILD)/cozypkgd

.SECONDARY:
.PHONY: all deps test check browser-harness unit e2e sanitize fuzz bench run man clean
all: $(CLI) $(SRV) $(UNIT_BINS) $(BENCH_BINS) $(DRIVER_BINS)

# Installs the Debian packages when pkg-config cannot find them.
$(BUILD)/.deps:
	@pkg-config --exists $(PKGS) || ./scripts/install-deps.sh
	@mkdir -p $(@D) && touch $@

$(BUILD)/%.o: %.c | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/ui_assets.c: $(UI_FILES) scripts/embed-assets.sh
	@mkdir -p $(@D)
	scripts/embed-assets.sh $@ $(UI_FILES)

$(BUILD)/gen/ui_assets.o: $(BUILD)/gen/ui_assets.c
	$(CC) $(ALL_CFLAGS) -Isrc/server -c $< -o $@

$(LIBCZ): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(CLI): $(CLI_OBJS) $(LIBCZ)
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJS) $(LIBCZ) $(LIBS)

$(SRV): $(SRV_OBJS) $(LIBCZ)
	$(CC) $(ALL_CFLAGS) -o $@ $(SRV_OBJS) $(LIBCZ) $(LIBS) $(SRVLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBCZ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBCZ) $(LIBS) $(TESTLIBS)

# test_rpkg tests helpers of the CLI: it links the CLI's objects (but
# main.o) from an archive, so that only what the helpers use is pulled in.
CLI_TEST_OBJS := $(filter-out $(BUILD)/src/cli/main.o,$(CLI_OBJS))
$(BUILD)/tests/test_rpkg: $(BUILD)/tests/unit/test_rpkg.o $(CLI_TEST_OBJS) $(LIBCZ)
	@rm -f $(BUILD)/tests/unit/cli.a
	ar rcs $(BUILD)/tests/unit/cli.a $(CLI_TEST_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/tests/unit/cli.a $(LIBCZ) $(LIBS) $(TESTLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIBCZ)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBCZ) $(LIBS)

# A static pattern, so that it wins over $(BUILD)/tests/% above.
$(DRIVER_BINS): $(BUILD)/tests/drivers/%: $(BUILD)/tests/drivers/%.o $(LIBCZ)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBCZ) $(LIBS)

# The whole suite: unit tests, then the end-to-end tests, then one
# closing line "N passed, N failed".
test: all
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory browser-harness
	@tests/run-all.sh $(BUILD)

check: test

# The browser tests' harness (playwright-core, pinned by its lock file),
# installed once; it drives Debian's chromium, it never downloads a browser.
browser-harness:
	@[ -d tests/browser/node_modules/playwright-core ] || \
	  (cd tests/browser && npm ci --no-audit --no-fund)

unit: all
	@tests/run-all.sh $(BUILD) unit

e2e: all
	@tests/run-all.sh $(BUILD) e2e

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize:
	@$(MAKE) --no-print-directory BUILD=build/sanitize CFLAGS="-O1 -g" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" test

FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: all
	@bench/run.sh $(BUILD)

run: all
	@scripts/install-deps.sh
	@scripts/run-example.sh $(BUILD)

# The manual page comes from the CLI's command table.
man: $(CLI)
	$(CLI) __man >docs/cozypkg.1

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(SRV_OBJS:.o=.d) $(UNIT_BINS:$(BUILD)/tests/%=$(BUILD)/tests/unit/%.d) \
         $(DRIVER_BINS:%=%.d) $(BENCH_BINS:%=%.d)
