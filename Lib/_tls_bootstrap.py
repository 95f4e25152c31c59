"""CPython 3.13's ssl module for CPython 2.7 and 3.6 and later, opt-in.

Use it directly, as you would use ssl:

    import _tls_bootstrap as ssl
    context = ssl.create_default_context()
    with context.wrap_socket(sock, server_hostname="example.org") as tls:
        tls.sendall(b"...")

or graft it onto the interpreter's own ssl module, so that code which
imports ssl (pip, urllib3, requests, http.client) gets it too:

    import _tls_bootstrap
    _tls_bootstrap.monkeypatch_ssl()    # restore_ssl() undoes it

Importing it changes nothing.  The exception classes are the host's own
(_tls_bootstrap.SSLError is ssl.SSLError).  Beyond 3.13's API it has
3.15's set_ciphersuites(), set_groups() and signature-algorithm calls where
OpenSSL has them, SSLContext.load_cert_chain_data(), and pyOpenSSL's
crypto and rand APIs as _tls_bootstrap.crypto and _tls_bootstrap.rand.
`python -m _tls_bootstrap` reports what this interpreter's ssl lacks and
runs a self-test.
"""
# Rules of this file (for maintainers):
# - The exception classes are the host's own (ssl.SSLError and friends); the
#   compiled core raises exactly those objects.
# - Behaviour and results follow CPython 3.13's ssl module; where an older
#   host's own tests disagree on an API it already had, the host wins while
#   grafted (_CHANGED_IN), and a comment says so.
# - Nothing here reads the host ssl module's globals at call time (the host's
#   own classes do, which is why they cannot simply be subclassed).
# - Where the host's ssl already has an enum, Purpose or a namedtuple type,
#   that very object is used (its own tests and isinstance checks keep
#   working); ours is made only where the host lacks it.
# - No I/O and no side effect at import time.
# - Our own words: CPython's names, messages and constants are facts to
#   match, its code, comments and docstrings are not to be copied
#   (Lib/test/test_own_words.py checks).
import base64
import os
import sys
import warnings

__version__ = "0.1.0"

from _weakref import ref as _weak_ref   # weakref itself costs import time
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

    def _make_enum(name, members, flag=False, lazy=False):
        base = _enum.IntFlag if flag else _enum.IntEnum
        return base(name, members, module=__name__)
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

        def __getattr__(cls, name):
            # An enum made with lazy=True gets its members at first use.
            if cls.__dict__.get("_pending") is not None:
                _add_members(cls)
                return getattr(cls, name)
            raise AttributeError("type object %r has no attribute %r"
                                 % (cls.__name__, name))

    class _IntEnum27(int):
        __metaclass__ = _EnumMeta27
        _is_flag = False

        @property
        def name(self):
            """The member's name (None for a combination of flags)."""
            return self._name_

        @property
        def value(self):
            """The member's number."""
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

    def _make_enum(name, members, flag=False, lazy=False):
        """An enum class; with `lazy`, its members are made at its first
        use (the classes cost most of 2.7's import time)."""
        cls = _EnumMeta27(name, (_IntFlag27 if flag else _IntEnum27,),
                          {"__module__": __name__, "_pending": members})
        if not lazy:
            _add_members(cls)
        return cls

    import thread as _thread_27
    _members_lock = _thread_27.allocate_lock()

    def _add_members(cls):
        with _members_lock:
            members = cls.__dict__.get("_pending")
            if members is None:         # another thread was first
                return
            member_list, by_value, by_name = [], {}, {}
            for member_name, value in members:
                member = by_value.get(value)
                if member is None:      # else an alias of the first name
                    member = by_value[value] = int.__new__(cls, value)
                    member._name_ = member_name
                    member_list.append(member)
                by_name[member_name] = member
                setattr(cls, member_name, member)
            cls._member_list, cls._value2member = member_list, by_value
            cls.__members__ = by_name
            cls._pending = None


# {prefix: ((name, value), ...)}: the core's constants grouped by prefix,
# each group in value order, an alias after the name that owns its value
# (constants.c; grouped and sorted there as it is import time here).
_CORE_CONSTANTS = _core._CONSTANT_GROUPS
_core_constants = _CORE_CONSTANTS.__getitem__


# Docstrings of the enums we make where the host has none of its own.
_ENUM_DOCS = {
    "_SSLMethod": "The PROTOCOL_* constants.",
    "Options": "OpenSSL option bits for SSLContext.options (OP_*).",
    "AlertDescription": "TLS alert numbers (ALERT_DESCRIPTION_*).",
    "SSLErrorNumber": "The SSL_ERROR_* codes in SSLError.args[0].",
    "VerifyFlags": "Certificate-verification flags (VERIFY_*).",
    "VerifyMode": "Whether the peer's certificate is required (CERT_*).",
    "TLSVersion": "TLS protocol versions for minimum_version and "
                  "maximum_version.",
    "_TLSContentType": "Record content types seen by _msg_callback.",
    "_TLSAlertType": "Alert descriptions seen by _msg_callback.",
    "_TLSMessageType": "Handshake message types seen by _msg_callback.",
}


def _host_or_new_enum(name, members, flag=False, lazy=False):
    host = getattr(_host_ssl, name, None)
    if host is not None:
        return host
    enum_class = _make_enum(name, members, flag, lazy)
    enum_class.__doc__ = _ENUM_DOCS[name]
    return enum_class


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
    members = enum_class.__members__
    globals().update((name, members.get(name, value))
                     for name, value in _core_constants(prefix))


for _enum_class, _prefix in ((_SSLMethod, "PROTOCOL_"), (Options, "OP_"),
                             (AlertDescription, "ALERT_DESCRIPTION_"),
                             (SSLErrorNumber, "SSL_ERROR_"),
                             (VerifyFlags, "VERIFY_"), (VerifyMode, "CERT_")):
    _publish(_enum_class, _prefix)
PROTOCOL_SSLv23 = PROTOCOL_TLS  # noqa: F821 (published above)

# Values seen by SSLContext._msg_callback (RFC 8446 and predecessors).
# Where the host lacks these enums (before 3.8) ours are made when first
# needed: building them is half a millisecond of import time on 3.7 and 6M
# instructions on 3.6.  2.7 cannot defer a module attribute, so there they
# are made at once.
_MESSAGE_ENUM_MEMBERS = {
    "_TLSContentType": [
        ("CHANGE_CIPHER_SPEC", 20), ("ALERT", 21), ("HANDSHAKE", 22),
        ("APPLICATION_DATA", 23), ("HEADER", 0x100), ("INNER_CONTENT_TYPE", 0x101)],
    "_TLSAlertType": [
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
        ("CERTIFICATE_REQUIRED", 116), ("NO_APPLICATION_PROTOCOL", 120)],
    "_TLSMessageType": [
        ("HELLO_REQUEST", 0), ("CLIENT_HELLO", 1), ("SERVER_HELLO", 2),
        ("HELLO_VERIFY_REQUEST", 3), ("NEWSESSION_TICKET", 4),
        ("END_OF_EARLY_DATA", 5), ("HELLO_RETRY_REQUEST", 6),
        ("ENCRYPTED_EXTENSIONS", 8), ("CERTIFICATE", 11),
        ("SERVER_KEY_EXCHANGE", 12), ("CERTIFICATE_REQUEST", 13),
        ("SERVER_DONE", 14), ("CERTIFICATE_VERIFY", 15),
        ("CLIENT_KEY_EXCHANGE", 16), ("FINISHED", 20), ("CERTIFICATE_URL", 21),
        ("CERTIFICATE_STATUS", 22), ("SUPPLEMENTAL_DATA", 23), ("KEY_UPDATE", 24),
        ("NEXT_PROTO", 67), ("MESSAGE_HASH", 254), ("CHANGE_CIPHER_SPEC", 0x0101)],
}


