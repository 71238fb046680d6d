# admin/admin.mk: mauth-admin, the store's tool.  Included by Makefile.apxs,
# which defines BUILD, CC, CFLAGS_CORE, LIBS_CORE and CORE_LIB.  It links the
# core library (the same trust builder, validator and store queries as the
# module) and never a glue file.

ADMIN_SRC = $(wildcard admin/*.c)
ADMIN_OBJ = $(patsubst admin/%.c,$(BUILD)/admin/%.o,$(ADMIN_SRC)) $(BUILD)/admin/mauth_schema_sql.o

.PHONY: tools admin-test

tools: $(BUILD)/mauth-admin

# The schemas travel inside the binary, so `mauth-admin init` works from
# any directory.
$(BUILD)/admin/mauth_schema_sql.c: store/schema-sqlite.sql store/schema-pgsql.sql \
                                   store/sql2c.sh
	@mkdir -p $(dir $@)
	sh store/sql2c.sh mauth_schema_sqlite store/schema-sqlite.sql \
	  mauth_schema_pgsql store/schema-pgsql.sql > $@.tmp
	mv $@.tmp $@

$(BUILD)/admin/%.o: admin/%.c Makefile.apxs
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_CORE) -Iadmin -c -o $@ $<

$(BUILD)/admin/mauth_schema_sql.o: $(BUILD)/admin/mauth_schema_sql.c
	$(CC) $(CFLAGS_CORE) -Iadmin -c -o $@ $<

$(BUILD)/mauth-admin: $(ADMIN_OBJ) $(CORE_LIB)
	$(CC) -o $@ $(ADMIN_OBJ) $(CORE_LIB) $(LIBS_CORE)

# The admin tool's tests: SQLite, then a PostgreSQL server of their own.
admin-test: $(BUILD)/mauth-admin
	sh t/admin/admin-tests.sh $(BUILD)/mauth-admin
