"""One workload on one TLS stack in this interpreter; prints one JSON line.

    python worker.py API WORKLOAD CERTDIR COUNT

API       stdlib (this interpreter's ssl), tlsb (_tls_bootstrap), pyopenssl,
          tlsb-pyopenssl (pyOpenSSL's API from _tls_bootstrap.inject_pyopenssl())
WORKLOAD  w1-tls13, w1-tls12, w2, w3, w4, mem, threads, import (see
          bench/README.md)

Started by bench/run.py, which sets OPENSSL_CONF to bench/openssl-bench.cnf
(the pinned TLS 1.3 suite and group).  Runs on Python 2.7 and 3.x.

Rules of this file:
- Each stack's hot loop is written the way a user of that API writes it
  (methods bound to locals once, nothing else clever), and does the same
  OpenSSL work as bench/c/tls_limit.c: the difference is the wrapper.
- Every client verifies the certificate and the hostname; before timing,
  each run proves it (a wrong hostname must fail) and reports what was
  negotiated, read from the wire where the API cannot tell.
"""
from __future__ import division, print_function

import gc
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
import warnings

timer = getattr(time, "perf_counter", time.time)

HOSTNAME = "localhost"
WRONG_HOSTNAME = "wrong.invalid"
CHUNK = 16384
SMALL = 64
TLS12_CIPHER = "ECDHE-RSA-AES128-GCM-SHA256"
# TLS NamedGroup code points (RFC 8446, 8422, draft-kwiatkowski-tls-ecdhe-mlkem)
# with OpenSSL's short names, to compare with the C program's answer.
GROUP_NAMES = {0x17: "prime256v1", 0x18: "secp384r1", 0x19: "secp521r1",
               0x1d: "X25519", 0x1e: "X448", 0x11ec: "X25519MLKEM768"}


def repeat(count):
    return itertools.repeat(None, count)


def rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def wire_group(flight):
    """The key-exchange group in a server's first flight: the key_share of
    a TLS 1.3 ServerHello, or the named curve of a TLS 1.2 ECDHE
    ServerKeyExchange.  `flight` is the bytes the server wrote."""
    data = bytearray(flight)
    handshake = bytearray()
    pos = 0
    while pos + 5 <= len(data):
        length = (data[pos + 3] << 8) | data[pos + 4]
        if data[pos] == 22:                       # handshake record
            handshake += data[pos + 5:pos + 5 + length]
        pos += 5 + length
    pos = 0
    while pos + 4 <= len(handshake):
        kind = handshake[pos]
        length = (handshake[pos + 1] << 16) | (handshake[pos + 2] << 8) | handshake[pos + 3]
        body = handshake[pos + 4:pos + 4 + length]
        if kind == 2:                             # ServerHello
            p = 2 + 32
            p += 1 + body[p]                      # session id
            p += 2 + 1 + 2                        # suite, compression, ext length
            while p + 4 <= len(body):
                ext = (body[p] << 8) | body[p + 1]
                ext_len = (body[p + 2] << 8) | body[p + 3]
                if ext == 51:                     # key_share
                    return (body[p + 4] << 8) | body[p + 5]
                p += 4 + ext_len
        elif kind == 12 and body and body[0] == 3:  # ServerKeyExchange, named_curve
            return (body[1] << 8) | body[2]
        pos += 4 + length
    return None


