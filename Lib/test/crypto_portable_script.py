"""One script written against pyOpenSSL 21's OpenSSL.crypto, run unchanged
with `crypto` bound to pyOpenSSL and to _tls_bootstrap.crypto
(test_crypto_same_as_pyopenssl.py compares what each run observed).

Rules of this file:
- Only pyOpenSSL 21's documented API, used the way pyOpenSSL code on 2.7
  and 3.x uses it (bytes where it wants bytes, native str for names).
- Record only what does not depend on the OpenSSL version underneath
  (pyOpenSSL 21 brings its own 1.1.1; we use the interpreter's): results,
  their types, exception classes, the shape of crypto.Error's list - not
  OpenSSL's error strings, which change between OpenSSL releases.
- Runs on Python 2.7 and 3.x.
"""
import datetime
import re


def _kind(value):
    """A type name that is the same for both implementations."""
    if isinstance(value, bytes):
        return "bytes"
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int) or type(value).__name__ == "long":
        return "int"
    if isinstance(value, (list, tuple)):
        return type(value).__name__
    if isinstance(value, str) or type(value).__name__ == "unicode":
        return "text"
    return type(value).__name__


def _outcome(func):
    """("ok", kind of result) or ("raises", exception class name)."""
    try:
        result = func()
    except Exception as exc:  # noqa: B902 - the class is the observation
        return ("raises", type(exc).__name__)
    return ("ok", _kind(result))


def _error_shape(crypto, func):
    """crypto.Error's args[0]: a non-empty list of 3-tuples of text."""
    try:
        func()
    except crypto.Error as exc:
        errors = exc.args[0]
        return (isinstance(errors, list) and len(errors) > 0 and
                all(isinstance(e, tuple) and len(e) == 3 and
                    all(_kind(part) == "text" for part in e) for e in errors))
    return "no error"


def make_key(crypto, bits=2048):
    key = crypto.PKey()
    key.generate_key(crypto.TYPE_RSA, bits)
    return key


def make_ca(crypto, key, cn="Portable Test Root"):
    ca = crypto.X509()
    ca.set_version(2)
    ca.set_serial_number(1)
    subject = ca.get_subject()
    subject.C = "US"
    subject.O = "Portable"
    subject.CN = cn
    ca.set_issuer(subject)
    ca.gmtime_adj_notBefore(-3600)
    ca.gmtime_adj_notAfter(10 * 365 * 86400)
    ca.set_pubkey(key)
    ca.add_extensions([
        crypto.X509Extension(b"basicConstraints", True, b"CA:TRUE"),
        crypto.X509Extension(b"keyUsage", True, b"keyCertSign, cRLSign"),
        crypto.X509Extension(b"subjectKeyIdentifier", False, b"hash", subject=ca),
    ])
    ca.sign(key, "sha256")
    return ca


def make_leaf(crypto, ca, ca_key, key, serial=2, names=b"DNS:localhost, IP:127.0.0.1"):
    req = crypto.X509Req()
    req.get_subject().CN = "localhost"
    req.set_pubkey(key)
    req.sign(key, "sha256")
    leaf = crypto.X509()
    leaf.set_version(2)
    leaf.set_serial_number(serial)
    leaf.set_subject(req.get_subject())
    leaf.set_issuer(ca.get_subject())
    leaf.gmtime_adj_notBefore(-3600)
    leaf.gmtime_adj_notAfter(365 * 86400)
    leaf.set_pubkey(req.get_pubkey())
    leaf.add_extensions([
        crypto.X509Extension(b"basicConstraints", True, b"CA:FALSE"),
        crypto.X509Extension(b"keyUsage", True, b"digitalSignature, keyEncipherment"),
        crypto.X509Extension(b"extendedKeyUsage", False, b"serverAuth, clientAuth"),
        crypto.X509Extension(b"subjectAltName", False, names),
        crypto.X509Extension(b"authorityKeyIdentifier", False, b"keyid:always",
                             issuer=ca),
    ])
    leaf.sign(ca_key, "sha256")
    return req, leaf


