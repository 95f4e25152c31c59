"""Misbehaving peers over real loopback sockets (and memory BIOs): peers
that vanish mid-handshake, send garbage or alerts, stall, half-close, and
a socket closed under a call blocked in another thread.

Each scenario checks the exception (type, and OpenSSL's reason where there
is one) against what 3.13's ssl raises: EXPECTED holds 3.13's answers, and
on 3.13 every scenario also runs with the host's ssl, which proves them.
After each, resources are checked: no descriptor leaked, no
ResourceWarning, the peer's thread ended.

Rules of this file:
- Misbehaving peers are raw sockets (or a memory-BIO end of the same
  implementation, for real ClientHello/ServerHello bytes); the end under
  test is an SSLSocket of the implementation under test.
- No scenario waits on a fixed sleep for correctness; sleeps only give a
  blocked call time to block.
"""
import errno
import gc
import os
import socket
import struct
import sys
import threading
import time
import warnings

import pytest

import _tls_bootstrap as tlsb
import tlsb_support
from tlsb_peers import OpenSSLServer
from tlsb_support import client_context, server_context

IMPLS = tlsb_support.implementations()
ON_LINUX = sys.platform.startswith("linux")

# 3.13's answers: (exception kind, reason or errno name).  A kind is the
# class name for ssl exceptions, "timeout", or "OSError" with an errno name.
EXPECTED = {
    "client: peer closes after ClientHello": ("SSLEOFError", "UNEXPECTED_EOF_WHILE_READING"),
    "client: peer resets after ClientHello": ("OSError", "ECONNRESET"),
    "client: peer closes after ServerHello": ("SSLEOFError", "UNEXPECTED_EOF_WHILE_READING"),
    "client: peer resets after ServerHello": ("OSError", "ECONNRESET"),
    "server: peer closes before ClientHello": ("SSLEOFError", "UNEXPECTED_EOF_WHILE_READING"),
    "server: peer closes after ClientHello": ("SSLEOFError", "UNEXPECTED_EOF_WHILE_READING"),
    "server: peer resets after ClientHello": ("OSError", "ECONNRESET"),
    "client: HTTP response": ("SSLError", "WRONG_VERSION_NUMBER"),
    "client: random bytes": ("SSLError", "WRONG_VERSION_NUMBER"),
    "client: truncated record, then close": ("SSLEOFError", "UNEXPECTED_EOF_WHILE_READING"),
    "client: oversized record length": ("SSLError", "PACKET_LENGTH_TOO_LONG"),
    "server: HTTP request": ("SSLError", "HTTP_REQUEST"),
    "server: random bytes": ("SSLError", "WRONG_VERSION_NUMBER"),
    "server: oversized record length": ("SSLError", "PACKET_LENGTH_TOO_LONG"),
    "client: raw alert handshake_failure": ("SSLError", "SSLV3_ALERT_HANDSHAKE_FAILURE"),
    "client: raw alert bad_certificate": ("SSLError", "SSLV3_ALERT_BAD_CERTIFICATE"),
    "client: no shared cipher": ("SSLError", "SSLV3_ALERT_HANDSHAKE_FAILURE"),
    "server: client rejects the certificate": ("SSLError", "TLSV1_ALERT_UNKNOWN_CA"),
    "unwrap: peer closed, EOF not yet read": ("SSLEOFError", "UNEXPECTED_EOF_WHILE_READING"),
    "unwrap: peer closed, EOF already read": ("SSLError", "SHUTDOWN_WHILE_IN_INIT"),
}
# OpenSSL 1.1.1 (the py311-openssl111 env) reports a peer's EOF as
# SSL_ERROR_SYSCALL with an empty queue, where 3.0 queues
# UNEXPECTED_EOF_WHILE_READING: the stdlib's mapping makes that an
# SSLEOFError without a reason, ours too.
if tlsb.OPENSSL_VERSION_INFO[:2] < (3, 0):
    for _name, (_kind, _reason) in list(EXPECTED.items()):
        if _reason == "UNEXPECTED_EOF_WHILE_READING":
            EXPECTED[_name] = (_kind, None)
    EXPECTED["unwrap: peer closed, EOF already read"] = ("SSLEOFError", None)

