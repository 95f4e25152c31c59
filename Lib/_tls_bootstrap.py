"""_tls_bootstrap: the modern ssl module for CPython 2.7 and 3.6+, opt-in.

    import _tls_bootstrap
    _tls_bootstrap.monkeypatch_ssl()

Importing this module changes nothing; monkeypatch_ssl() grafts it onto the
host's ssl module and restore_ssl() undoes that exactly.  `python -m
_tls_bootstrap` reports what this interpreter's ssl lacks and what this
module provides, and runs a self-test.

Rules of this file:
- The exception classes are the host's own (ssl.SSLError and friends); the
  compiled core raises exactly those objects.
- Behaviour and results follow CPython 3.13's ssl module; where an older
  host's own tests disagree on an API it already had, the host wins, and a
  comment says so.
- Nothing here reads the host ssl module's globals at call time (the host's
  own classes do, which is why they cannot simply be subclassed).
- Where the host's ssl already has an enum, Purpose or a namedtuple type,
  that very object is used (its own tests and isinstance checks keep
  working); ours is made only where the host lacks it.
- No I/O and no side effect at import time.
"""
from __future__ import absolute_import

import base64
import os
import sys
import warnings

__version__ = "0.1.0"

import _tls_bootstrap_core as _core
import ssl as _host_ssl     # read only: types it has are reused, never changed

if getattr(_core, "__version__", None) != __version__:
    raise ImportError(
        "_tls_bootstrap %s found the compiled core of version %s (%s); "
        "reinstall _tls_bootstrap" % (
            __version__, getattr(_core, "__version__", "?"), _core.__file__))

# 2.7 subinterpreters: this interpreter's ssl classes (errors.c).
_core._bind_interpreter()

_PY2 = sys.version_info[0] == 2
if _PY2:
    _text_type = unicode  # noqa: F821 (2.7 builtin)
    _integer_types = (int, long)  # noqa: F821 (2.7 builtin)
else:
    _text_type = str
    _integer_types = (int,)

# ---------------------------------------------------------------------------
# Exceptions: the host's classes (see Modules/_tls_bootstrap/errors.c).
# ---------------------------------------------------------------------------
SSLError = _core.SSLError
SSLZeroReturnError = _core.SSLZeroReturnError
SSLWantReadError = _core.SSLWantReadError
SSLWantWriteError = _core.SSLWantWriteError
SSLSyscallError = _core.SSLSyscallError
SSLEOFError = _core.SSLEOFError
SSLCertVerificationError = _core.SSLCertVerificationError
CertificateError = _core.CertificateError

# ---------------------------------------------------------------------------
# Enums.  3.x uses the enum module, as the stdlib does; 2.7 has none, so a
# small int-compatible stand-in gives the same names, values and reprs.
# ---------------------------------------------------------------------------
if not _PY2:
    import enum as _enum

    def _make_enum(name, members, flag=False):
        base = _enum.IntFlag if flag else _enum.IntEnum
        return base(name, members, module=__name__)

    _Enum = _enum.Enum
else:
    class _EnumMeta27(type):
        """Iteration, lookup by value, and __members__ for the 2.7 enums."""

        def __iter__(cls):
            return iter(cls._member_list)

        def __len__(cls):
            return len(cls._member_list)

        def __contains__(cls, member):
            return isinstance(member, cls) and member._name_ in cls.__members__

        def __getitem__(cls, name):
            return cls.__members__[name]

        def __call__(cls, value):
            if isinstance(value, cls):
                return value
            try:
                return cls._value2member[value]
            except (KeyError, TypeError):
                pass
            if cls._is_flag and isinstance(value, _integer_types):
                return cls._pseudo_member(value)
            raise ValueError("%r is not a valid %s" % (value, cls.__name__))

        def __repr__(cls):
            return "<enum %r>" % cls.__name__

    class _IntEnum27(int):
        __metaclass__ = _EnumMeta27
        _is_flag = False

        @property
        def name(self):
            return self._name_

        @property
        def value(self):
            return int(self)

        def __repr__(self):
            return "<%s.%s: %d>" % (type(self).__name__, self._name_, int(self))

        # 3.11+ (the generation we follow) prints IntEnum members as numbers.
        __str__ = int.__repr__

        def __format__(self, spec):
            return format(int(self), spec)

        def __reduce__(self):
            return type(self), (int(self),)

    class _IntFlag27(_IntEnum27):
        _is_flag = True

        @classmethod
        def _pseudo_member(cls, value):
            member = int.__new__(cls, value)
            names = [m._name_ for m in cls._member_list
                     if int(m) and int(m) & value == int(m)]
            member._name_ = "|".join(names) if names else None
            return member

        def __or__(self, other):
            if not isinstance(other, _integer_types):
                return NotImplemented
            return type(self)(int(self) | int(other))

        def __and__(self, other):
            if not isinstance(other, _integer_types):
                return NotImplemented
            return type(self)(int(self) & int(other))

        def __xor__(self, other):
            if not isinstance(other, _integer_types):
                return NotImplemented
            return type(self)(int(self) ^ int(other))

        __ror__, __rand__, __rxor__ = __or__, __and__, __xor__

        def __invert__(self):
            mask = 0
            for member in type(self)._member_list:
                mask |= int(member)
            return type(self)(mask & ~int(self))

    def _make_enum(name, members, flag=False):
        cls = _EnumMeta27(name, (_IntFlag27 if flag else _IntEnum27,),
                          {"__module__": __name__})
        cls._member_list, cls._value2member = [], {}
        cls.__members__ = {}
        for member_name, value in members:
            if value in cls._value2member:           # an alias
                member = cls._value2member[value]
            else:
                member = int.__new__(cls, value)
                member._name_ = member_name
                cls._member_list.append(member)
                cls._value2member[value] = member
            cls.__members__[member_name] = member
            setattr(cls, member_name, member)
        return cls

    class _Enum(object):
        pass


def _core_constants(prefix):
    return sorted(((name, getattr(_core, name)) for name in dir(_core)
                   if name.startswith(prefix)), key=lambda item: item[1])


def _host_or_new_enum(name, members, flag=False):
    host = getattr(_host_ssl, name, None)
    if host is not None:
        return host
    return _make_enum(name, members, flag)


# Enums whose members are also the module's constants, as in 3.13.
_SSLMethod = _host_or_new_enum("_SSLMethod", [
    (name, value) for name, value in _core_constants("PROTOCOL_")
    if name != "PROTOCOL_SSLv23"])
Options = _host_or_new_enum("Options", _core_constants("OP_"), flag=True)
AlertDescription = _host_or_new_enum("AlertDescription",
                                     _core_constants("ALERT_DESCRIPTION_"))
SSLErrorNumber = _host_or_new_enum("SSLErrorNumber", _core_constants("SSL_ERROR_"))
VerifyFlags = _host_or_new_enum("VerifyFlags", _core_constants("VERIFY_"),
                                flag=True)
VerifyMode = _host_or_new_enum("VerifyMode", _core_constants("CERT_"))
TLSVersion = _host_or_new_enum("TLSVersion", [
    ("MINIMUM_SUPPORTED", _core.PROTO_MINIMUM_SUPPORTED),
    ("SSLv3", _core.PROTO_SSLv3),
    ("TLSv1", _core.PROTO_TLSv1),
    ("TLSv1_1", _core.PROTO_TLSv1_1),
    ("TLSv1_2", _core.PROTO_TLSv1_2),
    ("TLSv1_3", _core.PROTO_TLSv1_3),
    ("MAXIMUM_SUPPORTED", _core.PROTO_MAXIMUM_SUPPORTED),
])


def _publish(enum_class, prefix):
    """Module constants: enum members, or plain ints for values an older
    host's enum lacks (its members come from its own, older _ssl)."""
    for member_name, value in _core_constants(prefix):
        member = enum_class.__members__.get(member_name)
        globals()[member_name] = member if member is not None else value


for _enum_class, _prefix in ((_SSLMethod, "PROTOCOL_"), (Options, "OP_"),
                             (AlertDescription, "ALERT_DESCRIPTION_"),
                             (SSLErrorNumber, "SSL_ERROR_"),
                             (VerifyFlags, "VERIFY_"), (VerifyMode, "CERT_")):
    _publish(_enum_class, _prefix)
PROTOCOL_SSLv23 = PROTOCOL_TLS  # noqa: F821 (published above)

# Values seen by SSLContext._msg_callback (RFC 8446 and predecessors).
_TLSContentType = _host_or_new_enum("_TLSContentType", [
    ("CHANGE_CIPHER_SPEC", 20), ("ALERT", 21), ("HANDSHAKE", 22),
    ("APPLICATION_DATA", 23), ("HEADER", 0x100), ("INNER_CONTENT_TYPE", 0x101)])
_TLSAlertType = _host_or_new_enum("_TLSAlertType", [
    ("CLOSE_NOTIFY", 0), ("UNEXPECTED_MESSAGE", 10), ("BAD_RECORD_MAC", 20),
    ("DECRYPTION_FAILED", 21), ("RECORD_OVERFLOW", 22),
    ("DECOMPRESSION_FAILURE", 30), ("HANDSHAKE_FAILURE", 40),
    ("NO_CERTIFICATE", 41), ("BAD_CERTIFICATE", 42),
    ("UNSUPPORTED_CERTIFICATE", 43), ("CERTIFICATE_REVOKED", 44),
    ("CERTIFICATE_EXPIRED", 45), ("CERTIFICATE_UNKNOWN", 46),
    ("ILLEGAL_PARAMETER", 47), ("UNKNOWN_CA", 48), ("ACCESS_DENIED", 49),
    ("DECODE_ERROR", 50), ("DECRYPT_ERROR", 51), ("EXPORT_RESTRICTION", 60),
    ("PROTOCOL_VERSION", 70), ("INSUFFICIENT_SECURITY", 71),
    ("INTERNAL_ERROR", 80), ("INAPPROPRIATE_FALLBACK", 86),
    ("USER_CANCELED", 90), ("NO_RENEGOTIATION", 100),
    ("MISSING_EXTENSION", 109), ("UNSUPPORTED_EXTENSION", 110),
    ("CERTIFICATE_UNOBTAINABLE", 111), ("UNRECOGNIZED_NAME", 112),
    ("BAD_CERTIFICATE_STATUS_RESPONSE", 113),
    ("BAD_CERTIFICATE_HASH_VALUE", 114), ("UNKNOWN_PSK_IDENTITY", 115),
    ("CERTIFICATE_REQUIRED", 116), ("NO_APPLICATION_PROTOCOL", 120)])
