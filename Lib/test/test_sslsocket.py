"""SSLSocket over real loopback sockets: blocking, timeout and
non-blocking modes, the socket API as 3.13 answers it.  Client-side tests
also run with the host's ssl on 3.13 as oracle."""
import errno
import hashlib
import os
import select
import socket
import sys
import threading
import time
import warnings

import pytest

import _tls_bootstrap as tlsb
import tlsb_support
from tlsb_peers import ThreadedServer
from tlsb_support import certfile, client_context, server_context

IMPLS = tlsb_support.implementations()


@pytest.fixture(params=IMPLS, ids=tlsb_support.impl_id)
def impl(request):
    return request.param


def echo_server(count=1, **settings):
    """Our TLS echo server: echoes until the client closes."""
    ctx = server_context(tlsb, **settings)

    def handler(conn):
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
        except (tlsb.SSLError, socket.error):
            return     # clients that give up early are part of some tests
        try:
            while True:
                data = tls.recv(65536)
                if not data:
                    break
                tls.sendall(data)
        except (tlsb.SSLError, socket.error):
            pass
        finally:
            tls.close()
    return ThreadedServer(handler, count=count)


def digest_server(size):
    """Our TLS server that reads `size` bytes, then answers with their
    SHA-256: the client never reads and writes at the same time (one TLS
    connection is not to be used from two threads at once)."""
    ctx = server_context(tlsb)

    def handler(conn):
        tls = ctx.wrap_socket(conn, server_side=True)
        digest = hashlib.sha256()
        remaining = size
        while remaining:
            data = tls.recv(min(remaining, 65536))
            if not data:
                break
            digest.update(data)
            remaining -= len(data)
        tls.sendall(digest.digest())
        tls.close()
    return ThreadedServer(handler)


def connect(impl, server, **settings):
    ctx = client_context(impl, **settings)
    raw = socket.create_connection(server.address, timeout=10)
    return ctx.wrap_socket(raw, server_hostname="localhost")


# ---- basic behaviour ----------------------------------------------------------

def test_roundtrip_and_socket_identity(impl):
    with echo_server() as server:
        tls = connect(impl, server)
        try:
            assert isinstance(tls, socket.socket)
            assert isinstance(tls, impl.SSLSocket)
            assert tls.version() == "TLSv1.3"
            assert tls.server_hostname == "localhost"
            assert tls.server_side is False
            tls.sendall(b"ping")
            assert tls.recv(1024) == b"ping"
            assert tls.getpeercert(True)
            assert tls.cipher()[1] == "TLSv1.3"
            assert tls.get_channel_binding() is not None
            assert len(tls.get_verified_chain()) == 3
        finally:
            tls.close()


def test_large_sendall_and_recv_into(impl):
    payload = os.urandom(1 << 20)
    with digest_server(len(payload)) as server:
        tls = connect(impl, server)
        try:
            tls.sendall(payload)
            buf = bytearray(32)
            view = memoryview(buf)
            got = 0
            while got < 32:
                got += tls.recv_into(view[got:])
            assert bytes(buf) == hashlib.sha256(payload).digest()
        finally:
            tls.close()


def test_makefile_lines(impl):
    with echo_server() as server:
        tls = connect(impl, server)
        try:
            writer = tls.makefile("wb")
            reader = tls.makefile("rb")
            writer.write(b"line one\nline two\n")
            writer.flush()
            assert reader.readline() == b"line one\n"
            assert reader.readline() == b"line two\n"
            writer.close()
            reader.close()
        finally:
            tls.close()


def test_sendfile_falls_back_to_send(impl, tmpdir):
    if not hasattr(impl.SSLSocket, "sendfile"):
        pytest.skip("host SSLSocket has no sendfile")
    path = tmpdir.join("data.bin")
    payload = os.urandom(100000)
    path.write(payload, mode="wb")
    with digest_server(len(payload) - 1000) as server:
        tls = connect(impl, server)
        try:
            with open(str(path), "rb") as f:
                assert tls.sendfile(f, offset=1000) == len(payload) - 1000
                assert f.tell() == len(payload)
            assert read_exactly(tls, 32) == hashlib.sha256(payload[1000:]).digest()
        finally:
            tls.close()


def read_exactly(tls, size):
    data = b""
    while len(data) < size:
        chunk = tls.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_refused_socket_operations(impl):
    with echo_server() as server:
        tls = connect(impl, server)
        try:
            with pytest.raises(ValueError):
                tls.recvfrom(10)
            with pytest.raises(ValueError):
                tls.recvfrom_into(bytearray(10))
            with pytest.raises(ValueError):
                tls.send(b"x", 1)
            with pytest.raises(ValueError):
                tls.sendto(b"x", ("127.0.0.1", 9))
            with pytest.raises(NotImplementedError):
                tls.dup()
            if sys.version_info[0] >= 3:
                with pytest.raises(NotImplementedError):
                    tls.sendmsg([b"x"])
                with pytest.raises(NotImplementedError):
                    tls.recvmsg(10)
        finally:
            tls.close()