def _message_enum(name):
    """The host's _msg_callback enum `name`, or ours, made once."""
    enum_class = globals().get(name)
    if enum_class is None:
        enum_class = _host_or_new_enum(name, _MESSAGE_ENUM_MEMBERS[name],
                                       lazy=True)
        globals()[name] = enum_class
    return enum_class


if _PY2:
    for _name in _MESSAGE_ENUM_MEMBERS:
        _message_enum(_name)
else:
    def __getattr__(name):
        if name in _MESSAGE_ENUM_MEMBERS:
            return _message_enum(name)
        raise AttributeError("module %r has no attribute %r" % (__name__, name))

    if sys.version_info < (3, 7):
        class _Module36(type(sys)):
            """3.6 predates module __getattr__ (PEP 562): a module of this
            class has the same hook (a module's class may change since 3.5)."""

            def __getattr__(self, name):
                return __getattr__(name)

        sys.modules[__name__].__class__ = _Module36


_PROTOCOL_NAMES = dict((member, member.name) for member in _SSLMethod)
# Setting any of these is deprecated (3.10+).
_OP_NO_PROTOCOLS = (_core.OP_NO_SSLv2 | _core.OP_NO_SSLv3 | _core.OP_NO_TLSv1 |
                    _core.OP_NO_TLSv1_1 | _core.OP_NO_TLSv1_2 | _core.OP_NO_TLSv1_3)


def get_protocol_name(protocol_code):
    """The PROTOCOL_* name of `protocol_code`, or "<unknown>"."""
    return _PROTOCOL_NAMES.get(protocol_code, "<unknown>")


# ---------------------------------------------------------------------------
# Plain constants
# ---------------------------------------------------------------------------
globals().update(_core_constants("HAS_"))
globals().update(_core_constants("PROTO_"))
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


# pyOpenSSL's SSL API (issue 17) is loaded when first used: its import
# costs as much as the rest of this file (issue 15, import time).
if _PY2:
    import imp as _imp   # 2.7 imports under this one lock: take it too
    _lazy_lock_acquire, _lazy_lock_release = _imp.acquire_lock, _imp.release_lock
else:
    from _thread import RLock as _LazyLock
    _lazy_lock_acquire = _LazyLock().acquire
    _lazy_lock_release = _lazy_lock_acquire.__self__.release


class _LazyModule(type(sys)):
    """A module whose code runs, in this very object, at the first look-up
    of a name it lacks: it is sys.modules' entry from the start, so every
    importer gets the same object, loaded or not."""

    def __getattr__(self, name):
        # Tools walk sys.modules asking every module for __file__ or
        # __path__ (2.7's regrtest rewrites them while iterating the dict
        # itself): such questions must not run the code, which imports
        # modules.  __all__ is the API: `import *` loads.
        if name[:2] == name[-2:] == "__" and name != "__all__":
            raise AttributeError("'module' object has no attribute '%s'" % name
                                 if _PY2 else
                                 "module %r has no attribute %r" % (self.__name__, name))
        _load_in_place(self)
        try:
            return type(sys).__getattribute__(self, name)
        except AttributeError:
            if _PY2:    # the message a plain module gives
                raise AttributeError("'module' object has no attribute '%s'" % name)
            raise

    def __dir__(self):
        _load_in_place(self)
        return sorted(vars(self))


def _load_in_place(module):
    """Run `module`'s code in it, once.  Another thread missing a name
    meanwhile waits here for the end."""
    _lazy_lock_acquire()
    try:
        state = vars(module)
        # the mark is on the module itself, so that a reload of this file
        # still finds the modules it made and did not load
        if not state.pop("_lazy_pending_", False):
            return
        name = module.__name__
        sys.modules[name] = module      # where both loaders look for it
        try:
            if _PY2:
                found = _imp.find_module(name)
                try:
                    _imp.load_module(name, *found)
                finally:
                    if found[0] is not None:
                        found[0].close()
            else:
                spec = _find_spec(name)
                module.__spec__, module.__loader__ = spec, spec.loader
                if spec.has_location:
                    module.__file__, module.__cached__ = spec.origin, spec.cached
                spec.loader.exec_module(module)
        except BaseException:
            state["_lazy_pending_"] = True      # tried again at the next use
            raise
    finally:
        _lazy_lock_release()


def _find_spec(name):
    """The import system's spec for top-level module `name`, past
    sys.modules (which holds the module being loaded)."""
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        spec = find_spec(name, None) if find_spec is not None else None
        if spec is not None:
            return spec
    raise ImportError("No module named %r" % name, name=name)


def _lazy_module(name):
    """sys.modules[name], or a _LazyModule put there for it."""
    module = sys.modules.get(name)
    if module is None:
        module = sys.modules[name] = _LazyModule(name)
        module._lazy_pending_ = True
    return module


def _installed_beside_us(name):
    """Whether module `name` is a file in this file's directory, where our
    distribution installs its modules (looked for, not imported)."""
    here = os.path.dirname(__file__)
    return any(os.path.exists(os.path.join(here, name + suffix))
               for suffix in (".py", ".pyc"))


# _tls_bootstrap_pyopenssl and _tls_bootstrap_SSL ship together.  Where
# they are absent (this file shipped alone: the CPython patch,
# test_patches_e2e's copy) so are SSL and inject/extract_pyopenssl.
SSL = _lazy_module("_tls_bootstrap_SSL")
if not _installed_beside_us("_tls_bootstrap_pyopenssl"):
    try:        # not beside us (a zip?): ask the import system
        import _tls_bootstrap_pyopenssl  # noqa: F401
    except ImportError as _exc:
        if "_tls_bootstrap_pyopenssl" not in str(_exc):
            raise
        if vars(SSL).pop("_lazy_pending_", False):
            del sys.modules["_tls_bootstrap_SSL"]
        del SSL
if "SSL" in globals():
    def inject_pyopenssl():
        """Make `import OpenSSL` (OpenSSL.SSL, crypto, rand, version) give
        the pyOpenSSL API of this package.  RuntimeError if the real
        pyOpenSSL is imported already; a second call does nothing."""
        import _tls_bootstrap_pyopenssl
        return _tls_bootstrap_pyopenssl.inject_pyopenssl()

    def extract_pyopenssl():
        """Undo inject_pyopenssl(): sys.modules' OpenSSL entries are again
        what they were before it."""
        import _tls_bootstrap_pyopenssl
        return _tls_bootstrap_pyopenssl.extract_pyopenssl()
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
    """Where OpenSSL looks for trusted CAs by default, as the host's
    DefaultVerifyPaths: cafile and capath (after the SSL_CERT_FILE and
    SSL_CERT_DIR overrides; None when missing on disk), then OpenSSL's
    own names for the variables and its built-in paths."""
    openssl = _core.get_default_verify_paths()
    file_variable, default_file, dir_variable, default_dir = openssl
    cafile = os.environ.get(file_variable, default_file)
    capath = os.environ.get(dir_variable, default_dir)
    found_file = cafile if os.path.isfile(cafile) else None
    found_dir = capath if os.path.isdir(capath) else None
    return DefaultVerifyPaths(found_file, found_dir, *openssl)


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
    "sslobject_wraps_connection": (3, 7),    # 3.5/3.6: SSLObject(sslobj, owner)
    "unwrap_returns_ssl_socket": (3, 0),     # 2.7: the raw _socket.socket
    "sslsocket_constructor_private": (3, 7),  # SSLSocket(sock, ...): 2.7 form only
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
# SSLContext: the core's context type, with the enum-typed properties, the
# deprecation warnings and the wrap_* entry points of 3.13 added here.
# ---------------------------------------------------------------------------
_CoreContext = _core._SSLContext