_TLSMessageType = _host_or_new_enum("_TLSMessageType", [
    ("HELLO_REQUEST", 0), ("CLIENT_HELLO", 1), ("SERVER_HELLO", 2),
    ("HELLO_VERIFY_REQUEST", 3), ("NEWSESSION_TICKET", 4),
    ("END_OF_EARLY_DATA", 5), ("HELLO_RETRY_REQUEST", 6),
    ("ENCRYPTED_EXTENSIONS", 8), ("CERTIFICATE", 11),
    ("SERVER_KEY_EXCHANGE", 12), ("CERTIFICATE_REQUEST", 13),
    ("SERVER_DONE", 14), ("CERTIFICATE_VERIFY", 15),
    ("CLIENT_KEY_EXCHANGE", 16), ("FINISHED", 20), ("CERTIFICATE_URL", 21),
    ("CERTIFICATE_STATUS", 22), ("SUPPLEMENTAL_DATA", 23), ("KEY_UPDATE", 24),
    ("NEXT_PROTO", 67), ("MESSAGE_HASH", 254), ("CHANGE_CIPHER_SPEC", 0x0101)])

_PROTOCOL_NAMES = dict((member, member.name) for member in _SSLMethod)
# Setting any of these is deprecated (3.10+).
_OP_NO_PROTOCOLS = (_core.OP_NO_SSLv2 | _core.OP_NO_SSLv3 | _core.OP_NO_TLSv1 |
                    _core.OP_NO_TLSv1_1 | _core.OP_NO_TLSv1_2 | _core.OP_NO_TLSv1_3)


def get_protocol_name(protocol_code):
    return _PROTOCOL_NAMES.get(protocol_code, "<unknown>")


# ---------------------------------------------------------------------------
# Plain constants
# ---------------------------------------------------------------------------
def _copy_constants(prefixes):
    for name in dir(_core):
        if name.startswith(prefixes):
            globals()[name] = getattr(_core, name)


_copy_constants(("HAS_", "PROTO_"))
OPENSSL_VERSION = _core.OPENSSL_VERSION
OPENSSL_VERSION_NUMBER = _core.OPENSSL_VERSION_NUMBER
OPENSSL_VERSION_INFO = _core.OPENSSL_VERSION_INFO
OPENSSL_BUILD_VERSION = _core.OPENSSL_BUILD_VERSION
_OPENSSL_API_VERSION = _core._OPENSSL_API_VERSION
_DEFAULT_CIPHERS = _core._DEFAULT_CIPHERS
CHANNEL_BINDING_TYPES = ["tls-unique"]

MemoryBIO = _core.MemoryBIO
SSLSession = _core.SSLSession
crypto = _core.crypto
rand = _core.rand
# Importable by their dotted names too (`from _tls_bootstrap.crypto import
# X509`, as with pyOpenSSL's OpenSSL.crypto; the type stubs name them so).
# On 2.7 every interpreter's core shares one crypto and one rand module, and
# an ending subinterpreter empties each module in its sys.modules: there the
# entries are namespaces of their own with the same objects.
def _dotted_entry(module):
    if sys.version_info[0] > 2:
        return module
    entry = type(sys)(module.__name__, module.__doc__)
    entry.__dict__.update(module.__dict__)
    return entry


sys.modules.setdefault(__name__ + ".crypto", _dotted_entry(crypto))
sys.modules.setdefault(__name__ + ".rand", _dotted_entry(rand))
try:    # pyOpenSSL's SSL API (issue 17); absent where this file ships alone
    import _tls_bootstrap_SSL as SSL  # noqa: E402
    from _tls_bootstrap_pyopenssl import inject_pyopenssl, extract_pyopenssl  # noqa: E402,F401
except ImportError as _exc:   # (the CPython patch, test_patches_e2e's copy)
    if "_tls_bootstrap_SSL" not in str(_exc) and "_tls_bootstrap_pyopenssl" not in str(_exc):
        raise
RAND_bytes = _core.RAND_bytes
RAND_status = _core.RAND_status
RAND_add = _core.RAND_add
get_sigalgs = _core.get_sigalgs


# ---------------------------------------------------------------------------
# ASN.1 objects and purposes
# ---------------------------------------------------------------------------
# Every supported host (2.7.9+, 3.4+) has _ASN1Object and Purpose; using its
# objects lets host code pass ssl.Purpose.* to our functions.
_ASN1Object = _host_ssl._ASN1Object
Purpose = _host_ssl.Purpose


# ---------------------------------------------------------------------------
# Module-level helpers
# ---------------------------------------------------------------------------
DefaultVerifyPaths = _host_ssl.DefaultVerifyPaths


def get_default_verify_paths():
    """Return paths to default cafile and capath."""
    parts = _core.get_default_verify_paths()
    cafile = os.environ.get(parts[0], parts[1])
    capath = os.environ.get(parts[2], parts[3])
    return DefaultVerifyPaths(cafile if os.path.isfile(cafile) else None,
                              capath if os.path.isdir(capath) else None,
                              *parts)


def cert_time_to_seconds(cert_time):
    """Seconds since the Epoch for a certificate's notBefore/notAfter text
    ("%b %d %H:%M:%S %Y GMT", C locale month names)."""
    from calendar import timegm
    from time import strptime

    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    rest_format = " %d %H:%M:%S %Y GMT"
    try:
        month = months.index(cert_time[:3].title()) + 1
    except ValueError:
        raise ValueError('time data %r does not match format "%%b%s"'
                         % (cert_time, rest_format))
    parsed = strptime(cert_time[3:], rest_format)
    return timegm((parsed[0], month) + tuple(parsed[2:6]))


PEM_HEADER = "-----BEGIN CERTIFICATE-----"
PEM_FOOTER = "-----END CERTIFICATE-----"


def DER_cert_to_PEM_cert(der_cert_bytes):
    """PEM text (native str) for a DER-encoded certificate."""
    body = base64.standard_b64encode(der_cert_bytes)
    if not _PY2:
        body = body.decode("ascii")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return PEM_HEADER + "\n" + "\n".join(lines) + "\n" + PEM_FOOTER + "\n"


def PEM_cert_to_DER_cert(pem_cert_string):
    """DER bytes for a PEM-encoded certificate."""
    if not pem_cert_string.startswith(PEM_HEADER):
        raise ValueError("Invalid PEM encoding; must start with %s" % PEM_HEADER)
    if not pem_cert_string.strip().endswith(PEM_FOOTER):
        raise ValueError("Invalid PEM encoding; must end with %s" % PEM_FOOTER)
    body = pem_cert_string.strip()[len(PEM_HEADER):-len(PEM_FOOTER)]
    return base64.decodestring(body) if _PY2 else base64.decodebytes(
        body.encode("ASCII", "strict"))


def _encode_hostname(hostname):
    """server_hostname as the IDNA A-label text the core expects."""
    if hostname is None:
        return None
    if isinstance(hostname, _text_type):
        encoded = hostname.encode("idna")
        return encoded if _PY2 else encoded.decode("ascii")
    if _PY2 and isinstance(hostname, str):
        return hostname.decode("ascii").encode("idna")
    return hostname.decode("ascii")


def _protocol_list_wire(protocols, what):
    """ALPN/NPN names as the wire's length-prefixed list.  str as the
    stdlib takes them, and bytes (2.7's native strings); anything else is
    the TypeError the stdlib's bytes(protocol, 'ascii') raises."""
    wire = bytearray()
    for protocol in protocols:
        if isinstance(protocol, _text_type):
            encoded = protocol.encode("ascii")
        elif isinstance(protocol, (bytes, bytearray)):
            encoded = bytes(protocol)
        else:
            raise TypeError("%s protocols must be str, not %s"
                            % (what, type(protocol).__name__))
        if len(encoded) == 0 or len(encoded) > 255:
            raise SSLError("%s protocols must be 1 to 255 in length" % what)
        wire.append(len(encoded))
        wire.extend(encoded)
    return bytes(wire)


def _enum_or_value(enum_class, value):
    try:
        return enum_class(value)
    except ValueError:
        return value


def _warn_deprecated(message, stacklevel=3):
    if _legacy_host_behaviour("warns_deprecations"):
        return
    warnings.warn(message, DeprecationWarning, stacklevel=stacklevel)


