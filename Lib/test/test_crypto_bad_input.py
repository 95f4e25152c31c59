"""Bad input to _tls_bootstrap.crypto raises crypto.Error, TypeError or
ValueError (as pyOpenSSL does) and never crashes, leaks or leaves
OpenSSL's error queue dirty; a passphrase callback's own exception
propagates unchanged."""
import gc
import os
import sys

import pytest

from _tls_bootstrap import crypto

import tlsb_support
from crypto_support import our_pki


@pytest.fixture(scope="module")
def pki():
    return our_pki()


@pytest.fixture(scope="module")
def encrypted(pki):
    return crypto.dump_privatekey(crypto.FILETYPE_PEM, pki[3], "aes-256-cbc", b"right")


LOADERS = [
    ("certificate", lambda t, data: crypto.load_certificate(t, data)),
    ("request", lambda t, data: crypto.load_certificate_request(t, data)),
    ("public key", lambda t, data: crypto.load_publickey(t, data)),
    ("private key", lambda t, data: crypto.load_privatekey(t, data)),
]


def der_of(name, pki):
    ca, _, leaf, key = pki
    if name == "certificate":
        return crypto.dump_certificate(crypto.FILETYPE_ASN1, leaf)
    if name == "request":
        req = crypto.X509Req()
        req.set_pubkey(key)
        req.sign(key, "sha256")
        return crypto.dump_certificate_request(crypto.FILETYPE_ASN1, req)
    if name == "public key":
        return crypto.dump_publickey(crypto.FILETYPE_ASN1, key)
    return crypto.dump_privatekey(crypto.FILETYPE_ASN1, key)


@pytest.mark.parametrize("name, load", LOADERS, ids=[n for n, _ in LOADERS])
def test_every_truncation_of_der_is_crypto_error(name, load, pki):
    der = der_of(name, pki)
    load(crypto.FILETYPE_ASN1, der)            # the whole thing loads
    for cut in list(range(0, 64)) + list(range(64, len(der) - 1, 37)) + [len(der) - 1]:
        with pytest.raises(crypto.Error):
            load(crypto.FILETYPE_ASN1, der[:cut])


@pytest.mark.parametrize("name, load", LOADERS, ids=[n for n, _ in LOADERS])
def test_garbage_and_damaged_pem_is_crypto_error(name, load):
    for data in (b"", b"garbage", os.urandom(300),
                 b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
                 b"-----BEGIN CERTIFICATE-----\nMIIB\n"):
        with pytest.raises(crypto.Error):
            load(crypto.FILETYPE_PEM, data)


def test_truncated_and_garbage_pkcs12_is_crypto_error(pki):
    ca, _, leaf, key = pki
    p12 = crypto.PKCS12()
    p12.set_certificate(leaf)
    p12.set_privatekey(key)
    blob = p12.export(b"pw", iter=10, maciter=10)
    for cut in range(0, len(blob) - 1, 41):
        with pytest.raises(crypto.Error):
            crypto.load_pkcs12(blob[:cut], b"pw")
    with pytest.raises(crypto.Error):
        crypto.load_pkcs12(b"garbage", b"pw")
    with pytest.raises(crypto.Error):
        crypto.load_pkcs12(blob, b"wrong")


def test_wrong_or_missing_passphrase_is_crypto_error(encrypted):
    with pytest.raises(crypto.Error):
        crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted, b"wrong")
    # No passphrase: an error, never a prompt on the terminal.
    with pytest.raises(crypto.Error):
        crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted)
    assert crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted, b"right").check()


class CallbackFailure(Exception):
    pass


def test_passphrase_callback_exception_propagates_unchanged(encrypted):
    failure = CallbackFailure("from the callback")

    def callback(writing):
        raise failure

    with pytest.raises(CallbackFailure) as info:
        crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted, callback)
    assert info.value is failure
    # The queue was left clean: the next error has nothing of this one.
    with pytest.raises(crypto.Error) as info:
        crypto.load_certificate(crypto.FILETYPE_PEM, b"garbage")
    assert not any("password" in reason or "decrypt" in reason
                   for _, _, reason in info.value.args[0])


def test_passphrase_callback_on_dump_propagates(pki):
    def callback(writing):
        assert writing == 1
        raise CallbackFailure()
    with pytest.raises(CallbackFailure):
        crypto.dump_privatekey(crypto.FILETYPE_PEM, pki[3], "aes-256-cbc", callback)


def test_passphrase_callback_results_checked(encrypted):
    with pytest.raises(ValueError):
        crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted, lambda w: u"right")
    with pytest.raises(ValueError):
        crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted, lambda w: None)
    with pytest.raises(ValueError):
        crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted, lambda w: b"x" * 100000)
    with pytest.raises(TypeError):
        crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted, u"right")


def test_wrong_key_type_for_digest(pki):
    _, _, leaf, key = pki
    ed = crypto.PKey()
    ed.generate_key(crypto.TYPE_ED25519, 0)
    with pytest.raises(crypto.Error):
        crypto.sign(ed, b"data", "sha256")
    with pytest.raises(crypto.Error):
        crypto.sign(key, b"data", "shake128")      # RSA refuses an XOF
    with pytest.raises(ValueError):
        crypto.sign(key, b"data", "no-such-digest")
    signature = crypto.sign(key, b"data", "sha256")
    with pytest.raises(crypto.Error):
        crypto.verify(leaf, signature, b"data", "sha512")


