"""Local servers and fixtures for the end-to-end tests of patches/
(test_patches_e2e.py).  Runs on Python 2.7 and 3.x.

As a program, one server per process:

    python tlsb_e2e_servers.py index --cert C --key K --root DIR [--log F]
    python tlsb_e2e_servers.py proxy --cert C --key K --log F \\
        --route NAME:PORT=127.0.0.1:PORT [--route ...]

Each listens on 127.0.0.1 (a free port), prints "ready PORT" on stdout,
and serves until its standard input closes (so it dies with the test).

- index: a static HTTPS file server for DIR: a PEP 503 simple index and
  the wheels it links to.
- proxy: an HTTPS proxy that does CONNECT only (then relays bytes, so the
  TLS to the index runs inside the TLS to the proxy), and only to its
  routes: the index names resolve nowhere, so the index is reachable only
  through the proxy.  Each CONNECT request line goes to the log.

The servers use the interpreter's own ssl: what is under test is the
client side.  The functions below make the index contents and its
certificates (the openssl command, signing with the CAs of certdata/).

Rules of this file: no test logic; every server stops by itself when its
parent goes away.
"""
from __future__ import print_function

import base64
import hashlib
import os
import select
import socket
import ssl
import subprocess
import sys
import threading
import zipfile

try:                                            # Python 3
    import socketserver
    from http.server import HTTPServer, SimpleHTTPRequestHandler
except ImportError:                             # Python 2.7
    import SocketServer as socketserver
    from BaseHTTPServer import HTTPServer
    from SimpleHTTPServer import SimpleHTTPRequestHandler

RELAY_TIMEOUT = 60.0


# ---------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------
LEAF_EXTENSIONS = """\
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = %s
"""


def make_leaf(openssl, directory, name, ca, alt_names, serial):
    """A server certificate (RSA 2048, 30 days) for alt_names ("DNS:x")
    signed by ca = (cert path, key path): returns (cert path, key path)."""
    cnf_name = name + ".cnf"
    with open(os.path.join(directory, cnf_name), "w") as cnf:
        cnf.write("[req]\ndistinguished_name = dn\n[dn]\n")
        cnf.write(LEAF_EXTENSIONS % ", ".join(alt_names))
    cert, key, csr = name + ".pem", name + ".key", name + ".csr"
    for args in (
            ["req", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", key,
             "-out", csr, "-subj", "/C=XY/O=_tls_bootstrap/CN=%s" % name,
             "-config", cnf_name],
            ["x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
             "-set_serial", str(serial), "-days", "30", "-sha256",
             "-out", cert, "-extfile", cnf_name, "-extensions", "leaf"]):
        subprocess.check_call([openssl] + args, cwd=directory,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return os.path.join(directory, cert), os.path.join(directory, key)


# ---------------------------------------------------------------------------
# Index contents: one pure-Python wheel and its PEP 503 pages
# ---------------------------------------------------------------------------
def _record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def make_wheel(directory, project, version, module_source):
    """Write a py2.py3 wheel of one module; returns its path."""
    dist = project.replace("-", "_")
    info = "%s-%s.dist-info" % (dist, version)
    files = [
        (dist + ".py", module_source.encode("utf-8")),
        (info + "/METADATA", ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
                              "Summary: end-to-end test package\n"
                              % (project, version)).encode("utf-8")),
        (info + "/WHEEL", b"Wheel-Version: 1.0\nGenerator: tlsb_e2e_servers\n"
                          b"Root-Is-Purelib: true\nTag: py2-none-any\n"
                          b"Tag: py3-none-any\n"),
        (info + "/top_level.txt", (dist + "\n").encode("utf-8")),
    ]
    record = "".join("%s,%s,%d\n" % (name, _record_hash(data), len(data))
                     for name, data in files)
    record += "%s/RECORD,,\n" % info
    files.append((info + "/RECORD", record.encode("utf-8")))
    path = os.path.join(directory, "%s-%s-py2.py3-none-any.whl" % (dist, version))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return path


def make_simple_index(root, project, wheel):
    """Lay out root/simple/ (PEP 503) and root/packages/ for one wheel."""
    packages = os.path.join(root, "packages")
    project_dir = os.path.join(root, "simple", project)
    for directory in (packages, project_dir):
        if not os.path.isdir(directory):
            os.makedirs(directory)
    name = os.path.basename(wheel)
    with open(wheel, "rb") as source:
        data = source.read()
    with open(os.path.join(packages, name), "wb") as target:
        target.write(data)
    sha256 = hashlib.sha256(data).hexdigest()
    with open(os.path.join(root, "simple", "index.html"), "w") as page:
        page.write('<!DOCTYPE html>\n<html><body>\n<a href="%s/">%s</a>\n'
                   '</body></html>\n' % (project, project))
    with open(os.path.join(project_dir, "index.html"), "w") as page:
        page.write('<!DOCTYPE html>\n<html><body>\n'
                   '<a href="../../packages/%s#sha256=%s">%s</a>\n'
                   '</body></html>\n' % (name, sha256, name))


