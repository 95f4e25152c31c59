"""Callbacks that misbehave or re-enter their own connection: SNI callbacks
that close, unwrap or re-handshake their connection, switch its context
twice, raise or return the wrong type; _msg_callback that raises, closes
or unwraps; PSK callbacks with wrong shapes, huge identities and keys;
password callbacks returning wrong types or too much; a key log whose
directory disappears; post-handshake auth asked from inside callbacks.

Each scenario runs over an in-memory pair or loopback sockets and records
what every step raised (exception class names).  It must never crash, the
connection must fail cleanly or stay usable, and on 3.13 the record must
equal the host ssl's for the same scenario (ours also chains an SNI/PSK
callback's exception as the SSLError's __cause__, which the record does
not look at; README "Where it differs").
"""
import os
import shutil
import socket
import sys
import tempfile
import threading

import pytest

import _tls_bootstrap as tlsb
import tlsb_support
from tlsb_support import (MemoryPair, catch_unraisable, certfile, client_context,
                          server_context)

IMPLS = tlsb_support.implementations()
ORACLE = sys.version_info[:2] >= (3, 13)


@pytest.fixture(params=IMPLS, ids=tlsb_support.impl_id)
def impl(request):
    return request.param


def name(exc):
    return None if exc is None else type(exc).__name__


def attempt(action):
    """The class name of what action() raised, or None."""
    try:
        action()
    except Exception as exc:
        return name(exc)
    return None


# ---------------------------------------------------------------------------
# Driving a pair and recording what happened
# ---------------------------------------------------------------------------
def drive(pair, rounds=12):
    """Both handshakes until done or failed: {"client": ..., "server": ...}
    with None for a finished side, the exception otherwise."""
    result = {}
    for _ in range(rounds):
        for side in ("client", "server"):
            if side in result:
                continue
            try:
                getattr(pair, side).do_handshake()
                result[side] = None
            except pair.impl.SSLWantReadError:
                pass
            except Exception as exc:
                result[side] = exc
        try:
            moved = pair.pump()
        except Exception as exc:            # a callback closed a BIO
            result.setdefault("pump", exc)
            moved = False
        if len([s for s in ("client", "server") if s in result]) == 2 and not moved:
            break
    return result


def afterwards(pair):
    """What the connection still does: data both ways if both handshakes
    finished; otherwise each call on each end fails cleanly."""
    record = []
    for end in (pair.client, pair.server):
        for action in (lambda: end.write(b"ping"), pair.pump, lambda: end.read(4),
                       end.pending, end.version, end.cipher, end.getpeercert,
                       end.do_handshake, end.unwrap):
            outcome = attempt(action)
            if outcome not in (None, "SSLWantReadError", "SSLError", "SSLZeroReturnError",
                               "SSLEOFError", "SSLSyscallError", "ValueError",
                               "SSLCertVerificationError"):
                record.append("unexpected " + outcome)
            record.append(outcome)
    return record


def run_memory(impl, server, client, hostname="localhost"):
    """A whole scenario over a memory pair: the handshake, what reached
    sys.unraisablehook, then the connection's answers afterwards."""
    pair = MemoryPair(impl, server, client, server_hostname=hostname)
    with catch_unraisable() as reported:
        result = drive(pair)
        after = afterwards(pair)
    record = {
        "client": name(result.get("client", "unfinished")),
        "server": name(result.get("server", "unfinished")),
        "pump": name(result.get("pump")),
        "after": after,
    }
    if reported is not None:
        record["unraisable"] = sorted(name(e) for e in reported)
    for value in after:
        assert not (value or "").startswith("unexpected"), record
    return record, result, pair


# Scenarios that crash CPython 3.13's own ssl (a re-entered OpenSSL
# handshake: "double free or corruption", SIGSEGV): no oracle there.  Ours
# refuses the re-entrant call with RuntimeError, as io does ("reentrant
# call"), and the callback's failure takes its documented course.
STDLIB_CRASHES = {
    ("sni", "handshake-again"),
    ("msg", "handshake-again", "server"),
}


# Scenarios where ours differs from 3.13 on purpose: the record fields
# that may differ (None: all of them), and why.
_REENTRANT = ("a reentrant handshake/read/write/shutdown from a callback is "
              "refused (RuntimeError); 3.13 lets OpenSSL re-enter its state "
              "machine (a crash for do_handshake)")
