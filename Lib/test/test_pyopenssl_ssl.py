"""_tls_bootstrap.SSL (pyOpenSSL's SSL API on our core, issue 17).

The oracle is real pyOpenSSL 21.0.0 (tox installs it): the same calls on
both give the same results and the same exception classes, and ours
handshakes with it in both roles.  Independent peers: the host's ssl
(where it has MemoryBIO) and `openssl s_server`.
"""
import errno
import os
import socket
import ssl
import warnings

import pytest

import _tls_bootstrap
from _tls_bootstrap import SSL as ours

from tlsb_peers import OpenSSLServer
from tlsb_support import catch_unraisable, certfile, need

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # cryptography's 2.7 deprecation
        from OpenSSL import SSL as real
        import OpenSSL
except ImportError:
    real = None


@pytest.fixture(params=["ours", "pyopenssl"])
def impl(request):
    """Each behaviour test runs on ours and on real pyOpenSSL 21."""
    if request.param == "ours":
        return ours
    need(real is not None, "needs pyOpenSSL 21.0.0 (tox installs it)")
    assert OpenSSL.__version__ == "21.0.0"
    return real


def both_ways():
    """(client, server) module pairs: ours against pyOpenSSL both ways."""
    return [("ours", "pyopenssl"), ("pyopenssl", "ours"), ("ours", "ours")]


def module(name):
    if name == "ours":
        return ours
    need(real is not None, "needs pyOpenSSL 21.0.0 (tox installs it)")
    return real


def path(name):
    return certfile(name).encode()


def server_context(mod, cert="localhost-chain.pem", key="localhost.key"):
    ctx = mod.Context(mod.TLS_METHOD)
    ctx.use_certificate_chain_file(path(cert))
    ctx.use_privatekey_file(path(key))
    return ctx


def client_context(mod, cafile="ca.pem"):
    ctx = mod.Context(mod.TLS_METHOD)
    if cafile:
        ctx.load_verify_locations(path(cafile))
    ctx.set_verify(mod.VERIFY_PEER)
    return ctx


def connections(client_ctx, server_ctx, client_mod, server_mod, sni=b"localhost"):
    server = server_mod.Connection(server_ctx, None)
    server.set_accept_state()
    client = client_mod.Connection(client_ctx, None)
    client.set_connect_state()
    if sni:
        client.set_tlsext_host_name(sni)
    return client, server


WANT_READ = tuple(m.WantReadError for m in (ours, real) if m is not None)


def pump(a, b):
    """Move every pending byte between two Connections, both ways."""
    moved = False
    for src, dst in ((a, b), (b, a)):
        while True:
            try:
                data = src.bio_read(65536)
            except WANT_READ:
                break
            dst.bio_write(data)
            moved = True
    return moved


def handshake(client, server, rounds=10):
    done = set()
    for _ in range(rounds):
        for end in (client, server):
            if end in done:
                continue
            try:
                end.do_handshake()
                done.add(end)
            except WANT_READ:
                pass
        moved = pump(client, server)
        if len(done) == 2 and not moved:
            return
    raise AssertionError("handshake did not finish")


def text(value):
    return value.decode() if isinstance(value, bytes) else value


# ---- handshakes: ours against real pyOpenSSL, both roles ---------------

@pytest.mark.parametrize("client_name,server_name", both_ways())
def test_handshake_and_results_against_pyopenssl(client_name, server_name):
    cmod, smod = module(client_name), module(server_name)
    client, server = connections(client_context(cmod), server_context(smod), cmod, smod)
    assert client.get_peer_certificate() is None
    assert client.get_cipher_name() is None
    handshake(client, server)
    for end in (client, server):
        assert text(end.get_protocol_version_name()) == "TLSv1.3"
        assert text(end.get_cipher_name()) == "TLS_AES_256_GCM_SHA384"
        assert end.get_cipher_bits() == 256
        assert text(end.get_cipher_version()) == "TLSv1.3"
    # the same types from both libraries (text, unicode on 2.7)
    for getter in ("get_cipher_name", "get_cipher_version",
                   "get_protocol_version_name", "get_cipher_bits",
                   "get_servername", "get_alpn_proto_negotiated"):
        assert type(getattr(client, getter)()) is type(getattr(server, getter)()), getter
    assert server.get_servername() == b"localhost"
    assert client.get_servername() == b"localhost"
    peer = client.get_peer_certificate()
    assert isinstance(peer, (_tls_bootstrap.crypto.X509 if cmod is ours
                             else OpenSSL.crypto.X509))
    assert peer.get_subject().CN == "localhost"
    assert server.get_peer_certificate() is None

    client.sendall(b"ping" * 1000)
    pump(client, server)
    received = b""
    while len(received) < 4000:
        received += server.recv(4000)
    assert received == b"ping" * 1000
    server.send(b"pong")
    pump(client, server)
    buf = bytearray(10)
    assert client.recv_into(buf) == 4 and bytes(buf[:4]) == b"pong"

    # close_notify: False until the peer's answer is in, then True
    assert client.shutdown() is False
    pump(client, server)
    with pytest.raises(smod.ZeroReturnError):
        server.recv(10)
    assert server.shutdown() is True
    pump(client, server)
    assert client.shutdown() is True


