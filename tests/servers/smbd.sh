#!/bin/bash
# tests/servers/smbd.sh start|stop DIR
#
# Samba's smbd on 127.0.0.1 and a free high port, SMB2/SMB3 only, with its
# smb.conf, password database, state directories and shares all under DIR.
# The unix user afc_smb (created here, root only) is added to the private
# password database with smbpasswd. Shares:
#   data      read-write for afc_smb; data/locked is owned by root (no writes)
#   other     read-write, to address a second share (SHARE:/ and UNC forms)
#   readonly  read only
# start waits until smbclient can log in, then writes DIR/smbd.env and
# DIR/smbd.pid. stop kills smbd (and its children) by pid and waits.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

user=afc_smb
pass='Smb-pass-4z#'
domain=AFCTEST

stop() {
    [ -f "$dir/smbd.pid" ] || return 0
    local pid kids k
    pid=$(cat "$dir/smbd.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kids=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
        kill "$pid" 2>/dev/null || true
        for k in $kids; do kill "$k" 2>/dev/null || true; done
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/smbd.pid"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    if [ "$(id -u)" != 0 ]; then echo "smbd.sh: needs root (user, smbd)" >&2; exit 1; fi
    command -v smbd >/dev/null || { echo "smbd.sh: smbd not found (apt-get install samba)" >&2; exit 1; }
    command -v smbclient >/dev/null || { echo "smbd.sh: smbclient not found" >&2; exit 1; }
    mkdir -p "$dir"
    local d
    d=$(cd "$dir" && pwd)
    chmod 755 "$d"
    mkdir -p "$d"/{private,lock,state,cache,pid,log,ncalrpc,binddns} "$d"/shares/{data,other,readonly}
    chmod 700 "$d/private"

    id "$user" >/dev/null 2>&1 || useradd -M -d /nonexistent -s /usr/sbin/nologin "$user"
    chown "$user:" "$d/shares/data" "$d/shares/other"
    chmod 755 "$d/shares" "$d/shares/data" "$d/shares/other" "$d/shares/readonly"
    mkdir -p "$d/shares/data/locked"
    echo "read only for afc_smb" > "$d/shares/data/locked/keep.txt"
    chown -R root: "$d/shares/data/locked"
    chmod 755 "$d/shares/data/locked"
    echo "shared read-only" > "$d/shares/readonly/readme.txt"

    local port
    port=$(free_port)
    cat > "$d/smb.conf" <<EOF
[global]
    workgroup = $domain
    netbios name = AFCTESTSRV
    server role = standalone server
    security = user
    map to guest = Never
    passdb backend = tdbsam:$d/private/passdb.tdb
    private dir = $d/private
    lock directory = $d/lock
    state directory = $d/state
    cache directory = $d/cache
    pid directory = $d/pid
    ncalrpc dir = $d/ncalrpc
    binddns dir = $d/binddns
    log file = $d/log/log.%m
    log level = 1
    smb ports = $port
    interfaces = 127.0.0.1
    bind interfaces only = yes
    disable netbios = yes
    server min protocol = SMB2_02
    load printers = no
    printing = bsd
    printcap name = /dev/null
    disable spoolss = yes
    unix password sync = no
    obey pam restrictions = no
    kernel oplocks = no
    create mask = 0644
    directory mask = 0755

[data]
    path = $d/shares/data
    read only = no
    valid users = $user

[other]
    path = $d/shares/other
    read only = no
    valid users = $user

[readonly]
    path = $d/shares/readonly
    read only = yes
    valid users = $user
EOF
    printf '%s\n%s\n' "$pass" "$pass" | smbpasswd -c "$d/smb.conf" -s -a "$user" >"$d/log/smbpasswd.out" 2>&1 || { cat "$d/log/smbpasswd.out" >&2; exit 1; }

    # its own session: on shutdown smbd signals its whole process group,
    # which must not be the caller's
    setsid smbd --foreground --no-process-group --configfile="$d/smb.conf" >>"$d/log/smbd.out" 2>&1 &
    local pid=$!
    echo "$pid" > "$d/smbd.pid"

    local ok=0
    for _ in $(seq 200); do
        kill -0 "$pid" 2>/dev/null || break
        if smbclient -s "$d/smb.conf" -p "$port" "//127.0.0.1/data" -U "$user%$pass" \
            -c 'ls' >/dev/null 2>&1; then
            ok=1
            break
        fi
        sleep 0.05
    done
    if [ "$ok" != 1 ]; then
        echo "smbd.sh: smbd did not start:" >&2
        cat "$d/log/smbd.out" "$d/log/log.smbd" >&2 2>/dev/null || true
        stop
        exit 1
    fi

    cat > "$d/smbd.env" <<EOF
SMBD_HOST=127.0.0.1
SMBD_PORT=$port
SMBD_PID=$pid
SMBD_DIR=$d
SMBD_USER=$user
SMBD_PASS='$pass'
SMBD_DOMAIN=$domain
SMBD_SHARE=data
SMBD_SHARE_DIR=$d/shares/data
SMBD_OTHER_SHARE=other
SMBD_OTHER_DIR=$d/shares/other
SMBD_RO_SHARE=readonly
SMBD_RO_DIR=$d/shares/readonly
SMBD_LOCKED_DIR=locked
EOF
}

case "$cmd" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
