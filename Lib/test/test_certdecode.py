"""Certificate decoding: _tls_bootstrap_core._test_decode_cert() returns,
for every certificate, the dict CPython 3.13's getpeercert() gives, on
every interpreter.

Oracles, strongest first:
- Lib/test/certdata/<name>.decoded.json, written by CPython 3.13 itself
  (make_golden.py), for every certificate in certdata;
- certificates built here byte by byte (odd strings, serials, extensions),
  with what CPython 3.13 returns for them written down below, and compared
  live with the host's own decoder;
- the host's own ssl._ssl._test_decode_cert, equal to ours but for the
  old-host bugs named in OLD_HOST_BUGS; on 2.7 also in the type of every
  value.

Also here: the certificate set means what its file names say (openssl
verify), and bad input raises what 3.13 raises.
"""
import base64
import io
import json
import os
import ssl
import subprocess
import sys

import pytest

import _tls_bootstrap_core as core
import tlsb_support
from tlsb_support import (CERTDATA, PY2, MemoryPair, certfile, client_context,
                          openssl_cli, server_context)

sys.path.insert(0, CERTDATA)
from make_golden import single_certificate_files  # noqa: E402

CERTIFICATES = single_certificate_files(CERTDATA)
HOST_DECODE = ssl._ssl._test_decode_cert
KEY_ORDER = ["subject", "issuer", "version", "serialNumber", "notBefore",
             "notAfter", "subjectAltName", "OCSP", "caIssuers",
             "crlDistributionPoints"]

if PY2:
    text_type = unicode  # noqa: F821
else:
    text_type = str


def tuples(value):
    """JSON lists back into the tuples the decoder returns."""
    if isinstance(value, list):
        return tuple(tuples(item) for item in value)
    if isinstance(value, dict):
        return dict((key, tuples(item)) for key, item in value.items())
    return value


def printed_by_openssl_111(decoded):
    """What a decoder linked with OpenSSL 1.1.1 gives where one linked with
    3.x gives `decoded`: 3.13 lets OpenSSL print otherName entries, and
    1.1.1 prints every otherName as "<unsupported>" (3.0 spells out UPN,
    SmtpUTF8Mailbox and a few more)."""
    names = decoded.get("subjectAltName")
    if names:
        decoded = dict(decoded)
        decoded["subjectAltName"] = tuple(
            (kind, "<unsupported>") if kind == "othername" else (kind, value)
            for kind, value in names)
    return decoded


OURS_ON_111 = core.OPENSSL_VERSION_INFO < (3, 0)


def golden(name):
    """What CPython 3.13 gives, linked with the OpenSSL we are linked with
    (the files were written with OpenSSL 3.0)."""
    path = certfile(name[:-len(".pem")] + ".decoded.json")
    with io.open(path, encoding="utf-8") as f:
        decoded = tuples(json.load(f))
    return printed_by_openssl_111(decoded) if OURS_ON_111 else decoded


def type_tree(value):
    """The same structure with each leaf replaced by its type's name."""
    if isinstance(value, tuple):
        return tuple(type_tree(item) for item in value)
    if isinstance(value, dict):
        return dict((key, type_tree(item)) for key, item in value.items())
    return type(value).__name__


def test_every_certificate_has_a_golden_file():
    assert len(CERTIFICATES) >= 20
    for name in CERTIFICATES:
        assert os.path.exists(os.path.join(
            CERTDATA, name[:-len(".pem")] + ".decoded.json")), name


# ---------------------------------------------------------------------------
# The golden files: what CPython 3.13 returns
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", CERTIFICATES)
def test_decode_equals_cpython_313(name):
    decoded = core._test_decode_cert(certfile(name))
    assert decoded == golden(name)
    if sys.version_info >= (3, 7):   # dicts keep insertion order
        assert list(decoded) == [key for key in KEY_ORDER if key in decoded]


@pytest.mark.parametrize("name", CERTIFICATES)
def test_text_is_str_on_3x_or_2_7s_own_types(name):
    decoded = core._test_decode_cert(certfile(name))
    if PY2:
        # 2.7 itself: version is long, attribute values, serialNumber,
        # notBefore, registered IDs and URIs are unicode, the rest str.
        assert type(decoded["version"]) is long  # noqa: F821
        assert type(decoded["serialNumber"]) is unicode  # noqa: F821
        assert type(decoded["notBefore"]) is unicode  # noqa: F821
        assert type(decoded["notAfter"]) is str
        for rdn in decoded["subject"] + decoded["issuer"]:
            for attribute, value in rdn:
                assert type(attribute) is str
                assert type(value) is unicode  # noqa: F821
    else:
        def leaves(value):
            if isinstance(value, (tuple, list)):
                for item in value:
                    for leaf in leaves(item):
                        yield leaf
            else:
                yield value
        for key, value in decoded.items():
            for leaf in leaves(value):
                assert type(leaf) in (str, int), (key, leaf)


