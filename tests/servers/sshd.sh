#!/bin/bash
# tests/servers/sshd.sh start|stop DIR
#
# An OpenSSH server on 127.0.0.1 and a free high port with all its state
# under DIR: host keys (ed25519, ecdsa, rsa), sshd_config, client keys and
# the users' home directories. Two local users are set up (root only):
#   afc_sftp_pw   password login
#   afc_sftp_key  key login: RSA (PEM, passphrase), ECDSA (passphrase),
#                 ed25519 (none), ed25519 (passphrase)
# start waits for the SSH banner, then writes DIR/sshd.env (shell
# assignments) and DIR/sshd.pid. stop kills the server (and its session
# processes) by pid and waits.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

pw_user=afc_sftp_pw
key_user=afc_sftp_key
pw_pass='Pw-sftp-7q!x'

children() { # pids of the direct children of $1
    cat "/proc/$1/task/$1/children" 2>/dev/null || true
}

stop() {
    [ -f "$dir/sshd.pid" ] || return 0
    local pid kids k
    pid=$(cat "$dir/sshd.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kids=$(children "$pid")
        kill "$pid" 2>/dev/null || true
        for k in $kids; do kill "$k" 2>/dev/null || true; done
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/sshd.pid"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

umod() { # usermod ARGS, waited for
    # usermod refuses while a process runs as the user: the session
    # processes of a server stopped just before may still be ending
    local i
    for i in $(seq 100); do
        usermod "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    usermod "$@" >/dev/null
}

ensure_user() { # name home
    if ! id "$1" >/dev/null 2>&1; then
        useradd -M -d "$2" -s /bin/sh "$1"
    else
        umod -d "$2" "$1"
    fi
}

start() {
    if [ "$(id -u)" != 0 ]; then echo "sshd.sh: needs root (users, /run/sshd)" >&2; exit 1; fi
    local sshd=/usr/sbin/sshd
    [ -x "$sshd" ] || { echo "sshd.sh: $sshd not found (apt-get install openssh-server)" >&2; exit 1; }
    mkdir -p "$dir" /run/sshd
    chmod 755 "$dir"
    local d
    d=$(cd "$dir" && pwd)
    mkdir -p "$d/etc" "$d/keys" "$d/home"
    chmod 755 "$d/home"

    # host keys
    for t in ed25519 ecdsa rsa; do
        [ -f "$d/etc/host_$t" ] || ssh-keygen -q -t "$t" -N '' -f "$d/etc/host_$t" -C "afc test host"
    done

    # users: homes under DIR, owned by them
    ensure_user "$pw_user" "$d/home/$pw_user"
    ensure_user "$key_user" "$d/home/$key_user"
    echo "$pw_user:$pw_pass" | chpasswd
    umod -p '*' "$key_user" # no password: keys only
    for u in "$pw_user" "$key_user"; do
        mkdir -p "$d/home/$u"
        chown "$u:" "$d/home/$u"
        chmod 755 "$d/home/$u"
    done
    # a directory the password user may read but not write
    mkdir -p "$d/home/$pw_user/readonly"
    echo "cannot touch this" > "$d/home/$pw_user/readonly/locked.txt"
    chown -R root: "$d/home/$pw_user/readonly"
    chmod 755 "$d/home/$pw_user/readonly"

    # sshd reads homes and authorized keys as the user: every parent of DIR
    # must let others through
    if ! runuser -u "$key_user" -- test -x "$d/home/$key_user"; then
        echo "sshd.sh: $d is not reachable by other users (a parent directory lacks o+x)" >&2
        exit 1
    fi

    # client keys for the key user
    [ -f "$d/keys/id_rsa" ] || ssh-keygen -q -t rsa -b 3072 -m PEM -N 'rsa-Pass-1' -f "$d/keys/id_rsa" -C rsa
    [ -f "$d/keys/id_ecdsa" ] || ssh-keygen -q -t ecdsa -b 256 -N 'ecdsa-Pass-2' -f "$d/keys/id_ecdsa" -C ecdsa
    [ -f "$d/keys/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/keys/id_ed25519" -C ed25519
    [ -f "$d/keys/id_ed25519_pp" ] || ssh-keygen -q -t ed25519 -N 'ed-Pass-3' -f "$d/keys/id_ed25519_pp" -C ed25519pp
    [ -f "$d/keys/id_ed25519_other" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/keys/id_ed25519_other" -C unauthorised
    mkdir -p "$d/etc/authorized"
    cat "$d/keys/id_rsa.pub" "$d/keys/id_ecdsa.pub" "$d/keys/id_ed25519.pub" \
        "$d/keys/id_ed25519_pp.pub" > "$d/etc/authorized/$key_user"
    chmod 644 "$d/etc/authorized/$key_user"
    chmod 600 "$d"/keys/id_*[a-z0-9] 2>/dev/null || true
    chmod 644 "$d"/keys/*.pub

    local port
    port=$(free_port)
    cat > "$d/etc/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $d/etc/host_ed25519
HostKey $d/etc/host_ecdsa
HostKey $d/etc/host_rsa
PidFile none
UsePAM no
StrictModes no
PermitRootLogin no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
# libssh2 1.10 signs RSA user keys with SHA-1 only
PubkeyAcceptedAlgorithms +ssh-rsa
AuthorizedKeysFile $d/etc/authorized/%u
AllowUsers $pw_user $key_user
Subsystem sftp internal-sftp
LogLevel ERROR
MaxSessions 10
MaxStartups 100
EOF
    "$sshd" -t -f "$d/etc/sshd_config"
    "$sshd" -D -e -f "$d/etc/sshd_config" >>"$d/sshd.log" 2>&1 &
    local pid=$!
    echo "$pid" > "$d/sshd.pid"

    # ready when it sends its banner
    local ok=0
    for _ in $(seq 100); do
        if ! kill -0 "$pid" 2>/dev/null; then break; fi
        if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 7 <&3" 2>/dev/null | grep -q '^SSH-2.0'; then
            ok=1
            break
        fi
        sleep 0.05
    done
    if [ "$ok" != 1 ]; then
        echo "sshd.sh: sshd did not start:" >&2
        cat "$d/sshd.log" >&2 || true
        stop
        exit 1
    fi

    # the host keys as a client's known_hosts would hold them
    local kh="$d/known_hosts"
    : > "$kh"
    for t in ed25519 ecdsa rsa; do
        echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$d/etc/host_$t.pub")" >> "$kh"
    done
    local fp_ed
    fp_ed=$(ssh-keygen -l -E sha256 -f "$d/etc/host_ed25519.pub" | awk '{print $2}')
    local fp_ec
    fp_ec=$(ssh-keygen -l -E sha256 -f "$d/etc/host_ecdsa.pub" | awk '{print $2}')

    cat > "$d/sshd.env" <<EOF
SSHD_HOST=127.0.0.1
SSHD_PORT=$port
SSHD_PID=$pid
SSHD_DIR=$d
SSHD_PW_USER=$pw_user
SSHD_PW_PASS='$pw_pass'
SSHD_PW_HOME=$d/home/$pw_user
SSHD_RO_DIR=$d/home/$pw_user/readonly
SSHD_KEY_USER=$key_user
SSHD_KEY_HOME=$d/home/$key_user
SSHD_KEY_RSA=$d/keys/id_rsa
SSHD_KEY_RSA_PASS='rsa-Pass-1'
SSHD_KEY_ECDSA=$d/keys/id_ecdsa
SSHD_KEY_ECDSA_PASS='ecdsa-Pass-2'
SSHD_KEY_ED25519=$d/keys/id_ed25519
SSHD_KEY_ED25519_PP=$d/keys/id_ed25519_pp
SSHD_KEY_ED25519_PP_PASS='ed-Pass-3'
SSHD_KEY_UNAUTHORISED=$d/keys/id_ed25519_other
SSHD_KNOWN_HOSTS=$kh
SSHD_FP_ED25519=$fp_ed
SSHD_FP_ECDSA=$fp_ec
EOF
}

case "$cmd" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
