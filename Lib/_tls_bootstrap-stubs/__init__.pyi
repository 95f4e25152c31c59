# Type stubs for _tls_bootstrap (PEP 561 stub package, shipped in the
# wheel and sdist).  The exception classes and enums are the host ssl
# module's own at run time, so they are imported from typeshed's ssl.
# Checked against the runtime by `python -m mypy.stubtest _tls_bootstrap`
# (tox env typing; allowlist beside this file).
import os
import socket
from types import ModuleType
from ssl import _SSLMethod as _SSLMethod
from ssl import (
    AlertDescription as AlertDescription,
    CertificateError as CertificateError,
    DefaultVerifyPaths as DefaultVerifyPaths,
    Options as Options,
    Purpose as Purpose,
    SSLCertVerificationError as SSLCertVerificationError,
    SSLEOFError as SSLEOFError,
    SSLError as SSLError,
    SSLErrorNumber as SSLErrorNumber,
    SSLSyscallError as SSLSyscallError,
    SSLWantReadError as SSLWantReadError,
    SSLWantWriteError as SSLWantWriteError,
    SSLZeroReturnError as SSLZeroReturnError,
    TLSVersion as TLSVersion,
    VerifyFlags as VerifyFlags,
    VerifyMode as VerifyMode,
)
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from typing_extensions import Buffer, TypeAlias

from _tls_bootstrap import crypto as crypto, rand as rand

__version__: str

_StrOrBytesPath: TypeAlias = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
_PasswordType: TypeAlias = Union[Callable[[], Union[str, bytes, bytearray]], str, bytes, bytearray]
_PeerCertRetDictType: TypeAlias = Dict[str, Any]
_PeerCertRetType: TypeAlias = Union[_PeerCertRetDictType, bytes, None]
_SrvnmeCbType: TypeAlias = Callable[["SSLObject | SSLSocket", Optional[str], "SSLContext"], Optional[int]]