@pytest.mark.parametrize("client_name,server_name", both_ways())
def test_tls12_pinned_by_method_against_pyopenssl(client_name, server_name):
    cmod, smod = module(client_name), module(server_name)
    cctx = client_context(cmod)
    cctx.set_max_proto_version(cmod.TLS1_2_VERSION)
    client, server = connections(cctx, server_context(smod), cmod, smod)
    handshake(client, server)
    assert text(server.get_protocol_version_name()) == "TLSv1.2"
    assert text(client.get_cipher_version()) == "TLSv1.2"


def test_tlsv1_2_method_pins_the_version(impl):
    sctx = impl.Context(impl.TLSv1_2_METHOD)
    sctx.use_certificate_chain_file(path("localhost-chain.pem"))
    sctx.use_privatekey_file(path("localhost.key"))
    client, server = connections(client_context(impl), sctx, impl, impl)
    handshake(client, server)
    assert text(client.get_protocol_version_name()) == "TLSv1.2"


@pytest.mark.parametrize("client_name,server_name", both_ways())
def test_client_certificate_required_against_pyopenssl(client_name, server_name):
    cmod, smod = module(client_name), module(server_name)
    sctx = server_context(smod)
    sctx.load_verify_locations(path("ca.pem"))
    sctx.set_verify(smod.VERIFY_PEER | smod.VERIFY_FAIL_IF_NO_PEER_CERT)
    cctx = client_context(cmod)
    cctx.use_certificate_file(path("client.pem"))
    cctx.use_privatekey_file(path("client.key"))
    client, server = connections(cctx, sctx, cmod, smod)
    handshake(client, server)
    expected = _tls_bootstrap.crypto.load_certificate(
        _tls_bootstrap.crypto.FILETYPE_PEM, open(certfile("client.pem"), "rb").read())
    assert server.get_peer_certificate().get_subject().CN == expected.get_subject().CN


@pytest.mark.parametrize("client_name,server_name", both_ways())
def test_missing_client_certificate_fails_on_server(client_name, server_name):
    cmod, smod = module(client_name), module(server_name)
    sctx = server_context(smod)
    sctx.load_verify_locations(path("ca.pem"))
    sctx.set_verify(smod.VERIFY_PEER | smod.VERIFY_FAIL_IF_NO_PEER_CERT)
    client, server = connections(client_context(cmod), sctx, cmod, smod)
    with pytest.raises(smod.Error) as info:
        handshake(client, server)
    assert type(info.value) is smod.Error


@pytest.mark.parametrize("client_name,server_name", both_ways())
def test_untrusted_server_fails_on_client(client_name, server_name):
    cmod, smod = module(client_name), module(server_name)
    client, server = connections(client_context(cmod, cafile="ecdsa.pem"),
                                 server_context(smod), cmod, smod)
    with pytest.raises(cmod.Error) as info:
        handshake(client, server)
    assert type(info.value) is cmod.Error
    assert info.value.args[0][0][2] == "certificate verify failed"


@pytest.mark.parametrize("client_name,server_name", both_ways())
def test_servername_callback_switches_context(client_name, server_name):
    cmod, smod = module(client_name), module(server_name)
    other = server_context(smod, cert="allsans.pem", key="allsans.key")
    seen = []

    def on_servername(conn):
        seen.append(conn.get_servername())
        if conn.get_servername() == b"other.example":
            conn.set_context(other)

    sctx = server_context(smod)
    sctx.set_tlsext_servername_callback(on_servername)
    cctx = cmod.Context(cmod.TLS_METHOD)
    client, server = connections(cctx, sctx, cmod, smod, sni=b"other.example")
    handshake(client, server)
    assert seen == [b"other.example"]
    assert server.get_context() is other
    names = [text(v) for k, v in client.get_peer_certificate().get_subject().get_components()]
    expected = _tls_bootstrap.crypto.load_certificate(
        _tls_bootstrap.crypto.FILETYPE_PEM, open(certfile("allsans.pem"), "rb").read())
    assert names == [text(v) for k, v in expected.get_subject().get_components()]


def test_servername_callback_exception_is_printed_and_handshake_goes_on(impl, capfd):
    def on_servername(conn):
        raise KeyError("from the servername callback")

    sctx = server_context(impl)
    sctx.set_tlsext_servername_callback(on_servername)
    client, server = connections(impl.Context(impl.TLS_METHOD), sctx, impl, impl)
    with catch_unraisable() as caught:
        handshake(client, server)
    # cffi (pyOpenSSL) reports through sys.unraisablehook where there is
    # one, ours prints the traceback to stderr
    reports = [str(exc) for exc in caught or ()] + [capfd.readouterr().err]
    assert any("from the servername callback" in text for text in reports)


def test_alpn_ours_client_pyopenssl_server():
    cmod, smod = ours, module("pyopenssl")
    sctx = server_context(smod)
    sctx.set_alpn_select_callback(lambda conn, offered: b"http/1.1" if b"http/1.1" in offered else b"")
    cctx = cmod.Context(cmod.TLS_METHOD)
    cctx.set_alpn_protos([b"h2", b"http/1.1"])
    client, server = connections(cctx, sctx, cmod, smod)
    handshake(client, server)
    assert client.get_alpn_proto_negotiated() == b"http/1.1"
    assert server.get_alpn_proto_negotiated() == b"http/1.1"


def test_alpn_pyopenssl_client_ours_server():
    # Ours as a server picks from set_alpn_protos() (the core's selection);
    # pyOpenSSL needs set_alpn_select_callback for that, not there yet.
    cmod, smod = module("pyopenssl"), ours
    sctx = server_context(smod)
    sctx.set_alpn_protos([b"http/1.1"])
    cctx = cmod.Context(cmod.TLS_METHOD)
    cctx.set_alpn_protos([b"h2", b"http/1.1"])
    client, server = connections(cctx, sctx, cmod, smod)
    handshake(client, server)
    assert client.get_alpn_proto_negotiated() == b"http/1.1"


