"""The per-input functions of the fuzz targets, without atheris.

Each `one_<target>(data)` feeds one input (bytes) to `_tls_bootstrap` and
returns normally when the input was handled: accepted (a true result), or
refused with an exception the stdlib/pyOpenSSL would raise for bad input
(EXPECTED; a false result).  Any
other exception escapes and is a finding; so is a crash or a sanitizer
report.  The atheris targets (fuzz_<target>.py) and the regression tests
(Lib/test/test_fuzz_regressions.py) call these same functions, so a
crasher replays without atheris on every interpreter, 2.7 included.

Rules of this file: Python 2.7 and 3.x; no state kept between inputs except
the read-only contexts built once (a target must be deterministic).
"""
import os
import sys

import _tls_bootstrap as tls

crypto = tls.crypto

HERE = os.path.dirname(os.path.abspath(__file__))
CERTDATA = os.path.join(os.path.dirname(HERE), "Lib", "test", "certdata")
CORPUS = os.path.join(HERE, "corpus")

# The passphrase the encrypted seeds (keys, PKCS #12) use; the loaders
# target tries it so the mutator can reach past the decryption.
PASSPHRASE = b"fuzz"

# Bad input may raise these (SSLError and crypto.Error are the families
# the stdlib and pyOpenSSL raise; ValueError covers UnicodeError).
EXPECTED = (tls.SSLError, crypto.Error, ValueError, TypeError)


def _host_ssl():
    """The host's ssl as the oracle on 3.13+ (the behaviour this project
    gives every interpreter), else None."""
    if sys.version_info[:2] < (3, 13):
        return None
    import ssl
    return ssl


def _stdlib_refuses_too(call):
    """Whether call(host ssl) raises as well: a refusal of ours that the
    stdlib shares is its behaviour, not a finding.  Without the oracle
    (before 3.13) a refusal is accepted."""
    host = _host_ssl()
    if host is None:
        return True
    try:
        call(host)
    except Exception:
        return True
    return False


def _host_decodes(data):
    """The host's decoder (it reads a PEM file) on one DER certificate."""
    import tempfile
    host = _host_ssl()
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as pem:
        pem.write(host.DER_cert_to_PEM_cert(data))
    try:
        return host._ssl._test_decode_cert(pem.name)
    finally:
        os.unlink(pem.name)


def _refused(call, *args, **kwargs):
    """call(*args, **kwargs); an EXPECTED exception means refused: None."""
    try:
        return call(*args, **kwargs)
    except EXPECTED:
        return None


# ---- certdecode: DER bytes -> the getpeercert() dict -----------------------

def one_certdecode(data):
    """The core's decoder on one DER certificate.  A certificate OpenSSL
    parses (exactly these bytes) must decode unless CPython's decoder
    refuses it too (a URI that is not UTF-8...); a decoded one must encode
    again and decode to the same dict (the round trip the connection code
    relies on)."""
    try:
        parsed = crypto.dump_certificate(
            crypto.FILETYPE_ASN1, crypto.load_certificate(crypto.FILETYPE_ASN1, data)) == data
    except EXPECTED:
        parsed = False
    try:
        decoded, der = tls._core._test_der_cert(data)
    except EXPECTED:
        if parsed and not _stdlib_refuses_too(lambda host: _host_decodes(data)):
            raise
        return False
    again, der_again = tls._core._test_der_cert(der)
    if again != decoded or der_again != der:
        raise AssertionError("DER round trip changed the certificate")
    return True


# ---- loaders: the pyOpenSSL-style loaders and load_cert_chain_data ---------

def _load_pkcs12(data, passphrase):
    p12 = crypto.load_pkcs12(data, passphrase)
    # What callers do next with a loaded PKCS #12.
    p12.get_certificate()
    p12.get_privatekey()
    p12.get_ca_certificates()
    p12.get_friendlyname()
    return p12


def _cert_chain_data(data):
    tls.SSLContext(tls.PROTOCOL_TLS_SERVER).load_cert_chain_data(
        data, None, password=PASSPHRASE)
    return True


def _cert_chain_data_split(data):
    # Certificate and key as separate blobs: two bytes give the length
    # of the certificate part.
    head = bytearray(data[:2].ljust(2, b"\0"))
    split = 2 + head[0] * 256 + head[1]
    cert, key = data[2:split], data[split:]
    tls.SSLContext(tls.PROTOCOL_TLS_SERVER).load_cert_chain_data(
        cert, key, password=PASSPHRASE)
    return True