def _check_purpose(purpose):
    """Purpose.SERVER_AUTH or CLIENT_AUTH (any _ASN1Object passes here; the
    factories refuse the others with ValueError)."""
    if not isinstance(purpose, _ASN1Object):
        raise TypeError(purpose)


def _warn_old_tls_version(value):
    if value in (TLSVersion.SSLv3, TLSVersion.TLSv1, TLSVersion.TLSv1_1):
        _warn_deprecated("ssl.TLSVersion.%s is deprecated"
                         % TLSVersion(value).name, 5)


def _before_minimum_version(context, value):
    # OpenSSL keeps OP_NO_SSLv3 set by default; a minimum of SSLv3 asks
    # for it to be allowed again.
    if value == TLSVersion.SSLv3:
        context.options &= ~Options.OP_NO_SSLv3
    _warn_old_tls_version(value)


def _before_maximum_version(context, value):
    _warn_old_tls_version(value)


def _before_options(context, value):
    if not isinstance(value, _integer_types):
        return          # the core refuses it with its own TypeError
    added = value & ~int(_CoreContext.options.__get__(context))
    if added & _OP_NO_PROTOCOLS:
        _warn_deprecated("ssl.OP_NO_SSL*/ssl.OP_NO_TLS* options are "
                         "deprecated", 4)


def _enum_property(name, enum_class, doc, before_set=None, writable=True,
                   strict=True):
    """A property over the core context's int attribute `name` that reads
    as `enum_class` (values the enum lacks stay ints unless `strict`),
    runs `before_set(context, value)` before a write, and never reaches
    a module global through the instance."""
    raw = getattr(_CoreContext, name)

    def get(self):
        value = raw.__get__(self)
        return enum_class(value) if strict else _enum_or_value(enum_class, value)

    def set_(self, value):
        if before_set is not None:
            before_set(self, value)
        raw.__set__(self, value)

    get.__name__ = set_.__name__ = name
    return property(get, set_ if writable else None, None, doc)


class SSLContext(_CoreContext):
    """Settings shared by TLS connections: protocol bounds, certificates and
    keys, trust anchors, verification, ciphers, callbacks.  Its wrap_socket()
    and wrap_bio() make the connections.

    As 3.13's ssl.SSLContext on every interpreter (so on an old one it has
    what that interpreter's class lacks), and a subclass of the compiled
    core's context type rather than of _ssl._SSLContext.  Extras of ours:
    load_cert_chain_data(), and 3.15's set_ciphersuites()/set_groups()/
    set_client_sigalgs()/set_server_sigalgs() where OpenSSL has them."""

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
        """Whether a client checks the server's certificate against
        server_hostname during the handshake.  Setting it True also sets
        verify_mode to CERT_REQUIRED when it was CERT_NONE (3.7+; grafted
        onto 2.7/3.6 that is the host's ValueError instead)."""
        return _CoreContext.check_hostname.__get__(self)

    @check_hostname.setter
    def check_hostname(self, value):
        if (value and _legacy_host_behaviour("check_hostname_sets_cert_required")
                and _CoreContext.verify_mode.__get__(self) == _core.CERT_NONE):
            raise ValueError("check_hostname needs a SSL context with either "
                             "CERT_OPTIONAL or CERT_REQUIRED")
        _CoreContext.check_hostname.__set__(self, value)

    _encode_hostname = staticmethod(_encode_hostname)

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True,
                    suppress_ragged_eofs=True, server_hostname=None,
                    session=None):
        """Take over the stream socket `sock` (it is detached) and return
        a `sslsocket_class` speaking TLS over it.  A connected socket
        shakes hands at once unless do_handshake_on_connect is false; an
        unconnected one does so in connect()."""
        return self.sslsocket_class._create(
            sock=sock, context=self, session=session, server_side=server_side,
            server_hostname=server_hostname,
            do_handshake_on_connect=do_handshake_on_connect,
            suppress_ragged_eofs=suppress_ragged_eofs)

    def wrap_bio(self, incoming, outgoing, server_side=False,
                 server_hostname=None, session=None):
        """A `sslobject_class` that reads the peer's bytes from the
        MemoryBIO `incoming` and leaves its own in `outgoing`: TLS with
        no I/O of its own (sans-I/O, TLS inside TLS)."""
        name = _encode_hostname(server_hostname)
        return self.sslobject_class._create(
            incoming, outgoing, context=self, session=session,
            server_side=server_side, server_hostname=name)

    def set_npn_protocols(self, npn_protocols):
        """NPN is gone from the OpenSSL builds we support: after the
        host's deprecation warning and argument checks, this raises
        NotImplementedError.  Use set_alpn_protocols()."""
        _warn_deprecated("ssl NPN is deprecated, use ALPN instead")
        _protocol_list_wire(npn_protocols, "NPN")   # the stdlib's checks first
        raise NotImplementedError(
            "NPN is not supported: OpenSSL 1.1.1+ builds use ALPN")

    def set_servername_callback(self, server_name_callback):
        """The older spelling of sni_callback: `server_name_callback(conn,
        name, context)` is called during a server's handshake with the
        name the client asked for, in IDNA A-label form; None removes it."""
        if server_name_callback is None:
            self.sni_callback = None
        elif callable(server_name_callback):
            self.sni_callback = _idna_named(server_name_callback)
        else:
            raise TypeError("not a callable object")

    def set_alpn_protocols(self, alpn_protocols):
        """Protocols to offer (client) or accept (server) with ALPN, most
        preferred first; str, or bytes as 2.7 code passes them."""
        self._set_alpn_protocols(_protocol_list_wire(alpn_protocols, "ALPN"))

    def load_default_certs(self, purpose=Purpose.SERVER_AUTH):
        """Trust OpenSSL's default CA file and directory (SSL_CERT_FILE and
        SSL_CERT_DIR override them); `purpose` is checked, not used, as
        outside Windows in the stdlib."""
        _check_purpose(purpose)
        self.set_default_verify_paths()

    minimum_version = _enum_property(
        "minimum_version", TLSVersion, before_set=_before_minimum_version,
        doc="Lowest TLS version allowed, a TLSVersion (default TLSv1_2); "
            "setting SSLv3, TLSv1 or TLSv1_1 warns, as 3.10+ does.")
    maximum_version = _enum_property(
        "maximum_version", TLSVersion, before_set=_before_maximum_version,
        doc="Highest TLS version allowed, a TLSVersion (default "
            "MAXIMUM_SUPPORTED).")
    options = _enum_property(
        "options", Options, before_set=_before_options,
        doc="OpenSSL's option bits, an Options flag; newly setting one of "
            "the OP_NO_<version> bits warns, as 3.10+ does.")
    protocol = _enum_property(
        "protocol", _SSLMethod, writable=False,
        doc="The PROTOCOL_* the context was made with (read-only).")
    verify_flags = _enum_property(
        "verify_flags", VerifyFlags,
        doc="Certificate-verification flags, a VerifyFlags flag.")
    verify_mode = _enum_property(
        "verify_mode", VerifyMode, strict=False,
        doc="CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED, as a VerifyMode.")

    @property
    def _msg_callback(self):
        """Debug hook: callback(conn, direction, version, content_type,
        msg_type, data) for every TLS message sent or received, with
        the numbers as the private enums 3.8+ uses."""
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
            content_type = _enum_or_value(_message_enum("_TLSContentType"),
                                          content_type)
            kinds = _message_enum(
                _MESSAGE_TYPE_ENUMS.get(content_type, "_TLSMessageType"))
            return callback(conn, direction, _enum_or_value(TLSVersion, version),
                            content_type, _enum_or_value(kinds, msg_type), data)

        inner.user_function = callback
        _CoreContext._msg_callback.__set__(self, inner)

    # `context.__class__ = K`, K a subclass of the HOST's SSLContext: see
    # _reclass_context() below.  Reading gives K back after such a swap.
    __class__ = property(
        lambda self: type(self).__dict__.get("_reclassed_as", type(self)),
        lambda self, klass: _reclass_context(self, klass), None,
        "The object's class; may be set to a subclass of this class, or of "
        "the host ssl's own SSLContext (see _reclass_context).")