# ---------------------------------------------------------------------------
# Grafted onto an older host.  Code written for that host, its own tests
# first, relies on how its ssl behaved where 3.13 later changed an API it
# already had; while monkeypatch_ssl() is in effect those APIs keep the
# host's behaviour (issue rule: there the host's tests win).  Used directly,
# without the graft, everything is 3.13's.  Each entry: the change and the
# CPython version that made it; it applies on hosts older than that.
# ---------------------------------------------------------------------------
_HOST_VERSION = sys.version_info[:2]
_CHANGED_IN = {
    "protocol_argument_optional": (3, 6),    # 2.7: SSLContext() is a TypeError
    "check_hostname_sets_cert_required": (3, 7),  # before: ValueError if CERT_NONE
    "hostname_checked_by_openssl": (3, 7),   # before: match_hostname()'s messages
    "timeouts_are_socket_timeout": (3, 0),   # 2.7: SSLError("... timed out")
    "send_raises_when_blocked": (3, 0),      # 2.7: send() returns 0
    "empty_write_returns_zero": (3, 10),     # before: write(b'') SSLEOFError
    "warns_deprecations": (3, 10),           # PROTOCOL_TLS, OP_NO_*, TLSv1...
    "role_protocols_in_factories": (3, 10),  # before: PROTOCOL_TLS
    "refuses_wrong_side": (3, 10),           # client socket from a server context
    "shared_ciphers_none_on_client": (3, 10),
    "secure_default_ciphers": (3, 10),       # before: "DEFAULT:!aNULL:..."
    "strict_default_verify_flags": (3, 13),  # VERIFY_X509_STRICT|PARTIAL_CHAIN
}
# 3.10-3.12 report a socket error (ECONNRESET) in read()/write() as a
# ragged EOF, SSLEOFError; 3.6-3.9 and 3.13 raise the OSError.
_HOST_TRANSPORT_ERRORS_ARE_EOF = (3, 10) <= _HOST_VERSION < (3, 13)
# 3.8 and 3.9 set OP_IGNORE_UNEXPECTED_EOF by default on OpenSSL 3.
_HOST_IGNORES_UNEXPECTED_EOF = (3, 8) <= _HOST_VERSION < (3, 10)
_HOST_DEFAULT_CIPHERS = "DEFAULT:!aNULL:!eNULL:!MD5:!3DES:!DES:!RC4:!IDEA:!SEED:!aDSS:!SRP:!PSK"


def _legacy_host_behaviour(change):
    """True when grafted onto a host older than `change`: keep the host's
    behaviour.  (The name of a 3.x change, see _CHANGED_IN.)"""
    return _graft is not None and _HOST_VERSION < _CHANGED_IN[change]


# ---------------------------------------------------------------------------
# SSLContext
# ---------------------------------------------------------------------------
_CoreContext = _core._SSLContext


class SSLContext(_CoreContext):
    """An SSLContext holds various SSL-related configuration options and
    data, such as certificates and possibly a private key."""

    sslsocket_class = None  # set below, once SSLSocket exists
    sslobject_class = None  # set below

    # Like 3.13's: extra arguments are accepted and ignored (no __init__).
    def __new__(cls, protocol=None, *args, **kwargs):
        if protocol is None:
            if _legacy_host_behaviour("protocol_argument_optional"):
                raise TypeError("SSLContext() takes a protocol argument")
            _warn_deprecated("ssl.SSLContext() without protocol argument is "
                             "deprecated.")
            protocol = _core.PROTOCOL_TLS
        elif protocol not in (_core.PROTOCOL_TLS_CLIENT,
                              _core.PROTOCOL_TLS_SERVER):
            # 3.10+ deprecates every protocol but the two role-specific ones.
            # (not hashed unless an int: a writable memoryview cannot be)
            name = (_PROTOCOL_NAMES.get(protocol)
                    if isinstance(protocol, _integer_types) else None)
            if name is not None:
                _warn_deprecated("ssl.%s is deprecated" % name)
        self = _CoreContext.__new__(cls, protocol)
        if _legacy_host_behaviour("secure_default_ciphers"):
            self.set_ciphers(_HOST_DEFAULT_CIPHERS)
        if _HOST_IGNORES_UNEXPECTED_EOF and _graft is not None:
            _CoreContext.options.__set__(
                self, _CoreContext.options.__get__(self) | _core.OP_IGNORE_UNEXPECTED_EOF)
        return self

    def _check_side(self, server_side):
        """3.10+ refuses a client connection from a PROTOCOL_TLS_SERVER
        context and the reverse, naming the mistake (OpenSSL would fail
        later, with "called a function you should not call")."""
        if _legacy_host_behaviour("refuses_wrong_side"):
            return
        protocol = _CoreContext.protocol.__get__(self)
        if not server_side and protocol == _core.PROTOCOL_TLS_SERVER:
            raise SSLError("Cannot create a client socket with a "
                           "PROTOCOL_TLS_SERVER context")
        if server_side and protocol == _core.PROTOCOL_TLS_CLIENT:
            raise SSLError("Cannot create a server socket with a "
                           "PROTOCOL_TLS_CLIENT context")

    @property
    def check_hostname(self):
        return _CoreContext.check_hostname.__get__(self)

    @check_hostname.setter
    def check_hostname(self, value):
        if (value and _legacy_host_behaviour("check_hostname_sets_cert_required")
                and _CoreContext.verify_mode.__get__(self) == _core.CERT_NONE):
            raise ValueError("check_hostname needs a SSL context with either "
                             "CERT_OPTIONAL or CERT_REQUIRED")
        _CoreContext.check_hostname.__set__(self, value)

    def _encode_hostname(self, hostname):
        return _encode_hostname(hostname)

    def wrap_socket(self, sock, server_side=False,
                    do_handshake_on_connect=True,
                    suppress_ragged_eofs=True,
                    server_hostname=None, session=None):
        # SSLSocket class handles server_hostname encoding before it calls
        # ctx._wrap_socket()
        return self.sslsocket_class._create(
            sock=sock,
            server_side=server_side,
            do_handshake_on_connect=do_handshake_on_connect,
            suppress_ragged_eofs=suppress_ragged_eofs,
            server_hostname=server_hostname,
            context=self,
            session=session)

    def wrap_bio(self, incoming, outgoing, server_side=False,
                 server_hostname=None, session=None):
        # Need to encode server_hostname here because _wrap_bio() can only
        # handle ASCII str.
        return self.sslobject_class._create(
            incoming, outgoing, server_side=server_side,
            server_hostname=self._encode_hostname(server_hostname),
            session=session, context=self)

    def set_npn_protocols(self, npn_protocols):
        _warn_deprecated("ssl NPN is deprecated, use ALPN instead")
        _protocol_list_wire(npn_protocols, "NPN")   # the stdlib's checks first
        raise NotImplementedError(
            "NPN is not supported: OpenSSL 1.1.1+ builds use ALPN")

    def set_servername_callback(self, server_name_callback):
        if server_name_callback is None:
            self.sni_callback = None
            return
        if not callable(server_name_callback):
            raise TypeError("not a callable object")

        def shim_cb(sslobj, servername, sslctx):
            servername = self._encode_hostname(servername)
            return server_name_callback(sslobj, servername, sslctx)

        self.sni_callback = shim_cb

    def set_alpn_protocols(self, alpn_protocols):
        self._set_alpn_protocols(_protocol_list_wire(alpn_protocols, "ALPN"))

    def load_default_certs(self, purpose=Purpose.SERVER_AUTH):
        if not isinstance(purpose, _ASN1Object):
            raise TypeError(purpose)
        self.set_default_verify_paths()

    # Properties wrap the core's ints in the enums, and never look the
    # class up through a module global (see "Rules of this file").
    @property
    def minimum_version(self):
        return TLSVersion(_CoreContext.minimum_version.__get__(self))

    @minimum_version.setter
    def minimum_version(self, value):
        if value == TLSVersion.SSLv3:
            self.options &= ~Options.OP_NO_SSLv3
        self._warn_old_version(value)
        _CoreContext.minimum_version.__set__(self, value)

    @property
    def maximum_version(self):
        return TLSVersion(_CoreContext.maximum_version.__get__(self))

    @maximum_version.setter
    def maximum_version(self, value):
        self._warn_old_version(value)
        _CoreContext.maximum_version.__set__(self, value)

    @staticmethod
    def _warn_old_version(value):
        if value in (TLSVersion.SSLv3, TLSVersion.TLSv1, TLSVersion.TLSv1_1):
            _warn_deprecated("ssl.TLSVersion.%s is deprecated"
                             % TLSVersion(value).name, 4)

    @property
    def options(self):
        return Options(_CoreContext.options.__get__(self))

    @options.setter
    def options(self, value):
        newly_set = 0
        if isinstance(value, _integer_types):
            newly_set = value & ~int(_CoreContext.options.__get__(self))
        if newly_set & _OP_NO_PROTOCOLS:
            _warn_deprecated("ssl.OP_NO_SSL*/ssl.OP_NO_TLS* options are "
                             "deprecated")
        _CoreContext.options.__set__(self, value)

    @property
    def protocol(self):
        return _SSLMethod(_CoreContext.protocol.__get__(self))

    @property
    def verify_flags(self):
        return VerifyFlags(_CoreContext.verify_flags.__get__(self))

    @verify_flags.setter
    def verify_flags(self, value):
        _CoreContext.verify_flags.__set__(self, value)

    @property
    def _msg_callback(self):
        inner = _CoreContext._msg_callback.__get__(self)
        return getattr(inner, "user_function", inner)

    @_msg_callback.setter
    def _msg_callback(self, callback):
        if callback is None:
            _CoreContext._msg_callback.__set__(self, None)
            return
        if not callable(callback):
            raise TypeError("%r is not callable." % (callback,))

        def inner(conn, direction, version, content_type, msg_type, data):
            version = _enum_or_value(TLSVersion, version)
            content_type = _enum_or_value(_TLSContentType, content_type)
            if content_type == _TLSContentType.HEADER:
                message_enum = _TLSContentType
            elif content_type == _TLSContentType.ALERT:
                message_enum = _TLSAlertType
            else:
                message_enum = _TLSMessageType
            msg_type = _enum_or_value(message_enum, msg_type)
            return callback(conn, direction, version, content_type, msg_type, data)

        inner.user_function = callback
        _CoreContext._msg_callback.__set__(self, inner)

    @property
    def verify_mode(self):
        value = _CoreContext.verify_mode.__get__(self)
        try:
            return VerifyMode(value)
        except ValueError:
            return value

    @verify_mode.setter
    def verify_mode(self, value):
        _CoreContext.verify_mode.__set__(self, value)