_LOST = ("3.13 drops an exception a server-side _msg_callback raises during "
         "a handshake step; ours raises it from that step (README)")
_REPORTED = ("a callback answer OpenSSL cannot use is reported (unraisable "
             "TypeError/ValueError); 3.13 reports SystemError or nothing")
DIFFERENT = {
    ("sni", "read"): (("unraisable",), _REENTRANT),
    ("sni", "write"): (None, _REENTRANT),
    ("sni", "unwrap"): (None, _REENTRANT),
    ("msg", "unwrap", "client"): (None, _REENTRANT),
    ("msg", "unwrap", "server"): (None, _REENTRANT),
    ("msg", "handshake-again", "client"): (None, _REENTRANT),
    ("msg", "raise", "server"): (("server",), _LOST),
    ("msg", "post-handshake-auth", "server"): (("server",), _LOST),
    ("psk", "client", "None"): (("unraisable",), _REPORTED),
    ("psk", "client", "str"): (("unraisable",), _REPORTED),
    ("psk", "client", "huge-identity"): (("unraisable",), _REPORTED),
    ("psk", "client", "huge-key"): (("unraisable",), _REPORTED),
    ("psk", "server", "huge-key"): (("unraisable",), _REPORTED),
    ("psk", "server", "bytearray"): (
        None, "the PSK may be any bytes-like object, as 3.13's documentation "
              "says; 3.13's server callback takes bytes only"),
}


def same_as_stdlib(scenario, *args):
    """Runs scenario(impl, *args) -> record for ours and, on 3.13, for the
    host's ssl; the records must be equal but for DIFFERENT's fields."""
    ours = scenario(tlsb, *args)
    key = (scenario.__name__.split("_")[0],) + args
    if not ORACLE or key in STDLIB_CRASHES:
        return ours
    import ssl
    theirs = scenario(ssl, *args)
    fields = DIFFERENT.get(key, ((),))[0]
    if fields is None:
        return ours
    mine = dict((k, v) for k, v in ours.items() if k not in fields)
    other = dict((k, v) for k, v in theirs.items() if k not in fields)
    assert mine == other, "ours %r\n3.13 %r" % (ours, theirs)
    return ours


# ---------------------------------------------------------------------------
# SNI callbacks
# ---------------------------------------------------------------------------
def sni_scenario(impl, behaviour):
    server, client = server_context(impl), client_context(impl)
    other = server_context(impl)

    transport = {}

    def callback(conn, servername, ctx):
        if behaviour == "eof-transport":
            # an SSLObject's transport is its BIOs: the peer's data ends
            transport["incoming"].write_eof()
            return None
        return SNI_BEHAVIOURS[behaviour](impl, conn, ctx, other)
    server.sni_callback = callback
    wrap_bio = server.wrap_bio

    def recording_wrap_bio(incoming, outgoing, **kwargs):
        transport["incoming"] = incoming
        return wrap_bio(incoming, outgoing, **kwargs)
    server.wrap_bio = recording_wrap_bio
    record, result, pair = run_memory(impl, server, client)
    if behaviour == "switch-twice":
        record["context_is_original"] = pair.server.context is server
    return record


def _switch_twice(impl, conn, ctx, other):
    conn.context = other
    conn.context = ctx


def _raise(exc_type):
    def behaviour(impl, conn, ctx, other):
        raise exc_type("from the callback")
    return behaviour


SNI_BEHAVIOURS = {
    "switch-twice": _switch_twice,
    "switch-to-other": lambda impl, conn, ctx, other: setattr(conn, "context", other),
    "switch-to-client-context": lambda impl, conn, ctx, other: setattr(
        conn, "context", client_context(impl)),
    "switch-to-non-context": lambda impl, conn, ctx, other: setattr(conn, "context", 1),
    "unwrap": lambda impl, conn, ctx, other: conn.unwrap(),
    "handshake-again": lambda impl, conn, ctx, other: conn.do_handshake(),
    "read": lambda impl, conn, ctx, other: conn.read(10),
    "write": lambda impl, conn, ctx, other: conn.write(b"early"),
    "raise-ValueError": _raise(ValueError),
    "raise-SSLError": _raise(tlsb.SSLError),
    "return-str": lambda impl, conn, ctx, other: "a string",
    "return-float": lambda impl, conn, ctx, other: 1.5,
    "return-huge": lambda impl, conn, ctx, other: 2 ** 100,
    "return-negative": lambda impl, conn, ctx, other: -1,
    "return-alert": lambda impl, conn, ctx, other: impl.ALERT_DESCRIPTION_ACCESS_DENIED,
    "return-None": lambda impl, conn, ctx, other: None,
    "eof-transport": None,                  # handled in sni_scenario
}


