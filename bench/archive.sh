#!/bin/bash
# bench/archive.sh - zip and unzip about 1 GiB of mixed files with the
# archive library layer (what the zip and unzip steps run) next to Info-ZIP
# at the same compression level (6), and tar.gz / tar.zst next to GNU tar.
# Prints wall time, CPU time (user + system: steadier than wall time on a
# busy machine) and peak RSS from /usr/bin/time, and our wall and CPU times
# as multiples of the other tool's. Figures only: nothing here passes or
# fails on speed.
#
#   BENCH_SIZE_MB   data size (default 1024)
#   BENCH_RUNS      runs per measurement, the best is kept (default 2)
#   BENCH_DIR       where the temporary data goes (default /tmp)
set -eu
cd "$(dirname "$0")/.."
size_mb=${BENCH_SIZE_MB:-1024}
runs=${BENCH_RUNS:-2}
work=$(mktemp -d "${BENCH_DIR:-/tmp}/afc-bench-archive-XXXXXX")
trap 'rm -rf "$work"' EXIT
for t in zip unzip tar zstd python3 gcc /usr/bin/time; do
    command -v "$t" >/dev/null || { echo "bench/archive: $t is missing" >&2; exit 1; }
done

# the bench program, linked with the runtime archive (make bench builds it
# first), of which it keeps only the archive code
bin=$work/archive_bench
gcc -std=gnu11 -O2 -D_GNU_SOURCE -ffunction-sections -fdata-sections -Iruntime/include -Iruntime \
    bench/archive_bench.c "${AFC_HOME:-build}/lib/afc/libafrt.a" -Wl,--gc-sections -Wl,--as-needed \
    -larchive -lsqlite3 -lcrypto -lpthread -lm -o "$bin"
echo "bench/archive: generating ${size_mb} MiB of mixed files..."
python3 bench/archive_data.py "$work/src" "$size_mb"
files=$(find "$work/src" -type f | wc -l)
bytes=$(du -sb "$work/src" | cut -f1)
cat "$work"/src/*/* "$work"/src/small/*/* >/dev/null 2>&1 || true # warm the page cache
echo "bench/archive: $files files, $((bytes / 1048576)) MiB, $(nproc) CPUs"

# best of $runs runs (by wall time): sets WALL, CPU (user + system), RSS (KiB)
measure() {
    local best="" bcpu="" brss="" w r u y
    for _ in $(seq "$runs"); do
        rm -rf "$work/out" && mkdir -p "$work/out"
        /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
            echo "bench/archive: failed: $*" >&2; cat "$work/err" >&2; exit 1; }
        read -r w r u y <"$work/time"
        if [ -z "$best" ] || awk "BEGIN{exit !($w < $best)}"; then
            best=$w brss=$r bcpu=$(awk "BEGIN{print $u + $y}")
        fi
    done
    WALL=$best CPU=$bcpu RSS=$brss
}

row() { # label ours_wall ours_cpu ours_rss theirs_wall theirs_cpu theirs_rss bytes
    printf "%-20s %7.2f %7.2f %6d   %7.2f %7.2f %6d   %5.2fx %5.2fx %7d\n" "$1" "$2" "$3" \
        "$(($4 / 1024))" "$5" "$6" "$(($7 / 1024))" "$(awk "BEGIN{print $2 / $5}")" \
        "$(awk "BEGIN{print $3 / $6}")" "$(($8 / 1048576))"
}

printf "%-20s %7s %7s %6s   %7s %7s %6s   %6s %6s %7s\n" "" "afc" "afc" "afc" "other" "other" \
    "other" "wall" "cpu" "output"
printf "%-20s %7s %7s %6s   %7s %7s %6s   %6s %6s %7s\n" "" "wall s" "cpu s" "MiB" "wall s" \
    "cpu s" "MiB" "ratio" "ratio" "MiB"

# zip, deflate level 6, against Info-ZIP zip -6
measure "$bin" zip zip 6 "$work/out/a.zip" "$work/src"
ow=$WALL oc=$CPU or=$RSS
measure sh -c "cd '$work/src' && zip -q -r -6 '$work/out/i.zip' ."
row "zip -6 (Info-ZIP)" "$ow" "$oc" "$or" "$WALL" "$CPU" "$RSS" "$(stat -c %s "$work/out/i.zip")"
"$bin" zip zip 6 "$work/ours.zip" "$work/src"
echo "  afc zip size: $(( $(stat -c %s "$work/ours.zip") / 1048576 )) MiB"

# unzip of the same archive (ours), against Info-ZIP unzip
measure "$bin" unzip zip "$work/ours.zip" "$work/out/x"
ow=$WALL oc=$CPU or=$RSS
measure unzip -q -o "$work/ours.zip" -d "$work/out/x"
row "unzip (Info-ZIP)" "$ow" "$oc" "$or" "$WALL" "$CPU" "$RSS" "$bytes"
rm -rf "$work/check" && "$bin" unzip zip "$work/ours.zip" "$work/check" && diff -rq "$work/src" "$work/check"
rm -rf "$work/check"

# tar.gz against GNU tar + gzip (level 6), tar.zst against tar + zstd (level 3)
measure "$bin" zip tar.gz 6 "$work/out/a.tar.gz" "$work/src"
ow=$WALL oc=$CPU or=$RSS
measure tar -C "$work/src" -czf "$work/out/t.tar.gz" .
row "tar.gz (GNU tar)" "$ow" "$oc" "$or" "$WALL" "$CPU" "$RSS" "$(stat -c %s "$work/out/t.tar.gz")"
"$bin" zip tar.gz 6 "$work/ours.tar.gz" "$work/src"
measure "$bin" unzip tar.gz "$work/ours.tar.gz" "$work/out/x"
ow=$WALL oc=$CPU or=$RSS
measure tar -C "$work/out" -xzf "$work/ours.tar.gz"
row "untar.gz (GNU tar)" "$ow" "$oc" "$or" "$WALL" "$CPU" "$RSS" "$bytes"
rm -f "$work/ours.tar.gz"

measure "$bin" zip tar.zst 3 "$work/out/a.tar.zst" "$work/src"
ow=$WALL oc=$CPU or=$RSS
measure tar -C "$work/src" --zstd -cf "$work/out/t.tar.zst" .
row "tar.zst (GNU tar)" "$ow" "$oc" "$or" "$WALL" "$CPU" "$RSS" "$(stat -c %s "$work/out/t.tar.zst")"
"$bin" zip tar.zst 3 "$work/ours.tar.zst" "$work/src"
measure "$bin" unzip tar.zst "$work/ours.tar.zst" "$work/out/x"
ow=$WALL oc=$CPU or=$RSS
measure tar -C "$work/out" --zstd -xf "$work/ours.tar.zst"
row "untar.zst (GNU tar)" "$ow" "$oc" "$or" "$WALL" "$CPU" "$RSS" "$bytes"