def test_alpn_none_agreed_is_empty_bytes(impl):
    client, server = connections(client_context(impl), server_context(impl), impl, impl)
    handshake(client, server)
    assert client.get_alpn_proto_negotiated() == b""


# ---- same calls, same results on ours and on pyOpenSSL -----------------

@pytest.mark.parametrize("method", [1, 2, 99])
def test_unknown_or_removed_method_is_value_error(impl, method):
    with pytest.raises(ValueError):
        impl.Context(method)


def test_method_must_be_integer(impl):
    with pytest.raises(TypeError):
        impl.Context("TLS")


def test_client_handshake_without_data_wants_read(impl):
    conn = impl.Connection(impl.Context(impl.TLS_METHOD), None)
    with pytest.raises(impl.WantReadError):
        conn.bio_read(100)
    conn.set_connect_state()
    assert not conn.want_read()
    with pytest.raises(impl.WantReadError):
        conn.do_handshake()
    assert conn.want_read() and not conn.want_write()
    hello = conn.bio_read(65536)
    assert hello[:1] == b"\x16"     # a handshake record: the ClientHello


def test_io_before_role_is_error(impl):
    conn = impl.Connection(impl.Context(impl.TLS_METHOD), None)
    with pytest.raises(impl.Error):
        conn.recv(10)


def test_recv_before_handshake_done_wants_read(impl):
    conn = impl.Connection(impl.Context(impl.TLS_METHOD), None)
    conn.set_connect_state()
    with pytest.raises(impl.WantReadError):
        conn.recv(10)


def test_connection_needs_a_context(impl):
    with pytest.raises(TypeError):
        impl.Connection(object(), None)


@pytest.mark.parametrize("name", [u"localhost", b"a\x00b"])
def test_bad_host_name_is_type_error(impl, name):
    conn = impl.Connection(impl.Context(impl.TLS_METHOD), None)
    with pytest.raises(TypeError):
        conn.set_tlsext_host_name(name)


def test_unknown_cipher_list_is_error(impl):
    with pytest.raises(impl.Error):
        impl.Context(impl.TLS_METHOD).set_cipher_list(b"imaginary-cipher")


def test_mismatched_key_is_error(impl):
    ctx = impl.Context(impl.TLS_METHOD)
    ctx.use_certificate_file(path("localhost.pem"))
    with pytest.raises(impl.Error):
        ctx.use_privatekey_file(path("client.key"))


def test_check_privatekey_without_key_is_error(impl):
    ctx = impl.Context(impl.TLS_METHOD)
    ctx.use_certificate_file(path("localhost.pem"))
    with pytest.raises(impl.Error):
        ctx.check_privatekey()


def test_check_privatekey_with_matching_key(impl):
    ctx = server_context(impl)
    assert ctx.check_privatekey() is None


def test_set_verify_argument_checks(impl):
    ctx = impl.Context(impl.TLS_METHOD)
    with pytest.raises(TypeError):
        ctx.set_verify("peer")
    with pytest.raises(TypeError):
        ctx.set_verify(impl.VERIFY_PEER, "not callable")
    ctx.set_verify(impl.VERIFY_PEER | impl.VERIFY_FAIL_IF_NO_PEER_CERT)
    assert ctx.get_verify_mode() == impl.VERIFY_PEER | impl.VERIFY_FAIL_IF_NO_PEER_CERT


def test_set_options_returns_the_options_now_set(impl):
    ctx = impl.Context(impl.TLS_METHOD)
    now = ctx.set_options(impl.OP_NO_TICKET)
    assert now & impl.OP_NO_TICKET
    assert ctx.set_options(0) == now
    with pytest.raises(TypeError):
        ctx.set_options("x")


@pytest.mark.parametrize("setter", ["set_min_proto_version", "set_max_proto_version"])
def test_unknown_proto_version_is_error(impl, setter):
    with pytest.raises(impl.Error):
        getattr(impl.Context(impl.TLS_METHOD), setter)(0x999)


def test_set_mode_returns_the_modes_now_set(impl):
    ctx = impl.Context(impl.TLS_METHOD)
    assert ctx.set_mode(impl.MODE_RELEASE_BUFFERS) & impl.MODE_RELEASE_BUFFERS


def test_ragged_eof_is_syscall_error(impl):
    client, server = connections(client_context(impl), server_context(impl), impl, impl)
    handshake(client, server)
    client.bio_shutdown()
    with pytest.raises(impl.SysCallError) as info:
        client.recv(10)
    assert info.value.args == (-1, "Unexpected EOF")


def test_app_data_round_trip(impl):
    ctx = impl.Context(impl.TLS_METHOD)
    token = object()
    ctx.set_app_data(token)
    assert ctx.get_app_data() is token
    conn = impl.Connection(ctx, None)
    conn.set_app_data(token)
    assert conn.get_app_data() is token and conn.get_context() is ctx


def test_exception_hierarchy(impl):
    for name in ("WantReadError", "WantWriteError", "WantX509LookupError",
                 "ZeroReturnError", "SysCallError"):
        assert issubclass(getattr(impl, name), impl.Error)


