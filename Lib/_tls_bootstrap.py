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
- No I/O and no side effect at import time.
"""
from __future__ import absolute_import

import sys

__version__ = "0.1.0"

import _tls_bootstrap_core as _core

if getattr(_core, "__version__", None) != __version__:
    raise ImportError(
        "_tls_bootstrap %s found the compiled core of version %s (%s); "
        "reinstall _tls_bootstrap" % (
            __version__, getattr(_core, "__version__", "?"), _core.__file__))

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
# Versions
# ---------------------------------------------------------------------------
OPENSSL_VERSION = _core.OPENSSL_VERSION
OPENSSL_VERSION_NUMBER = _core.OPENSSL_VERSION_NUMBER
OPENSSL_VERSION_INFO = _core.OPENSSL_VERSION_INFO
OPENSSL_BUILD_VERSION = _core.OPENSSL_BUILD_VERSION
_OPENSSL_API_VERSION = _core._OPENSSL_API_VERSION

MemoryBIO = _core.MemoryBIO
crypto = _core.crypto
rand = _core.rand
RAND_bytes = _core.RAND_bytes
RAND_status = _core.RAND_status
RAND_add = _core.RAND_add


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


def main(argv=None):
    # Run against the imported module, not this __main__ copy, so that
    # classes compare equal with what other code imports.
    import _tls_bootstrap
    return _tls_bootstrap.report()


if __name__ == "__main__":
    sys.exit(main())
