"""SSLContext: 3.13's defaults, settings and loading, with 3.13's errors.
Every test runs against _tls_bootstrap, and on 3.13 also against the
host's ssl as oracle."""
import errno
import io
import warnings

import pytest

import _tls_bootstrap as tlsb
import tlsb_support
from tlsb_support import certfile

IMPLS = tlsb_support.implementations()


@pytest.fixture(params=IMPLS, ids=tlsb_support.impl_id)
def impl(request):
    return request.param


def new_context(impl, protocol):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return impl.SSLContext(protocol)


# ---- defaults ---------------------------------------------------------------

@pytest.mark.parametrize("protocol", ["PROTOCOL_TLS", "PROTOCOL_TLS_CLIENT",
                                      "PROTOCOL_TLS_SERVER"])
def test_default_options_and_versions(impl, protocol):
    ctx = new_context(impl, getattr(impl, protocol))
    assert int(ctx.options) == 0x82520050
    assert ctx.minimum_version == impl.TLSVersion.TLSv1_2
    assert ctx.maximum_version == impl.TLSVersion.MAXIMUM_SUPPORTED
    assert ctx.security_level == 2
    assert ctx.verify_flags == impl.VERIFY_X509_TRUSTED_FIRST
    assert ctx.hostname_checks_common_name is True
    assert ctx.protocol == getattr(impl, protocol)


