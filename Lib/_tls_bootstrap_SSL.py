"""pyOpenSSL 21.0.0's ``OpenSSL.SSL`` API on the _tls_bootstrap core
(published as ``_tls_bootstrap.SSL``).  Issue 17.

Design (rules of this file):

- One TLS engine.  ``Context`` holds a core ``_SSLContext`` (an SSL_CTX made
  as PROTOCOL_TLS, so one context serves both roles as pyOpenSSL's TLS_METHOD
  does); ``Connection`` holds two core ``MemoryBIO`` objects and one core
  ``_Connection`` (an SSL), the same types ``SSLObject`` is built from.
  Nothing here talks to OpenSSL except through those types.
- The core makes the SSL when it is given its role, its SNI name and its
  BIOs (``_wrap_bio``), whereas pyOpenSSL makes it in ``Connection()`` and
  sets those later.  So the core connection is made at the first call that
  needs it (handshake, send/recv, shutdown); ``bio_write`` before that goes
  into the incoming MemoryBIO, which exists from the start.  Consequence:
  Context settings changed after ``Connection()`` but before the first I/O
  still apply to that connection (in pyOpenSSL they do not).
- What maps to what: use_certificate*/use_privatekey* collect a chain and a
  key and hand both to ``load_cert_chain_data`` once both are there (the
  core installs them together); set_verify modes map to CERT_NONE /
  CERT_OPTIONAL (VERIFY_PEER) / CERT_REQUIRED (with FAIL_IF_NO_PEER_CERT);
  set_min/max_proto_version to minimum_version/maximum_version (same
  numbers); set_alpn_protos to ``_set_alpn_protocols`` (wire format);
  the servername callback rides on the core's ``sni_callback``.
- Callbacks stdlib ssl lacks (verify, info, keylog, ALPN select, OCSP)
  and SSL/SSL_CTX calls it does not expose (sessions from any context,
  Finished messages, randoms, client CA lists, ...) are hooks of
  Modules/_tls_bootstrap/pyossl_hooks.c, whose note says who owns what.
  Core callbacks get the core connection; ``_owner()`` maps it back to our
  Connection through a weak reference, so no callback keeps a Connection
  alive, and no callable stored in the core context refers to the Context
  (the core context holds them strongly).  An exception raised in a
  callback comes out of the I/O call that ran the handshake, unchanged,
  as in pyOpenSSL.
- Over a socket, the core still works on the two memory BIOs and
  ``Connection._run`` moves the bytes (see the Connection docstring), so
  sockets and memory BIOs share one I/O path.
- Errors: the core raises the host's ``ssl`` exceptions; ``_translated``
  is the one place they become pyOpenSSL's (WantRead/WantWrite/ZeroReturn/
  SysCall, everything else ``Error([(library, function, reason)])``; the
  function is '' as OpenSSL 3 no longer records one, except where this
  file knows which call failed).  A file that cannot be read is Error too
  (``_os_errors``).
- A Context starts from the core's (3.13's) defaults: TLS 1.2 minimum,
  3.13's cipher string and options, not OpenSSL's bare SSL_CTX_new ones.
- Not provided (NotImplementedError naming it): modes other than the ones
  the core sets (set_mode), set_tlsext_host_name() after the first I/O.
- Measured with pyOpenSSL 21.0.0's own tests/test_ssl.py (tox -e
  pyopenssl-ssl); what fails there is listed with its reason in
  Lib/test/pyopenssl_known_failures.txt.
"""
import errno as _errno
import os
import select as _select
import socket as _socket_module
import sys
import warnings
# weakref.ref itself: importing weakref would cost import time
from _weakref import ref as _weakref

import _tls_bootstrap_core as _core

crypto = _core.crypto

_PY2 = sys.version_info[0] == 2
if _PY2:
    _text_type = unicode  # noqa: F821 (2.7 builtin)
    _integer_types = (int, long)  # noqa: F821 (2.7 builtin)
else:
    _text_type = str
    _integer_types = (int,)

_WOULD_BLOCK = (_errno.EAGAIN, _errno.EWOULDBLOCK)
_MAX_RECORD = 16384     # TLS plaintext record limit
_MSG_PEEK = getattr(_socket_module, "MSG_PEEK", 2)


def _strerror(exc):
    return exc.args[1] if len(exc.args) > 1 else os.strerror(exc.args[0])


# pyOpenSSL's own numbers for the methods (not OpenSSL constants)
SSLv2_METHOD = 1
SSLv3_METHOD = 2
SSLv23_METHOD = 3
TLSv1_METHOD = 4
TLSv1_1_METHOD = 5
TLSv1_2_METHOD = 6
TLS_METHOD = 7
TLS_SERVER_METHOD = 8
TLS_CLIENT_METHOD = 9

SSL3_VERSION = 0x300
TLS1_VERSION = 0x301
TLS1_1_VERSION = 0x302
TLS1_2_VERSION = 0x303
TLS1_3_VERSION = 0x304

# SSL_get_version() names -> numbers
_VERSION_NUMBERS = {"TLSv1": TLS1_VERSION, "TLSv1.1": TLS1_1_VERSION,
                    "TLSv1.2": TLS1_2_VERSION, "TLSv1.3": TLS1_3_VERSION}
_VERSION_NAMES = dict((number, name) for name, number in _VERSION_NUMBERS.items())

# method -> the one protocol version it pins (None: any)
_METHOD_VERSIONS = {
    SSLv23_METHOD: None, TLS_METHOD: None,
    TLS_SERVER_METHOD: None, TLS_CLIENT_METHOD: None,
    TLSv1_METHOD: TLS1_VERSION, TLSv1_1_METHOD: TLS1_1_VERSION,
    TLSv1_2_METHOD: TLS1_2_VERSION,
}

OP_NO_SSLv2 = _core.OP_NO_SSLv2
OP_NO_SSLv3 = _core.OP_NO_SSLv3
OP_NO_TLSv1 = _core.OP_NO_TLSv1
OP_NO_TLSv1_1 = _core.OP_NO_TLSv1_1
OP_NO_TLSv1_2 = _core.OP_NO_TLSv1_2
OP_NO_TLSv1_3 = _core.OP_NO_TLSv1_3
OP_NO_COMPRESSION = _core.OP_NO_COMPRESSION
OP_NO_TICKET = _core.OP_NO_TICKET
OP_CIPHER_SERVER_PREFERENCE = _core.OP_CIPHER_SERVER_PREFERENCE
OP_SINGLE_DH_USE = _core.OP_SINGLE_DH_USE
OP_SINGLE_ECDH_USE = _core.OP_SINGLE_ECDH_USE
OP_ALL = _core.OP_ALL
# OpenSSL's values (ssl.h); the SSLv2-era workarounds are 0 since 1.1.0
OP_NO_QUERY_MTU = 0x1000
OP_COOKIE_EXCHANGE = 0x2000
OP_DONT_INSERT_EMPTY_FRAGMENTS = 0x800
OP_TLS_ROLLBACK_BUG = 0x800000
OP_EPHEMERAL_RSA = OP_MICROSOFT_BIG_SSLV3_BUFFER = OP_MICROSOFT_SESS_ID_BUG = 0
OP_MSIE_SSLV2_RSA_PADDING = OP_NETSCAPE_CA_DN_BUG = 0
OP_NETSCAPE_CHALLENGE_BUG = OP_NETSCAPE_DEMO_CIPHER_CHANGE_BUG = 0
OP_NETSCAPE_REUSE_CIPHER_CHANGE_BUG = OP_PKCS1_CHECK_1 = OP_PKCS1_CHECK_2 = 0
OP_SSLEAY_080_CLIENT_DH_BUG = OP_SSLREF2_REUSE_CERT_TYPE_BUG = 0
OP_TLS_BLOCK_PADDING_BUG = OP_TLS_D5_BUG = 0