# ---- another library's subclass of the host's SSLContext ----
# eventlet's green create_default_context() calls the host's original
# create_default_context(), which, grafted, makes OUR context (it finds
# SSLContext in ssl's globals), then does `context.__class__ =
# GreenSSLContext`, a subclass of the host's class, whose C layout ours
# cannot take ("object layout differs").  Options weighed:
# - leave ssl's globals or the host's functions alone for such callers:
#   the host function looks SSLContext up in ssl's module dict at call
#   time, so only un-grafting (or rewriting its code) would do;
# - make that swap work here: the library's subclass adds its own methods
#   (wrap_socket giving its green socket) on top of the host's API, which
#   ours has too.  So the object becomes an instance of a subclass of OUR
#   class that carries the library's own attributes (made once per pair,
#   cached), and `__class__` reads back the class assigned, so
#   isinstance() with it holds.  Chosen: one property, no global effect,
#   nothing named after any library.
# What cannot be carried over is refused with TypeError, before anything
# changes: slots of the library's own (a layout of theirs), and methods
# using zero-argument super() (bound to their class, which this object is
# not an instance of).  The library's re-definitions of the host's own
# data descriptors (eventlet's and gevent's options/verify_mode setters,
# which work around the host's super(SSLContext, SSLContext)) are left
# out: ours implements those attributes without that problem.
_set_object_class = object.__dict__["__class__"].__set__
# (our class, their class) -> weak reference to the stand-in: a stand-in
# lives while objects use it, so classes made and dropped over and over (a
# test's, a plugin's) do not pile up here.
_stand_in_classes = {}
_LAYOUT_NAMES = ("__module__", "__dict__", "__weakref__", "__slots__",
                 "__doc__", "__qualname__")


def _reclass_context(context, klass):
    if isinstance(klass, type) and issubclass(klass, _CoreContext):
        _set_object_class(context, klass)
        return
    ours = type(context).__dict__.get("_reclassed_from", type(context))
    key = (ours, klass)
    ref = _stand_in_classes.get(key)
    stand_in = ref() if ref is not None else None
    if stand_in is None:
        stand_in = _stand_in_class(ours, klass)
        _stand_in_classes[key] = _weak_ref(stand_in, _forget_stand_in(key))
    _set_object_class(context, stand_in)


def _forget_stand_in(key):
    def forget(dead):
        if _stand_in_classes.get(key) is dead:
            del _stand_in_classes[key]
    return forget


def _class_attribute(klass, name):
    for base in klass.__mro__:
        if name in vars(base):
            return vars(base)[name]
    return None


def _is_data_descriptor(value):
    return hasattr(type(value), "__set__")


def _stand_in_class(ours, klass):
    """A subclass of `ours` with the attributes that `klass`, a subclass of
    the host's SSLContext, adds to the host's classes."""
    try:
        import _ssl
        host_base = _ssl._SSLContext
    except (ImportError, AttributeError):
        host_base = None
    if not (isinstance(klass, type) and host_base is not None
            and issubclass(klass, host_base)):
        raise TypeError("__class__ must be set to a subclass of SSLContext, "
                        "not %r" % (klass,))
    layer = []
    for base in klass.__mro__:
        if base.__module__ in ("ssl", "_ssl"):
            host = base
            break
        layer.append(base)

    def refuse(why):
        raise TypeError("cannot make a %s.%s a %s: %s" % (
            ours.__module__, ours.__name__, klass.__name__, why))

    attributes = {}
    for base in reversed(layer):
        for name, value in vars(base).items():
            if name in _LAYOUT_NAMES:
                continue
            if type(value).__name__ == "member_descriptor":
                refuse("%s.%s is a slot" % (base.__name__, name))
            if (_is_data_descriptor(value) and
                    _is_data_descriptor(_class_attribute(host, name))):
                continue
            for part in ("fget", "fset", "fdel", "__func__", None):
                function = getattr(value, part, None) if part else value
                code = getattr(function, "__code__", None)
                if code is not None and "__class__" in code.co_freevars:
                    refuse("%s.%s uses super() without arguments"
                           % (base.__name__, name))
            attributes[name] = value
    attributes.update(__slots__=(), __module__=klass.__module__,
                      __doc__=klass.__doc__, _reclassed_as=klass,
                      _reclassed_from=ours)
    return type(klass.__name__, (ours,), attributes)


# What the message type of a _msg_callback record means depends on its
# content type: a record header's, an alert's, or a handshake message's.
_MESSAGE_TYPE_ENUMS = {0x100: "_TLSContentType", 21: "_TLSAlertType"}


def _idna_named(callback):
    """set_servername_callback()'s callback behind an sni_callback."""
    def sni_callback(connection, server_name, context):
        return callback(connection, _encode_hostname(server_name), context)
    return sni_callback


