# keel: `make demo` runs the C quickstart on in-memory SQLite; `make test`
# runs every test; `make bench` compares keel with the native C clients.

CARGO ?= cargo
CC ?= cc
CFLAGS ?= -std=c11 -O2 -Wall -Wextra -Werror
RELEASE_DIR := target/release
BUILD := build

.PHONY: all lib lib-debug demo test test-rust test-c bench clean

all: lib

lib:
	$(CARGO) build --release --locked

lib-debug:
	$(CARGO) build --locked

demo: lib
	$(MAKE) -C examples-c LIBDIR=../$(RELEASE_DIR) build/01_quickstart
	LD_LIBRARY_PATH=$(RELEASE_DIR) examples-c/build/01_quickstart

test: lib-debug
	bash scripts/test.sh

bench: lib
	bash bench/run.sh

clean:
	$(CARGO) clean
	rm -rf $(BUILD) examples-c/build
