"""SMTP servers for the mail tests (run by tests/servers/smtpd.sh).

Usage: /usr/bin/python3 smtpd.py DIR

Starts four aiosmtpd servers on 127.0.0.1 and records every message they
accept: DIR/mail/NNNN.eml holds the raw DATA, DIR/mail/NNNN.json the
envelope (mail_from, rcpt_tos), the server it came to, whether the session
was TLS and which user authenticated. When all listen, writes DIR/smtpd.env.

  plain  no TLS, no AUTH
  tls    STARTTLS required before MAIL
  auth   STARTTLS, then AUTH required (user and password in smtpd.env)
  ssl    implicit TLS (smtps); AUTH offered, not required

Recipients steer failures: reject*@ is refused at RCPT (550); drop@ makes
the server close the connection instead of answering DATA; flaky@ does that
only the first time a Message-ID is seen, so a retry succeeds.
"""
import asyncio
import json
import os
import re
import secrets
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

DIR = sys.argv[1]
MAILDIR = os.path.join(DIR, "mail")
CERT = os.path.join(DIR, "cert.pem")
KEY = os.path.join(DIR, "key.pem")
USER = "afc-test"
PASSWORD = "pw-" + secrets.token_hex(8)

_lock = threading.Lock()
_seq = [0]
_seen_ids = set()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class Recorder:
    def __init__(self, name):
        self.name = name

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        rcpts = [r.lower() for r in envelope.rcpt_tos]
        m = re.search(rb"^Message-ID:\s*(\S+)", raw, re.M | re.I)
        msgid = m.group(1).decode() if m else None
        drop = any(r.startswith("drop@") for r in rcpts)
        if any(r.startswith("flaky@") for r in rcpts):
            with _lock:
                if msgid not in _seen_ids:
                    _seen_ids.add(msgid)
                    drop = True
        if drop:
            server.transport.abort()
            return "421 4.3.0 dropped"  # never reaches the client
        with _lock:
            _seq[0] += 1
            n = _seq[0]
        auth = session.auth_data
        if isinstance(auth, LoginPassword):
            auth = auth.login.decode()
        meta = {
            "server": self.name,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None
            or server.transport.get_extra_info("ssl_object") is not None,
            "auth_user": auth,
            "size": len(raw),
        }
        base = os.path.join(MAILDIR, "%04d" % n)
        write_atomic(base + ".eml", raw)
        write_atomic(base + ".json", json.dumps(meta).encode())
        return "250 2.0.0 queued as %04d" % n


def authenticator(server, session, envelope, mechanism, auth_data):
    if (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == USER
        and auth_data.password.decode() == PASSWORD
    ):
        return AuthResult(success=True, auth_data=auth_data)
    return AuthResult(success=False, handled=False)


def main():
    os.makedirs(MAILDIR, exist_ok=True)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(CERT, KEY)
    specs = {
        "plain": dict(),
        "tls": dict(tls_context=tls, require_starttls=True),
        "auth": dict(
            tls_context=tls,
            require_starttls=True,
            authenticator=authenticator,
            auth_required=True,
            auth_require_tls=True,
        ),
        "ssl": dict(ssl_context=tls, authenticator=authenticator, auth_require_tls=False),
    }
    ports = {}
    controllers = []
    for name, kw in specs.items():
        for _ in range(5):
            port = free_port()
            c = Controller(Recorder(name), hostname="127.0.0.1", port=port, **kw)
            try:
                c.start()
            except Exception:
                continue
            break
        else:
            print("smtpd: cannot start the %s server" % name, file=sys.stderr)
            for c in controllers:
                c.stop()
            sys.exit(1)
        controllers.append(c)
        ports[name] = port

    env = {
        "SMTPD_HOST": "127.0.0.1",
        "SMTPD_PORT": ports["plain"],
        "SMTPD_TLS_PORT": ports["tls"],
        "SMTPD_AUTH_PORT": ports["auth"],
        "SMTPD_SSL_PORT": ports["ssl"],
        "SMTPD_USER": USER,
        "SMTPD_PASSWORD": PASSWORD,
        "SMTPD_CA": CERT,
        "SMTPD_MAILDIR": MAILDIR,
    }
    write_atomic(
        os.path.join(DIR, "smtpd.env"),
        "".join("%s=%s\n" % (k, v) for k, v in env.items()).encode(),
    )

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    while not done.wait(1):
        pass
    for c in controllers:
        c.stop()


if __name__ == "__main__":
    main()