# ---------------------------------------------------------------------------
# SSLObject: the core connection type itself, so read()/write() are C calls
# ---------------------------------------------------------------------------
class SSLObject(_core._Connection):
    """This class implements an interface on top of a low-level SSL object as
    implemented by OpenSSL. This object captures the state of an SSL
    connection but does not provide any network IO itself. IO needs to be
    performed through separate "BIO" objects which are OpenSSL's IO
    abstraction layer.

    This class does not have a public constructor. Instances are returned by
    ``SSLContext.wrap_bio``. This class is typically used by framework
    authors that want to implement asynchronous IO for SSL through memory
    buffers.

    When compared to ``SSLSocket``, this object lacks the following
    features:

     * Any form of network IO, including methods such as ``recv`` and
       ``send``.
     * The ``do_handshake_on_connect`` and ``suppress_ragged_eofs``
       machinery.
    """

    def __init__(self, *args, **kwargs):
        raise TypeError(
            "%s does not have a public constructor. Instances are returned "
            "by SSLContext.wrap_bio()." % self.__class__.__name__)

    @classmethod
    def _create(cls, incoming, outgoing, server_side=False,
                server_hostname=None, session=None, context=None):
        # 3.13's order: what its argument parsing refuses (types, a NUL in
        # the name), then the context's side, then the name's value
        for bio in (incoming, outgoing):
            if not isinstance(bio, MemoryBIO):
                raise TypeError("_wrap_bio() argument must be MemoryBIO, not %s"
                                % type(bio).__name__)
        if isinstance(server_hostname, (bytes, _text_type)):
            nul = b"\x00" if isinstance(server_hostname, bytes) else u"\x00"
            if nul in server_hostname:
                # the words of 3.13's argument parser ("es"), as the core's
                raise TypeError("argument must be encoded string without "
                                "null bytes, not %s"
                                % type(server_hostname).__name__)
        context._check_side(server_side)
        self = cls.__new__(cls)
        context._wrap_bio(incoming, outgoing, server_side, server_hostname,
                          session=session, target=self,
                          verify_hostname=_checks_hostname_in_openssl(context))
        return self

    def shared_ciphers(self):
        if (not self.server_side and
                _legacy_host_behaviour("shared_ciphers_none_on_client")):
            return _legacy_client_ciphers(self)
        return _Connection.shared_ciphers(self)

    def do_handshake(self):
        """Start the SSL/TLS handshake."""
        _Connection.do_handshake(self)
        _match_hostname_after_handshake(self, self.server_hostname)

    def selected_npn_protocol(self):
        _warn_deprecated("ssl NPN is deprecated, use ALPN instead")
        return None

    def get_verified_chain(self):
        """The verified chain as DER bytes, leaf first."""
        return _der_chain(_Connection.get_verified_chain(self))

    def get_unverified_chain(self):
        """The chain the peer sent, as DER bytes, leaf first."""
        return _der_chain(_Connection.get_unverified_chain(self))

    @property
    def _sslobj(self):
        # The stdlib's SSLObject wraps a _ssl object that its own tests
        # reach for; here that object is this one, seen without the Python
        # layer (its chains are Certificate objects, for instance).
        return _CoreView(self)


_Connection = _core._Connection
Certificate = _core.Certificate


def _legacy_client_ciphers(connection):
    """Before 3.10 shared_ciphers() listed the connection's own ciphers on
    a client, before the handshake too."""
    return [(c["name"], c["protocol"], c["strength_bits"])
            for c in connection.context.get_ciphers()]


def _checks_hostname_in_openssl(context):
    """Whether OpenSSL checks server_hostname inside the handshake (3.7+).
    Grafted onto 2.7/3.6, the host's own match_hostname() checks it after
    the handshake, with that function's errors, as those hosts always did
    (their tests, and code written for them, expect CertificateError with
    its messages, and a completed handshake before it)."""
    return context.check_hostname and not _legacy_host_behaviour(
        "hostname_checked_by_openssl")


def _match_hostname_after_handshake(connection, hostname):
    if (hostname and connection.context.check_hostname and
            _legacy_host_behaviour("hostname_checked_by_openssl")):
        _host_ssl.match_hostname(connection.getpeercert(), hostname)


def _der_chain(certificates):
    return [cert.public_bytes(_core.ENCODING_DER) for cert in certificates or ()]


class _CoreView(object):
    """An SSLObject seen through the core type's own attributes."""
    __slots__ = ("_target",)

    def __init__(self, target):
        self._target = target

    def __getattr__(self, name):
        attribute = getattr(_Connection, name)
        if hasattr(attribute, "__get__"):
            return attribute.__get__(self._target, _Connection)
        return attribute

    def __setattr__(self, name, value):
        if name == "_target":
            object.__setattr__(self, name, value)
        else:
            getattr(_Connection, name).__set__(self._target, value)


SSLContext.sslobject_class = SSLObject


# ---------------------------------------------------------------------------
# SSLSocket: a socket.socket whose data goes through a core connection that
# reads and writes the file descriptor itself (the core asks the socket for
# its fd and timeout on each call, and waits with the GIL released).
# ---------------------------------------------------------------------------
import errno as _errno
import socket as _socket_module
from socket import socket as _socket_class

_SOL_SOCKET, _SO_TYPE = _socket_module.SOL_SOCKET, _socket_module.SO_TYPE
_SOCK_STREAM = _socket_module.SOCK_STREAM
_GLOBAL_DEFAULT_TIMEOUT = _socket_module._GLOBAL_DEFAULT_TIMEOUT
socket_error = OSError if not _PY2 else _socket_module.error
if _PY2:
    # 2.7's socket.socket copies the raw socket's methods onto each
    # instance; SSLSocket removes them so that its own methods are used.
    _DELEGATED_METHODS = _socket_module._delegate_methods


def _byte_size(buffer):
    try:
        view = memoryview(buffer)
    except TypeError:           # 2.7 objects with only the old buffer API
        return len(buffer)
    try:
        return view.nbytes if hasattr(view, "nbytes") else len(view.tobytes())
    finally:
        if hasattr(view, "release"):
            view.release()


# ---- green sockets (gevent, eventlet) ----
# Such a socket keeps its fd non-blocking and its timeout in Python, and
# expects every wait to go back to its library's event loop, which runs in
# this very thread.  The core's own poll() would freeze that loop, so the
# connection gets a wait function here (the core calls it, see "green
# sockets" in tlsobject.c).  Recognised by what the socket does, not by
# importing any library.
from _socket import socket as _RawSocket    # the C type, never patched


class _GreenTimeout(Exception):
    """Raised inside a green library's wait when our timeout passes."""


def _fd_is_nonblocking(fd):
    try:
        import fcntl
        return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK)
    except (ImportError, AttributeError, EnvironmentError):
        return False


def _green_wait_for(sock):
    """wait(want_write, timeout) -> bool for a green socket, None for
    others: a socket whose gettimeout() is not 0 while its fd is
    non-blocking, and which is not itself the C socket that keeps its
    timeout at the fd level (a 2.7 socket.socket keeps it in its _sock)."""
    try:
        timeout = sock.gettimeout()
        fd = sock.fileno()
    except (AttributeError, socket_error):
        return None
    if timeout == 0.0 or fd < 0 or isinstance(sock, _RawSocket):
        return None
    raw = getattr(sock, "_sock", None)
    if (isinstance(raw, _RawSocket)
            and raw.gettimeout() == timeout):
        return None
    if not _fd_is_nonblocking(fd):
        return None
    # The library's own per-fd wait, found in the modules its socket
    # classes come from: gevent's wait_read/wait_write, eventlet's
    # trampoline.  Otherwise select.select, as patched (or not) now.
    for klass in type(sock).__mro__:
        module = sys.modules.get(klass.__module__)
        wait_read = getattr(module, "wait_read", None)
        wait_write = getattr(module, "wait_write", None)
        if callable(wait_read) and callable(wait_write):
            def wait(want_write, timeout):
                try:
                    (wait_write if want_write else wait_read)(
                        fd, timeout, _GreenTimeout)
                except _GreenTimeout:
                    return False
                return True
            return wait
        trampoline = getattr(module, "trampoline", None)
        if callable(trampoline):
            def wait(want_write, timeout):
                try:
                    trampoline(fd, read=not want_write, write=want_write,
                               timeout=timeout, timeout_exc=_GreenTimeout)
                except _GreenTimeout:
                    return False
                return True
            return wait

    def wait(want_write, timeout):
        import select
        fds = ([], [fd]) if want_write else ([fd], [])
        ready = select.select(fds[0], fds[1], [], timeout)
        return bool(ready[0] or ready[1])
    return wait


def _byte_view(data):
    """A zero-copy view of `data`'s bytes, sliceable by byte offset."""
    if _PY2:
        if isinstance(data, unicode):  # noqa: F821 (2.7 builtin)
            # As 2.7's write() takes it: encoded by the default encoding
            # (a buffer() would expose its UCS-4 code units).
            data = data.encode(sys.getdefaultencoding())
        try:
            return memoryview(data)
        except TypeError:     # 2.7 objects with only the old buffer API
            return buffer(data)  # noqa: F821 (2.7 builtin)
    return memoryview(data).cast("B")


if _PY2:
    class _FileObject(_socket_module._fileobject):
        """2.7's socket file object, also usable in a with statement, as
        3.x's and gevent's are (gevent's own tests rely on it)."""
        __slots__ = ()

        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            self.close()


