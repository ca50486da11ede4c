#!/usr/bin/env python3
"""Test peer for empseal's `source` module: a fake Kubernetes API server, a fake
sealed-secrets controller, or an HTTP CONNECT proxy. Listens on 127.0.0.1 only.

Roles:
  apiserver   TLS (optionally demanding a client certificate or a bearer token);
              serves GET /api/v1/namespaces/<ns>/services/<name> and the service
              proxy paths .../services/http:<name>:<port>/proxy/<path>, which it
              hands to the built-in controller.
  controller  The controller's API straight (for --controller-url): /v1/cert.pem,
              /v1/verify, /v1/rotate, /healthz; plain HTTP or TLS.
  proxy       An HTTP CONNECT proxy that maps host:port targets to 127.0.0.1 ports.

The controller decrypts and re-encrypts with REAL RSA private keys through
kubesealpy (an independent implementation of sealed-secrets' crypto).

Prints "READY <port>" on stdout once listening. Appends one JSON line per request
to --log (method, path, auth kind, status); credentials are never logged.
"""

import argparse
import base64
import json
import re
import select
import socket
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import serialization
from kubesealpy import crypto as kcrypto
from kubesealpy.exceptions import KubesealPyError
from kubesealpy.scopes import build_label, scope_from_annotations

LOCK = threading.Lock()
COUNTERS = {"service_get": 0, "proxy_post": 0}


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--role", choices=["apiserver", "controller", "proxy"], required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--client-ca")
    p.add_argument("--token", action="append", default=[])
    p.add_argument("--forbidden-token", action="append", default=[])
    p.add_argument("--forbidden-cn", action="append", default=[])
    p.add_argument("--namespace", default="kube-system")
    p.add_argument("--service", default="sealed-secrets-controller")
    p.add_argument("--port-name", default="http")
    p.add_argument("--no-ports", action="store_true")
    p.add_argument("--no-endpoints", action="store_true")
    p.add_argument("--cert-pem")
    p.add_argument("--key", action="append", default=[])
    p.add_argument("--rotate-fail-status", type=int, default=409)
    p.add_argument("--flaky-service-gets", type=int, default=0)
    p.add_argument("--flaky-proxy-posts", type=int, default=0)
    p.add_argument("--hang", action="append", default=[])
    p.add_argument("--hang-seconds", type=float, default=20.0)
    p.add_argument("--prefix", default="")
    p.add_argument("--map", action="append", default=[], help="proxy role: host:port=port")
    p.add_argument("--redirect-to", help="controller role: answer every request with 302 to this base URL + path")
    p.add_argument("--log")
    return p.parse_args()


ARGS = parse_args()
KEYS = []
for path in ARGS.key:
    with open(path, "rb") as f:
        KEYS.append(serialization.load_pem_private_key(f.read(), password=None))
CERT = open(ARGS.cert_pem, "rb").read() if ARGS.cert_pem else b""


def log(entry):
    if not ARGS.log:
        return
    with LOCK:
        with open(ARGS.log, "a") as f:
            f.write(json.dumps(entry) + "\n")


def k8s_status(code, reason, message):
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def label_for(obj):
    meta = obj.get("metadata") or {}
    scope = scope_from_annotations(meta.get("annotations"))
    return build_label(scope, meta.get("namespace"), meta.get("name"))


def unseal_all(obj):
    """Decrypts every value with any key, as the controller does; raises on failure."""
    if obj.get("kind") != "SealedSecret":
        raise ValueError("not a SealedSecret")
    label = label_for(obj)
    out = {}
    for k, v in (obj.get("spec", {}).get("encryptedData") or {}).items():
        out[k] = kcrypto.decrypt_with_any_key(base64.b64decode(v), KEYS, label)
    return out