# Random bytes whose first byte is no TLS content type; fixed, so that the
# outcome is too.
RANDOM_BYTES = bytes(bytearray([0x9b, 0x3e, 0x71, 0xc2, 0x05, 0xd8, 0x4a, 0xee] * 16))
HTTP_RESPONSE = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
HTTP_REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
# A handshake record header announcing 65535 bytes (the limit is 2^14 + 2048).
OVERSIZED_RECORD = b"\x16\x03\x03\xff\xff" + b"\x00" * 64
# A handshake record that promises 100 bytes and brings 10.
TRUNCATED_RECORD = b"\x16\x03\x03\x00\x64" + b"\x02" * 10


def alert_record(description):
    """A fatal alert (level 2) in a TLS 1.2-versioned plaintext record."""
    return b"\x15\x03\x03\x00\x02\x02" + struct.pack("B", description)


@pytest.fixture(params=IMPLS, ids=tlsb_support.impl_id)
def impl(request):
    return request.param


# ---------------------------------------------------------------------------
# Outcome and resource checks
# ---------------------------------------------------------------------------
def outcome(impl, exc):
    """What an exception says, in EXPECTED's terms."""
    if isinstance(exc, socket.timeout):
        # 3.13 puts "_ssl.c:1011: " before the message.
        return ("timeout", str(exc).split(": ")[-1])
    if isinstance(exc, impl.SSLError):
        return (type(exc).__name__, exc.reason)
    if isinstance(exc, socket.error) and exc.errno is not None:
        return ("OSError", errno.errorcode.get(exc.errno, exc.errno))
    return (type(exc).__name__, str(exc))


def open_fds():
    return set(os.listdir("/proc/self/fd")) if ON_LINUX else set()


class no_leaks(object):
    """Within the block nothing may be left open: descriptors (Linux) and
    unclosed sockets (ResourceWarning, 3.x)."""

    def __enter__(self):
        gc.collect()
        self.before = open_fds()
        self.warnings = warnings.catch_warnings(record=True)
        self.caught = self.warnings.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, exc_type, exc, tb):
        gc.collect()
        self.warnings.__exit__(exc_type, exc, tb)
        if exc_type is not None:
            return False
        # A closing descriptor of the peer thread may still be in flight.
        deadline = time.time() + 2
        while open_fds() - self.before and time.time() < deadline:
            time.sleep(0.01)
            gc.collect()
        leaked = open_fds() - self.before
        assert not leaked, "descriptors left open: %s" % sorted(leaked)
        resource = [w for w in self.caught if issubclass(w.category, ResourceWarning)] \
            if not tlsb_support.PY2 else []
        assert not resource, [str(w.message) for w in resource]
        return False


class RawPeer(object):
    """The misbehaving end: a thread running behaviour(sock) on a plain
    socket, as the listening side (`serve`) or the connecting side."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.errors = []
        self.thread = threading.Thread(target=self._run)
        self.thread.daemon = True
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.address = self.listener.getsockname()

    def _run(self):
        try:
            self.listener.settimeout(10)
            sock, _ = self.listener.accept()
            sock.settimeout(10)
            try:
                self.behaviour(sock)
            finally:
                sock.close()
        except Exception as exc:         # reported by join()
            self.errors.append(exc)
        finally:
            self.listener.close()

    def start(self):
        self.thread.start()
        return self

    def join(self):
        self.thread.join(10)
        assert not self.thread.is_alive(), "the peer thread did not end"
        assert not self.errors, self.errors


def reset(sock):
    """Close with RST instead of FIN (SO_LINGER with a zero timeout)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def client_hello(impl):
    """A real ClientHello of this implementation, as bytes."""
    incoming, outgoing = impl.MemoryBIO(), impl.MemoryBIO()
    obj = client_context(impl).wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except impl.SSLWantReadError:
        pass
    return outgoing.read()


