"""_tls_bootstrap.crypto objects: lifetimes (a name outlives its
certificate), views that write through, copies that do not, extensions,
keys of every type, stores with intermediates and flags, PKCS #12."""
import datetime
import gc
import sys

import pytest

import _tls_bootstrap
import _tls_bootstrap_core
from _tls_bootstrap import crypto

import crypto_portable_script as script
from crypto_support import our_pki


@pytest.fixture(scope="module")
def pki():
    return our_pki()


def test_crypto_is_reachable_as_pyopenssl_code_imports_it():
    from _tls_bootstrap import crypto as imported
    assert imported is _tls_bootstrap_core.crypto is _tls_bootstrap.crypto
    assert crypto.__name__ == "_tls_bootstrap.crypto"
    for name in ("X509", "X509Name", "X509Req", "X509Extension", "PKey", "PKCS12",
                 "X509Store", "X509StoreContext"):
        assert getattr(crypto, name).__module__ == "_tls_bootstrap.crypto"
        assert getattr(crypto, name).__name__ == name
    assert issubclass(crypto.Error, Exception)
    assert issubclass(crypto.X509StoreContextError, Exception)


def test_name_outlives_its_certificate(pki):
    pem = crypto.dump_certificate(crypto.FILETYPE_PEM, pki[2])
    subject = crypto.load_certificate(crypto.FILETYPE_PEM, pem).get_subject()
    issuer = crypto.load_certificate(crypto.FILETYPE_PEM, pem).get_issuer()
    gc.collect()
    assert subject.CN == u"localhost"
    assert issuer.CN == u"Our Test Root"
    subject.CN = "still writable"
    assert subject.get_components() == [(b"CN", b"still writable")]


def test_name_outlives_its_request():
    req = crypto.X509Req()
    name = req.get_subject()
    name.CN = "request"
    del req
    gc.collect()
    assert name.CN == u"request"


def test_subject_view_writes_through_and_survives_set_subject(pki):
    cert = crypto.X509()
    view = cert.get_subject()
    view.CN = "first"
    assert cert.get_subject().CN == u"first"
    cert.set_subject(pki[0].get_subject())     # replaces the name inside cert
    assert view.CN == u"Our Test Root"         # the view follows, no dangling
    view.O = "Changed"
    assert cert.get_subject().O == u"Changed"
    assert pki[0].get_subject().O == u"Portable"   # set_subject copied


def test_name_copy_is_independent(pki):
    original = pki[0].get_subject()
    copy = crypto.X509Name(original)
    copy.CN = "copy"
    assert original.CN == u"Our Test Root" and copy.CN == u"copy"
    assert copy != original


def test_name_attributes_long_and_short(pki):
    name = crypto.X509Name(pki[0].get_subject())
    for long_name, short in [("commonName", "CN"), ("countryName", "C"),
                             ("stateOrProvinceName", "ST"), ("localityName", "L"),
                             ("organizationName", "O"),
                             ("organizationalUnitName", "OU"), ("emailAddress", None)]:
        value = "ZZ" if short == "C" else "v-" + long_name
        setattr(name, long_name, value)
        assert getattr(name, long_name) == value
        if short:
            assert getattr(name, short) == value
    assert name.get_components()[-1] == (b"emailAddress", b"v-emailAddress")
    name.CN = u"caf\xe9"
    assert name.CN == u"caf\xe9"
    assert (b"CN", u"caf\xe9".encode("utf-8")) in name.get_components()
    with pytest.raises(AttributeError):
        name.noSuchAttribute
    with pytest.raises(AttributeError):
        name.noSuchAttribute = "x"
    with pytest.raises(AttributeError):
        del name.CN
    with pytest.raises(TypeError):
        name.CN = 5
    with pytest.raises(crypto.Error):
        name.C = "too long"
    assert name.C == u"ZZ"                     # a refused value changes nothing


def test_name_ordering_hash_and_der(pki):
    ca, _, leaf, _ = pki
    a, b = ca.get_subject(), leaf.get_subject()
    assert a == crypto.X509Name(a) and not (a != crypto.X509Name(a))
    assert (a < b) != (a > b)
    assert (a <= b) == (a < b)
    assert (a == "text") is False
    if sys.version_info[0] >= 3:
        with pytest.raises(TypeError):
            a < 5
    assert a.hash() == ca.subject_name_hash()
    assert a.der().startswith(b"0")
    assert repr(a) == "<X509Name object '/C=US/O=Portable/CN=Our Test Root'>"


