"""crypto.CRL/Revoked (and CRL checks in X509Store), PKCS7, NetscapeSPKI,
to_cryptography()/from_cryptography(), and the values pyOpenSSL 21 shows
(issue 16).  Peers: the openssl command line reads what we write and
writes what we read; real pyOpenSSL 21 (with its own OpenSSL 1.1.1) is
the oracle for values where tox installs it."""
import warnings

import pytest

from _tls_bootstrap import crypto

from crypto_support import openssl, openssl_ok, our_pki, read, write
from tlsb_support import certfile, need


@pytest.fixture(scope="module")
def pki():
    return our_pki()


@pytest.fixture(scope="module")
def pyopenssl():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from OpenSSL import crypto as their_crypto
    except ImportError:
        their_crypto = None
    need(their_crypto is not None, "needs pyOpenSSL 21.0.0 (tox installs it)")
    return their_crypto


@pytest.fixture(scope="module")
def pyopenssl21(pyopenssl):
    """Real pyOpenSSL where it is 21.x, the release whose behaviour we
    match: later ones changed what these tests compare (Debian 12's
    python3-openssl, the deb leg's oracle, is 23.0.0)."""
    import OpenSSL
    if not OpenSSL.__version__.startswith("21."):
        pytest.skip("the oracle is pyOpenSSL 21.x, this is %s" % OpenSSL.__version__)
    return pyopenssl


def _crl(ca, ca_key, serials, reason=b"keyCompromise"):
    crl = crypto.CRL()
    for serial in serials:
        revoked = crypto.Revoked()
        revoked.set_serial(b"%x" % serial)
        revoked.set_rev_date(b"20240101000000Z")
        revoked.set_reason(reason)
        crl.add_revoked(revoked)
    return crl.export(ca, ca_key, crypto.FILETYPE_PEM, 30, b"sha256")


def test_crl_we_sign_is_verified_and_read_by_openssl(pki, tmpdir):
    ca, ca_key, leaf, _ = pki
    pem = _crl(ca, ca_key, [leaf.get_serial_number(), 0x3AB])
    out = openssl_ok("crl", "-in", write(tmpdir, "c.crl", pem), "-noout", "-text",
                     "-CAfile", write(tmpdir, "ca.pem",
                                      crypto.dump_certificate(crypto.FILETYPE_PEM, ca)))
    assert "Serial Number: 03AB" in out and "Key Compromise" in out
    status, text = openssl("crl", "-in", str(tmpdir.join("c.crl")), "-noout",
                           "-CAfile", str(tmpdir.join("ca.pem")))
    assert status == 0 and "verify OK" in text
    loaded = crypto.load_crl(crypto.FILETYPE_PEM, pem)
    assert [r.get_serial() for r in loaded.get_revoked()][1] == b"03AB"
    assert loaded.get_revoked()[0].get_reason() == b"Key Compromise"
    assert loaded.get_issuer() == ca.get_subject()
    der = crypto.dump_crl(crypto.FILETYPE_ASN1, loaded)
    assert crypto.dump_crl(crypto.FILETYPE_PEM,
                           crypto.load_crl(crypto.FILETYPE_ASN1, der)) == pem


def test_store_checks_crls_only_when_asked(pki):
    ca, ca_key, leaf, _ = pki
    store = crypto.X509Store()
    store.add_cert(ca)
    store.add_crl(crypto.load_crl(crypto.FILETYPE_PEM,
                                  _crl(ca, ca_key, [leaf.get_serial_number()])))
    crypto.X509StoreContext(store, leaf).verify_certificate()   # no flag yet
    store.set_flags(crypto.X509StoreFlags.CRL_CHECK)
    with pytest.raises(crypto.X509StoreContextError) as info:
        crypto.X509StoreContext(store, leaf).verify_certificate()
    assert info.value.args[0] == [23, 0, "certificate revoked"]
    assert info.value.errors == info.value.args[0]
    assert str(info.value) == "certificate revoked"
    # a CRL that does not list the leaf lets it through
    clean = crypto.X509Store()
    clean.add_cert(ca)
    clean.add_crl(crypto.load_crl(crypto.FILETYPE_PEM, _crl(ca, ca_key, [7])))
    clean.set_flags(crypto.X509StoreFlags.CRL_CHECK)
    crypto.X509StoreContext(clean, leaf).verify_certificate()


def test_revoked_fields_as_pyopenssl(pyopenssl):
    for impl in (crypto, pyopenssl):
        revoked = impl.Revoked()
        assert (revoked.get_serial(), revoked.get_reason()) == (b"00", None)
        revoked.set_serial(b"31ppp")
        revoked.set_reason(b"certificate Hold")
        assert revoked.get_serial() == b"31"
        assert revoked.get_reason() == b"Certificate Hold"
        with pytest.raises(ValueError):
            revoked.set_reason(b"blue")
        with pytest.raises(ValueError):
            revoked.set_serial(b"pqrst")
    assert crypto.Revoked().all_reasons() == pyopenssl.Revoked().all_reasons()