def read_record(sock):
    """One TLS record (header and body) from a plain socket."""
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise EOFError("peer closed after %d of %d bytes" % (len(data), n))
            data += chunk
        return data
    header = exactly(5)
    return header + exactly(struct.unpack("!H", header[3:5])[0])


def server_first_flight(impl, hello):
    """ServerHello and the rest of a real server's first flight, answering
    `hello`."""
    incoming, outgoing = impl.MemoryBIO(), impl.MemoryBIO()
    obj = server_context(impl).wrap_bio(incoming, outgoing, server_side=True)
    incoming.write(hello)
    try:
        obj.do_handshake()
    except impl.SSLWantReadError:
        pass
    return outgoing.read()


# ---------------------------------------------------------------------------
# The end under test against a raw peer
# ---------------------------------------------------------------------------
def client_against(impl, behaviour, timeout=10, ctx=None):
    """Our client's handshake against behaviour(sock); its outcome."""
    with no_leaks():
        peer = RawPeer(behaviour).start()
        tls = (ctx or client_context(impl)).wrap_socket(
            socket.create_connection(peer.address), server_hostname="localhost",
            do_handshake_on_connect=False)
        tls.settimeout(timeout)
        try:
            tls.do_handshake()
        except Exception as exc:
            result = outcome(impl, exc)
        else:
            result = ("no error", tls.version())
        finally:
            tls.close()
        peer.join()
    return result


def server_against(impl, behaviour, ctx=None):
    """Our server's handshake against a raw client running behaviour(sock)."""
    errors = []

    def client():
        sock = socket.create_connection(address)
        sock.settimeout(10)
        try:
            behaviour(sock)
        except Exception as exc:
            errors.append(exc)
        finally:
            sock.close()

    with no_leaks():
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        address = listener.getsockname()
        thread = threading.Thread(target=client)
        thread.daemon = True
        thread.start()
        listener.settimeout(10)
        conn, _ = listener.accept()
        listener.close()
        tls = (ctx or server_context(impl)).wrap_socket(
            conn, server_side=True, do_handshake_on_connect=False)
        tls.settimeout(10)
        try:
            tls.do_handshake()
        except Exception as exc:
            result = outcome(impl, exc)
        else:
            result = ("no error", tls.version())
        finally:
            tls.close()
            conn.close()                  # 2.7: the wrapper shares it
        thread.join(10)
        assert not thread.is_alive()
        assert not errors, errors
    return result


def check(name, result):
    assert result == EXPECTED[name], "%s: %r, 3.13 gives %r" % (name, result, EXPECTED[name])


# ---------------------------------------------------------------------------
# Peers that vanish mid-handshake
# ---------------------------------------------------------------------------
def test_client_peer_closes_after_client_hello(impl):
    check("client: peer closes after ClientHello",
          client_against(impl, lambda sock: read_record(sock)))


def test_client_peer_resets_after_client_hello(impl):
    def behaviour(sock):
        read_record(sock)
        reset(sock)
    check("client: peer resets after ClientHello", client_against(impl, behaviour))


def tls12_client(impl):
    """TLS 1.2: the client's handshake still waits for the server's
    Finished after the server's first flight (TLS 1.3's is complete)."""
    ctx = client_context(impl)
    ctx.maximum_version = impl.TLSVersion.TLSv1_2
    return ctx


def drain(sock, quiet=0.3):
    """Read until the peer has been silent for `quiet` seconds: closing
    with unread data would send RST instead of FIN."""
    sock.settimeout(quiet)
    try:
        while sock.recv(65536):
            pass
    except socket.timeout:
        pass


