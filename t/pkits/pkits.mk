# t/pkits/pkits.mk: the NIST PKITS cases through the core's validator.
# Included by Makefile.apxs after t/unit/unit.mk (it reuses the unit
# tests' objects and flags).
#
#   make -f Makefile.apxs pkits        every case of t/pkits/cases.txt
#   build/unit/pkits -v 4.4.19         one case, with the validator's log

PKITS_BIN = $(UNIT_DIR)/pkits

.PHONY: pkits

pkits: $(PKITS_BIN)
	$(PKITS_BIN) --data t/pkits

$(PKITS_BIN): t/pkits/pkits.c $(UNIT_OBJ)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_OBJ) $(LIBS_CORE)