class SSLSocket(_socket_class):
    """This class implements a subtype of socket.socket that wraps
    the underlying OS socket in an SSL context when necessary, and
    provides read and write methods over that channel."""

    def __init__(self, *args, **kwargs):
        raise TypeError(
            "%s does not have a public constructor. Instances are returned by "
            "SSLContext.wrap_socket()." % self.__class__.__name__)

    @classmethod
    def _create(cls, sock, server_side=False, do_handshake_on_connect=True,
                suppress_ragged_eofs=True, server_hostname=None,
                context=None, session=None):
        if sock.getsockopt(_SOL_SOCKET, _SO_TYPE) != _SOCK_STREAM:
            raise NotImplementedError("only stream sockets are supported")
        if server_side:
            if server_hostname:
                raise ValueError("server_hostname can only be specified "
                                 "in client mode")
            if session is not None:
                raise ValueError("session can only be specified in "
                                 "client mode")
        if context.check_hostname and not server_hostname:
            raise ValueError("check_hostname requires server_hostname")
        context._check_side(server_side)

        green_wait = _green_wait_for(sock)
        timeout = sock.gettimeout()
        if _PY2:
            self = cls.__new__(cls)
            _socket_class.__init__(self, _sock=sock._sock)
            for name in _DELEGATED_METHODS:
                self.__dict__.pop(name, None)
            self._makefile_refs = 0
            self._closed = False
        else:
            kwargs = dict(family=sock.family, type=sock.type, proto=sock.proto,
                          fileno=sock.fileno())
            self = cls.__new__(cls, **kwargs)
            _socket_class.__init__(self, **kwargs)
            sock.detach()
        # From here on the new socket owns the descriptor: on any error it
        # is closed (a bad server_hostname, UnicodeError, leaks nothing).
        self._context = context
        self._session = session
        self._sslobj = None
        self._green_wait = green_wait
        self.server_side = server_side
        self.server_hostname = None
        self.do_handshake_on_connect = do_handshake_on_connect
        self.suppress_ragged_eofs = suppress_ragged_eofs
        try:
            self.server_hostname = context._encode_hostname(server_hostname)
            self.settimeout(timeout)
            self._connected = self._is_connected()
            if self._connected:
                self._sslobj = context._wrap_socket(
                    self, server_side, self.server_hostname, owner=self,
                    session=self._session,
                    verify_hostname=_checks_hostname_in_openssl(context))
                self._sslobj._green_wait = green_wait
                if do_handshake_on_connect:
                    if self.gettimeout() == 0.0:
                        raise ValueError("do_handshake_on_connect should not "
                                         "be specified for non-blocking sockets")
                    self.do_handshake()
        except BaseException:
            self.close()
            raise
        return self

    def _plain(self, name, *args):
        """The socket's own method, for a socket not (or no longer) wrapped:
        2.7's socket.socket forwards these to its raw _sock."""
        if _PY2:
            return getattr(self._sock, name)(*args)
        return getattr(_socket_class, name)(self, *args)

    def _is_connected(self):
        """Connected, or a listening/unconnected socket.

        A socket whose peer connected, sent data and closed before the
        handshake also reports ENOTCONN; treating it as unconnected would
        let that cleartext be read as if it came through TLS
        (CVE-2023-40217).  So an ENOTCONN socket is peeked at, without
        blocking, and refused if data is waiting."""
        try:
            self.getpeername()
            return True
        except socket_error as exc:
            if exc.errno != _errno.ENOTCONN:
                raise
        timeout = self.gettimeout()
        self.settimeout(0.0)
        try:
            early_data = self._plain("recv", 1, 0)
        except socket_error as exc:
            if exc.errno not in (_errno.ENOTCONN, _errno.EINVAL):
                raise
            early_data = b""
        finally:
            self.settimeout(timeout)
        if early_data:
            reason = "Closed before TLS handshake with data in recv buffer."
            error = SSLError(_errno.ENOTCONN, reason)
            error.reason = reason
            error.library = None
            raise error
        return False

    @property
    def context(self):
        return self._context

    @context.setter
    def context(self, ctx):
        if not isinstance(ctx, _CoreContext):
            raise TypeError("The value must be a SSLContext")
        self._context = ctx
        if self._sslobj is not None:
            self._sslobj.context = ctx

    @property
    def session(self):
        if self._sslobj is not None:
            return self._sslobj.session
        return None

    @session.setter
    def session(self, session):
        self._session = session
        if self._sslobj is not None:
            self._sslobj.session = session

    @property
    def session_reused(self):
        if self._sslobj is not None:
            return self._sslobj.session_reused
        return None

    def dup(self):
        raise NotImplementedError("Can't dup() %s instances" %
                                  self.__class__.__name__)

    def _checkClosed(self, msg=None):
        # raise an exception here if you wish to check for spurious closes
        pass

    def _check_connected(self):
        if not self._connected:
            # getpeername() raises ENOTCONN if the socket is really not
            # connected; connect() may have returned EAGAIN before.
            self.getpeername()

    # ---- data ----
    def read(self, len=1024, buffer=None):
        """Read up to LEN bytes and return them.
        Return zero-length string on EOF."""
        self._checkClosed()
        if self._sslobj is None:
            raise ValueError("Read on closed or unwrapped SSL socket.")
        try:
            if buffer is not None:
                return self._sslobj.read(len, buffer)
            return self._sslobj.read(len)
        except SSLError as exc:
            if exc.args[0] == _core.SSL_ERROR_EOF and self.suppress_ragged_eofs:
                return 0 if buffer is not None else b""
            raise

    def write(self, data):
        """Write DATA to the underlying SSL channel.  Returns
        number of bytes of DATA actually transmitted."""
        self._checkClosed()
        if self._sslobj is None:
            raise ValueError("Write on closed or unwrapped SSL socket.")
        return self._sslobj.write(data)

    def send(self, data, flags=0):
        self._checkClosed()
        if self._sslobj is not None:
            if flags != 0:
                raise ValueError("non-zero flags not allowed in calls to "
                                 "send() on %s" % self.__class__)
            try:
                return self._sslobj.write(data)
            except (SSLWantReadError, SSLWantWriteError):
                if _legacy_host_behaviour("send_raises_when_blocked"):
                    return 0
                raise
        return self._plain("send", data, flags)

    def sendto(self, data, flags_or_addr, addr=None):
        self._checkClosed()
        if self._sslobj is not None:
            raise ValueError("sendto not allowed on instances of %s" %
                             self.__class__)
        if addr is None:
            return self._plain("sendto", data, flags_or_addr)
        return self._plain("sendto", data, flags_or_addr, addr)

    def sendmsg(self, *args, **kwargs):
        # Ensure programs don't send data unencrypted if they try to
        # use this method.
        raise NotImplementedError("sendmsg not allowed on instances of %s" %
                                  self.__class__)

    def sendall(self, data, flags=0):
        self._checkClosed()
        if self._sslobj is None:
            return _socket_class.sendall(self, data, flags)
        if flags != 0:
            raise ValueError("non-zero flags not allowed in calls to "
                             "sendall() on %s" % self.__class__)
        view = _byte_view(data)
        count, amount = 0, len(view)
        while count < amount:
            # write(), not send(): a blocked non-blocking socket raises
            # SSLWantWriteError (2.7's send() returned 0 there, and its
            # sendall() spun on it forever).
            count += self._sslobj.write(view[count:])

    def sendfile(self, file, offset=0, count=None):
        """Send a file, possibly by using os.sendfile() if this is a
        clear-text socket.  Return the total number of bytes sent."""
        if self._sslobj is not None or _PY2:
            return self._sendfile_by_send(file, offset, count)
        return _socket_class.sendfile(self, file, offset, count)

    def _sendfile_by_send(self, file, offset, count):
        if offset:
            file.seek(offset)
        blocksize = min(count, 8192) if count else 8192
        total = 0
        try:
            while True:
                if count:
                    blocksize = min(count - total, blocksize)
                    if blocksize <= 0:
                        break
                data = file.read(blocksize)
                if not data:
                    break
                self.sendall(data)
                total += len(data)
            return total
        finally:
            if total > 0 and hasattr(file, "seek"):
                file.seek(offset + total)

    def recv(self, buflen=1024, flags=0):
        self._checkClosed()
        if self._sslobj is not None:
            if flags != 0:
                raise ValueError("non-zero flags not allowed in calls to "
                                 "recv() on %s" % self.__class__)
            return self.read(buflen)
        return self._plain("recv", buflen, flags)

    def recv_into(self, buffer, nbytes=None, flags=0):
        self._checkClosed()
        if nbytes is None:
            # The buffer's size in bytes, without calling its __len__.
            nbytes = _byte_size(buffer) if buffer is not None else 1024
            if not nbytes:
                nbytes = 1024
        if self._sslobj is not None:
            if flags != 0:
                raise ValueError("non-zero flags not allowed in calls to "
                                 "recv_into() on %s" % self.__class__)
            return self.read(nbytes, buffer)
        return self._plain("recv_into", buffer, nbytes, flags)

    def recvfrom(self, buflen=1024, flags=0):
        self._checkClosed()
        if self._sslobj is not None:
            raise ValueError("recvfrom not allowed on instances of %s" %
                             self.__class__)
        return self._plain("recvfrom", buflen, flags)

    def recvfrom_into(self, buffer, nbytes=None, flags=0):
        self._checkClosed()
        if self._sslobj is not None:
            raise ValueError("recvfrom_into not allowed on instances of %s" %
                             self.__class__)
        return self._plain("recvfrom_into", buffer, nbytes or 0, flags)

    def recvmsg(self, *args, **kwargs):
        raise NotImplementedError("recvmsg not allowed on instances of %s" %
                                  self.__class__)

    def recvmsg_into(self, *args, **kwargs):
        raise NotImplementedError("recvmsg_into not allowed on instances of "
                                  "%s" % self.__class__)

    def pending(self):
        self._checkClosed()
        if self._sslobj is not None:
            return self._sslobj.pending()
        return 0

    # ---- what the handshake established ----
    def getpeercert(self, binary_form=False):
        self._checkClosed()
        self._check_connected()
        return self._sslobj.getpeercert(binary_form)

    def get_verified_chain(self):
        if self._sslobj is None:
            return []
        return _der_chain(self._sslobj.get_verified_chain())

    def get_unverified_chain(self):
        if self._sslobj is None:
            return []
        return _der_chain(self._sslobj.get_unverified_chain())

    def selected_npn_protocol(self):
        self._checkClosed()
        _warn_deprecated("ssl NPN is deprecated, use ALPN instead")
        return None

    def selected_alpn_protocol(self):
        self._checkClosed()
        if self._sslobj is None:
            return None
        return self._sslobj.selected_alpn_protocol()

    def cipher(self):
        self._checkClosed()
        if self._sslobj is None:
            return None
        return self._sslobj.cipher()

    def shared_ciphers(self):
        self._checkClosed()
        if self._sslobj is None:
            return None
        if (not self.server_side and
                _legacy_host_behaviour("shared_ciphers_none_on_client")):
            return _legacy_client_ciphers(self._sslobj)
        return self._sslobj.shared_ciphers()

    def compression(self):
        self._checkClosed()
        if self._sslobj is None:
            return None
        return self._sslobj.compression()

    def get_channel_binding(self, cb_type="tls-unique"):
        if self._sslobj is not None:
            return self._sslobj.get_channel_binding(cb_type)
        if cb_type not in CHANNEL_BINDING_TYPES:
            raise ValueError("%s channel binding type not implemented" % (cb_type,))
        return None

    def version(self):
        if self._sslobj is None:
            return None
        return self._sslobj.version()

    def group(self):
        if self._sslobj is None:
            return None
        return self._sslobj.group()

    def client_sigalg(self):
        if self._sslobj is None:
            return None
        return self._sslobj.client_sigalg()

    def server_sigalg(self):
        if self._sslobj is None:
            return None
        return self._sslobj.server_sigalg()

    def export_keying_material(self, label, length, context=None):
        """Keying material from the TLS session (RFC 5705/8446): `length`
        bytes for `label` and optional `context`; pyOpenSSL has the same."""
        if self._sslobj is None:
            raise ValueError("No SSL wrapper around " + str(self))
        return self._sslobj.export_keying_material(label, length, context)

    # ---- connection life ----
    def do_handshake(self, block=False):
        self._check_connected()
        timeout = self.gettimeout()
        try:
            if timeout == 0.0 and block:
                self.settimeout(None)
            self._sslobj.do_handshake()
        finally:
            self.settimeout(timeout)
        _match_hostname_after_handshake(self, self.server_hostname)

    def _real_connect(self, addr, connect_ex):
        if self.server_side:
            raise ValueError("can't connect in server-side mode")
        # Here we assume that the socket is client-side, and not
        # connected at the time of the call.  We connect it, then wrap it.
        if self._connected or self._sslobj is not None:
            raise ValueError("attempt to connect already-connected SSLSocket!")
        self.context._check_side(False)
        self._sslobj = self.context._wrap_socket(
            self, False, self.server_hostname, owner=self,
            session=self._session,
            verify_hostname=_checks_hostname_in_openssl(self.context))
        self._sslobj._green_wait = self._green_wait
        try:
            if connect_ex:
                rc = _socket_class.connect_ex(self, addr)
            else:
                rc = None
                _socket_class.connect(self, addr)
            if not rc:
                self._connected = True
                if self.do_handshake_on_connect:
                    self.do_handshake()
            return rc
        except (socket_error, ValueError):
            self._sslobj = None
            raise

    def connect(self, addr):
        """Connects to remote ADDR, and then wraps the connection in
        an SSL channel."""
        self._real_connect(addr, False)

    def connect_ex(self, addr):
        """Connects to remote ADDR, and then wraps the connection in
        an SSL channel."""
        return self._real_connect(addr, True)

    def accept(self):
        """Accepts a new connection from a remote client, and returns
        a tuple containing that new connection wrapped with a server-side
        SSL channel, and the address of the remote client."""
        newsock, addr = _socket_class.accept(self)
        newsock = self.context.wrap_socket(
            newsock, do_handshake_on_connect=self.do_handshake_on_connect,
            suppress_ragged_eofs=self.suppress_ragged_eofs, server_side=True)
        return newsock, addr

    def verify_client_post_handshake(self):
        if self._sslobj is not None:
            return self._sslobj.verify_client_post_handshake()
        raise ValueError("No SSL wrapper around " + str(self))

    def shutdown(self, how):
        self._checkClosed()
        self._sslobj = None
        _socket_class.shutdown(self, how)

    def unwrap(self):
        if self._sslobj is not None:
            sock = self._sslobj.unwrap()
            self._sslobj = None
            return sock
        raise ValueError("No SSL wrapper around " + str(self))

    def _real_close(self):
        connection, self._sslobj = self._sslobj, None
        if connection is not None:
            # Threads blocked in its I/O end with OSError(EBADF) before the
            # descriptor goes (3.13 leaves them blocked: see tlsobject.c).
            connection._interrupt_io()
        if _PY2:
            _socket_class.close(self)
        else:
            _socket_class._real_close(self)

    if _PY2:
        # 2.7's socket.socket keeps no reference count of the file objects
        # made by makefile(); 2.7's own SSLSocket does, and httplib relies
        # on it: close() only closes once every file object is closed.
        def makefile(self, mode="r", bufsize=-1):
            self._makefile_refs += 1
            return _FileObject(self, mode, bufsize, close=True)

        def close(self):
            if self._makefile_refs < 1:
                self._real_close()
            else:
                self._makefile_refs -= 1