def test_client_peer_closes_after_server_hello(impl):
    def behaviour(sock):
        sock.sendall(server_first_flight(impl, read_record(sock)))
        drain(sock)
    check("client: peer closes after ServerHello",
          client_against(impl, behaviour, ctx=tls12_client(impl)))


def test_client_peer_resets_after_server_hello(impl):
    def behaviour(sock):
        sock.sendall(server_first_flight(impl, read_record(sock)))
        drain(sock)
        reset(sock)
    check("client: peer resets after ServerHello",
          client_against(impl, behaviour, ctx=tls12_client(impl)))


def test_server_peer_closes_before_client_hello(impl):
    check("server: peer closes before ClientHello",
          server_against(impl, lambda sock: None))


def test_server_peer_closes_after_client_hello(impl):
    def behaviour(sock):
        sock.sendall(client_hello(impl))
        drain(sock)                       # the server's flight: then leave
    check("server: peer closes after ClientHello", server_against(impl, behaviour))


def test_server_peer_resets_after_client_hello(impl):
    def behaviour(sock):
        sock.sendall(client_hello(impl))
        read_record(sock)
        reset(sock)
    check("server: peer resets after ClientHello", server_against(impl, behaviour))


# ---------------------------------------------------------------------------
# Garbage
# ---------------------------------------------------------------------------
def sends_after_hello(data):
    def behaviour(sock):
        read_record(sock)
        sock.sendall(data)
    return behaviour


@pytest.mark.parametrize("name, data", [
    ("client: HTTP response", HTTP_RESPONSE),
    ("client: random bytes", RANDOM_BYTES),
    ("client: truncated record, then close", TRUNCATED_RECORD),
    ("client: oversized record length", OVERSIZED_RECORD),
])
def test_client_gets_garbage(impl, name, data):
    check(name, client_against(impl, sends_after_hello(data)))


@pytest.mark.parametrize("name, data", [
    ("server: HTTP request", HTTP_REQUEST),
    ("server: random bytes", RANDOM_BYTES),
    ("server: oversized record length", OVERSIZED_RECORD),
])
def test_server_gets_garbage(impl, name, data):
    def behaviour(sock):
        sock.sendall(data)
        try:
            sock.recv(1024)               # the alert, or nothing
        except socket.error:
            pass
    check(name, server_against(impl, behaviour))


@pytest.mark.parametrize("name, data", [
    ("client: HTTP response", HTTP_RESPONSE),
    ("client: random bytes", RANDOM_BYTES),
    ("client: oversized record length", OVERSIZED_RECORD),
    ("client: raw alert handshake_failure", alert_record(40)),
])
def test_memory_bio_gets_garbage(impl, name, data):
    """The same bytes through an SSLObject: the same exception."""
    incoming, outgoing = impl.MemoryBIO(), impl.MemoryBIO()
    obj = client_context(impl).wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(impl.SSLWantReadError):
        obj.do_handshake()
    incoming.write(data)
    with pytest.raises(impl.SSLError) as info:
        obj.do_handshake()
    check(name, outcome(impl, info.value))


def test_memory_bio_eof_mid_handshake(impl):
    incoming, outgoing = impl.MemoryBIO(), impl.MemoryBIO()
    obj = client_context(impl).wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(impl.SSLWantReadError):
        obj.do_handshake()
    incoming.write(TRUNCATED_RECORD)
    incoming.write_eof()
    with pytest.raises(impl.SSLEOFError) as info:
        obj.do_handshake()
    check("client: truncated record, then close", outcome(impl, info.value))


# ---------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, description", [
    ("client: raw alert handshake_failure", 40),
    ("client: raw alert bad_certificate", 42),
])
def test_client_gets_raw_alert(impl, name, description):
    check(name, client_against(impl, sends_after_hello(alert_record(description))))


