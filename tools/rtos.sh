#!/bin/sh
# make rtos FREERTOS_KERNEL=path: builds examples/freertos (the FreeRTOS
# port, the board start-up, rtos_test and rtos_soak) for QEMU's mps2-an386
# (Cortex-M4F) and mps2-an385 (Cortex-M3, also with a tick-only clock), runs each under
# qemu-system-arm -semihosting, and prints what each printed, the image
# sizes and "N passed, N failed" (a program passes when it exits 0: its
# exit status is its number of failed checks).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
: "${FREERTOS_KERNEL:?set FREERTOS_KERNEL to a FreeRTOS-Kernel V11 tree}"
kernel=$(cd "$FREERTOS_KERNEL" && pwd) || exit 2
out=${BUILD:-$top/build}/rtos
soak_seconds=${RTOS_SOAK_SECONDS:-8}
src=$top/examples/freertos
mkdir -p "$out"
pass=0; fail=0
# an385-tick: the Cortex-M3 again with a clock that counts ticks only (1 ms
# resolution), as on a core without SysTick: spins must switch themselves off
for config in an386 an385 an385-tick; do
    board=${config%-tick}
    clock=
    case $config in *-tick) clock=-DPORT_FREERTOS_TICK_CLOCK=1 ;; esac
    case $board in
        an386) cpu="-mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16"; port=ARM_CM4F ;;
        an385) cpu="-mcpu=cortex-m3 -mfloat-abi=soft"; port=ARM_CM3 ;;
    esac
    inc="-I$src -I$kernel/include -I$kernel/portable/GCC/$port"
    common="$cpu -mthumb -Os -g -ffunction-sections -fdata-sections $clock $inc"
    dir=$out/$config
    mkdir -p "$dir"
    objs=
    for f in tasks.c list.c queue.c portable/MemMang/heap_4.c portable/GCC/$port/port.c; do
        o=$dir/k_$(basename "$f" .c).o
        arm-none-eabi-gcc $common -std=gnu99 -w -c "$kernel/$f" -o "$o" || exit 2
        objs="$objs $o"
    done
    for f in board.c port_freertos.c kernel_glue.c; do
        o=$dir/$(basename "$f" .c).o
        arm-none-eabi-gcc $common -std=c99 -Wall -Wextra -Werror -c "$src/$f" -o "$o" || exit 2
        objs="$objs $o"
    done
    for prog in rtos_test rtos_soak; do
        elf=$dir/$prog.elf
        if ! arm-none-eabi-gcc $common -std=c99 -Wall -Wextra -Werror -fstack-usage -DSOAK_SECONDS="$soak_seconds" \
                -c "$src/$prog.c" -o "$dir/$prog.o" ||
           ! arm-none-eabi-gcc $cpu -mthumb -nostartfiles -T "$src/board.ld" -Wl,--gc-sections \
                --specs=nano.specs --specs=nosys.specs $objs "$dir/$prog.o" -o "$elf"; then
            echo "rtos: $config $prog: build FAILED"; fail=$((fail+1)); continue
        fi
        # flash and RAM of the image; parconc's own code (its functions and
        # their constants) and the FreeRTOS heap (task stacks) apart
        lib=0; heap=0
        for size in $(arm-none-eabi-nm -S "$elf" | awk '$4 ~ /^parconc_/ && $3 ~ /^[tTrR]$/ { print $2 }'); do
            lib=$((lib + 0x$size))
        done
        for size in $(arm-none-eabi-nm -S "$elf" | awk '$4 == "ucHeap" { print $2 }'); do heap=$((0x$size)); done
        arm-none-eabi-size "$elf" | awk -v c="$config" -v p="$prog" -v lib="$lib" -v heap="$heap" 'NR == 2 {
            printf "rtos: %s %s: flash %d bytes (parconc %d of them), RAM %d bytes besides the %d-byte kernel heap for task stacks\n",
                   c, p, $1 + $2, lib, $2 + $3 - heap, heap }'
        timeout $((soak_seconds + 300)) qemu-system-arm -M mps2-$board -display none -monitor none -serial null \
            -semihosting-config enable=on,target=native -kernel "$elf" >"$dir/$prog.log" 2>&1
        rc=$?
        sed "s/^/  /" "$dir/$prog.log"
        if [ $rc -eq 0 ]; then pass=$((pass+1)); echo "rtos: $config $prog: OK"
        else fail=$((fail+1)); echo "rtos: $config $prog: FAILED (exit status $rc)"; fi
    done
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