# SSL_CTX_set_session_cache_mode()'s flags (ssl.h)
SESS_CACHE_OFF = 0x0
SESS_CACHE_CLIENT = 0x1
SESS_CACHE_SERVER = 0x2
SESS_CACHE_BOTH = 0x3
SESS_CACHE_NO_AUTO_CLEAR = 0x80
SESS_CACHE_NO_INTERNAL_LOOKUP = 0x100
SESS_CACHE_NO_INTERNAL_STORE = 0x200
SESS_CACHE_NO_INTERNAL = 0x300

# Handshake states and info-callback "where" bits (ssl.h); OpenSSL 1.1.0
# dropped SSL_ST_INIT/BEFORE/OK/RENEGOTIATE, so they are absent here too.
SSL_ST_CONNECT = 0x1000
SSL_ST_ACCEPT = 0x2000
SSL_ST_MASK = 0x0FFF
SSL_CB_LOOP = 0x01
SSL_CB_EXIT = 0x02
SSL_CB_READ = 0x04
SSL_CB_WRITE = 0x08
SSL_CB_ALERT = 0x4000
SSL_CB_READ_ALERT = SSL_CB_ALERT | SSL_CB_READ
SSL_CB_WRITE_ALERT = SSL_CB_ALERT | SSL_CB_WRITE
SSL_CB_ACCEPT_LOOP = SSL_ST_ACCEPT | SSL_CB_LOOP
SSL_CB_ACCEPT_EXIT = SSL_ST_ACCEPT | SSL_CB_EXIT
SSL_CB_CONNECT_LOOP = SSL_ST_CONNECT | SSL_CB_LOOP
SSL_CB_CONNECT_EXIT = SSL_ST_CONNECT | SSL_CB_EXIT
SSL_CB_HANDSHAKE_START = 0x10
SSL_CB_HANDSHAKE_DONE = 0x20

# An ALPN select callback returns this to say that no protocol is shared.
NO_OVERLAPPING_PROTOCOLS = object()

# OpenSSL's SSL_MODE_* values (ssl.h); the core sets the last three on
# every context, and partial writes cannot happen with memory BIOs
MODE_ENABLE_PARTIAL_WRITE = 0x1
MODE_ACCEPT_MOVING_WRITE_BUFFER = 0x2
MODE_AUTO_RETRY = 0x4
MODE_RELEASE_BUFFERS = 0x10
_MODES_WE_HAVE = (MODE_ENABLE_PARTIAL_WRITE | MODE_ACCEPT_MOVING_WRITE_BUFFER |
                  MODE_AUTO_RETRY | MODE_RELEASE_BUFFERS)

VERIFY_NONE = 0x0
VERIFY_PEER = 0x1
VERIFY_FAIL_IF_NO_PEER_CERT = 0x2
VERIFY_CLIENT_ONCE = 0x4

SENT_SHUTDOWN = 1
RECEIVED_SHUTDOWN = 2

OPENSSL_VERSION_NUMBER = int(_core.OPENSSL_VERSION_NUMBER)  # int on 2.7 too
# OpenSSL_version()'s selectors
SSLEAY_VERSION = 0
SSLEAY_CFLAGS = 1
SSLEAY_BUILT_ON = 2
SSLEAY_PLATFORM = 3
SSLEAY_DIR = 4


def SSLeay_version(type):
    """Text about the linked OpenSSL: SSLEAY_VERSION, SSLEAY_CFLAGS,
    SSLEAY_BUILT_ON, SSLEAY_PLATFORM or SSLEAY_DIR (bytes)."""
    return _core._ssl_openssl_version(type)


def _make_requires(flag, error):
    """A decorator: the function as it is when flag is true, else one that
    raises NotImplementedError(error) (pyOpenSSL's feature guard)."""
    def guard(function):
        if flag:
            return function

        def unavailable(*args, **kwargs):
            raise NotImplementedError(error)
        unavailable.__name__ = function.__name__
        unavailable.__doc__ = function.__doc__
        return unavailable
    return guard


class Error(Exception):
    """An OpenSSL error; args[0] is a list of (library, function, reason)."""


class WantReadError(Error):
    """The operation needs more data from the peer (bio_write it)."""


class WantWriteError(Error):
    """The operation needs the outgoing data drained (bio_read it)."""


class WantX509LookupError(Error):
    """A certificate lookup callback asked to be called again."""


class ZeroReturnError(Error):
    """The peer closed the TLS connection cleanly (close_notify)."""


class SysCallError(Error):
    """The transport failed or ended without close_notify: (errno, text)."""


# OpenSSL's names for the libraries that show up in TLS errors
_LIBRARY_NAMES = {
    "SSL": "SSL routines", "X509": "x509 certificate routines",
    "PEM": "PEM routines", "SYS": "system library", "EVP": "digital envelope routines",
    "ASN1": "asn1 encoding routines", "RSA": "rsa routines",
}


def _error_from_ssl(exc, function=""):
    library = getattr(exc, "library", None)
    reason = getattr(exc, "reason", None)
    text = exc.args[1] if len(exc.args) > 1 else str(exc)
    if isinstance(exc, _core.SSLCertVerificationError):
        reason_text = "certificate verify failed"
    elif isinstance(text, str) and "] " in text:
        # "[LIB: REASON] reason text (file:line)": OpenSSL's reason string
        reason_text = text.split("] ", 1)[1].rsplit(" (", 1)[0]
    elif reason:
        reason_text = reason.lower().replace("_", " ")
    else:
        reason_text = str(text)
    return Error([(_LIBRARY_NAMES.get(library, library or ""), function,
                   reason_text)])