def test_golden_files_are_what_this_313_returns():
    """On CPython 3.13 the host is the oracle itself: the golden files must
    still be what it returns (they are regenerated with the certificates)."""
    if sys.version_info[:2] != (3, 13) or ssl.OPENSSL_VERSION_INFO[:2] != (3, 0):
        pytest.skip("the golden files come from CPython 3.13 with OpenSSL 3.0")
    for name in CERTIFICATES:
        path = certfile(name[:-len(".pem")] + ".decoded.json")
        with io.open(path, encoding="utf-8") as f:
            assert HOST_DECODE(certfile(name)) == tuples(json.load(f)), name


# ---------------------------------------------------------------------------
# The host's own decoder
# ---------------------------------------------------------------------------

# Where old hosts disagree with 3.13 in content, 3.13 is right and we
# follow it.  Each entry: (name, first interpreter without the bug,
# a function turning the host's answer into 3.13's).
def _invalid_ip_text(decoded):
    # 2.7/3.6 print an IP address of a wrong length as "<invalid
    # length=N>"; 3.7+ say "<invalid>".
    names = decoded.get("subjectAltName")
    if names:
        decoded["subjectAltName"] = tuple(
            (kind, "<invalid>") if kind == "IP Address" and
            value.startswith("<invalid length=") else (kind, value)
            for kind, value in names)
    return decoded


def _ipv6_trailing_newline(decoded):
    # 2.7/3.6 linked with OpenSSL 1.1.1 end an IPv6 address in "\n"
    # (CPython's own tests call this out); 3.7+ never do.
    names = decoded.get("subjectAltName")
    if names:
        decoded["subjectAltName"] = tuple(
            (kind, value.rstrip("\n")) if kind == "IP Address" else (kind, value)
            for kind, value in names)
    return decoded


OLD_HOST_BUGS = [
    ("invalid IP address length text", (3, 7), _invalid_ip_text),
    ("IPv6 address with a trailing newline", (3, 7), _ipv6_trailing_newline),
]
# Certificates whose subjectAltName extension does not parse: 2.7/3.6 give
# subjectAltName () for it, 3.7+ leave the key out.  Compared without that
# key there.
OLD_HOST_SAN_DIFFERS = {"malformed.pem": (3, 7)}


def host_as_313(name, decoded):
    """The host's answer as 3.13 linked with our OpenSSL would give it."""
    if OURS_ON_111:
        decoded = printed_by_openssl_111(decoded)
    for _, fixed_in, fix in OLD_HOST_BUGS:
        if sys.version_info < fixed_in:
            decoded = fix(decoded)
    fixed_in = OLD_HOST_SAN_DIFFERS.get(name)
    if fixed_in and sys.version_info < fixed_in:
        decoded.pop("subjectAltName", None)
    return decoded


@pytest.mark.parametrize("name", CERTIFICATES)
def test_decode_equals_the_hosts_own(name):
    ours = core._test_decode_cert(certfile(name))
    host = HOST_DECODE(certfile(name))
    assert host_as_313(name, dict(host)) == ours
    if sys.version_info >= (3, 7):
        assert list(ours) == list(host)
    # Same type for every value present in both (2.7's mix of str and
    # unicode in particular).
    common = set(ours) & set(host)
    assert (dict((k, type_tree(ours[k])) for k in common) ==
            dict((k, type_tree(host[k])) for k in common))


def test_old_host_bugs_are_real_where_claimed():
    """The exceptions taken above exist: without them the comparison would
    fail on these hosts (and the fixtures exercise them)."""
    host = HOST_DECODE(certfile("rare-sans.pem"))
    ips = [value for kind, value in host["subjectAltName"] if kind == "IP Address"]
    if sys.version_info < (3, 7):
        assert ips == ["<invalid length=5>", "<invalid length=0>"]
    else:
        assert ips == ["<invalid>", "<invalid>"]
    malformed = HOST_DECODE(certfile("malformed.pem"))
    if sys.version_info < (3, 7):
        assert malformed["subjectAltName"] == ()
    else:
        assert "subjectAltName" not in malformed
    assert "subjectAltName" not in core._test_decode_cert(certfile("malformed.pem"))


# ---------------------------------------------------------------------------
# Certificates built here, byte by byte
# ---------------------------------------------------------------------------

def _tlv(tag, content):
    content = bytes(content)
    n = len(content)
    if n < 0x80:
        length = bytearray([n])
    else:
        digits = bytearray()
        while n:
            digits.insert(0, n & 0xFF)
            n >>= 8
        length = bytearray([0x80 | len(digits)]) + digits
    return bytes(bytearray([tag]) + length) + content