def _loaders():
    pem, der = crypto.FILETYPE_PEM, crypto.FILETYPE_ASN1
    return [
        lambda d: crypto.load_certificate(pem, d),
        lambda d: crypto.load_certificate(der, d),
        lambda d: crypto.load_privatekey(pem, d),
        lambda d: crypto.load_privatekey(der, d),
        lambda d: crypto.load_privatekey(pem, d, PASSPHRASE),
        lambda d: crypto.load_certificate_request(pem, d),
        lambda d: crypto.load_certificate_request(der, d),
        lambda d: crypto.load_publickey(pem, d),
        lambda d: crypto.load_publickey(der, d),
        lambda d: _load_pkcs12(d, None),
        lambda d: _load_pkcs12(d, PASSPHRASE),
        _cert_chain_data,
        _cert_chain_data_split,
    ]


LOADERS = _loaders()


def one_loaders(data):
    """The first byte picks a loader, the rest is its input."""
    if not data:
        return False
    loaded = _refused(LOADERS[bytearray(data[:1])[0] % len(LOADERS)], data[1:])
    if isinstance(loaded, crypto.X509):
        # What callers do next with a loaded certificate.
        try:
            crypto.dump_certificate(crypto.FILETYPE_PEM, loaded)
            loaded.get_subject().get_components()
            for i in range(loaded.get_extension_count()):
                str(loaded.get_extension(i))
        except EXPECTED:
            pass
    return loaded is not None


# ---- cadata: SSLContext.load_verify_locations(cadata=) ---------------------

def one_cadata(data):
    """The first byte's low bit: cadata as str (latin-1 text) or bytes."""
    if not data:
        return False
    cadata = data[1:]
    if bytearray(data[:1])[0] & 1:
        cadata = cadata.decode("latin-1")
    context = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cadata=cadata)
    except EXPECTED:
        return False
    context.cert_store_stats()
    context.get_ca_certs(binary_form=True)
    try:
        context.get_ca_certs()
    except EXPECTED:
        # The stdlib refuses some certificates it loaded (an extension
        # that does not parse); a refusal it does not share is a finding.
        def host_lists(host):
            host_context = host.SSLContext(host.PROTOCOL_TLS_CLIENT)
            host_context.load_verify_locations(cadata=cadata)
            host_context.get_ca_certs()
        if not _stdlib_refuses_too(host_lists):
            raise
    return True


# ---- server_stream: a server SSLObject fed arbitrary bytes ------------------

def _server_context():
    context = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(CERTDATA, "localhost.pem"),
                            os.path.join(CERTDATA, "localhost.key"))
    # Features that parse more of a ClientHello: client certificates,
    # ALPN, SNI, the message callback's record parsing.
    context.verify_mode = tls.CERT_OPTIONAL
    context.load_verify_locations(os.path.join(CERTDATA, "ca.pem"))
    context.set_alpn_protocols(["h2", "http/1.1"])
    context.sni_callback = lambda sslobj, name, ctx: None
    context._msg_callback = lambda *args: None
    return context


SERVER_CONTEXT = None


def one_server_stream(data):
    """A server-side SSLObject whose incoming stream is `data` then EOF:
    handshake, then read/write/unwrap, until it raises or wants more.
    Returns what the server sent back.

    A callback's exception is reported as unraisable (as CPython does);
    the one bad input may cause is an SNI name that is not ASCII, which
    the core refuses before the callback runs (UnicodeDecodeError, as
    CPython).  Any other is a finding (3.8+, which has unraisablehook)."""
    global SERVER_CONTEXT
    if SERVER_CONTEXT is None:
        SERVER_CONTEXT = _server_context()
    unraisable = []
    hook = getattr(sys, "unraisablehook", None)
    if hook is not None:
        # Only the exception is kept: the report object itself is a struct
        # sequence the garbage collector does not track (3.8-3.13), so the
        # cycle report -> traceback -> this frame -> list -> report was
        # never freed (+37 references an input on 3.13 debug).
        sys.unraisablehook = lambda report: unraisable.append(report.exc_value)
    try:
        reply = _serve(data)
    finally:
        if hook is not None:
            sys.unraisablehook = hook
    for exc in unraisable:
        if not isinstance(exc, UnicodeDecodeError):
            raise AssertionError("callback failed: %r" % (exc,))
    return reply


def _serve(data):
    incoming, outgoing = tls.MemoryBIO(), tls.MemoryBIO()
    server = SERVER_CONTEXT.wrap_bio(incoming, outgoing, server_side=True)
    incoming.write(data)
    try:
        try:
            server.do_handshake()
        except tls.SSLWantReadError:
            incoming.write_eof()
            server.do_handshake()
        server.selected_alpn_protocol()
        server.getpeercert()
        server.read(1024)
        server.write(b"x")
        server.unwrap()
    except EXPECTED:
        pass
    return outgoing.read()


TARGETS = {
    "certdecode": one_certdecode,
    "loaders": one_loaders,
    "cadata": one_cadata,
    "server_stream": one_server_stream,
}
