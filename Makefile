# parconc - make test | make examples | make bench
#
#   make test       every test under gcc -Werror, then ThreadSanitizer, then
#                   ASan+UBSan, then the portable (no futex) platform layer,
#                   then the custom port layer (tests/port/port_posix.c), the
#                   pool test under valgrind (no leak, no "possibly lost"),
#                   the examples, the MPI example, then the reliability
#                   checks (fuzz FUZZ_SECONDS=60, soak SOAK_SECONDS=20, Spin
#                   models, Cortex-M4 cross build, cppcheck + clang-tidy,
#                   Helgrind) and the C/C++/static/no-stdio compile checks;
#                   prints "N passed, N failed" last and fails on any failure.
#   make examples   builds and runs every example (each checks itself).
#   make bench      benchmarks against baselines; tables on stdout, CSV in build/.
#   make bench-scale  scaling curves up to the CPU count (build/bench_scale.csv).
#   make plots      PNG charts of those CSV files in build/plots/.
#   make fuzz FUZZ_SECONDS=n | make soak SECONDS=n | make model | make cross
#   make rtos FREERTOS_KERNEL=path (FreeRTOS under QEMU) | make test-windows (Wine)
#   make static | make helgrind   the reliability checks one by one.

CC      := gcc
CLANG   ?= clang
WARN    := -Wall -Wextra -Wpedantic -Werror
STD     := -std=c99
LIBS    := -pthread -lm
BUILD   := build