# ---------------------------------------------------------------------------
# SSLObject: the core connection type itself, so read()/write() are C calls
# ---------------------------------------------------------------------------
class SSLObject(_core._Connection):
    """One TLS connection over two MemoryBIOs, made by
    SSLContext.wrap_bio(): you move the bytes, it does the protocol.  The
    same methods as SSLSocket's TLS side (do_handshake, read, write,
    unwrap, getpeercert, cipher, ...), none of a socket's.

    As 3.13's ssl.SSLObject, on every interpreter (2.7 has none); it is
    the compiled connection type itself, so its I/O costs one C call."""

    if _HOST_VERSION < (3, 7):
        def __new__(cls, *args, **kwargs):
            # 3.5/3.6's SSLObject(sslobj, owner=None, session=None) put a
            # Python face on what _wrap_socket() returned; code written for
            # them calls it so when it finds SSLObject, which the graft
            # adds to 2.7 (eventlet 0.33's GreenSSLSocket.connect()).  Our
            # connection is that face already: grafted onto a host before
            # 3.7 it is returned itself, its owner and session set.
            sslobj = args[0] if args else kwargs.get("sslobj")
            if (type(sslobj) is _Connection and
                    _legacy_host_behaviour("sslobject_wraps_connection")):
                for name, value in zip(("owner", "session"), args[1:]):
                    kwargs.setdefault(name, value)
                if "owner" in kwargs:
                    sslobj.owner = kwargs["owner"]
                if kwargs.get("session") is not None:
                    sslobj.session = kwargs["session"]
                return sslobj
            return _Connection.__new__(cls)

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
        """The ciphers both ends offered, as (name, protocol, bits), on a
        server after the handshake; None otherwise (grafted onto a host
        before 3.10, a client lists its own ciphers, as it did there)."""
        if (not self.server_side and
                _legacy_host_behaviour("shared_ciphers_none_on_client")):
            return _legacy_client_ciphers(self)
        return _Connection.shared_ciphers(self)

    def do_handshake(self):
        """Run the handshake as far as the bytes at hand allow:
        SSLWantReadError asks for more from the peer.  Grafted onto 2.7/3.6,
        the server's name is then checked by the host's match_hostname()."""
        _Connection.do_handshake(self)
        _match_hostname_after_handshake(self, self.server_hostname)

    def selected_npn_protocol(self):
        """Always None (NPN is gone); warns, as 3.10+ does."""
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
#
# While wrapped (self._sslobj is a connection) the byte-moving methods go
# through TLS and the datagram/ancillary ones are refused; once unwrapped,
# shut down or closed (self._sslobj is None) it is a plain socket again.
# Most methods are generated from the tables after the class.
# ---------------------------------------------------------------------------
import errno as _errno
import socket as _socket_module
from socket import socket as _socket_class
if _PY2 and isinstance(getattr(_socket_class, "_sock", None), property):
    # socket.socket was replaced before this import by a class whose _sock
    # is computed (eventlet's GreenSocket: itself), not the raw socket that
    # 2.7's SSLSocket design shares, and whose constructor copies methods
    # (close, shutdown, ...) onto each instance over ours.  Built on it, an
    # SSLSocket would close its descriptor under its makefile() files and
    # recurse in recv() before the handshake.  2.7's own SSLSocket derives
    # from the class below, which such a library leaves alone; a socket of
    # its class handed to wrap_socket() is then our _sock, as it would be
    # the host's.  (gevent's keeps the raw socket in _sock: kept as base.)
    _socket_class = _socket_module._socketobject

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


def _check_wrap_arguments(context, server_side, server_hostname, session):
    """What wrap_socket() refuses before touching the socket, in 3.13's
    order."""
    if server_side and server_hostname:
        raise ValueError("server_hostname can only be specified "
                         "in client mode")
    if server_side and session is not None:
        raise ValueError("session can only be specified in client mode")
    if context.check_hostname and not server_hostname:
        raise ValueError("check_hostname requires server_hostname")
    context._check_side(server_side)


def _take_over(cls, sock):
    """A new `cls` on `sock`'s descriptor.  On 3.x `sock` is detached; on
    2.7 both share the raw _sock, as 2.7's own SSLSocket does."""
    if _PY2:
        self = cls.__new__(cls)
        _share_raw_socket(self, sock)
        return self
    kwargs = dict(family=sock.family, type=sock.type, proto=sock.proto,
                  fileno=sock.fileno())
    self = cls.__new__(cls, **kwargs)
    _socket_class.__init__(self, **kwargs)
    sock.detach()
    return self


def _share_raw_socket(self, sock):
    """2.7: make `self` a socket.socket on `sock`'s raw _sock, with this
    class's methods rather than the per-instance ones 2.7 installs."""
    _socket_class.__init__(self, _sock=sock._sock)
    for name in _DELEGATED_METHODS:
        self.__dict__.pop(name, None)
    self._makefile_refs = 0
    self._closed = False


_NO_TIMEOUT_CHANGE = object()


def _refuse_flags(sock, method, flags):
    if flags != 0:
        raise ValueError("non-zero flags not allowed in calls to %s() on %s"
                         % (method, sock.__class__))


