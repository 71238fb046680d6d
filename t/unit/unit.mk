# t/unit/unit.mk: the core's C unit tests and fuzzers.  Included by
# Makefile.apxs, which defines BUILD, CC, WARN, CFLAGS_CORE, APR_CFLAGS,
# LIBS_CORE and CORE_SRC.  Each flavour (sanitized unit tests, libFuzzer)
# builds the core once into a library of its own.
#
#   make -f Makefile.apxs unit          build and run every t/unit/test_*.c
#   make -f Makefile.apxs fuzz          each t/fuzz/fuzz_*.c for FUZZ_SECONDS
#   make -f Makefile.apxs fuzz-smoke    each fuzzer over its seed corpus only
#   make -f Makefile.apxs fuzz-seeds    regenerate t/fuzz/corpus/crl (committed)
#
# Unit tests: $(CC) with AddressSanitizer and UBSan, any finding fatal.
# Fuzzers: clang's libFuzzer.  Everything lands in $(BUILD)/unit and
# $(BUILD)/fuzz; fuzzer crash inputs in t/fuzz/crashes/NAME/ (ignored by git).

UNIT_DIR       = $(BUILD)/unit
UNIT_SANITIZE  = -fsanitize=address,undefined -fno-sanitize-recover=all \
                 -fno-omit-frame-pointer
UNIT_CFLAGS    = $(CFLAGS_CORE) -It/unit $(UNIT_SANITIZE)
# Shared by every test binary and the fuzzers: the runner and the PKI maker.
UNIT_HELPER_SRC = t/unit/unit.c t/unit/testpki.c
UNIT_TESTS     = $(patsubst t/unit/%.c,$(UNIT_DIR)/%,$(wildcard t/unit/test_*.c))
UNIT_LIB       = $(UNIT_DIR)/libmauth_core.a
UNIT_OBJ       = $(patsubst %.c,$(UNIT_DIR)/obj/%.o,$(UNIT_HELPER_SRC)) $(UNIT_LIB)

FUZZ_DIR       = $(BUILD)/fuzz
FUZZ_SECONDS  ?= 30
FUZZ_CC       ?= clang
# libFuzzer's instrumentation for the core and testpki; -fsanitize=fuzzer
# (the main) only where a fuzzer is linked.
FUZZ_SANITIZE  = -fsanitize=address,undefined -fno-sanitize-recover=all \
                 -fno-omit-frame-pointer
FUZZ_CFLAGS    = -O1 -g $(WARN) -Icore -It/unit $(APR_CFLAGS) $(FUZZ_SANITIZE) -MMD -MP
FUZZ_LIB       = $(FUZZ_DIR)/libmauth_core.a
FUZZ_OBJ       = $(FUZZ_DIR)/obj/t/unit/testpki.o $(FUZZ_LIB)
FUZZ_NAMES     = $(patsubst t/fuzz/fuzz_%.c,%,$(wildcard t/fuzz/fuzz_*.c))
FUZZ_BINS      = $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))

.PHONY: unit unit-build fuzz fuzz-build fuzz-smoke fuzz-seeds

unit: unit-build
	@failed=""; for t in $(UNIT_TESTS); do \
	  $$t || failed="$$failed $$(basename $$t)"; \
	done; \
	if [ -n "$$failed" ]; then echo "unit: FAILED:$$failed"; exit 1; fi; \
	echo "unit: all suites passed"

unit-build: $(UNIT_TESTS)

$(UNIT_DIR)/obj/%.o: %.c Makefile.apxs
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -c -o $@ $<

$(UNIT_LIB): $(patsubst %.c,$(UNIT_DIR)/obj/%.o,$(CORE_SRC))
	rm -f $@
	ar rcs $@ $^

$(UNIT_DIR)/test_%: t/unit/test_%.c $(UNIT_OBJ)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_OBJ) $(LIBS_CORE)

# libFuzzer writes what it learns to the first corpus directory: that is a
# scratch copy in $(FUZZ_DIR), the committed seeds are only read.
fuzz: fuzz-build
	@for n in $(FUZZ_NAMES); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$n t/fuzz/crashes/$$n; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_DIR)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=t/fuzz/crashes/$$n/ \
	    $(FUZZ_DIR)/corpus/$$n t/fuzz/corpus/$$n || exit 1; \
	done

# Every seed once: quick, part of `check`.
fuzz-smoke: fuzz-build
	@for n in $(FUZZ_NAMES); do \
	  mkdir -p t/fuzz/crashes/$$n; \
	  $(FUZZ_DIR)/fuzz_$$n -runs=0 -artifact_prefix=t/fuzz/crashes/$$n/ \
	    t/fuzz/corpus/$$n 2>$(FUZZ_DIR)/smoke-$$n.log \
	    || { cat $(FUZZ_DIR)/smoke-$$n.log; echo "fuzz-smoke: $$n FAILED"; exit 1; }; \
	  echo "fuzz-smoke: $$n: $$(ls t/fuzz/corpus/$$n | wc -l) seeds ok"; \
	done

fuzz-build: $(FUZZ_BINS)

$(FUZZ_DIR)/obj/%.o: %.c Makefile.apxs
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIB): $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(CORE_SRC))
	rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: t/fuzz/fuzz_%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LIBS_CORE)

# The CRL seeds are generated once and committed; this remakes them.
$(FUZZ_DIR)/mkseeds: t/fuzz/mkseeds.c $(UNIT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_OBJ) $(LIBS_CORE)

fuzz-seeds: $(FUZZ_DIR)/mkseeds
	$(FUZZ_DIR)/mkseeds t/fuzz/corpus
