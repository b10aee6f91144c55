#!/bin/sh
# make plots: turns the CSV files `make bench` wrote (build/bench_*.csv) into
# PNG bar charts in build/plots/, one per benchmark group: parconc next to
# its baseline, with the unit on the axis.  Needs gnuplot (the Makefile
# installs gnuplot-nox when it is missing and apt-get is there).
set -e
cd "$(dirname "$0")/.."
out=build/plots
mkdir -p "$out"
for csv in build/bench_*.csv; do
    [ -f "$csv" ] || { echo "no $csv: run make bench first"; exit 1; }
    name=$(basename "$csv" .csv)
    [ "$name" = bench_scale ] && continue # curves, below
    # one data file per benchmark group (first column), rows: case;parconc;baseline;unit
    tail -n +2 "$csv" | awk -F, -v dir="$out" -v name="$name" '
        $6 != 0 { f = dir "/" name "_" $1 ".dat"; print $2 ";" $3 ";" $4 ";" $5 > f }'
done
n=0
for dat in "$out"/*.dat; do
    [ -f "$dat" ] || continue
    png=${dat%.dat}.png
    unit=$(head -n 1 "$dat" | cut -d';' -f4)
    title=$(basename "${dat%.dat}" | sed 's/^bench_//; s/_/: /')
    gnuplot <<GP
set terminal pngcairo size 900,420 font ",10" noenhanced
set output "$png"
set datafile separator ";"
set title "$title (parconc vs baseline, side by side in one run)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "$unit"
set yrange [0:*]
set xtics rotate by -20
set key top left
set grid ytics
plot "$dat" using 2:xtic(1) title "parconc", "" using 3 title "baseline"
GP
    n=$((n+1))
done
# make bench-scale: one chart per case, a curve per implementation over
# the thread count (rows: benchmark,case,implementation,threads,value,unit)
if [ -f build/bench_scale.csv ]; then
    tail -n +2 build/bench_scale.csv | cut -d, -f2 | sort -u | while IFS= read -r case; do
        slug=$(printf '%s' "$case" | tr -c 'A-Za-z0-9' '_')
        dat="$out/scale_$slug.dat"
        awk -F, -v c="$case" 'NR > 1 && $2 == c { print $3 ";" $4 ";" $5 ";" $6 }' build/bench_scale.csv | sort -s -t';' -k1,1 > "$dat"
        unit=$(head -n 1 "$dat" | cut -d';' -f4)
        impls=$(cut -d';' -f1 "$dat" | awk '!seen[$0]++')
        plot=""
        for impl in $(printf '%s\n' "$impls" | tr ' ' '~'); do
            name=$(printf '%s' "$impl" | tr '~' ' ')
            plot="$plot${plot:+, }\"$dat\" using (strcol(1) eq \"$name\" ? \$2 : NaN):3 with linespoints title \"$name\""
        done
        gnuplot <<GP
set terminal pngcairo size 900,420 font ",10" noenhanced
set output "$out/scale_$slug.png"
set datafile separator ";"
set title "$case (side by side in one run)"
set xlabel "threads"
set ylabel "$unit"
set logscale x 2
set yrange [0:*]
set key outside right
set grid
plot $plot
GP
    done
    n=$((n + $(ls "$out"/scale_*.png 2>/dev/null | wc -l)))
fi
echo "$n plots in $out"