def test_extension_values_and_text(pki):
    ca, _, leaf, _ = pki
    bc = crypto.X509Extension(b"basicConstraints", True, b"CA:TRUE, pathlen:0")
    assert (bc.get_short_name(), bc.get_critical(), bc.get_data(), str(bc)) == \
        (b"basicConstraints", 1, b"0\x06\x01\x01\xff\x02\x01\x00", "CA:TRUE, pathlen:0")
    ku = crypto.X509Extension(b"keyUsage", False, b"digitalSignature, keyCertSign")
    assert (ku.get_critical(), ku.get_data(), str(ku)) == \
        (0, b"\x03\x02\x02\x84", "Digital Signature, Certificate Sign")
    eku = crypto.X509Extension(b"extendedKeyUsage", False, b"serverAuth")
    assert str(eku) == "TLS Web Server Authentication"
    san = crypto.X509Extension(b"subjectAltName", False,
                               b"DNS:example.com, IP:127.0.0.1, email:a@b.c, URI:http://x/")
    assert str(san) == "DNS:example.com, IP Address:127.0.0.1, email:a@b.c, URI:http://x/"
    ski = crypto.X509Extension(b"subjectKeyIdentifier", False, b"hash", subject=ca)
    aki = crypto.X509Extension(b"authorityKeyIdentifier", False, b"keyid:always",
                               issuer=ca)
    # The AKI's keyid is the CA's SKI (an OCTET STRING in both encodings).
    assert aki.get_data()[4:] == ski.get_data()[2:]
    leaf_exts = [leaf.get_extension(i).get_short_name()
                 for i in range(leaf.get_extension_count())]
    assert leaf_exts == [b"basicConstraints", b"keyUsage", b"extendedKeyUsage",
                         b"subjectAltName", b"authorityKeyIdentifier"]
    with pytest.raises(TypeError):
        crypto.X509Extension(u"basicConstraints", True, b"CA:TRUE")
    kw = crypto.X509Extension(type_name=b"basicConstraints", critical=False,
                              value=b"CA:FALSE")
    assert str(kw) == "CA:FALSE"


def test_extension_from_certificate_is_a_copy(pki):
    leaf = crypto.load_certificate(
        crypto.FILETYPE_PEM, crypto.dump_certificate(crypto.FILETYPE_PEM, pki[2]))
    ext = leaf.get_extension(3)
    del leaf
    gc.collect()
    assert str(ext) == "DNS:localhost, IP Address:127.0.0.1"
    with pytest.raises(IndexError):
        pki[2].get_extension(-1)


@pytest.mark.parametrize("spec, bits, curve_name", [
    ("prime256v1", 256, "prime256v1"), ("secp384r1", 384, "secp384r1"),
    (256, 256, "prime256v1"), (521, 521, "secp521r1"), ("P-384", 384, "secp384r1")])
def test_elliptic_curve_keys(spec, bits, curve_name, tmpdir):
    key = crypto.PKey()
    key.generate_key(crypto.TYPE_EC, spec)
    assert key.type() == crypto.TYPE_EC and key.bits() == bits
    curve = crypto.get_elliptic_curve(curve_name)
    key2 = crypto.PKey()
    key2.generate_key(crypto.TYPE_EC, curve)
    assert key2.bits() == bits
    with pytest.raises(TypeError):
        key.check()                      # pyOpenSSL checks RSA keys only
    with pytest.raises(TypeError):       # and dumps them only as text
        crypto.dump_privatekey(crypto.FILETYPE_TEXT, key)
    try:
        import cryptography  # noqa: F401
    except ImportError:     # (the refleak leg's debug interpreters)
        return
    # cryptography calls prime256v1 by its SEC name
    assert key.to_cryptography_key().curve.name == {
        "prime256v1": "secp256r1"}.get(curve_name, curve_name)


def test_elliptic_curve_objects():
    curves = crypto.get_elliptic_curves()
    assert crypto.get_elliptic_curve("prime256v1") in curves
    assert crypto.get_elliptic_curve("prime256v1") == crypto.get_elliptic_curve("prime256v1")
    assert crypto.get_elliptic_curve("prime256v1").name == u"prime256v1"
    with pytest.raises(ValueError):
        crypto.get_elliptic_curve("no-such-curve")
    with pytest.raises(ValueError):
        crypto.PKey().generate_key(crypto.TYPE_EC, 255)


@pytest.mark.parametrize("key_type, bits", [
    (crypto.TYPE_ED25519, (253, 256)), (crypto.TYPE_ED448, (456,))])
def test_edwards_keys(key_type, bits):
    key = crypto.PKey()
    key.generate_key(key_type, 0)
    assert key.type() == key_type and key.bits() in bits
    pem = crypto.dump_privatekey(crypto.FILETYPE_PEM, key)
    assert crypto.load_privatekey(crypto.FILETYPE_PEM, pem).type() == key_type


def test_rsa_and_dsa_keys():
    key = crypto.PKey()
    key.generate_key(crypto.TYPE_RSA, 1024)
    assert (key.type(), key.bits(), key.check()) == (crypto.TYPE_RSA, 1024, True)
    key.generate_key(crypto.TYPE_DSA, 1024)       # replaces the RSA key
    assert (key.type(), key.bits()) == (crypto.TYPE_DSA, 1024)
    public = crypto.load_publickey(crypto.FILETYPE_PEM,
                                   crypto.dump_publickey(crypto.FILETYPE_PEM, key))
    assert public.bits() == 1024
    with pytest.raises(TypeError):
        public.check()