class _translated(object):
    """with _translated(conn): core call -- the host's ssl exceptions become
    pyOpenSSL's; conn (if any) records what the call wanted."""

    def __init__(self, conn=None, value_errors=False, function=""):
        self.conn = conn
        self.value_errors = value_errors    # the core's ValueError is Error too
        # OpenSSL 3 records no function names; where we know which call
        # failed, its name goes in the tuple, as pyOpenSSL on 1.1.1 shows
        self.function = function

    def __enter__(self):
        if self.conn is not None:
            self.conn._wants = None
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None or not issubclass(exc_type, (_core.SSLError, ValueError)):
            return False
        if exc is None:
            exc = exc_type()
        if isinstance(exc, _core.SSLWantReadError):
            self._want("read")
            raise WantReadError()
        if isinstance(exc, _core.SSLWantWriteError):
            self._want("write")
            raise WantWriteError()
        if isinstance(exc, _core.SSLZeroReturnError):
            raise ZeroReturnError()
        if isinstance(exc, _core.SSLEOFError):
            raise SysCallError(-1, "Unexpected EOF")
        if isinstance(exc, _core.SSLSyscallError):
            raise SysCallError(exc.errno if exc.errno else -1, exc.strerror)
        if isinstance(exc, _core.SSLError):
            raise _error_from_ssl(exc, self.function)
        if self.value_errors:
            raise Error([("SSL routines", "", str(exc))])
        return False

    def _want(self, what):
        if self.conn is not None:
            self.conn._wants = what


def _as_bytes(name, value):
    # pyOpenSSL 21 takes text with a DeprecationWarning and encodes UTF-8
    if isinstance(value, _text_type):
        warnings.warn("%s for %s is no longer accepted, use bytes"
                      % (_text_type.__name__, name), DeprecationWarning,
                      stacklevel=3)
        return value.encode("utf-8")
    return value


def _text(value):
    # pyOpenSSL hands out names as text (unicode on 2.7), the core as str
    if isinstance(value, bytes):
        return value.decode("ascii")
    return value


