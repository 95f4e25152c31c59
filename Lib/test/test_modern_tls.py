"""Modern TLS on every interpreter (issue 5): post-handshake auth, key
logging, tickets, _msg_callback, PSK, the 3.15 algorithm controls and
keying-material export, against `openssl s_server`/`s_client` and, on
3.13, against the host's ssl as oracle."""
import binascii
import hashlib
import hmac
import re
import socket
import struct
import sys
import threading

import pytest

import _tls_bootstrap as tlsb
import tlsb_support
from tlsb_peers import OpenSSLServer, SocketPump, ThreadedServer, run_openssl_client
from tlsb_support import (MemoryPair, catch_unraisable, certfile, client_context,
                          server_context)

IMPLS = tlsb_support.implementations()


@pytest.fixture(params=IMPLS, ids=tlsb_support.impl_id)
def impl(request):
    return request.param


def connect(server):
    return socket.create_connection(server.address, timeout=20)


# ---- post-handshake authentication -----------------------------------------

def pha_pair(impl, client_cert=True):
    server = server_context(impl, verify_mode=impl.CERT_REQUIRED)
    server.load_verify_locations(certfile("ca.pem"))
    server.post_handshake_auth = True
    client = client_context(impl)
    client.post_handshake_auth = True
    if client_cert:
        client.load_cert_chain(certfile("client.pem"), certfile("client.key"))
    return MemoryPair(impl, server, client)


def test_post_handshake_auth_asks_after_the_handshake(impl):
    p = pha_pair(impl)
    p.handshake()
    assert p.server.getpeercert() is None          # not asked yet
    p.server.verify_client_post_handshake()
    p.server.write(b"request")                     # carries the CertificateRequest
    p.pump()
    assert p.client.read() == b"request"           # client answers with its certificate
    p.client.write(b"reply")
    p.pump()
    assert p.server.read() == b"reply"
    assert (("commonName", "client"),) in p.server.getpeercert()["subject"]


def test_post_handshake_auth_is_refused_on_clients(impl):
    p = pha_pair(impl)
    p.handshake()
    with pytest.raises(impl.SSLError) as info:
        p.client.verify_client_post_handshake()
    assert info.value.reason == "NOT_SERVER"