# ---------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------
def server_context(certfile, keyfile):
    context = ssl.SSLContext(ssl.PROTOCOL_SSLv23)
    context.options |= ssl.OP_NO_SSLv2 | ssl.OP_NO_SSLv3
    context.load_cert_chain(certfile, keyfile)
    return context


class TLSServerMixIn:          # no base: 2.7's SocketServer classes are classic
    """Threads per connection; the TLS handshake runs in the connection's
    thread, and a client that rejects our certificate is only logged."""
    daemon_threads = True
    allow_reuse_address = True
    context = None
    log = None

    def log_line(self, text):
        if self.log is not None:
            with open(self.log, "a") as log:
                log.write(text + "\n")

    def finish_request(self, request, client_address):
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, socket.error) as exc:
            self.log_line("handshake failed: %s" % (exc,))
            request.close()
            return
        try:
            self.RequestHandlerClass(request, client_address, self)
        finally:
            try:
                request.close()
            except (ssl.SSLError, socket.error):
                pass

    def handle_error(self, request, client_address):
        self.log_line("error: %r" % (sys.exc_info()[1],))


class IndexHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, format, *args):
        self.server.log_line("index: " + format % args)


class IndexServer(TLSServerMixIn, socketserver.ThreadingMixIn, HTTPServer):
    pass


class ProxyHandler(socketserver.BaseRequestHandler):
    """CONNECT host:port, to a routed host only; then relay both ways."""

    def handle(self):
        client = self.request
        client.settimeout(RELAY_TIMEOUT)
        reader = client.makefile("rb", 0)
        request_line = reader.readline(8192).decode("latin-1").rstrip("\r\n")
        while True:                                   # headers: ignored
            line = reader.readline(8192)
            if line in (b"\r\n", b"\n", b""):
                break
        self.server.log_line("proxy: " + request_line)
        parts = request_line.split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            client.sendall(b"HTTP/1.1 405 CONNECT only\r\nContent-Length: 0\r\n\r\n")
            return
        target = self.server.routes.get(parts[1])
        if target is None:
            client.sendall(b"HTTP/1.1 403 No route\r\nContent-Length: 0\r\n\r\n")
            return
        try:
            upstream = socket.create_connection(target, timeout=RELAY_TIMEOUT)
        except socket.error:
            client.sendall(b"HTTP/1.1 502 Bad gateway\r\nContent-Length: 0\r\n\r\n")
            return
        try:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            relay(client, upstream)
        finally:
            upstream.close()


def relay(client, upstream):
    """Copy bytes both ways until either side closes.  client is TLS:
    what it has already decrypted (pending()) is read before select()."""
    peers = {client: upstream, upstream: client}
    while True:
        if client.pending():
            readable = [client]
        else:
            readable = select.select(list(peers), [], [], RELAY_TIMEOUT)[0]
            if not readable:
                return
        for source in readable:
            try:
                data = source.recv(65536)
            except (ssl.SSLError, socket.error):
                data = b""        # 2.7 reports an EOF without close_notify so
            if not data:
                return
            peers[source].sendall(data)


class ProxyServer(TLSServerMixIn, socketserver.ThreadingMixIn,
                  socketserver.TCPServer):
    routes = None


def _exit_when_stdin_closes():
    def wait():
        try:
            while sys.stdin.read(1):
                pass
        finally:
            os._exit(0)
    thread = threading.Thread(target=wait)
    thread.daemon = True
    thread.start()


def main(argv):
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["index", "proxy"])
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--root", help="index: the directory to serve")
    parser.add_argument("--route", action="append", default=[],
                        help="proxy: NAME:PORT=127.0.0.1:PORT")
    parser.add_argument("--log")
    args = parser.parse_args(argv)

    if args.kind == "index":
        os.chdir(args.root)
        server = IndexServer(("127.0.0.1", 0), IndexHandler)
    else:
        server = ProxyServer(("127.0.0.1", 0), ProxyHandler)
        server.routes = {}
        for route in args.route:
            name, address = route.split("=", 1)
            host, port = address.rsplit(":", 1)
            server.routes[name] = (host, int(port))
    server.context = server_context(args.cert, args.key)
    server.log = args.log
    _exit_when_stdin_closes()
    print("ready %d" % server.server_address[1])
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