class _os_errors(object):
    """with _os_errors(): a file that cannot be read is SSL.Error, as
    OpenSSL reports it to pyOpenSSL ('system library')."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None or not issubclass(exc_type, EnvironmentError):
            return False
        reason = getattr(exc, "strerror", None) or str(exc)
        raise Error([("system library", "", reason)])


# a default argument that tells "not given" from an explicit None
_UNSPECIFIED = object()


def _read_file(path, filetype=_UNSPECIFIED):
    # The bytes of a certificate or key file, with pyOpenSSL's argument
    # checks and errors.
    if not isinstance(path, (bytes, _text_type)):
        raise TypeError("path must be bytes or text")
    if filetype is not _UNSPECIFIED and not isinstance(filetype, _integer_types):
        raise TypeError("filetype must be an integer")
    with _os_errors():
        with open(_path(path), "rb") as handle:
            return handle.read()


def _path(value):
    if isinstance(value, bytes) and not _PY2:
        return value.decode(sys.getfilesystemencoding())
    return value


def _owner(core_conn):
    # Our Connection behind a core connection a callback was handed (None
    # once it is gone; the core connection refers to it weakly).
    owner_ref = getattr(core_conn, "_pyossl_owner", None)
    return owner_ref() if owner_ref is not None else None


def _with_owner(callback):
    # A core callback (core_conn, ...) calling callback(Connection, ...).
    def call(core_conn, *args):
        return callback(_owner(core_conn), *args)
    return call


def _on_servername(core_conn, server_name, core_ctx):
    # The core's sni_callback: record the name for get_servername(), then
    # run the pyOpenSSL servername callback of the connection's context.
    conn = _owner(core_conn)
    if conn is None:
        return None
    if server_name is not None:
        conn._servername = server_name.encode("ascii") if isinstance(
            server_name, _text_type) else server_name
    callback = conn._first_context._servername_callback
    if callback is not None:
        try:
            callback(conn)
        except Exception:
            # pyOpenSSL 21 (a cffi callback) prints the exception and the
            # handshake goes on; the core would abort it with an alert
            sys.stderr.write("Exception ignored in servername callback %r:\n"
                             % (callback,))
            import traceback    # here: importing it costs 1-9 ms
            traceback.print_exc()
    return None


class Context(object):
    """pyOpenSSL's Context: the settings shared by connections (an SSL_CTX)."""

    def __init__(self, method):
        if not isinstance(method, _integer_types):
            raise TypeError("method must be an integer")
        if method not in _METHOD_VERSIONS:
            raise ValueError("No such protocol")
        self._ctx = _core._SSLContext(_core.PROTOCOL_TLS)
        pinned = _METHOD_VERSIONS[method]
        if pinned is not None:
            with _translated():
                self._ctx.minimum_version = pinned
                self._ctx.maximum_version = pinned
        self._ctx.sni_callback = _on_servername
        self._method = method
        self._verify_mode = VERIFY_NONE
        self._mode = _MODES_WE_HAVE     # what the core's contexts have, as pyOpenSSL's
        self._chain = None
        # add_extra_chain_cert()'s certificates: sent after a leaf whose own
        # chain (use_certificate_chain_file) has none, as OpenSSL does
        self._extra_certs = []
        self._key = None
        self._pair_error = None     # a mismatched key, for check_privatekey()
        self._passwd_cb = None
        self._passwd_userdata = None
        self._servername_callback = None
        self._app_data = None
        self._alpn_select = None
        self._ocsp = {"server": None, "client": None}

    # -- protocol versions, options, ciphers ------------------------------
    def set_min_proto_version(self, version):
        """Lowest protocol version (TLS1_2_VERSION, ...); 0: the library's lowest."""
        with _translated(value_errors=True):
            self._ctx.minimum_version = (
                version or _core.PROTO_MINIMUM_SUPPORTED)

    def set_max_proto_version(self, version):
        """Highest protocol version; 0: the library's highest."""
        with _translated(value_errors=True):
            self._ctx.maximum_version = (
                version or _core.PROTO_MAXIMUM_SUPPORTED)

    def set_options(self, options):
        """Add OP_* flags; returns the flags now set."""
        if not isinstance(options, _integer_types):
            raise TypeError("options must be an integer")
        self._ctx.options = self._ctx.options | options
        return self._ctx.options

    def set_mode(self, mode):
        """Add MODE_* flags; returns the modes now set."""
        if not isinstance(mode, _integer_types):
            raise TypeError("mode must be an integer")
        if mode & ~_MODES_WE_HAVE:
            raise NotImplementedError(
                "set_mode(%#x): the core sets SSL_MODE_* itself and has no "
                "SSL_CTX_set_mode hook for other modes yet" % mode)
        self._mode |= mode
        return self._mode

    def set_cipher_list(self, cipher_list):
        """OpenSSL cipher string for TLS 1.2 and below."""
        cipher_list = _as_bytes("cipher_list", cipher_list)
        if not isinstance(cipher_list, bytes):
            raise TypeError("cipher_list must be a byte string.")
        try:
            self._ctx.set_ciphers(cipher_list.decode("ascii"))
        except _core.SSLError:
            # the core answers as the stdlib, which drops OpenSSL's reason
            raise Error([("SSL routines", "SSL_CTX_set_cipher_list",
                          "no cipher match")])

    # -- verification -----------------------------------------------------
    def set_verify(self, mode, callback=None):
        """VERIFY_NONE or VERIFY_PEER (| VERIFY_FAIL_IF_NO_PEER_CERT,
        VERIFY_CLIENT_ONCE), and optionally callback(conn, cert, errno,
        depth, ok) for each certificate checked: its truth value decides,
        and what it raises comes out of the handshake call."""
        if not isinstance(mode, _integer_types):
            raise TypeError("mode must be an integer")
        if callback is not None and not callable(callback):
            raise TypeError("callback must be callable")
        self._ctx._verify_callback = (
            None if callback is None else _with_owner(callback))
        if not mode & VERIFY_PEER:
            self._ctx.verify_mode = _core.CERT_NONE
        elif mode & VERIFY_FAIL_IF_NO_PEER_CERT:
            self._ctx.verify_mode = _core.CERT_REQUIRED
        else:
            self._ctx.verify_mode = _core.CERT_OPTIONAL
        self._verify_mode = mode

    def get_verify_mode(self):
        """The mode given to set_verify()."""
        return self._verify_mode

    def get_cert_store(self):
        """The context's own trust store (crypto.X509Store): certificates
        added to it are trusted by this context."""
        return self._ctx._cert_store()

    def load_verify_locations(self, cafile, capath=None):
        """Trust the CA certificates in a PEM file and/or a hashed directory."""
        with _translated(), _os_errors():
            self._ctx.load_verify_locations(_path(cafile), _path(capath))

    def set_default_verify_paths(self):
        """Trust OpenSSL's default CA file and directory."""
        with _translated():
            self._ctx.set_default_verify_paths()

    # -- our certificate and key --------------------------------------------
    def set_passwd_cb(self, callback, userdata=None):
        """callback(maxlen, verify, userdata) -> bytes, for encrypted keys."""
        if not callable(callback):
            raise TypeError("callback must be callable")
        self._passwd_cb = callback
        self._passwd_userdata = userdata

    def _install(self, key_last=False):
        # The core installs a chain with its key, and checks that they match.
        if self._chain is None or self._key is None:
            return
        self._pair_error = None
        try:
            with _translated():
                self._ctx.load_cert_chain_data(self._chain_to_send(), self._key)
        except Error as exc:
            # As OpenSSL: a key that does not match the certificate is an
            # error when the key comes last; a certificate that comes last
            # drops the key silently, and check_privatekey() says so
            if key_last or not any("mismatch" in part[2] for part in exc.args[0]):
                raise
            self._pair_error = exc

    def _chain_to_send(self):
        if len(self._chain) > 1:
            return self._chain
        return self._chain + self._extra_certs

    def use_certificate(self, cert):
        """Use a crypto.X509 as our certificate."""
        if not isinstance(cert, crypto.X509):
            raise TypeError("cert must be an X509 instance")
        try:
            cert.get_pubkey()       # an X509() never filled in has none
        except crypto.Error as exc:
            raise Error(exc.args[0] if exc.args else [])
        self._chain = [cert] + list(self._chain[1:] if isinstance(self._chain, list) else [])
        self._install()

    def use_certificate_file(self, certfile, filetype=_UNSPECIFIED):
        """Use the (first) certificate in a PEM or ASN1 file."""
        filetype = crypto.FILETYPE_PEM if filetype is _UNSPECIFIED else filetype
        data = _read_file(certfile, filetype)
        try:
            cert = crypto.load_certificate(filetype, data)
        except crypto.Error as exc:
            raise Error(exc.args[0] if exc.args else [])
        self.use_certificate(cert)

    def use_certificate_chain_file(self, certfile):
        """Use a PEM file: our certificate, then its chain."""
        data = _read_file(certfile)
        with _translated():
            certs = _pem_certificates(data)
        if not certs:
            raise Error([("PEM routines", "", "no start line")])
        self._chain = certs
        self._install()

    def add_extra_chain_cert(self, certobj):
        """Send a crypto.X509 after our certificate, at any time before
        the handshake.  As in OpenSSL these extra certificates are for a
        certificate without a chain of its own: a chain loaded by
        use_certificate_chain_file() is sent instead of them."""
        if not isinstance(certobj, crypto.X509):
            raise TypeError("certobj must be an X509 instance")
        self._extra_certs.append(certobj)
        self._install()

    def use_privatekey(self, pkey):
        """Use a crypto.PKey as our private key."""
        if not isinstance(pkey, crypto.PKey):
            raise TypeError("pkey must be a PKey instance")
        previous, self._key = self._key, pkey
        try:
            self._install(key_last=True)
        except Error:
            self._key = previous    # as OpenSSL, which keeps the old one
            raise

    def use_privatekey_file(self, keyfile, filetype=_UNSPECIFIED):
        """Use the private key in a PEM or ASN1 file (set_passwd_cb for
        encrypted ones)."""
        filetype = crypto.FILETYPE_PEM if filetype is _UNSPECIFIED else filetype
        data = _read_file(keyfile, filetype)
        passphrase = None
        if self._passwd_cb is not None:
            passphrase = _PassphraseOnce(self._passwd_cb, self._passwd_userdata)
        try:
            if passphrase is None:
                key = crypto.load_privatekey(filetype, data)
            else:
                key = crypto.load_privatekey(filetype, data, passphrase)
        except crypto.Error as exc:
            raise Error(exc.args[0] if exc.args else [])
        self.use_privatekey(key)

    def check_privatekey(self):
        """Raise Error unless a certificate and its matching key are set."""
        if self._chain is None or self._key is None:
            raise Error([("SSL routines", "", "no certificate assigned"
                          if self._chain is None else "no private key assigned")])
        self._install()
        if self._pair_error is not None:
            raise self._pair_error

    # -- sessions and other SSL_CTX settings --------------------------------
    def set_session_id(self, buf):
        """The session ID context: sessions resume only between contexts
        (servers) that share it."""
        buf = _as_bytes("buf", buf)
        with _translated(function="SSL_CTX_set_session_id_context"):
            _core._ssl_ctx_set_session_id(self._ctx, buf)

    def set_session_cache_mode(self, mode):
        """SESS_CACHE_* flags; returns the previous ones."""
        if not isinstance(mode, _integer_types):
            raise TypeError("mode must be an integer")
        return _core._ssl_ctx_numbers(self._ctx, "cache_mode", mode)

    def get_session_cache_mode(self):
        """The SESS_CACHE_* flags in effect."""
        return _core._ssl_ctx_numbers(self._ctx, "cache_mode")

    def set_timeout(self, timeout):
        """Session lifetime in seconds; returns the previous one."""
        if not isinstance(timeout, _integer_types):
            raise TypeError("timeout must be an integer")
        return _core._ssl_ctx_numbers(self._ctx, "timeout", timeout)

    def get_timeout(self):
        """Session lifetime in seconds."""
        return _core._ssl_ctx_numbers(self._ctx, "timeout")

    def set_verify_depth(self, depth):
        """Longest certificate chain accepted (intermediates)."""
        if not isinstance(depth, _integer_types):
            raise TypeError("depth must be an integer")
        _core._ssl_ctx_numbers(self._ctx, "verify_depth", depth)

    def get_verify_depth(self):
        """What set_verify_depth() set (OpenSSL's default: 100)."""
        return _core._ssl_ctx_numbers(self._ctx, "verify_depth")

    def set_tlsext_use_srtp(self, profiles):
        """SRTP protection profiles to offer (DTLS-SRTP), e.g.
        b"SRTP_AES128_CM_SHA1_80"."""
        if not isinstance(profiles, bytes):
            raise TypeError("profiles must be a byte string.")
        if _core._ssl_ctx_set_srtp(self._ctx, profiles) != 0:
            with _translated():
                raise _core.SSLError("SRTP profiles not accepted")

    # -- the CA names a server asks client certificates from ---------------
    def set_client_ca_list(self, certificate_authorities):
        """Send exactly these crypto.X509Name objects."""
        if not isinstance(certificate_authorities, (list, tuple)):
            raise TypeError("certificate_authorities must be a list")
        for name in certificate_authorities:
            if not isinstance(name, crypto.X509Name):
                raise TypeError("client CAs must be X509Name objects, not %s "
                                "objects" % type(name).__name__)
        with _translated():
            _core._ssl_ctx_client_cas(self._ctx, "set", list(certificate_authorities))

    def add_client_ca(self, certificate_authority):
        """Add the subject of a crypto.X509 to the names sent."""
        if not isinstance(certificate_authority, crypto.X509):
            raise TypeError("certificate_authority must be an X509 instance")
        with _translated():
            _core._ssl_ctx_client_cas(self._ctx, "add", certificate_authority)

    def load_client_ca(self, cafile):
        """Send the subjects of the certificates in a PEM file."""
        cafile = _as_bytes("cafile", cafile)
        if not isinstance(cafile, bytes):
            raise TypeError("cafile must be bytes")
        with _translated():
            _core._ssl_ctx_client_cas(self._ctx, "load", cafile)

    def load_tmp_dh(self, dhfile):
        """Diffie-Hellman parameters for DHE suites, from a PEM file."""
        with _translated(), _os_errors():
            self._ctx.load_dh_params(_path(_as_bytes("dhfile", dhfile)))

    def set_tmp_ecdh(self, curve):
        """The elliptic curve for ECDHE (a crypto.get_elliptic_curve())."""
        # pyOpenSSL ignores SSL_CTX_set_tmp_ecdh()'s answer: curves TLS
        # cannot use are accepted and change nothing; so here.
        try:
            self._ctx.set_ecdh_curve(curve.name)
        except (ValueError, _core.SSLError):
            pass

    # -- ALPN, SNI, app data ------------------------------------------------
    def set_alpn_protos(self, protos):
        """The ALPN protocols we offer (client) or accept (server), as bytes."""
        wire = _alpn_wire(protos)
        with _translated():
            self._ctx._set_alpn_protocols(wire)
        if self._alpn_select is not None:
            # the core's own select took OpenSSL's one slot back
            self._ctx._alpn_select_callback = self._alpn_select

    def set_alpn_select_callback(self, callback):
        """callback(conn, offered_protocols) on a server picks the ALPN
        protocol: bytes, or NO_OVERLAPPING_PROTOCOLS for none."""
        def select(core_conn, offered):
            choice = callback(_owner(core_conn), offered)
            if choice is NO_OVERLAPPING_PROTOCOLS:
                return None
            if not isinstance(choice, bytes):
                raise TypeError(
                    "ALPN callback must return a bytestring or the special "
                    "NO_OVERLAPPING_PROTOCOLS sentinel value.")
            return choice
        self._alpn_select = select
        self._ctx._alpn_select_callback = select

    def _set_ocsp(self, role, callback, data):
        if not callable(callback):
            raise TypeError("callback must be callable")
        self._ocsp[role] = (callback, data)
        ocsp = self._ocsp       # not self: no cycle through the core context

        def dispatch(core_conn, is_server, response):
            entry = ocsp["server" if is_server else "client"]
            if entry is None:
                return b"" if is_server else True
            callback, data = entry
            if is_server:
                staple = callback(_owner(core_conn), data)
                if not isinstance(staple, bytes):
                    raise TypeError("OCSP callback must return a bytestring.")
                return staple
            return callback(_owner(core_conn), response, data)
        self._ctx._ocsp_callback = dispatch

    def set_ocsp_server_callback(self, callback, data=None):
        """callback(conn, data) -> the OCSP response (bytes, b"" for none)
        a server staples when the client asks."""
        self._set_ocsp("server", callback, data)

    def set_ocsp_client_callback(self, callback, data=None):
        """callback(conn, ocsp_bytes, data) -> whether the stapled response
        (b"" if none) is acceptable; false fails the handshake."""
        self._set_ocsp("client", callback, data)

    def set_tlsext_servername_callback(self, callback):
        """callback(connection) runs on the server when a client sends SNI;
        it may call connection.set_context()."""
        self._servername_callback = callback

    def set_info_callback(self, callback):
        """callback(conn, where, ret) at each handshake step and alert
        (where: SSL_CB_* bits)."""
        self._ctx._info_callback = _with_owner(callback)

    def set_keylog_callback(self, callback):
        """callback(conn, line) with each secret as an NSS key-log line
        (bytes, no newline)."""
        self._ctx._keylog_callback = _with_owner(callback)

    def get_app_data(self):
        """What set_app_data() stored."""
        return self._app_data

    def set_app_data(self, data):
        """Store any object on the context."""
        self._app_data = data


