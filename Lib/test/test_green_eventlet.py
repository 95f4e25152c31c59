"""What eventlet needs from the graft (issue 19), pinned without eventlet
where it can be, then with it.

- Grafted onto 2.7, ssl.SSLSocket is built the way 2.7's is, by calling
  the class (eventlet 0.33's GreenSSLSocket subclasses it and calls
  SSLSocket.__init__(self, sock, keyfile, ..., _context=...)), and the
  3.5/3.6 forms eventlet picks when it finds the SSLObject the graft adds
  work: SSLObject(connection, owner=...), unwrap() giving the raw socket.
- A context made by the host's own create_default_context() (ours, once
  grafted) can be re-classed to a subclass of the host's SSLContext, as
  eventlet's green create_default_context() does; what cannot work is a
  TypeError.
- With eventlet: its green ssl over our graft in each order, and our
  context on eventlet's green sockets (green_scenarios.py, in a fresh
  process each).  The green tox leg installs eventlet (TLSB_GREEN=1: there
  a missing eventlet fails); elsewhere those tests skip without it.
"""
import json
import os
import select
import socket
import subprocess
import sys
import threading

import pytest

import _tls_bootstrap as tlsb
from tlsb_support import PY2, certfile, need, socketpair

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "green_scenarios.py")
only_27 = pytest.mark.skipif(not PY2, reason="2.7's SSLSocket API")


@pytest.fixture
def host_ssl():
    """The host's ssl module, grafted for the test, restored after it."""
    import ssl
    assert not tlsb.is_patched()
    tlsb.monkeypatch_ssl()
    yield ssl
    while tlsb.is_patched():
        tlsb.restore_ssl()


def serve_in_thread(function, *args):
    results = []

    def run():
        try:
            results.append(function(*args))
        except Exception as exc:    # reported by the test's assertion
            results.append(exc)
    thread = threading.Thread(target=run)
    thread.daemon = True
    thread.start()
    return thread, results


def echo_once(tls):
    data = tls.recv(100)
    tls.sendall(data.upper())
    return data


# ---- 2.7: the public SSLSocket constructor, grafted --------------------------

@only_27
def test_grafted_27_sslsocket_is_made_by_calling_the_class(host_ssl):
    server_sock, client_sock = socketpair()

    def server():
        tls = host_ssl.SSLSocket(server_sock, certfile("localhost.key"),
                                 certfile("localhost-chain.pem"), server_side=True)
        try:
            return echo_once(tls)
        finally:
            tls.close()
    thread, results = serve_in_thread(server)
    tls = host_ssl.SSLSocket(client_sock, cert_reqs=host_ssl.CERT_REQUIRED,
                             ca_certs=certfile("ca.pem"))
    try:
        assert type(tls) is tlsb.SSLSocket
        tls.sendall(b"hello")
        assert tls.recv(100) == b"HELLO"
        assert dict(x[0] for x in tls.getpeercert()["subject"])["commonName"] == "localhost"
        # The arguments are kept, as 2.7's SSLSocket keeps them.
        assert (tls.cert_reqs, tls.ca_certs) == (host_ssl.CERT_REQUIRED,
                                                 certfile("ca.pem"))
    finally:
        tls.close()
    thread.join(10)
    assert results == [b"hello"]


@only_27
def test_grafted_27_sslsocket_constructor_verifies_with_the_given_ca(host_ssl):
    server_sock, client_sock = socketpair()
    thread, results = serve_in_thread(
        host_ssl.SSLSocket, server_sock, certfile("localhost.key"),
        certfile("localhost-chain.pem"), True)
    with pytest.raises(host_ssl.SSLError) as info:
        host_ssl.SSLSocket(client_sock, cert_reqs=host_ssl.CERT_REQUIRED,
                           ca_certs=certfile("other-ca.pem"))
    assert "certificate verify failed" in str(info.value)
    client_sock.close()
    thread.join(10)


