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