def controller(method, path, body):
    """Returns (status, content_type, bytes) for the controller's own API."""
    if method == "GET" and path == "/v1/cert.pem":
        return 200, "application/x-pem-file", CERT
    if method == "GET" and path == "/healthz":
        return 200, "text/plain; charset=utf-8", b"ok\n"
    if method == "POST" and path == "/v1/verify":
        try:
            obj = json.loads(body)
        except ValueError:
            return 500, "text/plain", b""
        try:
            unseal_all(obj)
            return 200, "text/plain", b""
        except (KubesealPyError, ValueError, KeyError):
            return 409, "text/plain", b""
    if method == "POST" and path == "/v1/rotate":
        try:
            obj = json.loads(body)
            plain = unseal_all(obj)
        except (KubesealPyError, ValueError, KeyError):
            return ARGS.rotate_fail_status, "text/plain", b""
        latest = KEYS[-1].public_key()
        label = label_for(obj)
        obj["spec"]["encryptedData"] = {
            k: base64.b64encode(kcrypto.encrypt(v, latest, label)).decode() for k, v in plain.items()
        }
        obj.setdefault("metadata", {})["creationTimestamp"] = None
        return 200, "application/json", json.dumps(obj, separators=(",", ":")).encode()
    return 404, "text/plain; charset=utf-8", b"404 page not found\n"


