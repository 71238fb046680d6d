# store/store.mk: the identity store and the mauth-admin tool.  Included by
# Makefile.apxs, which defines BUILD, CC, CFLAGS_CORE, APR_LIBS and
# MAUTH_CORE_SRC.

# The runtime queries; the module links them.
MAUTH_MODULE_STORE_SRC = store/mauth_store.c

MAUTH_ADMIN_SRC = store/mauth_admin.c store/mauth_admin_upload.c \
                  store/mauth_store_admin.c store/mauth_store.c
MAUTH_ADMIN_HDR = store/mauth_admin.h store/mauth_store.h \
                  store/mauth_store_admin.h $(wildcard *.h)

.PHONY: tools store-test

tools: $(BUILD)/mauth-admin

# The schemas travel inside the binary, so `mauth-admin init` works from
# any directory.
$(BUILD)/mauth_schema_sql.c: store/schema-sqlite.sql store/schema-pgsql.sql \
                             store/sql2c.sh | $(BUILD)
	sh store/sql2c.sh mauth_schema_sqlite store/schema-sqlite.sql \
	  mauth_schema_pgsql store/schema-pgsql.sql > $@.tmp
	mv $@.tmp $@

$(BUILD)/mauth-admin: $(MAUTH_ADMIN_SRC) $(MAUTH_ADMIN_HDR) $(MAUTH_CORE_SRC) \
                      $(BUILD)/mauth_schema_sql.c | $(BUILD)
	$(CC) $(CFLAGS_CORE) -o $@ $(MAUTH_ADMIN_SRC) $(MAUTH_CORE_SRC) \
	  $(BUILD)/mauth_schema_sql.c $(APR_LIBS) -lcrypto

# The admin tool's tests: SQLite, then a PostgreSQL server of their own.
store-test: $(BUILD)/mauth-admin
	sh store/t/admin-tests.sh $(BUILD)/mauth-admin
