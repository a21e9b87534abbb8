# keel: `make demo` runs the C quickstart on in-memory SQLite; `make test`
# runs every test; `make bench` compares keel with the native C clients;
# `make install` installs the C library (see README, "Installing").

CARGO ?= cargo
CC ?= cc
CFLAGS ?= -std=c11 -O2 -Wall -Wextra -Werror
# Where cargo builds: CARGO_TARGET_DIR when set, as cargo itself does.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
RELEASE_DIR := $(TARGET_DIR)/release
BUILD := build

# `make install`: PREFIX (default /usr/local) and DESTDIR (a staging root
# prepended to every path, for packagers) as usual; PROFILE=debug installs
# cargo's debug build instead of the release one.
PREFIX ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
LIBDIR ?= $(EXEC_PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=
PROFILE ?= release
INSTALL ?= install

# The version is Cargo.toml's; the soname is libkeel.so.MAJOR, or
# libkeel.so.0.MINOR while MAJOR is 0 (build.rs sets it when linking).
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
VERSION_MINOR := $(word 2,$(subst ., ,$(VERSION)))
SONAME := libkeel.so.$(if $(filter 0,$(VERSION_MAJOR)),0.$(VERSION_MINOR),$(VERSION_MAJOR))
# What libkeel.a needs besides itself: `cargo rustc --lib --crate-type
# staticlib -- --print native-static-libs` prints
# "-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc". -lc and libgcc are what cc
# links anyway (libgcc_s has no static form, so naming it would break
# `cc -static`).
LIBS_PRIVATE := -lutil -lrt -lpthread -lm -ldl

.PHONY: all lib lib-debug lib-release demo test test-rust test-c bench install uninstall clean

all: lib

lib:
	$(CARGO) build --release --locked

lib-release: lib

lib-debug:
	$(CARGO) build --locked

# (Paths quoted for the shell: CARGO_TARGET_DIR may hold spaces.)
demo: lib
	$(MAKE) -C examples-c LIBDIR="$$(cd "$(RELEASE_DIR)" && pwd)" build/01_quickstart
	LD_LIBRARY_PATH="$(RELEASE_DIR)" examples-c/build/01_quickstart

test: lib-debug
	bash scripts/test.sh

bench: lib
	bash bench/run.sh

# The header, libkeel.so.VERSION with the soname symlink and the
# libkeel.so symlink for -lkeel, libkeel.a, and keel.pc for pkg-config.
install: lib-$(PROFILE)
	$(INSTALL) -d "$(DESTDIR)$(INCLUDEDIR)" "$(DESTDIR)$(LIBDIR)" "$(DESTDIR)$(PKGCONFIGDIR)"
	$(INSTALL) -m 644 include/keel.h "$(DESTDIR)$(INCLUDEDIR)/keel.h"
	$(INSTALL) -m 755 "$(TARGET_DIR)/$(PROFILE)/libkeel.so" "$(DESTDIR)$(LIBDIR)/libkeel.so.$(VERSION)"
	ln -sf "libkeel.so.$(VERSION)" "$(DESTDIR)$(LIBDIR)/$(SONAME)"
	ln -sf "libkeel.so.$(VERSION)" "$(DESTDIR)$(LIBDIR)/libkeel.so"
	$(INSTALL) -m 644 "$(TARGET_DIR)/$(PROFILE)/libkeel.a" "$(DESTDIR)$(LIBDIR)/libkeel.a"
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' -e 's|@LIBS_PRIVATE@|$(LIBS_PRIVATE)|g' keel.pc.in \
	    > "$(DESTDIR)$(PKGCONFIGDIR)/keel.pc"
	chmod 644 "$(DESTDIR)$(PKGCONFIGDIR)/keel.pc"

uninstall:
	rm -f "$(DESTDIR)$(INCLUDEDIR)/keel.h" "$(DESTDIR)$(LIBDIR)/libkeel.so.$(VERSION)" \
	    "$(DESTDIR)$(LIBDIR)/$(SONAME)" "$(DESTDIR)$(LIBDIR)/libkeel.so" "$(DESTDIR)$(LIBDIR)/libkeel.a" \
	    "$(DESTDIR)$(PKGCONFIGDIR)/keel.pc"

clean:
	$(CARGO) clean
	rm -rf $(BUILD) examples-c/build