def test_client_context_verifies_by_default(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    assert ctx.verify_mode == impl.CERT_REQUIRED
    assert ctx.check_hostname is True


def test_server_context_does_not_verify_by_default(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    assert ctx.verify_mode == impl.CERT_NONE
    assert ctx.check_hostname is False


def test_default_cipher_list_is_3_13s(impl):
    assert impl._DEFAULT_CIPHERS == (
        "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:"
        "!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM")
    names = [c["name"] for c in impl.SSLContext(impl.PROTOCOL_TLS_CLIENT).get_ciphers()]
    assert "TLS_AES_256_GCM_SHA384" in names
    assert "ECDHE-RSA-AES128-GCM-SHA256" in names
    assert not [n for n in names if n.endswith("-SHA") or "CBC" in n and "SHA1" in n]


def test_get_ciphers_describes_each_cipher(impl):
    ciphers = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT).get_ciphers()
    first = ciphers[0]
    assert first["name"] == "TLS_AES_256_GCM_SHA384"
    assert first["protocol"] == "TLSv1.3"
    assert first["strength_bits"] == first["alg_bits"] == 256
    assert first["aead"] is True
    assert first["symmetric"] == "aes-256-gcm"
    assert first["digest"] is None
    assert first["kea"] == "kx-any" and first["auth"] == "auth-any"
    assert first["description"].startswith("TLS_AES_256_GCM_SHA384")
    assert not first["description"].endswith("\n")
    ecdhe = [c for c in ciphers if c["name"] == "ECDHE-RSA-AES128-GCM-SHA256"][0]
    assert ecdhe["kea"] == "kx-ecdhe" and ecdhe["auth"] == "auth-rsa"
    assert ecdhe["protocol"] == "TLSv1.2"


def test_context_without_protocol_is_deprecated_tls(impl):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ctx = impl.SSLContext()
    assert ctx.protocol == impl.PROTOCOL_TLS
    assert any(issubclass(w.category, DeprecationWarning) and
               "without protocol argument" in str(w.message) for w in caught)


def test_version_specific_protocols_are_deprecated(impl):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ctx = impl.SSLContext(impl.PROTOCOL_TLSv1_2)
    assert "ssl.PROTOCOL_TLSv1_2 is deprecated" in [str(w.message) for w in caught]
    assert ctx.protocol == impl.PROTOCOL_TLSv1_2


def test_unknown_protocol_is_value_error(impl):
    with pytest.raises(ValueError) as info:
        impl.SSLContext(99)
    assert str(info.value) == "invalid or unsupported protocol version 99"


def test_constants_are_enum_members_with_3_13_reprs(impl):
    assert repr(impl.CERT_REQUIRED) == "<VerifyMode.CERT_REQUIRED: 2>"
    assert repr(impl.PROTOCOL_TLS_CLIENT) == "<_SSLMethod.PROTOCOL_TLS_CLIENT: 16>"
    assert repr(impl.TLSVersion.TLSv1_3) == "<TLSVersion.TLSv1_3: 772>"
    assert repr(impl.SSL_ERROR_EOF) == "<SSLErrorNumber.SSL_ERROR_EOF: 8>"
    assert int(impl.OP_ALL) == 0x80000050
    assert impl.VERIFY_X509_PARTIAL_CHAIN == 0x80000
    assert impl.Options(impl.OP_NO_SSLv3 | impl.OP_NO_TLSv1) & impl.OP_NO_TLSv1
    assert impl.TLSVersion(771) is impl.TLSVersion.TLSv1_2
    assert impl.Purpose.SERVER_AUTH.oid == "1.3.6.1.5.5.7.3.1"
    assert impl.Purpose.CLIENT_AUTH.shortname == "clientAuth"


# ---- verification settings -------------------------------------------------

def test_verify_mode_values_and_errors(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    for mode in (impl.CERT_OPTIONAL, impl.CERT_REQUIRED, impl.CERT_NONE):
        ctx.verify_mode = mode
        assert ctx.verify_mode == mode
        assert type(ctx.verify_mode) is impl.VerifyMode
    with pytest.raises(ValueError) as info:
        ctx.verify_mode = 5
    assert str(info.value) == "invalid value for verify_mode"
    with pytest.raises(TypeError):
        ctx.verify_mode = None


def test_verify_mode_beyond_int_is_overflow_not_truncated(impl):
    # 2**32 truncated to a C int is 0: a server asked for CERT_REQUIRED
    # would quietly have verified nothing
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    ctx.verify_mode = impl.CERT_REQUIRED
    for mode in (2 ** 32, 2 ** 32 + 2, -2 ** 63, 2 ** 31):
        with pytest.raises(OverflowError):
            ctx.verify_mode = mode
        assert ctx.verify_mode == impl.CERT_REQUIRED


def test_cert_none_refused_while_check_hostname(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(ValueError) as info:
        ctx.verify_mode = impl.CERT_NONE
    assert "check_hostname is enabled" in str(info.value)
    ctx.check_hostname = False
    ctx.verify_mode = impl.CERT_NONE
    ctx.check_hostname = True
    assert ctx.verify_mode == impl.CERT_REQUIRED


def test_verify_flags_set_and_clear(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    ctx.verify_flags |= impl.VERIFY_CRL_CHECK_LEAF | impl.VERIFY_X509_STRICT
    assert ctx.verify_flags == (impl.VERIFY_X509_TRUSTED_FIRST |
                                impl.VERIFY_CRL_CHECK_LEAF | impl.VERIFY_X509_STRICT)
    assert type(ctx.verify_flags) is impl.VerifyFlags
    ctx.verify_flags = impl.VERIFY_DEFAULT
    assert ctx.verify_flags == 0
    with pytest.raises(TypeError):
        ctx.verify_flags = None


def test_options_set_and_clear(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    ctx.options |= impl.OP_NO_TICKET
    assert ctx.options & impl.OP_NO_TICKET
    ctx.options &= ~impl.OP_NO_TICKET
    assert not ctx.options & impl.OP_NO_TICKET
    ctx.options = 0
    assert ctx.options == 0
    assert type(ctx.options) is impl.Options
    with pytest.raises(OverflowError):
        ctx.options = -1


def test_hostname_checks_common_name_toggles_host_flag(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    ctx.hostname_checks_common_name = False
    assert ctx.hostname_checks_common_name is False
    never_check_subject, no_partial_wildcards = 0x20, 0x4   # OpenSSL's values
    assert ctx._host_flags & never_check_subject
    ctx.hostname_checks_common_name = True
    assert not ctx._host_flags & never_check_subject
    assert ctx._host_flags & no_partial_wildcards


# ---- protocol versions --------------------------------------------------------

def test_version_sentinels(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = impl.TLSVersion.MAXIMUM_SUPPORTED
    assert ctx.minimum_version == impl.TLSVersion.TLSv1_3
    ctx.minimum_version = impl.TLSVersion.MINIMUM_SUPPORTED
    assert ctx.minimum_version == impl.TLSVersion.MINIMUM_SUPPORTED
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.maximum_version = impl.TLSVersion.MINIMUM_SUPPORTED
    assert ctx.maximum_version == impl.TLSVersion.TLSv1
    ctx.maximum_version = impl.TLSVersion.MAXIMUM_SUPPORTED
    assert ctx.maximum_version == impl.TLSVersion.MAXIMUM_SUPPORTED


@pytest.mark.parametrize("value", [0x305, 5, -3])
def test_unsupported_version_is_value_error(impl, value):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(ValueError) as info:
        ctx.minimum_version = value
    assert str(info.value).startswith("Unsupported TLS/SSL version 0x")


def test_version_of_wrong_type_is_type_error(impl):
    with pytest.raises(TypeError):
        impl.SSLContext(impl.PROTOCOL_TLS_CLIENT).minimum_version = "x"


def test_fixed_version_protocol_refuses_version_bounds(impl):
    ctx = new_context(impl, impl.PROTOCOL_TLSv1_2)
    with pytest.raises(ValueError) as info:
        ctx.minimum_version = impl.TLSVersion.TLSv1_2
    assert "doesn't support modification" in str(info.value)


def test_old_versions_are_deprecated(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ctx.minimum_version = impl.TLSVersion.TLSv1_1
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    assert ctx.minimum_version == impl.TLSVersion.TLSv1_1


# ---- certificates and keys ---------------------------------------------------

def test_load_cert_chain_variants(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile("localhost-chain.pem"), certfile("localhost.key"))
    ctx.load_cert_chain(certfile("localhost-combined.pem"))
    ctx.load_cert_chain(certfile=certfile("ecdsa-chain.pem"),
                        keyfile=certfile("ecdsa.key"))


@pytest.mark.parametrize("password", [
    "somepass", b"somepass", bytearray(b"somepass"),
    lambda: "somepass", lambda: b"somepass", lambda: bytearray(b"somepass")],
    ids=["str", "bytes", "bytearray", "callable-str", "callable-bytes",
         "callable-bytearray"])
@pytest.mark.parametrize("keyname", ["localhost-enc.key",
                                     "localhost-enc-traditional.key"])
def test_load_cert_chain_encrypted_key(impl, password, keyname):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile("localhost.pem"), certfile(keyname),
                        password=password)


def test_wrong_password_is_ssl_error(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    with pytest.raises(impl.SSLError):
        ctx.load_cert_chain(certfile("localhost.pem"), certfile("localhost-enc.key"),
                            password="wrong")


def test_raising_password_callback_propagates(impl):
    class Boom(Exception):
        pass

    def password():
        raise Boom("no password for you")
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    with pytest.raises(Boom):
        ctx.load_cert_chain(certfile("localhost.pem"), certfile("localhost-enc.key"),
                            password=password)
    # The context is still usable afterwards.
    ctx.load_cert_chain(certfile("localhost.pem"), certfile("localhost-enc.key"),
                        password="somepass")


def test_password_errors(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    args = (certfile("localhost.pem"), certfile("localhost-enc.key"))
    with pytest.raises(TypeError) as info:
        ctx.load_cert_chain(*args, password=3)
    assert str(info.value) == "password should be a string or callable"
    with pytest.raises(TypeError) as info:
        ctx.load_cert_chain(*args, password=lambda: 3)
    assert str(info.value) == "password callback must return a string"
    with pytest.raises(ValueError) as info:
        ctx.load_cert_chain(*args, password=b"x" * 1025)
    assert str(info.value) == "password cannot be longer than 1024 bytes"
    with pytest.raises(ValueError):
        ctx.load_cert_chain(*args, password=lambda: b"x" * 1025)


def test_missing_file_is_os_error_with_errno(impl, tmpdir):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    with pytest.raises(IOError) as info:   # OSError on 3.x, IOError on 2.7
        ctx.load_cert_chain(str(tmpdir.join("missing.pem")))
    assert info.value.errno == errno.ENOENT
    with pytest.raises(IOError) as info:
        ctx.load_verify_locations(str(tmpdir.join("missing.pem")))
    assert info.value.errno == errno.ENOENT


def test_key_mismatch_is_ssl_error(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    with pytest.raises(impl.SSLError) as info:
        ctx.load_cert_chain(certfile("localhost.pem"), certfile("rsa-direct.key"))
    assert info.value.reason == "KEY_VALUES_MISMATCH"
    assert info.value.library == "X509"
    assert "[X509: KEY_VALUES_MISMATCH] key values mismatch" in str(info.value)


def test_not_a_certificate_is_ssl_error(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    with pytest.raises(impl.SSLError) as info:
        ctx.load_cert_chain(certfile("localhost.key"))
    assert "PEM lib" in str(info.value)


def test_bad_path_types(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    with pytest.raises(TypeError):
        ctx.load_cert_chain(None)
    with pytest.raises(TypeError) as info:
        ctx.load_verify_locations(cafile=3)
    assert str(info.value) == "cafile should be a valid filesystem path"
    with pytest.raises(TypeError) as info:
        ctx.load_verify_locations()
    assert str(info.value) == "cafile, capath and cadata cannot be all omitted"


# ---- trust store ----------------------------------------------------------------

def read(name, mode="r"):
    """Text (unicode on 2.7, where str cadata means DER) or bytes."""
    if "b" in mode:
        with open(certfile(name), mode) as f:
            return f.read()
    with io.open(certfile(name), encoding="ascii") as f:
        return f.read()


def test_cafile_capath_and_stats(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    assert ctx.cert_store_stats() == {"x509": 0, "crl": 0, "x509_ca": 0}
    ctx.load_verify_locations(certfile("bundle.pem"))
    assert ctx.cert_store_stats() == {"x509": 2, "crl": 0, "x509_ca": 2}
    ctx.load_verify_locations(capath=certfile("capath"))   # lazy: not counted
    assert ctx.cert_store_stats()["x509"] == 2


def test_cadata_pem_text_with_several_certificates(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=read("bundle.pem"))
    assert ctx.cert_store_stats()["x509_ca"] == 2
    # Loading the same certificates again is not an error.
    ctx.load_verify_locations(cadata=read("ca.pem"))
    assert ctx.cert_store_stats()["x509_ca"] == 2


def test_cadata_der_bytes_concatenated(impl):
    ca = impl.PEM_cert_to_DER_cert(read("ca.pem"))
    other = impl.PEM_cert_to_DER_cert(read("other-ca.pem"))
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=ca + other)
    assert ctx.cert_store_stats()["x509_ca"] == 2
    ctx.load_verify_locations(cadata=bytearray(ca))


def test_cadata_errors(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(impl.SSLError) as info:
        ctx.load_verify_locations(cadata=u"garbage")
    assert "no start line: cadata does not contain a certificate" in str(info.value)
    with pytest.raises(impl.SSLError) as info:
        ctx.load_verify_locations(cadata=b"\x30\x03abc")
    assert "cadata does not contain a certificate" in str(info.value)
    with pytest.raises(TypeError) as info:
        ctx.load_verify_locations(cadata=3)
    assert str(info.value) == "cadata should be an ASCII string or a bytes-like object"
    # A valid certificate followed by a broken one is an error too.
    broken = read("ca.pem") + u"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    with pytest.raises(impl.SSLError):
        ctx.load_verify_locations(cadata=broken)


def test_get_ca_certs(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(certfile("ca.pem"))
    ders = ctx.get_ca_certs(binary_form=True)
    assert ders == [impl.PEM_cert_to_DER_cert(read("ca.pem"))]
    (decoded,) = ctx.get_ca_certs()
    assert decoded["serialNumber"] == "01"
    assert ((("commonName", "_tls_bootstrap Test Root CA"),) in decoded["subject"])


def test_load_default_certs_uses_default_paths(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    ctx.load_default_certs()
    with pytest.raises(TypeError):
        ctx.load_default_certs("SERVER_AUTH")


def test_session_stats_keys(impl):
    stats = impl.SSLContext(impl.PROTOCOL_TLS_SERVER).session_stats()
    assert sorted(stats) == sorted([
        "number", "connect", "connect_good", "connect_renegotiate", "accept",
        "accept_good", "accept_renegotiate", "hits", "misses", "timeouts",
        "cache_full"])
    assert set(stats.values()) == {0}


# ---- ciphers, groups, ALPN, DH ---------------------------------------------

def test_set_ciphers(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    tls12 = [c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"]
    assert tls12 == ["ECDHE-RSA-AES128-GCM-SHA256"]
    with pytest.raises(impl.SSLError) as info:
        ctx.set_ciphers("NOTACIPHER")
    assert "No cipher can be selected" in str(info.value)


def test_set_ecdh_curve(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    ctx.set_ecdh_curve("prime256v1")
    ctx.set_ecdh_curve(b"secp384r1")
    with pytest.raises(ValueError) as info:
        ctx.set_ecdh_curve("foo")
    assert str(info.value) == "unknown elliptic curve name 'foo'"
    with pytest.raises(TypeError):
        ctx.set_ecdh_curve(1)


def test_missing_file_error_names_the_file_as_open_does(tmpdir):
    # 3.13 names it for load_dh_params() only; ours for every path.
    missing = str(tmpdir.join("missing.pem"))
    with pytest.raises(IOError) as opened:
        open(missing)
    ctx = tlsb.SSLContext(tlsb.PROTOCOL_TLS_SERVER)
    calls = [lambda: ctx.load_cert_chain(missing),
             lambda: ctx.load_cert_chain(missing, certfile("localhost.key")),
             lambda: ctx.load_verify_locations(missing),
             lambda: ctx.load_verify_locations(cafile=missing, capath=str(tmpdir)),
             lambda: ctx.load_dh_params(missing)]
    for call in calls:
        with pytest.raises(IOError) as info:
            call()
        assert type(info.value) is type(opened.value)
        assert info.value.filename == missing
        assert str(info.value) == str(opened.value)


def test_load_dh_params(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    ctx.load_dh_params(certfile("dh2048.pem"))
    with pytest.raises(impl.SSLError):
        ctx.load_dh_params(certfile("ca.pem"))
    with pytest.raises(IOError) as info:
        ctx.load_dh_params(certfile("ca.pem") + ".missing")
    assert info.value.errno == errno.ENOENT


def test_alpn_protocol_lengths(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    for bad in ([""], ["x" * 256]):
        with pytest.raises(impl.SSLError) as info:
            ctx.set_alpn_protocols(bad)
        assert "ALPN protocols must be 1 to 255 in length" in str(info.value)


def test_sni_callback_must_be_callable(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    with pytest.raises(TypeError):
        ctx.sni_callback = 3
    ctx.sni_callback = lambda *args: None
    ctx.sni_callback = None
    assert ctx.sni_callback is None
    with pytest.raises(TypeError):
        ctx.set_servername_callback(3)


# ---- factories ---------------------------------------------------------------

def test_create_default_context_client(impl):
    ctx = impl.create_default_context(cafile=certfile("ca.pem"))
    assert ctx.protocol == impl.PROTOCOL_TLS_CLIENT
    assert ctx.verify_mode == impl.CERT_REQUIRED and ctx.check_hostname
    assert int(ctx.verify_flags) == 0x88020
    assert ctx.cert_store_stats()["x509_ca"] == 1


def test_create_default_context_server(impl):
    ctx = impl.create_default_context(impl.Purpose.CLIENT_AUTH)
    assert ctx.protocol == impl.PROTOCOL_TLS_SERVER
    assert ctx.verify_mode == impl.CERT_NONE
    with pytest.raises(TypeError):
        impl.create_default_context("bogus")
    with pytest.raises(TypeError):
        impl.create_default_context(cafile=None, bogus=1)


def test_create_unverified_context(impl):
    ctx = impl._create_unverified_context()
    assert ctx.protocol == impl.PROTOCOL_TLS_CLIENT
    assert ctx.verify_mode == impl.CERT_NONE and not ctx.check_hostname
    ctx = impl._create_unverified_context(cert_reqs=impl.CERT_REQUIRED,
                                          cafile=certfile("ca.pem"))
    assert ctx.verify_mode == impl.CERT_REQUIRED
    with pytest.raises(ValueError):
        impl._create_unverified_context(keyfile="x")


def test_sslkeylogfile_environment(impl, tmpdir, monkeypatch):
    if not hasattr(impl.SSLContext, "keylog_filename"):
        pytest.skip("keylog_filename is issue 5")
    path = str(tmpdir.join("keys.log"))
    monkeypatch.setenv("SSLKEYLOGFILE", path)
    assert impl.create_default_context().keylog_filename == path


# ---- module helpers ----------------------------------------------------------

def test_pem_der_round_trip(impl):
    pem = read("ca.pem")
    der = impl.PEM_cert_to_DER_cert(pem)
    assert der == read("ca.der", "rb")
    assert impl.PEM_cert_to_DER_cert(impl.DER_cert_to_PEM_cert(der)) == der
    with pytest.raises(ValueError):
        impl.PEM_cert_to_DER_cert("not pem")


def test_cert_time_to_seconds(impl):
    assert impl.cert_time_to_seconds("Jan  1 00:00:00 2020 GMT") == 1577836800
    assert impl.cert_time_to_seconds("jan 1 00:00:00 2020 GMT") == 1577836800
    with pytest.raises(ValueError):
        impl.cert_time_to_seconds("Foo  1 00:00:00 2020 GMT")


def test_get_default_verify_paths(impl):
    paths = impl.get_default_verify_paths()
    assert paths.openssl_cafile_env == "SSL_CERT_FILE"
    assert paths.openssl_capath_env == "SSL_CERT_DIR"


def test_asn1_objects(impl):
    obj = impl._ASN1Object.fromnid(129)
    assert obj == impl.Purpose.SERVER_AUTH
    assert impl._ASN1Object.fromname("clientAuth") == impl.Purpose.CLIENT_AUTH
    with pytest.raises(ValueError):
        impl._ASN1Object("1.2.3.4.5.6.bogus")


def test_rand(impl):
    assert len(impl.RAND_bytes(16)) == 16
    assert impl.RAND_status() is True
    impl.RAND_add(b"seed", 0.0)
    impl.RAND_add(u"seed", 0.0)
    with pytest.raises(ValueError):
        impl.RAND_bytes(-1)


def test_paths_with_nul_are_valueerror(impl):
    # fopen() would stop at the NUL and open another file; the stdlib's
    # path converter refuses it with ValueError (a wrong type: TypeError)
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    for call in (lambda p: ctx.load_verify_locations(p),
                 lambda p: ctx.load_verify_locations(None, p),
                 lambda p: ctx.load_cert_chain(p),
                 lambda p: ctx.load_cert_chain(certfile("localhost-chain.pem"), p)):
        for path in (certfile("ca.pem") + "\x00junk", b"ca.pem\x00"):
            with pytest.raises(ValueError):
                call(path)
        with pytest.raises(TypeError) as info:
            call(1.5)
        assert "should be a valid filesystem path" in str(info.value)


def test_psk_identity_hint_checked_before_the_context_side(impl):
    if not getattr(impl, "HAS_PSK", False):
        pytest.skip("no TLS-PSK")
    server = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    client = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    for ctx in (server, client):
        # a hint with a NUL would be cut short by OpenSSL
        with pytest.raises(ValueError):
            ctx.set_psk_server_callback(len, u"id\x00tail")
        with pytest.raises(TypeError):
            ctx.set_psk_server_callback(len, 1)
    with pytest.raises(impl.SSLError):
        client.set_psk_server_callback(len, u"hint")
    with pytest.raises(TypeError):
        server.set_psk_server_callback(1, u"hint")


def test_version_bounds_take_ints_as_the_stdlib_does(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    for name in ("minimum_version", "maximum_version"):
        with pytest.raises(ValueError):
            setattr(ctx, name, True)             # an int: version 0x1
        with pytest.raises(OverflowError):
            setattr(ctx, name, 2 ** 31)
        with pytest.raises(TypeError):
            setattr(ctx, name, 1.5)


def test_empty_cadata_is_valueerror(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    for empty in (u"", b"", bytearray()):
        with pytest.raises(ValueError) as info:
            ctx.load_verify_locations(cadata=empty)
        assert "Empty certificate data" in str(info.value)


def test_protocol_lists_refuse_what_is_not_a_string(impl):
    import warnings
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(TypeError):
        ctx.set_alpn_protocols([1, 2])       # bytes(1) would have been b"\0"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(TypeError):
            ctx.set_npn_protocols(None)
        with pytest.raises(TypeError):
            ctx.set_npn_protocols([1])


def test_wrap_bio_checks_its_bios_before_the_context_side(impl):
    server = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    with pytest.raises(TypeError):
        server.wrap_bio(u"", u"")
    with pytest.raises(impl.SSLError):
        server.wrap_bio(impl.MemoryBIO(), impl.MemoryBIO())


def test_cadata_text_beyond_ascii_is_typeerror(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    for text in (u"caf\xe9", u"\udcff"):
        with pytest.raises(TypeError):
            ctx.load_verify_locations(cadata=text)


def test_protocol_that_cannot_be_hashed_is_typeerror(impl):
    with pytest.raises(TypeError):
        impl.SSLContext(memoryview(bytearray(4)))


def test_wrap_bio_refuses_a_nul_in_the_name_before_the_side(impl):
    server = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    with pytest.raises(TypeError):
        server.wrap_bio(impl.MemoryBIO(), impl.MemoryBIO(), False, u"a\x00b")
    with pytest.raises(impl.SSLError):                  # then the side
        server.wrap_bio(impl.MemoryBIO(), impl.MemoryBIO(), False, u"")
