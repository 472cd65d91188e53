#!/bin/bash
# bench/archive.sh - zip and unzip about 1 GiB of mixed files with the
# archive library layer (what the zip and unzip steps run) next to Info-ZIP
# at the same compression level (6), and tar.gz / tar.zst next to GNU tar.
# Prints wall time and peak RSS (/usr/bin/time) per run, and our time as a
# multiple of the other tool's. Figures only: nothing here passes or fails
# on speed.
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

bin=$work/archive_bench
gcc -std=gnu11 -O2 -D_GNU_SOURCE -Iruntime/include -Iruntime bench/archive_bench.c \
    stdlib-steps/archive_core.c runtime/arena.c runtime/buf.c -larchive -o "$bin"
echo "bench/archive: generating ${size_mb} MiB of mixed files..."
python3 bench/archive_data.py "$work/src" "$size_mb"
files=$(find "$work/src" -type f | wc -l)
bytes=$(du -sb "$work/src" | cut -f1)
cat "$work"/src/*/* "$work"/src/small/*/* >/dev/null 2>&1 || true # warm the page cache
echo "bench/archive: $files files, $((bytes / 1048576)) MiB, $(nproc) CPUs"

# best wall time and its peak RSS over $runs runs: sets WALL, RSS
measure() {
    local best="" brss="" w r
    for _ in $(seq "$runs"); do
        rm -rf "$work/out" && mkdir -p "$work/out"
        /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
            echo "bench/archive: failed: $*" >&2; cat "$work/err" >&2; exit 1; }
        read -r w r <"$work/time"
        if [ -z "$best" ] || awk "BEGIN{exit !($w < $best)}"; then best=$w brss=$r; fi
    done
    WALL=$best RSS=$brss
}

row() { # label ours_wall ours_rss theirs_wall theirs_rss size
    printf "%-22s %8.2f %9d %8.2f %9d %7.2fx %9d\n" "$1" "$2" "$(($3 / 1024))" "$4" \
        "$(($5 / 1024))" "$(awk "BEGIN{print $2 / $4}")" "$(($6 / 1048576))"
}

printf "%-22s %8s %9s %8s %9s %8s %9s\n" "" "afc s" "afc MiB" "ref s" "ref MiB" "ratio" "size MiB"

# zip, deflate level 6, against Info-ZIP zip -6
measure "$bin" zip zip 6 "$work/out/a.zip" "$work/src"
ow=$WALL or=$RSS
measure sh -c "cd '$work/src' && zip -q -r -6 '$work/out/i.zip' ."
row "zip -6 (Info-ZIP)" "$ow" "$or" "$WALL" "$RSS" "$(stat -c %s "$work/out/i.zip")"
"$bin" zip zip 6 "$work/ours.zip" "$work/src"
echo "  afc zip size: $(( $(stat -c %s "$work/ours.zip") / 1048576 )) MiB"

# unzip of the same archive (ours), against Info-ZIP unzip
measure "$bin" unzip zip "$work/ours.zip" "$work/out/x"
ow=$WALL or=$RSS
measure unzip -q -o "$work/ours.zip" -d "$work/out/x"
row "unzip (Info-ZIP)" "$ow" "$or" "$WALL" "$RSS" "$bytes"
rm -rf "$work/check" && "$bin" unzip zip "$work/ours.zip" "$work/check" && diff -rq "$work/src" "$work/check"
rm -rf "$work/check"

# tar.gz against GNU tar + gzip (level 6), tar.zst against tar + zstd (level 3)
measure "$bin" zip tar.gz 6 "$work/out/a.tar.gz" "$work/src"
ow=$WALL or=$RSS
measure tar -C "$work/src" -czf "$work/out/t.tar.gz" .
row "tar.gz (GNU tar)" "$ow" "$or" "$WALL" "$RSS" "$(stat -c %s "$work/out/t.tar.gz")"
"$bin" zip tar.gz 6 "$work/ours.tar.gz" "$work/src"
measure "$bin" unzip tar.gz "$work/ours.tar.gz" "$work/out/x"
ow=$WALL or=$RSS
measure tar -C "$work/out" -xzf "$work/ours.tar.gz"
row "untar.gz (GNU tar)" "$ow" "$or" "$WALL" "$RSS" "$bytes"
rm -f "$work/ours.tar.gz"

measure "$bin" zip tar.zst 3 "$work/out/a.tar.zst" "$work/src"
ow=$WALL or=$RSS
measure tar -C "$work/src" --zstd -cf "$work/out/t.tar.zst" .
row "tar.zst (GNU tar)" "$ow" "$or" "$WALL" "$RSS" "$(stat -c %s "$work/out/t.tar.zst")"
"$bin" zip tar.zst 3 "$work/ours.tar.zst" "$work/src"
measure "$bin" unzip tar.zst "$work/ours.tar.zst" "$work/out/x"
ow=$WALL or=$RSS
measure tar -C "$work/out" --zstd -xf "$work/ours.tar.zst"
row "untar.zst (GNU tar)" "$ow" "$or" "$WALL" "$RSS" "$bytes"