TEST_NAMES    := $(basename $(notdir $(wildcard tests/test_*.c)))
EXAMPLE_NAMES := $(filter-out cuda_%,$(basename $(notdir $(wildcard examples/*.c))))
BENCH_NAMES   := $(basename $(notdir $(wildcard bench/bench_*.c)))
DEPS          := parconc.h tests/harness.h tests/misuse_log.h

VARIANTS := gcc tsan asan nofutex port
# 32-bit x86 (no 64-bit pointer: the one-writer 64-bit values take their
# sequence-lock form natively), when gcc can build -m32 (gcc-multilib) and
# the kernel can run what it builds (some run no 32-bit programs).
HAVE_M32 := $(shell f=$$(mktemp) && echo 'int main(void){return 0;}' | $(CC) -m32 -x c - -o $$f 2>/dev/null && $$f 2>/dev/null && echo yes; rm -f $$f)
ifeq ($(HAVE_M32),yes)
VARIANTS += m32
endif

# CUDA companion: built and run by `make test` whenever nvcc is found; the
# tests report GPU checks as skipped on a machine without a device.
CUDA_HOME ?= /usr/local/cuda
NVCC      := $(firstword $(shell command -v nvcc 2>/dev/null) $(wildcard $(CUDA_HOME)/bin/nvcc))
CUDA_ARCH := -gencode arch=compute_75,code=compute_75 -gencode arch=compute_90,code=sm_90
CUDA_LINK := -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcudart -lstdc++
ifneq ($(NVCC),)
CUDA_TEST_BINS    := $(BUILD)/cuda/test_cuda_host $(BUILD)/cuda/test_cuda_nvcc
CUDA_EXAMPLE_BINS := $(BUILD)/cuda/cuda_saxpy $(BUILD)/cuda/cuda_pipeline
endif
CFLAGS_gcc     := $(STD) $(WARN) -O2 -g
CFLAGS_tsan    := $(STD) $(WARN) -O1 -g -fsanitize=thread
CFLAGS_asan    := $(STD) $(WARN) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# a 2-slot submission ring: the full-ring wait and the list fallback on nearly every burst
CFLAGS_nofutex := $(STD) $(WARN) -O2 -g -DPARCONC_NO_FUTEX -DPARCONC_POOL_RING=2
# the whole suite on the PARCONC_PORT_CUSTOM layer, through tests/port/port_posix.c
# (and without the submission ring: every submission through the locked list)
CFLAGS_port    := $(STD) $(WARN) -O2 -g -DPARCONC_PORT_CUSTOM -DPARCONC_SEQLOCK64 -DPARCONC_POOL_RING=0
EXTRA_port     := tests/port/port_posix.c
CFLAGS_m32     := $(STD) $(WARN) -O2 -g -m32
# test_faults always runs on that port (its hook fails the k-th thread)

TEST_BINS := $(foreach v,$(VARIANTS),$(addprefix $(BUILD)/$(v)/,$(TEST_NAMES)))

.PHONY: test examples bench bench-scale clean test-quick mpi bench-cuda plots install cross rtos test-windows fuzz soak model static helgrind
.SUFFIXES:

EXAMPLE_BINS := $(addprefix $(BUILD)/examples/,$(EXAMPLE_NAMES)) $(BUILD)/examples/deadlock_debug $(CUDA_EXAMPLE_BINS)

test: $(TEST_BINS) $(EXAMPLE_BINS) $(CUDA_TEST_BINS)
	@EXAMPLE_BINS="$(EXAMPLE_BINS)" FREERTOS_KERNEL="$(FREERTOS_KERNEL)" VALGRIND_BINS="$(BUILD)/gcc/test_pool" TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	 ASAN_OPTIONS="detect_leaks=1:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1" \
	 sh tests/run.sh $(addprefix $(BUILD)/,$(VARIANTS)) $(if $(NVCC),$(BUILD)/cuda)

# Only the plain gcc build, no sanitizers (fast edit-compile-test loop).
test-quick: $(addprefix $(BUILD)/gcc/,$(TEST_NAMES))
	@SKIP_COMPILE_CHECKS=1 sh tests/run.sh $(BUILD)/gcc

define variant_rule
$(BUILD)/$(1)/test_%: tests/test_%.c $(DEPS) tests/port/port_posix.c
	@mkdir -p $$(@D)
	$(CC) $(CFLAGS_$(1)) $$< $$(sort $(EXTRA_$(1)) $$(if $$(filter faults,$$*),tests/port/port_posix.c)) -o $$@ $(LIBS)
endef
$(foreach v,$(VARIANTS),$(eval $(call variant_rule,$(v))))

$(BUILD)/cuda/kernels.o: tests/cuda/kernels.cu parconc.h parconc_cuda.h
	@mkdir -p $(@D)
	$(NVCC) -O2 -std=c++17 $(CUDA_ARCH) -c $< -o $@

$(BUILD)/cuda/test_cuda_host: tests/cuda/test_cuda_host.c $(BUILD)/cuda/kernels.o parconc.h parconc_cuda.h tests/harness.h
	$(CC) $(STD) $(WARN) -O2 -g -isystem $(CUDA_HOME)/include $< $(BUILD)/cuda/kernels.o -o $@ $(CUDA_LINK) $(LIBS)

$(BUILD)/cuda/test_cuda_nvcc: tests/cuda/test_cuda_nvcc.cu parconc.h parconc_cuda.h tests/harness.h
	@mkdir -p $(@D)
	$(NVCC) -O2 -std=c++17 $(CUDA_ARCH) -Xcompiler -Wall,-Wextra,-Werror $< -o $@

$(BUILD)/cuda/cuda_saxpy: examples/cuda_saxpy.cu parconc.h parconc_cuda.h
	@mkdir -p $(@D)
	$(NVCC) -O2 -std=c++17 $(CUDA_ARCH) -Xcompiler -Wall,-Wextra,-Werror $< -o $@

$(BUILD)/cuda/cuda_pipeline: examples/cuda_pipeline.c examples/cuda_pipeline_kernels.cu parconc.h parconc_cuda.h
	@mkdir -p $(@D)
	$(NVCC) -O2 -std=c++17 $(CUDA_ARCH) -c examples/cuda_pipeline_kernels.cu -o $(BUILD)/cuda/cuda_pipeline_kernels.o
	$(CC) $(STD) $(WARN) -O2 -isystem $(CUDA_HOME)/include $< $(BUILD)/cuda/cuda_pipeline_kernels.o -o $@ $(CUDA_LINK) $(LIBS)

# `make bench-cuda`: needs a GPU (results in README with the GPU's name)
bench-cuda: bench/bench_cuda.cu parconc.h parconc_cuda.h bench/bench_common.h
	@mkdir -p $(BUILD)/bench
	$(NVCC) -O3 -std=c++17 $(CUDA_ARCH) $< -o $(BUILD)/bench/bench_cuda
	$(BUILD)/bench/bench_cuda

# deadlock.c again with the lock-order validator on
$(BUILD)/examples/deadlock_debug: examples/deadlock.c parconc.h
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) -O2 -g -DPARCONC_DEBUG_LOCKS $< -o $@ $(LIBS)

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

bench: $(addprefix $(BUILD)/bench/,$(filter-out bench_scale,$(BENCH_NAMES)))
	@for b in $^; do echo "== $$b"; $$b || exit 1; done

# `make bench-scale`: scaling curves up to the CPU count (bench/bench_scale.c);
# Concurrency Kit's ck_pflock and pthreadpool join as baselines when their
# Debian packages (libck-dev, libpthreadpool-dev) are installed.
SCALE_HAVE := $(if $(wildcard /usr/include/ck_pflock.h),-DBENCH_HAVE_CK) \
              $(if $(wildcard /usr/include/pthreadpool.h),-DBENCH_HAVE_PTHREADPOOL)
SCALE_LIBS := $(if $(wildcard /usr/include/pthreadpool.h),-lpthreadpool)
$(BUILD)/bench/bench_scale: bench/bench_scale.c parconc.h $(wildcard bench/*.h)
	@mkdir -p $(@D)
	$(CC) -std=gnu99 -O2 -g -fopenmp $(SCALE_HAVE) $< -o $@ $(SCALE_LIBS) $(LIBS)
bench-scale: $(BUILD)/bench/bench_scale
	$(BUILD)/bench/bench_scale

# Hybrid MPI + pool example: built and run when mpicc is present
# (.ci/run installs Open MPI).  As root mpirun needs the two flags below.
MPIRUN_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-run-as-root) --oversubscribe
mpi:
	@if command -v mpicc >/dev/null 2>&1; then \
	  mkdir -p $(BUILD)/mpi && mpicc -std=c99 -O2 $(WARN) examples/mpi/mpi_hybrid.c -o $(BUILD)/mpi/mpi_hybrid -pthread && \
	  mpirun $(MPIRUN_FLAGS) -np 2 $(BUILD)/mpi/mpi_hybrid; \
	else echo "mpicc not found: skipping the MPI example (apt-get install openmpi-bin libopenmpi-dev)"; fi

# PNG charts from the CSV files of `make bench` (gnuplot installed if missing)
plots:
	@command -v gnuplot >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q gnuplot-nox >/dev/null; }
	@sh tools/plots.sh

# make install PREFIX=/usr/local: the headers, a pkg-config file and the
# CMake package files (find_package(parconc) then parconc::parconc)
PREFIX ?= /usr/local
# Firmware-style build: examples/firmware (pool + locks + parallel_for on the
# stub port, PARCONC_NO_MALLOC, PARCONC_NO_STDIO) for a Cortex-M4 with newlib.
# Fails if the object needs the heap, stdio, pthreads or a 64-bit atomic.
ARM_CC    := arm-none-eabi-gcc
ARM_FLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -std=c99 \
             -Wall -Wextra -Wpedantic -Werror -Os -ffunction-sections -fdata-sections
cross:
	@mkdir -p $(BUILD)/cross
	$(ARM_CC) $(ARM_FLAGS) -fstack-usage -c examples/firmware/firmware.c -o $(BUILD)/cross/firmware.o
	@# every function's own frame within 1 KB: an RTOS task has a few KB of stack
	@sort -t '	' -k2 -n -r $(BUILD)/cross/firmware.su | head -n 1 | awk -F '	' '{ n = split($$1, a, ":"); \
	    printf "cross: largest frame %s, %d bytes (limit 1024)\n", a[n], $$2; exit ($$2 > 1024) }'
	$(ARM_CC) $(ARM_FLAGS) -c examples/firmware/stub_port.c -o $(BUILD)/cross/stub_port.o
	$(ARM_CC) $(ARM_FLAGS) -Wl,--gc-sections --specs=nano.specs --specs=nosys.specs \
	    $(BUILD)/cross/firmware.o $(BUILD)/cross/stub_port.o -o $(BUILD)/cross/firmware.elf
	@if arm-none-eabi-nm $(BUILD)/cross/firmware.o | \
	    grep -E ' U (malloc|calloc|realloc|free|printf|fprintf|puts|__assert_func|pthread_.*|__atomic_.*_8|__sync_.*_8)$$'; then \
	    echo "cross: the firmware object needs something it must not (above)"; exit 1; fi
	@if arm-none-eabi-nm $(BUILD)/cross/firmware.elf | grep -wE 'malloc|_malloc_r|_vfprintf_r'; then \
	    echo "cross: the linked firmware contains a heap or stdio (above)"; exit 1; fi
	@# parallel_for (AUTO) and the locks use integers only: no software double routines
	@if arm-none-eabi-nm $(BUILD)/cross/firmware.elf | grep -E ' __aeabi_d[a-z0-9]+$$'; then \
	    echo "cross: the linked firmware does double-precision arithmetic (above)"; exit 1; fi
	@arm-none-eabi-size $(BUILD)/cross/firmware.elf | awk 'NR == 2 { printf "cross: Cortex-M4 firmware (pool + locks + parallel_for, stub port): text %s, data %s, bss %s bytes\n", $$1, $$2, $$3 }'
	@# the ELF is only linked (no Cortex-M4 to run it on), so the same source
	@# also runs here over the POSIX port, 64-bit and 32-bit: its pool really
	@# starts in the 8 KB buffer and every result is checked
	$(CC) -std=c99 $(WARN) -O2 examples/firmware/firmware.c tests/port/port_posix.c -o $(BUILD)/cross/firmware_host -pthread
	$(BUILD)/cross/firmware_host
	@if [ "$(HAVE_M32)" = yes ]; then \
	    $(CC) -m32 -std=c99 $(WARN) -O2 examples/firmware/firmware.c tests/port/port_posix.c -o $(BUILD)/cross/firmware_host32 -pthread && \
	    $(BUILD)/cross/firmware_host32; fi
	@echo "cross: the same firmware ran on the host over the POSIX port (threads, pool in its 8 KB buffer): OK"

# FreeRTOS on QEMU: make rtos FREERTOS_KERNEL=path (a FreeRTOS-Kernel V11
# tree with the GCC ARM_CM3 and ARM_CM4F ports).  Builds examples/freertos
# for mps2-an386 (Cortex-M4F) and mps2-an385 (Cortex-M3; also with a
# tick-only clock) and runs rtos_test and rtos_soak on each under
# qemu-system-arm; a program's exit status is its failed checks.
FREERTOS_KERNEL ?= $(wildcard ../shared/third_party/FreeRTOS-Kernel)
RTOS_SOAK_SECONDS ?= 8
rtos:
	@FREERTOS_KERNEL="$(FREERTOS_KERNEL)" RTOS_SOAK_SECONDS=$(RTOS_SOAK_SECONDS) BUILD="$(abspath $(BUILD))" sh tools/rtos.sh

# Windows: make test-windows builds every test and example with mingw-w64
# (gcc, and clang for the mingw target), runs them under Wine, and checks
# that the MSVC branches compile (clang -fms-compatibility)
test-windows:
	@BUILD="$(abspath $(BUILD))" sh tools/windows.sh

# libFuzzer API harness (clang, -fsanitize=fuzzer,address,undefined):
# make fuzz FUZZ_SECONDS=n.  The committed corpus is tests/fuzz/corpus.
FUZZ_SECONDS ?= 60
$(BUILD)/fuzz/fuzz_api: tests/fuzz/fuzz_api.c parconc.h
	@mkdir -p $(@D)
	$(CLANG) -std=c99 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all $< -o $@ $(LIBS)
fuzz: $(BUILD)/fuzz/fuzz_api
	@sh tools/fuzz.sh $(FUZZ_SECONDS)

# Mixed workload under ThreadSanitizer with invariants checked as it runs:
# make soak SECONDS=n (default 30), once on a default pool and once on a
# caller-runs pool, each with a thread pausing and resuming it.
SECONDS ?= 30
$(BUILD)/soak/soak: tests/soak/soak.c parconc.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_tsan) $< -o $@ $(LIBS)
soak: $(BUILD)/soak/soak
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" $(BUILD)/soak/soak $(SECONDS) && \
	 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" $(BUILD)/soak/soak $(SECONDS) caller-runs

# Spin models of the mutex hand-off and the phase-fair rwlock
# (tests/model/); make test runs the quick configurations.
model:
	@sh tools/model.sh full

# cppcheck + clang-tidy on every configuration; Helgrind on the lock tests.
static:
	@sh tools/static.sh
helgrind:
	@sh tools/helgrind.sh

install:
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/lib/cmake/parconc
	install -m 644 parconc.h parconc_cuda.h $(DESTDIR)$(PREFIX)/include/
	sed 's|@PREFIX@|$(PREFIX)|' parconc.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/parconc.pc
	printf '%s\n' 'include(CMakeFindDependencyMacro)' 'find_dependency(Threads)' \
	  'if(NOT TARGET parconc::parconc)' '  add_library(parconc::parconc INTERFACE IMPORTED)' \
	  '  set_target_properties(parconc::parconc PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "$${CMAKE_CURRENT_LIST_DIR}/../../../include" INTERFACE_LINK_LIBRARIES Threads::Threads)' \
	  'endif()' > $(DESTDIR)$(PREFIX)/lib/cmake/parconc/parconcConfig.cmake
	printf '%s\n' 'set(PACKAGE_VERSION 0.1.0)' 'if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION OR NOT PACKAGE_FIND_VERSION_MAJOR EQUAL 0)' \
	  '  set(PACKAGE_VERSION_COMPATIBLE FALSE)' 'else()' '  set(PACKAGE_VERSION_COMPATIBLE TRUE)' 'endif()' \
	  > $(DESTDIR)$(PREFIX)/lib/cmake/parconc/parconcConfigVersion.cmake

clean:
	rm -rf $(BUILD)