def test_handshake_failure_alert_from_a_real_server(impl):
    """A TLS 1.2 server with no cipher in common answers handshake_failure."""
    server = server_context(impl)
    server.maximum_version = impl.TLSVersion.TLSv1_2
    server.set_ciphers("ECDHE-RSA-CHACHA20-POLY1305")
    client = client_context(impl)
    client.maximum_version = impl.TLSVersion.TLSv1_2
    client.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    errors = []

    def behaviour(sock):
        tls = server.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        try:
            tls.do_handshake()
        except impl.SSLError as exc:
            errors.append(exc.reason)
        finally:
            tls.close()
    check("client: no shared cipher", client_against(impl, behaviour, ctx=client))
    assert errors == ["NO_SHARED_CIPHER"]


def test_server_gets_unknown_ca_alert(impl):
    """A client that does not trust the server's CA sends unknown_ca."""
    untrusting = client_context(impl, cafile="other-ca.pem")
    client_errors = []

    def behaviour(sock):
        tls = untrusting.wrap_socket(sock, server_hostname="localhost",
                                     do_handshake_on_connect=False)
        try:
            tls.do_handshake()
        except impl.SSLCertVerificationError as exc:
            client_errors.append(exc.verify_code)
        finally:
            tls.close()
    check("server: client rejects the certificate", server_against(impl, behaviour))
    assert client_errors == [20]          # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY


def test_certificate_required_alert_from_openssl_s_server(impl):
    """`openssl s_server -Verify` as the peer: a client without a
    certificate completes its TLS 1.3 handshake, then reads the alert."""
    with no_leaks():
        with OpenSSLServer(["-Verify", "1", "-verify_return_error", "-tls1_3"]) as server:
            tls = client_context(impl).wrap_socket(
                socket.create_connection(("127.0.0.1", server.port)),
                server_hostname="localhost")
            tls.settimeout(10)
            try:
                with pytest.raises(impl.SSLError) as info:
                    tls.recv(1024)
            finally:
                tls.close()
    assert info.value.reason == "TLSV13_ALERT_CERTIFICATE_REQUIRED"


# ---------------------------------------------------------------------------
# Stalls: timeouts honoured
# ---------------------------------------------------------------------------
TIMEOUT = 0.5


def assert_timed_out(impl, exc, started, message):
    elapsed = time.time() - started
    assert outcome(impl, exc) == ("timeout", message)
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + 2.0, elapsed


def test_handshake_timeout_with_a_silent_peer(impl):
    done = threading.Event()
    with no_leaks():
        peer = RawPeer(lambda sock: done.wait(10)).start()
        tls = client_context(impl).wrap_socket(
            socket.create_connection(peer.address), server_hostname="localhost",
            do_handshake_on_connect=False)
        tls.settimeout(TIMEOUT)
        started = time.time()
        try:
            with pytest.raises(socket.timeout) as info:
                tls.do_handshake()
        finally:
            tls.close()
            done.set()
        peer.join()
    assert_timed_out(impl, info.value, started, "The handshake operation timed out")


def stalled_tls_peer(impl, fill=False):
    """A TLS server that completes the handshake, then neither writes nor
    (fill=True: reads) until released; (peer, release event)."""
    release = threading.Event()
    ctx = server_context(impl)

    def behaviour(sock):
        if fill:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        tls = ctx.wrap_socket(sock, server_side=True)
        release.wait(10)
        tls.close()
    return RawPeer(behaviour).start(), release


def test_read_timeout_with_a_stalled_peer(impl):
    with no_leaks():
        peer, release = stalled_tls_peer(impl)
        tls = client_context(impl).wrap_socket(
            socket.create_connection(peer.address), server_hostname="localhost")
        tls.settimeout(TIMEOUT)
        started = time.time()
        try:
            with pytest.raises(socket.timeout) as info:
                tls.recv(1024)
        finally:
            tls.close()
            release.set()
        peer.join()
    assert_timed_out(impl, info.value, started, "The read operation timed out")