# Constants (the host's enum members where it has the enum).
ALERT_DESCRIPTION_ACCESS_DENIED: AlertDescription
ALERT_DESCRIPTION_BAD_CERTIFICATE: AlertDescription
ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE: AlertDescription
ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE: AlertDescription
ALERT_DESCRIPTION_BAD_RECORD_MAC: AlertDescription
ALERT_DESCRIPTION_CERTIFICATE_EXPIRED: AlertDescription
ALERT_DESCRIPTION_CERTIFICATE_REVOKED: AlertDescription
ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN: AlertDescription
ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE: AlertDescription
ALERT_DESCRIPTION_CLOSE_NOTIFY: AlertDescription
ALERT_DESCRIPTION_DECODE_ERROR: AlertDescription
ALERT_DESCRIPTION_DECOMPRESSION_FAILURE: AlertDescription
ALERT_DESCRIPTION_DECRYPT_ERROR: AlertDescription
ALERT_DESCRIPTION_HANDSHAKE_FAILURE: AlertDescription
ALERT_DESCRIPTION_ILLEGAL_PARAMETER: AlertDescription
ALERT_DESCRIPTION_INSUFFICIENT_SECURITY: AlertDescription
ALERT_DESCRIPTION_INTERNAL_ERROR: AlertDescription
ALERT_DESCRIPTION_NO_RENEGOTIATION: AlertDescription
ALERT_DESCRIPTION_PROTOCOL_VERSION: AlertDescription
ALERT_DESCRIPTION_RECORD_OVERFLOW: AlertDescription
ALERT_DESCRIPTION_UNEXPECTED_MESSAGE: AlertDescription
ALERT_DESCRIPTION_UNKNOWN_CA: AlertDescription
ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY: AlertDescription
ALERT_DESCRIPTION_UNRECOGNIZED_NAME: AlertDescription
ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE: AlertDescription
ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION: AlertDescription
ALERT_DESCRIPTION_USER_CANCELLED: AlertDescription
CERT_NONE: VerifyMode
CERT_OPTIONAL: VerifyMode
CERT_REQUIRED: VerifyMode
CHANNEL_BINDING_TYPES: list[str]
HAS_ALPN: bool
HAS_ECDH: bool
HAS_NEVER_CHECK_COMMON_NAME: bool
HAS_NPN: bool
HAS_PHA: bool
HAS_PSK: bool
HAS_PSK_TLS13: bool
HAS_SNI: bool
HAS_SSLv2: bool
HAS_SSLv3: bool
HAS_TLS_UNIQUE: bool
HAS_TLSv1: bool
HAS_TLSv1_1: bool
HAS_TLSv1_2: bool
HAS_TLSv1_3: bool
OPENSSL_BUILD_VERSION: str
OPENSSL_VERSION: str
OPENSSL_VERSION_INFO: tuple[int, int, int, int, int]
OPENSSL_VERSION_NUMBER: int
OP_ALL: Options
OP_CIPHER_SERVER_PREFERENCE: Options
OP_ENABLE_KTLS: int  # the host's enum member where it has one (3.10+, 3.12+)
OP_ENABLE_MIDDLEBOX_COMPAT: Options
OP_IGNORE_UNEXPECTED_EOF: Options
OP_LEGACY_SERVER_CONNECT: int  # the host's enum member where it has one (3.10+, 3.12+)
OP_NO_COMPRESSION: Options
OP_NO_RENEGOTIATION: Options
OP_NO_SSLv2: Options
OP_NO_SSLv3: Options
OP_NO_TICKET: Options
OP_NO_TLSv1: Options
OP_NO_TLSv1_1: Options
OP_NO_TLSv1_2: Options
OP_NO_TLSv1_3: Options
OP_SINGLE_DH_USE: Options
OP_SINGLE_ECDH_USE: Options
PEM_FOOTER: str
PEM_HEADER: str
PROTOCOL_SSLv23: _SSLMethod
PROTOCOL_TLS: _SSLMethod
PROTOCOL_TLS_CLIENT: _SSLMethod
PROTOCOL_TLS_SERVER: _SSLMethod
PROTOCOL_TLSv1: _SSLMethod
PROTOCOL_TLSv1_1: _SSLMethod
PROTOCOL_TLSv1_2: _SSLMethod
PROTO_MAXIMUM_SUPPORTED: int
PROTO_MINIMUM_SUPPORTED: int
PROTO_SSLv3: int
PROTO_TLSv1: int
PROTO_TLSv1_1: int
PROTO_TLSv1_2: int
PROTO_TLSv1_3: int
SSL_ERROR_EOF: SSLErrorNumber
SSL_ERROR_INVALID_ERROR_CODE: SSLErrorNumber
SSL_ERROR_SSL: SSLErrorNumber
SSL_ERROR_SYSCALL: SSLErrorNumber
SSL_ERROR_WANT_CONNECT: SSLErrorNumber
SSL_ERROR_WANT_READ: SSLErrorNumber
SSL_ERROR_WANT_WRITE: SSLErrorNumber
SSL_ERROR_WANT_X509_LOOKUP: SSLErrorNumber
SSL_ERROR_ZERO_RETURN: SSLErrorNumber
VERIFY_ALLOW_PROXY_CERTS: int  # the host's enum member where it has one (3.10+, 3.12+)
VERIFY_CRL_CHECK_CHAIN: VerifyFlags
VERIFY_CRL_CHECK_LEAF: VerifyFlags
VERIFY_DEFAULT: VerifyFlags
VERIFY_X509_PARTIAL_CHAIN: int  # the host's enum member where it has one (3.10+, 3.12+)
VERIFY_X509_STRICT: VerifyFlags
VERIFY_X509_TRUSTED_FIRST: VerifyFlags

class MemoryBIO:
    """In-memory buffer of TLS records for SSLObject."""
    pending: int
    eof: bool
    def read(self, size: int = ..., /) -> bytes: ...
    def write(self, b: Buffer, /) -> int: ...
    def write_eof(self) -> None: ...