def test_post_handshake_auth_setting(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    assert ctx.post_handshake_auth is False
    ctx.post_handshake_auth = True
    assert ctx.post_handshake_auth is True
    assert tlsb.HAS_PHA is True


def test_post_handshake_auth_with_s_client():
    seen = {}

    def handler(conn):
        ctx = server_context(tlsb, verify_mode=tlsb.CERT_REQUIRED)
        ctx.load_verify_locations(certfile("ca.pem"))
        ctx.post_handshake_auth = True
        tls = ctx.wrap_socket(conn, server_side=True)
        seen["before"] = tls.getpeercert()
        tls.verify_client_post_handshake()
        tls.sendall(b"who are you?\n")
        seen["data"] = tls.recv(1024)
        # s_client sent its line before it saw the request; its Certificate
        # follows, and is processed by the next read.
        tls.settimeout(2)
        try:
            tls.recv(1024)
        except socket.timeout:
            pass
        seen["after"] = tls.getpeercert()

    with ThreadedServer(handler) as server:
        rc, out = run_openssl_client(
            server.port, ["-enable_pha", "-cert", certfile("client.pem"),
                          "-key", certfile("client.key"), "-servername", "localhost",
                          "-ign_eof"],
            stdin=b"me\n")
    assert seen["before"] is None
    assert seen["data"] == b"me\n"
    assert (("commonName", "client"),) in seen["after"]["subject"]


# ---- key logging --------------------------------------------------------------

KEYLOG_LINE = re.compile(r"^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+$")


def keylog_lines(path):
    with open(path) as f:
        return [line.rstrip("\n") for line in f if not line.startswith("#")]


def test_keylog_matches_what_s_server_logs(tmpdir):
    ours = str(tmpdir.join("client.log"))
    theirs = str(tmpdir.join("server.log"))
    with OpenSSLServer(["-rev", "-keylogfile", theirs]) as server:
        ctx = client_context(tlsb)
        ctx.keylog_filename = ours
        sock = connect(server)
        try:
            pump = SocketPump(tlsb, ctx, sock, server_hostname="localhost")
            pump.handshake()
            pump.write(b"x\n")
            pump.read()
        finally:
            sock.close()
        server.wait(5)
    lines = keylog_lines(ours)
    assert len(lines) == 5         # TLS 1.3: 4 traffic secrets + exporter
    assert all(KEYLOG_LINE.match(line) for line in lines)
    assert set(lines) == set(keylog_lines(theirs))


def test_keylog_appends_with_one_header(impl, tmpdir):
    path = str(tmpdir.join("keys.log"))
    server = server_context(impl)
    client = client_context(impl)
    client.keylog_filename = path
    assert client.keylog_filename == path
    for _ in range(2):
        MemoryPair(impl, server, client).handshake()
    with open(path) as f:
        text = f.read()
    assert text.count("#") == 1 and text.startswith("# TLS secrets log file")
    assert len(keylog_lines(path)) == 10
    client.keylog_filename = None
    assert client.keylog_filename is None
    MemoryPair(impl, server, client).handshake()
    assert len(keylog_lines(path)) == 10


def test_keylog_lines_stay_whole_under_threads(tmpdir):
    path = str(tmpdir.join("threads.log"))
    server = server_context(tlsb)
    client = client_context(tlsb)
    client.keylog_filename = path
    errors = []

    def work():
        try:
            for _ in range(5):
                MemoryPair(tlsb, server, client).handshake()
        except Exception as exc:     # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    lines = keylog_lines(path)
    assert len(lines) == 6 * 5 * 5
    assert all(KEYLOG_LINE.match(line) for line in lines)


def test_keylog_unwritable_path_is_os_error(impl, tmpdir):
    ctx = client_context(impl)
    with pytest.raises(IOError):
        ctx.keylog_filename = str(tmpdir.join("missing", "dir", "keys.log"))


def test_sslkeylogfile_is_honoured(impl, tmpdir, monkeypatch):
    path = str(tmpdir.join("env.log"))
    monkeypatch.setenv("SSLKEYLOGFILE", path)
    ctx = impl.create_default_context(cafile=certfile("ca.pem"))
    assert ctx.keylog_filename == path
    MemoryPair(impl, server_context(impl), ctx).handshake()
    assert len(keylog_lines(path)) == 5


# ---- tickets and options ---------------------------------------------------------

def count_tickets(impl, server):
    seen = []
    client = client_context(impl)
    client._msg_callback = lambda conn, direction, version, content, msg, data: \
        seen.append(msg) if direction == "read" and msg == impl._TLSMessageType.NEWSESSION_TICKET else None
    p = MemoryPair(impl, server, client)
    p.handshake()
    p.settle()
    return len(seen), p.client.session


def test_num_tickets(impl):
    server = server_context(impl)
    assert server.num_tickets == 2
    server.num_tickets = 3
    assert count_tickets(impl, server)[0] == 3
    server.num_tickets = 0
    count, session = count_tickets(impl, server)
    assert count == 0 and not session.has_ticket
    with pytest.raises(ValueError):
        server.num_tickets = -1
    with pytest.raises(ValueError) as info:
        client_context(impl).num_tickets = 1
    assert str(info.value) == "SSLContext is not a server context."


def test_op_no_ticket_in_tls12(impl):
    server = server_context(impl)
    server.options |= impl.OP_NO_TICKET
    client = client_context(impl, maximum_version=impl.TLSVersion.TLSv1_2)
    p = MemoryPair(impl, server, client)
    p.handshake()
    assert p.client.session.has_ticket is False


@pytest.mark.skipif(not hasattr(tlsb, "OP_IGNORE_UNEXPECTED_EOF"),
                    reason="OpenSSL 3.0 option")
def test_op_ignore_unexpected_eof_makes_ragged_eof_clean(impl):
    client = client_context(impl)
    client.options |= impl.OP_IGNORE_UNEXPECTED_EOF
    p = MemoryPair(impl, server_context(impl), client)
    p.handshake()
    p.c_in.write_eof()
    assert p.client.read() == b""


def test_security_level_follows_cipher_string(impl):
    ctx = client_context(impl)
    assert ctx.security_level == 2
    ctx.set_ciphers("DEFAULT:@SECLEVEL=1")
    assert ctx.security_level == 1


# ---- _msg_callback --------------------------------------------------------------

def traced_handshake(impl):
    trace = []

    def callback(conn, direction, version, content_type, msg_type, data):
        trace.append((direction, version, content_type, msg_type, len(data) > 0,
                      conn.server_side))
    client = client_context(impl)
    client._msg_callback = callback
    assert client._msg_callback is callback
    MemoryPair(impl, server_context(impl), client).handshake()
    return trace


def test_msg_callback_reports_typed_messages(impl):
    trace = traced_handshake(impl)
    first = [t for t in trace if t[2] == impl._TLSContentType.HANDSHAKE][0]
    assert first[0] == "write" and first[3] == impl._TLSMessageType.CLIENT_HELLO
    assert first[5] is False
    headers = [t for t in trace if t[2] == impl._TLSContentType.HEADER]
    assert headers and all(isinstance(t[1], impl.TLSVersion) for t in headers)
    messages = set(t[3] for t in trace if t[2] == impl._TLSContentType.HANDSHAKE)
    assert impl._TLSMessageType.SERVER_HELLO in messages
    assert impl._TLSMessageType.FINISHED in messages


@pytest.mark.skipif(sys.version_info[:2] < (3, 13), reason="oracle is 3.13's ssl")
def test_msg_callback_trace_equals_the_stdlibs():
    import ssl

    def normalise(trace):
        return [(d, int(v), int(c), int(m) if m is not None else None, b, s)
                for d, v, c, m, b, s in trace]
    assert normalise(traced_handshake(tlsb)) == normalise(traced_handshake(ssl))


def test_msg_callback_exception_reaches_the_caller():
    class Boom(Exception):
        pass

    def callback(*args):
        raise Boom()
    client = client_context(tlsb)
    client._msg_callback = callback
    p = MemoryPair(tlsb, server_context(tlsb), client)
    with pytest.raises(Boom):
        p.client.do_handshake()


def test_msg_callback_must_be_callable(impl):
    with pytest.raises(TypeError):
        client_context(impl)._msg_callback = 3


# ---- PSK -----------------------------------------------------------------------

PSK = binascii.unhexlify("c0ffee" * 8)


def psk_contexts(impl, version, client_key=PSK, identity="client-1"):
    client = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = impl.CERT_NONE
    server = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    for ctx in (client, server):
        ctx.minimum_version = ctx.maximum_version = getattr(impl.TLSVersion, version)
        if version == "TLSv1_2":
            ctx.set_ciphers("PSK")
    seen = {}

    def client_callback(hint):
        seen["hint"] = hint
        return identity, client_key

    def server_callback(client_identity):
        seen["identity"] = client_identity
        return PSK if client_identity == "client-1" else b""
    client.set_psk_client_callback(client_callback)
    server.set_psk_server_callback(server_callback, "server-hint")
    return client, server, seen


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_psk_handshake(impl, version):
    client, server, seen = psk_contexts(impl, version)
    p = MemoryPair(impl, server, client, server_hostname=None)
    p.handshake()
    assert seen["identity"] == "client-1"
    assert seen["hint"] == ("server-hint" if version == "TLSv1_2" else None)
    assert p.send(p.client, p.server, b"psk data") == b"psk data"
    assert p.client.getpeercert() is None


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_psk_wrong_key_fails(impl, version):
    client, server, seen = psk_contexts(impl, version, client_key=b"\x01" * 24)
    p = MemoryPair(impl, server, client, server_hostname=None)
    with pytest.raises(impl.SSLError):
        p.handshake()


def test_psk_unknown_identity_rejected(impl):
    client, server, seen = psk_contexts(impl, "TLSv1_2", identity="stranger")
    p = MemoryPair(impl, server, client, server_hostname=None)
    with pytest.raises(impl.SSLError):
        p.handshake()


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_psk_raising_callback_is_reported_and_reaches_the_caller(impl, version):
    # As 3.13: reported through sys.unraisablehook, the handshake fails;
    # ours also attaches the exception to the SSLError as __cause__.
    class Boom(Exception):
        pass

    client, server, seen = psk_contexts(impl, version)

    def bad(hint):
        raise Boom()
    client.set_psk_client_callback(bad)
    p = MemoryPair(impl, server, client, server_hostname=None)
    with catch_unraisable() as reported:
        with pytest.raises(impl.SSLError) as info:
            p.handshake()
    if impl.__name__ == "_tls_bootstrap":
        assert isinstance(info.value.__cause__, Boom)
    if reported is not None:
        assert [type(e) for e in reported] == [Boom]


def test_psk_registration_errors(impl):
    with pytest.raises(impl.SSLError) as info:
        impl.SSLContext(impl.PROTOCOL_TLS_SERVER).set_psk_client_callback(lambda h: None)
    assert "Cannot add PSK client callback" in str(info.value)
    with pytest.raises(impl.SSLError) as info:
        impl.SSLContext(impl.PROTOCOL_TLS_CLIENT).set_psk_server_callback(lambda i: b"")
    assert "Cannot add PSK server callback" in str(info.value)
    with pytest.raises(TypeError) as info:
        impl.SSLContext(impl.PROTOCOL_TLS_CLIENT).set_psk_client_callback(3)
    assert str(info.value) == "callback must be callable"
    with pytest.raises(ValueError) as info:
        impl.SSLContext(impl.PROTOCOL_TLS_SERVER).set_psk_server_callback(
            lambda i: b"", "x" * 257)
    assert str(info.value) == "failed to set identity hint"
    with pytest.raises(TypeError):
        impl.SSLContext(impl.PROTOCOL_TLS_SERVER).set_psk_server_callback(
            lambda i: b"", 3)
    impl.SSLContext(impl.PROTOCOL_TLS_CLIENT).set_psk_client_callback(None)
    assert impl.HAS_PSK is True


@pytest.mark.parametrize("version", ["tls1_2", "tls1_3"])
def test_psk_with_s_server(version):
    args = ["-rev", "-nocert", "-psk", binascii.hexlify(PSK).decode(),
            "-psk_identity", "client-1", "-" + version]
    if version == "tls1_2":
        args += ["-cipher", "PSK"]
    with OpenSSLServer(args, cert="localhost.pem", chain=None) as server:
        client, _, seen = psk_contexts(tlsb, version.replace("tls", "TLSv"))
        sock = connect(server)
        try:
            pump = SocketPump(tlsb, client, sock)
            pump.handshake()
            pump.write(b"psk\n")
            assert pump.read().strip() == b"ksp"
        finally:
            sock.close()


def test_psk_server_with_s_client():
    _, server_ctx, seen = psk_contexts(tlsb, "TLSv1_3")
    received = []

    def handler(conn):
        pump = SocketPump(tlsb, server_ctx, conn, server_side=True)
        pump.handshake()
        received.append(pump.read())
        pump.write(b"ok\n")

    with ThreadedServer(handler) as server:
        rc, out = run_openssl_client(
            server.port, ["-psk", binascii.hexlify(PSK).decode(),
                          "-psk_identity", "client-1", "-tls1_3", "-ign_eof"],
            stdin=b"hello\n")
    assert received == [b"hello\n"]
    assert seen["identity"] == "client-1"


# ---- 3.15 algorithm controls -------------------------------------------------------

def test_set_ciphersuites():
    server = server_context(tlsb)
    server.set_ciphersuites("TLS_CHACHA20_POLY1305_SHA256")
    p = MemoryPair(tlsb, server, client_context(tlsb))
    p.handshake()
    assert p.client.cipher()[0] == "TLS_CHACHA20_POLY1305_SHA256"
    with pytest.raises(tlsb.SSLError):
        server.set_ciphersuites("NOT_A_SUITE")


def test_set_groups_and_group():
    client = client_context(tlsb)
    client.set_groups("P-384")
    p = MemoryPair(tlsb, server_context(tlsb), client)
    assert p.client.group() is None
    p.handshake()
    if "SSLSocket.group" in tlsb._core._MISSING_FEATURES:     # OpenSSL 1.1.1
        with pytest.raises(NotImplementedError):
            p.client.group()
    else:
        assert p.client.group() == p.server.group() == "secp384r1"
    with pytest.raises(tlsb.SSLError):
        client.set_groups("no-such-group")


def test_sigalgs_settings():
    server = server_context(tlsb)
    server.set_server_sigalgs("rsa_pss_rsae_sha384")
    client = client_context(tlsb)
    client.set_client_sigalgs("ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256")
    MemoryPair(tlsb, server, client).handshake()
    with pytest.raises(tlsb.SSLError):
        server.set_server_sigalgs("not_a_sigalg")


def test_features_missing_from_this_openssl_name_the_version_needed():
    missing = tlsb._core._MISSING_FEATURES
    p = MemoryPair(tlsb, *tlsb_support.client_auth_contexts(tlsb))
    p.handshake()
    calls = {
        "SSLContext.get_groups": lambda: client_context(tlsb).get_groups(),
        "get_sigalgs": tlsb.get_sigalgs,
        "SSLSocket.client_sigalg": p.server.client_sigalg,
        "SSLSocket.server_sigalg": p.client.server_sigalg,
    }
    for feature, call in calls.items():
        if feature in missing:
            with pytest.raises(NotImplementedError) as info:
                call()
            assert missing[feature] in str(info.value)
        else:
            value = call()
            assert value, feature
            if feature.endswith("sigalg"):
                assert value in tlsb.get_sigalgs()


# ---- keying material export ---------------------------------------------------------

def test_export_keying_material_matches_both_ends():
    p = MemoryPair(tlsb, server_context(tlsb), client_context(tlsb))
    with pytest.raises(ValueError):
        p.client.export_keying_material(b"EXPERIMENTAL-x", 32)
    p.handshake()
    a = p.client.export_keying_material(b"EXPERIMENTAL-x", 32)
    b = p.server.export_keying_material("EXPERIMENTAL-x", 32)
    assert a == b and len(a) == 32
    c = p.client.export_keying_material(b"EXPERIMENTAL-x", 32, b"context")
    assert c != a and c == p.server.export_keying_material(b"EXPERIMENTAL-x", 32,
                                                           b"context")


def hkdf_expand_label(hash_function, secret, label, context, length):
    """RFC 8446 section 7.1, written out independently of OpenSSL."""
    full_label = b"tls13 " + label
    info = (struct.pack(">H", length) + struct.pack("B", len(full_label)) +
            full_label + struct.pack("B", len(context)) + context)
    output, block, counter = b"", b"", 1
    while len(output) < length:
        block = hmac.new(secret, block + info + struct.pack("B", counter),
                         hash_function).digest()
        output += block
        counter += 1
    return output[:length]


def tls13_exporter(hash_function, exporter_secret, label, context, length):
    """RFC 8446 section 7.5 from the peer's EXPORTER_SECRET key-log line."""
    empty_hash = hash_function(b"").digest()
    derived = hkdf_expand_label(hash_function, exporter_secret, label, empty_hash,
                                len(empty_hash))
    return hkdf_expand_label(hash_function, derived, b"exporter",
                             hash_function(context).digest(), length)


@pytest.mark.parametrize("context", [None, b"", b"some context"])
def test_export_keying_material_matches_s_servers_secret(tmpdir, context):
    # s_server's -keymatexport/-keylogfile: its own key log gives the
    # exporter secret; the value follows from RFC 8446, computed here.
    server_log = str(tmpdir.join("server.log"))
    with OpenSSLServer(["-rev", "-tls1_3", "-keylogfile", server_log]) as server:
        sock = connect(server)
        try:
            pump = SocketPump(tlsb, client_context(tlsb), sock,
                              server_hostname="localhost")
            pump.handshake()
            ours = pump.obj.export_keying_material(b"EXPERIMENTAL-tlsb", 48, context)
            suite = pump.obj.cipher()[0]
            pump.write(b"x\n")
            pump.read()
        finally:
            sock.close()
        server.wait(5)
    secrets = dict(line.split(" ")[0::2] for line in keylog_lines(server_log))
    hash_function = hashlib.sha384 if suite.endswith("SHA384") else hashlib.sha256
    expected = tls13_exporter(hash_function,
                              binascii.unhexlify(secrets["EXPORTER_SECRET"]),
                              b"EXPERIMENTAL-tlsb", context or b"", 48)
    assert ours == expected