def artifacts(crypto):
    """PEM/DER/PKCS#12 bytes made by this implementation, for the other to
    read: a CA, a leaf it signed, the leaf's key (plain and encrypted), a
    request, a PKCS#12 bundle and a signature."""
    ca_key = make_key(crypto)
    ca = make_ca(crypto, ca_key)
    key = make_key(crypto)
    req, leaf = make_leaf(crypto, ca, ca_key, key)
    p12 = crypto.PKCS12()
    p12.set_certificate(leaf)
    p12.set_privatekey(key)
    p12.set_ca_certificates([ca])
    p12.set_friendlyname(b"portable leaf")
    return {
        "ca": crypto.dump_certificate(crypto.FILETYPE_PEM, ca),
        "leaf": crypto.dump_certificate(crypto.FILETYPE_ASN1, leaf),
        "key": crypto.dump_privatekey(crypto.FILETYPE_PEM, key),
        "key_encrypted": crypto.dump_privatekey(crypto.FILETYPE_PEM, key,
                                                "aes-256-cbc", b"s3cret"),
        "public": crypto.dump_publickey(crypto.FILETYPE_PEM, key),
        "req": crypto.dump_certificate_request(crypto.FILETYPE_PEM, req),
        "p12": p12.export(b"p12pass"),
        "signature": crypto.sign(key, b"signed data", "sha256"),
    }


def read_artifacts(crypto, made):
    """What this implementation sees in the other's artifacts."""
    ca = crypto.load_certificate(crypto.FILETYPE_PEM, made["ca"])
    leaf = crypto.load_certificate(crypto.FILETYPE_ASN1, made["leaf"])
    store = crypto.X509Store()
    store.add_cert(ca)
    chain = crypto.X509StoreContext(store, leaf).get_verified_chain()
    key = crypto.load_privatekey(crypto.FILETYPE_PEM, made["key_encrypted"],
                                 lambda writing: b"s3cret")
    plain = crypto.load_privatekey(crypto.FILETYPE_PEM, made["key"])
    req = crypto.load_certificate_request(crypto.FILETYPE_PEM, made["req"])
    p12 = crypto.load_pkcs12(made["p12"], b"p12pass")
    crypto.verify(leaf, made["signature"], b"signed data", "sha256")
    return {
        "chain": [c.get_subject().CN for c in chain],
        "keys equal": (crypto.dump_privatekey(crypto.FILETYPE_ASN1, key) ==
                       crypto.dump_privatekey(crypto.FILETYPE_ASN1, plain)),
        "public matches": (crypto.dump_publickey(crypto.FILETYPE_PEM, key) ==
                           made["public"]),
        "req verify": req.verify(req.get_pubkey()),
        "req subject": req.get_subject().get_components(),
        "p12 name": p12.get_friendlyname(),
        "p12 cas": [c.get_subject().CN for c in p12.get_ca_certificates()],
        "p12 leaf serial": p12.get_certificate().get_serial_number(),
        "p12 key check": p12.get_privatekey().check(),
        "leaf exts": [(leaf.get_extension(i).get_short_name(),
                       leaf.get_extension(i).get_critical())
                      for i in range(leaf.get_extension_count())],
        "san": str(leaf.get_extension(3)),
    }