def test_no_public_constructor(impl):
    with pytest.raises(TypeError):
        impl.SSLSocket()


def test_check_hostname_requires_server_hostname(impl):
    raw = socket.socket()
    try:
        with pytest.raises(ValueError) as info:
            client_context(impl).wrap_socket(raw)
        assert str(info.value) == "check_hostname requires server_hostname"
        with pytest.raises(ValueError) as info:
            server_context(impl).wrap_socket(raw, server_side=True,
                                             server_hostname="x")
        assert "only be specified in client mode" in str(info.value)
    finally:
        raw.close()


def test_datagram_sockets_refused(impl):
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(NotImplementedError):
            client_context(impl).wrap_socket(raw, server_hostname="localhost")
    finally:
        raw.close()


# ---- connecting, accepting ---------------------------------------------------

def test_wrap_unconnected_then_connect(impl):
    with echo_server() as server:
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.settimeout(10)
        tls = client_context(impl).wrap_socket(raw, server_hostname="localhost")
        del raw     # 2.7 shares the OS socket between both objects
        try:
            assert tls.version() is None
            tls.connect(server.address)
            assert tls.version() == "TLSv1.3"
            with pytest.raises(ValueError):
                tls.connect(server.address)
            tls.sendall(b"x")
            assert tls.recv(1) == b"x"
        finally:
            tls.close()


def test_connect_ex_reports_refusal(impl):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    tls = client_context(impl).wrap_socket(socket.socket(), server_hostname="localhost")
    try:
        assert tls.connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED
    finally:
        tls.close()


def test_accept_on_wrapped_listening_socket():
    ctx = server_context(tlsb)
    listener = ctx.wrap_socket(socket.socket(), server_side=True)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)
    port = listener.getsockname()[1]
    result = {}

    def client():
        tls = connect(tlsb, type("S", (), {"address": ("127.0.0.1", port)}))
        result["echo"] = tls.recv(10)
        tls.close()
    thread = threading.Thread(target=client)
    thread.start()
    conn, addr = listener.accept()
    try:
        assert isinstance(conn, tlsb.SSLSocket) and conn.server_side
        conn.sendall(b"welcome")
    finally:
        thread.join(10)
        conn.close()
        listener.close()
    assert result["echo"] == b"welcome"


# ---- timeouts and non-blocking mode ----------------------------------------------

def silent_server():
    """Accepts, then says nothing until the client goes away."""
    def handler(conn):
        conn.settimeout(10)
        try:
            conn.recv(1)
            while conn.recv(65536):
                pass
        except socket.error:
            pass
    return ThreadedServer(handler)


def test_handshake_timeout_is_socket_timeout(impl):
    with silent_server() as server:
        raw = socket.create_connection(server.address, timeout=0.3)
        with pytest.raises(socket.timeout) as info:
            client_context(impl).wrap_socket(raw, server_hostname="localhost")
        assert "handshake operation timed out" in str(info.value)
        raw.close()


def test_read_timeout_is_socket_timeout(impl):
    def handler(conn):
        tls = server_context(tlsb).wrap_socket(conn, server_side=True)
        try:
            tls.recv(1)          # waits for the client to give up
        except (tlsb.SSLError, socket.error):
            pass
    with ThreadedServer(handler) as server:
        tls = connect(impl, server)
        tls.settimeout(0.3)
        with pytest.raises(socket.timeout) as info:
            tls.recv(10)
        assert "read operation timed out" in str(info.value)
        tls.close()


def test_non_blocking_handshake(impl):
    # The server waits until the client's first attempt has returned, so
    # that attempt cannot finish the handshake however threads are run.
    first_attempt_done = threading.Event()

    def handler(conn):
        first_attempt_done.wait(10)
        tls = server_context(tlsb).wrap_socket(conn, server_side=True)
        tls.sendall(b"hi")
        tls.recv(1)

    with ThreadedServer(handler) as server:
        raw = socket.create_connection(server.address, timeout=10)
        tls = client_context(impl).wrap_socket(raw, server_hostname="localhost",
                                               do_handshake_on_connect=False)
        del raw     # 2.7 shares the OS socket between both objects
        tls.setblocking(False)
        try:
            with pytest.raises(impl.SSLWantReadError):
                tls.do_handshake()
            first_attempt_done.set()
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    tls.do_handshake()
                    break
                except impl.SSLWantReadError:
                    select.select([tls], [], [], 5)
                except impl.SSLWantWriteError:
                    select.select([], [tls], [], 5)
            assert tls.version() == "TLSv1.3"
            data = b""
            while not data and time.time() < deadline:
                select.select([tls], [], [], 5)
                try:
                    data = tls.recv(10)     # tickets may come first
                except impl.SSLWantReadError:
                    pass
            assert data == b"hi"
            with pytest.raises(impl.SSLWantReadError):
                tls.recv(10)
            tls.setblocking(True)
            tls.sendall(b"x")
        finally:
            first_attempt_done.set()
            tls.close()


