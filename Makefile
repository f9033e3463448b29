# tldsign — plain Makefile.
#   make            build build/tldsign
#   make check      install dependencies, build (normal + ASan/UBSan), run every test
#   make demo       run the whole pipeline on a built-in sample
#   make bench      benchmarks side by side with kzonesign, dnssec-signzone, ldns-signzone
#   make fuzz       longer libFuzzer runs (FUZZ_SECONDS=300 per target)
#
# Sources are found by directory: every .c in a module directory goes into
# build/libtldsign.a, every cli/*.c into build/tldsign, every
# tests/unit/test_*.c becomes one TAP binary, every tests/fuzz/fuzz_*.c one
# libFuzzer target.

CC       ?= cc
BUILD    ?= build
PKGS     := openssl libp11 ldns yaml-0.1 sqlite3
VERSION  := 0.1.0

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Werror=implicit \
            -Wformat=2 -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DTLDSIGN_VERSION='"$(VERSION)"' -I. \
              $(WARN) $(CFLAGS) $(SAN_CFLAGS) $(PKG_CFLAGS) -pthread -MMD -MP
LDLIBS   := $(PKG_LIBS) -ldl -lm -pthread

MODULES  := common zonegen signer hsm policy publish verify run
LIB_SRC  := $(foreach d,$(MODULES),$(wildcard $(d)/*.c))
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TAP_SRC  := tests/tap/tap.c
TOOL_SRC := $(wildcard tests/tools/*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TAP_OBJ  := $(TAP_SRC:%.c=$(BUILD)/obj/%.o)
TESTS    := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOLS    := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
LIB      := $(BUILD)/libtldsign.a
BIN      := $(BUILD)/tldsign

.SECONDARY:

.PHONY: all tests tools deps check check-build unit unit-asan integration fuzz-short fuzz \
        asan demo bench clean distclean

all: $(BIN)

# `make V=1` shows the full command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TAP_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(TAP_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

tests: $(BIN) $(TESTS) $(TOOLS)
tools: $(TOOLS)

deps:
	@scripts/install-deps.sh

# The ASan/UBSan build lives in build-asan/.
asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	    SAN_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" tests

check-build: deps
	$(MAKE) tests
	$(MAKE) asan

unit: tests
	@tests/run-tests.sh unit $(TESTS)

unit-asan: asan
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 tests/run-tests.sh unit-asan $(TESTS:$(BUILD)/%=build-asan/%)

integration: tests
	@TLDSIGN=$(CURDIR)/$(BIN) TLDSIGN_TOOLS=$(CURDIR)/$(BUILD)/tools \
	 tests/run-tests.sh integration $(sort $(wildcard tests/integration/[0-9]*.sh))

fuzz-short:
	@tests/fuzz/run.sh short

fuzz:
	@tests/fuzz/run.sh long

# The whole suite: one summary line at the end ("N passed, N failed").
check: check-build
	@rm -f $(BUILD)/check-results
	@TAP_RESULTS=$(CURDIR)/$(BUILD)/check-results $(MAKE) --no-print-directory unit-asan || true
	@TAP_RESULTS=$(CURDIR)/$(BUILD)/check-results $(MAKE) --no-print-directory unit || true
	@TAP_RESULTS=$(CURDIR)/$(BUILD)/check-results $(MAKE) --no-print-directory integration || true
	@TAP_RESULTS=$(CURDIR)/$(BUILD)/check-results $(MAKE) --no-print-directory fuzz-short || true
	@tests/summarize.sh $(BUILD)/check-results

demo: deps all
	@scripts/demo.sh

bench: deps all tools
	@bench/run.sh

clean:
	rm -rf build build-asan build-fuzz

distclean: clean

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TAP_OBJ:.o=.d) \
         $(TEST_SRC:tests/unit/%.c=$(BUILD)/obj/tests/unit/%.d) \
         $(TOOL_SRC:tests/tools/%.c=$(BUILD)/obj/tests/tools/%.d)