def test_write_timeout_with_a_peer_that_does_not_read(impl):
    with no_leaks():
        peer, release = stalled_tls_peer(impl, fill=True)
        sock = socket.create_connection(peer.address)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        tls = client_context(impl).wrap_socket(sock, server_hostname="localhost")
        tls.settimeout(TIMEOUT)
        data = b"x" * 65536
        try:
            with pytest.raises(socket.timeout) as info:
                deadline = time.time() + 20
                while time.time() < deadline:
                    started = time.time()
                    tls.sendall(data)
        finally:
            tls.close()
            sock.close()                  # 2.7: the wrapper shares it
            release.set()
        peer.join()
    assert_timed_out(impl, info.value, started, "The write operation timed out")


def test_create_connection_timeout_with_a_full_backlog():
    """Nothing TLS-specific: a connect that cannot complete honours the
    timeout (the listener's queue is full, so its SYNs are dropped)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    queued = []
    try:
        with no_leaks():
            started = time.time()
            with pytest.raises(socket.timeout):
                for _ in range(8):
                    queued.append(socket.create_connection(listener.getsockname(),
                                                           timeout=TIMEOUT))
            elapsed = time.time() - started
            for sock in queued:
                sock.close()
        assert elapsed < len(queued) * 0.1 + TIMEOUT + 2.0
    finally:
        listener.close()


# ---------------------------------------------------------------------------
# Half-close: the peer's FIN without close_notify
# ---------------------------------------------------------------------------
def half_closing_peer(impl):
    """A TLS server that sends b"last words", then shuts its socket down for
    writing without close_notify, and reads until the client closes."""
    ctx = server_context(impl)

    def behaviour(sock):
        tls = ctx.wrap_socket(sock, server_side=True)
        try:
            tls.sendall(b"last words")
            # SSLSocket.shutdown() drops the TLS layer: no close_notify.
            tls.shutdown(socket.SHUT_WR)
            while tls.recv(4096):
                pass
        finally:
            tls.close()
    return RawPeer(behaviour).start()


@pytest.mark.parametrize("suppress", [True, False])
def test_half_close_without_close_notify(impl, suppress):
    with no_leaks():
        peer = half_closing_peer(impl)
        tls = client_context(impl).wrap_socket(
            socket.create_connection(peer.address), server_hostname="localhost",
            suppress_ragged_eofs=suppress)
        tls.settimeout(10)
        try:
            received = b""
            while len(received) < len(b"last words"):
                received += tls.recv(1024)
            assert received == b"last words"
            if suppress:
                assert tls.recv(1024) == b""
            else:
                with pytest.raises(impl.SSLEOFError):
                    tls.recv(1024)
        finally:
            tls.close()
        peer.join()


@pytest.mark.parametrize("name, read_eof_first", [
    ("unwrap: peer closed, EOF not yet read", False),
    ("unwrap: peer closed, EOF already read", True),
])
def test_unwrap_after_the_peer_closed(impl, name, read_eof_first):
    """unwrap() sends close_notify, then finds EOF where the peer's should
    be; after a ragged EOF was already reported, OpenSSL's state refuses."""
    with no_leaks():
        peer = half_closing_peer(impl)
        tls = client_context(impl).wrap_socket(
            socket.create_connection(peer.address), server_hostname="localhost")
        tls.settimeout(10)
        try:
            assert tls.recv(1024) == b"last words"
            if read_eof_first:
                assert tls.recv(1024) == b""
            try:
                tls.unwrap()
            except Exception as exc:
                result = outcome(impl, exc)
            else:
                result = ("no error", None)
        finally:
            tls.close()
        peer.join()
    check(name, result)


# ---------------------------------------------------------------------------
# A socket closed under a call blocked in another thread
# ---------------------------------------------------------------------------
def blocked_call(tls, operation):
    if operation == "recv":
        return tls.recv(1024)
    if operation == "read":
        return tls.read(1024)
    if operation == "do_handshake":
        return tls.do_handshake()
    if operation == "sendall":
        while True:
            tls.sendall(b"x" * 65536)
    raise AssertionError(operation)