class SSLSession:
    """A TLS session, for resumption."""
    @property
    def has_ticket(self) -> bool: ...
    @property
    def id(self) -> bytes: ...
    @property
    def ticket_lifetime_hint(self) -> int: ...
    @property
    def time(self) -> int: ...
    @property
    def timeout(self) -> int: ...

class Certificate:
    """A certificate of a verified or unverified chain."""
    def get_info(self) -> _PeerCertRetDictType: ...
    def public_bytes(self, format: int = ...) -> Union[str, bytes]: ...

class _ConnectionMethods:
    # What SSLObject and SSLSocket share.
    context: SSLContext
    session: Optional[SSLSession]
    @property
    def session_reused(self) -> bool: ...
    def read(self, len: int = ..., buffer: Optional[bytearray] = ...) -> bytes: ...
    def write(self, data: Buffer) -> int: ...
    def do_handshake(self) -> None: ...
    def getpeercert(self, binary_form: bool = ...) -> _PeerCertRetType: ...
    def get_verified_chain(self) -> List[bytes]: ...
    def get_unverified_chain(self) -> List[bytes]: ...
    def selected_alpn_protocol(self) -> Optional[str]: ...
    def selected_npn_protocol(self) -> Optional[str]: ...
    def cipher(self) -> Optional[Tuple[str, str, int]]: ...
    def shared_ciphers(self) -> Optional[List[Tuple[str, str, int]]]: ...
    def compression(self) -> Optional[str]: ...
    def get_channel_binding(self, cb_type: str = ...) -> Optional[bytes]: ...
    def version(self) -> Optional[str]: ...
    def group(self) -> Optional[str]: ...
    def client_sigalg(self) -> Optional[str]: ...
    def server_sigalg(self) -> Optional[str]: ...
    def pending(self) -> int: ...
    def verify_client_post_handshake(self) -> None: ...
    def export_keying_material(self, label: Union[str, bytes], length: int,
                               context: Optional[bytes] = ...) -> bytes: ...

class SSLObject(_ConnectionMethods):
    """TLS over two MemoryBIOs (SSLContext.wrap_bio())."""
    @property
    def server_side(self) -> bool: ...
    @property
    def server_hostname(self) -> Optional[str]: ...
    owner: Any
    def unwrap(self) -> None: ...

class SSLSocket(socket.socket, _ConnectionMethods):
    """TLS over a socket (SSLContext.wrap_socket())."""
    server_side: bool
    server_hostname: Optional[str]
    def unwrap(self) -> socket.socket: ...
    def accept(self) -> Tuple[SSLSocket, Any]: ...  # type: ignore[override]