def test_constants_have_pyopenssl_values():
    real_mod = module("pyopenssl")
    for name in ("SSLv23_METHOD", "TLSv1_METHOD", "TLSv1_1_METHOD", "TLSv1_2_METHOD",
                 "TLS_METHOD", "TLS_SERVER_METHOD", "TLS_CLIENT_METHOD",
                 "TLS1_VERSION", "TLS1_1_VERSION", "TLS1_2_VERSION", "TLS1_3_VERSION",
                 "VERIFY_NONE", "VERIFY_PEER", "VERIFY_FAIL_IF_NO_PEER_CERT",
                 "VERIFY_CLIENT_ONCE", "OP_NO_TICKET", "OP_NO_COMPRESSION",
                 "OP_NO_TLSv1_3", "MODE_RELEASE_BUFFERS", "SENT_SHUTDOWN",
                 "RECEIVED_SHUTDOWN", "SSLEAY_VERSION"):
        assert getattr(ours, name) == getattr(real_mod, name), name


# ---- callbacks through the core's hooks (pyossl_hooks.c) ---------------

@pytest.mark.parametrize("client_name,server_name", both_ways())
def test_verify_callback_sees_each_certificate(client_name, server_name):
    cmod, smod = module(client_name), module(server_name)
    cctx = client_context(cmod)
    seen = []

    def verify(conn, cert, errno, depth, ok):
        seen.append((conn, cert.get_subject().CN, errno, depth, ok))
        return ok
    cctx.set_verify(cmod.VERIFY_PEER, verify)
    client, server = connections(cctx, server_context(smod), cmod, smod)
    handshake(client, server)
    # root first, leaf last; all good; the Connection itself is passed
    assert [entry[0] for entry in seen] == [client] * len(seen)
    assert [entry[2:] for entry in seen] == [(0, d, 1) for d in
                                              range(len(seen) - 1, -1, -1)]
    assert seen[-1][1] == "localhost"


@pytest.mark.parametrize("client_name,server_name", both_ways())
def test_verify_callback_overrides_the_result(client_name, server_name):
    cmod, smod = module(client_name), module(server_name)
    # untrusted server accepted by a callback that says yes
    cctx = client_context(cmod, cafile="ecdsa.pem")
    errors = []

    def accept(conn, cert, errno, depth, ok):
        errors.append(errno)
        return True
    cctx.set_verify(cmod.VERIFY_PEER, accept)
    client, server = connections(cctx, server_context(smod), cmod, smod)
    handshake(client, server)
    assert 20 in errors     # unable to get local issuer certificate
    # trusted server refused by a callback that says no
    cctx = client_context(cmod)
    cctx.set_verify(cmod.VERIFY_PEER, lambda *args: False)
    client, server = connections(cctx, server_context(smod), cmod, smod)
    with pytest.raises(cmod.Error) as info:
        handshake(client, server)
    assert info.value.args[0][0][2] == "certificate verify failed"


def test_verify_callback_exception_comes_out_of_the_handshake(impl):
    class Refused(Exception):
        pass

    def verify(*args):
        raise Refused("no")
    cctx = client_context(impl)
    cctx.set_verify(impl.VERIFY_PEER, verify)
    client, server = connections(cctx, server_context(impl), impl, impl)
    with pytest.raises(Refused):
        handshake(client, server)


def test_verify_callback_does_not_keep_the_connection_alive():
    import gc
    import weakref
    cctx = client_context(ours)
    cctx.set_verify(ours.VERIFY_PEER, lambda *args: True)
    client, server = connections(cctx, server_context(ours), ours, ours)
    handshake(client, server)
    ref = weakref.ref(client)
    del client
    gc.collect()
    assert ref() is None


def test_info_callback_reports_handshake_start_and_done(impl):
    cctx = client_context(impl)
    wheres = []
    cctx.set_info_callback(lambda conn, where, ret: wheres.append((conn, where)))
    client, server = connections(cctx, server_context(impl), impl, impl)
    handshake(client, server)
    assert {conn for conn, _ in wheres} == {client}
    flags = [where for _, where in wheres]
    assert flags[0] & impl.SSL_CB_HANDSHAKE_START
    assert any(where & impl.SSL_CB_HANDSHAKE_DONE for where in flags)
    assert any(where == impl.SSL_CB_CONNECT_LOOP for where in flags)


def test_keylog_callback_gets_nss_lines(impl):
    need(impl is ours or getattr(OpenSSL._util.lib, "Cryptography_HAS_KEYLOG", 0),
         "this pyOpenSSL's cryptography has no keylog callback")
    sctx = server_context(impl)
    lines = []
    sctx.set_keylog_callback(lambda conn, line: lines.append((conn, line)))
    client, server = connections(client_context(impl), sctx, impl, impl)
    handshake(client, server)
    assert {conn for conn, _ in lines} == {server}
    labels = sorted(line.split(b" ")[0] for _, line in lines)
    assert b"SERVER_TRAFFIC_SECRET_0" in labels and b"EXPORTER_SECRET" in labels
    assert all(isinstance(line, bytes) and not line.endswith(b"\n")
               for _, line in lines)


def test_cert_store_is_the_contexts_own(impl):
    crypto_mod = _tls_bootstrap.crypto if impl is ours else OpenSSL.crypto
    with open(certfile("ca.pem"), "rb") as f:
        ca = crypto_mod.load_certificate(crypto_mod.FILETYPE_PEM, f.read())
    cctx = client_context(impl, cafile=None)
    cctx.get_cert_store().add_cert(ca)
    client, server = connections(cctx, server_context(impl), impl, impl)
    handshake(client, server)
    chain = client.get_verified_chain()
    assert [c.get_subject().CN for c in chain][-1] == ca.get_subject().CN
    assert len(client.get_peer_cert_chain()) == 2