def _seq(*items):
    return _tlv(0x30, b"".join(items))


def _integer(n):
    length = 1
    while not -(1 << (8 * length - 1)) <= n < (1 << (8 * length - 1)):
        length += 1
    n &= (1 << (8 * length)) - 1
    return _tlv(0x02, bytearray((n >> (8 * i)) & 0xFF
                                for i in reversed(range(length))))


def _oid_body(dotted):
    parts = [int(p) for p in dotted.split(".")]
    out = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = bytearray([part & 0x7F])
        part >>= 7
        while part:
            chunk.insert(0, 0x80 | (part & 0x7F))
            part >>= 7
        out += chunk
    return bytes(out)


def _oid(dotted):
    return _tlv(0x06, _oid_body(dotted))


def _name(*rdns):
    """Each RDN a list of (oid, string tag, value bytes)."""
    return _seq(*[_tlv(0x31, b"".join(_seq(_oid(o), _tlv(t, v)) for o, t, v in rdn))
                  for rdn in rdns])


def _extension(oid, value):
    return _seq(_oid(oid), _tlv(0x04, value))


def _children(content):
    content = bytearray(content)
    items, offset = [], 0
    while offset < len(content):
        start = offset
        length = content[offset + 1]
        offset += 2
        if length & 0x80:
            count = length & 0x7F
            length = 0
            for byte in content[offset:offset + count]:
                length = length << 8 | byte
            offset += count
        offset += length
        items.append(bytes(content[start:offset]))
    return items


def _strip_header(element):
    element = bytearray(element)
    length = element[1]
    offset = 2 + (length & 0x7F if length & 0x80 else 0)
    return bytes(element[offset:])


def _public_key_info():
    """The subjectPublicKeyInfo of ca.der (the decoder never checks it
    against the signature; any real key will do)."""
    with open(certfile("ca.der"), "rb") as f:
        certificate = f.read()
    tbs = _children(_strip_header(certificate))[0]
    fields = _children(_strip_header(tbs))
    return fields[6] if bytearray(fields[0])[0] == 0xA0 else fields[5]


UTF8, PRINTABLE, IA5, T61, BMP, UNIVERSAL, BITS = 0x0C, 0x13, 0x16, 0x14, 0x1E, 0x1C, 0x03
SAN, AIA, CRLDP = "2.5.29.17", "1.3.6.1.5.5.7.1.1", "2.5.29.31"
OCSP, CA_ISSUERS, CA_REPOSITORY = "1.3.6.1.5.5.7.48.1", "1.3.6.1.5.5.7.48.2", "1.3.6.1.5.5.7.48.5"
LONG_OID = "1.3.6.1.4.1." + ".".join(["123456789"] * 100)


def build_certificate(serial=1, subject=None, extensions=(), version=3,
                      not_before=b"200101000000Z", not_after=b"21200101000000Z"):
    """A certificate (PEM text) with a fake signature; issuer = subject."""
    algorithm = _seq(_oid("1.2.840.113549.1.1.11"), _tlv(0x05, b""))
    subject = subject or _name([("2.5.4.3", UTF8, b"x")])

    def time(value):
        return _tlv(0x17 if len(value) == 13 else 0x18, value)
    fields = []
    if version != 1:
        fields.append(_tlv(0xA0, _integer(version - 1)))
    fields += [_integer(serial), algorithm, subject,
               _seq(time(not_before), time(not_after)), subject,
               _public_key_info()]
    if extensions:
        fields.append(_tlv(0xA3, _seq(*extensions)))
    der = _seq(_seq(*fields), algorithm, _tlv(0x03, b"\x00" + b"\x01" * 256))
    text = base64.b64encode(der).decode("ascii")
    return ("-----BEGIN CERTIFICATE-----\n" +
            "\n".join(text[i:i + 64] for i in range(0, len(text), 64)) +
            "\n-----END CERTIFICATE-----\n")


def _san(*names):
    return [_extension(SAN, _seq(*names))]


def _uri(text):
    return _tlv(0x86, text)


def _crl_point(*uris):
    return _seq(_tlv(0xA0, _tlv(0xA0, b"".join(_uri(u) for u in uris))))


VERSION = long if PY2 else int  # noqa: F821  (2.7 gives version as long)
NATIVE_BYTES = (lambda raw: raw) if PY2 else (lambda raw: raw.decode("utf-8"))

