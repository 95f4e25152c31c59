"""_tls_bootstrap.crypto against the openssl command line as independent
judge: what the CLI made, we read the same way it does; what we made, the
CLI parses, verifies and checks."""
import datetime
import re

import pytest

import _tls_bootstrap
from _tls_bootstrap import crypto

from crypto_support import cli_pki, openssl, openssl_ok, our_pki, pem, read, write


@pytest.fixture(scope="module")
def cli(tmpdir_factory):
    return cli_pki(tmpdir_factory.mktemp("cli-pki"))


@pytest.fixture(scope="module")
def ours():
    return our_pki()


def cli_value(path, option, *extra):
    """`openssl x509 -noout -<option>` output without the "name=" part."""
    out = openssl_ok("x509", "-noout", "-in", path, "-" + option, *extra).strip()
    return out.split("=", 1)[1] if "=" in out else out


def asn1_from_cli_date(text):
    """'Nov 22 00:55:56 2026 GMT' -> b'20261122005556Z'"""
    when = datetime.datetime.strptime(" ".join(text.split()), "%b %d %H:%M:%S %Y GMT")
    return when.strftime("%Y%m%d%H%M%SZ").encode("ascii")


# ---- what the CLI made, read by us ----------------------------------------

def test_cli_certificate_fields_match_cli_output(cli):
    leaf = crypto.load_certificate(crypto.FILETYPE_PEM, read(cli("leaf.pem")))
    assert leaf.get_serial_number() == int(cli_value(cli("leaf.pem"), "serial"), 16) == 4660
    assert leaf.get_version() == 2
    assert leaf.subject_name_hash() == int(cli_value(cli("leaf.pem"), "hash"), 16)
    assert leaf.get_subject().hash() == int(cli_value(cli("leaf.pem"), "subject_hash"), 16)
    assert leaf.get_issuer().hash() == int(cli_value(cli("leaf.pem"), "issuer_hash"), 16)
    assert leaf.digest("sha256") == cli_value(cli("leaf.pem"), "fingerprint", "-sha256").encode()
    assert leaf.digest("sha1") == cli_value(cli("leaf.pem"), "fingerprint", "-sha1").encode()
    assert leaf.get_notBefore() == asn1_from_cli_date(cli_value(cli("leaf.pem"), "startdate"))
    assert leaf.get_notAfter() == asn1_from_cli_date(cli_value(cli("leaf.pem"), "enddate"))
    assert leaf.has_expired() is False
    assert leaf.get_signature_algorithm() == b"sha256WithRSAEncryption"
    assert leaf.get_subject().CN == u"cli.example"
    assert leaf.get_subject().emailAddress == u"a@example.com"
    assert leaf.get_issuer().get_components() == [(b"C", b"US"), (b"O", b"CLI CA"),
                                                  (b"CN", b"CLI Root")]


def test_cli_der_and_pem_load_to_the_same_certificate(cli):
    from_pem = crypto.load_certificate(crypto.FILETYPE_PEM, read(cli("leaf.pem")))
    from_der = crypto.load_certificate(crypto.FILETYPE_ASN1, read(cli("leaf.der")))
    assert crypto.dump_certificate(crypto.FILETYPE_ASN1, from_pem) == read(cli("leaf.der"))
    assert crypto.dump_certificate(crypto.FILETYPE_PEM, from_der) == read(cli("leaf.pem"))


def test_cli_extensions_read_by_us(cli):
    leaf = crypto.load_certificate(crypto.FILETYPE_PEM, read(cli("leaf.pem")))
    by_name = dict((leaf.get_extension(i).get_short_name(), leaf.get_extension(i))
                   for i in range(leaf.get_extension_count()))
    assert str(by_name[b"subjectAltName"]) == "DNS:cli.example, IP Address:127.0.0.1"
    assert by_name[b"basicConstraints"].get_critical() == 1
    assert str(by_name[b"basicConstraints"]) == "CA:FALSE"
    text = openssl_ok("x509", "-noout", "-text", "-in", cli("leaf.pem"))
    assert "DNS:cli.example, IP Address:127.0.0.1" in text