@pytest.mark.parametrize("client_name,server_name", both_ways())
def test_alpn_select_callback_picks_the_protocol(client_name, server_name):
    cmod, smod = module(client_name), module(server_name)
    cctx = client_context(cmod)
    cctx.set_alpn_protos([b"http/1.1", b"h2"])
    sctx = server_context(smod)
    offered = []

    def select(conn, protocols):
        offered.append((conn, protocols))
        return b"h2"
    sctx.set_alpn_select_callback(select)
    client, server = connections(cctx, sctx, cmod, smod)
    handshake(client, server)
    assert offered == [(server, [b"http/1.1", b"h2"])]
    assert client.get_alpn_proto_negotiated() == b"h2"
    assert server.get_alpn_proto_negotiated() == b"h2"


def test_alpn_select_callback_refusals(impl):
    def run(answer, protos=(b"http/1.1",), on_connection=False):
        cctx = client_context(impl)
        sctx = server_context(impl)
        sctx.set_alpn_select_callback(lambda conn, offered: answer(offered))
        if not on_connection:
            cctx.set_alpn_protos(list(protos))
        client, server = connections(cctx, sctx, impl, impl)
        if on_connection:
            client.set_alpn_protos(list(protos))
        handshake(client, server)
        return client.get_alpn_proto_negotiated()
    assert run(lambda offered: impl.NO_OVERLAPPING_PROTOCOLS) == b""
    assert run(lambda offered: offered[-1], [b"a", b"b"], on_connection=True) == b"b"
    with pytest.raises(impl.Error):
        run(lambda offered: b"")        # nothing chosen: the handshake fails
    with pytest.raises(TypeError):
        run(lambda offered: u"text")

    class Boom(Exception):
        pass

    def boom(offered):
        raise Boom()
    with pytest.raises(Boom):
        run(boom)
    with pytest.raises(impl.Error):
        impl.Context(impl.TLS_METHOD).set_alpn_protos([])


@pytest.mark.parametrize("client_name,server_name", both_ways())
def test_ocsp_staple_reaches_the_client(client_name, server_name):
    cmod, smod = module(client_name), module(server_name)
    sctx = server_context(smod)
    served = []
    sctx.set_ocsp_server_callback(
        lambda conn, data: served.append((conn, data)) or b"staple", data=1)
    cctx = client_context(cmod)
    seen = []
    cctx.set_ocsp_client_callback(
        lambda conn, staple, data: seen.append((conn, staple, data)) or True, data=2)
    client, server = connections(cctx, sctx, cmod, smod)
    client.request_ocsp()
    handshake(client, server)
    assert served == [(server, 1)]
    assert seen == [(client, b"staple", 2)]


def test_ocsp_callback_answers(impl):
    def run(server_answer, client_answer=lambda: True, request=True):
        sctx = server_context(impl)
        sctx.set_ocsp_server_callback(lambda conn, data: server_answer())
        cctx = client_context(impl)
        seen = []
        cctx.set_ocsp_client_callback(
            lambda conn, staple, data: seen.append(staple) or client_answer())
        client, server = connections(cctx, sctx, impl, impl)
        if request:
            client.request_ocsp()
        handshake(client, server)
        return seen
    assert run(lambda: b"x", request=False) == []    # not asked: not called
    assert run(lambda: b"") == [b""]                 # nothing stapled
    with pytest.raises(impl.Error):
        run(lambda: b"x", client_answer=lambda: False)
    with pytest.raises(TypeError):
        run(lambda: u"text")

    class Boom(Exception):
        pass

    def boom():
        raise Boom()
    with pytest.raises(Boom):
        run(boom)
    with pytest.raises(Boom):
        run(lambda: b"x", client_answer=boom)


# ---- sessions, Finished messages, secrets, settings ---------------------

def tls12_pair(impl, cctx=None, sctx=None):
    sctx = sctx or server_context(impl)
    sctx.set_max_proto_version(impl.TLS1_2_VERSION)
    cctx = cctx or client_context(impl)
    return connections(cctx, sctx, impl, impl), sctx


def test_session_resumes_across_client_contexts(impl):
    sctx = server_context(impl)
    sctx.set_session_id(b"tlsb-test")
    (client, server), _ = tls12_pair(impl, sctx=sctx)
    assert client.get_session() is None
    handshake(client, server)
    session = client.get_session()
    assert isinstance(session, impl.Session)
    # a new client Context, as pyOpenSSL allows (the stdlib does not)
    (client2, server2), _ = tls12_pair(impl, cctx=client_context(impl), sctx=sctx)
    client2.set_session(session)
    handshake(client2, server2)
    assert server2.master_key() == server.master_key()
    (client3, server3), _ = tls12_pair(impl, sctx=sctx)
    handshake(client3, server3)
    assert server3.master_key() != server.master_key()
    with pytest.raises(TypeError):
        client3.set_session(object())


def test_finished_messages_and_randoms_agree(impl):
    client, server = connections(client_context(impl), server_context(impl), impl, impl)
    assert client.get_finished() is None and client.get_peer_finished() is None
    assert client.client_random() is None and client.master_key() is None
    handshake(client, server)
    assert client.get_finished() == server.get_peer_finished()
    assert server.get_finished() == client.get_peer_finished()
    assert client.get_finished() != server.get_finished()
    assert client.client_random() == server.client_random()
    assert client.server_random() == server.server_random()
    assert len(client.client_random()) == 32
    assert (client.export_keying_material(b"label", 32, b"ctx")
            == server.export_keying_material(b"label", 32, b"ctx"))
    assert isinstance(client.get_state_string(), bytes)
    assert client.total_renegotiations() == 0


