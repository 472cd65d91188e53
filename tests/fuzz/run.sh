#!/bin/bash
# tests/fuzz/run.sh SECONDS - builds the front-end fuzzer into build/fuzz/
# and runs it for SECONDS (default 60) over tests/fuzz/corpus. Prints one
# line, `ok - fuzz/frontend` or `not ok - fuzz/frontend` (then the crash
# report's tail as # lines); exits non-zero when the fuzzer found a crash,
# a leak, undefined behaviour or a timeout. Findings are left in
# build/fuzz/ (crash-*, leak-*, timeout-*) for reproduction:
#   build/fuzz/fuzz_frontend build/fuzz/crash-...
set -u
cd "$(dirname "$0")/../.."
secs=${1:-60}
out=build/fuzz
mkdir -p "$out/corpus"
# The compiler (all but its main) and the runtime, instrumented; the built-in
# steps' descriptors come uninstrumented from the runtime archive that
# `make` built, with the libraries they need.
[ -f build/lib/afc/libafrt.a ] && [ -f build/gen/catalog.c ] || { echo "not ok - fuzz/frontend"; echo "# run make first"; exit 1; }
srcs="$(ls compiler/*.c | grep -v compiler/main.c) runtime/*.c build/gen/catalog.c build/gen/templates.c"
libs="build/lib/afc/libafrt.a -L/usr/lib/x86_64-linux-gnu/samba $(sh tools/step-libs.sh stdlib-steps/*.c)
      -lyaml -ltcc -ldl -lsqlite3 -lcrypto -lm -lpthread -Wl,-rpath,/usr/lib/x86_64-linux-gnu/samba"
log=$out/fuzz.log
if ! clang -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=undefined -Iruntime/include -Iruntime -Icompiler -Istdlib-steps \
        $(pkg-config --cflags libxml-2.0 smbclient 2>/dev/null) \
        tests/fuzz/fuzz_frontend.c $srcs $libs -o "$out/fuzz_frontend" >"$log" 2>&1; then
    echo "not ok - fuzz/frontend"
    sed 's/^/# /' "$log" | tail -20
    exit 1
fi
# New inputs go to build/fuzz/corpus; the checked-in seeds stay as they are.
"$out/fuzz_frontend" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -dict=tests/fuzz/yaml.dict -artifact_prefix="$out/" -print_final_stats=1 \
    "$out/corpus" tests/fuzz/corpus >"$log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
    echo "ok - fuzz/frontend"
else
    echo "not ok - fuzz/frontend"
    grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -10 | sed 's/^/# /'
fi
exit $rc