def test_our_text_dump_is_the_clis(cli):
    leaf = crypto.load_certificate(crypto.FILETYPE_PEM, read(cli("leaf.pem")))
    ours = crypto.dump_certificate(crypto.FILETYPE_TEXT, leaf).decode("utf-8")
    theirs = openssl_ok("x509", "-noout", "-text", "-nameopt", "compat",
                        "-in", cli("leaf.pem"))
    cli_major = int(openssl_ok("version").split()[1].split(".")[0])
    if cli_major == _tls_bootstrap.OPENSSL_VERSION_INFO[0]:
        assert ours.splitlines() == theirs.splitlines()
    else:
        # A library of another major version words extensions and keys its
        # own way ("RSA Public-Key", "keyid:"); the fields still agree.
        fields = ("Serial Number", "Issuer:", "Subject:", "Not Before", "Not After",
                  "Signature Algorithm")
        pick = lambda text: [l for l in text.splitlines()  # noqa: E731
                             if l.strip().startswith(fields)]
        assert pick(ours) == pick(theirs) and len(pick(ours)) == 7


def test_cli_csr_verified_by_us(cli):
    req = crypto.load_certificate_request(crypto.FILETYPE_PEM, read(cli("leaf.csr")))
    assert req.verify(req.get_pubkey()) == 1
    assert req.get_subject().CN == u"cli.example"
    other = crypto.load_privatekey(crypto.FILETYPE_PEM, read(cli("ca.key")))
    with pytest.raises(crypto.Error):
        req.verify(other)


def test_cli_encrypted_key_opened_by_us(cli):
    plain = crypto.load_privatekey(crypto.FILETYPE_PEM, read(cli("leaf.key")))
    opened = crypto.load_privatekey(crypto.FILETYPE_PEM, read(cli("leaf_enc.key")),
                                    b"clipass")
    assert crypto.dump_privatekey(crypto.FILETYPE_ASN1, opened) == \
        crypto.dump_privatekey(crypto.FILETYPE_ASN1, plain)
    assert opened.check() is True
    with pytest.raises(crypto.Error):
        crypto.load_privatekey(crypto.FILETYPE_PEM, read(cli("leaf_enc.key")), b"wrong")


def test_cli_pkcs12_read_by_us(cli):
    p12 = crypto.load_pkcs12(read(cli("leaf.p12")), b"p12pass")
    assert p12.get_friendlyname() == b"cli friendly"
    assert p12.get_certificate().get_serial_number() == 4660
    assert [c.get_subject().CN for c in p12.get_ca_certificates()] == [u"CLI Root"]
    plain = crypto.load_privatekey(crypto.FILETYPE_PEM, read(cli("leaf.key")))
    assert crypto.dump_privatekey(crypto.FILETYPE_ASN1, p12.get_privatekey()) == \
        crypto.dump_privatekey(crypto.FILETYPE_ASN1, plain)


def test_cli_signature_verified_by_us(cli, tmpdir):
    data = write(tmpdir, "data", b"signed by the command line")
    openssl_ok("dgst", "-sha256", "-sign", cli("leaf.key"), "-out",
               str(tmpdir.join("sig")), data)
    leaf = crypto.load_certificate(crypto.FILETYPE_PEM, read(cli("leaf.pem")))
    signature = read(str(tmpdir.join("sig")))
    assert crypto.verify(leaf, signature, b"signed by the command line", "sha256") is None
    with pytest.raises(crypto.Error):
        crypto.verify(leaf, signature, b"something else", "sha256")


def test_store_from_cli_files_and_hashed_directory(cli, tmpdir):
    leaf = crypto.load_certificate(crypto.FILETYPE_PEM, read(cli("leaf.pem")))
    store = crypto.X509Store()
    store.load_locations(cli("ca.pem"))
    assert crypto.X509StoreContext(store, leaf).verify_certificate() is None
    hashed = tmpdir.mkdir("hashed")
    write(hashed, "ca.pem", read(cli("ca.pem")))
    openssl_ok("rehash", str(hashed))
    store = crypto.X509Store()
    store.load_locations(None, str(hashed))
    chain = crypto.X509StoreContext(store, leaf).get_verified_chain()
    assert [c.get_subject().CN for c in chain] == [u"cli.example", u"CLI Root"]