def test_client_ca_list_reaches_the_client(impl):
    crypto_mod = _tls_bootstrap.crypto if impl is ours else OpenSSL.crypto
    with open(certfile("ca.pem"), "rb") as f:
        ca = crypto_mod.load_certificate(crypto_mod.FILETYPE_PEM, f.read())
    sctx = server_context(impl)
    sctx.set_verify(impl.VERIFY_PEER, lambda *args: True)
    sctx.set_client_ca_list([ca.get_subject()])
    sctx.add_client_ca(ca)
    client, server = connections(client_context(impl), sctx, impl, impl)
    handshake(client, server)
    names = client.get_client_ca_list()
    assert [n.CN for n in names] == [ca.get_subject().CN] * 2
    with pytest.raises(TypeError):
        sctx.set_client_ca_list(["not a name"])


def test_context_number_settings(impl):
    ctx = impl.Context(impl.TLS_METHOD)
    before = ctx.get_timeout()
    assert ctx.set_timeout(1234) == before
    assert ctx.get_timeout() == 1234
    ctx.set_verify_depth(3)
    assert ctx.get_verify_depth() == 3
    mode = ctx.get_session_cache_mode()
    assert ctx.set_session_cache_mode(impl.SESS_CACHE_OFF) == mode
    assert ctx.get_session_cache_mode() == impl.SESS_CACHE_OFF
    with pytest.raises(impl.Error):
        ctx.set_tlsext_use_srtp(b"SRTP_BOGUS")
    ctx.set_tlsext_use_srtp(b"SRTP_AES128_CM_SHA1_80")
    with pytest.raises(impl.Error):
        ctx.set_session_id(b"x" * 1000)


def test_missing_files_are_ssl_errors(impl, tmp_path):
    missing = str(tmp_path / "missing.pem").encode()
    ctx = impl.Context(impl.TLS_METHOD)
    for call in (ctx.use_certificate_file, ctx.use_privatekey_file,
                 ctx.use_certificate_chain_file, ctx.load_verify_locations):
        with pytest.raises(impl.Error):
            call(missing)
    with pytest.raises(TypeError):
        ctx.use_privatekey_file(missing, None)


def test_small_record_io_after_the_handshake_keeps_pyopenssl_results(impl):
    client, server = connections(client_context(impl), server_context(impl), impl, impl)
    handshake(client, server)
    with pytest.raises(impl.WantReadError):
        server.recv(64)                 # nothing there yet
    assert server.want_read()
    assert client.send(b"x" * 64) == 64
    pump(client, server)
    assert server.recv(64) == b"x" * 64
    client.shutdown()
    pump(client, server)
    with pytest.raises(impl.ZeroReturnError):
        server.recv(64)
    assert server.get_shutdown() & impl.RECEIVED_SHUTDOWN


def test_cipher_list_without_match_error_tuple(impl):
    with pytest.raises(impl.Error) as info:
        impl.Context(impl.TLS_METHOD).set_cipher_list(b"imaginary-cipher")
    assert info.value.args == ([("SSL routines", "SSL_CTX_set_cipher_list",
                                 "no cipher match")],)


def test_passphrase_callback_called_once_and_cut_to_maxlen(impl, tmp_path):
    crypto_mod = _tls_bootstrap.crypto if impl is ours else OpenSSL.crypto
    with open(certfile("localhost.key"), "rb") as f:
        key = crypto_mod.load_privatekey(crypto_mod.FILETYPE_PEM, f.read())
    secret = b"p" * 1024
    keyfile = tmp_path / "encrypted.key"
    keyfile.write_bytes(crypto_mod.dump_privatekey(
        crypto_mod.FILETYPE_PEM, key, "aes-256-cbc", secret))
    calls = []

    def passphrase(maxlen, verify, userdata):
        calls.append((maxlen, verify, userdata))
        return secret + b"extra"        # cut to maxlen: the right one
    ctx = impl.Context(impl.TLS_METHOD)
    ctx.set_passwd_cb(passphrase, "data")
    ctx.use_privatekey_file(str(keyfile).encode())
    assert calls == [(1024, False, "data")]


def test_mismatched_pair_order_decides_where_it_fails(impl):
    crypto_mod = _tls_bootstrap.crypto if impl is ours else OpenSSL.crypto
    with open(certfile("client.key"), "rb") as f:
        other = crypto_mod.load_privatekey(crypto_mod.FILETYPE_PEM, f.read())
    ctx = impl.Context(impl.TLS_METHOD)
    ctx.use_privatekey(other)
    ctx.use_certificate_file(path("localhost.pem"))     # accepted...
    with pytest.raises(impl.Error):
        ctx.check_privatekey()                          # ...but not a pair
    with pytest.raises(impl.Error):
        ctx.use_certificate(crypto_mod.X509())          # nothing in it


def test_second_shutdown_waits_then_truncation_is_error(impl):
    client, server = connections(client_context(impl), server_context(impl), impl, impl)
    handshake(client, server)
    assert server.shutdown() is False
    with pytest.raises(impl.WantReadError):
        server.shutdown()
    server.bio_shutdown()
    with pytest.raises(impl.Error):
        server.shutdown()


