# t/unit/unit.mk: the core's C unit tests and fuzzers.  Included by
# Makefile.apxs, which defines BUILD, CC, CFLAGS_CORE, APR_CFLAGS, APR_LIBS
# and MAUTH_CORE_SRC.
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
UNIT_HDR       = t/unit/unit.h t/unit/testpki.h mauth_core.h mauth_crl.h store/mauth_store.h
UNIT_TESTS     = $(patsubst t/unit/%.c,$(UNIT_DIR)/%,$(wildcard t/unit/test_*.c))
# the store's runtime queries too (test_store.c; APR_LIBS brings apr_dbd)
UNIT_OBJ       = $(patsubst %.c,$(UNIT_DIR)/obj/%.o,$(MAUTH_CORE_SRC) $(UNIT_HELPER_SRC) \
                   $(MAUTH_MODULE_STORE_SRC))

FUZZ_DIR       = $(BUILD)/fuzz
FUZZ_SECONDS  ?= 30
FUZZ_CC       ?= clang
FUZZ_CFLAGS    = -O1 -g -Wall -Wextra -Wno-unused-parameter -Werror -I. -It/unit \
                 $(APR_CFLAGS) -fsanitize=fuzzer,address,undefined \
                 -fno-sanitize-recover=all -fno-omit-frame-pointer
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

$(UNIT_DIR)/obj/%.o: %.c $(UNIT_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -c -o $@ $<

$(UNIT_DIR)/test_%: t/unit/test_%.c $(UNIT_OBJ) $(UNIT_HDR)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_OBJ) $(APR_LIBS) -lcrypto

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

$(FUZZ_DIR)/fuzz_%: t/fuzz/fuzz_%.c t/unit/testpki.c $(MAUTH_CORE_SRC) $(UNIT_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< t/unit/testpki.c $(MAUTH_CORE_SRC) \
	  $(APR_LIBS) -lcrypto

# The CRL seeds are generated once and committed; this remakes them.
$(FUZZ_DIR)/mkseeds: t/fuzz/mkseeds.c $(UNIT_OBJ) $(UNIT_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_OBJ) $(APR_LIBS) -lcrypto

fuzz-seeds: $(FUZZ_DIR)/mkseeds
	$(FUZZ_DIR)/mkseeds t/fuzz/corpus