def test_wrong_argument_types_are_type_errors(pki):
    ca, _, leaf, key = pki
    with pytest.raises(TypeError):
        crypto.load_certificate(crypto.FILETYPE_PEM, 5)
    with pytest.raises(TypeError):
        crypto.dump_certificate(crypto.FILETYPE_PEM, "not a certificate")
    with pytest.raises(TypeError):
        crypto.dump_privatekey(crypto.FILETYPE_PEM, leaf)
    with pytest.raises(TypeError):
        crypto.dump_publickey(crypto.FILETYPE_PEM, None)
    with pytest.raises(TypeError):
        crypto.X509StoreContext(None, leaf)
    with pytest.raises(TypeError):
        crypto.X509StoreContext(crypto.X509Store(), key)
    with pytest.raises(TypeError):
        crypto.X509StoreContext(crypto.X509Store(), leaf, [key])
    with pytest.raises(TypeError):
        crypto.X509Store().add_cert(key)
    with pytest.raises(TypeError):
        crypto.X509Extension(b"basicConstraints", False, b"CA:FALSE", subject=key)
    with pytest.raises(TypeError):
        crypto.X509Name("CN=x")
    with pytest.raises(TypeError):
        crypto.verify(key, b"sig", b"data", "sha256")
    with pytest.raises(TypeError):
        leaf.get_extension("0")
    with pytest.raises(TypeError):
        crypto.X509Store().set_time(12345)


def test_uninitialized_key_is_value_error(pki):
    ca, _, leaf, _ = pki
    empty = crypto.PKey()
    assert empty.bits() == 0 and empty.type() == 0
    for call in (lambda: leaf.sign(empty, "sha256"),
                 lambda: crypto.sign(empty, b"x", "sha256"),
                 lambda: crypto.dump_privatekey(crypto.FILETYPE_PEM, empty),
                 lambda: crypto.X509().set_pubkey(empty)):
        with pytest.raises(ValueError):
            call()
    # a failed verification, as pyOpenSSL's own test_verify_uninitialized_key
    with pytest.raises(crypto.Error) as info:
        crypto.X509Req().verify(empty)
    assert info.value.args[0] and isinstance(info.value.args[0], list)
    with pytest.raises(TypeError):
        empty.check()


def test_unset_fields_of_a_new_certificate():
    cert = crypto.X509()
    assert cert.get_notBefore() is None and cert.get_notAfter() is None
    with pytest.raises(ValueError):
        cert.get_signature_algorithm()
    with pytest.raises(crypto.Error):
        cert.get_pubkey()
    with pytest.raises(crypto.Error):
        crypto.X509Req().get_pubkey()


def test_has_expired_without_notAfter_is_what_pyopenssl_21_and_24_raise():
    # 21: TypeError, 22+: ValueError; pyOpenSSL 24's suite checks the latter
    with pytest.raises(TypeError) as info:
        crypto.X509().has_expired()
    assert isinstance(info.value, ValueError)
    assert info.type is crypto.MissingNotAfterError
    assert str(info.value) == "notAfter is not set"
    with pytest.raises(ValueError):
        crypto.X509().has_expired()


def rss_kib():
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_create_and_destroy_in_a_loop_does_not_grow(pki):
    if tlsb_support.heap_is_instrumented():
        pytest.skip("ASan's/valgrind's allocator keeps freed blocks")
    ca, ca_key, leaf, key = pki
    pem = crypto.dump_certificate(crypto.FILETYPE_PEM, leaf)
    store = crypto.X509Store()
    store.add_cert(ca)

    def once():
        cert = crypto.load_certificate(crypto.FILETYPE_PEM, pem)
        name = cert.get_subject()
        del cert
        name.CN
        copy = crypto.X509Name(name)
        copy.O = "x"
        ext = crypto.X509Extension(b"subjectAltName", False, b"DNS:a, DNS:b")
        str(ext)
        crypto.X509StoreContext(store, crypto.load_certificate(
            crypto.FILETYPE_PEM, pem)).get_verified_chain()
        try:
            crypto.load_certificate(crypto.FILETYPE_PEM, b"garbage")
        except crypto.Error:
            pass
        crypto.load_publickey(crypto.FILETYPE_PEM,
                              crypto.dump_publickey(crypto.FILETYPE_PEM, key))

    for _ in range(500):
        once()
    gc.collect()
    before = rss_kib()
    for _ in range(4000):
        once()
    gc.collect()
    grown = rss_kib() - before
    # A leak of one certificate per round would be about 6 MiB.
    assert grown < 1024, "RSS grew by %d KiB over 4000 rounds" % grown


@pytest.mark.parametrize("key_type", ["TYPE_RSA", "TYPE_DSA"])
def test_generate_key_refuses_moduli_openssl_will_not_use(key_type):
    # 2**24 bits used to start a generation that runs for hours; OpenSSL
    # refuses RSA above 16384 and DSA above 10000 bits for any use anyway.
    key = crypto.PKey()
    for bits in (2 ** 24, 2 ** 20, 16385 if key_type == "TYPE_RSA" else 10001):
        with pytest.raises(ValueError):
            key.generate_key(getattr(crypto, key_type), bits)
