"""_tls_bootstrap.crypto on the project's fixed certificates
(Lib/test/certdata, made by make_certs.sh with the openssl CLI; see its
README for what each file is)."""
import datetime

import pytest

from _tls_bootstrap import crypto

from tlsb_support import CERTDATA, certfile


def load(name):
    with open(certfile(name), "rb") as stream:
        data = stream.read()
    if name.endswith(".der"):
        return crypto.load_certificate(crypto.FILETYPE_ASN1, data)
    return crypto.load_certificate(crypto.FILETYPE_PEM, data)


def root_store():
    store = crypto.X509Store()
    store.add_cert(load("ca.pem"))
    return store


def test_fixed_fields_of_the_localhost_leaf():
    leaf = load("localhost.pem")
    assert leaf.get_serial_number() == 0x1001
    assert leaf.get_notBefore() == b"20200101000000Z"
    assert leaf.get_notAfter() == b"21200101000000Z"
    assert leaf.get_subject().CN == u"localhost"
    assert leaf.get_subject().C == u"XY" and leaf.get_subject().O == u"_tls_bootstrap"
    assert leaf.get_issuer().CN == u"_tls_bootstrap Test Intermediate CA"
    assert crypto.dump_certificate(crypto.FILETYPE_ASN1, leaf) == \
        crypto.dump_certificate(crypto.FILETYPE_ASN1, load("localhost.der"))


def test_chain_of_three_with_the_intermediate_untrusted():
    chain = crypto.X509StoreContext(root_store(), load("localhost.pem"),
                                    [load("intermediate.pem")]).get_verified_chain()
    assert [c.get_serial_number() for c in chain] == [0x1001, 2, 1]
    with pytest.raises(crypto.X509StoreContextError) as info:
        crypto.X509StoreContext(root_store(), load("localhost.pem")).verify_certificate()
    assert info.value.args[0][0] == 20


@pytest.mark.parametrize("name, code", [("expired.pem", 10), ("notyetvalid.pem", 9),
                                        ("untrusted.pem", 20)])
def test_verification_codes(name, code):
    with pytest.raises(crypto.X509StoreContextError) as info:
        crypto.X509StoreContext(root_store(), load(name)).verify_certificate()
    assert info.value.args[0][0] == code
    assert info.value.certificate.get_serial_number() == load(name).get_serial_number()


def test_store_time_moves_the_check_into_the_leafs_validity():
    store = root_store()
    store.set_time(datetime.datetime(2010, 6, 1))
    # In 2010 the expired leaf is valid; the root (from 2020) is not yet.
    with pytest.raises(crypto.X509StoreContextError) as info:
        crypto.X509StoreContext(store, load("expired.pem")).verify_certificate()
    assert info.value.args[0][:2] == [9, 1]
    assert info.value.certificate.get_subject().CN == load("ca.pem").get_subject().CN


def test_capath_directory():
    store = crypto.X509Store()
    store.load_locations(None, CERTDATA + "/capath")
    assert crypto.X509StoreContext(store, load("rsa-direct.pem")).verify_certificate() is None


@pytest.mark.parametrize("name", ["localhost-enc.key", "localhost-enc-traditional.key"])
def test_encrypted_keys_match_the_plain_one(name):
    with open(certfile("localhost.key"), "rb") as stream:
        plain = crypto.load_privatekey(crypto.FILETYPE_PEM, stream.read())
    with open(certfile(name), "rb") as stream:
        data = stream.read()
    key = crypto.load_privatekey(crypto.FILETYPE_PEM, data, b"somepass")
    assert crypto.dump_privatekey(crypto.FILETYPE_ASN1, key) == \
        crypto.dump_privatekey(crypto.FILETYPE_ASN1, plain)
    with pytest.raises(crypto.Error):
        crypto.load_privatekey(crypto.FILETYPE_PEM, data, b"wrongpass")


def test_ecdsa_leaf_key_and_signature():
    leaf = load("ecdsa.pem")
    assert leaf.get_pubkey().type() == crypto.TYPE_EC
    assert leaf.get_pubkey().bits() == 256
    with open(certfile("ecdsa.key"), "rb") as stream:
        key = crypto.load_privatekey(crypto.FILETYPE_PEM, stream.read())
    signature = crypto.sign(key, b"payload", "sha256")
    assert crypto.verify(leaf, signature, b"payload", "sha256") is None


def test_v1_certificate_has_no_extensions():
    v1 = load("v1.pem")
    assert v1.get_version() == 0
    assert v1.get_extension_count() == 0