@pytest.mark.parametrize("behaviour", sorted(SNI_BEHAVIOURS))
def test_sni_callback_misbehaving_over_memory(behaviour):
    record = same_as_stdlib(sni_scenario, behaviour)
    if behaviour in ("switch-twice", "switch-to-other", "return-None"):
        assert record["client"] is None and record["server"] is None, record
    if behaviour == "switch-twice":
        assert record["context_is_original"]
    if behaviour.startswith("raise") or behaviour in ("return-str", "return-float"):
        assert record["server"] == "SSLError", record
    if behaviour in ("handshake-again", "read", "write", "unwrap"):
        assert record["server"] == "SSLError", record
        if "unraisable" in record:
            assert record["unraisable"] == ["RuntimeError"], record


def test_sni_callback_exception_is_the_handshake_errors_cause():
    # ours only (3.13 drops it): README "Where it differs"
    class Boom(Exception):
        pass
    server = server_context(tlsb)

    def callback(conn, servername, ctx):
        raise Boom()
    server.sni_callback = callback
    with catch_unraisable():
        record, result, pair = run_memory(tlsb, server, client_context(tlsb))
    assert isinstance(result["server"].__cause__, Boom)


class SocketServer(object):
    """A server SSLSocket over a loopback pair, handshaking in a thread."""

    def __init__(self, impl, server_ctx, client_ctx):
        self.impl = impl
        plain_client, plain_server = tlsb_support.socketpair()
        for sock in (plain_client, plain_server):
            sock.settimeout(5)
        self.result = {}

        # 2.7's plain socket objects keep the descriptor open after the
        # SSLSocket closes: each is closed as soon as it is wrapped
        def serve():
            try:
                try:
                    tls = server_ctx.wrap_socket(plain_server, server_side=True)
                finally:
                    plain_server.close()
                self.result["server"] = None
                self.result["server_recv"] = attempt(lambda: tls.recv(4))
                tls.close()
            except Exception as exc:
                self.result["server"] = exc
            finally:
                plain_server.close()
        self.thread = threading.Thread(target=serve)
        self.thread.daemon = True
        self.thread.start()
        try:
            try:
                tls = client_ctx.wrap_socket(plain_client, server_hostname="localhost")
            finally:
                plain_client.close()
            self.result["client"] = None
            self.result["client_send"] = attempt(lambda: tls.sendall(b"ping"))
            tls.close()
        except Exception as exc:
            self.result["client"] = exc
        self.thread.join(10)
        assert not self.thread.is_alive(), "server thread hung"
        plain_client.close()

    def record(self):
        return dict((k, name(v) if not isinstance(v, str) and v is not None else v)
                    for k, v in self.result.items())


def sni_socket_scenario(impl, behaviour):
    server, client = server_context(impl), client_context(impl)

    def callback(conn, servername, ctx):
        if behaviour == "close":
            conn.close()
        elif behaviour == "shutdown":
            conn.shutdown(socket.SHUT_RDWR)
        elif behaviour == "switch-twice":
            conn.context = server_context(impl)
            conn.context = ctx
    server.sni_callback = callback
    with catch_unraisable():
        return SocketServer(impl, server, client).record()


@pytest.mark.parametrize("behaviour", ["close", "shutdown", "switch-twice"])
def test_sni_callback_closing_its_own_socket(behaviour):
    record = sni_socket_scenario(tlsb, behaviour)
    if behaviour == "switch-twice":
        assert record["client"] is None and record["server"] is None, record
    else:
        assert record["server"] is not None or record.get("server_recv"), record
    if ORACLE:
        import ssl
        theirs = sni_socket_scenario(ssl, behaviour)
        # the server's own step: the same class as 3.13's
        assert record["server"] == theirs["server"], (record, theirs)