def make_chain():
    root_key = script.make_key(crypto, 2048)
    root = script.make_ca(crypto, root_key, cn="Chain Root")
    mid_key = script.make_key(crypto, 2048)
    mid = crypto.X509()
    mid.set_version(2)
    mid.set_serial_number(10)
    mid.get_subject().CN = "Chain Intermediate"
    mid.set_issuer(root.get_subject())
    mid.gmtime_adj_notBefore(-3600)
    mid.gmtime_adj_notAfter(86400)
    mid.set_pubkey(mid_key)
    mid.add_extensions([crypto.X509Extension(b"basicConstraints", True, b"CA:TRUE"),
                        crypto.X509Extension(b"subjectKeyIdentifier", False, b"hash",
                                             subject=mid)])
    mid.sign(root_key, "sha256")
    leaf_key = script.make_key(crypto, 2048)
    _, leaf = script.make_leaf(crypto, mid, mid_key, leaf_key)
    return root, mid, leaf


def test_store_context_with_untrusted_intermediates():
    root, mid, leaf = make_chain()
    store = crypto.X509Store()
    store.add_cert(root)
    store.add_cert(root)                       # twice is fine
    with pytest.raises(crypto.X509StoreContextError) as info:
        crypto.X509StoreContext(store, leaf).verify_certificate()
    assert info.value.args[0][:2] == [20, 0]
    assert info.value.certificate.get_subject().CN == u"localhost"
    chain = crypto.X509StoreContext(store, leaf, [mid]).get_verified_chain()
    assert [c.get_subject().CN for c in chain] == \
        [u"localhost", u"Chain Intermediate", u"Chain Root"]
    partial = crypto.X509Store()
    partial.add_cert(mid)
    with pytest.raises(crypto.X509StoreContextError):
        crypto.X509StoreContext(partial, leaf).verify_certificate()
    partial.set_flags(crypto.X509StoreFlags.PARTIAL_CHAIN)
    assert crypto.X509StoreContext(partial, leaf).verify_certificate() is None
    context = crypto.X509StoreContext(crypto.X509Store(), leaf, (mid,))
    context.set_store(store)
    assert context.verify_certificate() is None


def test_store_time_before_validity():
    root, mid, leaf = make_chain()
    store = crypto.X509Store()
    store.add_cert(root)
    store.set_time(datetime.datetime(2000, 1, 1))
    with pytest.raises(crypto.X509StoreContextError) as info:
        crypto.X509StoreContext(store, leaf, [mid]).verify_certificate()
    assert info.value.args[0][0] == 9          # X509_V_ERR_CERT_NOT_YET_VALID
    assert info.value.args[0][2] == "certificate is not yet valid"


def test_times_serials_and_expiry():
    cert = crypto.X509()
    cert.set_notBefore(b"20200101000000Z")
    cert.set_notAfter(b"20210101000000+0100")
    assert cert.get_notBefore() == b"20200101000000Z"
    assert cert.get_notAfter() == b"20210101000000+0100"
    assert cert.has_expired() is True
    cert.set_notAfter(b"20991231235959Z")
    assert cert.has_expired() is False
    cert.gmtime_adj_notAfter(-60)
    assert cert.has_expired() is True
    with pytest.raises(ValueError):
        cert.set_notBefore(b"2020")
    for serial in (0, 1, 2 ** 64, 2 ** 159 - 1):
        cert.set_serial_number(serial)
        assert cert.get_serial_number() == serial


def test_pkcs12_variants(pki):
    ca, _, leaf, key = pki
    only_cert = crypto.PKCS12()
    only_cert.set_certificate(leaf)
    loaded = crypto.load_pkcs12(only_cert.export(b"pw"), b"pw")
    # Without its key, OpenSSL's parser files the certificate with the CA
    # certificates (pyOpenSSL 21 shows the same).
    assert loaded.get_privatekey() is None and loaded.get_certificate() is None
    assert [c.digest("sha256") for c in loaded.get_ca_certificates()] == \
        [leaf.digest("sha256")]
    assert loaded.get_friendlyname() is None
    unprotected = crypto.PKCS12()
    unprotected.set_certificate(leaf)
    unprotected.set_privatekey(key)
    loaded = crypto.load_pkcs12(unprotected.export())
    assert loaded.get_certificate().digest("sha256") == leaf.digest("sha256")
    both = crypto.PKCS12()
    both.set_ca_certificates((ca,))
    assert isinstance(both.get_ca_certificates(), tuple)
    both.set_ca_certificates(None)
    assert both.get_ca_certificates() is None
    with pytest.raises(TypeError):
        both.set_friendlyname(u"text")
    with pytest.raises(crypto.Error):
        crypto.PKCS12().export(b"pw")          # nothing to export


def test_subclasses_work(pki):
    class MyX509(crypto.X509):
        pass
    cert = MyX509()
    cert.set_serial_number(3)
    assert cert.get_serial_number() == 3 and isinstance(cert, crypto.X509)