# name: (certificate arguments, {key: what CPython 3.13 returns} or the
# exception class 3.13 raises).  Measured on CPython 3.13.0 / OpenSSL 3.0.
BUILT = {
    "negative serial": (dict(serial=-5), {"serialNumber": u"-05"}),
    "zero serial": (dict(serial=0), {"serialNumber": u"00"}),
    "large negative serial": (dict(serial=-(1 << 200)),
                              {"serialNumber": u"-01" + u"00" * 25}),
    "version 2": (dict(version=2), {"version": VERSION(2)}),
    "version 9": (dict(version=9), {"version": VERSION(9)}),
    "fractional seconds": (dict(not_before=b"20200101000000.5Z"),
                           {"notBefore": u"Jan  1 00:00:00.5 2020 GMT"}),
    "UTCTime before 2000": (dict(not_before=b"500101000000Z"),
                            {"notBefore": u"Jan  1 00:00:00 1950 GMT"}),
    "BMPString": (dict(subject=_name([("2.5.4.3", BMP, u"Gr\xfc\xdfe\u2603".encode("utf-16-be"))])),
                  {"subject": ((("commonName", u"Gr\xfc\xdfe\u2603"),),)}),
    "T61String as Latin-1": (dict(subject=_name([("2.5.4.3", T61, b"caf\xe9")])),
                             {"subject": ((("commonName", u"caf\xe9"),),)}),
    "UniversalString": (dict(subject=_name([("2.5.4.3", UNIVERSAL, u"\xfc".encode("utf-32-be"))])),
                        {"subject": ((("commonName", u"\xfc"),),)}),
    "PrintableString with UTF-8 bytes": (
        dict(subject=_name([("2.5.4.3", PRINTABLE, b"caf\xc3\xa9")])),
        {"subject": ((("commonName", u"caf\xc3\xa9"),),)}),
    "IA5String with a high byte": (dict(subject=_name([("2.5.4.3", IA5, b"caf\xff")])),
                                   {"subject": ((("commonName", u"caf\xff"),),)}),
    "NUL inside a commonName": (dict(subject=_name([("2.5.4.3", UTF8, b"a\x00b")])),
                                {"subject": ((("commonName", u"a\x00b"),),)}),
    "empty name": (dict(subject=_seq()), {"subject": ()}),
    "empty RDN": (dict(subject=_seq(_tlv(0x31, b""))), {"subject": ()}),
    "BIT STRING attribute": (dict(subject=_name([("2.5.4.45", BITS, b"\x04\xf0")])),
                             {"subject": ((("x500UniqueIdentifier", b"\xf0"),),)}),
    "empty BIT STRING attribute": (dict(subject=_name([("2.5.4.45", BITS, b"\x00")])),
                                   {"subject": ((("x500UniqueIdentifier", None),),)}),
    "SEQUENCE attribute": (dict(subject=_name([("2.5.4.3", 0x30, _tlv(UTF8, b"s"))])),
                           ssl.SSLError),
    "very long attribute OID": (dict(subject=_name([(LONG_OID, UTF8, b"v")])),
                                {"subject": (((LONG_OID, u"v"),),)}),
    "invalid UTF8String": (dict(subject=_name([("2.5.4.3", UTF8, b"bad\xff")])),
                           ssl.SSLError),
    "odd-length BMPString": (dict(subject=_name([("2.5.4.3", BMP, b"\x00a\x00")])),
                             ssl.SSLError),
    "UTF-8 DNS name": (dict(extensions=_san(_tlv(0x82, b"caf\xc3\xa9.example"))),
                       {"subjectAltName": (("DNS", NATIVE_BYTES(b"caf\xc3\xa9.example")),)}),
    "very long registered ID": (dict(extensions=_san(_tlv(0x88, _oid_body(LONG_OID)))),
                                {"subjectAltName": ((u"Registered ID", text_type(LONG_OID)),)}),
    "otherName with a very long OID": (
        dict(extensions=_san(_tlv(0xA0, _oid(LONG_OID) + _tlv(0xA0, _tlv(UTF8, b"v"))))),
        {"subjectAltName": (("othername", "<unsupported>"),)}),
    "UPN otherName holding an INTEGER": (
        dict(extensions=_san(_tlv(0xA0, _oid("1.3.6.1.4.1.311.20.2.3") +
                                  _tlv(0xA0, _tlv(0x02, b"\x05"))))),
        {"subjectAltName": (("othername", "<unsupported>"),)}),
    "empty directory name": (dict(extensions=_san(_tlv(0xA4, _seq()))),
                             {"subjectAltName": (("DirName", ()),)}),
    "repeated subjectAltName extension": (
        dict(extensions=_san(_tlv(0x82, b"one")) + _san(_tlv(0x82, b"two"))),
        {"subjectAltName": None}),
    "repeated CRL URI": (dict(extensions=[_extension(CRLDP, _seq(_crl_point(b"http://c/"),
                                                                 _crl_point(b"http://c/")))]),
                         {"crlDistributionPoints": (u"http://c/", u"http://c/")}),
    "CRL point without a name": (dict(extensions=[_extension(CRLDP, _seq(_seq()))]),
                                 {"crlDistributionPoints": None}),
    "AIA with caRepository": (
        dict(extensions=[_extension(AIA, _seq(
            _seq(_oid(CA_REPOSITORY), _uri(b"http://repo/")),
            _seq(_oid(OCSP), _uri(b"http://o/")),
            _seq(_oid(OCSP), _uri(b"http://o/"))))]),
        {"OCSP": (u"http://o/", u"http://o/"), "caIssuers": None}),
    "AIA URI not UTF-8": (dict(extensions=[_extension(AIA, _seq(
        _seq(_oid(OCSP), _uri(b"http://o\xff/"))))]), UnicodeDecodeError),
    "CRL URI not UTF-8": (dict(extensions=[_extension(CRLDP, _seq(_crl_point(b"http://c\xff/")))]),
                          UnicodeDecodeError),
}
# Text 2.7 returns as str (bytes) cannot fail to decode there; on 3.x it
# is strict UTF-8, as in 3.13.
for _kind, _tag, _value in [("DNS", 0x82, b"bad\xff.example"),
                            ("email", 0x81, b"bad\xff@example"),
                            ("URI", 0x86, b"http://bad\xff/")]:
    BUILT["%s not UTF-8" % _kind] = (
        dict(extensions=_san(_tlv(_tag, _value))),
        {"subjectAltName": ((_kind, _value),)} if PY2 else UnicodeDecodeError)