# ---------------------------------------------------------------------------
# _msg_callback
# ---------------------------------------------------------------------------
def msg_scenario(impl, behaviour, side):
    server, client = server_context(impl), client_context(impl)
    calls = []

    def callback(conn, direction, version, content_type, msg_type, data):
        calls.append(direction)
        if len(calls) != 3:
            return
        if behaviour == "raise":
            raise ValueError("from _msg_callback")
        if behaviour == "unwrap":
            conn.unwrap()
        if behaviour == "handshake-again":
            conn.do_handshake()
        if behaviour == "post-handshake-auth":
            conn.verify_client_post_handshake()
        if behaviour == "return-wrong":
            return object()
    (server if side == "server" else client)._msg_callback = callback
    record, result, pair = run_memory(impl, server, client)
    return record


@pytest.mark.parametrize("side", ["client", "server"])
@pytest.mark.parametrize("behaviour", ["raise", "unwrap", "handshake-again",
                                       "post-handshake-auth", "return-wrong"])
def test_msg_callback_misbehaving(behaviour, side):
    record = same_as_stdlib(msg_scenario, behaviour, side)
    if behaviour == "raise":
        assert record[side] == "ValueError", record
    if behaviour in ("handshake-again", "unwrap"):
        assert record[side] == "RuntimeError", record       # reentrant call
    if behaviour == "return-wrong":
        assert record["client"] is None and record["server"] is None, record


def msg_socket_close_scenario(impl):
    server, client = server_context(impl), client_context(impl)
    closed = []

    def callback(conn, direction, version, content_type, msg_type, data):
        if not closed:
            closed.append(True)
            conn.close()
    client._msg_callback = callback
    return SocketServer(impl, server, client).record()


def test_msg_callback_closing_its_own_socket():
    record = msg_socket_close_scenario(tlsb)
    assert record["client"] is not None or record.get("client_send"), record
    if ORACLE:
        import ssl
        theirs = msg_socket_close_scenario(ssl)
        assert record["client"] == theirs["client"], (record, theirs)


# ---------------------------------------------------------------------------
# PSK callbacks
# ---------------------------------------------------------------------------
KEY = bytes(bytearray(range(32)))


def psk_scenario(impl, side, answer):
    if not getattr(impl, "HAS_PSK", False):
        pytest.skip("no TLS-PSK")
    client = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = impl.CERT_NONE
    server = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    for ctx in (client, server):
        ctx.maximum_version = impl.TLSVersion.TLSv1_2
        ctx.set_ciphers("PSK")

    def give(*args):
        if answer == "raise":
            raise KeyError("from the PSK callback")
        return PSK_ANSWERS[side][answer]
    good_client = lambda hint: ("client-1", KEY)
    good_server = lambda identity: KEY
    client.set_psk_client_callback(give if side == "client" else good_client)
    server.set_psk_server_callback(give if side == "server" else good_server)
    record, result, pair = run_memory(impl, server, client, hostname=None)
    return record


PSK_ANSWERS = {
    "client": {
        "None": None, "str": "identity", "1-tuple": ("id",),
        "3-tuple": ("id", KEY, 1), "identity-None": (None, KEY),
        "identity-int": (1, KEY), "key-str": ("id", "not bytes"),
        "key-None": ("id", None), "huge-identity": ("i" * 100000, KEY),
        "huge-key": ("id", b"k" * 100000), "empty-key": ("id", b""),
        "identity-nul": ("a\x00b", KEY), "identity-bytes": (b"id", KEY),
        "ok": ("client-1", KEY), "raise": None,
    },
    "server": {
        "None": None, "str": "key", "int": 1, "huge-key": b"k" * 100000,
        "empty": b"", "bytearray": bytearray(KEY), "ok": KEY, "raise": None,
    },
}


@pytest.mark.parametrize("side, answer", [(s, a) for s in sorted(PSK_ANSWERS)
                                          for a in sorted(PSK_ANSWERS[s])])
def test_psk_callback_answers(side, answer):
    record = same_as_stdlib(psk_scenario, side, answer)
    if answer == "ok":
        assert record["client"] is None and record["server"] is None, record
    elif answer in ("raise", "None", "str", "huge-key", "key-str", "int"):
        assert "SSLError" in (record["client"], record["server"]), record


# ---------------------------------------------------------------------------
# Password callbacks
# ---------------------------------------------------------------------------
PASSWORDS = {
    "right": lambda: "somepass",
    "right-bytearray": lambda: bytearray(b"somepass"),
    "int": lambda: 1,
    "None": lambda: None,
    "float": lambda: 1.5,
    "too-long-str": lambda: "x" * 5000,
    "too-long-bytes": lambda: b"x" * 5000,
    "nul": lambda: "some\x00pass",
    "wrong": lambda: "wrongpass",
    "raise": lambda: {}["no such key"],
    "takes-arguments": lambda needed: "somepass",
    "surrogate": lambda: u"\udcff",
}


