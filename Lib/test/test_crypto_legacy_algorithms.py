"""What OpenSSL 3 moved out of its defaults and pyOpenSSL (on its bundled
1.1.1) still does: Blowfish-encrypted private keys and DSA keys below 2048
bits (issue 16).  Real pyOpenSSL 21 is the oracle where it is installed:
it must read what we wrote.  And the process's default OpenSSL context, the
one the host's ssl and hashlib use, must not change."""
import hashlib
import subprocess
import sys

import pytest

from _tls_bootstrap import crypto

from crypto_support import our_pki


def _real_pyopenssl_crypto():
    try:
        from OpenSSL import crypto as real
    except ImportError:
        return None
    return real


def _md4_works():
    # md4 lives in the legacy provider on OpenSSL 3: hashlib has it only if
    # the default context loaded that provider.
    try:
        hashlib.new("md4", b"x").hexdigest()
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def key():
    return our_pki()[3]


def test_blowfish_encrypted_key_round_trip(key):
    pem = crypto.dump_privatekey(crypto.FILETYPE_PEM, key, "blowfish", b"foo")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = crypto.load_privatekey(crypto.FILETYPE_PEM, pem, b"foo")
    assert (crypto.dump_privatekey(crypto.FILETYPE_ASN1, loaded) ==
            crypto.dump_privatekey(crypto.FILETYPE_ASN1, key))
    with pytest.raises(crypto.Error) as info:
        crypto.load_privatekey(crypto.FILETYPE_PEM, pem, b"wrong")
    assert info.value.args[0]            # never an empty error list
    real = _real_pyopenssl_crypto()
    if real is not None:
        theirs = real.load_privatekey(real.FILETYPE_PEM, pem, b"foo")
        assert (real.dump_privatekey(real.FILETYPE_ASN1, theirs) ==
                crypto.dump_privatekey(crypto.FILETYPE_ASN1, key))


def test_we_read_blowfish_keys_pyopenssl_wrote(key):
    real = _real_pyopenssl_crypto()
    if real is None:
        pytest.skip("pyOpenSSL is the oracle here")
    der = crypto.dump_privatekey(crypto.FILETYPE_ASN1, key)
    theirs = real.load_privatekey(real.FILETYPE_ASN1, der)
    pem = real.dump_privatekey(real.FILETYPE_PEM, theirs, "blowfish", b"bar")
    ours = crypto.load_privatekey(crypto.FILETYPE_PEM, pem, b"bar")
    assert crypto.dump_privatekey(crypto.FILETYPE_ASN1, ours) == der


def test_a_passphrase_callback_that_raises_still_raises_with_blowfish(key):
    def callback(writing):
        raise RuntimeError("from the callback")
    with pytest.raises(RuntimeError):
        crypto.dump_privatekey(crypto.FILETYPE_PEM, key, "blowfish", callback)


def test_legacy_ciphers_leave_the_default_context_alone(key):
    before = _md4_works()
    pem = crypto.dump_privatekey(crypto.FILETYPE_PEM, key, "blowfish", b"foo")
    crypto.load_privatekey(crypto.FILETYPE_PEM, pem, b"foo")
    assert _md4_works() == before
    # and a fresh process that only imports us sees the same as one that
    # does not (the host's ssl and hashlib share that context)
    code = ("import hashlib, sys\n"
            "%s"
            "try:\n    hashlib.new('md4', b'x'); print('md4')\n"
            "except ValueError:\n    print('no md4')\n")
    plain = subprocess.check_output([sys.executable, "-c", code % ""])
    ours = subprocess.check_output([sys.executable, "-c", code % (
        "from _tls_bootstrap import crypto\n"
        "k = crypto.PKey(); k.generate_key(crypto.TYPE_RSA, 1024)\n"
        "crypto.load_privatekey(1, crypto.dump_privatekey(1, k, 'bf-cbc', b'x'), b'x')\n")])
    assert plain == ours


@pytest.mark.parametrize("bits", [512, 576, 1024])
def test_small_dsa_keys_as_pyopenssl_makes_them(bits):
    key = crypto.PKey()
    key.generate_key(crypto.TYPE_DSA, bits)
    assert key.type() == crypto.TYPE_DSA and key.bits() == bits
    cert = crypto.X509()
    cert.set_pubkey(key)
    signature = crypto.sign(key, b"data", "sha256")
    crypto.verify(cert, signature, b"data", "sha256")
    with pytest.raises(crypto.Error):
        crypto.verify(cert, signature, b"other", "sha256")