# What old hosts do differently with these (3.13 is right; see above).
BUILT_OLD_HOST_DIFFERS = {
    "BIT STRING attribute": (3, 10),          # raise SSLError "unknown error"
    "empty BIT STRING attribute": (3, 10),
    "repeated subjectAltName extension": (3, 7),  # concatenated
}


@pytest.fixture(scope="module")
def built(tmpdir_factory):
    directory = tmpdir_factory.mktemp("built-certificates")
    paths = {}
    for index, (case, (arguments, _)) in enumerate(sorted(BUILT.items())):
        path = directory.join("case%d.pem" % index)
        path.write(build_certificate(**arguments))
        paths[case] = str(path)
    return paths


def _outcome(function, path):
    try:
        return function(path)
    except Exception as error:
        return type(error)


@pytest.mark.parametrize("case", sorted(BUILT))
def test_built_certificate_decodes_as_in_313(built, case):
    expected = BUILT[case][1]
    outcome = _outcome(core._test_decode_cert, built[case])
    if isinstance(expected, type):
        assert outcome is expected
        return
    assert isinstance(outcome, dict), outcome
    for key, value in expected.items():
        if value is None:
            assert key not in outcome
        else:
            assert outcome[key] == value
            assert type_tree(outcome[key]) == type_tree(value)


@pytest.mark.parametrize("case", sorted(BUILT))
def test_built_certificate_decodes_as_the_host_does(built, case):
    fixed_in = BUILT_OLD_HOST_DIFFERS.get(case)
    if fixed_in and sys.version_info < fixed_in:
        pytest.skip("this host's own decoder differs from 3.13 here")
    ours = _outcome(core._test_decode_cert, built[case])
    host = _outcome(HOST_DECODE, built[case])
    if isinstance(host, dict):
        host = host_as_313(case, dict(host))
    assert ours == host
    if isinstance(ours, dict):
        assert type_tree(ours) == type_tree(host)


def test_old_hosts_really_differ_on_built_certificates(built):
    for case, fixed_in in sorted(BUILT_OLD_HOST_DIFFERS.items()):
        host = _outcome(HOST_DECODE, built[case])
        ours = _outcome(core._test_decode_cert, built[case])
        assert isinstance(ours, dict)
        if sys.version_info < fixed_in:
            assert host != ours, case


# ---------------------------------------------------------------------------
# Bad input: what 3.13 raises
# ---------------------------------------------------------------------------

@pytest.fixture
def bad_files(tmpdir):
    files = {
        "garbage": b"this is not a certificate\n",
        "empty": b"",
        "bad base64": b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        "not a certificate inside": b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    }
    paths = {}
    for index, (label, content) in enumerate(sorted(files.items())):
        path = tmpdir.join("bad%d.pem" % index)
        path.write_binary(content)
        paths[label] = str(path)
    paths["DER given as PEM"] = certfile("ca.der")
    paths["a key"] = certfile("ca.key")
    paths["DH parameters"] = certfile("dh2048.pem")
    paths["a directory"] = str(tmpdir)
    return paths


BAD_FILES = ["garbage", "empty", "bad base64", "not a certificate inside",
             "DER given as PEM", "a key", "DH parameters", "a directory"]