@only_27
def test_grafted_27_sslsocket_constructor_refuses_what_27_refuses():
    import ssl
    assert not tlsb.is_patched()
    cases = [dict(server_side=True),
             dict(keyfile=certfile("localhost.key")),
             dict(server_side=True, certfile=certfile("localhost-chain.pem"),
                  keyfile=certfile("localhost.key"), server_hostname="x")]

    def outcomes():
        found = []
        for kwargs in cases:
            sock = socket.socket()
            try:
                ssl.SSLSocket(sock, **kwargs)
                found.append(None)
            except ValueError as exc:
                found.append(str(exc))
            finally:
                sock.close()
        return found
    host = outcomes()           # 2.7's own ssl is the oracle
    tlsb.monkeypatch_ssl()
    try:
        assert ssl.SSLSocket is tlsb.SSLSocket
        assert outcomes() == host
    finally:
        tlsb.restore_ssl()
    assert None not in host


@only_27
def test_grafted_27_subclass_keeping_its_own_timeout_drives_the_handshake(host_ssl):
    """eventlet 0.33's shape: the fd non-blocking, the subclass's timeout in
    Python; the constructor must not reset it, and the TLS calls must say
    SSLWantReadError for the subclass to wait on its own."""
    class KeepsTimeout(host_ssl.SSLSocket):
        def __init__(self, sock, **kwargs):
            self._timeout = 7.0
            host_ssl.SSLSocket.__init__(self, sock, **kwargs)

        def settimeout(self, timeout):
            self._timeout = timeout

        def gettimeout(self):
            return self._timeout

    server_sock, client_sock = socketpair()
    client_sock.setblocking(False)
    server = tlsb.SSLContext(tlsb.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(certfile("localhost-chain.pem"), certfile("localhost.key"))
    client_waited = threading.Event()

    def serve():
        # Only once the client has had to wait: a fast server could
        # otherwise answer inside the client's first call.
        client_waited.wait(10)
        return server.wrap_socket(server_sock, server_side=True)
    thread, results = serve_in_thread(serve)
    context = tlsb.SSLContext(tlsb.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(certfile("ca.pem"))
    tls = KeepsTimeout(client_sock, server_hostname="localhost",
                       do_handshake_on_connect=False, _context=context)
    try:
        assert tls.gettimeout() == 7.0
        waits = 0
        while True:
            try:
                tls.do_handshake()
                break
            except host_ssl.SSLWantReadError:
                waits += 1
                client_waited.set()
                select.select([tls], [], [], 10)
        assert waits >= 1
        assert type(tls) is KeepsTimeout and tls.version().startswith("TLS")
    finally:
        tls.close()
        thread.join(10)


@only_27
def test_grafted_27_unwrap_returns_the_raw_socket(host_ssl):
    import _socket
    server_sock, client_sock = socketpair()

    def server():
        tls = tlsb.SSLContext(tlsb.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(certfile("localhost-chain.pem"), certfile("localhost.key"))
        tls = tls.wrap_socket(server_sock, server_side=True)
        plain = tls.unwrap()
        plain.sendall(b"clear")
        return type(plain)
    thread, results = serve_in_thread(server)
    context = host_ssl.create_default_context(cafile=certfile("ca.pem"))
    tls = context.wrap_socket(client_sock, server_hostname="localhost")
    plain = tls.unwrap()
    assert type(plain) is _socket.socket     # as 2.7's own SSLSocket.unwrap()
    assert plain.recv(10) == b"clear"
    thread.join(10)
    assert results == [_socket.socket]


class Owner(object):
    """Stands for the SSLSocket that owns a connection."""


@pytest.mark.skipif(sys.version_info >= (3, 7), reason="3.7+ has no such form")
def test_grafted_sslobject_of_a_connection_is_that_connection(host_ssl):
    """3.5/3.6's SSLObject(sslobj, owner=) form, which eventlet 0.33 uses
    on 2.7 once the graft has added SSLObject there."""
    sock = socket.socket()
    try:
        context = tlsb.SSLContext(tlsb.PROTOCOL_TLS_CLIENT)
        raw = getattr(sock, "_sock", sock)
        owner = Owner()
        connection = context._wrap_socket(raw, False, "localhost")
        assert host_ssl.SSLObject(connection, owner=owner) is connection
        assert connection.owner is owner
        with pytest.raises(TypeError):
            host_ssl.SSLObject()
    finally:
        sock.close()


# ---- re-classing a context to a subclass of the host's SSLContext ------------

def host_context_class():
    """The host's own ssl.SSLContext (read before any graft)."""
    import ssl
    return ssl.SSLContext


HOST_CONTEXT = host_context_class()


class GreenLikeContext(HOST_CONTEXT):
    """What eventlet's GreenSSLContext is: a slotless subclass of the host's
    class with its own wrap_socket and, on 3.6+, re-definitions of the
    host's property setters that call the host's C descriptors."""
    __slots__ = ()

    def wrap_socket(self, sock, *args, **kwargs):
        return ("green", sock, kwargs.get("server_hostname"))

    @classmethod
    def which(cls):
        return cls.__name__

    if hasattr(HOST_CONTEXT.options, "setter"):
        @HOST_CONTEXT.options.setter
        def options(self, value):
            super(HOST_CONTEXT, HOST_CONTEXT).options.__set__(self, value)


def test_context_of_the_host_factory_can_become_a_host_subclass(host_ssl):
    # eventlet's green create_default_context(): the host's original
    # function (which, grafted, makes our context), then a __class__ swap.
    host_factory = tlsb._graft["saved"]["create_default_context"]
    context = host_factory(cafile=certfile("ca.pem"))
    assert type(context) is tlsb.SSLContext
    context.__class__ = GreenLikeContext
    assert context.__class__ is GreenLikeContext
    assert isinstance(context, GreenLikeContext)
    assert isinstance(context, tlsb.SSLContext)
    assert context.wrap_socket("sock", server_hostname="h") == ("green", "sock", "h")
    assert context.which() == "GreenLikeContext"
    # The host's own attributes are ours, the library's setters left out.
    context.options |= tlsb.OP_NO_TICKET
    assert context.options & tlsb.OP_NO_TICKET
    context.verify_mode = tlsb.CERT_OPTIONAL
    assert context.verify_mode == tlsb.CERT_OPTIONAL
    assert len(context.get_ca_certs()) == 1
    # One stand-in class per pair, and back to ours.
    other = host_factory()
    other.__class__ = GreenLikeContext
    assert type(other) is type(context)
    context.__class__ = tlsb.SSLContext
    assert type(context) is tlsb.SSLContext
    assert context.__class__ is tlsb.SSLContext


def test_reclassed_context_wraps_a_working_connection():
    class Named(HOST_CONTEXT):
        __slots__ = ()

        def wrap_bio(self, incoming, outgoing, **kwargs):
            kwargs.setdefault("server_hostname", "localhost")
            return tlsb.SSLContext.wrap_bio(self, incoming, outgoing, **kwargs)

    server = tlsb.SSLContext(tlsb.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(certfile("localhost-chain.pem"), certfile("localhost.key"))
    client = tlsb.SSLContext(tlsb.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(certfile("ca.pem"))
    client.__class__ = Named
    c_in, c_out, s_in, s_out = [tlsb.MemoryBIO() for _ in range(4)]
    c = client.wrap_bio(c_in, c_out)
    s = server.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):
        for conn in (c, s):
            try:
                conn.do_handshake()
            except tlsb.SSLWantReadError:
                pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
    assert c.server_hostname == "localhost"
    assert c.version() is not None and c.getpeercert()


def test_reclassing_refuses_what_cannot_work():
    class Slotted(HOST_CONTEXT):
        __slots__ = ("extra",)

    context = tlsb.SSLContext(tlsb.PROTOCOL_TLS_CLIENT)
    with pytest.raises(TypeError) as info:
        context.__class__ = Slotted
    assert "slot" in str(info.value)
    with pytest.raises(TypeError):
        context.__class__ = int
    with pytest.raises(TypeError):
        context.__class__ = "SSLContext"
    if sys.version_info[0] >= 3:
        namespace = {}
        exec("class UsesSuper(base):\n"
             "    __slots__ = ()\n"
             "    def load_default_certs(self, *a):\n"
             "        return super().load_default_certs(*a)\n",
             {"base": HOST_CONTEXT}, namespace)
        with pytest.raises(TypeError) as info:
            context.__class__ = namespace["UsesSuper"]
        assert "super()" in str(info.value)
    assert type(context) is tlsb.SSLContext     # unchanged by the refusals
    assert context.__class__ is tlsb.SSLContext


# ---- with eventlet: green_scenarios.py in a fresh process per case -----------
# The same scenarios and limits as test_green.py's for gevent.
from test_green import SlowHTTPS, limits, run_scenario  # noqa: E402

EVENTLET_ORDERS = ["eventlet:lib-first", "eventlet:graft-first",
                   "eventlet:import-first"]

try:
    import eventlet  # noqa: F401  (only to know whether it is there)
    HAVE_EVENTLET = True
except ImportError:
    HAVE_EVENTLET = False


@pytest.fixture(scope="module")
def with_eventlet():
    if os.environ.get("TLSB_GREEN"):
        need(HAVE_EVENTLET, "needs eventlet (the green leg installs it)")
    elif not HAVE_EVENTLET:
        pytest.skip("needs eventlet (tox -e py27-green, py313-green)")


@pytest.fixture(scope="module")
def slow_https(with_eventlet):
    server = SlowHTTPS()
    yield server
    server.close()


@pytest.fixture(scope="module")
def gets_baseline(slow_https):
    return run_scenario("eventlet:baseline", "gets", slow_https.url,
                        certfile("ca.pem"), 50)


@pytest.fixture(scope="module")
def server_baseline(with_eventlet):
    return run_scenario("eventlet:baseline", "server", certfile("localhost-chain.pem"),
                        certfile("localhost.key"), 50, certfile("ca.pem"))


@pytest.fixture
def silent_server(with_eventlet):
    """Accepts TCP connections (the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield "https://localhost:%d/" % sock.getsockname()[1]
    sock.close()


@pytest.mark.parametrize("order", EVENTLET_ORDERS)
def test_eventlet_fifty_concurrent_gets_do_not_block_the_loop(order, slow_https,
                                                              gets_baseline):
    wall, stall = limits(gets_baseline)
    result = run_scenario(order, "gets", slow_https.url, certfile("ca.pem"), 50)
    assert result["ok"] == 50, result["outcomes"]
    assert result["wall"] < wall, (result, gets_baseline)
    assert result["max_stall"] < stall, (result, gets_baseline)


@pytest.mark.parametrize("order", EVENTLET_ORDERS)
def test_eventlet_silent_servers_time_out_together(order, silent_server):
    result = run_scenario(order, "timeouts", silent_server, certfile("ca.pem"), 5)
    assert result["ok"] == 0
    assert all("timed out" in o.lower() or "timeout" in o.lower()
               for o in result["outcomes"]), result["outcomes"]
    assert all(0.9 <= d < 1.6 for d in result["durations"]), result
    assert result["wall"] < 1.8, result
    assert result["max_stall"] < 0.3, result


@pytest.mark.parametrize("order", EVENTLET_ORDERS + ["eventlet:unpatched"])
def test_eventlet_server_serves_while_a_client_idles_in_its_handshake(order,
                                                                       server_baseline):
    _, stall = limits(server_baseline)
    result = run_scenario(order, "server", certfile("localhost-chain.pem"),
                          certfile("localhost.key"), 50, certfile("ca.pem"))
    assert result["ok"] == 50, result["outcomes"]
    assert result["served"] == 50, result
    assert result["max_stall"] < stall, (result, server_baseline)
    if order != "eventlet:graft-first":
        # (graft-first: eventlet's GreenSSLSocket, a subclass of ours)
        assert result["socket_types"] == ["_tls_bootstrap.SSLSocket"], result
