# afc - AetherFlow compiler. See README.md.
#
#   make            build/bin/afc, build/lib/afc/libafrt.a, build/include/afc/af.h
#   make test       installs what the tests need (Debian), runs every test
#   make demo       builds afc, compiles and runs the demo bundles
#   make bench      benchmarks (figures, never assertions)
#   make fuzz       libFuzzer harness over the front end (FUZZ_SECONDS=60)
#   make install    PREFIX=/usr/local DESTDIR=
#
# The build tree mirrors the installed layout so afc finds its runtime
# relative to its own executable in both: bin/afc, lib/afc/, include/afc/.

PREFIX  ?= /usr/local
DESTDIR ?=
B       ?= build
CC      ?= gcc
# The runtime archive is linked by tcc too: no LTO objects, no TLS, PIC.
OPT     ?= -O2
CFLAGS_COMMON := -std=gnu11 $(OPT) -g -fPIC -fno-lto -Wall -Wextra -Wno-unused-parameter \
                 -Wno-missing-field-initializers -D_GNU_SOURCE
CFLAGS  ?=
ALL_CFLAGS = $(CFLAGS_COMMON) $(CFLAGS) -Iruntime/include -Iruntime
XML2_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
SMB_CFLAGS  := $(shell pkg-config --cflags smbclient 2>/dev/null || echo -I/usr/include/samba-4.0)

RT_SRC    := $(sort $(wildcard runtime/*.c))
STEP_SRC  := $(sort $(wildcard stdlib-steps/*.c))
AFC_SRC   := $(sort $(wildcard compiler/*.c))
RT_OBJ    := $(RT_SRC:%.c=$(B)/obj/%.o)
STEP_OBJ  := $(STEP_SRC:%.c=$(B)/obj/%.o)
AFC_OBJ   := $(AFC_SRC:%.c=$(B)/obj/%.o) $(B)/obj/gen/catalog.o $(B)/obj/gen/templates.o

LIBAFRT   := $(B)/lib/afc/libafrt.a
AFC       := $(B)/bin/afc
HEADERS   := $(wildcard runtime/include/*.h)
INC_OUT   := $(HEADERS:runtime/include/%=$(B)/include/afc/%)

# System libraries of every step and driver: afc itself links them all (it
# reads the descriptors); flow executables link only what their steps name.
STEP_LIBS := $(shell sh tools/step-libs.sh $(STEP_SRC))
RT_LIBS   := -lsqlite3 -lcrypto -lm -lpthread
AFC_LIBS  := -lyaml -ltcc -ldl $(STEP_LIBS) $(RT_LIBS)
LDFLAGS   ?=

.PHONY: all test demo bench fuzz install clean deps format check-format
all: $(AFC) $(LIBAFRT) $(INC_OUT) $(B)/lib/afc/libgcc.path

$(B)/obj/%.o: %.c $(HEADERS) runtime/af_int.h compiler/afc.h $(wildcard stdlib-steps/*.h runtime/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(XML2_CFLAGS) $(SMB_CFLAGS) -Icompiler -Istdlib-steps -c $< -o $@

$(LIBAFRT): $(RT_OBJ) $(STEP_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@.tmp && ar rcs $@.tmp $^ && mv $@.tmp $@

$(B)/include/afc/%.h: runtime/include/%.h
	@mkdir -p $(dir $@)
	cp $< $@

# gcc's libgcc.a must be on every tcc link; record where it is.
$(B)/lib/afc/libgcc.path:
	@mkdir -p $(dir $@)
	$(CC) -print-libgcc-file-name > $@

# The compiler's catalog of built-in steps and drivers, generated from the
# descriptors' definitions so adding a step is adding a file.
$(B)/gen/catalog.c: $(STEP_SRC) tools/gen-catalog.sh
	@mkdir -p $(dir $@)
	sh tools/gen-catalog.sh $(STEP_SRC) > $@.tmp && mv $@.tmp $@

# Code templates embedded into afc.
$(B)/gen/templates.c: $(wildcard templates/*) tools/gen-templates.sh
	@mkdir -p $(dir $@)
	sh tools/gen-templates.sh templates > $@.tmp && mv $@.tmp $@

$(B)/obj/gen/%.o: $(B)/gen/%.c $(HEADERS) compiler/afc.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Icompiler -c $< -o $@

$(AFC): $(AFC_OBJ) $(LIBAFRT)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@.tmp $(AFC_OBJ) $(LIBAFRT) -L/usr/lib/x86_64-linux-gnu/samba $(AFC_LIBS) \
	  -Wl,-rpath,/usr/lib/x86_64-linux-gnu/samba && mv $@.tmp $@

# ---- tests ---------------------------------------------------------------

# test_*.c run on their own; itest_*.c need servers and are run by the
# tests/integration/*.sh scripts that start them.
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c tests/unit/itest_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIBAFRT) $(AFC_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(XML2_CFLAGS) $(SMB_CFLAGS) -Icompiler -Istdlib-steps -Itests/unit -o $@ $< \
	  $(filter-out $(B)/obj/compiler/main.o,$(AFC_OBJ)) $(LIBAFRT) \
	  -L/usr/lib/x86_64-linux-gnu/samba $(AFC_LIBS) -Wl,-rpath,/usr/lib/x86_64-linux-gnu/samba

unit: $(UNIT_BIN)

deps:
	sh tools/setup-deps.sh tools/deps-build.txt

test-deps: deps
	sh tools/setup-deps.sh tests/deps/*.txt

test: test-deps
	$(MAKE) all unit
	bash tests/run.sh

demo: deps
	$(MAKE) all
	bash demo/run.sh

bench: deps
	sh tools/setup-deps.sh tools/deps-bench.txt
	$(MAKE) all
	bash bench/run.sh

fuzz: all
	bash tests/fuzz/run.sh $${FUZZ_SECONDS:-60}

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/afc $(DESTDIR)$(PREFIX)/include/afc \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(AFC) $(DESTDIR)$(PREFIX)/bin/afc
	install -m 644 $(LIBAFRT) $(B)/lib/afc/libgcc.path $(DESTDIR)$(PREFIX)/lib/afc/
	install -m 644 $(INC_OUT) $(DESTDIR)$(PREFIX)/include/afc/
	for m in man/*.1; do install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/; done
	for m in man/*.5; do install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man5/; done
	for m in man/*.7; do [ -e "$$m" ] && install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man7/ || true; done

format:
	clang-format -i $(RT_SRC) $(STEP_SRC) $(AFC_SRC) runtime/*.h runtime/include/*.h compiler/*.h

check-format:
	clang-format --dry-run --Werror $(RT_SRC) $(STEP_SRC) $(AFC_SRC)

clean:
	rm -rf $(B) tests/out