def test_store_loads_locations_with_non_ascii_text_and_bytes_paths(cli, tmpdir):
    # What pyOpenSSL's test_load_locations_parameters checks through a mock
    # of its private _lib (listed in pyopenssl_known_failures.txt): text
    # paths in the file system's encoding, bytes paths as they are.
    import os
    import sys
    encoding = sys.getfilesystemencoding()
    base = str(tmpdir)
    if isinstance(base, bytes):
        base = base.decode(encoding)
    text_dir = os.path.join(base, u"ca\u2603")
    text_file = os.path.join(text_dir, u"ca\u2603.pem")
    os.mkdir(text_dir)
    with open(text_file, "wb") as stream:
        stream.write(read(cli("ca.pem")))
    native_dir = text_dir if str is not bytes else text_dir.encode(encoding)
    openssl_ok("rehash", native_dir)
    leaf = crypto.load_certificate(crypto.FILETYPE_PEM, read(cli("leaf.pem")))
    for cafile, capath in ((text_file, None), (None, text_dir),
                           (text_file.encode(encoding), None),
                           (None, text_dir.encode(encoding))):
        store = crypto.X509Store()
        store.load_locations(cafile, capath)
        assert crypto.X509StoreContext(store, leaf).verify_certificate() is None
    with pytest.raises(crypto.Error):
        crypto.X509Store().load_locations(os.path.join(text_dir, u"absent.pem"))


# ---- what we made, judged by the CLI --------------------------------------

def test_our_certificates_parsed_and_verified_by_cli(ours, tmpdir):
    ca, _, leaf, _ = ours
    ca_path = write(tmpdir, "ca.pem", pem(ca))
    leaf_path = write(tmpdir, "leaf.pem", pem(leaf))
    text = openssl_ok("x509", "-text", "-noout", "-in", leaf_path)
    assert "Version: 3 (0x2)" in text
    assert re.search(r"Subject: CN ?= ?localhost", text)
    assert "Issuer: C = US, O = Portable, CN = Our Test Root" in text
    assert "DNS:localhost, IP Address:127.0.0.1" in text
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in text
    assert "Signature Algorithm: sha256WithRSAEncryption" in text
    assert "CA:TRUE" in openssl_ok("x509", "-text", "-noout", "-in", ca_path)
    out = openssl_ok("verify", "-CAfile", ca_path, leaf_path)
    assert out.strip() == leaf_path + ": OK"
    # The CLI agrees with our fingerprint and serial.
    assert leaf.digest("sha256") == cli_value(leaf_path, "fingerprint", "-sha256").encode()
    assert leaf.get_serial_number() == int(cli_value(leaf_path, "serial"), 16)


def test_cli_refuses_our_leaf_under_another_ca(ours, tmpdir):
    _, _, leaf, _ = ours
    other_ca, _, _, _ = our_pki()
    status, out = openssl("verify", "-CAfile", write(tmpdir, "other.pem", pem(other_ca)),
                          write(tmpdir, "leaf.pem", pem(leaf)))
    assert status != 0
    assert "unable to get local issuer certificate" in out or "signature" in out


def test_our_csr_verified_by_cli(tmpdir):
    key = crypto.PKey()
    key.generate_key(crypto.TYPE_RSA, 2048)
    req = crypto.X509Req()
    req.get_subject().CN = "csr.example"
    req.get_subject().O = "Ours"
    req.set_pubkey(key)
    req.add_extensions([crypto.X509Extension(b"subjectAltName", False, b"DNS:csr.example")])
    req.sign(key, "sha256")
    path = write(tmpdir, "req.pem", pem(req))
    out = openssl_ok("req", "-verify", "-noout", "-text", "-in", path)
    assert "verify OK" in out
    assert "DNS:csr.example" in out
    assert re.search(r"Subject: CN ?= ?csr.example, O ?= ?Ours", out)


@pytest.mark.parametrize("kind, spec", [
    ("rsa", 2048), ("dsa", 2048), ("ec", "prime256v1"), ("ed25519", 0)])