def password_scenario(impl, which):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    outcome = attempt(lambda: ctx.load_cert_chain(
        certfile("localhost.pem"), certfile("localhost-enc.key"), PASSWORDS[which]))
    # the context stays usable: the right password still loads
    again = attempt(lambda: ctx.load_cert_chain(
        certfile("localhost.pem"), certfile("localhost-enc.key"), "somepass"))
    return {"load": outcome, "again": again}


@pytest.mark.parametrize("which", sorted(PASSWORDS))
def test_password_callback_answers(which):
    record = same_as_stdlib(password_scenario, which)
    assert record["again"] is None, record
    if which.startswith("right"):
        assert record["load"] is None
    if which == "raise":
        assert record["load"] == "KeyError"     # propagates unchanged


# ---------------------------------------------------------------------------
# Key log whose directory disappears
# ---------------------------------------------------------------------------
def keylog_scenario(impl):
    scratch = tempfile.mkdtemp(prefix="hos-keylog-")
    try:
        directory = os.path.join(scratch, "gone")
        os.mkdir(directory)
        client = client_context(impl)
        client.keylog_filename = os.path.join(directory, "keys.log")
        shutil.rmtree(directory)
        first, _, _ = run_memory(impl, server_context(impl), client)
        # setting it again now needs the directory
        reset = attempt(lambda: setattr(client, "keylog_filename",
                                        os.path.join(directory, "keys.log")))
        second, _, _ = run_memory(impl, server_context(impl), client)
        return {"first": first, "reset": reset, "second": second}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_keylog_directory_disappears():
    record = same_as_stdlib(keylog_scenario)
    assert record["first"]["client"] is None, record
    assert record["reset"] in ("FileNotFoundError", "IOError", "OSError"), record
    assert record["second"]["client"] is None, record


# ---------------------------------------------------------------------------
# Post-handshake auth asked from inside callbacks
# ---------------------------------------------------------------------------
def pha_scenario(impl, where):
    server, client = tlsb_support.client_auth_contexts(impl)
    server.verify_mode = impl.CERT_OPTIONAL
    server.post_handshake_auth = True
    client.post_handshake_auth = True
    asked = []

    def ask(conn):
        if not asked:
            asked.append(attempt(conn.verify_client_post_handshake))
    if where == "sni":
        server.sni_callback = lambda conn, servername, ctx: ask(conn)
    else:
        server._msg_callback = lambda conn, *args: ask(conn)
    record, result, pair = run_memory(impl, server, client)
    record["asked"] = asked
    return record


@pytest.mark.parametrize("where", ["sni", "msg_callback"])
def test_post_handshake_auth_from_inside_callbacks(where):
    record = same_as_stdlib(pha_scenario, where)
    # asked mid-handshake, OpenSSL refuses; the handshake itself goes on
    assert record["asked"] and record["asked"][0] is not None, record
    assert record["client"] is None and record["server"] is None, record


def test_another_threads_call_is_not_reentry():
    # the re-entry guard is per thread: one thread blocked in recv() while
    # another sends on the same SSLSocket (full duplex) keeps working
    plain_client, plain_server = tlsb_support.socketpair()
    for sock in (plain_client, plain_server):
        sock.settimeout(10)
    server_ctx = server_context(tlsb)
    echoed = {}

    def echo():
        tls = server_ctx.wrap_socket(plain_server, server_side=True)
        plain_server.close()                    # 2.7: the SSLSocket's alone
        echoed["data"] = tls.recv(5)
        tls.sendall(echoed["data"])
        tls.recv(1)                             # until the client closes
        tls.close()
    server = threading.Thread(target=echo)
    server.daemon = True
    server.start()
    client = client_context(tlsb).wrap_socket(plain_client, server_hostname="localhost")
    plain_client.close()
    received = {}

    def receive():
        try:
            received["data"] = client.recv(5)
        except Exception as exc:
            received["error"] = exc
    reader = threading.Thread(target=receive)
    reader.daemon = True
    reader.start()
    import time
    time.sleep(0.2)                             # the reader is inside SSL_read
    client.sendall(b"hello")
    reader.join(10)
    assert received == {"data": b"hello"}, received
    client.close()
    server.join(10)
