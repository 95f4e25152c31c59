"""SSLObject over memory BIOs: an in-memory client/server pair, results as
CPython 3.13 gives them.  On 3.13 each test also runs with the host's ssl
as oracle."""
import sys
import warnings

import pytest

import tlsb_support
from tlsb_support import (MemoryPair, catch_unraisable, certfile, client_context,
                          server_context)

IMPLS = tlsb_support.implementations()


@pytest.fixture(params=IMPLS, ids=tlsb_support.impl_id)
def impl(request):
    return request.param


def pair(impl, server_settings=None, client_settings=None, **kwargs):
    server = server_context(impl, **(server_settings or {}))
    client = client_context(impl, **(client_settings or {}))
    return MemoryPair(impl, server, client, **kwargs)


def handshake_error(impl, p):
    """The exception the client's handshake ends with."""
    with pytest.raises(impl.SSLError) as info:
        p.handshake()
    return info.value


# ---- before the handshake -------------------------------------------------

def test_client_handshake_writes_client_hello_and_wants_read(impl):
    p = pair(impl)
    with pytest.raises(impl.SSLWantReadError) as info:
        p.client.do_handshake()
    assert info.value.errno == 2
    hello = p.c_out.read()
    assert hello[:1] == b"\x16" and hello[5:6] == b"\x01"   # handshake, ClientHello


def test_state_before_handshake(impl):
    p = pair(impl)
    with pytest.raises(ValueError) as info:
        p.client.getpeercert()
    assert str(info.value) == "handshake not done yet"
    assert p.client.cipher() is None
    assert p.client.version() is None
    assert p.client.get_channel_binding() is None
    assert p.client.selected_alpn_protocol() is None
    assert p.client.pending() == 0
    assert p.client.session_reused is False
    assert p.client.get_verified_chain() == []
    with pytest.raises(impl.SSLWantReadError):
        p.client.read()
    with pytest.raises(impl.SSLWantReadError):
        p.client.write(b"too early")


def test_attributes(impl):
    p = pair(impl)
    assert p.client.server_side is False and p.server.server_side is True
    assert p.client.server_hostname == "localhost"
    assert p.server.server_hostname is None
    assert isinstance(p.client, impl.SSLObject)
    assert p.client.context.protocol == impl.PROTOCOL_TLS_CLIENT


def test_no_public_constructor(impl):
    with pytest.raises(TypeError) as info:
        impl.SSLObject()
    assert "does not have a public constructor" in str(info.value)


def test_sslobject_class_is_used(impl):
    class MySSLObject(impl.SSLObject):
        pass
    ctx = client_context(impl)
    ctx.sslobject_class = MySSLObject
    obj = ctx.wrap_bio(impl.MemoryBIO(), impl.MemoryBIO(), server_hostname="localhost")
    assert type(obj) is MySSLObject


def test_wrap_bio_without_hostname_checks_the_chain_only(impl):
    # Unlike wrap_socket(), 3.13's wrap_bio() accepts check_hostname without
    # server_hostname; only the chain is verified then.
    p = pair(impl, server_hostname=None)
    assert p.client.server_hostname is None
    p.handshake()
    p = pair(impl, server_settings={"certfile": "untrusted.pem",
                                    "keyfile": "untrusted.key"},
             server_hostname=None)
    assert handshake_error(impl, p).verify_code == 20


@pytest.mark.parametrize("name", [u"", u".example"])
def test_empty_or_dotted_hostname_is_value_error(impl, name):
    ctx = client_context(impl)
    with pytest.raises(ValueError):
        ctx.wrap_bio(impl.MemoryBIO(), impl.MemoryBIO(), server_hostname=name)


def test_hostname_with_nul_is_the_argument_parsers_type_error(impl):
    # 3.13 parses server_hostname with PyArg_Parse("es"): its TypeError and words.
    ctx = client_context(impl)
    with pytest.raises(TypeError) as info:
        ctx.wrap_bio(impl.MemoryBIO(), impl.MemoryBIO(), server_hostname="local\x00host")
    assert str(info.value) == "argument must be encoded string without null bytes, not str"


# ---- a successful handshake ------------------------------------------------

def test_tls13_handshake_and_data(impl):
    p = pair(impl)
    p.handshake()
    assert p.client.version() == p.server.version() == "TLSv1.3"
    name, protocol, bits = p.client.cipher()
    assert (name, protocol, bits) == ("TLS_AES_256_GCM_SHA384", "TLSv1.3", 256)
    assert p.server.cipher() == p.client.cipher()
    assert p.client.compression() is None
    assert p.send(p.client, p.server, b"hello server") == b"hello server"
    assert p.send(p.server, p.client, b"hello client") == b"hello client"