SSLContext.sslsocket_class = SSLSocket


def wrap_socket(sock, keyfile=None, certfile=None, server_side=False,
                cert_reqs=_core.CERT_NONE, ssl_version=_core.PROTOCOL_TLS,
                ca_certs=None, do_handshake_on_connect=True,
                suppress_ragged_eofs=True, ciphers=None):
    """Deprecated module-level wrapper (removed in 3.12; kept, and grafted,
    only where the host still has it)."""
    _warn_deprecated("ssl.wrap_socket() is deprecated, use "
                     "SSLContext.wrap_socket()")
    if server_side and not certfile:
        raise ValueError("certfile must be specified for server-side "
                         "operations")
    if keyfile and not certfile:
        raise ValueError("certfile must be specified")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context = SSLContext(ssl_version)
    context.verify_mode = cert_reqs
    if ca_certs:
        context.load_verify_locations(ca_certs)
    if certfile:
        context.load_cert_chain(certfile, keyfile)
    if ciphers:
        context.set_ciphers(ciphers)
    return context.wrap_socket(
        sock=sock, server_side=server_side,
        do_handshake_on_connect=do_handshake_on_connect,
        suppress_ragged_eofs=suppress_ragged_eofs)


def get_server_certificate(addr, ssl_version=_core.PROTOCOL_TLS_CLIENT,
                           ca_certs=None, timeout=_GLOBAL_DEFAULT_TIMEOUT):
    """Retrieve the certificate from the server at the specified address,
    and return it as a PEM-encoded string.
    If 'ca_certs' is specified, validate the server cert against it.
    If 'ssl_version' is specified, use it in the connection attempt.
    If 'timeout' is specified, use it in the connection attempt.
    """
    host, port = addr
    cert_reqs = _core.CERT_REQUIRED if ca_certs is not None else _core.CERT_NONE
    context = _create_stdlib_context(ssl_version, cert_reqs=cert_reqs,
                                     cafile=ca_certs)
    sock = _socket_module.create_connection(addr, timeout=timeout)
    try:
        sslsock = context.wrap_socket(sock, server_hostname=host)
        try:
            dercert = sslsock.getpeercert(True)
        finally:
            sslsock.close()
    finally:
        sock.close()
    return DER_cert_to_PEM_cert(dercert)


# ---------------------------------------------------------------------------
# Context factories
# ---------------------------------------------------------------------------
def create_default_context(purpose=Purpose.SERVER_AUTH, **kwargs):
    """create_default_context(purpose=Purpose.SERVER_AUTH, *, cafile=None,
    capath=None, cadata=None)

    A new SSLContext with 3.13's secure defaults for `purpose`: a client
    context that verifies certificates and host names, or a server context.
    """
    cafile, capath, cadata = _keyword_only(
        "create_default_context", kwargs, cafile=None, capath=None, cadata=None)
    if not isinstance(purpose, _ASN1Object):
        raise TypeError(purpose)
    if purpose == Purpose.SERVER_AUTH:
        context = SSLContext(_factory_protocol(_core.PROTOCOL_TLS_CLIENT))
        context.verify_mode = _core.CERT_REQUIRED
        context.check_hostname = True
    elif purpose == Purpose.CLIENT_AUTH:
        context = SSLContext(_factory_protocol(_core.PROTOCOL_TLS_SERVER))
    else:
        raise ValueError(purpose)
    # Chain building stops at the first trust anchor (RFC 5280), and
    # certificates are held to X.509 strictly (3.13's choice).
    if not _legacy_host_behaviour("strict_default_verify_flags"):
        context.verify_flags |= _core.VERIFY_X509_PARTIAL_CHAIN | _core.VERIFY_X509_STRICT
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != _core.CERT_NONE:
        context.load_default_certs(purpose)
    _apply_keylog_environment(context)
    return context


def _factory_protocol(role_protocol):
    """The factories' protocol: PROTOCOL_TLS_CLIENT/SERVER (3.10+), or
    PROTOCOL_TLS, grafted onto an older host."""
    if _legacy_host_behaviour("role_protocols_in_factories"):
        return _core.PROTOCOL_TLS
    return role_protocol


