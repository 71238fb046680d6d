# t/bench/bench.mk: the benchmarks' C programs.  Included by Makefile.apxs,
# which defines BUILD, CC, CFLAGS_CORE, LIBS_CORE and CORE_LIB.  Not part of
# `make check`.
#
#   make -f Makefile.apxs bench-store      the store at BENCH_ROWS rows
#                                          (default 1000000), SQLite and PostgreSQL
#   make -f Makefile.apxs bench-vhosts     BENCH_VHOSTS (default 50) mutual vhosts
#                                          sharing a 1 M-entry CRL, against one

.PHONY: bench-store bench-vhosts

$(BUILD)/bench/store_bench: t/bench/store_bench.c $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_CORE) -o $@ $< $(CORE_LIB) $(LIBS_CORE)

bench-store: $(BUILD)/bench/store_bench $(BUILD)/mauth-admin
	sh t/bench/store.sh $(BUILD)

bench-vhosts: module
	BENCH_VHOSTS=$${BENCH_VHOSTS:-50} BENCH_SIZES=$${BENCH_SIZES:-1000000} sh t/bench/run.sh