def test_tls12_handshake(impl):
    p = pair(impl, client_settings={"maximum_version": impl.TLSVersion.TLSv1_2})
    p.handshake()
    assert p.client.version() == "TLSv1.2"
    assert p.client.cipher()[0] == "ECDHE-RSA-AES256-GCM-SHA384"


def test_shared_ciphers_on_server_only(impl):
    p = pair(impl)
    p.handshake()
    assert p.client.shared_ciphers() is None
    shared = p.server.shared_ciphers()
    assert ("TLS_AES_256_GCM_SHA384", "TLSv1.3", 256) in shared
    assert all(len(item) == 3 for item in shared)


def test_getpeercert_forms(impl):
    p = pair(impl)
    p.handshake()
    der = p.client.getpeercert(binary_form=True)
    with open(certfile("localhost.der"), "rb") as f:
        assert der == f.read()
    cert = p.client.getpeercert()
    assert cert["subjectAltName"] == (("DNS", "localhost"), ("IP Address", "127.0.0.1"),
                                      ("IP Address", "0:0:0:0:0:0:0:1"))
    # The server did not ask for a client certificate.
    assert p.server.getpeercert() is None


def test_unverified_peer_gives_empty_dict(impl):
    p = pair(impl, client_settings={"check_hostname": False,
                                    "verify_mode": impl.CERT_NONE, "cafile": None})
    p.handshake()
    assert p.client.getpeercert() == {}
    assert p.client.getpeercert(True)


def test_verified_and_unverified_chains(impl):
    p = pair(impl)
    p.handshake()
    with open(certfile("localhost.der"), "rb") as f:
        leaf = f.read()
    verified = p.client.get_verified_chain()
    unverified = p.client.get_unverified_chain()
    assert len(verified) == 3 and verified[0] == leaf
    assert len(unverified) == 2 and unverified[0] == leaf
    assert all(isinstance(der, bytes) for der in verified + unverified)


def test_channel_binding_matches_on_both_ends(impl):
    p = pair(impl, client_settings={"maximum_version": impl.TLSVersion.TLSv1_2})
    p.handshake()
    client_cb = p.client.get_channel_binding("tls-unique")
    assert client_cb and client_cb == p.server.get_channel_binding("tls-unique")
    with pytest.raises(ValueError):
        p.client.get_channel_binding("tls-server-end-point")


def test_read_into_buffer_and_pending(impl):
    p = pair(impl)
    p.handshake()
    p.client.write(b"0123456789")
    p.pump()
    buf = bytearray(4)
    assert p.server.read(4, buf) == 4
    assert bytes(buf) == b"0123"
    assert p.server.pending() == 6
    assert p.server.read(100) == b"456789"
    with pytest.raises(ValueError):
        p.server.read(-1)
    assert p.server.read(0) == b""


def test_write_accepts_bytes_like_and_refuses_text(impl):
    p = pair(impl)
    p.handshake()
    assert p.client.write(bytearray(b"ab")) == 2
    assert p.client.write(memoryview(b"cd")) == 2
    p.pump()
    assert p.server.read() == b"ab"     # one record per write
    assert p.server.read() == b"cd"
    with pytest.raises(TypeError):
        p.client.write(u"text")


def test_large_write_arrives_whole(impl):
    p = pair(impl)
    p.handshake()
    payload = bytes(bytearray(range(256))) * 1024   # 256 KiB, many records
    assert p.client.write(payload) == len(payload)
    p.pump()
    received = b""
    while len(received) < len(payload):
        received += p.server.read(65536)
    assert received == payload


def test_alpn(impl):
    server = server_context(impl)
    server.set_alpn_protocols(["h2", "http/1.1"])
    client = client_context(impl)
    client.set_alpn_protocols(["http/1.1", "h2"])
    p = MemoryPair(impl, server, client)
    p.handshake()
    # The server's preference wins.
    assert p.client.selected_alpn_protocol() == p.server.selected_alpn_protocol() == "h2"


def test_alpn_without_overlap_selects_nothing(impl):
    server = server_context(impl)
    server.set_alpn_protocols(["h2"])
    client = client_context(impl)
    client.set_alpn_protocols(["spdy/3"])
    p = MemoryPair(impl, server, client)
    p.handshake()
    assert p.client.selected_alpn_protocol() is None