def _create_unverified_context(protocol=None, **kwargs):
    """_create_unverified_context(protocol=None, *, cert_reqs=CERT_NONE,
    check_hostname=False, purpose=Purpose.SERVER_AUTH, certfile=None,
    keyfile=None, cafile=None, capath=None, cadata=None)"""
    (cert_reqs, check_hostname, purpose, certfile, keyfile, cafile, capath,
     cadata) = _keyword_only(
        "_create_unverified_context", kwargs,
        cert_reqs=_core.CERT_NONE, check_hostname=False,
        purpose=Purpose.SERVER_AUTH, certfile=None, keyfile=None,
        cafile=None, capath=None, cadata=None)
    if not isinstance(purpose, _ASN1Object):
        raise TypeError(purpose)
    if purpose == Purpose.SERVER_AUTH:
        if protocol is None:
            protocol = _factory_protocol(_core.PROTOCOL_TLS_CLIENT)
    elif purpose == Purpose.CLIENT_AUTH:
        if protocol is None:
            protocol = _factory_protocol(_core.PROTOCOL_TLS_SERVER)
    else:
        raise ValueError(purpose)
    context = SSLContext(protocol)
    context.check_hostname = False
    if cert_reqs is not None:
        context.verify_mode = cert_reqs
    if check_hostname:
        context.check_hostname = True
    if keyfile and not certfile:
        raise ValueError("certfile must be specified")
    if certfile or keyfile:
        context.load_cert_chain(certfile, keyfile)
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != _core.CERT_NONE:
        context.load_default_certs(purpose)
    _apply_keylog_environment(context)
    return context


_create_default_https_context = create_default_context
_create_stdlib_context = _create_unverified_context


def _apply_keylog_environment(context):
    if not hasattr(context, "keylog_filename"):
        return
    keylogfile = os.environ.get("SSLKEYLOGFILE")
    if keylogfile and not sys.flags.ignore_environment:
        context.keylog_filename = keylogfile


# Keyword-only parameters (2.7 has no syntax for them), in documented order.
_KEYWORD_ONLY = {
    "create_default_context": ("cafile", "capath", "cadata"),
    "_create_unverified_context": ("cert_reqs", "check_hostname", "purpose",
                                   "certfile", "keyfile", "cafile", "capath",
                                   "cadata"),
}


def _keyword_only(function, kwargs, **defaults):
    """The values of `function`'s keyword-only parameters, in order."""
    unknown = set(kwargs) - set(defaults)
    if unknown:
        raise TypeError("%s() got an unexpected keyword argument '%s'"
                        % (function, sorted(unknown)[0]))
    defaults.update(kwargs)
    return [defaults[name] for name in _KEYWORD_ONLY[function]]



# ---------------------------------------------------------------------------
# The graft: monkeypatch_ssl() / restore_ssl() / is_patched()
# ---------------------------------------------------------------------------
import threading as _threading

# Names of the host's ssl replaced by ours (where the host has them).
_REPLACED_NAMES = (
    "SSLContext", "SSLSocket", "SSLObject", "MemoryBIO", "SSLSession",
    "create_default_context", "_create_unverified_context",
    "_create_stdlib_context", "get_server_certificate", "wrap_socket",
)
# _create_default_https_context is replaced by whichever of ours matches
# what the host's currently is (PEP 493 lets users pick the unverified
# one); a function of the user's own is left alone.
_HTTPS_CONTEXT_FACTORIES = ("create_default_context", "_create_unverified_context")

# CPython 3.13's public ssl names (and later additions we implement), less
# the modules and helpers ssl.py merely imports.  Those the host lacks are
# added by the graft.
_PUBLIC_NAMES_3_13 = (
    "AlertDescription", "CertificateError", "DER_cert_to_PEM_cert",
    "DefaultVerifyPaths", "MemoryBIO", "Options", "PEM_cert_to_DER_cert",
    "Purpose", "RAND_add", "RAND_bytes", "RAND_status",
    "SSLCertVerificationError", "SSLContext", "SSLEOFError", "SSLError",
    "SSLErrorNumber", "SSLObject", "SSLSession", "SSLSocket",
    "SSLSyscallError", "SSLWantReadError", "SSLWantWriteError",
    "SSLZeroReturnError", "TLSVersion", "VerifyFlags", "VerifyMode",
    "CHANNEL_BINDING_TYPES", "OPENSSL_VERSION", "OPENSSL_VERSION_INFO",
    "OPENSSL_VERSION_NUMBER", "cert_time_to_seconds",
    "create_default_context", "get_default_verify_paths",
    "get_protocol_name", "get_server_certificate",
)
_PUBLIC_PREFIXES = ("ALERT_DESCRIPTION_", "CERT_", "HAS_", "OP_", "PROTOCOL_",
                    "PROTO_", "SSL_ERROR_", "VERIFY_")
# Private names that host modules use and that older hosts lack.
_PRIVATE_NAMES = ("_TLSContentType", "_TLSAlertType", "_TLSMessageType",
                  "_SSLMethod", "_DEFAULT_CIPHERS", "_OPENSSL_API_VERSION")

# Modules that bind ssl names at import, whose bindings follow the graft
# (only where they are the host's very objects).
_BINDING_MODULE_PREFIXES = ("urllib3.", "pip._vendor.urllib3.")
_BINDING_MODULES = ("urllib3", "pip._vendor.urllib3")

_MISSING = object()
_graft_lock = _threading.RLock()
_graft = None   # while patched: what to put back
# monkeypatch_ssl() calls not yet matched by restore_ssl(): two libraries
# that each graft and restore must not undo each other's graft.
_graft_depth = 0


def _our_names_for_graft(host):
    """(name -> our object) for replaced names and names the host lacks."""
    ours = dict((name, globals()[name]) for name in _REPLACED_NAMES
                if name != "wrap_socket" or hasattr(host, "wrap_socket"))
    current = getattr(host, "_create_default_https_context", None)
    for factory in _HTTPS_CONTEXT_FACTORIES:
        if current is not None and current is getattr(host, factory, _MISSING):
            ours["_create_default_https_context"] = ours[factory]
    added = {}
    names = list(_PUBLIC_NAMES_3_13) + list(_PRIVATE_NAMES)
    names += [n for n in globals() if n.startswith(_PUBLIC_PREFIXES)]
    for name in names:
        if name not in ours and not hasattr(host, name) and name in globals():
            added[name] = globals()[name]
    return ours, added


def _rebind_modules(replacements):
    """Point urllib3's import-time bindings of the host's objects at ours."""
    changed = []
    by_identity = dict((id(old), (old, new)) for old, new in replacements)
    for module_name, module in list(sys.modules.items()):
        if module is None or not (module_name in _BINDING_MODULES or
                                  module_name.startswith(_BINDING_MODULE_PREFIXES)):
            continue
        for attribute, value in list(vars(module).items()):
            pair = by_identity.get(id(value))
            if pair is not None and pair[0] is value:
                setattr(module, attribute, pair[1])
                changed.append((module, attribute, value))
    return changed


def monkeypatch_ssl():
    """Make the host's ssl module the modern one, implemented here.

    Replaces ssl.SSLContext, SSLSocket, SSLObject, MemoryBIO, SSLSession,
    create_default_context, _create_default_https_context,
    _create_unverified_context, _create_stdlib_context,
    get_server_certificate and (where the host has it) wrap_socket; adds
    every public name of 3.13's ssl the host lacks; points urllib3's
    import-time bindings of the replaced objects at ours.  The exception
    classes stay the host's.

    Thread-safe, and counted: calling it again changes nothing more, but
    each call needs its own restore_ssl(), and the last of those undoes
    the graft (so two libraries that each graft and restore do not undo
    each other's).  Returns {"replaced": [...], "added": [...],
    "rebound": ["module.attribute", ...]}; restore_ssl() undoes it exactly.

    Not reachable: names a module copied with `from ssl import X` before
    the call (other than urllib3's), and objects made before it (an
    SSLContext made earlier stays the host's).
    """
    global _graft, _graft_depth
    with _graft_lock:
        import ssl as host
        _graft_depth += 1
        if _graft is None:
            ours, added = _our_names_for_graft(host)
            saved = dict((name, getattr(host, name, _MISSING)) for name in ours)
            for name, value in ours.items():
                setattr(host, name, value)
            for name, value in added.items():
                setattr(host, name, value)
            rebound = _rebind_modules(
                [(saved[name], ours[name]) for name in ours
                 if saved[name] is not _MISSING])
            _graft = {"saved": saved, "added": sorted(added),
                      "rebound": rebound}
            if _legacy_host_behaviour("timeouts_are_socket_timeout"):
                _core._timeout_error = SSLError
            _core._transport_errors_are_eof = _HOST_TRANSPORT_ERRORS_ARE_EOF
            _core._empty_write_raises = _legacy_host_behaviour("empty_write_returns_zero")
        return _graft_report()


def _graft_report():
    return {
        "replaced": sorted(name for name, value in _graft["saved"].items()
                           if value is not _MISSING),
        "added": list(_graft["added"]) + sorted(
            name for name, value in _graft["saved"].items() if value is _MISSING),
        "rebound": ["%s.%s" % (module.__name__, attribute)
                    for module, attribute, _ in _graft["rebound"]],
    }