def test_ssleay_version_selectors_and_version_number(impl):
    for name in ("SSLEAY_VERSION", "SSLEAY_CFLAGS", "SSLEAY_BUILT_ON",
                 "SSLEAY_PLATFORM", "SSLEAY_DIR"):
        assert isinstance(impl.SSLeay_version(getattr(impl, name)), bytes)
    assert type(impl.OPENSSL_VERSION_NUMBER) is int


# ---- a Connection over a socket ----------------------------------------

def socket_pair(blocking):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    a = socket.create_connection(listener.getsockname())
    b = listener.accept()[0]
    listener.close()
    a.setblocking(blocking)
    b.setblocking(blocking)
    return a, b


@pytest.mark.parametrize("client_name,server_name", both_ways())
def test_socket_connections_against_pyopenssl(client_name, server_name):
    cmod, smod = module(client_name), module(server_name)
    a, b = socket_pair(blocking=False)
    client = cmod.Connection(client_context(cmod), a)
    client.set_connect_state()
    client.set_tlsext_host_name(b"localhost")
    server = smod.Connection(server_context(smod), b)
    server.set_accept_state()
    pending = [client, server]
    for _ in range(200):
        for end in list(pending):
            try:
                end.do_handshake()
                pending.remove(end)
            except (cmod.WantReadError, smod.WantReadError):
                pass
        if not pending:
            break
    assert not pending
    client.setblocking(True)            # passed on to the socket
    server.setblocking(True)
    assert client.fileno() == a.fileno()
    client.sendall(b"x" * 100000)
    received = b""
    while len(received) < 100000:
        received += server.recv(65536)
    assert received == b"x" * 100000
    server.send(b"peek")
    assert client.recv(4, socket.MSG_PEEK) == b"peek"
    assert client.recv(4) == b"peek"
    assert client.shutdown() is False
    assert client.get_shutdown() == cmod.SENT_SHUTDOWN
    with pytest.raises(smod.ZeroReturnError):
        server.recv(10)
    assert server.get_shutdown() == smod.RECEIVED_SHUTDOWN
    assert server.shutdown() is True
    a.close()
    b.close()


def test_socket_connection_nonblocking_wants_read(impl):
    a, b = socket_pair(blocking=False)
    client = impl.Connection(client_context(impl), a)
    client.set_connect_state()
    with pytest.raises(impl.WantReadError):
        client.do_handshake()
    assert b.recv(5)[:1] == b"\x16"      # the ClientHello went out
    with pytest.raises(TypeError):
        client.bio_read(10)
    a.close()
    b.close()


def test_socket_with_timeout_wants_read_at_once(impl):
    # pyOpenSSL's descriptor is non-blocking under a timeout: no waiting
    # inside recv(), the caller (urllib3) waits with the timeout
    import time
    a, b = socket_pair(blocking=True)
    a.settimeout(5)
    client = impl.Connection(client_context(impl), a)
    client.set_connect_state()
    start = time.time()
    with pytest.raises(impl.WantReadError):
        client.do_handshake()
    assert time.time() - start < 2
    a.close()
    b.close()


@pytest.mark.parametrize("client_name,server_name", both_ways())
def test_socket_verify_failure_sends_the_alert(client_name, server_name):
    cmod, smod = module(client_name), module(server_name)
    a, b = socket_pair(blocking=False)
    client = cmod.Connection(client_context(cmod, cafile="ecdsa.pem"), a)
    client.set_connect_state()
    server = smod.Connection(server_context(smod), b)
    server.set_accept_state()
    errors = {}
    for _ in range(200):
        for name, end in (("client", client), ("server", server)):
            if name in errors:
                continue
            try:
                end.do_handshake()
            except (cmod.WantReadError, smod.WantReadError):
                pass
            except (cmod.Error, smod.Error) as exc:
                errors[name] = exc
        if len(errors) == 2:
            break
    assert errors["client"].args[0][0][2] == "certificate verify failed"
    assert errors["server"].args[0][0][2] == "tlsv1 alert unknown ca"
    a.close()
    b.close()


def test_socket_peer_gone_is_syscall_error(impl):
    a, b = socket_pair(blocking=True)
    client = impl.Connection(client_context(impl), a)
    client.set_connect_state()
    b.close()
    with pytest.raises(impl.SysCallError) as info:
        client.do_handshake()
    assert info.value.args[0] in (-1, errno.ECONNRESET, errno.EPIPE)
    a.close()


def test_ssleay_version_names_linked_openssl():
    assert ours.SSLeay_version(ours.SSLEAY_VERSION).decode() == _tls_bootstrap.OPENSSL_VERSION


# ---- independent peers ------------------------------------------------

def test_client_against_host_ssl_server():
    if not hasattr(ssl, "MemoryBIO"):
        pytest.skip("the host's ssl has no MemoryBIO (2.7): s_server below covers 2.7")
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(certfile("localhost-chain.pem"), certfile("localhost.key"))
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    server = sctx.wrap_bio(incoming, outgoing, server_side=True)
    client = ours.Connection(client_context(ours), None)
    client.set_connect_state()
    client.set_tlsext_host_name(b"localhost")
    for _ in range(10):
        for step in (client.do_handshake, server.do_handshake):
            try:
                step()
            except (ours.WantReadError, ssl.SSLWantReadError):
                pass
        try:
            incoming.write(client.bio_read(65536))
        except ours.WantReadError:
            pass
        if outgoing.pending:
            client.bio_write(outgoing.read())
    assert server.version() == "TLSv1.3"
    assert client.get_cipher_name() == server.cipher()[0]
    client.send(b"over memory")
    incoming.write(client.bio_read(65536))
    assert server.read(100) == b"over memory"


