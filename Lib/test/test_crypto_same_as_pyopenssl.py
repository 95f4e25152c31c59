"""The same script (crypto_portable_script.py), written against pyOpenSSL
21, run with `crypto` bound to pyOpenSSL 21 and to _tls_bootstrap.crypto:
both must observe the same results, and each must read what the other
wrote.  pyOpenSSL 21 is installed by tox (with cryptography 3.3.2, which
has wheels for 2.7 and every 3.x here); without it these tests skip, and
fail in CI."""
import warnings

import pytest

from _tls_bootstrap import crypto, rand

import crypto_portable_script as script
from tlsb_support import need


@pytest.fixture(scope="module")
def pyopenssl():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # cryptography's 2.7 deprecation
            import OpenSSL
            from OpenSSL import crypto as their_crypto, rand as their_rand
    except ImportError:
        OpenSSL = None
    need(OpenSSL is not None, "needs pyOpenSSL 21.0.0 (tox installs it)")
    assert OpenSSL.__version__ == "21.0.0"
    return their_crypto, their_rand


def test_pyopenssl_is_the_oracle_not_us(pyopenssl):
    their_crypto, _ = pyopenssl
    assert their_crypto.X509 is not crypto.X509
    assert their_crypto.X509.__module__ == "OpenSSL.crypto"
    assert crypto.X509.__module__ == "_tls_bootstrap.crypto"


def test_script_observes_the_same_with_both(pyopenssl):
    their_crypto, their_rand = pyopenssl
    theirs = script.run(their_crypto, their_rand)
    ours = script.run(crypto, rand)
    assert sorted(ours) == sorted(theirs)
    different = dict((key, (theirs[key], ours[key])) for key in theirs
                     if theirs[key] != ours[key])
    assert different == {}


def test_we_read_what_pyopenssl_wrote(pyopenssl):
    their_crypto, _ = pyopenssl
    made = script.artifacts(their_crypto)
    assert script.read_artifacts(crypto, made) == \
        script.read_artifacts(their_crypto, made)


def test_pyopenssl_reads_what_we_wrote(pyopenssl):
    their_crypto, _ = pyopenssl
    made = script.artifacts(crypto)
    seen = script.read_artifacts(their_crypto, made)
    assert seen == script.read_artifacts(crypto, made)
    assert seen["chain"] == ["localhost", "Portable Test Root"]
    assert seen["keys equal"] and seen["public matches"]
    assert seen["p12 name"] == b"portable leaf"


def test_error_lists_have_pyopenssls_shape(pyopenssl):
    their_crypto, _ = pyopenssl
    for impl in (their_crypto, crypto):
        with pytest.raises(impl.Error) as info:
            impl.load_certificate(impl.FILETYPE_PEM, b"garbage")
        errors = info.value.args[0]
        assert len(info.value.args) == 1
        assert isinstance(errors, list) and errors
        lib, func, reason = errors[-1]
        assert all(isinstance(part, str) for part in (lib, func, reason))
        assert issubclass(impl.Error, Exception)


# Issue 14 item 8: OpenSSL 3.0 fails some of these with an empty error
# queue, which made crypto.Error([]); pyOpenSSL 21 (on 1.1.1) names the
# error, and so must we.
DSA_DIGESTS = ("md5", "md4", "sha1", "sha224", "sha256", "sha512", "sha512-224",
               "sha3-256", "blake2b512", "shake128", "ripemd160", "md5-sha1")


def outcome(action):
    try:
        result = action()
    except Exception as exc:
        return (type(exc).__name__, exc.args)
    return ("ok", type(result).__name__)


def dsa_signing_outcomes(module, key_pem):
    key = module.load_privatekey(module.FILETYPE_PEM, key_pem)
    seen = {}
    for digest in DSA_DIGESTS:
        cert = module.X509()
        cert.set_pubkey(key)
        cert.get_subject().CN = "dsa"
        cert.set_issuer(cert.get_subject())
        cert.gmtime_adj_notBefore(0)
        cert.gmtime_adj_notAfter(3600)
        req = module.X509Req()
        req.set_pubkey(key)
        seen[digest] = (outcome(lambda: module.sign(key, b"data", digest)),)
        # 1.1.1 has no signature OID for DSA with SHA-512 or SHA-3, 3.0
        # has: certificates and requests signed so are an addition.
        if digest not in ("sha512", "sha3-256"):
            seen[digest] += (outcome(lambda: cert.sign(key, digest)),
                             outcome(lambda: req.sign(key, digest)))
    return seen


def test_dsa_signing_digests_fail_as_in_pyopenssl(pyopenssl):
    their_crypto, _ = pyopenssl
    key = crypto.PKey()
    key.generate_key(crypto.TYPE_DSA, 1024)
    pem = crypto.dump_privatekey(crypto.FILETYPE_PEM, key)
    theirs = dsa_signing_outcomes(their_crypto, pem)
    assert theirs["md5"][0] == ("Error", ([("dsa routines", "pkey_dsa_ctrl",
                                            "invalid digest type")],))
    assert dsa_signing_outcomes(crypto, pem) == theirs


def test_small_dsa_keys_as_in_pyopenssl(pyopenssl):
    # pyOpenSSL 21 asks 1.1.1 for 512 bits below that size.  Where this
    # OpenSSL cannot make 512-bit DSA keys yet, ours fails as 512 does:
    # with the error OpenSSL gives, never an empty list.
    their_crypto, _ = pyopenssl
    at_512 = outcome(lambda: crypto.PKey().generate_key(crypto.TYPE_DSA, 512))
    for bits in (1, 8, 511):
        theirs = their_crypto.PKey()
        theirs.generate_key(their_crypto.TYPE_DSA, bits)
        assert theirs.bits() == 512
        ours = crypto.PKey()
        got = outcome(lambda: ours.generate_key(crypto.TYPE_DSA, bits))
        if at_512[0] == "ok":
            assert (got, ours.bits()) == (("ok", "NoneType"), 512)
        else:
            assert got == at_512
            assert got[1][0] != []
