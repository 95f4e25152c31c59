"""The core's side of green sockets (issue 19), without any green library:
the call forms gevent's SSLSocket uses, and a connection with a _green_wait
waiting through it instead of poll().  (test_green.py runs gevent itself.)
"""
import socket
import threading
import time

import pytest

import _tls_bootstrap
from tlsb_support import PY2, client_context, server_context, socketpair


def raw(sock):
    """The C socket under a socket.socket (2.7 wraps one in _sock)."""
    return sock._sock if PY2 else sock


class GreenLike(object):
    """What gevent's and eventlet's sockets do: the fd non-blocking, the
    timeout kept here.  No library: waits are counted and done by select."""

    def __init__(self, sock, timeout):
        self.sock = sock
        self.sock.setblocking(False)
        self.timeout = timeout

    def fileno(self):
        return self.sock.fileno()

    def gettimeout(self):
        return self.timeout


def test_wrap_socket_takes_27s_ssl_sock_as_owner():
    first, second = socketpair()
    owner = object.__new__(type("Owner", (object,), {}))
    try:
        ctx = client_context(_tls_bootstrap)
        conn = ctx._wrap_socket(raw(first), False, "localhost", ssl_sock=owner)
        assert conn.owner is owner
        with pytest.raises(TypeError):
            ctx._wrap_socket(raw(first), False, "localhost", owner=owner,
                             ssl_sock=owner)
    finally:
        first.close()
        second.close()


def test_green_wait_is_found_only_for_green_sockets():
    first, second = socketpair()
    try:
        assert _tls_bootstrap._green_wait_for(first) is None
        first.settimeout(5)      # a real socket: fd non-blocking, C timeout
        assert _tls_bootstrap._green_wait_for(first) is None
        assert callable(_tls_bootstrap._green_wait_for(GreenLike(second, 5.0)))
        assert _tls_bootstrap._green_wait_for(GreenLike(second, 0.0)) is None
    finally:
        first.close()
        second.close()


def test_green_wait_replaces_poll_and_keeps_the_timeout():
    """A handshake against a silent peer waits only through _green_wait,
    with what is left of gettimeout(), and then times out."""
    first, second = socketpair()
    green = GreenLike(raw(first), 0.4)
    calls = []

    def wait(want_write, timeout):
        calls.append((want_write, timeout))
        time.sleep(min(timeout, 0.1))
        return False if timeout <= 0.1 else True
    try:
        conn = client_context(_tls_bootstrap)._wrap_socket(green, False, "localhost")
        conn._green_wait = wait
        started = time.time()
        with pytest.raises((socket.timeout, _tls_bootstrap.SSLError)) as info:
            conn.do_handshake()
        elapsed = time.time() - started
        assert "timed out" in str(info.value)
        assert 0.3 <= elapsed < 1.0
        assert calls and all(want_write is False for want_write, _ in calls)
        left = [timeout for _, timeout in calls]
        assert left == sorted(left, reverse=True) and left[0] <= 0.4
    finally:
        first.close()
        second.close()


def test_green_wait_completes_a_handshake():
    first, second = socketpair()
    server = server_context(_tls_bootstrap).wrap_socket(second, server_side=True,
                                                        do_handshake_on_connect=False)
    # The server answers late, so the client must wait at least once.
    thread = threading.Thread(target=lambda: (time.sleep(0.2), server.do_handshake()))
    thread.start()
    waits = []

    def wait(want_write, timeout):
        import select
        waits.append(want_write)
        fds = ([], [first.fileno()]) if want_write else ([first.fileno()], [])
        return bool(sum(map(len, select.select(fds[0], fds[1], [], timeout)[:2])))
    try:
        green = GreenLike(raw(first), 5.0)
        conn = client_context(_tls_bootstrap)._wrap_socket(green, False, "localhost")
        conn._green_wait = wait
        conn.do_handshake()
        thread.join(5)
        assert conn.version() == server.version()
        assert waits
    finally:
        first.close()
        server.close()


@pytest.mark.skipif(not PY2, reason="2.7's names of the C connection's methods")
def test_27_names_of_connection_methods():
    first, second = socketpair()
    server = server_context(_tls_bootstrap).wrap_socket(second, server_side=True,
                                                        do_handshake_on_connect=False)
    thread = threading.Thread(target=server.do_handshake)
    thread.start()
    try:
        conn = client_context(_tls_bootstrap)._wrap_socket(raw(first), False,
                                                           "localhost")
        conn.do_handshake()
        thread.join(5)
        assert conn.peer_certificate() == conn.getpeercert()
        assert conn.peer_certificate(True) == conn.getpeercert(True)
        assert conn.tls_unique_cb() == conn.get_channel_binding("tls-unique")
        assert conn.selected_npn_protocol() is None
    finally:
        first.close()
        server.close()


def tls_pair():
    """(client, server) SSLSockets of ours over a socketpair, handshaken."""
    first, second = socketpair()
    server = server_context(_tls_bootstrap).wrap_socket(second, server_side=True,
                                                        do_handshake_on_connect=False)
    thread = threading.Thread(target=server.do_handshake)
    thread.start()
    client = client_context(_tls_bootstrap).wrap_socket(first,
                                                        server_hostname="localhost")
    thread.join(5)
    return client, server


@pytest.mark.skipif(not PY2, reason="2.7's unicode and file objects")
def test_27_sendall_of_unicode_sends_its_encoded_bytes_and_makefile_is_a_context():
    # gevent's 2.7 test__ssl (lib-first order) sends unicode and reads with
    # `with conn.makefile()`; sendall sent UCS-4 code units before.
    client, server = tls_pair()
    try:
        client.sendall(u"abc")
        with server.makefile("rb") as reader:
            assert reader.read(3) == b"abc"
    finally:
        client.close()
        server.close()


@pytest.mark.parametrize("grafted", [False, True])
def test_sendall_on_a_blocked_non_blocking_socket_raises(grafted):
    # Grafted on 2.7, send() returns 0 there as 2.7's did, and sendall()
    # looped on it forever (gevent's test_ssl_sendall_timeout0, lib-first,
    # expects the error).
    if grafted:
        _tls_bootstrap.monkeypatch_ssl()
    client, server = tls_pair()
    try:
        client.setblocking(False)
        with pytest.raises(_tls_bootstrap.SSLError):
            client.sendall(b"x" * (16 * 1024 * 1024))
    finally:
        client.close()
        server.close()
        _tls_bootstrap.restore_ssl()


def test_empty_write_raises_only_where_the_grafted_host_did():
    # Hosts before 3.10 raised SSLEOFError for write(b'') (gevent's 2.7
    # test_empty_send expects it); 3.10+ and _tls_bootstrap used directly
    # return 0.
    import sys
    client, server = tls_pair()
    try:
        assert client.send(b"") == 0
        _tls_bootstrap.monkeypatch_ssl()
        if sys.version_info < (3, 10):
            with pytest.raises(_tls_bootstrap.SSLEOFError) as info:
                client.send(b"")
            assert info.value.args[0] == _tls_bootstrap.SSL_ERROR_EOF
        else:
            assert client.send(b"") == 0
        _tls_bootstrap.restore_ssl()
        assert client.send(b"") == 0
    finally:
        _tls_bootstrap.restore_ssl()
        client.close()
        server.close()