@pytest.mark.parametrize("timeout", [None, 30.0], ids=["blocking", "timeout"])
@pytest.mark.parametrize("operation", ["recv", "read", "do_handshake", "sendall"])
def test_close_under_a_blocked_call(impl, operation, timeout):
    """3.13 leaves the blocked thread blocked (close() wakes no poll() or
    recv() on Linux) until the peer acts or the timeout passes.  We end it
    at once with OSError(EBADF), and the descriptor's number stays taken
    until it left OpenSSL, so it cannot be reused under it."""
    is_stdlib = impl.__name__ == "ssl"
    release = threading.Event()
    ctx = server_context(impl)

    def behaviour(sock):
        if operation == "do_handshake":
            read_record(sock)               # the ClientHello, never answered
        else:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            tls_peer = ctx.wrap_socket(sock, server_side=True)
        release.wait(30)
        if operation != "do_handshake":
            tls_peer.close()

    with no_leaks():
        peer = RawPeer(behaviour).start()
        sock = socket.create_connection(peer.address)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        tls = client_context(impl).wrap_socket(
            sock, server_hostname="localhost",
            do_handshake_on_connect=operation != "do_handshake")
        tls.settimeout(timeout)
        results = []

        def run():
            try:
                results.append(("returned", blocked_call(tls, operation)))
            except Exception as exc:
                results.append(outcome(impl, exc))
        thread = threading.Thread(target=run)
        thread.daemon = True
        thread.start()
        time.sleep(0.3)
        assert not results, results
        started = time.time()
        tls.close()
        closed_in = time.time() - started
        sock.close()                      # 2.7: the wrapper shares it
        # The descriptor number is free again: whatever gets it now must not
        # be touched by the old call.
        reuse_a, reuse_b = socket.socketpair()
        try:
            reuse_b.sendall(b"not for the old call")
            thread.join(1.0 if not is_stdlib else 0.5)
            still_blocked = thread.is_alive()
            release.set()                 # the peer closes: the call ends
            thread.join(10)
            reuse_a.settimeout(0.5)
            try:
                untouched = reuse_a.recv(1024) == b"not for the old call"
            except socket.timeout:
                untouched = False
        finally:
            reuse_a.close()
            reuse_b.close()
            release.set()
        peer.join()
        assert not thread.is_alive()
    if is_stdlib:
        # The oracle: 3.13 left the call blocked, or (with a timeout, its
        # poll loop) it went on to read the new owner of the fd number.
        assert still_blocked or not untouched
    else:
        assert not still_blocked
        assert untouched
        assert results == [("OSError", "EBADF")], results
        assert closed_in < 1.0, closed_in


class ClosingFlags(int):
    """flags=0 that closes the socket when the call compares it with 0:
    close() lands after the call took the connection, before it used it
    (the window of a close() from another thread, made deterministic)."""

    def __new__(cls, tls):
        flags = int.__new__(cls, 0)
        flags.tls = tls
        return flags

    def __ne__(self, other):
        self.tls.close()
        return False

    __hash__ = int.__hash__


@pytest.mark.parametrize("operation", ["recv", "recv_into", "send", "sendall"])
def test_close_between_taking_the_connection_and_using_it(operation):
    """A call that took the connection just before close() ended it ends
    as a call blocked at that moment does: OSError(EBADF), not
    AttributeError on the cleared connection, ValueError or "Underlying
    socket has been closed" (3.13's ssl raises AttributeError for send)."""
    server_ctx, client_ctx = server_context(tlsb), client_context(tlsb)
    ours, theirs = tlsb_support.socketpair()
    peer = {}
    server = threading.Thread(
        target=lambda: peer.setdefault("tls", server_ctx.wrap_socket(theirs, server_side=True)))
    server.start()
    tls = client_ctx.wrap_socket(ours, server_hostname="localhost")
    server.join(10)
    flags = ClosingFlags(tls)
    call = {"recv": lambda: tls.recv(16, flags),
            "recv_into": lambda: tls.recv_into(bytearray(16), 16, flags),
            "send": lambda: tls.send(b"data", flags),
            "sendall": lambda: tls.sendall(b"data", flags)}[operation]
    try:
        with pytest.raises(socket.error) as caught:
            call()
        assert caught.value.errno == errno.EBADF, caught.value
    finally:
        tls.close()
        ours.close()
        peer["tls"].close()
        theirs.close()


