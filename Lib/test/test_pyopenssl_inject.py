"""inject_pyopenssl()/extract_pyopenssl() (issue 17): opt-in, exact undo,
refused while the real pyOpenSSL is imported.  Each case runs in a fresh
interpreter, since the test session itself imports the real pyOpenSSL."""
import os
import subprocess
import sys
import textwrap

import pytest

from tlsb_support import CERTDATA

NAMES = ("OpenSSL", "OpenSSL.SSL", "OpenSSL.crypto", "OpenSSL.rand",
         "OpenSSL.version", "OpenSSL._util")


def run(script):
    """Run script in a fresh interpreter; its last line of output is the result."""
    env = dict(os.environ, TLSB_CERTDATA=CERTDATA, PYTHONWARNINGS="ignore")
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate()
    assert process.returncode == 0, err.decode("utf-8", "replace")
    return out.decode().strip().splitlines()[-1]


def test_import_changes_nothing():
    assert run("""
        import sys, _tls_bootstrap
        print(sorted(n for n in sys.modules if n.split('.')[0] == 'OpenSSL'))
    """) == "[]"


def test_inject_gives_ours_and_extract_removes_it():
    assert run("""
        import sys, _tls_bootstrap
        _tls_bootstrap.inject_pyopenssl()
        import OpenSSL
        from OpenSSL import SSL, crypto, rand, version
        import OpenSSL._util
        assert SSL is _tls_bootstrap.SSL and crypto is _tls_bootstrap.crypto
        assert rand is _tls_bootstrap.rand
        assert OpenSSL.__version__ == version.__version__ == "21.0.0"
        try:
            OpenSSL._util.lib.SSL_OP_NO_TICKET
        except AttributeError as exc:
            assert "no cffi bindings" in str(exc)
        else:
            raise AssertionError("lib attribute found")
        # a sentinel for module-level uses such as pyOpenSSL's test_crypto
        assert OpenSSL._util.ffi.NULL is OpenSSL._util.ffi.NULL
        assert OpenSSL._util.ffi.NULL != None
        _tls_bootstrap.inject_pyopenssl()     # a second call changes nothing
        assert sys.modules["OpenSSL"] is OpenSSL
        _tls_bootstrap.extract_pyopenssl()
        print(sorted(n for n in sys.modules if n.split('.')[0] == 'OpenSSL'))
    """) == "[]"


def test_extract_puts_back_the_same_objects():
    assert run("""
        import sys, _tls_bootstrap
        blocked = None                 # an import blocked on purpose
        sys.modules["OpenSSL.rand"] = blocked
        _tls_bootstrap.inject_pyopenssl()
        assert sys.modules["OpenSSL.rand"] is _tls_bootstrap.rand
        _tls_bootstrap.extract_pyopenssl()
        print("OpenSSL.rand" in sys.modules and sys.modules["OpenSSL.rand"] is None
              and "OpenSSL" not in sys.modules)
    """) == "True"


def test_inject_refuses_when_real_pyopenssl_is_imported():
    pytest.importorskip("OpenSSL")
    assert run("""
        import sys, _tls_bootstrap
        import OpenSSL.SSL as real
        before = dict((n, sys.modules.get(n)) for n in %r)
        try:
            _tls_bootstrap.inject_pyopenssl()
        except RuntimeError as exc:
            assert "already imported" in str(exc)
        else:
            raise AssertionError("inject did not refuse")
        assert all(sys.modules.get(n) is before[n] for n in before)
        assert sys.modules["OpenSSL.SSL"] is real
        print("refused")
    """ % (NAMES,)) == "refused"


def test_code_written_for_pyopenssl_handshakes_through_inject():
    assert run("""
        import os, _tls_bootstrap
        _tls_bootstrap.inject_pyopenssl()
        from OpenSSL import SSL, crypto
        certs = os.environ["TLSB_CERTDATA"].encode()
        sctx = SSL.Context(SSL.TLS_METHOD)
        sctx.use_certificate_chain_file(os.path.join(certs, b"localhost-chain.pem"))
        sctx.use_privatekey_file(os.path.join(certs, b"localhost.key"))
        cctx = SSL.Context(SSL.TLS_METHOD)
        cctx.load_verify_locations(os.path.join(certs, b"ca.pem"))
        cctx.set_verify(SSL.VERIFY_PEER)
        server, client = SSL.Connection(sctx, None), SSL.Connection(cctx, None)
        server.set_accept_state(); client.set_connect_state()
        for _ in range(6):
            for end in (client, server):
                try:
                    end.do_handshake()
                except SSL.WantReadError:
                    pass
            for a, b in ((client, server), (server, client)):
                try:
                    b.bio_write(a.bio_read(65536))
                except SSL.WantReadError:
                    pass
        peer = client.get_peer_certificate()
        assert isinstance(peer, crypto.X509)
        print(peer.get_subject().CN)
    """) == "localhost"


def test_urllib3_contrib_pyopenssl_accepts_ours():
    # urllib3 1.26 (the 2.7 line) checks X509()._x509 before it grafts
    # pyOpenSSL in; its HTTPS suite runs with ours (tox -e py27-urllib3)
    urllib3 = pytest.importorskip("urllib3")
    # urllib3.contrib.pyopenssl imports cryptography's x509 itself (the
    # debug interpreters of the refleaks leg have none)
    pytest.importorskip("cryptography")
    if not urllib3.__version__.startswith("1.26"):
        pytest.skip("urllib3 1.26 (the line for 2.7) checks X509()._x509")
    assert run("""
        import sys, _tls_bootstrap
        _tls_bootstrap.inject_pyopenssl()
        import urllib3.contrib.pyopenssl as contrib
        contrib.inject_into_urllib3()
        import urllib3.util.ssl_ as ssl_
        assert ssl_.SSLContext is contrib.PyOpenSSLContext
        assert contrib.OpenSSL.SSL is _tls_bootstrap.SSL
        contrib.extract_from_urllib3()
        print("ok")
    """) == "ok"