class SSLSocket(_socket_class):
    """A socket.socket speaking TLS, made by SSLContext.wrap_socket().
    send()/recv() and friends, sendall(), sendfile() and makefile() carry
    application data; read()/write() are the TLS-level calls.

    As 3.13's ssl.SSLSocket on every interpreter, with these differences:
    its TLS I/O runs in the compiled core (which waits on the descriptor
    itself), close() wakes other threads blocked in its I/O with
    OSError(EBADF) instead of leaving them blocked, and it has 3.15's
    group()/client_sigalg()/server_sigalg() and pyOpenSSL's
    export_keying_material().  Grafted onto 2.7 its timeouts are SSLError
    and a blocked send() returns 0, as that host's always did."""

    def _no_constructor(self):
        raise TypeError(
            "%s does not have a public constructor. Instances are returned "
            "by SSLContext.wrap_socket()." % self.__class__.__name__)

    if not _PY2:
        def __init__(self, *args, **kwargs):
            self._no_constructor()
    else:
        # 2.7's ssl.SSLSocket is built by calling the class, and libraries
        # subclass it and call this constructor themselves (eventlet 0.33's
        # GreenSSLSocket: SSLSocket.__init__(self, sock.fd, keyfile, ...,
        # _context=...)).  That is the host's API on 2.7, so grafted there
        # ours takes the same arguments and does what 2.7's does.  Used
        # directly, and on 3.x hosts (none has had a public constructor
        # since 3.7; 3.6's other form is not taken), it is 3.13's TypeError.
        def __init__(self, sock=None, keyfile=None, certfile=None,
                     server_side=False, cert_reqs=_core.CERT_NONE,
                     ssl_version=_core.PROTOCOL_TLS, ca_certs=None,
                     do_handshake_on_connect=True,
                     family=_socket_module.AF_INET, type=_SOCK_STREAM,
                     proto=0, fileno=None, suppress_ragged_eofs=True,
                     npn_protocols=None, ciphers=None, server_hostname=None,
                     _context=None):
            """SSLSocket(sock, keyfile=None, certfile=None, ...): TLS over
            the stream socket `sock` (which keeps working: both share its
            descriptor), as 2.7's ssl.SSLSocket.  Without `_context`, a new
            context of `ssl_version` with the given certificate, trust,
            ciphers and verify mode is made.  family, type, proto and
            fileno are accepted and ignored, as by 2.7's."""
            if not _legacy_host_behaviour("sslsocket_constructor_private"):
                self._no_constructor()
            if _context is None:
                if server_side and not certfile:
                    raise ValueError("certfile must be specified for "
                                     "server-side operations")
                if keyfile and not certfile:
                    raise ValueError("certfile must be specified")
                _context = SSLContext(ssl_version)
                _context.verify_mode = cert_reqs
                if ca_certs:
                    _context.load_verify_locations(ca_certs)
                if certfile:
                    _context.load_cert_chain(certfile, keyfile or certfile)
                if npn_protocols:
                    _context.set_npn_protocols(npn_protocols)
                if ciphers:
                    _context.set_ciphers(ciphers)
                # kept as attributes, as 2.7's are (eventlet reads them)
                vars(self).update(
                    keyfile=keyfile or certfile, certfile=certfile,
                    cert_reqs=cert_reqs, ssl_version=ssl_version,
                    ca_certs=ca_certs, ciphers=ciphers)
            if sock.getsockopt(_SOL_SOCKET, _SO_TYPE) != _SOCK_STREAM:
                raise NotImplementedError("only stream sockets are supported")
            _check_wrap_arguments(_context, server_side, server_hostname, None)
            green_wait = _green_wait_for(sock)
            _share_raw_socket(self, sock)
            # Both share one raw socket, hence one timeout: settimeout()
            # is not called (a subclass may keep its own, as eventlet's).
            self._begin(_context, None, green_wait, server_side,
                        server_hostname, do_handshake_on_connect,
                        suppress_ragged_eofs)

    # The name and keywords SSLContext.wrap_socket() uses with any
    # sslsocket_class, the stdlib's included.
    @classmethod
    def _create(cls, sock, server_side=False,
                do_handshake_on_connect=True, suppress_ragged_eofs=True,
                server_hostname=None, context=None, session=None):
        if sock.getsockopt(_SOL_SOCKET, _SO_TYPE) != _SOCK_STREAM:
            raise NotImplementedError("only stream sockets are supported")
        _check_wrap_arguments(context, server_side, server_hostname, session)

        green_wait = _green_wait_for(sock)
        timeout = sock.gettimeout()
        self = _take_over(cls, sock)
        self._begin(context, session, green_wait, server_side,
                    server_hostname, do_handshake_on_connect,
                    suppress_ragged_eofs, timeout)
        return self

    def _begin(self, context, session, green_wait, server_side,
               server_hostname, do_handshake_on_connect, suppress_ragged_eofs,
               timeout=_NO_TIMEOUT_CHANGE):
        """Sets up a socket that has just taken over a descriptor, and
        shakes hands if connected and asked to."""
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
            self.server_hostname = _encode_hostname(server_hostname)
            if timeout is not _NO_TIMEOUT_CHANGE:
                self.settimeout(timeout)
            self._connected = self._is_connected()
            if self._connected:
                self._sslobj = self._new_connection()
                if do_handshake_on_connect:
                    if self.gettimeout() == 0.0:
                        raise ValueError("do_handshake_on_connect should not "
                                         "be specified for non-blocking sockets")
                    self.do_handshake()
        except BaseException:
            self.close()
            raise

    def _new_connection(self):
        """The core connection for this socket (which must be connected)."""
        context = self.context
        connection = context._wrap_socket(
            self, self.server_side, self.server_hostname, owner=self,
            session=self._session,
            verify_hostname=_checks_hostname_in_openssl(context))
        connection._green_wait = self._green_wait
        return connection

    def _plain(self, name, *args):
        """The socket's own method, for a socket not (or no longer) wrapped:
        2.7's socket.socket forwards these to its raw _sock."""
        if _PY2:
            return getattr(self._sock, name)(*args)
        return getattr(_socket_class, name)(self, *args)

    def _connection(self):
        """The TLS connection; ValueError when the socket has none."""
        if self._sslobj is None:
            raise ValueError("No SSL wrapper around " + str(self))
        return self._sslobj

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

    def _check_connected(self):
        """Raise ENOTCONN unless connected: a non-blocking connect() may
        have left `_connected` false although the peer is there by now."""
        if not self._connected:
            self.getpeername()

    def _set_context(self, context):
        if not isinstance(context, _CoreContext):
            raise TypeError("The value must be a SSLContext")
        self._context = context
        if self._sslobj is not None:
            self._sslobj.context = context

    context = property(
        lambda self: self._context, _set_context, None,
        "The SSLContext of the connection.  A server's SNI callback may set "
        "another one during the handshake.")

    def _set_session(self, session):
        self._session = session
        if self._sslobj is not None:
            self._sslobj.session = session

    session = property(
        lambda self: self._sslobj.session if self._sslobj is not None else None,
        _set_session, None,
        "The SSLSession to resume (set before the handshake, client side) or "
        "the one established; None before the socket is wrapped.")

    def dup(self):
        """Refused: two sockets cannot share one TLS connection."""
        raise NotImplementedError("Can't dup() %s instances" %
                                  self.__class__.__name__)

    # ---- data ----
    def read(self, len=1024, buffer=None):
        """Up to `len` bytes of application data, b'' at the end of the
        stream; with `buffer`, they are put there and their count returned.
        A peer closing without close_notify reads as the end while
        suppress_ragged_eofs is true."""
        connection = self._sslobj
        if connection is None:
            raise ValueError("Read on closed or unwrapped SSL socket.")
        return self._read_from(connection, len, buffer)

    # The methods below read self._sslobj once: close() in another thread
    # clears it, and the connection they took then ends the call with
    # OSError(EBADF), as a call blocked at that moment does.
    def _read_from(self, connection, len, buffer=None):
        arguments = (len,) if buffer is None else (len, buffer)
        try:
            return connection.read(*arguments)
        except SSLError as exc:
            if exc.args[0] != _core.SSL_ERROR_EOF or not self.suppress_ragged_eofs:
                raise
            return b"" if buffer is None else 0

    def write(self, data):
        """Encrypt and send `data`; returns how many of its bytes were
        taken (all of them, on a blocking socket)."""
        connection = self._sslobj
        if connection is None:
            raise ValueError("Write on closed or unwrapped SSL socket.")
        return connection.write(data)

    def send(self, data, flags=0):
        """write() for a wrapped socket (flags must be 0), socket.send()
        for a plain one."""
        connection = self._sslobj
        if connection is None:
            return self._plain("send", data, flags)
        _refuse_flags(self, "send", flags)
        try:
            return connection.write(data)
        except (SSLWantReadError, SSLWantWriteError):
            if not _legacy_host_behaviour("send_raises_when_blocked"):
                raise
            return 0

    def sendall(self, data, flags=0):
        """send() until every byte of `data` is gone."""
        connection = self._sslobj
        if connection is None:
            return _socket_class.sendall(self, data, flags)
        _refuse_flags(self, "sendall", flags)
        view = _byte_view(data)
        sent, total = 0, len(view)
        while sent < total:
            # write(), not send(): a blocked non-blocking socket raises
            # SSLWantWriteError (2.7's send() returned 0 there, and its
            # sendall() spun on it forever).
            sent += connection.write(view[sent:])

    def sendfile(self, file, offset=0, count=None):
        """Send `file` from `offset`, `count` bytes or to its end, and
        return how many went.  Through TLS (and on 2.7) by read() and
        sendall(); a plain socket uses socket.sendfile()."""
        if self._sslobj is None and not _PY2:
            return _socket_class.sendfile(self, file, offset, count)
        return self._send_file_contents(file, offset, count)

    def _send_file_contents(self, file, offset, count):
        if offset:
            file.seek(offset)
        sent = 0
        try:
            while True:
                size = min(8192, count - sent) if count else 8192
                chunk = file.read(size) if size > 0 else b""
                if not chunk:
                    return sent
                self.sendall(chunk)
                sent += len(chunk)
        finally:
            # the file is left just past what was sent, as socket.sendfile()
            if sent > 0 and hasattr(file, "seek"):
                file.seek(offset + sent)

    def recv(self, buflen=1024, flags=0):
        """read() for a wrapped socket (flags must be 0), socket.recv()
        for a plain one."""
        connection = self._sslobj
        if connection is None:
            return self._plain("recv", buflen, flags)
        _refuse_flags(self, "recv", flags)
        return self._read_from(connection, buflen)

    def recv_into(self, buffer, nbytes=None, flags=0):
        """recv() into `buffer` (nbytes defaults to its size); returns the
        count of bytes received."""
        if nbytes is None:
            # The buffer's size in bytes, without calling its __len__.
            nbytes = (_byte_size(buffer) if buffer is not None else 0) or 1024
        connection = self._sslobj
        if connection is None:
            return self._plain("recv_into", buffer, nbytes, flags)
        _refuse_flags(self, "recv_into", flags)
        return self._read_from(connection, nbytes, buffer)

    def _plain_only(self, method):
        if self._sslobj is not None:
            raise ValueError("%s not allowed on instances of %s"
                             % (method, self.__class__))

    def sendto(self, data, flags_or_addr, addr=None):
        """socket.sendto(), for a socket not wrapped; ValueError otherwise."""
        self._plain_only("sendto")
        rest = (flags_or_addr,) if addr is None else (flags_or_addr, addr)
        return self._plain("sendto", data, *rest)

    def recvfrom(self, buflen=1024, flags=0):
        """socket.recvfrom(), for a socket not wrapped; ValueError otherwise."""
        self._plain_only("recvfrom")
        return self._plain("recvfrom", buflen, flags)

    def recvfrom_into(self, buffer, nbytes=None, flags=0):
        """socket.recvfrom_into(), for a socket not wrapped; ValueError
        otherwise."""
        self._plain_only("recvfrom_into")
        return self._plain("recvfrom_into", buffer, nbytes or 0, flags)

    # ---- what the handshake established ----
    def getpeercert(self, binary_form=False):
        """The peer's certificate: a dict of its decoded fields (empty when
        it was not verified), or DER bytes with binary_form; None if the
        peer sent none.  ValueError before the handshake."""
        self._check_connected()
        return self._sslobj.getpeercert(binary_form)

    def shared_ciphers(self):
        """The ciphers both ends offered, as (name, protocol, bits), on a
        server after the handshake; None otherwise (grafted onto a host
        before 3.10, a client lists its own ciphers, as it did there)."""
        connection = self._sslobj
        if connection is None:
            return None
        if (not self.server_side and
                _legacy_host_behaviour("shared_ciphers_none_on_client")):
            return _legacy_client_ciphers(connection)
        return connection.shared_ciphers()

    def selected_npn_protocol(self):
        """Always None (NPN is gone); warns, as 3.10+ does."""
        _warn_deprecated("ssl NPN is deprecated, use ALPN instead")
        return None

    def get_channel_binding(self, cb_type="tls-unique"):
        """The RFC 5929 channel binding of `cb_type` (only "tls-unique"),
        or None before the handshake or with TLS 1.3."""
        connection = self._sslobj
        if connection is not None:
            return connection.get_channel_binding(cb_type)
        if cb_type not in CHANNEL_BINDING_TYPES:
            raise ValueError("%s channel binding type not implemented" % (cb_type,))
        return None

    def export_keying_material(self, label, length, context=None):
        """Keying material from the TLS session (RFC 5705/8446): `length`
        bytes for `label` and optional `context`; pyOpenSSL has the same."""
        return self._connection().export_keying_material(label, length, context)

    def verify_client_post_handshake(self):
        """Server side, TLS 1.3: ask the client for its certificate now;
        it arrives with the next read."""
        return self._connection().verify_client_post_handshake()

    # ---- connection life ----
    def do_handshake(self, block=False):
        """Run the TLS handshake (with `block`, blocking even on a
        non-blocking socket).  Grafted onto 2.7/3.6, the server's name is
        then checked by the host's match_hostname(), as there."""
        self._check_connected()
        saved_timeout = self.gettimeout()
        try:
            if block and saved_timeout == 0.0:
                self.settimeout(None)
            self._sslobj.do_handshake()
        finally:
            self.settimeout(saved_timeout)
        _match_hostname_after_handshake(self, self.server_hostname)

    def connect(self, addr):
        """Connect to `addr` and, with do_handshake_on_connect, run the
        handshake: for a socket wrapped before it was connected."""
        self._real_connect(addr, False)

    def connect_ex(self, addr):
        """connect(), but a failure to connect is returned as an errno
        value (0 on success) instead of raised; TLS errors still raise."""
        return self._real_connect(addr, True)

    def _real_connect(self, addr, connect_ex):
        if self.server_side:
            raise ValueError("can't connect in server-side mode")
        if self._connected or self._sslobj is not None:
            raise ValueError("attempt to connect already-connected SSLSocket!")
        self.context._check_side(False)
        self._sslobj = self._new_connection()
        connect = _socket_class.connect_ex if connect_ex else _socket_class.connect
        try:
            failure = connect(self, addr)      # connect() returns None
            if not failure:
                self._connected = True
                if self.do_handshake_on_connect:
                    self.do_handshake()
            return failure
        except (socket_error, ValueError):
            self._sslobj = None
            raise

    def accept(self):
        """Accept a connection; returns (server-side SSLSocket, address).
        The new socket keeps this one's do_handshake_on_connect and
        suppress_ragged_eofs."""
        plain, address = _socket_class.accept(self)
        wrapped = self.context.wrap_socket(
            plain, server_side=True, suppress_ragged_eofs=self.suppress_ragged_eofs,
            do_handshake_on_connect=self.do_handshake_on_connect)
        return wrapped, address

    def shutdown(self, how):
        """socket.shutdown(), dropping the TLS connection without a
        close_notify (unwrap() sends one)."""
        self._sslobj = None
        _socket_class.shutdown(self, how)

    def unwrap(self):
        """Close TLS with close_notify and return the plain socket, ready
        for cleartext; ValueError if not wrapped."""
        plain = self._connection().unwrap()
        self._sslobj = None
        if _legacy_host_behaviour("unwrap_returns_ssl_socket") and plain is self:
            # 2.7's returned the raw socket, and subclasses rely on it
            # (eventlet 0.33 wraps it in its own GreenSocket).
            return self._sock
        return plain

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
            """A file object on the socket; close() waits for it."""
            self._makefile_refs += 1
            return _FileObject(self, mode, bufsize, close=True)

        def close(self):
            """Close the socket, once every makefile() file is closed."""
            if self._makefile_refs < 1:
                self._real_close()
            else:
                self._makefile_refs -= 1

        # 3.x sockets are context managers; 2.7's are not, ours are.
        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            self.close()