def test_our_private_keys_checked_by_cli(kind, spec, tmpdir):
    key_type = {"rsa": crypto.TYPE_RSA, "dsa": crypto.TYPE_DSA, "ec": crypto.TYPE_EC,
                "ed25519": crypto.TYPE_ED25519}[kind]
    key = crypto.PKey()
    key.generate_key(key_type, spec)
    assert key.type() == key_type
    path = write(tmpdir, "key.pem", crypto.dump_privatekey(crypto.FILETYPE_PEM, key))
    if kind != "dsa":    # OpenSSL's pkey -check has no DSA private-key check
        assert "Key is valid" in openssl_ok("pkey", "-check", "-noout", "-in", path)
    public = openssl_ok("pkey", "-pubout", "-in", path)
    assert public.encode("ascii") == crypto.dump_publickey(crypto.FILETYPE_PEM, key)
    der_path = write(tmpdir, "key.der", crypto.dump_privatekey(crypto.FILETYPE_ASN1, key))
    assert openssl_ok("pkey", "-inform", "DER", "-in", der_path, "-pubout") == public


def test_our_encrypted_key_opened_by_cli(tmpdir):
    key = crypto.PKey()
    key.generate_key(crypto.TYPE_RSA, 2048)
    encrypted = crypto.dump_privatekey(crypto.FILETYPE_PEM, key, "aes-256-cbc", b"pw")
    assert encrypted.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    path = write(tmpdir, "enc.pem", encrypted)
    out = openssl_ok("pkey", "-check", "-noout", "-passin", "pass:pw", "-in", path)
    assert "Key is valid" in out
    status, _ = openssl("pkey", "-noout", "-passin", "pass:wrong", "-in", path)
    assert status != 0


def test_our_pkcs12_read_by_cli(ours, tmpdir):
    ca, _, leaf, key = ours
    p12 = crypto.PKCS12()
    p12.set_certificate(leaf)
    p12.set_privatekey(key)
    p12.set_ca_certificates([ca])
    p12.set_friendlyname(b"ours")
    path = write(tmpdir, "ours.p12", p12.export(b"pw"))
    out = openssl_ok("pkcs12", "-info", "-nodes", "-passin", "pass:pw", "-in", path)
    assert "friendlyName: ours" in out
    assert out.count("-----BEGIN CERTIFICATE-----") == 2
    assert "-----BEGIN PRIVATE KEY-----" in out
    assert "subject=CN = localhost" in out or "subject=/CN=localhost" in out
    status, _ = openssl("pkcs12", "-info", "-nodes", "-passin", "pass:wrong", "-in", path)
    assert status != 0


def test_our_signature_verified_by_cli(ours, tmpdir):
    _, _, leaf, key = ours
    signature = crypto.sign(key, b"signed by us", "sha256")
    pub = write(tmpdir, "pub.pem", crypto.dump_publickey(crypto.FILETYPE_PEM, leaf.get_pubkey()))
    out = openssl_ok("dgst", "-sha256", "-verify", pub, "-signature",
                     write(tmpdir, "sig", signature), write(tmpdir, "data", b"signed by us"))
    assert out.strip() == "Verified OK"
    status, out = openssl("dgst", "-sha256", "-verify", pub, "-signature",
                          write(tmpdir, "sig", signature), write(tmpdir, "data", b"other"))
    assert status != 0 and "verification failure" in out.lower()


def test_ed25519_certificate_signed_without_digest_verified_by_cli(tmpdir):
    key = crypto.PKey()
    key.generate_key(crypto.TYPE_ED25519, 0)
    cert = crypto.X509()
    cert.set_version(2)
    cert.set_serial_number(7)
    cert.get_subject().CN = "ed25519.example"
    cert.set_issuer(cert.get_subject())
    cert.gmtime_adj_notBefore(0)
    cert.gmtime_adj_notAfter(3600)
    cert.set_pubkey(key)
    with pytest.raises(crypto.Error):
        cert.sign(key, "sha256")        # EdDSA takes no separate digest
    cert.sign(key, None)
    assert cert.get_signature_algorithm() == b"ED25519"
    path = write(tmpdir, "ed.pem", pem(cert))
    assert openssl_ok("verify", "-CAfile", path, path).strip() == path + ": OK"
    signature = crypto.sign(key, b"data", None)
    assert crypto.verify(cert, signature, b"data", None) is None