def test_pkcs7_from_openssl(pki, tmpdir):
    ca = pki[0]
    path = write(tmpdir, "ca.pem", crypto.dump_certificate(crypto.FILETYPE_PEM, ca))
    openssl_ok("crl2pkcs7", "-nocrl", "-certfile", path, "-out", str(tmpdir.join("p7")))
    p7 = crypto.load_pkcs7_data(crypto.FILETYPE_PEM, read(str(tmpdir.join("p7"))))
    assert p7.type_is_signed() and not p7.type_is_data()
    assert not p7.type_is_enveloped() and not p7.type_is_signedAndEnveloped()
    assert p7.get_type_name() == b"pkcs7-signedData"
    with pytest.raises(ValueError):
        crypto.load_pkcs7_data(crypto.FILETYPE_TEXT, b"")
    with pytest.raises(crypto.Error):
        crypto.load_pkcs7_data(crypto.FILETYPE_PEM, b"not pkcs7")


def test_netscape_spki_is_read_by_openssl(pki, tmpdir):
    key = pki[3]
    spki = crypto.NetscapeSPKI()
    spki.set_pubkey(key)
    spki.sign(key, "sha256")
    assert spki.verify(spki.get_pubkey())
    with pytest.raises(crypto.Error):
        spki.verify(pki[1])
    path = write(tmpdir, "spkac", b"SPKAC=" + spki.b64_encode() + b"\n")
    out = openssl_ok("spkac", "-in", path, "-verify", "-noout")
    assert "Signature OK" in out


def test_cryptography_round_trips(pki):
    cryptography_x509 = pytest.importorskip("cryptography.x509")
    ca, ca_key, leaf, key = pki
    theirs = leaf.to_cryptography()
    assert isinstance(theirs, cryptography_x509.Certificate)
    assert theirs.serial_number == leaf.get_serial_number()
    back = crypto.X509.from_cryptography(theirs)
    assert (crypto.dump_certificate(crypto.FILETYPE_ASN1, back) ==
            crypto.dump_certificate(crypto.FILETYPE_ASN1, leaf))
    private = key.to_cryptography_key()
    assert private.key_size == key.bits()
    assert (crypto.dump_privatekey(crypto.FILETYPE_ASN1,
                                   crypto.PKey.from_cryptography_key(private)) ==
            crypto.dump_privatekey(crypto.FILETYPE_ASN1, key))
    public = crypto.PKey.from_cryptography_key(private.public_key())
    assert public._only_public and public.bits() == key.bits()
    crl = crypto.load_crl(crypto.FILETYPE_PEM, _crl(ca, ca_key, [5]))
    assert crypto.CRL.from_cryptography(crl.to_cryptography()).get_revoked()[0] \
        .get_serial() == b"05"
    for cls in (crypto.X509, crypto.X509Req, crypto.CRL):
        with pytest.raises(TypeError):
            cls.from_cryptography(object())
    with pytest.raises(TypeError):
        crypto.PKey.from_cryptography_key(object())


@pytest.mark.parametrize("kind", ["ed25519", "ed448"])
def test_edwards_private_keys_convert_from_cryptography(kind):
    # extension (pyOpenSSL 22+ converts them; 21 raised TypeError)
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives import serialization
    module = __import__("cryptography.hazmat.primitives.asymmetric." + kind,
                        fromlist=["x"])
    cls = getattr(module, kind.capitalize() + "PrivateKey")
    theirs = cls.generate()
    der = theirs.private_bytes(serialization.Encoding.DER,
                               serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())
    ours = crypto.PKey.from_cryptography_key(theirs)
    assert not ours._only_public
    assert ours.type() == getattr(crypto, "TYPE_" + kind.upper())
    assert crypto.dump_privatekey(crypto.FILETYPE_ASN1, ours) == der
    back = ours.to_cryptography_key()
    assert isinstance(back, cls)
    assert back.private_bytes(serialization.Encoding.DER,
                              serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()) == der
    # as pyOpenSSL 22+: public Edwards keys are not taken
    with pytest.raises(TypeError):
        crypto.PKey.from_cryptography_key(theirs.public_key())


def test_ec_keys_from_cryptography_are_refused_as_pyopenssl_21(pyopenssl21):
    from cryptography.hazmat.primitives.asymmetric import ec
    theirs = ec.generate_private_key(ec.SECP256R1())
    for impl in (pyopenssl21, crypto):
        for key in (theirs, theirs.public_key()):
            with pytest.raises(TypeError) as info:
                impl.PKey.from_cryptography_key(key)
            assert str(info.value) == "Unsupported key type"


def test_values_as_pyopenssl_shows_them(pyopenssl):
    # NUL inside a subjectAltName stays visible (OpenSSL 3's printer turns
    # it into a dot: "a.example\x00b.example" would read as one name); an
    # IPv6 name as pyOpenSSL's OpenSSL 1.1.1 printed it.  Other name kinds
    # (otherName, invalid lengths) are OpenSSL's own wording, which 3.0
    # changed: not compared.
    for name in ("nulbyte.pem", "localhost.pem"):
        pem = read(certfile(name))
        ours = crypto.load_certificate(crypto.FILETYPE_PEM, pem)
        theirs = pyopenssl.load_certificate(pyopenssl.FILETYPE_PEM, pem)
        assert ours.get_extension_count() == theirs.get_extension_count()
        for i in range(ours.get_extension_count()):
            assert (ours.get_extension(i).get_short_name() ==
                    theirs.get_extension(i).get_short_name())
            # other extensions are OpenSSL's own text, which 3.0 reworded
            if ours.get_extension(i).get_short_name() == b"subjectAltName":
                assert str(ours.get_extension(i)) == str(theirs.get_extension(i)), name
        assert ours.get_signature_algorithm() == theirs.get_signature_algorithm()