# SSLSocket methods that ask the TLS connection a question without
# arguments: (name, answer while not wrapped, docstring).
_QUESTIONS = (
    ("cipher", None, "(name, protocol version, secret bits) of the cipher "
                     "in use, or None before the handshake."),
    ("compression", None, "The compression algorithm in use: always None "
                          "(OpenSSL 1.1.1+ builds have none)."),
    ("selected_alpn_protocol", None, "The protocol ALPN agreed on, or None."),
    ("version", None, "'TLSv1.3', 'TLSv1.2', ... once the handshake is done; "
                      "None before."),
    ("group", None, "The key-exchange group of the handshake, e.g. "
                    "'X25519' (3.15); None before."),
    ("client_sigalg", None, "The signature algorithm the client signed "
                            "with (3.15), or None."),
    ("server_sigalg", None, "The signature algorithm the server signed "
                            "with (3.15), or None."),
    ("pending", 0, "Bytes of application data already decrypted and "
                   "waiting to be read."),
)
# ... and those whose answer is a list of certificates, as DER bytes.
_CHAINS = (
    ("get_verified_chain", "The chain OpenSSL verified, leaf first, as DER "
                           "bytes; [] when nothing was verified."),
    ("get_unverified_chain", "The chain the peer sent, leaf first, as DER "
                             "bytes; [] before the handshake."),
)
# Refused on any SSLSocket: they could send or receive cleartext.
_NEVER = ("sendmsg", "recvmsg", "recvmsg_into")


def _question(name, unwrapped, doc, convert=None):
    def method(self):
        connection = self._sslobj
        if connection is None:
            return unwrapped
        answer = getattr(connection, name)()
        return answer if convert is None else convert(answer)
    method.__name__, method.__doc__ = name, doc
    return method


def _never(name):
    def method(self, *args, **kwargs):
        raise NotImplementedError("%s not allowed on instances of %s"
                                  % (name, self.__class__))
    method.__name__ = name
    method.__doc__ = "Refused: it would bypass TLS (NotImplementedError)."
    return method