def test_handshake_on_connect_refused_for_non_blocking(impl):
    with echo_server() as server:
        raw = socket.create_connection(server.address, timeout=10)
        raw.setblocking(False)
        with pytest.raises(ValueError):
            client_context(impl).wrap_socket(raw, server_hostname="localhost")
        raw.close()


def test_gil_is_released_while_waiting():
    # The server answers only after another Python thread has run; if the
    # blocked recv() held the GIL, that thread could not run and recv()
    # would time out instead.
    may_send = threading.Event()

    def handler(conn):
        tls = server_context(tlsb).wrap_socket(conn, server_side=True)
        may_send.wait(10)
        tls.sendall(b"after the other thread ran")
        tls.recv(1)
    with ThreadedServer(handler) as server:
        tls = connect(tlsb, server)
        tls.settimeout(5)
        threading.Timer(0.2, may_send.set).start()
        assert tls.recv(100) == b"after the other thread ran"
        tls.close()


# ---- endings ---------------------------------------------------------------------

def test_unwrap_returns_plain_socket(impl):
    def handler(conn):
        tls = server_context(tlsb).wrap_socket(conn, server_side=True)
        assert tls.recv(10) == b"bye"
        plain = tls.unwrap()
        plain.sendall(b"clear text")
    with ThreadedServer(handler) as server:
        tls = connect(impl, server)
        tls.sendall(b"bye")
        plain = tls.unwrap()
        assert plain.recv(100) == b"clear text"
        with pytest.raises(ValueError):
            tls.unwrap()
        plain.close()


@pytest.mark.parametrize("suppress", [True, False])
def test_ragged_eof(impl, suppress):
    def handler(conn):
        tls = server_context(tlsb).wrap_socket(conn, server_side=True)
        tls.sendall(b"data")
        # end the TCP connection without close_notify
        tls.shutdown(socket.SHUT_RDWR)
    with ThreadedServer(handler) as server:
        raw = socket.create_connection(server.address, timeout=10)
        tls = client_context(impl).wrap_socket(raw, server_hostname="localhost",
                                               suppress_ragged_eofs=suppress)
        try:
            assert read_exactly(tls, 4) == b"data"
            if suppress:
                assert tls.recv(10) == b""
            else:
                with pytest.raises(impl.SSLEOFError):
                    tls.recv(10)
        finally:
            tls.close()


def test_read_after_close_is_value_error(impl):
    with echo_server() as server:
        tls = connect(impl, server)
        tls.close()
        with pytest.raises((ValueError, socket.error)):
            tls.read(1)


# ---- helpers at module level --------------------------------------------------

def test_get_server_certificate(impl):
    def handler(conn):
        try:
            server_context(tlsb).wrap_socket(conn, server_side=True).close()
        except (tlsb.SSLError, socket.error):
            pass
    with ThreadedServer(handler, count=2) as server:
        pem = impl.get_server_certificate(server.address, ca_certs=certfile("ca.pem"))
        assert impl.PEM_cert_to_DER_cert(pem) == open(certfile("localhost.der"), "rb").read()
        pem = impl.get_server_certificate(server.address)
        assert pem.startswith("-----BEGIN CERTIFICATE-----")


def test_module_wrap_socket_where_the_host_has_it():
    import ssl
    if not hasattr(ssl, "wrap_socket"):
        pytest.skip("the host has no module-level wrap_socket")
    with echo_server() as server:
        raw = socket.create_connection(server.address, timeout=10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            tls = tlsb.wrap_socket(raw, ca_certs=certfile("ca.pem"),
                                   cert_reqs=tlsb.CERT_REQUIRED)
        del raw     # 2.7 shares the OS socket between both objects
        try:
            tls.sendall(b"legacy")
            assert tls.recv(10) == b"legacy"
        finally:
            tls.close()


def test_cleartext_before_handshake_is_refused(impl):
    # CVE-2023-40217: a peer that connects, sends data and closes leaves a
    # socket that reports ENOTCONN yet holds the data; wrapping it must not
    # let that cleartext pass as TLS data.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.create_connection(listener.getsockname(), timeout=10)
    client.sendall(b"cleartext")
    client.close()
    conn, _ = listener.accept()
    listener.close()
    time.sleep(0.1)
    conn.shutdown(socket.SHUT_WR)
    time.sleep(0.1)
    try:
        with pytest.raises(socket.error) as info:
            conn.getpeername()
        assert info.value.errno == errno.ENOTCONN
        with pytest.raises(impl.SSLError) as info:
            server_context(impl).wrap_socket(conn, server_side=True)
        assert "Closed before TLS handshake with data in recv buffer" in str(info.value)
    finally:
        conn.close()


def test_unconnected_socket_context_and_channel_binding_arguments():
    sock = client_context(tlsb).wrap_socket(socket.socket(), server_hostname="localhost")
    try:
        with pytest.raises(TypeError):
            sock.context = 1                  # was stored as the context
        other = client_context(tlsb)
        sock.context = other
        assert sock.context is other
        # a tuple once broke the message's % formatting (TypeError)
        with pytest.raises(ValueError):
            sock.get_channel_binding((1, 2))
    finally:
        sock.close()
