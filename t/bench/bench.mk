# t/bench/bench.mk: the benchmarks' C programs.  Included by Makefile.apxs,
# which defines BUILD, CC, CFLAGS_CORE, LIBS_CORE and CORE_LIB.  Not part of
# `make check`.
#
#   make -f Makefile.apxs bench-store      the store at BENCH_ROWS rows
#                                          (default 1000000), SQLite and PostgreSQL

.PHONY: bench-store

$(BUILD)/bench/store_bench: t/bench/store_bench.c $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_CORE) -o $@ $< $(CORE_LIB) $(LIBS_CORE)

bench-store: $(BUILD)/bench/store_bench $(BUILD)/mauth-admin
	sh t/bench/store.sh $(BUILD)