@pytest.mark.parametrize("label", BAD_FILES)
def test_unreadable_pem_is_ssl_error(bad_files, label):
    for decode in (core._test_decode_cert, HOST_DECODE):
        with pytest.raises(ssl.SSLError) as info:
            decode(bad_files[label])
        assert type(info.value) is ssl.SSLError
        assert "Error decoding PEM-encoded file" in str(info.value)


def test_missing_file_is_ssl_error(tmpdir):
    missing = str(tmpdir.join("missing.pem"))
    for decode in (core._test_decode_cert, HOST_DECODE):
        with pytest.raises(ssl.SSLError) as info:
            decode(missing)
        assert type(info.value) is ssl.SSLError
        assert "Can't open file" in str(info.value)


def test_path_may_be_text_or_bytes():
    expected = golden("ca.pem")
    assert core._test_decode_cert(certfile("ca.pem")) == expected
    assert core._test_decode_cert(certfile("ca.pem").encode()) == expected
    assert core._test_decode_cert(text_type(certfile("ca.pem"))) == expected


def test_path_of_another_type_is_type_error():
    for argument in (None, 42):
        for decode in (core._test_decode_cert, HOST_DECODE):
            with pytest.raises(TypeError):
                decode(argument)


def test_decoding_leaves_no_openssl_error_behind():
    """A failure inside must not leak into the next call: decoding after a
    failed decode still succeeds and gives the same dict."""
    with pytest.raises(ssl.SSLError):
        core._test_decode_cert(certfile("ca.der"))
    assert core._test_decode_cert(certfile("malformed.pem")) == golden("malformed.pem")
    assert core._test_decode_cert(certfile("ca.pem")) == golden("ca.pem")


# ---------------------------------------------------------------------------
# DER in and out (what getpeercert(True) and get_verified_chain() use)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ca", "localhost"])
def test_der_round_trip(name):
    with open(certfile(name + ".der"), "rb") as f:
        der = f.read()
    decoded, again = core._test_der_cert(der)
    assert decoded == golden(name + ".pem")
    assert type(again) is bytes and again == der
    assert core._test_der_cert(bytearray(der))[1] == der
    assert ssl.DER_cert_to_PEM_cert(der).strip() == open(certfile(name + ".pem")).read().strip()


def test_der_that_is_not_one_certificate_is_ssl_error():
    with open(certfile("ca.der"), "rb") as f:
        der = f.read()
    for bad in (b"", b"garbage", der[:-1], der + b"\x00", der + der):
        with pytest.raises(ssl.SSLError):
            core._test_der_cert(bad)
    with pytest.raises(TypeError):
        core._test_der_cert(u"text")


# ---------------------------------------------------------------------------
# The certificate set means what its names say
# ---------------------------------------------------------------------------