def test_close_from_the_blocked_threads_own_callback():
    """close() from a callback inside the connection's own I/O does not wait
    for itself (it would wait the full bound of 5 s)."""
    ctx = client_context(tlsb)
    ctx.maximum_version = tlsb.TLSVersion.TLSv1_2
    holder = []

    def on_message(conn, direction, version, content_type, msg_type, data):
        if direction == "read" and holder:
            holder.pop().close()

    ctx._msg_callback = on_message
    with no_leaks():
        peer = RawPeer(sends_after_hello(alert_record(40))).start()
        tls = ctx.wrap_socket(socket.create_connection(peer.address),
                              server_hostname="localhost", do_handshake_on_connect=False)
        tls.settimeout(10)
        holder.append(tls)
        started = time.time()
        with pytest.raises(socket.error):
            tls.do_handshake()
        assert time.time() - started < 2.0
        tls.close()
        peer.join()


def test_close_keeps_the_fd_number_while_a_callback_runs(tmpdir):
    """Issue 14, item 6: close() from another thread while the handshake
    is inside a slow SNI callback.  Before, close() waited at most 5 s,
    then closed the descriptor; the handshake, once the callback returned,
    wrote its ServerHello into whatever file had the number by then.  Now
    close() returns at once, the number stays taken (by a dead descriptor)
    while the callback runs, nothing reaches another file, and the last
    thread out releases the number.  The callback waits for the test, not
    for a clock, so the 5 s bound plays no part."""
    entered, proceed = threading.Event(), threading.Event()
    ctx = server_context(tlsb)

    def slow_sni(sslobj, name, context):
        entered.set()
        proceed.wait(20)
    ctx.sni_callback = slow_sni
    ours, theirs = tlsb_support.socketpair()
    tls = ctx.wrap_socket(ours, server_side=True, do_handshake_on_connect=False)
    client = client_context(tlsb).wrap_socket(
        theirs, server_hostname="localhost", do_handshake_on_connect=False)
    client.settimeout(20)
    results = []

    def serve():
        try:
            tls.do_handshake()
            results.append("handshake done")
        except Exception as exc:
            results.append((type(exc).__name__, getattr(exc, "errno", None)))

    def connect():
        try:
            client.do_handshake()
        except Exception:
            pass

    def fd_in_use(fd):
        try:
            os.fstat(fd)
            return True
        except OSError:
            return False

    server_thread = threading.Thread(target=serve)
    client_thread = threading.Thread(target=connect)
    for thread in (server_thread, client_thread):
        thread.daemon = True
        thread.start()
    unrelated = None
    try:
        assert entered.wait(10)
        fd = tls.fileno()
        closer = threading.Thread(target=lambda: (tls.close(), ours.close()))
        closer.start()
        closer.join(20)
        assert not closer.is_alive()
        kept = fd_in_use(fd)
        unrelated = open(str(tmpdir.join("unrelated")), "wb")
        proceed.set()
        server_thread.join(20)
        client_thread.join(20)
        assert not server_thread.is_alive()
        unrelated.flush()
        written = os.path.getsize(str(tmpdir.join("unrelated")))
        assert kept, "the fd number was released while the callback ran"
        assert written == 0
        assert results == [("OSError" if not tlsb_support.PY2 else "error", errno.EBADF)], results
        assert not fd_in_use(fd) or fd == unrelated.fileno()
    finally:
        proceed.set()
        if unrelated is not None:
            unrelated.close()
        client.close()
        theirs.close()