PROXY_RE = re.compile(r"^/api/v1/namespaces/([^/]+)/services/([^/]+)/proxy(/.*)$")
SERVICE_RE = re.compile(r"^/api/v1/namespaces/([^/]+)/services/([^/]+)$")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, *a):
        pass

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def send(self, status, ctype, data, auth="-"):
        # Logged before answering, so a client that got the answer sees the entry.
        log({"method": self.command, "path": self.path, "auth": auth, "status": status})
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status, obj, auth="-"):
        self.send(status, "application/json", json.dumps(obj).encode(), auth)

    def authenticate(self):
        """Returns ("ok" | "forbidden" | "unauthorized", kind)."""
        authz = self.headers.get("Authorization", "")
        if authz.startswith("Bearer "):
            tok = authz[len("Bearer "):]
            if tok in ARGS.forbidden_token:
                return "forbidden", "bearer"
            if tok in ARGS.token:
                return "ok", "bearer"
        cn = None
        if isinstance(self.connection, ssl.SSLSocket):
            peer = self.connection.getpeercert() or {}
            for rdn in peer.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
        if cn is not None:
            if cn in ARGS.forbidden_cn:
                return "forbidden", "cert:" + cn
            return "ok", "cert:" + cn
        return "unauthorized", "bearer-rejected" if authz else "none"

    def handle_any(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        for h in ARGS.hang:
            if path.endswith(h):
                log({"method": method, "path": self.path, "auth": "-", "status": "hang"})
                time.sleep(ARGS.hang_seconds)
                self.close_connection = True
                return
        if ARGS.role == "controller":
            if ARGS.redirect_to:
                log({"method": method, "path": self.path, "auth": "-", "status": 302})
                self.send_response(302)
                self.send_header("Location", ARGS.redirect_to + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if not path.startswith(ARGS.prefix):
                return self.send(404, "text/plain", b"404 page not found\n")
            st, ct, data = controller(method, path[len(ARGS.prefix):], body)
            return self.send(st, ct, data)

        verdict, kind = self.authenticate()
        if verdict == "unauthorized":
            return self.send_json(401, k8s_status(401, "Unauthorized", "Unauthorized"), kind)
        m = SERVICE_RE.match(path)
        p = PROXY_RE.match(path)
        if verdict == "forbidden":
            ns = (m or p).group(1) if (m or p) else ""
            res = "services/proxy" if p else "services"
            msg = 'services is forbidden: User "mallory" cannot get resource "%s" in API group "" in the namespace "%s"' % (res, ns)
            return self.send_json(403, k8s_status(403, "Forbidden", msg), kind)
        if m and method == "GET":
            ns, name = m.group(1), m.group(2)
            with LOCK:
                COUNTERS["service_get"] += 1
                n = COUNTERS["service_get"]
            if n <= ARGS.flaky_service_gets:
                return self.send_json(503, k8s_status(503, "ServiceUnavailable", "the server is currently unable to handle the request"), kind)
            if (ns, name) != (ARGS.namespace, ARGS.service):
                return self.send_json(404, k8s_status(404, "NotFound", 'services "%s" not found' % name), kind)
            ports = [] if ARGS.no_ports else [{"name": ARGS.port_name, "protocol": "TCP", "port": 8080, "targetPort": 8080}]
            svc = {
                "kind": "Service",
                "apiVersion": "v1",
                "metadata": {"name": name, "namespace": ns, "uid": "8f4c1a2e-0000-4000-8000-000000000001"},
                "spec": {"ports": ports, "selector": {"name": name}, "clusterIP": "10.96.12.34", "type": "ClusterIP"},
                "status": {"loadBalancer": {}},
            }
            return self.send_json(200, svc, kind)
        if p:
            ns, spec, rest = p.group(1), p.group(2), p.group(3)
            want = "http:%s:%s" % (ARGS.service, ARGS.port_name)
            if ns != ARGS.namespace or spec.split(":")[1:2] != [ARGS.service]:
                return self.send_json(404, k8s_status(404, "NotFound", 'services "%s" not found' % spec), kind)
            if spec != want:
                return self.send_json(503, k8s_status(503, "ServiceUnavailable", 'no service port %r found for service "%s"' % (spec, ARGS.service)), kind)
            if method == "POST":
                with LOCK:
                    COUNTERS["proxy_post"] += 1
                    n = COUNTERS["proxy_post"]
                if n <= ARGS.flaky_proxy_posts:
                    return self.send_json(503, k8s_status(503, "ServiceUnavailable", "error trying to reach service: dial tcp 10.244.0.7:8080: connect: connection refused"), kind)
            if ARGS.no_endpoints:
                return self.send_json(503, k8s_status(503, "ServiceUnavailable", 'no endpoints available for service "%s"' % ARGS.service), kind)
            st, ct, data = controller(method, rest, body)
            return self.send(st, ct, data, kind)
        return self.send_json(404, k8s_status(404, "NotFound", "the server could not find the requested resource"), kind)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    ctx = None

    def finish_request(self, request, client_address):
        if self.ctx is not None:
            request.settimeout(10)
            try:
                request = self.ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
            request.settimeout(None)
        try:
            self.RequestHandlerClass(request, client_address, self)
        except (ConnectionError, ssl.SSLError, OSError):
            pass


def run_http():
    srv = Server(("127.0.0.1", ARGS.port), Handler)
    if ARGS.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        if ARGS.client_ca:
            ctx.verify_mode = ssl.CERT_OPTIONAL
            ctx.load_verify_locations(ARGS.client_ca)
        srv.ctx = ctx
    print("READY %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


class ProxyHandler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 16384:
            chunk = sock.recv(4096)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        if len(parts) < 2 or parts[0] != "CONNECT":
            log({"proxy": line, "status": 405})
            sock.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        target = parts[1]
        mapping = dict(m.split("=", 1) for m in ARGS.map)
        if target not in mapping:
            log({"proxy": line, "status": 403})
            sock.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        up = socket.create_connection(("127.0.0.1", int(mapping[target])), timeout=10)
        log({"proxy": line, "status": 200})
        sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if rest:
            up.sendall(rest)
        deadline = time.time() + 60
        socks = [sock, up]
        while time.time() < deadline:
            r, _, _ = select.select(socks, [], [], 1.0)
            for s in r:
                try:
                    buf = s.recv(65536)
                except OSError:
                    buf = b""
                if not buf:
                    up.close()
                    return
                (up if s is sock else sock).sendall(buf)
        up.close()


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def run_proxy():
    srv = ProxyServer(("127.0.0.1", ARGS.port), ProxyHandler)
    print("READY %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    try:
        if ARGS.role == "proxy":
            run_proxy()
        else:
            run_http()
    except KeyboardInterrupt:
        sys.exit(0)