def restore_ssl():
    """Undo monkeypatch_ssl(): every replaced object is put back (the very
    same objects), every added name removed.  Returns what was undone, or
    None when nothing was: not patched, or other monkeypatch_ssl() calls
    are still in effect (each call is matched by one restore_ssl(); the
    last one undoes the graft).  `while is_patched(): restore_ssl()`
    undoes it whatever the count."""
    global _graft, _graft_depth
    with _graft_lock:
        if _graft is None:
            return None
        _graft_depth -= 1
        if _graft_depth > 0:
            return None
        import ssl as host
        report = _graft_report()
        for module, attribute, original in _graft["rebound"]:
            setattr(module, attribute, original)
        for name, original in _graft["saved"].items():
            if original is _MISSING:
                if hasattr(host, name):
                    delattr(host, name)
            else:
                setattr(host, name, original)
        for name in _graft["added"]:
            if hasattr(host, name):
                delattr(host, name)
        _core._timeout_error = _socket_module.timeout
        _core._transport_errors_are_eof = False
        _core._empty_write_raises = False
        _graft = None
        return report


def is_patched():
    """True while monkeypatch_ssl() is in effect."""
    with _graft_lock:
        return _graft is not None

# ---------------------------------------------------------------------------
# python -m _tls_bootstrap
# ---------------------------------------------------------------------------
# What `python -m _tls_bootstrap` checks: (name, what it is, test).
_FEATURES = (
    ("MemoryBIO / SSLObject / wrap_bio", "sans-I/O TLS, TLS in TLS (3.5)",
     lambda ssl: hasattr(ssl, "MemoryBIO") and hasattr(ssl.SSLContext, "wrap_bio")),
    ("SSLSession, session_reused", "TLS session resumption (3.6)",
     lambda ssl: hasattr(ssl, "SSLSession")),
    ("TLSVersion, minimum_version", "version bounds (3.7)",
     lambda ssl: hasattr(ssl, "TLSVersion")),
    ("SSLCertVerificationError", "verify_code/verify_message (3.7)",
     lambda ssl: hasattr(ssl, "SSLCertVerificationError")),
    ("sni_callback", "SNI callback that may switch contexts (3.7)",
     lambda ssl: hasattr(ssl.SSLContext, "sni_callback")),
    ("post_handshake_auth", "TLS 1.3 post-handshake client auth (3.8)",
     lambda ssl: hasattr(ssl.SSLContext, "post_handshake_auth")),
    ("keylog_filename", "NSS key log file (3.8)",
     lambda ssl: hasattr(ssl.SSLContext, "keylog_filename")),
    ("num_tickets", "TLS 1.3 session tickets (3.8)",
     lambda ssl: hasattr(ssl.SSLContext, "num_tickets")),
    ("_msg_callback", "TLS message tracing (3.8)",
     lambda ssl: hasattr(ssl.SSLContext, "_msg_callback")),
    ("security_level", "OpenSSL security level (3.10)",
     lambda ssl: hasattr(ssl.SSLContext, "security_level")),
    ("OP_IGNORE_UNEXPECTED_EOF", "(3.10)", lambda ssl: hasattr(ssl, "OP_IGNORE_UNEXPECTED_EOF")),
    ("VERIFY_X509_PARTIAL_CHAIN", "(3.10)", lambda ssl: hasattr(ssl, "VERIFY_X509_PARTIAL_CHAIN")),
    ("OP_ENABLE_KTLS", "(3.12)", lambda ssl: hasattr(ssl, "OP_ENABLE_KTLS")),
    ("get_verified_chain", "verified and unverified chains (3.13)",
     lambda ssl: hasattr(ssl.SSLSocket, "get_verified_chain")),
    ("set_psk_client_callback", "TLS-PSK (3.13)",
     lambda ssl: hasattr(ssl.SSLContext, "set_psk_client_callback")),
    ("HAS_PHA", "(3.14)", lambda ssl: hasattr(ssl, "HAS_PHA")),
    ("set_ciphersuites", "TLS 1.3 cipher suites (3.15)",
     lambda ssl: hasattr(ssl.SSLContext, "set_ciphersuites")),
    ("set_groups", "key-exchange groups (3.15)",
     lambda ssl: hasattr(ssl.SSLContext, "set_groups")),
    ("SSLContext.get_groups", "(3.15)", lambda ssl: hasattr(ssl.SSLContext, "get_groups")),
    ("SSLSocket.group", "(3.15)", lambda ssl: hasattr(ssl.SSLSocket, "group")),
    ("get_sigalgs", "(3.15)", lambda ssl: hasattr(ssl, "get_sigalgs")),
    ("set_client_sigalgs / set_server_sigalgs", "(3.15)",
     lambda ssl: hasattr(ssl.SSLContext, "set_client_sigalgs")),
    ("SSLSocket.client_sigalg", "(3.15)",
     lambda ssl: hasattr(ssl.SSLSocket, "client_sigalg")),
    ("SSLSocket.server_sigalg", "(3.15)",
     lambda ssl: hasattr(ssl.SSLSocket, "server_sigalg")),
    ("HAS_PSK_TLS13", "(3.15)", lambda ssl: hasattr(ssl, "HAS_PSK_TLS13")),
    ("export_keying_material", "RFC 5705/8446 exporter (pyOpenSSL)",
     lambda ssl: hasattr(ssl.SSLSocket, "export_keying_material")),
)


def _feature_rows():
    """One dict per _FEATURES row: name, what, added_in (the CPython
    version, or where it comes from), host (the host ssl has it, graft
    aside), ours ("yes", "no" or "needs <OpenSSL feature>")."""
    import re
    import ssl
    this = sys.modules[__name__]
    rows = []
    for name, what, present in _FEATURES:
        split = re.match(r"^(.*?)\s*\(([^()]*)\)$", what)
        what, added_in = split.groups() if split else (what, "")
        needs = _core._MISSING_FEATURES.get(name)
        rows.append({
            "name": name, "what": what, "added_in": added_in,
            "host": bool(present(ssl)) and not is_patched(),
            "ours": "needs " + needs if needs else ("yes" if present(this) else "no"),
        })
    return rows


def report(out=None):
    """Print what the host ssl lacks and what we provide; return 0."""
    import ssl
    out = out or sys.stdout
    write = out.write
    write("_tls_bootstrap %s on Python %s\n" % (
        __version__, sys.version.split()[0]))
    write("  OpenSSL built against: %s\n" % OPENSSL_BUILD_VERSION)
    write("  OpenSSL running with:  %s\n" % OPENSSL_VERSION)
    write("  host ssl runs with:    %s\n" % ssl.OPENSSL_VERSION)
    write("  SSLError is ssl.SSLError: %s\n" % (SSLError is ssl.SSLError))
    write("  graft active: %s\n" % is_patched())
    line = "  %-42s %-9s %-15s %-10s %s\n"
    write("\n" + line % ("feature", "host ssl", "_tls_bootstrap", "added in", "what"))
    for row in _feature_rows():
        write(line % (row["name"], "yes" if row["host"] else "-", row["ours"],
                      row["added_in"], row["what"]))
    return 0


def self_test_result():
    """An in-memory handshake with a certificate made on the spot.  Returns
    {"status": "ok"|"failed"|"skipped", "message": ..., and on success
    "protocol", "cipher", "peer" (the verified peer's subject)}."""
    import shutil
    import subprocess
    import tempfile
    workdir = tempfile.mkdtemp(prefix="tls_bootstrap_selftest_")
    try:
        cert = os.path.join(workdir, "cert.pem")
        key = os.path.join(workdir, "key.pem")
        command = ["openssl", "req", "-x509", "-newkey", "ec",
                   "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                   "-keyout", key, "-out", cert, "-days", "1",
                   "-subj", "/CN=selftest.invalid",
                   "-addext", "subjectAltName=DNS:selftest.invalid"]
        try:
            with open(os.devnull, "w") as devnull:
                subprocess.check_call(command, stdout=devnull, stderr=devnull)
        except (OSError, subprocess.CalledProcessError) as exc:
            return {"status": "skipped",
                    "message": "no usable openssl command: %s" % exc}
        server_ctx = SSLContext(_core.PROTOCOL_TLS_SERVER)
        server_ctx.load_cert_chain(cert, key)
        client_ctx = create_default_context(cafile=cert)
        client_ctx.verify_flags &= ~_core.VERIFY_X509_STRICT  # (no AKID)
        c_in, c_out, s_in, s_out = MemoryBIO(), MemoryBIO(), MemoryBIO(), MemoryBIO()
        client = client_ctx.wrap_bio(c_in, c_out,
                                     server_hostname="selftest.invalid")
        server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
        for _ in range(10):
            for end in (client, server):
                try:
                    end.do_handshake()
                except SSLWantReadError:
                    pass
            s_in.write(c_out.read())
            c_in.write(s_out.read())
            if client.version() and server.version():
                break
        client.write(b"ping")
        s_in.write(c_out.read())
        if server.read() != b"ping":
            raise AssertionError("payload did not arrive")
        subject = ", ".join("%s=%s" % (_SHORT_NAMES.get(key, key), value)
                            for rdn in client.getpeercert().get("subject", ())
                            for key, value in rdn)
        return {"status": "ok", "protocol": client.version(),
                "cipher": client.cipher()[0], "peer": subject,
                "message": "%s handshake in memory, cipher %s, peer verified "
                           "as %s" % (client.version(), client.cipher()[0], subject)}
    except Exception as exc:
        return {"status": "failed", "message": "%s: %s" % (type(exc).__name__, exc)}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


_SHORT_NAMES = {"commonName": "CN", "organizationName": "O", "countryName": "C"}


def self_test(out=None):
    """Run self_test_result() and print it on one line; return 0, or 1 on
    failure."""
    result = self_test_result()
    (out or sys.stdout).write("self-test: %s: %s\n" % (
        result["status"].upper(), result["message"]))
    return 1 if result["status"] == "failed" else 0


def main(argv=None):
    """`python -m _tls_bootstrap`: see _tls_bootstrap_cli."""
    # Run against the imported module, not this __main__ copy, so that
    # classes compare equal with what other code imports.
    import _tls_bootstrap_cli
    return _tls_bootstrap_cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
