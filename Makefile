# parconc - make test | make examples | make bench
#
#   make test       every test under gcc -Werror, then ThreadSanitizer, then
#                   ASan+UBSan, then the portable (no futex) platform layer,
#                   then the pool test under valgrind (no leak, no "possibly
#                   lost"), the examples and the C/C++/static/no-stdio compile
#                   checks; prints
#                   "N passed, N failed" last and fails on any failure.
#   make examples   builds and runs every example (each checks itself).
#   make bench      benchmarks against baselines; tables on stdout, CSV in build/.

CC      := gcc
CLANG   ?= clang
WARN    := -Wall -Wextra -Wpedantic -Werror
STD     := -std=c99
LIBS    := -pthread -lm
BUILD   := build

TEST_NAMES    := $(basename $(notdir $(wildcard tests/test_*.c)))
EXAMPLE_NAMES := $(basename $(notdir $(wildcard examples/*.c)))
BENCH_NAMES   := $(basename $(notdir $(wildcard bench/bench_*.c)))
DEPS          := parconc.h tests/harness.h

VARIANTS := gcc tsan asan nofutex
CFLAGS_gcc     := $(STD) $(WARN) -O2 -g
CFLAGS_tsan    := $(STD) $(WARN) -O1 -g -fsanitize=thread
CFLAGS_asan    := $(STD) $(WARN) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS_nofutex := $(STD) $(WARN) -O2 -g -DPARCONC_NO_FUTEX

TEST_BINS := $(foreach v,$(VARIANTS),$(addprefix $(BUILD)/$(v)/,$(TEST_NAMES)))

.PHONY: test examples bench clean test-quick mpi
.SUFFIXES:

EXAMPLE_BINS := $(addprefix $(BUILD)/examples/,$(EXAMPLE_NAMES))

test: $(TEST_BINS) $(EXAMPLE_BINS)
	@EXAMPLE_BINS="$(EXAMPLE_BINS)" VALGRIND_BINS="$(BUILD)/gcc/test_pool" TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	 ASAN_OPTIONS="detect_leaks=1:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1" \
	 sh tests/run.sh $(addprefix $(BUILD)/,$(VARIANTS))

# Only the plain gcc build, no sanitizers (fast edit-compile-test loop).
test-quick: $(addprefix $(BUILD)/gcc/,$(TEST_NAMES))
	@SKIP_COMPILE_CHECKS=1 sh tests/run.sh $(BUILD)/gcc

define variant_rule
$(BUILD)/$(1)/test_%: tests/test_%.c $(DEPS)
	@mkdir -p $$(@D)
	$(CC) $(CFLAGS_$(1)) $$< -o $$@ $(LIBS)
endef
$(foreach v,$(VARIANTS),$(eval $(call variant_rule,$(v))))

$(BUILD)/examples/%: examples/%.c parconc.h
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) -O2 -g $< -o $@ $(LIBS)

examples: $(EXAMPLE_BINS)
	@pass=0; fail=0; for e in $^; do \
	  echo "== $$e"; if timeout 120 $$e; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAILED: $$e"; fi; \
	done; echo "$$pass passed, $$fail failed"; [ $$fail -eq 0 ]

$(BUILD)/bench/%: bench/%.c parconc.h $(wildcard bench/*.h)
	@mkdir -p $(@D)
	$(CC) -std=gnu99 -O2 -g -fopenmp $< -o $@ $(LIBS)

bench: $(addprefix $(BUILD)/bench/,$(BENCH_NAMES))
	@for b in $^; do echo "== $$b"; $$b || exit 1; done

# Hybrid MPI + pool example: built and run when mpicc is present
# (.ci/run installs Open MPI).  As root mpirun needs the two flags below.
MPIRUN_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-run-as-root) --oversubscribe
mpi:
	@if command -v mpicc >/dev/null 2>&1; then \
	  mkdir -p $(BUILD)/mpi && mpicc -std=c99 -O2 $(WARN) examples/mpi/mpi_hybrid.c -o $(BUILD)/mpi/mpi_hybrid -pthread && \
	  mpirun $(MPIRUN_FLAGS) -np 2 $(BUILD)/mpi/mpi_hybrid; \
	else echo "mpicc not found: skipping the MPI example (apt-get install openmpi-bin libopenmpi-dev)"; fi

clean:
	rm -rf $(BUILD)
