# iotpipe: one non-recursive GNU Makefile.
#   make                 build the programs into $(BUILD)/
#   make check           every test (unit, CLI, integration with real servers)
#   make unit | cli      the server-free parts, for a quick loop
#   make DEV=1           adds -Werror
#   make SANITIZE=address,undefined BUILD=build-asan check
#   make lint | fuzz | bench | demo | install | uninstall | deps | clean
#   make deps-build      only the packages the build needs (the image's build stage)

VERSION    := 0.1.0
BUILD      ?= build
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
DOCDIR     ?= $(PREFIX)/share/doc/iotpipe

CC         ?= cc
CFLAGS     ?= -O2 -g
CPPFLAGS   += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DIOTPIPE_VERSION='"$(VERSION)"' -I.
WARNFLAGS  := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wold-style-definition -Wpointer-arith \
	-Wwrite-strings -Wvla -Wundef -fno-common
ifeq ($(DEV),1)
WARNFLAGS  += -Werror
endif
ifneq ($(SANITIZE),)
SANFLAGS   := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
ALL_CFLAGS  = -std=c11 $(WARNFLAGS) $(CFLAGS) $(SANFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

PKG_JANSSON  = jansson
PKG_RDKAFKA  = rdkafka
PKG_CURL     = libcurl
PKG_MQTT     = libmosquitto
pkgcflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pkglibs   = $(shell pkg-config --libs $(1) 2>/dev/null)

# ---- common/: libcommon.a (one object per module; static linking takes
# only what a program uses, so vnorm never drags in libcurl)
COMMON_SRC := $(sort $(wildcard common/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIBCOMMON  := $(BUILD)/libcommon.a

# ---- programs: each lists its objects and the packages it links
PROGS := vnorm mqtt2json json2mqtt esbulk
vnorm_OBJ  := $(BUILD)/cmd/vnorm/main.o $(BUILD)/cmd/vnorm/options.o \
	$(BUILD)/cmd/vnorm/normalize.o $(BUILD)/cmd/vnorm/merge.o
vnorm_PKGS :=
mqtt2json_OBJ  := $(BUILD)/cmd/mqtt2json/main.o \
	$(BUILD)/cmd/mqtt2json/options.o \
	$(BUILD)/cmd/mqtt2json/format.o $(BUILD)/cmd/mqtt2json/topicfields.o \
	$(BUILD)/cmd/mqtt2json/subs.o
mqtt2json_PKGS := $(PKG_MQTT)
json2mqtt_OBJ  := $(BUILD)/cmd/json2mqtt/main.o \
	$(BUILD)/cmd/json2mqtt/options.o \
	$(BUILD)/cmd/json2mqtt/record.o $(BUILD)/cmd/json2mqtt/inflight.o
json2mqtt_PKGS := $(PKG_MQTT)
esbulk_OBJ  := $(BUILD)/cmd/esbulk/main.o $(BUILD)/cmd/esbulk/options.o \
	$(BUILD)/cmd/esbulk/bulk.o $(BUILD)/cmd/esbulk/server.o \
	$(BUILD)/cmd/esbulk/sender.o $(BUILD)/cmd/esbulk/setup.o
esbulk_PKGS := $(PKG_CURL) zlib

kprod_OBJ  := $(BUILD)/cmd/kprod/main.o $(BUILD)/cmd/kprod/options.o \
	$(BUILD)/cmd/kprod/record.o $(BUILD)/cmd/kprod/why.o
kprod_PKGS := $(PKG_RDKAFKA)
kcons_OBJ  := $(BUILD)/cmd/kcons/main.o $(BUILD)/cmd/kcons/consume.o \
	$(BUILD)/cmd/kcons/admin.o $(BUILD)/cmd/kcons/format.o \
	$(BUILD)/cmd/kcons/offspec.o $(BUILD)/cmd/kcons/acks.o \
	$(BUILD)/cmd/kcons/partitions.o $(BUILD)/cmd/kcons/output.o \
	$(BUILD)/cmd/kcons/options.o
kcons_PKGS := $(PKG_RDKAFKA)
PROGS += kprod kcons
vsim_OBJ  := $(BUILD)/cmd/vsim/main.o $(BUILD)/cmd/vsim/options.o \
	$(BUILD)/cmd/vsim/fleet.o $(BUILD)/cmd/vsim/emit.o \
	$(BUILD)/cmd/vsim/model.o $(BUILD)/cmd/vsim/routes.o \
	$(BUILD)/cmd/vsim/routes_data.o $(BUILD)/cmd/vsim/numfmt.o
vsim_PKGS :=
vsim_LDLIBS := -lm
PROGS += vsim
kibana-dash_OBJ  := $(BUILD)/cmd/kibana-dash/main.o \
	$(BUILD)/cmd/kibana-dash/options.o $(BUILD)/cmd/kibana-dash/objects.o \
	$(BUILD)/cmd/kibana-dash/kibana.o
kibana-dash_PKGS := $(PKG_JANSSON) $(PKG_CURL)
PROGS += kibana-dash

PROG_BINS := $(PROGS:%=$(BUILD)/%)

# ---- tests
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
# pure parts of programs that unit tests link
UNIT_EXTRA_test_normalize := $(BUILD)/cmd/vnorm/normalize.o \
	$(BUILD)/cmd/vnorm/merge.o
UNIT_EXTRA_test_mqtt2json := $(BUILD)/cmd/mqtt2json/format.o \
	$(BUILD)/cmd/mqtt2json/topicfields.o $(BUILD)/cmd/mqtt2json/subs.o
UNIT_EXTRA_test_json2mqtt := $(BUILD)/cmd/json2mqtt/record.o \
	$(BUILD)/cmd/json2mqtt/inflight.o
UNIT_EXTRA_test_bulk := $(BUILD)/cmd/esbulk/bulk.o $(BUILD)/cmd/esbulk/server.o
UNIT_EXTRA_test_kprod := $(BUILD)/cmd/kprod/record.o $(BUILD)/cmd/kprod/why.o
UNIT_EXTRA_test_kcons := $(BUILD)/cmd/kcons/format.o \
	$(BUILD)/cmd/kcons/offspec.o $(BUILD)/cmd/kcons/acks.o
UNIT_EXTRA_test_vsim := $(BUILD)/cmd/vsim/fleet.o $(BUILD)/cmd/vsim/emit.o \
	$(BUILD)/cmd/vsim/model.o $(BUILD)/cmd/vsim/routes.o \
	$(BUILD)/cmd/vsim/routes_data.o $(BUILD)/cmd/vsim/numfmt.o \
	$(BUILD)/cmd/vsim/options.o
UNIT_LDLIBS_test_vsim := -lm
UNIT_EXTRA_test_kibana_dash := $(BUILD)/cmd/kibana-dash/objects.o \
	$(BUILD)/cmd/kibana-dash/kibana.o
# pkg-config packages a unit test links besides cmocka
UNIT_LIBS_test_stats := jansson
UNIT_LIBS_test_mqttopt := $(PKG_MQTT)
UNIT_LIBS_test_mqtt2json := $(PKG_MQTT)
UNIT_LIBS_test_http := $(PKG_CURL)
UNIT_LIBS_test_kafkaopt := $(PKG_RDKAFKA)
UNIT_LIBS_test_kprod := $(PKG_RDKAFKA)
UNIT_LIBS_test_kibana_dash := $(PKG_JANSSON) $(PKG_CURL)
CLI_TESTS := $(sort $(wildcard tests/cli/*.bats))
# Suites that test the servers, their scripts or the images rather than
# our code (clusters, containers, tests/services) run once: not again
# under the sanitizers.
ONCE_TESTS := tests/integration/cluster.bats tests/integration/containers.bats \
	tests/integration/services.bats
INTEGRATION_TESTS := $(sort $(wildcard tests/integration/*.bats))
ifneq ($(SANITIZE),)
INTEGRATION_TESTS := $(filter-out $(ONCE_TESTS),$(INTEGRATION_TESTS))
endif
TEST_HELPERS := $(BUILD)/tests/services/kmock
PROVE ?= prove
PROVE_FLAGS ?= -f --comments

.PHONY: all check unit cli integration lint fuzz bench demo install uninstall \
	deps deps-build clean test-bins
.DEFAULT_GOAL := all

all: $(PROG_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(EXTRA_CFLAGS_$(notdir $(*D))) -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

.SECONDEXPANSION:
$(PROG_BINS): $(BUILD)/%: $$(%_OBJ) $(LIBCOMMON)
	$(CC) $(ALL_LDFLAGS) -o $@ $($*_OBJ) $(LIBCOMMON) $(call pkglibs,$($*_PKGS)) \
		$($*_LDLIBS) $(LDLIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $$(UNIT_EXTRA_%) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(call pkgcflags,cmocka $(UNIT_LIBS_$*)) -o $@ $< \
		$(UNIT_EXTRA_$*) $(LIBCOMMON) $(ALL_LDFLAGS) \
		$(call pkglibs,cmocka $(UNIT_LIBS_$*)) $(UNIT_LDLIBS_$*) $(LDLIBS)

test-bins: $(PROG_BINS) $(UNIT_BINS) $(TEST_HELPERS)

# One prove run, so its summary is the last thing printed.
TEST_ENV = IOTPIPE_BUILD=$(abspath $(BUILD)) CMOCKA_MESSAGE_OUTPUT=TAP
check: deps
	$(MAKE) test-bins
	$(TEST_ENV) $(PROVE) $(PROVE_FLAGS) --exec tests/run-test \
		$(UNIT_BINS) $(CLI_TESTS) $(INTEGRATION_TESTS)

unit: $(UNIT_BINS)
	$(TEST_ENV) $(PROVE) $(PROVE_FLAGS) --exec tests/run-test $(UNIT_BINS)

cli: $(PROG_BINS)
	$(TEST_ENV) $(PROVE) $(PROVE_FLAGS) --exec tests/run-test $(CLI_TESTS)

integration: test-bins
	$(TEST_ENV) $(PROVE) $(PROVE_FLAGS) --exec tests/run-test $(INTEGRATION_TESTS)

# ---- lint: man pages, shell, C
SHELL_FILES = $(wildcard tests/services/*.sh tests/bench/*.sh tests/fuzz/*.sh \
	tests/run-test .ci/run demo.sh completions/bash/*)
lint:
	mandoc -Tlint -Wwarning man/*.1 man/*.7
	shellcheck -x -s bash $(SHELL_FILES)
	cppcheck --quiet --enable=warning,portability,performance --error-exitcode=1 \
		--inline-suppr --std=c11 -I. common cmd tests/unit tests/fuzz
	clang-format --dry-run --Werror common/*.[ch] cmd/*/*.[ch]
	@# common/prelude.h (banned.h) is the first include of every .c file
	@bad=$$(for f in common/*.c cmd/*/*.c; do \
		grep -m1 '^#include' "$$f" | grep -q 'prelude\.h"' || echo "$$f"; \
	done); if [ -n "$$bad" ]; then \
		echo "lint: prelude.h is not the first include of:" $$bad; exit 1; fi

# ---- fuzz: libFuzzer (clang), time-boxed; FUZZ_SECONDS per target
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_TARGETS)

# ---- bench: every tests/bench/ script, then one summary table
# (tests/bench/all.sh). miku/esbulk, the peer of esbulk, is built from its
# source when MIKU_ESBULK_SRC names that directory (Go >= 1.25, or >= 1.21,
# which fetches 1.25), or taken from MIKU_ESBULK (a binary); without
# either its comparison is skipped and said so. The sizes are the
# scripts' own knobs (BENCH_LINES, BENCH_DOCS, BENCH_COUNT, BENCH_RUNS).
bench: deps
	$(MAKE) all
	IOTPIPE_BUILD=$(abspath $(BUILD)) tests/bench/all.sh

demo: deps
	$(MAKE) all
	IOTPIPE_BUILD=$(abspath $(BUILD)) ./demo.sh

# ---- install
MAN1 := $(wildcard man/*.1)
MAN7 := $(wildcard man/*.7)
install: $(PROG_BINS)
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)/man1" \
		"$(DESTDIR)$(MANDIR)/man7" "$(DESTDIR)$(BASHCOMPDIR)" "$(DESTDIR)$(ZSHCOMPDIR)"
	install -m 755 $(PROG_BINS) "$(DESTDIR)$(BINDIR)"
	install -m 644 $(MAN1) "$(DESTDIR)$(MANDIR)/man1"
	install -m 644 $(MAN7) "$(DESTDIR)$(MANDIR)/man7"
	for p in $(PROGS); do \
		install -m 644 completions/bash/$$p "$(DESTDIR)$(BASHCOMPDIR)/$$p" && \
		install -m 644 completions/zsh/_$$p "$(DESTDIR)$(ZSHCOMPDIR)/_$$p" || exit 1; \
	done
	install -d "$(DESTDIR)$(DOCDIR)/vsim-routes"
	install -m 644 cmd/vsim/routes/LICENSE cmd/vsim/routes/README.md \
		cmd/vsim/routes/routes.ndjson "$(DESTDIR)$(DOCDIR)/vsim-routes"

uninstall:
	for p in $(PROGS); do \
		rm -f "$(DESTDIR)$(BINDIR)/$$p" "$(DESTDIR)$(MANDIR)/man1/$$p.1" \
			"$(DESTDIR)$(BASHCOMPDIR)/$$p" "$(DESTDIR)$(ZSHCOMPDIR)/_$$p"; \
	done
	rm -f "$(DESTDIR)$(MANDIR)/man7/iotpipe.7"
	rm -rf "$(DESTDIR)$(DOCDIR)/vsim-routes"

# ---- deps: the Debian packages the build and the tests need
# BUILD_DEB_PKGS: what `make` alone needs (deps-build installs only these:
# the build stage of deploy/Containerfile); DEB_PKGS: those and what the
# tests, lint, fuzz and bench need (podman, runc, catatonit and mmdebstrap:
# tests/integration/containers.bats; python3-yaml: its YAML checks).
BUILD_DEB_PKGS := build-essential pkg-config librdkafka-dev libjansson-dev \
	libcurl4-openssl-dev zlib1g-dev libmosquitto-dev
DEB_PKGS := $(BUILD_DEB_PKGS) libcmocka-dev mosquitto \
	mosquitto-clients kcat jq openssl curl bats bats-support bats-assert \
	bats-file mandoc shellcheck cppcheck clang clang-format \
	libclang-rt-14-dev zsh bash-completion default-jdk-headless maven procps \
	time util-linux python3 unzip tmux \
	podman runc catatonit mmdebstrap python3-yaml
deps: DEPS_PKGS = $(DEB_PKGS)
deps-build: DEPS_PKGS = $(BUILD_DEB_PKGS)
deps deps-build:
	@missing=; for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing </dev/null; \
	fi

clean:
	rm -rf $(BUILD) build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# librdkafka's mock cluster as a process, for fault-injection tests only
$(BUILD)/tests/services/kmock: tests/services/kmock.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(call pkgcflags,rdkafka) -o $@ $< \
		$(ALL_LDFLAGS) $(call pkglibs,rdkafka) $(LDLIBS)
