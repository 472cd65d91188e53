#!/usr/bin/env bash
# demo/uc1-remote/run.sh [DIR] - UC1 against real servers on loopback:
# starts OpenSSH's sshd, Samba's smbd and an SMTP server (STARTTLS + AUTH)
# with the repository's tests/servers/ scripts, builds the bundle, and runs
#   1. uc1_partner_drop   the partner drops a zip into the SFTP inbox
#   2. uc1_remote         picks it up, publishes it to the share, mails it
#   3. uc1_remote         again: the inbox is empty, "nothing arrived" is mailed
# then stops the servers. Their files stay below DIR (default
# /tmp/afc-demo/uc1-remote): the share in servers/smbd/shares/data, the
# received mail in servers/smtpd/mail. Needs root (the servers' users) and
# the packages of tests/deps/transfer.txt and mail.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
export DEMO_DIR=${1:-/tmp/afc-demo/uc1-remote}
mkdir -p "$DEMO_DIR"
DEMO_DIR=$(cd "$DEMO_DIR" && pwd)
chmod 755 "$DEMO_DIR" # sshd and smbd reach their users' directories below it
export AETHERFLOW_CACHE_DIR=$DEMO_DIR/cache
S=$DEMO_DIR/servers
servers=$DEMO_ROOT/tests/servers

stop_servers() {
    bash "$servers/smtpd.sh" stop "$S/smtpd" >/dev/null 2>&1 || true
    bash "$servers/smbd.sh" stop "$S/smbd" >/dev/null 2>&1 || true
    bash "$servers/sshd.sh" stop "$S/sshd" >/dev/null 2>&1 || true
}
trap stop_servers EXIT

demo_say "uc1-remote: start sshd, smbd and an SMTP server on 127.0.0.1"
mkdir -p "$S"
chmod 755 "$S"
for s in sshd smbd smtpd; do
    bash "$servers/$s.sh" start "$S/$s" >/dev/null
    set -a
    . "$S/$s/$s.env"
    set +a
done
echo "   sftp://$SSHD_PW_USER@127.0.0.1:$SSHD_PORT  smb://127.0.0.1:$SMBD_PORT/$SMBD_SHARE" \
     " smtp://127.0.0.1:$SMTPD_AUTH_PORT (STARTTLS, AUTH)"

# What profiles.yaml reads. Passwords travel base64-encoded and are decoded
# by AETHERFLOW_SECRETS_CMD, as the reference demo's secrets module does.
b64() { printf '%s' "$1" | base64 -w0; }
export SFTP_HOST=127.0.0.1 SFTP_PORT=$SSHD_PORT SFTP_USER=$SSHD_PW_USER
export SFTP_PASS=$(b64 "$SSHD_PW_PASS") SFTP_KNOWN_HOSTS=$SSHD_KNOWN_HOSTS
export SMB_HOST=127.0.0.1 SMB_PORT=$SMBD_PORT SMB_SHARE=$SMBD_SHARE SMB_USER=$SMBD_USER
export SMB_PASS=$(b64 "$SMBD_PASS") SMB_DOMAIN=$SMBD_DOMAIN
export SMTP_HOST=127.0.0.1 SMTP_PORT=$SMTPD_AUTH_PORT SMTP_USER=$SMTPD_USER
export SMTP_PASS=$(b64 "$SMTPD_PASSWORD") SMTP_CA_FILE=$SMTPD_CA
export AETHERFLOW_SECRETS_CMD="base64 -d"
export MAIL_TO=${MAIL_TO:-ops@demo.invalid}

demo_say "uc1-remote: build demo/uc1-remote/manifest.yaml"
demo_build "$here/manifest.yaml" "$DEMO_DIR/bin"

demo_say "uc1-remote: the partner drops a zip of ${UC1_FILES:-2} CSV files into the SFTP inbox"
demo_run "$DEMO_DIR/bin/uc1_partner_drop" "$RUN_TAG-drop"

demo_say "uc1-remote: files arrived: ingest, publish to the share, mail"
demo_run "$DEMO_DIR/bin/uc1_remote" "$RUN_TAG-files"

demo_say "uc1-remote: the inbox is empty now: only the 'nothing arrived' mail"
demo_run "$DEMO_DIR/bin/uc1_remote" "$RUN_TAG-empty"

cat <<EOF

   state:      $DEMO_DIR/state/uc1_remote.sqlite   ($DEMO_DIR/bin/uc1_remote status RUN_ID)
   artifacts:  $DEMO_DIR/work/uc1_remote/<job>/<run id>/artifacts
   SFTP inbox: $SSHD_PW_HOME/inbox (emptied by the pickup)
   SMB share:  $SMBD_SHARE_DIR/uc1/outbox/payload_$RUN_TAG-files.zip
   mails:      $SMTPD_MAILDIR/*.eml (as the SMTP server received them; *.json: envelope, TLS, AUTH user)
EOF