for _name, _unwrapped, _doc in _QUESTIONS:
    setattr(SSLSocket, _name, _question(_name, _unwrapped, _doc))
for _name, _doc in _CHAINS:
    setattr(SSLSocket, _name, _question(_name, [], _doc, convert=_der_chain))
for _name in _NEVER:
    setattr(SSLSocket, _name, _never(_name))
SSLSocket.session_reused = property(
    lambda self: self._sslobj.session_reused if self._sslobj is not None else None,
    None, None, "Whether the handshake resumed a session; None before.")
del _name, _unwrapped, _doc

SSLContext.sslsocket_class = SSLSocket


def wrap_socket(sock, keyfile=None, certfile=None, server_side=False,
                cert_reqs=_core.CERT_NONE, ssl_version=_core.PROTOCOL_TLS,
                ca_certs=None, do_handshake_on_connect=True,
                suppress_ragged_eofs=True, ciphers=None):
    """Deprecated module-level wrapper (removed in 3.12; kept, and grafted,
    only where the host still has it): a new context of `ssl_version`
    with the given certificate, trust and ciphers wraps `sock`."""
    _warn_deprecated("ssl.wrap_socket() is deprecated, use "
                     "SSLContext.wrap_socket()")
    if not certfile:
        if server_side:
            raise ValueError("certfile must be specified for server-side "
                             "operations")
        if keyfile:
            raise ValueError("certfile must be specified")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context = SSLContext(ssl_version)
    context.verify_mode = cert_reqs
    if ca_certs:
        context.load_verify_locations(cafile=ca_certs)
    if certfile:
        context.load_cert_chain(certfile=certfile, keyfile=keyfile)
    if ciphers:
        context.set_ciphers(ciphers)
    return context.wrap_socket(sock, server_side=server_side,
                               suppress_ragged_eofs=suppress_ragged_eofs,
                               do_handshake_on_connect=do_handshake_on_connect)


def get_server_certificate(addr, ssl_version=_core.PROTOCOL_TLS_CLIENT,
                           ca_certs=None, timeout=_GLOBAL_DEFAULT_TIMEOUT):
    """Connect to addr, a (host, port) pair, and return the certificate the
    server presents, as PEM text.  It is verified only when `ca_certs`
    names a CA file; `timeout` bounds connecting (3.10+)."""
    host, _port = addr
    verify = _core.CERT_NONE if ca_certs is None else _core.CERT_REQUIRED
    context = _create_stdlib_context(ssl_version, cert_reqs=verify,
                                     cafile=ca_certs)
    plain = _socket_module.create_connection(addr, timeout=timeout)
    try:
        with context.wrap_socket(plain, server_hostname=host) as tls:
            der = tls.getpeercert(True)
    finally:
        plain.close()
    return DER_cert_to_PEM_cert(der)


# ---------------------------------------------------------------------------
# Context factories
# ---------------------------------------------------------------------------
def _role_protocol(purpose):
    """The protocol a factory's context gets for `purpose`: we verify
    servers (SERVER_AUTH) as a client, clients (CLIENT_AUTH) as a server."""
    _check_purpose(purpose)
    if purpose == Purpose.SERVER_AUTH:
        return _factory_protocol(_core.PROTOCOL_TLS_CLIENT)
    if purpose == Purpose.CLIENT_AUTH:
        return _factory_protocol(_core.PROTOCOL_TLS_SERVER)
    raise ValueError(purpose)


def _factory_protocol(role_protocol):
    """The factories' protocol: PROTOCOL_TLS_CLIENT/SERVER (3.10+), or
    PROTOCOL_TLS, grafted onto an older host."""
    if _legacy_host_behaviour("role_protocols_in_factories"):
        return _core.PROTOCOL_TLS
    return role_protocol


def _load_trust(context, purpose, cafile, capath, cadata):
    """The factories' last step: the CAs given, else (when verifying) the
    system's; then SSLKEYLOGFILE."""
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != _core.CERT_NONE:
        context.load_default_certs(purpose)
    _apply_keylog_environment(context)


def create_default_context(purpose=Purpose.SERVER_AUTH, **kwargs):
    """create_default_context(purpose=Purpose.SERVER_AUTH, *, cafile=None,
    capath=None, cadata=None)

    A new SSLContext with 3.13's secure defaults for `purpose`: a client
    context that verifies certificates and host names, or a server context.
    """
    cafile, capath, cadata = _keyword_only(
        "create_default_context", kwargs, cafile=None, capath=None, cadata=None)
    context = SSLContext(_role_protocol(purpose))
    if purpose == Purpose.SERVER_AUTH:
        context.verify_mode = _core.CERT_REQUIRED
        context.check_hostname = True
    # Chain building stops at the first trust anchor (RFC 5280), and
    # certificates are held to X.509 strictly (3.13's choice).
    if not _legacy_host_behaviour("strict_default_verify_flags"):
        context.verify_flags |= _core.VERIFY_X509_PARTIAL_CHAIN | _core.VERIFY_X509_STRICT
    _load_trust(context, purpose, cafile, capath, cadata)
    return context


def _create_unverified_context(protocol=None, **kwargs):
    """_create_unverified_context(protocol=None, *, cert_reqs=CERT_NONE,
    check_hostname=False, purpose=Purpose.SERVER_AUTH, certfile=None,
    keyfile=None, cafile=None, capath=None, cadata=None)

    A context that checks nothing unless asked to: what the stdlib's
    http.client and urllib used before PEP 476, and what PEP 493 lets
    users restore."""
    (cert_reqs, check_hostname, purpose, certfile, keyfile, cafile, capath,
     cadata) = _keyword_only(
        "_create_unverified_context", kwargs,
        cert_reqs=_core.CERT_NONE, check_hostname=False,
        purpose=Purpose.SERVER_AUTH, certfile=None, keyfile=None,
        cafile=None, capath=None, cadata=None)
    role = _role_protocol(purpose)
    context = SSLContext(role if protocol is None else protocol)
    # check_hostname first off: verify_mode cannot drop to CERT_NONE
    # while it is on.
    context.check_hostname = False
    if cert_reqs is not None:
        context.verify_mode = cert_reqs
    context.check_hostname = bool(check_hostname)
    if certfile:
        context.load_cert_chain(certfile, keyfile)
    elif keyfile:
        raise ValueError("certfile must be specified")
    _load_trust(context, purpose, cafile, capath, cadata)
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
try:
    from _thread import RLock as _RLock
except ImportError:         # 2.7: threading (1 ms to import) has the only RLock
    import thread as _thread_module

    class _RLock(object):
        """A lock its holder may take again (what the graft needs of one)."""

        def __init__(self):
            self._lock = _thread_module.allocate_lock()
            self._owner = None
            self._depth = 0

        def __enter__(self):
            me = _thread_module.get_ident()
            if self._owner != me:
                self._lock.acquire()
                self._owner = me
            self._depth += 1
            return self

        def __exit__(self, *exc_info):
            self._depth -= 1
            if not self._depth:
                self._owner = None
                self._lock.release()

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
_graft_lock = _RLock()
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
        if name in ours or hasattr(host, name):
            continue
        if name in _MESSAGE_ENUM_MEMBERS:
            added[name] = _message_enum(name)
        elif name in globals():
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


# `from _tls_bootstrap import *`: the API, not the modules this file uses.
__all__ = sorted(set(name for name in globals() if name[0] != "_") -
                 set(("base64", "os", "sys", "warnings", "socket_error")))


if __name__ == "__main__":
    sys.exit(main())
