"""The exception classes are the host's own objects."""
import ssl

import pytest

import _tls_bootstrap

HOST_CLASSES = ["SSLError", "SSLZeroReturnError", "SSLWantReadError",
                "SSLWantWriteError", "SSLSyscallError", "SSLEOFError"]


@pytest.mark.parametrize("name", HOST_CLASSES)
def test_exception_is_the_hosts_own_object(name):
    assert getattr(_tls_bootstrap, name) is getattr(ssl, name)


def test_cert_verification_error_is_hosts_where_it_exists():
    host = getattr(ssl, "SSLCertVerificationError", None)
    ours = _tls_bootstrap.SSLCertVerificationError
    if host is not None:
        assert ours is host
    else:
        # 2.7 and 3.6: made by us, as 3.7 defines it.
        assert issubclass(ours, ssl.SSLError)
        assert issubclass(ours, ValueError)
        assert issubclass(ours, ssl.CertificateError)
        assert ours.__name__ == "SSLCertVerificationError"
        err = ours(1, "x")
        assert err.verify_code is None and err.verify_message is None
        # Printed like the host's SSLError: the message, not "[Errno 1] x".
        assert str(err) == "x"


def test_certificate_error_is_hosts():
    assert _tls_bootstrap.CertificateError is ssl.CertificateError


def test_subclasses_of_ssl_error_are_caught_as_host_ssl_error():
    for name in HOST_CLASSES[1:]:
        with pytest.raises(ssl.SSLError):
            raise getattr(_tls_bootstrap, name)(1, "x")


def test_importing_has_no_effect_on_ssl():
    import subprocess, sys
    code = ("import ssl; before = dict(vars(ssl)); import _tls_bootstrap; "
            "after = vars(ssl); "
            "assert set(before) == set(after); "
            "assert all(before[k] is after[k] for k in before); print('same')")
    out = subprocess.check_output([sys.executable, "-c", code])
    assert out.strip() == b"same"