def test_ip_address_is_verified_as_ip(impl):
    p = pair(impl, server_hostname="127.0.0.1")
    p.handshake()
    p = pair(impl, server_hostname="::1")
    p.handshake()


def test_idna_hostname_is_sent_as_a_label(impl):
    server = server_context(impl, certfile="idna.pem", keyfile="idna.key")
    seen = []
    server.sni_callback = lambda obj, name, ctx: seen.append(name)
    p = MemoryPair(impl, server, client_context(impl),
                   server_hostname=u"k\u00f6nig.idn.example")
    assert p.client.server_hostname == "xn--knig-5qa.idn.example"
    p.handshake()
    assert seen == ["xn--knig-5qa.idn.example"]


def test_ecdsa_server(impl):
    p = pair(impl, server_settings={"certfile": "ecdsa-chain.pem",
                                    "keyfile": "ecdsa.key"})
    p.handshake()
    assert p.client.getpeercert()["serialNumber"] == "1002"


# ---- failures ----------------------------------------------------------------

def test_bad_hostname_fails_with_verify_code_62(impl):
    p = pair(impl, server_hostname="wrong.example")
    err = handshake_error(impl, p)
    assert isinstance(err, impl.SSLCertVerificationError)
    assert err.verify_code == 62
    assert err.verify_message == "Hostname mismatch, certificate is not valid for 'wrong.example'."
    assert err.reason == "CERTIFICATE_VERIFY_FAILED" and err.library == "SSL"
    assert str(err).startswith(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch")


def test_bad_ip_address_fails_with_verify_code_64(impl):
    p = pair(impl, server_hostname="127.0.0.2")
    err = handshake_error(impl, p)
    assert err.verify_code == 64
    assert err.verify_message == "IP address mismatch, certificate is not valid for '127.0.0.2'."


def test_unknown_ca_fails_with_verify_code_20(impl):
    p = pair(impl, server_settings={"certfile": "untrusted.pem", "keyfile": "untrusted.key"})
    err = handshake_error(impl, p)
    assert isinstance(err, impl.SSLCertVerificationError)
    assert err.verify_code == 20
    assert err.verify_message == "unable to get local issuer certificate"
    assert err.errno == 1


def test_expired_certificate_fails_with_verify_code_10(impl):
    p = pair(impl, server_settings={"certfile": "expired.pem", "keyfile": "expired.key"})
    err = handshake_error(impl, p)
    assert err.verify_code == 10
    assert err.verify_message == "certificate has expired"


def test_self_signed_fails_with_verify_code_18(impl):
    p = pair(impl, server_settings={"certfile": "selfsigned.pem",
                                    "keyfile": "selfsigned.key"})
    assert handshake_error(impl, p).verify_code == 18


def test_missing_intermediate_fails(impl):
    p = pair(impl, server_settings={"certfile": "localhost.pem"})
    assert handshake_error(impl, p).verify_code == 20


def test_verification_failure_sends_alert_to_server(impl):
    p = pair(impl, server_hostname="wrong.example")
    handshake_error(impl, p)
    p.pump()
    with pytest.raises(impl.SSLError) as info:
        p.server.do_handshake()
    assert info.value.reason == "TLSV1_ALERT_UNKNOWN_CA" or \
        info.value.reason.startswith(("SSLV3_ALERT_BAD_CERTIFICATE", "TLSV1_ALERT"))


def test_hostname_not_checked_without_check_hostname(impl):
    p = pair(impl, client_settings={"check_hostname": False},
             server_hostname="wrong.example")
    p.handshake()


def test_common_name_fallback(impl):
    p = pair(impl, server_settings={"certfile": "nosan.pem", "keyfile": "nosan.key"})
    p.handshake()
    p = pair(impl, server_settings={"certfile": "nosan.pem", "keyfile": "nosan.key"},
             client_settings={"hostname_checks_common_name": False})
    assert handshake_error(impl, p).verify_code == 62


def test_disjoint_versions_fail(impl):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        p = pair(impl,
                 server_settings={"minimum_version": impl.TLSVersion.TLSv1_3},
                 client_settings={"maximum_version": impl.TLSVersion.TLSv1_2})
    with pytest.raises(impl.SSLError) as info:
        p.handshake()
    assert info.value.reason in ("TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL")


def test_client_certificate_required(impl):
    p = pair(impl, server_settings={"verify_mode": impl.CERT_REQUIRED})
    p.server.context.load_verify_locations(certfile("ca.pem"))
    with pytest.raises(impl.SSLError):
        p.handshake()
        p.settle()


def test_client_certificate_presented(impl):
    p = MemoryPair(impl, *tlsb_support.client_auth_contexts(impl))
    p.handshake()
    peer = p.server.getpeercert()
    assert ((("commonName", "client"),) in peer["subject"])
    # The client sends its leaf and the chain OpenSSL builds from its own
    # trust store (the root here); a server's list starts with the leaf.
    unverified = p.server.get_unverified_chain()
    assert unverified == p.server.get_verified_chain()
    assert len(unverified) == 2


# ---- closing ---------------------------------------------------------------

def test_close_notify_reads_as_empty(impl):
    p = pair(impl)
    p.handshake()
    with pytest.raises(impl.SSLWantReadError):
        p.client.unwrap()
    p.pump()
    assert p.server.read() == b""
    assert p.server.unwrap() is None
    p.pump()
    assert p.client.unwrap() is None


def test_ragged_eof_is_ssl_eof_error(impl):
    p = pair(impl)
    p.handshake()
    p.c_in.write_eof()
    with pytest.raises(impl.SSLEOFError) as info:
        p.client.read()
    assert info.value.errno == 8
    if impl.OPENSSL_VERSION_INFO >= (3,):   # 1.1.1 reports no reason
        assert info.value.reason == "UNEXPECTED_EOF_WHILE_READING"
    assert "EOF occurred in violation of protocol" in str(info.value)


def test_error_queue_left_clean_after_failure(impl):
    # A failed handshake must not leave errors behind that the next,
    # unrelated, connection would report.
    bad = pair(impl, server_hostname="wrong.example")
    handshake_error(impl, bad)
    good = pair(impl)
    good.handshake()
    assert good.send(good.client, good.server, b"x") == b"x"


# ---- SNI -------------------------------------------------------------------

def test_sni_callback_sees_name_and_can_switch_context(impl):
    first = server_context(impl)
    second = server_context(impl, certfile="ecdsa-chain.pem", keyfile="ecdsa.key")
    calls = []

    def callback(sslobj, name, ctx):
        calls.append((sslobj, name, ctx))
        sslobj.context = second
    first.sni_callback = callback
    p = MemoryPair(impl, first, client_context(impl))
    p.handshake()
    assert calls == [(p.server, "localhost", first)]
    assert p.server.context is second
    assert p.client.getpeercert()["serialNumber"] == "1002"


def test_sni_callback_alert_return(impl):
    server = server_context(impl)
    server.sni_callback = lambda obj, name, ctx: impl.ALERT_DESCRIPTION_ACCESS_DENIED
    p = MemoryPair(impl, server, client_context(impl))
    with pytest.raises(impl.SSLWantReadError):
        p.client.do_handshake()
    p.pump()
    with pytest.raises(impl.SSLError) as info:
        p.server.do_handshake()
    assert info.value.reason == "CALLBACK_FAILED"
    p.pump()
    with pytest.raises(impl.SSLError) as info:
        p.client.do_handshake()
    assert info.value.reason == "TLSV1_ALERT_ACCESS_DENIED"


def test_set_servername_callback_shim(impl):
    server = server_context(impl)
    seen = []
    server.set_servername_callback(lambda obj, name, ctx: seen.append(name))
    p = MemoryPair(impl, server, client_context(impl))
    p.handshake()
    assert seen == ["localhost"]


def test_sni_callback_without_server_name(impl):
    server = server_context(impl)
    seen = []
    server.sni_callback = lambda obj, name, ctx: seen.append(name)
    p = MemoryPair(impl, server, client_context(impl, check_hostname=False),
                   server_hostname=None)
    p.handshake()
    assert seen == [None]


def test_raising_sni_callback_alerts_peer_and_reaches_the_caller(impl):
    # As 3.13: the exception goes to sys.unraisablehook, the server's
    # handshake fails and the client gets a handshake_failure alert.  Ours
    # also hands the exception to the caller, as the SSLError's __cause__.
    class Boom(Exception):
        pass

    def callback(obj, name, ctx):
        raise Boom("no")
    server = server_context(impl)
    server.sni_callback = callback
    p = MemoryPair(impl, server, client_context(impl))
    with pytest.raises(impl.SSLWantReadError):
        p.client.do_handshake()
    p.pump()
    with catch_unraisable() as reported:
        with pytest.raises(impl.SSLError) as info:
            p.server.do_handshake()
    assert info.value.reason == "CALLBACK_FAILED"
    if impl.__name__ == "_tls_bootstrap":
        assert isinstance(info.value.__cause__, Boom)
    if reported is not None:
        assert [type(e) for e in reported] == [Boom]
    p.pump()
    with pytest.raises(impl.SSLError) as info:
        p.client.do_handshake()
    assert info.value.reason == "SSLV3_ALERT_HANDSHAKE_FAILURE"


def test_sni_callback_of_wrong_return_type_is_internal_error(impl):
    server = server_context(impl)
    server.sni_callback = lambda obj, name, ctx: "not an alert"
    p = MemoryPair(impl, server, client_context(impl))
    with pytest.raises(impl.SSLWantReadError):
        p.client.do_handshake()
    p.pump()
    with catch_unraisable() as reported:
        with pytest.raises(impl.SSLError):
            p.server.do_handshake()
    if reported is not None:
        assert [type(e) for e in reported] == [TypeError]
    p.pump()
    with pytest.raises(impl.SSLError) as info:
        p.client.do_handshake()
    assert info.value.reason == "TLSV1_ALERT_INTERNAL_ERROR"


# ---- sessions ----------------------------------------------------------------

@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_session_resumption(impl, version):
    server = server_context(impl)
    client = client_context(impl, maximum_version=getattr(impl.TLSVersion, version))
    first = MemoryPair(impl, server, client)
    first.handshake()
    first.settle()
    session = first.client.session
    assert isinstance(session, impl.SSLSession)
    assert session.has_ticket is True
    assert session.ticket_lifetime_hint > 0 and session.timeout > 0
    assert session.time > 1500000000
    assert first.client.session_reused is False
    second = MemoryPair(impl, server, client, session=session)
    second.handshake()
    assert second.client.session_reused is True
    assert second.server.session_reused is True
    # The same session resumes a second time too.
    third = MemoryPair(impl, server, client, session=session)
    third.handshake()
    assert third.client.session_reused is True


def test_session_equality(impl):
    p = pair(impl, client_settings={"maximum_version": impl.TLSVersion.TLSv1_2})
    p.handshake()
    a, b = p.client.session, p.client.session
    assert a == b and not (a != b)
    assert a.id == b.id and isinstance(a.id, bytes)
    other = pair(impl, client_settings={"maximum_version": impl.TLSVersion.TLSv1_2})
    other.handshake()
    assert a != other.client.session
    assert (a == 1) is False


def test_session_setter_errors(impl):
    p = pair(impl)
    p.handshake()
    p.settle()
    session = p.client.session
    with pytest.raises(TypeError):
        p.client.session = 1
    with pytest.raises(ValueError) as info:
        p.client.session = session
    assert str(info.value) == "Cannot set session after handshake."
    fresh = client_context(impl).wrap_bio(impl.MemoryBIO(), impl.MemoryBIO(),
                                          server_hostname="localhost")
    with pytest.raises(ValueError) as info:
        fresh.session = session
    assert str(info.value) == "Session refers to a different SSLContext."


def test_session_cannot_be_set_on_server_side(impl):
    # One PROTOCOL_TLS context serves both ends, so the contexts match.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx = impl.SSLContext(impl.PROTOCOL_TLS)
    ctx.load_cert_chain(certfile("localhost-chain.pem"), certfile("localhost.key"))
    p = MemoryPair(impl, ctx, ctx)
    p.handshake()
    p.settle()
    other = ctx.wrap_bio(impl.MemoryBIO(), impl.MemoryBIO(), server_side=True)
    with pytest.raises(ValueError) as info:
        other.session = p.client.session
    assert str(info.value) == "Cannot set session for server-side SSLSocket."


def test_sessions_cannot_be_constructed(impl):
    with pytest.raises(TypeError):
        impl.SSLSession()


def test_session_stats_count_handshakes(impl):
    server = server_context(impl)
    client = client_context(impl)
    p = MemoryPair(impl, server, client)
    p.handshake()
    assert client.session_stats()["connect_good"] == 1
    assert server.session_stats()["accept_good"] == 1


def test_read_into_a_buffer_it_cannot_write_is_typeerror():
    # the stdlib's "w*" answers TypeError for read-only and non-contiguous
    # buffers (PyObject_GetBuffer's BufferError is not what it raises)
    for impl in tlsb_support.implementations():
        conn = tlsb_support.client_context(impl).wrap_bio(
            impl.MemoryBIO(), impl.MemoryBIO(), server_hostname="localhost")
        buffers = [b"abc"]
        if sys.version_info[0] > 2:          # 2.7's memoryview has no steps
            buffers.append(memoryview(bytearray(8))[::2])
        for buffer in buffers:
            with pytest.raises(TypeError):
                conn.read(4, buffer)
