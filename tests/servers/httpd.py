"""HTTP server for the http tests (run by tests/servers/httpd.sh).

Usage: /usr/bin/python3 httpd.py DIR

Listens on two free loopback ports, plain HTTP and HTTPS (DIR/cert.pem),
HTTP/1.1 with keep-alive, and writes DIR/httpd.env when both answer.

  GET|HEAD /files/NAME   a file from DIR/www
  ANY /echo...           the request as JSON: method, path, query, args,
                         headers (lower-case), body_len, body_sha256,
                         body_text (when UTF-8), json (when it parses),
                         form (multipart parts: name, filename,
                         content_type, size, sha256), peer_port
  ANY /auth/...          /echo, but only with Authorization: Bearer TOKEN
  /status/CODE           that status with {"status": CODE}
  /stream/N              N bytes (byte i is i % 251), Content-Length
  /chunked/N             the same bytes, chunked
  /drop/N                announces N bytes, sends half, closes
  /slow/SECONDS          answers after sleeping
  /flaky/KEY             closes without answering the first time per KEY
  /redirect/CODE?to=URL  a redirect
  /gzip                  a gzip-encoded JSON body
  /badjson               Content-Type JSON, body that does not parse
  /binary                4 KiB of octet-stream
"""
import email.parser
import email.policy
import gzip
import hashlib
import http.server
import json
import os
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse

DIR = sys.argv[1]
WWW = os.path.join(DIR, "www")
TOKEN = "tok-" + secrets.token_hex(12)
_flaky_seen = set()
_lock = threading.Lock()


def pattern(n):
    block = bytes(i % 251 for i in range(251 * 64))
    out = bytearray()
    while len(out) < n:
        out += block
    return bytes(out[:n])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "afc-test-httpd"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send_json(self, code, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_bytes(self, code, body, ctype, extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def echo(self, body):
        u = urllib.parse.urlsplit(self.path)
        out = {
            "method": self.command,
            "path": u.path,
            "query": u.query,
            "args": urllib.parse.parse_qs(u.query, keep_blank_values=True),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body_len": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "peer_port": self.client_address[1],
        }
        try:
            out["body_text"] = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        try:
            out["json"] = json.loads(body)
        except ValueError:
            pass
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
            )
            parts = []
            for p in msg.iter_parts():
                data = p.get_payload(decode=True) or b""
                parts.append(
                    {
                        "name": p.get_param("name", header="content-disposition"),
                        "filename": p.get_filename(),
                        "content_type": p.get_content_type(),
                        "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(),
                        "text": data.decode("utf-8", "replace") if len(data) < 200 else None,
                    }
                )
            out["form"] = parts
        self.send_json(200, out)

    def handle_any(self):
        u = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in u.path.split("/")[1:]]
        head = parts[0] if parts else ""
        arg = parts[1] if len(parts) > 1 else ""
        body = self.read_body()
        if head == "echo":
            return self.echo(body)
        if head == "auth":
            if self.headers.get("Authorization") != "Bearer " + TOKEN:
                return self.send_json(401, {"error": "unauthorized"})
            return self.echo(body)
        if head == "files":
            path = os.path.join(WWW, arg)
            if not arg or "/" in arg or not os.path.isfile(path):
                return self.send_json(404, {"error": "no such file"})
            with open(path, "rb") as f:
                data = f.read()
            return self.send_bytes(200, data, "application/octet-stream")
        if head == "status":
            code = int(arg)
            if code in (204, 304) or code < 200:
                self.send_response(code)
                self.end_headers()
                return
            return self.send_json(code, {"status": code})
        if head == "stream":
            n = int(arg)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            if self.command != "HEAD":
                block = pattern(251 * 256)
                sent = 0
                while sent < n:
                    k = min(len(block), n - sent)
                    self.wfile.write(block[:k])
                    sent += k
            return
        if head == "chunked":
            n = int(arg)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            block = pattern(251 * 256)
            sent = 0
            while sent < n:
                k = min(len(block), n - sent)
                self.wfile.write(b"%x\r\n" % k + block[:k] + b"\r\n")
                sent += k
            self.wfile.write(b"0\r\n\r\n")
            return
        if head == "drop":
            n = int(arg)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            self.wfile.write(pattern(n // 2))
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if head == "slow":
            time.sleep(float(arg))
            return self.send_json(200, {"slept": float(arg)})
        if head == "flaky":
            with _lock:
                first = arg not in _flaky_seen
                _flaky_seen.add(arg)
            if first:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            return self.send_json(200, {"key": arg, "second": True})
        if head == "redirect":
            to = urllib.parse.parse_qs(u.query).get("to", ["/echo"])[0]
            self.send_response(int(arg))
            self.send_header("Location", to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if head == "gzip":
            data = gzip.compress(json.dumps({"compressed": True}).encode())
            return self.send_bytes(
                200, data, "application/json", {"Content-Encoding": "gzip"}
            )
        if head == "badjson":
            return self.send_bytes(200, b"{not json", "application/json")
        if head == "binary":
            return self.send_bytes(200, pattern(4096), "application/octet-stream")
        return self.send_json(404, {"error": "no route"})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    os.makedirs(WWW, exist_ok=True)
    plain = Server(("127.0.0.1", 0), Handler)
    tls = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(os.path.join(DIR, "cert.pem"), os.path.join(DIR, "key.pem"))
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    for s in (plain, tls):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    port, tport = plain.server_address[1], tls.server_address[1]
    env = {
        "HTTPD_PORT": port,
        "HTTPD_TLS_PORT": tport,
        "HTTPD_URL": "http://127.0.0.1:%d" % port,
        "HTTPD_TLS_URL": "https://127.0.0.1:%d" % tport,
        "HTTPD_TOKEN": TOKEN,
        "HTTPD_CA": os.path.join(DIR, "cert.pem"),
        "HTTPD_WWW": WWW,
    }
    tmp = os.path.join(DIR, "httpd.env.tmp")
    with open(tmp, "w") as f:
        f.write("".join("%s=%s\n" % kv for kv in env.items()))
    os.rename(tmp, os.path.join(DIR, "httpd.env"))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    while not done.wait(1):
        pass
    plain.shutdown()
    tls.shutdown()


if __name__ == "__main__":
    main()