def _verify(*arguments):
    environment = dict(os.environ)
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
                     "CURL_CA_BUNDLE", "PIP_CERT"):
        environment.pop(variable, None)
    # Only the CAs named here: no default directory either.
    defaults = [] if "-CApath" in arguments else ["-no-CApath"]
    process = subprocess.Popen(
        [openssl_cli(), "verify"] + defaults + list(arguments),
        cwd=CERTDATA, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.communicate()[0].decode("utf-8", "replace")
    return process.returncode, output


STRICT_OK = [
    ("-CAfile", "ca.pem", "ca.pem"),
    ("-CAfile", "ca.pem", "intermediate.pem"),
    ("-CAfile", "ca.pem", "-untrusted", "intermediate.pem", "-purpose", "sslserver", "localhost.pem"),
    ("-CAfile", "ca.pem", "-untrusted", "intermediate.pem", "-purpose", "sslserver", "ecdsa.pem"),
    ("-CAfile", "ca.pem", "-untrusted", "localhost-chain.pem", "localhost.pem"),
    ("-CAfile", "ca.pem", "-untrusted", "localhost-combined.pem", "localhost.pem"),
    ("-CAfile", "ca.pem", "-untrusted", "ecdsa-chain.pem", "ecdsa.pem"),
    ("-CAfile", "ca.pem", "-purpose", "sslserver", "rsa-direct.pem"),
    ("-CAfile", "ca.pem", "-purpose", "sslclient", "client.pem"),
    ("-CAfile", "ca.pem", "-purpose", "sslserver", "wronghost.pem"),
    ("-CAfile", "ca.pem", "-purpose", "sslserver", "nosan.pem"),
    ("-CAfile", "ca.pem", "-purpose", "sslserver", "allsans.pem"),
    ("-CAfile", "ca.pem", "-purpose", "sslserver", "idna.pem"),
    ("-CAfile", "ca.pem", "-purpose", "sslserver", "revoked.pem"),
    ("-CAfile", "ca.pem", "names.pem"),
    ("-CAfile", "ca.pem", "v1.pem"),
    ("-CAfile", "ca.pem", "nulbyte.pem"),
    ("-CAfile", "ca.pem", "rare-sans.pem"),
    ("-CAfile", "bundle.pem", "-purpose", "sslserver", "untrusted.pem"),
    ("-CAfile", "other-ca.pem", "-purpose", "sslserver", "untrusted.pem"),
    ("-partial_chain", "-CAfile", "selfsigned.pem", "-purpose", "sslserver", "selfsigned.pem"),
    ("-CApath", "capath", "-untrusted", "intermediate.pem", "localhost.pem"),
    ("-CAfile", "ca.pem", "-CRLfile", "root.crl", "-CRLfile", "intermediate.crl",
     "-crl_check_all", "-untrusted", "intermediate.pem", "localhost.pem"),
]

# (arguments, the verify error code and text that must appear)
STRICT_FAILS = [
    (("-CAfile", "ca.pem", "expired.pem"), "error 10 ", "certificate has expired"),
    (("-CAfile", "ca.pem", "notyetvalid.pem"), "error 9 ", "certificate is not yet valid"),
    (("-CAfile", "ca.pem", "untrusted.pem"), "error 20 ", "unable to get local issuer certificate"),
    (("-CAfile", "ca.pem", "localhost.pem"), "error 20 ", "unable to get local issuer certificate"),
    (("-CAfile", "ca.pem", "selfsigned.pem"), "error 18 ", "signed certificate"),
    (("-CAfile", "ca.pem", "-CRLfile", "root.crl", "-crl_check", "revoked.pem"),
     "error 23 ", "certificate revoked"),
    (("-CAfile", "ca.pem", "emptysan.pem"), "error 87 ", "Empty Subject Alternative Name"),
    (("-CAfile", "ca.pem", "-purpose", "sslserver", "client.pem"), "error 26 ", "certificate purpose"),
]


@pytest.mark.parametrize("arguments", STRICT_OK, ids=lambda a: " ".join(a))
def test_certificate_passes_strict_verification(arguments):
    code, output = _verify("-x509_strict", *arguments)
    assert code == 0, output
    assert output.strip().endswith("OK")


@pytest.mark.parametrize("arguments,error,text", STRICT_FAILS,
                         ids=lambda a: " ".join(a) if isinstance(a, tuple) else None)
def test_certificate_fails_verification_for_its_reason(arguments, error, text):
    code, output = _verify("-x509_strict", *arguments)
    assert code != 0
    assert error in output and text in output, output


def test_lax_checks_accept_what_strict_rejects():
    """emptysan.pem fails only for the strict rule it breaks; malformed.pem
    fails everywhere (its extensions do not parse)."""
    assert _verify("-CAfile", "ca.pem", "emptysan.pem")[0] == 0
    assert _verify("-CAfile", "ca.pem", "malformed.pem")[0] != 0


def test_dh_parameters_are_rfc7919_ffdhe2048():
    output = subprocess.check_output(
        [openssl_cli(), "pkeyparam", "-in", certfile("dh2048.pem"), "-noout", "-text"])
    assert b"GROUP: ffdhe2048" in output
    # RFC 7919 appendix A.1: the prime starts with 64 one bits then
    # ADF85458 A2BB4A9A (the digits of e); DER: SEQUENCE, INTEGER, 00 pad.
    with open(certfile("dh2048.pem"), "rb") as f:
        body = base64.b64decode(b"".join(f.read().splitlines()[1:-1]))
    assert body[9:9 + 16] == bytes(bytearray.fromhex("FFFFFFFFFFFFFFFFADF85458A2BB4A9A"))


def test_capath_holds_the_root_under_its_hash_names():
    names = sorted(os.listdir(os.path.join(CERTDATA, "capath")))
    hashes = sorted(
        subprocess.check_output([openssl_cli(), "x509", "-in", certfile("ca.pem"),
                                 "-noout", option]).decode().strip() + ".0"
        for option in ("-hash", "-subject_hash_old"))
    assert names == hashes
    with open(certfile("ca.pem"), "rb") as f:
        root = f.read()
    for name in names:
        with open(os.path.join(CERTDATA, "capath", name), "rb") as f:
            assert f.read() == root


def test_encrypted_keys_are_the_localhost_key():
    for name in ("localhost-enc.key", "localhost-enc-traditional.key"):
        wrong = subprocess.call(
            [openssl_cli(), "pkey", "-in", certfile(name), "-passin", "pass:wrong",
             "-noout"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert wrong != 0
        decrypted = subprocess.check_output(
            [openssl_cli(), "pkey", "-in", certfile(name), "-passin", "pass:somepass",
             "-outform", "DER"])
        plain = subprocess.check_output(
            [openssl_cli(), "pkey", "-in", certfile("localhost.key"), "-outform", "DER"])
        assert decrypted == plain


# ---------------------------------------------------------------------------
# The decoder behind getpeercert() and get_ca_certs()
# ---------------------------------------------------------------------------

@pytest.fixture(params=tlsb_support.implementations(), ids=tlsb_support.impl_id)
def impl(request):
    return request.param


def test_getpeercert_after_a_handshake_is_the_decoded_server_certificate(impl):
    p = MemoryPair(impl, server_context(impl), client_context(impl))
    p.handshake()
    assert p.client.getpeercert() == golden("localhost.pem")


def test_server_getpeercert_is_the_decoded_client_certificate(impl):
    p = MemoryPair(impl, *tlsb_support.client_auth_contexts(impl))
    p.handshake()
    assert p.server.getpeercert() == golden("client.pem")


def test_get_ca_certs_decodes_each_trusted_ca(impl):
    context = client_context(impl, cafile="bundle.pem")
    expected = [golden("ca.pem"), golden("other-ca.pem")]
    serial = lambda decoded: decoded["serialNumber"]  # noqa: E731 (dict reprs vary on 2.7)
    assert sorted(context.get_ca_certs(), key=serial) == sorted(expected, key=serial)


# ---- hostile subjectAltName entries, made by the openssl command --------
# (issue 14, item 9).  3.13 reads a printed entry (otherName & co) and a
# registeredID into a 2048-byte buffer: a printed entry keeps its first
# line only (newline included) and at most 2046 bytes ("othername:" plus
# 2036); a registeredID whose text needs 2048+ bytes is "<INVALID>", one
# of exactly 2047 is cut to 2046 characters and a NUL.  The expected
# values below are what 3.13.0 (OpenSSL 3.0) returns for these files.

def _dotted_oid(length):
    """An OID of exactly `length` characters in dotted form (arcs of 100
    keep it within OpenSSL's limit on OID size)."""
    text = "1.2"
    while len(text) + 4 <= length:
        text += ".100"
    if len(text) < length:
        text += "." + "1" * (length - len(text) - 1)
    assert len(text) == length
    return text


HOSTILE_SANS = {
    # name: (subjectAltName config lines, expected subjectAltName)
    "upn_newline": (["otherName.1 = msUPN;UTF8:admin\\nevil",
                     "DNS.1 = example.com"],
                    (("othername", "UPN:admin\n"), ("DNS", "example.com"))),
    "smtputf8_newline": (["otherName.1 = 1.3.6.1.5.5.7.8.9;UTF8:admin\\nevil"],
                         (("othername", "SmtpUTF8Mailbox:admin\n"),)),
    "upn_3000": (["otherName.1 = msUPN;UTF8:" + "a" * 3000],
                 (("othername", "UPN:" + "a" * 2032),)),
    "rid_2046": (["RID.1 = " + _dotted_oid(2046)],
                 (("Registered ID", _dotted_oid(2046)),)),
    "rid_2047": (["RID.1 = " + _dotted_oid(2047)],
                 (("Registered ID", _dotted_oid(2047)[:2046] + "\0"),)),
    "rid_2049": (["RID.1 = " + _dotted_oid(2049)],
                 (("Registered ID", "<INVALID>"),)),
}


@pytest.fixture(scope="module")
def hostile_sans(tmpdir_factory):
    """Self-signed certificates with the entries above, made by `openssl
    req -x509` from a config file."""
    directory = tmpdir_factory.mktemp("hostile_sans")
    paths = {}
    for name, (lines, _) in HOSTILE_SANS.items():
        config = directory.join(name + ".cnf")
        config.write("\n".join([
            "[req]", "distinguished_name = dn", "prompt = no",
            "[dn]", "CN = hostile", "[ext]", "subjectAltName = @san",
            "[san]"] + lines) + "\n")
        path = str(directory.join(name + ".pem"))
        subprocess.check_call(
            [openssl_cli(), "req", "-new", "-x509", "-days", "1",
             "-key", certfile("localhost.key"), "-config", str(config),
             "-extensions", "ext", "-out", path])
        paths[name] = path
    return paths


@pytest.mark.skipif(OURS_ON_111, reason="OpenSSL 1.1.1 prints otherName as <unsupported>")
@pytest.mark.parametrize("name", sorted(HOSTILE_SANS))
def test_hostile_san_entry_is_cut_as_313_cuts_it(hostile_sans, name):
    decoded = core._test_decode_cert(hostile_sans[name])
    assert decoded["subjectAltName"] == HOSTILE_SANS[name][1]
    if sys.version_info[:2] == (3, 13):
        assert HOST_DECODE(hostile_sans[name]) == decoded
