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
- No I/O and no side effect at import time.
"""
from __future__ import absolute_import

import base64
import os
import sys
import warnings
from collections import namedtuple

__version__ = "0.1.0"

import _tls_bootstrap_core as _core

if getattr(_core, "__version__", None) != __version__:
    raise ImportError(
        "_tls_bootstrap %s found the compiled core of version %s (%s); "
        "reinstall _tls_bootstrap" % (
            __version__, getattr(_core, "__version__", "?"), _core.__file__))

_PY2 = sys.version_info[0] == 2
if _PY2:
    _text_type = unicode  # noqa: F821 (2.7 builtin)
else:
    _text_type = str

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
            if cls._is_flag and isinstance(value, (int, long)):  # noqa: F821
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
            if not isinstance(other, (int, long)):  # noqa: F821
                return NotImplemented
            return type(self)(int(self) | int(other))

        def __and__(self, other):
            if not isinstance(other, (int, long)):  # noqa: F821
                return NotImplemented
            return type(self)(int(self) & int(other))

        def __xor__(self, other):
            if not isinstance(other, (int, long)):  # noqa: F821
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


# Enums whose members are also the module's constants, as in 3.13.
_SSLMethod = _make_enum("_SSLMethod", [
    (name, value) for name, value in _core_constants("PROTOCOL_")
    if name != "PROTOCOL_SSLv23"])
Options = _make_enum("Options", _core_constants("OP_"), flag=True)
AlertDescription = _make_enum("AlertDescription",
                              _core_constants("ALERT_DESCRIPTION_"))
SSLErrorNumber = _make_enum("SSLErrorNumber", _core_constants("SSL_ERROR_"))
VerifyFlags = _make_enum("VerifyFlags", _core_constants("VERIFY_"), flag=True)
VerifyMode = _make_enum("VerifyMode", _core_constants("CERT_"))
TLSVersion = _make_enum("TLSVersion", [
    ("MINIMUM_SUPPORTED", _core.PROTO_MINIMUM_SUPPORTED),
    ("SSLv3", _core.PROTO_SSLv3),
    ("TLSv1", _core.PROTO_TLSv1),
    ("TLSv1_1", _core.PROTO_TLSv1_1),
    ("TLSv1_2", _core.PROTO_TLSv1_2),
    ("TLSv1_3", _core.PROTO_TLSv1_3),
    ("MAXIMUM_SUPPORTED", _core.PROTO_MAXIMUM_SUPPORTED),
])


def _publish(enum_class):
    for member_name, member in enum_class.__members__.items():
        globals()[member_name] = member


for _enum_class in (_SSLMethod, Options, AlertDescription, SSLErrorNumber,
                    VerifyFlags, VerifyMode):
    _publish(_enum_class)
PROTOCOL_SSLv23 = PROTOCOL_TLS  # noqa: F821 (published above)

# Values seen by SSLContext._msg_callback (RFC 8446 and predecessors).
_TLSContentType = _make_enum("_TLSContentType", [
    ("CHANGE_CIPHER_SPEC", 20), ("ALERT", 21), ("HANDSHAKE", 22),
    ("APPLICATION_DATA", 23), ("HEADER", 0x100), ("INNER_CONTENT_TYPE", 0x101)])
_TLSAlertType = _make_enum("_TLSAlertType", [
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
_TLSMessageType = _make_enum("_TLSMessageType", [
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
RAND_bytes = _core.RAND_bytes
RAND_status = _core.RAND_status
RAND_add = _core.RAND_add
_txt2obj = _core.txt2obj
_nid2obj = _core.nid2obj


# ---------------------------------------------------------------------------
# ASN.1 objects and purposes
# ---------------------------------------------------------------------------
class _ASN1Object(namedtuple("_ASN1Object", "nid shortname longname oid")):
    """ASN.1 object identifier lookup."""
    __slots__ = ()

    def __new__(cls, oid):
        return super(_ASN1Object, cls).__new__(cls, *_txt2obj(oid, name=False))

    @classmethod
    def fromnid(cls, nid):
        """Create _ASN1Object from OpenSSL numeric ID."""
        return super(_ASN1Object, cls).__new__(cls, *_nid2obj(nid))

    @classmethod
    def fromname(cls, name):
        """Create _ASN1Object from short name, long name or OID."""
        return super(_ASN1Object, cls).__new__(cls, *_txt2obj(name, name=True))


if not _PY2:
    class Purpose(_ASN1Object, _enum.Enum):
        """SSLContext purpose flags with X509v3 Extended Key Usage objects."""
        SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
        CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
else:
    class _PurposeMeta27(type):
        def __iter__(cls):
            return iter((cls.SERVER_AUTH, cls.CLIENT_AUTH))

    class Purpose(_ASN1Object):
        """SSLContext purpose flags with X509v3 Extended Key Usage objects."""
        __metaclass__ = _PurposeMeta27
        __slots__ = ()

        def __repr__(self):
            return "<Purpose.%s: %s>" % (self.name, _ASN1Object.__repr__(self))

        @property
        def name(self):
            return {"serverAuth": "SERVER_AUTH",
                    "clientAuth": "CLIENT_AUTH"}.get(self.shortname)

    Purpose.SERVER_AUTH = Purpose("1.3.6.1.5.5.7.3.1")
    Purpose.CLIENT_AUTH = Purpose("1.3.6.1.5.5.7.3.2")


# ---------------------------------------------------------------------------
# Module-level helpers
# ---------------------------------------------------------------------------
DefaultVerifyPaths = namedtuple(
    "DefaultVerifyPaths",
    "cafile capath openssl_cafile_env openssl_cafile openssl_capath_env "
    "openssl_capath")


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


def _warn_deprecated(message, stacklevel=3):
    warnings.warn(message, DeprecationWarning, stacklevel=stacklevel)


# ---------------------------------------------------------------------------
# SSLContext
# ---------------------------------------------------------------------------
_CoreContext = _core._SSLContext


class SSLContext(_CoreContext):
    """An SSLContext holds various SSL-related configuration options and
    data, such as certificates and possibly a private key."""

    sslsocket_class = None  # set below, once SSLSocket exists
    sslobject_class = None  # set below

    def __new__(cls, protocol=None, *args, **kwargs):
        if protocol is None:
            _warn_deprecated("ssl.SSLContext() without protocol argument is "
                             "deprecated.")
            protocol = PROTOCOL_TLS  # noqa: F821 (published enum member)
        elif protocol not in (PROTOCOL_TLS_CLIENT,  # noqa: F821
                              PROTOCOL_TLS_SERVER):  # noqa: F821
            # 3.10+ deprecates every protocol but the two role-specific ones.
            name = _PROTOCOL_NAMES.get(protocol)
            if name is not None:
                _warn_deprecated("ssl.%s is deprecated" % name)
        return _CoreContext.__new__(cls, protocol)

    def __init__(self, protocol=None):
        pass

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
        wire = bytearray()
        for protocol in alpn_protocols:
            if isinstance(protocol, _text_type):
                encoded = protocol.encode("ascii")
            else:
                encoded = bytes(protocol)
            if len(encoded) == 0 or len(encoded) > 255:
                raise SSLError("ALPN protocols must be 1 to 255 in length")
            wire.append(len(encoded))
            wire.extend(encoded)
        self._set_alpn_protocols(bytes(wire))

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
            _warn_deprecated("ssl.%s is deprecated" % TLSVersion(value), 4)

    @property
    def options(self):
        return Options(_CoreContext.options.__get__(self))

    @options.setter
    def options(self, value):
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
        self = cls.__new__(cls)
        context._wrap_bio(incoming, outgoing, server_side, server_hostname,
                          session=session, target=self)
        return self

    def selected_npn_protocol(self):
        _warn_deprecated("ssl NPN is deprecated, use ALPN instead")
        return None


SSLContext.sslobject_class = SSLObject


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
        context = SSLContext(PROTOCOL_TLS_CLIENT)  # noqa: F821
        context.verify_mode = CERT_REQUIRED  # noqa: F821
        context.check_hostname = True
    elif purpose == Purpose.CLIENT_AUTH:
        context = SSLContext(PROTOCOL_TLS_SERVER)  # noqa: F821
    else:
        raise ValueError(purpose)
    # Chain building stops at the first trust anchor (RFC 5280), and
    # certificates are held to X.509 strictly (3.13's choice).
    context.verify_flags |= VERIFY_X509_PARTIAL_CHAIN | VERIFY_X509_STRICT  # noqa: F821
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != CERT_NONE:  # noqa: F821
        context.load_default_certs(purpose)
    _apply_keylog_environment(context)
    return context


def _create_unverified_context(protocol=None, **kwargs):
    """_create_unverified_context(protocol=None, *, cert_reqs=CERT_NONE,
    check_hostname=False, purpose=Purpose.SERVER_AUTH, certfile=None,
    keyfile=None, cafile=None, capath=None, cadata=None)"""
    (cert_reqs, check_hostname, purpose, certfile, keyfile, cafile, capath,
     cadata) = _keyword_only(
        "_create_unverified_context", kwargs,
        cert_reqs=CERT_NONE, check_hostname=False,  # noqa: F821
        purpose=Purpose.SERVER_AUTH, certfile=None, keyfile=None,
        cafile=None, capath=None, cadata=None)
    if not isinstance(purpose, _ASN1Object):
        raise TypeError(purpose)
    if purpose == Purpose.SERVER_AUTH:
        if protocol is None:
            protocol = PROTOCOL_TLS_CLIENT  # noqa: F821
    elif purpose == Purpose.CLIENT_AUTH:
        if protocol is None:
            protocol = PROTOCOL_TLS_SERVER  # noqa: F821
    else:
        raise ValueError(purpose)
    context = SSLContext(protocol)
    context.check_hostname = check_hostname
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
    elif context.verify_mode != CERT_NONE:  # noqa: F821
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
# python -m _tls_bootstrap
# ---------------------------------------------------------------------------
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
    return 0


def self_test(out=None):
    """An in-memory handshake with a certificate made on the spot: print
    protocol, cipher and the verified peer; return 0, or 1 on failure."""
    import shutil
    import subprocess
    import tempfile
    out = out or sys.stdout
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
            out.write("self-test: SKIPPED (no usable openssl command: %s)\n"
                      % exc)
            return 0
        server_ctx = SSLContext(PROTOCOL_TLS_SERVER)  # noqa: F821
        server_ctx.load_cert_chain(cert, key)
        client_ctx = create_default_context(cafile=cert)
        client_ctx.verify_flags &= ~VERIFY_X509_STRICT  # noqa: F821 (no AKID)
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
        peer = client.getpeercert()
        out.write("self-test: OK, %s, %s, verified peer %r\n" % (
            client.version(), client.cipher()[0], peer.get("subject")))
        return 0
    except Exception as exc:
        out.write("self-test: FAILED: %r\n" % (exc,))
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv=None):
    # Run against the imported module, not this __main__ copy, so that
    # classes compare equal with what other code imports.
    import _tls_bootstrap
    status = _tls_bootstrap.report()
    return status or _tls_bootstrap.self_test()


if __name__ == "__main__":
    sys.exit(main())