def test_client_against_openssl_s_server():
    with OpenSSLServer(["-rev"]) as srv:
        sock = socket.create_connection(srv.address, timeout=10)
        try:
            conn = ours.Connection(client_context(ours), None)
            conn.set_connect_state()
            conn.set_tlsext_host_name(b"localhost")

            def flush():
                while True:
                    try:
                        sock.sendall(conn.bio_read(65536))
                    except ours.WantReadError:
                        return

            def call(step, *args):
                while True:
                    try:
                        return step(*args)
                    except ours.WantReadError:
                        flush()
                        data = sock.recv(65536)
                        if not data:
                            conn.bio_shutdown()
                        else:
                            conn.bio_write(data)

            call(conn.do_handshake)
            flush()
            assert conn.get_peer_certificate().get_subject().CN == "localhost"
            conn.send(b"hello world\n")
            flush()
            reply = b""
            while b"\n" not in reply:
                reply += call(conn.recv, 1024)
            assert reply.strip() == b"dlrow olleh"
        finally:
            sock.close()


def test_private_hostname_check_for_the_bench():
    # bench/worker.py's stack of ours checks names inside the handshake
    for name, fails in ((b"localhost", False), (b"wrong.example", True)):
        client, server = connections(client_context(ours), server_context(ours),
                                     ours, ours, sni=name)
        client._check_hostname = True
        if fails:
            with pytest.raises(ours.Error) as info:
                handshake(client, server)
            assert info.value.args[0][0][2] == "certificate verify failed"
        else:
            handshake(client, server)


def test_client_ca_list_replaced_while_other_threads_handshake():
    # set_client_ca_list() frees the list a server's handshake (GIL
    # released) may be reading: the settings lock keeps them apart, as for
    # the stdlib setters (test_concurrency.py); ASan/valgrind see a miss
    import threading
    crypto_mod = _tls_bootstrap.crypto
    with open(certfile("ca.pem"), "rb") as f:
        ca = crypto_mod.load_certificate(crypto_mod.FILETYPE_PEM, f.read())
    sctx = server_context(ours)
    sctx.set_verify(ours.VERIFY_PEER, lambda *args: True)
    sctx.set_client_ca_list([ca.get_subject()])
    stop, errors = threading.Event(), []

    def handshakes():
        try:
            while not stop.is_set():
                client, server = connections(client_context(ours), sctx, ours, ours)
                handshake(client, server)
                assert [n.CN for n in client.get_client_ca_list()] == [ca.get_subject().CN]
        except Exception as exc:      # reported by the main thread
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=handshakes) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(300):
            sctx.set_client_ca_list([ca.get_subject()])
            sctx.set_timeout(300)
            sctx.set_session_id(b"tlsb")
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not errors, errors


# ---- add_extra_chain_cert(): pyOpenSSL's order-free extra chain --------

def _sent_chain(mod, configure):
    """Subjects' CNs of the chain a server configured by configure(ctx)
    sends to a client of the same library."""
    server_ctx = mod.Context(mod.TLS_METHOD)
    configure(server_ctx)
    client, server = connections(client_context(mod), server_ctx, mod, mod)
    handshake(client, server)
    return [text(cert.get_subject().CN) for cert in client.get_peer_cert_chain()]


def _certificate(crypto, name):
    with open(certfile(name), "rb") as pem:
        return crypto.load_certificate(crypto.FILETYPE_PEM, pem.read())


def test_extra_chain_cert_added_before_the_certificate_is_sent(impl):
    crypto = _tls_bootstrap.crypto if impl is ours else OpenSSL.crypto

    def configure(ctx):
        ctx.add_extra_chain_cert(_certificate(crypto, "intermediate.pem"))
        ctx.use_certificate_file(path("localhost.pem"))
        ctx.use_privatekey_file(path("localhost.key"))
    assert _sent_chain(impl, configure) == [
        "localhost", "_tls_bootstrap Test Intermediate CA"]


def test_extra_chain_cert_gives_way_to_a_chain_file(impl):
    crypto = _tls_bootstrap.crypto if impl is ours else OpenSSL.crypto

    def configure(ctx):
        ctx.use_certificate_chain_file(path("localhost-chain.pem"))
        ctx.use_privatekey_file(path("localhost.key"))
        ctx.add_extra_chain_cert(_certificate(crypto, "ca.pem"))
    assert _sent_chain(impl, configure) == [
        "localhost", "_tls_bootstrap Test Intermediate CA"]


@pytest.mark.parametrize("method,name,number", [
    ("TLS_METHOD", "TLSv1.3", 0x304), ("TLS_CLIENT_METHOD", "TLSv1.3", 0x304),
    ("TLSv1_2_METHOD", "TLSv1.2", 0x303)])
def test_protocol_version_before_the_handshake_is_the_methods_highest(impl, method, name, number):
    ctx = impl.Context(getattr(impl, method))
    ctx.set_max_proto_version(impl.TLS1_2_VERSION)    # not looked at, as in OpenSSL
    conn = impl.Connection(ctx, None)
    conn.set_connect_state()
    assert (conn.get_protocol_version_name(), conn.get_protocol_version()) == (name, number)
    assert type(conn.get_protocol_version_name()) is type(u"")
