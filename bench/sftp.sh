#!/bin/bash
# bench/sftp.sh - SFTP throughput of the libssh2 driver next to OpenSSH's
# sftp client, on loopback against tests/servers/sshd.sh:
#   - a 1 GiB file (random bytes) downloaded and uploaded, by our driver
#     and by `sftp` and `sftp -f` (-f fsyncs like our driver always does);
#   - 200 small files (1-64 KiB) uploaded with upload_many, 8 workers vs 1,
#     plain and with the server fsyncing each file (fsync: true), where
#     disk latency stands in for network latency.
# Each figure is the best of RUNS (default 3) runs; wall-clock seconds and
# MB/s are printed, plus the ratio to OpenSSH (whose connection setup,
# measured separately, is taken off: ours is not timed either). Figures
# only: no pass/fail.
# Needs root (the server's users) and ~4 GiB free under TMPDIR.
#
#   bash bench/sftp.sh            (from the repository root)
#   RUNS=5 SIZE_MB=256 bash bench/sftp.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
size_mb=${SIZE_MB:-1024}
small=${SMALL_FILES:-200}

work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
    bash tests/servers/sshd.sh stop "$work/sshd" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# the bench program, linked with the runtime archive (make bench builds it
# first): the driver and the transfer engine come from there, and only what
# they use is kept
bin=$work/sftp_bench
gcc -std=gnu11 -O2 -D_GNU_SOURCE -ffunction-sections -fdata-sections \
    -Iruntime/include -Iruntime -o "$bin" bench/sftp_bench.c \
    "${AFC_HOME:-build}/lib/afc/libafrt.a" -Wl,--gc-sections -Wl,--as-needed \
    -lssh2 -lsqlite3 -lcrypto -lpthread -lm \
    2>"$work/cc.log" || { cat "$work/cc.log" >&2; exit 1; }

bash tests/servers/sshd.sh start "$work/sshd" >/dev/null
set -a
. "$work/sshd/sshd.env"
set +a
home=$SSHD_KEY_HOME
sftp_opts=(-q -i "$SSHD_KEY_ED25519" -P "$SSHD_PORT" -o "UserKnownHostsFile=$SSHD_KNOWN_HOSTS"
           -o BatchMode=yes)
dest="$SSHD_KEY_USER@127.0.0.1"

echo "# preparing a ${size_mb} MiB file and $small small files" >&2
head -c "$((size_mb << 20))" /dev/urandom > "$home/big.bin"
cp "$home/big.bin" "$work/big.local"
chmod 644 "$home/big.bin" "$work/big.local"
mkdir -p "$work/small"
for i in $(seq "$small"); do
    head -c "$(( (RANDOM % 64 + 1) * 1024 ))" /dev/urandom > "$work/small/f$i.dat"
done
chown -R "$SSHD_KEY_USER:" "$home"

now() { date +%s.%N; }
best=""
keep_best() { # seconds
    if [ -z "$best" ] || [ "$(echo "$1 < $best" | bc)" = 1 ]; then best=$1; fi
}
time_cmd() { # command...: best wall time of $runs runs
    best=""
    local i s e
    for i in $(seq "$runs"); do
        rm -f "$work/dl.bin" "$home/up.bin"
        sync
        s=$(now)
        "$@" >/dev/null || { echo "bench: failed: $*" >&2; exit 1; }
        e=$(now)
        keep_best "$(echo "$e - $s" | bc)"
    done
    echo "$best"
}
time_ours() { # sftp_bench args...: best of the times it reports
    best=""
    local i t
    for i in $(seq "$runs"); do
        rm -f "$work/dl.bin" "$home/up.bin"
        rm -rf "$home/many"
        sync
        t=$("$bin" "$@") || { echo "bench: failed: $bin $*" >&2; exit 1; }
        keep_best "$(echo "$t" | awk '{print $2}')"
    done
    echo "$best"
}
row() { # label seconds [reference-seconds]
    local mbs ratio=""
    mbs=$(echo "scale=1; $size_mb / $2" | bc)
    [ -n "${3:-}" ] && ratio=$(echo "scale=2; $2 / $3" | bc)
    printf '%-34s %8.2f s %8s MB/s %s\n' "$1" "$2" "$mbs" "${ratio:+  x$ratio of OpenSSH ${4:-}}"
}

echo "SFTP on loopback, ${size_mb} MiB, best of $runs (load: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "pwd" > "$work/pwd.batch"
echo "get big.bin $work/dl.bin" > "$work/get.batch"
echo "put $work/big.local up.bin" > "$work/put.batch"
# sftp's figures include connecting; ours do not: take its setup time off
setup=$(time_cmd sftp "${sftp_opts[@]}" -b "$work/pwd.batch" "$dest")
minus_setup() { echo "$1 - $setup" | bc; }
get_ref=$(minus_setup "$(time_cmd sftp "${sftp_opts[@]}" -b "$work/get.batch" "$dest")")
get_ref_f=$(minus_setup "$(time_cmd sftp -f "${sftp_opts[@]}" -b "$work/get.batch" "$dest")")
get_ours=$(time_ours download "$home/big.bin" "$work/dl.bin")
cmp -s "$work/big.local" "$home/big.bin" || echo "# warning: source changed" >&2
printf '%-34s %8.2f s   (taken off the sftp figures)\n' "OpenSSH sftp connection setup" "$setup"
row "download: OpenSSH sftp" "$get_ref"
row "download: OpenSSH sftp -f" "$get_ref_f"
row "download: libssh2 driver (fsyncs)" "$get_ours" "$get_ref_f" "sftp -f"

put_ref=$(minus_setup "$(time_cmd sftp "${sftp_opts[@]}" -b "$work/put.batch" "$dest")")
put_ref_f=$(minus_setup "$(time_cmd sftp -f "${sftp_opts[@]}" -b "$work/put.batch" "$dest")")
put_ours=$(time_ours upload "$work/big.local" "$home/up.bin")
put_ours_f=$(BENCH_FSYNC=1 time_ours upload "$work/big.local" "$home/up.bin")
row "upload: OpenSSH sftp" "$put_ref"
row "upload: OpenSSH sftp -f" "$put_ref_f"
row "upload: libssh2 driver" "$put_ours" "$put_ref" "sftp"
row "upload: libssh2 driver, fsync: true" "$put_ours_f" "$put_ref_f" "sftp -f"

echo
echo "$small small files (1-64 KiB) uploaded, best of $runs"
for fs in 0 1; do
    w1=$(BENCH_FSYNC=$fs time_ours many "$work/small" "$home/many" 1)
    w8=$(BENCH_FSYNC=$fs time_ours many "$work/small" "$home/many" 8)
    label=$([ "$fs" = 1 ] && echo ", fsync: true" || echo "")
    printf '%-34s %8.2f s\n' "workers 1$label" "$w1"
    printf '%-34s %8.2f s   (x%s faster)\n' "workers 8$label" "$w8" \
        "$(echo "scale=1; $w1 / $w8" | bc)"
done