def run(crypto, rand):
    """Observations of one implementation, as a dict of plain values."""
    out = {}
    ca_key = make_key(crypto)
    out["key bits, type, check"] = (ca_key.bits(), ca_key.type() == crypto.TYPE_RSA,
                                    ca_key.check())
    ca = make_ca(crypto, ca_key)
    key = make_key(crypto)
    req, leaf = make_leaf(crypto, ca, ca_key, key)

    # X509 getters
    out["version"] = leaf.get_version()
    out["serial"] = leaf.get_serial_number()
    out["subject"] = repr(leaf.get_subject())
    out["issuer"] = repr(leaf.get_issuer())
    out["issuer components"] = leaf.get_issuer().get_components()
    out["issuer CN, commonName, O, emailAddress"] = (
        leaf.get_issuer().CN, leaf.get_issuer().commonName,
        leaf.get_issuer().organizationName, leaf.get_issuer().emailAddress)
    out["attribute kinds"] = (_kind(leaf.get_issuer().CN),
                              _kind(leaf.get_issuer().get_components()[0][1]))
    out["subject == req subject"] = leaf.get_subject() == req.get_subject()
    out["ca self-issued"] = ca.get_subject() == ca.get_issuer()
    out["names order"] = (ca.get_subject() != leaf.get_subject(),
                          _outcome(lambda: ca.get_subject() < leaf.get_subject()))
    out["name hash kind"] = (_kind(ca.get_subject().hash()),
                             ca.get_subject().hash() == ca.subject_name_hash())
    out["name der"] = _kind(ca.get_subject().der())
    out["times"] = [bool(re.match(br"^\d{14}Z$", t))
                    for t in (leaf.get_notBefore(), leaf.get_notAfter())]
    out["expired"] = leaf.has_expired()
    out["sigalg"] = leaf.get_signature_algorithm()
    fingerprint = leaf.digest("sha256")
    out["digest form"] = (len(fingerprint), bool(re.match(br"^([0-9A-F]{2}:){31}[0-9A-F]{2}$",
                                                        fingerprint)))
    out["extensions"] = [(leaf.get_extension(i).get_short_name(),
                          leaf.get_extension(i).get_critical(),
                          _kind(leaf.get_extension(i).get_data()))
                         for i in range(leaf.get_extension_count())]
    out["extension text"] = [str(leaf.get_extension(i)) for i in range(4)]
    out["extension index"] = _outcome(lambda: leaf.get_extension(99))
    out["pubkey"] = (leaf.get_pubkey().bits(), _outcome(leaf.get_pubkey().check))

    # Setters on a fresh certificate
    cert = crypto.X509()
    cert.set_serial_number(2 ** 70 + 5)
    out["big serial"] = cert.get_serial_number()
    cert.set_notBefore(b"20200102030405Z")
    out["set notBefore"] = cert.get_notBefore()
    cert.set_version(2)
    out["set version"] = cert.get_version()
    out["empty notAfter"] = cert.get_notAfter()

    # Verification
    store = crypto.X509Store()
    store.add_cert(ca)
    out["verify"] = crypto.X509StoreContext(store, leaf).verify_certificate()
    out["verified chain"] = [c.get_subject().CN for c in
                             crypto.X509StoreContext(store, leaf).get_verified_chain()]
    try:
        crypto.X509StoreContext(crypto.X509Store(), leaf).verify_certificate()
        out["untrusted"] = "verified"
    except crypto.X509StoreContextError as exc:
        out["untrusted"] = (exc.args[0][:2], _kind(exc.args[0][2]),
                            exc.certificate.get_subject().CN)
    late = crypto.X509Store()
    late.add_cert(ca)
    late.set_time(datetime.datetime.now() + datetime.timedelta(days=3650 * 2))
    try:
        crypto.X509StoreContext(late, leaf).verify_certificate()
        out["expired store time"] = "verified"
    except crypto.X509StoreContextError as exc:
        out["expired store time"] = exc.args[0][0]

    # Requests
    out["req version, verify"] = (req.get_version(), req.verify(key))
    req2 = crypto.X509Req()
    req2.get_subject().CN = "with extensions"
    req2.set_pubkey(key)
    req2.add_extensions([crypto.X509Extension(b"basicConstraints", False, b"CA:FALSE")])
    req2.sign(key, "sha256")
    out["req extensions"] = [e.get_short_name() for e in req2.get_extensions()]
    out["req verify other key"] = _error_shape(crypto, lambda: req2.verify(ca_key))

    # Load / dump round trips
    for filetype in ("FILETYPE_PEM", "FILETYPE_ASN1"):
        kind = getattr(crypto, filetype)
        blob = crypto.dump_certificate(kind, leaf)
        again = crypto.load_certificate(kind, blob)
        out["cert round trip " + filetype] = crypto.dump_certificate(kind, again) == blob
        blob = crypto.dump_privatekey(kind, key)
        again = crypto.load_privatekey(kind, blob)
        out["key round trip " + filetype] = crypto.dump_privatekey(kind, again) == blob
        blob = crypto.dump_publickey(kind, key)
        out["public round trip " + filetype] = crypto.dump_publickey(
            kind, crypto.load_publickey(kind, blob)) == blob
        blob = crypto.dump_certificate_request(kind, req)
        out["req round trip " + filetype] = crypto.dump_certificate_request(
            kind, crypto.load_certificate_request(kind, blob)) == blob
    out["dump text kind"] = _kind(crypto.dump_certificate(crypto.FILETYPE_TEXT, leaf))
    encrypted = crypto.dump_privatekey(crypto.FILETYPE_PEM, key, "aes-128-cbc", b"pw")
    out["encrypted pem"] = b"ENCRYPTED" in encrypted
    out["passphrase bytes"] = _outcome(
        lambda: crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted, b"pw"))
    calls = []
    out["passphrase callable"] = _outcome(
        lambda: crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted,
                                       lambda writing: calls.append(writing) or b"pw"))
    out["callback args"] = calls
    out["wrong passphrase"] = _error_shape(
        crypto, lambda: crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted, b"no"))

    # Bad input
    der = crypto.dump_certificate(crypto.FILETYPE_ASN1, leaf)
    out["truncated der"] = _error_shape(
        crypto, lambda: crypto.load_certificate(crypto.FILETYPE_ASN1, der[:50]))
    out["garbage pem"] = _error_shape(
        crypto, lambda: crypto.load_certificate(crypto.FILETYPE_PEM, b"garbage"))
    out["bad load type"] = _outcome(lambda: crypto.load_certificate(99, der))
    out["bad dump type"] = _outcome(lambda: crypto.dump_certificate(99, leaf))
    out["text load type"] = _outcome(lambda: crypto.load_certificate(crypto.FILETYPE_TEXT, der))
    out["bad digest"] = (_outcome(lambda: leaf.digest("no-such-digest")),
                         _outcome(lambda: leaf.sign(ca_key, "no-such-digest")),
                         _outcome(lambda: crypto.sign(key, b"x", "no-such-digest")))
    out["cipher without passphrase"] = _outcome(
        lambda: crypto.dump_privatekey(crypto.FILETYPE_PEM, key, "aes-128-cbc"))
    out["bad cipher"] = _outcome(
        lambda: crypto.dump_privatekey(crypto.FILETYPE_PEM, key, "no-such-cipher", b"pw"))
    out["encrypted der"] = _outcome(
        lambda: crypto.dump_privatekey(crypto.FILETYPE_ASN1, key, "aes-128-cbc", b"pw"))
    out["callback raises"] = _outcome(
        lambda: crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted,
                                       lambda writing: 1 // 0))
    out["callback returns int"] = _outcome(
        lambda: crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted, lambda w: 3))
    out["passphrase too long"] = _outcome(
        lambda: crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted, b"x" * 5000))
    out["passphrase int"] = _outcome(
        lambda: crypto.load_privatekey(crypto.FILETYPE_PEM, encrypted, 3))
    out["sign with public key"] = _outcome(lambda: leaf.sign(leaf.get_pubkey(), "sha256"))
    out["sign with empty key"] = _outcome(lambda: leaf.sign(crypto.PKey(), "sha256"))
    out["generate bad type"] = _outcome(lambda: crypto.PKey().generate_key(12345, 2048))
    out["generate bad bits"] = (_outcome(lambda: crypto.PKey().generate_key(crypto.TYPE_RSA, 0)),
                                _outcome(lambda: crypto.PKey().generate_key(crypto.TYPE_RSA, "x")),
                                _outcome(lambda: crypto.PKey().generate_key("x", 2048)))
    out["set serial text"] = _outcome(lambda: cert.set_serial_number("5"))
    out["set notAfter bad"] = (_outcome(lambda: cert.set_notAfter(b"garbage")),
                               _outcome(lambda: cert.set_notAfter(u"20200101000000Z")))
    out["set subject bad"] = _outcome(lambda: cert.set_subject("CN=x"))
    out["set pubkey bad"] = _outcome(lambda: cert.set_pubkey(None))
    out["add extension bad"] = _outcome(lambda: cert.add_extensions([None]))
    out["unknown extension"] = _error_shape(
        crypto, lambda: crypto.X509Extension(b"noSuchExtension", False, b"x"))
    out["bad extension value"] = _error_shape(
        crypto, lambda: crypto.X509Extension(b"basicConstraints", False, b"wrong"))
    out["ski without subject"] = _error_shape(
        crypto, lambda: crypto.X509Extension(b"subjectKeyIdentifier", False, b"hash"))
    out["name attribute errors"] = (
        _outcome(lambda: setattr(crypto.X509Name(ca.get_subject()), "noSuchField", "x")),
        _outcome(lambda: crypto.X509Name(ca.get_subject()).noSuchField))
    out["name too long"] = _error_shape(
        crypto, lambda: setattr(crypto.X509Name(ca.get_subject()), "C", "USA"))
    out["verify bad signature"] = _error_shape(
        crypto, lambda: crypto.verify(ca, b"\0" * 256, b"data", "sha256"))

    # X509Name copies are independent, views write through
    copy = crypto.X509Name(ca.get_subject())
    copy.CN = "changed"
    out["copy independent"] = (ca.get_subject().CN, copy.CN)
    view = cert.get_subject()
    view.CN = u"caf\xe9"
    out["view writes through"] = (cert.get_subject().CN, cert.get_subject().get_components())
    view.commonName = b"again"
    out["long name sets short"] = cert.get_subject().get_components()

    # PKCS12
    p12 = crypto.PKCS12()
    out["empty p12"] = (p12.get_certificate(), p12.get_privatekey(),
                        p12.get_ca_certificates(), p12.get_friendlyname())
    p12.set_certificate(leaf)
    p12.set_privatekey(key)
    p12.set_ca_certificates([ca])
    p12.set_friendlyname(b"leaf")
    out["p12 identity"] = p12.get_certificate() is p12.get_certificate()
    loaded = crypto.load_pkcs12(p12.export(b"pw", iter=1000, maciter=1000), b"pw")
    out["p12 round trip"] = (loaded.get_friendlyname(),
                             loaded.get_certificate().digest("sha256") == fingerprint,
                             len(loaded.get_ca_certificates()),
                             _kind(loaded.get_ca_certificates()),
                             loaded.get_privatekey().check())
    out["p12 wrong passphrase"] = _error_shape(
        crypto, lambda: crypto.load_pkcs12(p12.export(b"pw"), b"other"))
    out["p12 setters"] = (_outcome(lambda: p12.set_friendlyname(5)),
                          _outcome(lambda: p12.set_certificate(5)),
                          _outcome(lambda: p12.set_privatekey(5)),
                          _outcome(lambda: p12.set_ca_certificates([5])))

    # sign / verify
    signature = crypto.sign(key, b"data", "sha256")
    out["signature"] = (_kind(signature), len(signature))
    out["verify good"] = crypto.verify(leaf, signature, b"data", "sha256")
    out["verify bad data"] = _error_shape(
        crypto, lambda: crypto.verify(leaf, signature, b"datA", "sha256"))

    # Constants
    out["constants"] = (crypto.FILETYPE_PEM, crypto.FILETYPE_ASN1, crypto.FILETYPE_TEXT,
                        crypto.TYPE_RSA, crypto.TYPE_DSA, crypto.TYPE_EC, crypto.TYPE_DH)
    out["store flags"] = (crypto.X509StoreFlags.CRL_CHECK, crypto.X509StoreFlags.X509_STRICT,
                          crypto.X509StoreFlags.CHECK_SS_SIGNATURE)
    out["curve"] = crypto.get_elliptic_curve("prime256v1").name
    out["unknown curve"] = _outcome(lambda: crypto.get_elliptic_curve("no-such-curve"))

    # rand
    out["rand status"] = rand.status()
    out["rand add"] = rand.add(b"entropy", 7)
    out["rand add text"] = _outcome(lambda: rand.add(u"entropy", 7))
    return out