class Session(object):
    """A TLS session taken from a connection (get_session()) to resume with
    set_session() on a later one.  Session() alone holds no session."""

    def __init__(self):
        self._session = None    # the core's SSLSession


def _alpn_wire(protos):
    # [b"h2", b"http/1.1"] -> length-prefixed wire format
    protos = list(protos)
    if not protos:
        raise Error([("SSL routines", "", "empty ALPN protocol list")])
    for proto in protos:
        if not isinstance(proto, bytes) or not 0 < len(proto) < 256:
            raise ValueError("ALPN protocols must be 1 to 255 bytes")
    return b"".join(bytes(bytearray([len(p)])) + p for p in protos)


class _PassphraseOnce(object):
    """pyOpenSSL's passphrase callback protocol: callback(maxlen, verify,
    userdata), called at most once per load, its answer cut to maxlen."""
    MAXLEN = 1024       # OpenSSL's PEM_BUFSIZE, what pyOpenSSL passes

    def __init__(self, callback, userdata):
        self.callback = callback
        self.userdata = userdata
        self.answer = None

    def __call__(self, *ignored):
        if self.answer is None:
            answer = self.callback(self.MAXLEN, False, self.userdata)
            if not isinstance(answer, bytes):
                raise ValueError("passphrase callback must return bytes")
            self.answer = answer[:self.MAXLEN]
        return self.answer


def _pem_certificates(data):
    marker = b"-----BEGIN CERTIFICATE-----"
    certs = []
    for part in data.split(marker)[1:]:
        certs.append(crypto.load_certificate(crypto.FILETYPE_PEM, marker + part))
    return certs


class _CoreConnection(_core._Connection):
    # The core connection, with room for a weak reference back to ours
    # (the servername callback is handed this object).
    pass


