#!/bin/sh
# Model checking with Spin (tests/model/*.pml).  `sh tools/model.sh quick`
# (run by make test) checks the small configurations; `full` (make model)
# adds the large ones.  Every mutation (a deliberately broken protocol)
# must be caught, which shows the assertions can fail.  Last lines:
#   "model: N configurations, S states explored, no violation; M mutations caught"
#   "N passed, N failed"
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-full}
work="$top/build/model"
mkdir -p "$work"
cd "$work" || exit 1
cp "$top"/tests/model/*.pml .
pass=0; fail=0; states=0; configs=0; caught=0

# run MODEL FLAGS EXPECT(ok|violation)
run() {
    model=$1; flags=$2; expect=$3
    rm -f pan pan.c ./*.trail
    if ! spin -a $flags "$model" >spin.log 2>&1 || ! gcc -O2 -DSAFETY -DCOLLAPSE -o pan pan.c >>spin.log 2>&1; then
        echo "  FAILED to build $model $flags"; cat spin.log; fail=$((fail+1)); return
    fi
    ./pan -m2000000 >pan.log 2>&1
    n=$(grep -E '^ *[0-9.e+]+ states, stored' pan.log | awk '{printf "%.0f", $1}')
    errs=$(grep -oE 'errors: [0-9]+' pan.log | awk '{print $2}')
    printf '  %-12s %-36s %12s states  errors %s\n' "$model" "${flags:-(defaults)}" "${n:-?}" "${errs:-?}"
    if [ "$expect" = ok ]; then
        if [ "${errs:-1}" = 0 ] && ! grep -q 'Search not completed' pan.log; then
            pass=$((pass+1)); configs=$((configs+1)); states=$((states+${n:-0}))
        else
            fail=$((fail+1)); grep -E 'violated|invalid end|error' pan.log | head -5
        fi
    else
        if [ "${errs:-0}" != 0 ]; then pass=$((pass+1)); caught=$((caught+1))
        else fail=$((fail+1)); echo "  mutation NOT caught: $model $flags"; fi
    fi
}

echo "== model ($mode)"
run mutex.pml  "-DN=3 -DROUNDS=2" ok
run mutex.pml  "-DN=2 -DROUNDS=3" ok
run rwlock.pml "-DNR=2 -DNW=2 -DROUNDS=1" ok
run rwlock.pml "-DNR=1 -DNW=3 -DROUNDS=1" ok
run group.pml  "-DSCENARIO=1" ok
run group.pml  "-DSCENARIO=2" ok
run group.pml  "-DSCENARIO=3" ok
if [ "$mode" = full ]; then
    run mutex.pml "-DN=4 -DROUNDS=1" ok
    run mutex.pml "-DN=3 -DROUNDS=3" ok
    run rwlock.pml "-DNR=2 -DNW=3 -DROUNDS=1" ok
fi
run mutex.pml  "-DANY_TAKER -DN=3 -DROUNDS=1" violation
run mutex.pml  "-DLEAVE_HANDOFF -DN=3 -DROUNDS=1" violation
run mutex.pml  "-DNO_RECONTEND -DN=3 -DROUNDS=1" violation
run rwlock.pml "-DNO_SECOND_OFF -DNR=2 -DNW=2 -DROUNDS=1" violation
run rwlock.pml "-DNO_RESTORE -DNR=2 -DNW=2 -DROUNDS=1" violation
run rwlock.pml "-DNO_COUNTED -DNR=2 -DNW=3 -DROUNDS=1" violation
run rwlock.pml "-DRIN_FUTEX -DNR=2 -DNW=3 -DROUNDS=1" violation
run rwlock.pml "-DNO_VACATE_WAKE -DNR=2 -DNW=2 -DROUNDS=1" violation
run rwlock.pml "-DNO_WWAIT_WAKE -DNR=1 -DNW=2 -DROUNDS=2" violation
run group.pml  "-DSCENARIO=1 -DLEAVE_NO_CLEAR" violation
run group.pml  "-DSCENARIO=2 -DHOOK_NO_CHANGE" violation
run group.pml  "-DSCENARIO=2 -DNO_RECHECK" violation
echo "model: $configs configurations, $states states explored, no violation; $caught mutations caught"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