class SSLContext:
    """Settings, certificates and keys shared by TLS connections."""
    sslobject_class: type
    sslsocket_class: type
    check_hostname: bool
    hostname_checks_common_name: bool
    keylog_filename: Optional[str]
    maximum_version: TLSVersion
    minimum_version: TLSVersion
    num_tickets: int
    options: Options
    post_handshake_auth: bool
    @property
    def protocol(self) -> _SSLMethod: ...
    @property
    def security_level(self) -> int: ...
    sni_callback: Optional[_SrvnmeCbType]
    verify_flags: VerifyFlags
    verify_mode: VerifyMode
    def __new__(cls, protocol: int = ..., *args: Any, **kwargs: Any) -> SSLContext: ...
    def cert_store_stats(self) -> Dict[str, int]: ...
    def get_ca_certs(self, binary_form: bool = ...) -> List[Any]: ...
    def get_ciphers(self) -> List[Dict[str, Any]]: ...
    def get_groups(self, *, include_aliases: bool = ...) -> List[str]: ...
    def load_cert_chain(self, certfile: _StrOrBytesPath, keyfile: Optional[_StrOrBytesPath] = ...,
                        password: Optional[_PasswordType] = ...) -> None: ...
    def load_cert_chain_data(self, certdata: Any, keydata: Any = ...,
                             password: Optional[_PasswordType] = ...) -> None: ...
    def load_default_certs(self, purpose: Purpose = ...) -> None: ...
    def load_dh_params(self, path: _StrOrBytesPath, /) -> None: ...
    def load_verify_locations(self, cafile: Optional[_StrOrBytesPath] = ...,
                              capath: Optional[_StrOrBytesPath] = ...,
                              cadata: Union[str, Buffer, None] = ...) -> None: ...
    def session_stats(self) -> Dict[str, int]: ...
    def set_alpn_protocols(self, alpn_protocols: Iterable[str]) -> None: ...
    def set_ciphers(self, cipherlist: str, /) -> None: ...
    def set_ciphersuites(self, ciphersuites: str, /) -> None: ...
    def set_client_sigalgs(self, sigalgs: str, /) -> None: ...
    def set_server_sigalgs(self, sigalgs: str, /) -> None: ...
    def set_groups(self, groups: str, /) -> None: ...
    def set_default_verify_paths(self) -> None: ...
    def set_ecdh_curve(self, name: str, /) -> None: ...
    def set_npn_protocols(self, npn_protocols: Iterable[str]) -> None: ...
    def set_psk_client_callback(self, callback: Optional[Callable[[Optional[str]], Tuple[Optional[str], bytes]]]) -> None: ...
    def set_psk_server_callback(self, callback: Optional[Callable[[Optional[str]], bytes]],
                                identity_hint: Optional[str] = ...) -> None: ...
    def set_servername_callback(self, server_name_callback: Optional[_SrvnmeCbType]) -> None: ...
    def wrap_bio(self, incoming: MemoryBIO, outgoing: MemoryBIO, server_side: bool = ...,
                 server_hostname: Optional[str] = ..., session: Optional[SSLSession] = ...) -> SSLObject: ...
    def wrap_socket(self, sock: socket.socket, server_side: bool = ...,
                    do_handshake_on_connect: bool = ..., suppress_ragged_eofs: bool = ...,
                    server_hostname: Optional[str] = ...,
                    session: Optional[SSLSession] = ...) -> SSLSocket: ...

def create_default_context(purpose: Purpose = ..., *, cafile: Optional[_StrOrBytesPath] = ...,
                           capath: Optional[_StrOrBytesPath] = ...,
                           cadata: Union[str, Buffer, None] = ...) -> SSLContext: ...
def wrap_socket(sock: socket.socket, keyfile: Optional[_StrOrBytesPath] = ...,
                certfile: Optional[_StrOrBytesPath] = ..., server_side: bool = ...,
                cert_reqs: int = ..., ssl_version: int = ..., ca_certs: Optional[str] = ...,
                do_handshake_on_connect: bool = ..., suppress_ragged_eofs: bool = ...,
                ciphers: Optional[str] = ...) -> SSLSocket: ...
def get_server_certificate(addr: Tuple[str, int], ssl_version: int = ...,
                           ca_certs: Optional[str] = ..., timeout: float = ...) -> str: ...
def get_default_verify_paths() -> DefaultVerifyPaths: ...
def get_protocol_name(protocol_code: int) -> str: ...
def get_sigalgs() -> List[str]: ...
def cert_time_to_seconds(cert_time: str) -> int: ...
def DER_cert_to_PEM_cert(der_cert_bytes: Buffer) -> str: ...
def PEM_cert_to_DER_cert(pem_cert_string: str) -> bytes: ...
def RAND_add(string: Union[str, Buffer], entropy: float, /) -> None: ...
def RAND_bytes(n: int, /) -> bytes: ...
def RAND_status() -> bool: ...

socket_error: type

def monkeypatch_ssl() -> Dict[str, List[str]]: ...
def restore_ssl() -> Optional[Dict[str, List[str]]]: ...
def is_patched() -> bool: ...

# pyOpenSSL's SSL API (issue 17, a first cut: typed stubs follow the API).
SSL: ModuleType
def inject_pyopenssl() -> None: ...
def extract_pyopenssl() -> None: ...
def report(out: Any = ...) -> int: ...
def self_test(out: Any = ...) -> int: ...
def self_test_result() -> Dict[str, str]: ...
def main(argv: Optional[List[str]] = ...) -> int: ...