class Connection(object):
    """pyOpenSSL's Connection: TLS over memory BIOs (socket=None) or over a
    socket; other attribute look-ups go to the socket, as in pyOpenSSL.

    Over a socket the core still works on the two memory BIOs, and this
    object moves the bytes: after each core call what the core wrote goes
    to the socket, and when the core wants more, one recv() from the socket
    feeds it.  A blocking socket blocks there; a non-blocking one that has
    nothing gives WantReadError, one that takes nothing more WantWriteError
    (the ciphertext is kept and sent first by the next call)."""

    def __init__(self, context, socket=None):
        if not isinstance(context, Context):
            raise TypeError("context must be a Context instance")
        self._socket = socket
        self._context = context
        self._first_context = context
        self._incoming = _core.MemoryBIO()
        self._outgoing = _core.MemoryBIO()
        self._server_side = None
        self._hostname = None
        self._servername = None
        self._conn = None
        self._wants = None
        self._app_data = None
        self._unsent = b""          # ciphertext the socket has not taken yet
        self._record_header = b""   # part of the next record's header read
        self._record_left = 0       # bytes of the current record to read
        self._peeked = b""          # plaintext read by recv(MSG_PEEK)
        self._shutdown_state = 0    # SENT_SHUTDOWN | RECEIVED_SHUTDOWN
        self._session = None        # Session given to set_session()
        self._client_options = []   # (what, arg) applied to the core SSL
        # Private (bench/ only): a client that also checks the SNI name
        # against the certificate inside the handshake, as the stdlib does;
        # pyOpenSSL 21 has no API for it.
        self._check_hostname = False

    def __getattr__(self, name):
        # Only reached for names we lack: pyOpenSSL passes them to the socket.
        sock = self.__dict__.get("_socket")
        if sock is None:
            raise AttributeError("'%s' object has no attribute '%s'"
                                 % (type(self).__name__, name))
        return getattr(sock, name)

    def _core(self):
        if self._conn is not None:
            return self._conn
        if self._server_side is None:
            raise Error([("SSL routines", "", "connection type not set")])
        conn = _CoreConnection.__new__(_CoreConnection)
        name = self._hostname.decode("ascii") if self._hostname else None
        with _translated():
            self._context._ctx._wrap_bio(
                self._incoming, self._outgoing, self._server_side, name,
                target=conn, verify_hostname=self._check_hostname)
        conn._pyossl_owner = _weakref(self)
        self._conn = conn
        if self._session is not None:
            with _translated(value_errors=True):
                _core._ssl_conn_set_session(conn, self._session._session)
        for what, arg in self._client_options:
            with _translated():
                _core._ssl_conn_client_options(conn, what, arg)
        return conn

    def get_context(self):
        """The Context in use."""
        return self._context

    def set_context(self, context):
        """Switch to another Context (e.g. in the servername callback)."""
        if not isinstance(context, Context):
            raise TypeError("context must be a Context instance")
        if self._conn is not None:
            self._conn.context = context._ctx
        self._context = context

    def set_connect_state(self):
        """Act as the client."""
        self._server_side = False

    def set_accept_state(self):
        """Act as the server."""
        self._server_side = True

    def set_tlsext_host_name(self, name):
        """The SNI name a client sends (bytes)."""
        if not isinstance(name, bytes):
            raise TypeError("name must be a byte string")
        if b"\0" in name:
            raise TypeError("name must not contain NUL byte")
        if self._conn is not None:
            raise NotImplementedError(
                "set_tlsext_host_name() after the first I/O: the core takes "
                "the name when it makes the SSL")
        self._hostname = name

    def get_servername(self):
        """Client: the name set; server: the name the client sent."""
        if self._server_side:
            return self._servername
        return self._hostname

    # -- the socket --------------------------------------------------------
    def _flush(self):
        # Hand the core's ciphertext to the socket.  False: a non-blocking
        # socket took less than all of it (the rest waits in _unsent).
        if self._socket is None:
            return True
        data = self._unsent + self._outgoing.read()
        self._unsent = b""
        while data:
            try:
                if not self._ready(write=True):
                    self._unsent = data
                    return False
                sent = self._socket.send(data)
            except _socket_module.timeout:
                raise
            except _socket_module.error as exc:
                if exc.args and exc.args[0] in _WOULD_BLOCK:
                    self._unsent = data
                    return False
                raise SysCallError(exc.args[0], _strerror(exc))
            data = data[sent:]
        return True

    def _ready(self, write):
        # A socket with a timeout is non-blocking underneath, and OpenSSL
        # on its descriptor (pyOpenSSL) answers WANT_READ/WANT_WRITE at
        # once; the caller waits (urllib3 does, with the timeout).  Python
        # would wait inside recv()/send() instead, so look first.
        timeout = self._socket.gettimeout()
        if timeout is None:
            return True
        if write:
            return bool(_select.select([], [self._socket], [], 0)[1])
        return bool(_select.select([self._socket], [], [], 0)[0])

    def _fill(self):
        # One recv() from the socket into the core.  False: a non-blocking
        # socket had nothing.  Reads stop at TLS record boundaries (the
        # 5-byte header, then its body), as OpenSSL's socket BIO does: what
        # the core does not need yet stays in the kernel, so closing after
        # a failed handshake resets the connection as with pyOpenSSL.
        if self._record_left:
            want = self._record_left
        else:
            want = 5 - len(self._record_header)
        try:
            if not self._ready(write=False):
                return False
            data = self._socket.recv(want)
        except _socket_module.timeout:
            raise
        except _socket_module.error as exc:
            if exc.args and exc.args[0] in _WOULD_BLOCK:
                return False
            raise SysCallError(exc.args[0], _strerror(exc))
        if not data:
            self._incoming.write_eof()
            return True
        self._incoming.write(data)
        if self._record_left:
            self._record_left -= len(data)
        else:
            self._record_header += data
            if len(self._record_header) == 5:
                header = bytearray(self._record_header)
                self._record_left = (header[3] << 8) | header[4]
                self._record_header = b""
        return True

    def _run(self, operation):
        """operation() on the core, with pyOpenSSL's exceptions; over a
        socket, the bytes moved until it completes (or would block)."""
        if self._socket is not None and not self._flush():
            self._wants = "write"
            raise WantWriteError()
        while True:
            try:
                with _translated(self):
                    result = operation()
            except WantReadError:
                if self._socket is None:
                    raise
                if not self._flush():
                    self._wants = "write"
                    raise WantWriteError()
                if not self._fill():
                    raise
                continue
            except ZeroReturnError:
                self._shutdown_state |= RECEIVED_SHUTDOWN
                self._flush()
                raise
            except Error:
                # an alert the failure produced still goes to the peer
                try:
                    self._flush()
                except Error:
                    pass
                raise
            self._flush()
            return result

    def _no_socket(self, what):
        if self._socket is not None:
            raise TypeError("Connection sock was not None")

    def connect(self, addr):
        """Connect the socket and act as the client."""
        self.set_connect_state()
        return self._socket.connect(addr)

    def connect_ex(self, addr):
        """connect() returning an errno instead of raising."""
        self.set_connect_state()
        return self._socket.connect_ex(addr)

    def accept(self):
        """Accept on the listening socket: (server-side Connection, address)."""
        client, address = self._socket.accept()
        conn = Connection(self._context, client)
        conn.set_accept_state()
        return conn, address

    def sock_shutdown(self, *args, **kwargs):
        """shutdown() of the socket itself (no TLS close_notify)."""
        return self._socket.shutdown(*args, **kwargs)

    def makefile(self, *args, **kwargs):
        """Not available, as in pyOpenSSL (a file would bypass TLS)."""
        raise NotImplementedError(
            "Cannot make file object of OpenSSL.SSL.Connection")

    # -- memory BIOs --------------------------------------------------------
    def bio_write(self, buf):
        """Give bytes received from the peer; returns how many were taken."""
        if type(buf) is bytes and self._socket is None:
            try:                                # fast path: nothing to check
                return self._incoming.write(buf)
            except _core.SSLError as exc:       # after bio_shutdown()
                translated = _translated()
                if not translated.__exit__(type(exc), exc, None):
                    raise
        self._no_socket("bio_write")
        buf = _as_bytes("buf", buf)
        if isinstance(buf, memoryview):
            buf = buf.tobytes()
        elif isinstance(buf, bytearray):
            buf = bytes(buf)
        if not isinstance(buf, bytes):
            raise TypeError("buf must be a byte string")
        with _translated():
            return self._incoming.write(buf)

    def bio_read(self, bufsiz):
        """Take up to bufsiz bytes to send to the peer."""
        if self._socket is None and type(bufsiz) is int:
            data = self._outgoing.read(bufsiz)      # fast path
            if data:
                return data
            raise WantReadError()
        self._no_socket("bio_read")
        if not isinstance(bufsiz, _integer_types):
            raise TypeError("bufsiz must be an integer")
        data = self._outgoing.read(bufsiz)
        if not data:
            raise WantReadError()
        return data

    def bio_shutdown(self):
        """Say that the peer's data has ended (EOF on the incoming BIO)."""
        self._no_socket("bio_shutdown")
        self._incoming.write_eof()

    # -- TLS ----------------------------------------------------------------
    def do_handshake(self):
        """Run the handshake as far as the data at hand allows."""
        conn = self._core()
        self._run(conn.do_handshake)

    def _fast_io_failed(self, exc):
        # The fast paths' exception, through the one mapping (_translated).
        if isinstance(exc, _core.SSLZeroReturnError):
            self._shutdown_state |= RECEIVED_SHUTDOWN
        translated = _translated(self)
        translated.__enter__()
        if not translated.__exit__(type(exc), exc, None):
            raise exc

    def send(self, buf, flags=0):
        """Encrypt buf; returns the number of bytes taken."""
        # Fast path (memory BIOs, bytes of one record at most, after the
        # first I/O): small records are where per-call cost shows.
        conn = self._conn
        if (conn is not None and type(buf) is bytes and len(buf) <= _MAX_RECORD
                and not flags and self._socket is None):
            self._wants = None
            try:
                return conn.write(buf)
            except _core.SSLError as exc:
                self._fast_io_failed(exc)
        buf = _as_bytes("buf", buf)
        if isinstance(buf, memoryview):
            buf = buf.tobytes()     # bytes(view) is its repr on 2.7
        elif isinstance(buf, bytearray):
            buf = bytes(buf)
        elif _PY2 and isinstance(buf, buffer):  # noqa: F821 (2.7 builtin)
            buf = bytes(buf)
        if not isinstance(buf, bytes):
            raise TypeError("data must be a memoryview, buffer or byte string")
        if not isinstance(flags, _integer_types):
            raise TypeError("flags must be an integer")
        if len(buf) > 2147483647:
            raise ValueError("Cannot send more than 2**31-1 bytes at once.")
        conn = self._core()
        # pyOpenSSL's contexts set SSL_MODE_ENABLE_PARTIAL_WRITE: one call
        # sends at most one record, and says how much that took.
        buf = buf[:_MAX_RECORD]
        return self._run(lambda: conn.write(buf))

    write = send

    def sendall(self, buf, flags=0):
        """Encrypt and send all of buf."""
        buf = _as_bytes("buf", buf)
        if _PY2 and isinstance(buf, buffer):  # noqa: F821 (2.7 builtin)
            buf = bytes(buf)
        if not isinstance(buf, (bytes, bytearray, memoryview)):
            raise TypeError("buf must be a memoryview, buffer or byte string")
        if not isinstance(flags, _integer_types):
            raise TypeError("flags must be an integer")
        view = memoryview(buf)
        total = 0
        while total < len(view):
            total += self.send(view[total:total + _MAX_RECORD].tobytes(), flags)
        return total

    def _read(self, bufsiz, peek):
        # Plaintext, from what MSG_PEEK left first.
        if not self._peeked:
            conn = self._core()
            data = self._run(lambda: conn.read(bufsiz))
            if not data and bufsiz:
                self._shutdown_state |= RECEIVED_SHUTDOWN
                raise ZeroReturnError()
            self._peeked = data
        data = self._peeked[:bufsiz]
        if not peek:
            self._peeked = self._peeked[len(data):]
        return data

    def recv(self, bufsiz, flags=None):
        """Up to bufsiz bytes of plaintext (MSG_PEEK: leave them to be read
        again); ZeroReturnError after close_notify."""
        conn = self._conn
        if (conn is not None and not flags and self._socket is None
                and not self._peeked and type(bufsiz) is int and bufsiz > 0):
            self._wants = None          # fast path, as in send()
            try:
                data = conn.read(bufsiz)
            except _core.SSLError as exc:
                self._fast_io_failed(exc)
            if data:
                return data
            self._shutdown_state |= RECEIVED_SHUTDOWN
            raise ZeroReturnError()
        if not isinstance(bufsiz, _integer_types):
            raise TypeError("bufsiz must be an integer")
        return self._read(bufsiz, bool(flags and flags & _MSG_PEEK))

    read = recv

    def recv_into(self, buffer, nbytes=None, flags=None):
        """Read into buffer (at most nbytes); returns the count."""
        if nbytes is None:
            nbytes = len(buffer)
        else:
            nbytes = min(nbytes, len(buffer))
        data = self._read(nbytes, bool(flags and flags & _MSG_PEEK))
        buffer[:len(data)] = data
        return len(data)

    def pending(self):
        """Decrypted bytes buffered inside OpenSSL."""
        inside = self._conn.pending() if self._conn is not None else 0
        return inside + len(self._peeked)

    def shutdown(self):
        """Send close_notify.  True once the peer's close_notify is in too,
        False while we still wait for it."""
        conn = self._core()
        again = self._shutdown_state & SENT_SHUTDOWN
        self._shutdown_state |= SENT_SHUTDOWN
        try:
            with _translated(self):
                conn.unwrap()
        except WantReadError:
            self._flush()
            if again:
                raise       # still waiting for the peer's close_notify
            return False
        self._flush()
        self._shutdown_state |= RECEIVED_SHUTDOWN
        return True

    def get_shutdown(self):
        """SENT_SHUTDOWN and/or RECEIVED_SHUTDOWN, as far as this side knows."""
        return self._shutdown_state

    def set_shutdown(self, state):
        """Set the shutdown state get_shutdown() reports."""
        if not isinstance(state, _integer_types):
            raise TypeError("state must be an integer")
        self._shutdown_state = state

    def want_read(self):
        """Whether the last operation stopped for want of incoming data."""
        return self._wants == "read"

    def want_write(self):
        """Whether the last operation stopped for want of outgoing room."""
        return self._wants == "write"

    # -- what the handshake agreed ---------------------------------------
    # -- sessions, Finished messages, secrets -------------------------------
    def get_session(self):
        """The connection's Session, or None before there is one."""
        if self._conn is None:
            return None
        core_session = self._conn.session
        if core_session is None:
            return None
        session = Session()
        session._session = core_session
        return session

    def set_session(self, session):
        """Resume session (a client, before its handshake)."""
        if not isinstance(session, Session):
            raise TypeError("session must be a Session instance")
        if session._session is None:
            raise Error([("SSL routines", "", "no session to resume")])
        self._session = session
        if self._conn is not None:
            with _translated(value_errors=True):
                _core._ssl_conn_set_session(self._conn, session._session)

    def export_keying_material(self, label, olen, context=None):
        """olen bytes of keying material for label (RFC 5705)."""
        with _translated(value_errors=True):
            return self._core().export_keying_material(label, olen, context)

    def _client_option(self, what, arg=None):
        # before the core SSL exists, remembered and applied when it is made
        if self._conn is None:
            self._client_options.append((what, arg))
        else:
            with _translated():
                _core._ssl_conn_client_options(self._conn, what, arg)

    def request_ocsp(self):
        """A client asks the server to staple an OCSP response."""
        self._client_option("request_ocsp")

    def set_alpn_protos(self, protos):
        """The ALPN protocols this connection offers."""
        self._client_option("alpn", _alpn_wire(protos))

    def get_finished(self):
        """The Finished message we sent, or None."""
        if self._conn is None:
            return None
        return _core._ssl_conn_finished(self._conn, False)

    def get_peer_finished(self):
        """The Finished message the peer sent, or None."""
        if self._conn is None:
            return None
        return _core._ssl_conn_finished(self._conn, True)

    def _secret(self, what):
        if self._conn is None:
            return None
        return _core._ssl_conn_secret(self._conn, what)

    def client_random(self):
        """The ClientHello random (32 bytes), or None."""
        return self._secret("client_random")

    def server_random(self):
        """The ServerHello random (32 bytes), or None."""
        return self._secret("server_random")

    def master_key(self):
        """The session's master secret, or None (TLS 1.2 and below; TLS
        1.3 has none of that name)."""
        return self._secret("master_key")

    def get_state_string(self):
        """OpenSSL's long description of the handshake state (bytes)."""
        conn = self._core() if self._server_side is not None else None
        if conn is None:
            return b"before SSL initialization"
        return _core._ssl_conn_state(conn, "state").encode("ascii")

    def renegotiate(self):
        """Ask for a renegotiation (TLS 1.2); True if OpenSSL took it."""
        return _core._ssl_conn_state(self._core(), "renegotiate")

    def renegotiate_pending(self):
        """Whether a renegotiation is under way."""
        if self._conn is None:
            return False
        return _core._ssl_conn_state(self._conn, "renegotiate_pending")

    def total_renegotiations(self):
        """How many renegotiations this connection started."""
        if self._conn is None:
            return 0
        return _core._ssl_conn_state(self._conn, "renegotiations")

    def get_client_ca_list(self):
        """The CA names a server asks client certificates from (a server:
        its own list; a client: the list the server sent)."""
        if self._conn is None:
            if self._server_side is None:
                return []
            self._core()
        return _core._ssl_conn_client_cas(self._conn)

    def get_certificate(self):
        """Our own certificate (crypto.X509), or None."""
        chain = self._context._chain
        return chain[0] if chain else None

    def _chain(self, verified):
        if self._conn is None:
            return None
        try:
            ders = (self._conn.get_verified_chain() if verified
                    else self._conn.get_unverified_chain())
        except (ValueError, _core.SSLError):
            return None
        if not ders:
            return None
        return [crypto.load_certificate(
            crypto.FILETYPE_ASN1, cert.public_bytes(_core.ENCODING_DER))
            for cert in ders]

    def get_peer_cert_chain(self):
        """The certificates the peer sent (crypto.X509 list), or None."""
        return self._chain(False)

    def get_verified_chain(self):
        """The chain verification built, leaf first, or None."""
        return self._chain(True)

    def get_cipher_list(self):
        """Names of the ciphers this connection may use, in order."""
        return [str(c["name"]) for c in self._context._ctx.get_ciphers()]

    def _version_name(self):
        version = self._conn.version() if self._conn is not None else None
        if version is None:
            # As SSL_get_version(): until a version is agreed, the highest
            # one the context's method allows (set_max_proto_version() or
            # not)
            pinned = _METHOD_VERSIONS.get(self._context._method)
            return _VERSION_NAMES[pinned or TLS1_3_VERSION]
        return version

    def get_protocol_version(self):
        """The protocol version as a number (TLS1_2_VERSION, ...); before
        the handshake, the highest the context's method allows."""
        return _VERSION_NUMBERS.get(self._version_name(), 0)

    def get_peer_certificate(self):
        """The peer's certificate as crypto.X509, or None."""
        if self._conn is None:
            return None
        try:
            der = self._conn.getpeercert(True)
        except ValueError:      # handshake not done yet
            return None
        if der is None:
            return None
        return crypto.load_certificate(crypto.FILETYPE_ASN1, der)

    def _cipher(self, index):
        cipher = self._conn.cipher() if self._conn is not None else None
        return None if cipher is None else _text(cipher[index])

    def get_cipher_name(self):
        """The cipher's OpenSSL name, or None before the handshake."""
        return self._cipher(0)

    def get_cipher_version(self):
        """The protocol version the cipher belongs to, or None."""
        return self._cipher(1)

    def get_cipher_bits(self):
        """The cipher's secret bits, or None."""
        return self._cipher(2)

    def get_protocol_version_name(self):
        """'TLSv1.2', 'TLSv1.3', ... of the connection; before the
        handshake, the highest the context's method allows."""
        return _text(self._version_name())

    def get_alpn_proto_negotiated(self):
        """The ALPN protocol agreed, or b''."""
        name = self._conn.selected_alpn_protocol() if self._conn is not None else None
        if name is None:
            return b""
        return name.encode("utf-8") if isinstance(name, _text_type) else name

    def get_app_data(self):
        """What set_app_data() stored."""
        return self._app_data

    def set_app_data(self, data):
        """Store any object on the connection."""
        self._app_data = data