# ---------------------------------------------------------------------------
# Stacks with the ssl module's API: the stdlib and _tls_bootstrap
# ---------------------------------------------------------------------------
class SSLModuleStack(object):
    def __init__(self, module, certdir):
        self.m = module
        self.certdir = certdir
        self.WantRead = module.SSLWantReadError

    def openssl_version(self):
        return self.m.OPENSSL_VERSION

    def contexts(self, kind, tls12=False):
        m = self.m
        client = m.SSLContext(m.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(os.path.join(self.certdir, "ca-%s.pem" % kind))
        server = m.SSLContext(m.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(os.path.join(self.certdir, "server-%s.pem" % kind),
                               os.path.join(self.certdir, "server-%s.key" % kind))
        if tls12:
            client.set_ciphers(TLS12_CIPHER)
            server.set_ciphers(TLS12_CIPHER)
            client.maximum_version = m.TLSVersion.TLSv1_2
        self.options = int(client.options)
        return client, server

    def handshake(self, client_ctx, server_ctx, hostname=HOSTNAME, flight=None):
        """A connected pair over memory BIOs; the client has read once
        (taking TLS 1.3 session tickets)."""
        MemoryBIO = self.m.MemoryBIO
        WantRead = self.WantRead
        c_in, c_out, s_in, s_out = MemoryBIO(), MemoryBIO(), MemoryBIO(), MemoryBIO()
        client = client_ctx.wrap_bio(c_in, c_out, server_hostname=hostname)
        server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
        client_done = server_done = False
        while not (client_done and server_done):
            if not client_done:
                try:
                    client.do_handshake()
                    client_done = True
                except WantRead:
                    pass
                data = c_out.read()
                if data:
                    s_in.write(data)
            if not server_done:
                try:
                    server.do_handshake()
                    server_done = True
                except WantRead:
                    pass
                data = s_out.read()
                if data:
                    if flight is not None:
                        flight.append(data)
                    c_in.write(data)
        try:
            client.read(CHUNK)
        except WantRead:
            pass
        else:
            raise AssertionError("application data after the handshake")
        return client, server, c_in, c_out, s_in, s_out

    def negotiated(self, pair):
        client = pair[0]
        return {"protocol": client.version(), "cipher": client.cipher()[0],
                "verified": self.verified(client)}

    def verified(self, client):
        """The client required a certificate and got one (the wrong-hostname
        check in checked_pair shows that verification includes the name)."""
        return (client.context.verify_mode == self.m.CERT_REQUIRED
                and client.context.check_hostname
                and bool(client.getpeercert(binary_form=True)))

    def verification_error(self):
        return self.m.SSLCertVerificationError

    def transfer(self, pair, size, records):
        client, server, c_in, c_out, s_in, s_out = pair
        data = b"\0" * size
        write = client.write
        read = server.read
        outgoing = c_out.read
        incoming = s_in.write
        for _ in repeat(records):
            write(data)
            incoming(outgoing())
            if len(read(CHUNK)) != size:
                raise AssertionError("short read")

    def serve_socket(self, server_ctx, sock, total):
        tls = server_ctx.wrap_socket(sock, server_side=True)
        recv = tls.recv
        received = 0
        while received < total:
            data = recv(CHUNK)
            if not data:
                raise AssertionError("EOF after %d bytes" % received)
            received += len(data)
        tls.sendall(b"k")
        tls.close()

    def send_socket(self, client_ctx, sock, records):
        tls = client_ctx.wrap_socket(sock, server_hostname=HOSTNAME)
        sendall = tls.sendall
        data = b"\0" * CHUNK
        start = timer()
        for _ in repeat(records):
            sendall(data)
        if tls.recv(1) != b"k":
            raise AssertionError("no acknowledgement")
        seconds = timer() - start
        info = {"protocol": tls.version(), "cipher": tls.cipher()[0],
                "verified": self.verified(tls)}
        tls.close()
        return seconds, info


# ---------------------------------------------------------------------------
# pyOpenSSL
# ---------------------------------------------------------------------------
class PyOpenSSLStack(object):
    def __init__(self, certdir):
        warnings.simplefilter("ignore")     # 2.7: cryptography's deprecation
        from OpenSSL import SSL
        from OpenSSL._util import lib
        self.SSL = SSL
        self.lib = lib
        self.certdir = certdir
        self.WantRead = SSL.WantReadError

    def openssl_version(self):
        import OpenSSL
        import cryptography
        version = self.SSL.SSLeay_version(self.SSL.SSLEAY_VERSION)
        if isinstance(version, bytes):
            version = version.decode("ascii")
        return "%s (pyOpenSSL %s, cryptography %s)" % (
            version, OpenSSL.__version__, cryptography.__version__)

    def contexts(self, kind, tls12=False):
        SSL = self.SSL
        client = SSL.Context(SSL.TLS_METHOD)
        client.set_min_proto_version(SSL.TLS1_2_VERSION)
        client.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
        client.load_verify_locations(os.path.join(self.certdir, "ca-%s.pem" % kind))
        server = SSL.Context(SSL.TLS_METHOD)
        server.set_min_proto_version(SSL.TLS1_2_VERSION)
        server.use_certificate_chain_file(os.path.join(self.certdir, "server-%s.pem" % kind))
        server.use_privatekey_file(os.path.join(self.certdir, "server-%s.key" % kind))
        if tls12:
            client.set_cipher_list(TLS12_CIPHER.encode("ascii"))
            server.set_cipher_list(TLS12_CIPHER.encode("ascii"))
            client.set_max_proto_version(SSL.TLS1_2_VERSION)
        self.options = int(client.set_options(0))
        return client, server

    def _client(self, client_ctx, sock, hostname):
        """Client connection with hostname checking inside the handshake,
        through the X509_VERIFY_PARAM of the bundled OpenSSL."""
        client = self.SSL.Connection(client_ctx, sock)
        client.set_connect_state()
        name = hostname.encode("ascii")
        client.set_tlsext_host_name(name)
        if self.lib.X509_VERIFY_PARAM_set1_host(
                self.lib.SSL_get0_param(client._ssl), name, len(name)) != 1:
            raise AssertionError("X509_VERIFY_PARAM_set1_host failed")
        return client

    def handshake(self, client_ctx, server_ctx, hostname=HOSTNAME, flight=None):
        WantRead = self.WantRead
        client = self._client(client_ctx, None, hostname)
        server = self.SSL.Connection(server_ctx, None)
        server.set_accept_state()
        client_done = server_done = False
        while not (client_done and server_done):
            if not client_done:
                try:
                    client.do_handshake()
                    client_done = True
                except WantRead:
                    pass
                try:
                    server.bio_write(client.bio_read(32768))
                except WantRead:
                    pass
            if not server_done:
                try:
                    server.do_handshake()
                    server_done = True
                except WantRead:
                    pass
                try:
                    data = server.bio_read(32768)
                except WantRead:
                    pass
                else:
                    if flight is not None:
                        flight.append(data)
                    client.bio_write(data)
        try:
            client.recv(CHUNK)
        except WantRead:
            pass
        else:
            raise AssertionError("application data after the handshake")
        return client, server

    def negotiated(self, pair):
        client = pair[0]
        return {"protocol": client.get_protocol_version_name(),
                "cipher": client.get_cipher_name(),
                "verified": self.lib.SSL_get_verify_result(client._ssl) == 0
                and client.get_peer_certificate() is not None}

    def verification_error(self):
        return self.SSL.Error

    def transfer(self, pair, size, records):
        client, server = pair
        data = b"\0" * size
        write = client.send
        read = server.recv
        outgoing = client.bio_read
        incoming = server.bio_write
        for _ in repeat(records):
            write(data)
            incoming(outgoing(32768))
            if len(read(CHUNK)) != size:
                raise AssertionError("short read")

    def serve_socket(self, server_ctx, sock, total):
        tls = self.SSL.Connection(server_ctx, sock)
        tls.set_accept_state()
        tls.do_handshake()
        recv = tls.recv
        received = 0
        while received < total:
            received += len(recv(CHUNK))
        tls.sendall(b"k")
        tls.shutdown()
        tls.close()

    def send_socket(self, client_ctx, sock, records):
        tls = self._client(client_ctx, sock, HOSTNAME)
        tls.do_handshake()
        sendall = tls.sendall
        data = b"\0" * CHUNK
        start = timer()
        for _ in repeat(records):
            sendall(data)
        if tls.recv(1) != b"k":
            raise AssertionError("no acknowledgement")
        seconds = timer() - start
        info = self.negotiated((tls,))
        tls.close()
        return seconds, info


class TlsbPyOpenSSLStack(PyOpenSSLStack):
    """pyOpenSSL's API from _tls_bootstrap (inject_pyopenssl()): the same
    calls as PyOpenSSLStack on the interpreter's OpenSSL; hostnames are
    checked inside the handshake through a private switch of ours, where
    the real one reaches into cffi (_lib)."""

    def __init__(self, certdir):
        import _tls_bootstrap
        _tls_bootstrap.inject_pyopenssl()
        PyOpenSSLStack.__init__(self, certdir)

    def openssl_version(self):
        import OpenSSL
        import _tls_bootstrap
        return "%s (_tls_bootstrap %s, pyOpenSSL API %s)" % (
            _tls_bootstrap.OPENSSL_VERSION, _tls_bootstrap.__version__,
            OpenSSL.__version__)

    def _client(self, client_ctx, sock, hostname):
        client = self.SSL.Connection(client_ctx, sock)
        client.set_connect_state()
        client.set_tlsext_host_name(hostname.encode("ascii"))
        client._check_hostname = True
        return client

    def negotiated(self, pair):
        client = pair[0]
        return {"protocol": client.get_protocol_version_name(),
                "cipher": client.get_cipher_name(),
                "verified": client.get_verified_chain() is not None
                and client.get_peer_certificate() is not None}


def make_stack(api, certdir):
    if api == "stdlib":
        import ssl
        return SSLModuleStack(ssl, certdir)
    if api == "tlsb":
        import _tls_bootstrap
        if not hasattr(_tls_bootstrap, "SSLContext"):
            raise SystemExit("worker: _tls_bootstrap %s has no SSLContext yet (no TLS core)"
                             % _tls_bootstrap.__version__)
        return SSLModuleStack(_tls_bootstrap, certdir)
    if api == "pyopenssl":
        return PyOpenSSLStack(certdir)
    if api == "tlsb-pyopenssl":
        return TlsbPyOpenSSLStack(certdir)
    raise SystemExit("worker: unknown API %r" % api)


# ---------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------
def checked_pair(stack, kind, tls12=False):
    """Contexts and one connected pair, after proving that the client
    rejects a wrong hostname; also what the pair negotiated."""
    client_ctx, server_ctx = stack.contexts(kind, tls12)
    try:
        stack.handshake(client_ctx, server_ctx, hostname=WRONG_HOSTNAME)
    except stack.verification_error():
        pass
    else:
        raise AssertionError("the client accepted a wrong hostname")
    flight = []
    pair = stack.handshake(client_ctx, server_ctx, flight=flight)
    info = stack.negotiated(pair)
    group = wire_group(flight[0])
    info["group"] = GROUP_NAMES.get(group, "0x%04x" % (group or 0))
    info["options"] = stack.options
    if not info["verified"]:
        raise AssertionError("the peer certificate was not verified")
    return client_ctx, server_ctx, pair, info


def w1(stack, workload, count):
    tls12 = workload == "w1-tls12"
    client_ctx, server_ctx, pair, info = checked_pair(stack, "rsa" if tls12 else "ec", tls12)
    handshake = stack.handshake
    for _ in repeat(count // 10 + 1):
        handshake(client_ctx, server_ctx)
    start = timer()
    for _ in repeat(count):
        handshake(client_ctx, server_ctx)
    seconds = timer() - start
    return dict(info, value=count / seconds, unit="handshakes/s", count=count,
                seconds=seconds)


def handshake_rate(stack, client_ctx, server_ctx, count, threads):
    """Handshakes per second of `threads` threads doing `count` each on
    the shared contexts (one thread is a thread too: the same start-up),
    and the cores kept busy meanwhile (process CPU seconds per second: a
    GIL held through the handshakes would keep it near 1)."""
    handshake = stack.handshake
    errors = []

    def run():
        try:
            for _ in repeat(count):
                handshake(client_ctx, server_ctx)
        except BaseException as exc:
            errors.append(exc)
    workers = [threading.Thread(target=run) for _ in range(threads)]
    cpu_start, start = process_cpu_seconds(), timer()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = timer() - start
    busy = (process_cpu_seconds() - cpu_start) / seconds
    if errors:
        raise errors[0]
    return threads * count / seconds, busy


def process_cpu_seconds():
    times = os.times()
    return times[0] + times[1]


def threads(stack, workload, count):
    """The w1-tls13 handshake in 1 and in 2 threads of this process: how
    much of the work runs outside the GIL (2.0 would be all of it)."""
    client_ctx, server_ctx, pair, info = checked_pair(stack, "ec")
    handshake_rate(stack, client_ctx, server_ctx, count // 10 + 1, 2)
    one, _ = handshake_rate(stack, client_ctx, server_ctx, count, 1)
    two, busy = handshake_rate(stack, client_ctx, server_ctx, count, 2)
    return dict(info, value=two / one, unit="x (2 threads / 1)", count=count,
                seconds=0, rate_1=one, rate_2=two, busy_2=busy)


def bulk(stack, workload, count):
    client_ctx, server_ctx, pair, info = checked_pair(stack, "ec")
    if workload == "w3":
        size, records = SMALL, count
    else:
        size, records = CHUNK, count // CHUNK
    stack.transfer(pair, size, records // 10 + 1)
    start = timer()
    stack.transfer(pair, size, records)
    seconds = timer() - start
    if workload == "w3":
        return dict(info, value=records / seconds, unit="records/s", count=records,
                    seconds=seconds)
    return dict(info, value=records * CHUNK / seconds / 2 ** 20, unit="MiB/s",
                count=records * CHUNK, seconds=seconds)


def mem(stack, workload, count):
    client_ctx, server_ctx, pair, info = checked_pair(stack, "ec")
    handshake = stack.handshake
    for _ in repeat(20):
        handshake(client_ctx, server_ctx)
    gc.collect()
    before = rss_bytes()
    start = timer()
    pairs = [handshake(client_ctx, server_ctx) for _ in repeat(count)]
    seconds = timer() - start
    gc.collect()
    after = rss_bytes()
    assert len(pairs) == count
    return dict(info, value=(after - before) / count / 1024.0, unit="KiB/connection",
                count=count, seconds=seconds, rss_before=before, rss_after=after)


def w4(stack, workload, count, certdir, api):
    """This process sends; a second process of the same interpreter and
    stack receives and acknowledges the last byte."""
    records = count // CHUNK
    server = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), api, "w4-server", certdir,
         str(records * CHUNK)], stdout=subprocess.PIPE)
    try:
        port = int(server.stdout.readline())
        client_ctx, server_ctx, pair, info = checked_pair(stack, "ec")
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        seconds, sock_info = stack.send_socket(client_ctx, sock, records)
    except BaseException:
        if server.poll() is None:
            server.kill()
        server.wait()
        raise
    if server.wait() != 0:
        raise SystemExit("worker: the w4 server process failed")
    info.update(sock_info)
    return dict(info, value=records * CHUNK / seconds / 2 ** 20, unit="MiB/s",
                count=records * CHUNK, seconds=seconds)


def w4_server(stack, count):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client_ctx, server_ctx = stack.contexts("ec")
    sys.stdout.write("%d\n" % listener.getsockname()[1])
    sys.stdout.flush()
    sock, _ = listener.accept()
    listener.close()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    stack.serve_socket(server_ctx, sock, count)


IMPORT_PROBE = """
import sys, time
timer = getattr(time, "perf_counter", time.time)
t0 = timer()
import ssl
t1 = timer()
import _tls_bootstrap
t2 = timer()
_tls_bootstrap.monkeypatch_ssl()
t3 = timer()
sys.stdout.write("%r %r %r\\n" % (t1 - t0, t2 - t1, t3 - t2))
"""


def import_cost(count):
    """Fresh processes: `import ssl`, then `import _tls_bootstrap`, then
    `monkeypatch_ssl()`, each timed; medians in milliseconds."""
    samples = []
    command = [sys.executable, "-c", IMPORT_PROBE]

    def probe():
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit("worker: import probe failed: %s"
                             % err.decode("utf-8", "replace").strip().splitlines()[-1])
        return [float(x) * 1000 for x in out.decode().split()]

    probe()                                   # byte-compile caches
    for _ in repeat(count):
        samples.append(probe())

    def median(values):
        values = sorted(values)
        return values[len(values) // 2]

    ssl_ms, import_ms, patch_ms = [median(column) for column in zip(*samples)]
    return {"value": import_ms + patch_ms, "unit": "ms added", "count": count,
            "import_ssl_ms": ssl_ms, "import_tlsb_ms": import_ms,
            "monkeypatch_ms": patch_ms, "ratio_to_import_ssl": (import_ms + patch_ms) / ssl_ms}


def main(argv):
    api, workload, certdir, count = argv[1], argv[2], argv[3], int(argv[4])
    if workload == "import":
        result = import_cost(count)
        import _tls_bootstrap
        result["openssl"] = _tls_bootstrap.OPENSSL_VERSION
    else:
        stack = make_stack(api, certdir)
        if workload == "w4-server":
            return w4_server(stack, count)
        if workload.startswith("w1-"):
            result = w1(stack, workload, count)
        elif workload in ("w2", "w3"):
            result = bulk(stack, workload, count)
        elif workload == "mem":
            result = mem(stack, workload, count)
        elif workload == "threads":
            result = threads(stack, workload, count)
        elif workload == "w4":
            result = w4(stack, workload, count, certdir, api)
        else:
            raise SystemExit("worker: unknown workload %r" % workload)
        result["openssl"] = stack.openssl_version()
    result["workload"] = workload
    result["python"] = "%d.%d.%d" % sys.version_info[:3]
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv)
