"""Tests of the _tls_bootstrap module built into this Python 2.7.

Installed as Lib/test/test_tls_bootstrap.py by patches/cpython-2.7.18/apply.sh
of the _tls_bootstrap project (named otherwise there, so that pytest does
not collect it with the project's own suite, which is the complete one:
pytest, Python 2.7 and 3.6+).  These pin what the interpreter build is
responsible for: the module is built against the same OpenSSL as _ssl,
imports, raises the ssl module's exceptions, and does TLS through memory
BIOs.

    ./python -m test.regrtest -v test_tls_bootstrap
"""
import os
import ssl
import unittest

from test import test_support

_tls_bootstrap = test_support.import_module("_tls_bootstrap")
import _tls_bootstrap_core

# Self-signed, subjectAltName DNS:localhost: test_ssl's own.
CERTFILE = os.path.join(os.path.dirname(__file__), "keycert.pem")
HOSTNAME = "localhost"

HAS_CONTEXT = hasattr(getattr(_tls_bootstrap, "SSLContext", None), "wrap_bio")


class BuildTests(unittest.TestCase):

    def test_core_is_built_beside_ssl(self):
        import _ssl
        self.assertEqual(os.path.dirname(_tls_bootstrap_core.__file__),
                         os.path.dirname(_ssl.__file__))

    def test_module_and_core_versions_agree(self):
        self.assertEqual(_tls_bootstrap.__version__,
                         _tls_bootstrap_core.__version__)

    def test_same_openssl_as_ssl(self):
        self.assertEqual(_tls_bootstrap.OPENSSL_VERSION, ssl.OPENSSL_VERSION)
        self.assertEqual(_tls_bootstrap.OPENSSL_VERSION_INFO,
                         ssl.OPENSSL_VERSION_INFO)

    def test_exceptions_are_the_ssl_modules(self):
        self.assertIs(_tls_bootstrap.SSLError, ssl.SSLError)
        self.assertIs(_tls_bootstrap.SSLWantReadError, ssl.SSLWantReadError)
        self.assertIs(_tls_bootstrap.SSLEOFError, ssl.SSLEOFError)
        self.assertTrue(issubclass(_tls_bootstrap.SSLCertVerificationError,
                                   ssl.SSLError))

    def test_import_leaves_ssl_alone(self):
        if getattr(_tls_bootstrap, "is_patched", lambda: False)():
            self.skipTest("ssl was grafted before this test")
        self.assertFalse(hasattr(ssl, "MemoryBIO"))


class MemoryBIOTests(unittest.TestCase):

    def test_pending_and_eof(self):
        bio = _tls_bootstrap.MemoryBIO()
        self.assertEqual((bio.pending, bio.eof), (0, False))
        bio.write(b"abc")
        bio.write_eof()
        self.assertEqual((bio.pending, bio.eof), (3, False))
        self.assertEqual(bio.read(2), b"ab")
        self.assertEqual(bio.read(), b"c")
        self.assertTrue(bio.eof)
        self.assertEqual(bio.read(), b"")

    def test_write_after_eof_is_the_ssl_modules_error(self):
        bio = _tls_bootstrap.MemoryBIO()
        bio.write_eof()
        with self.assertRaises(ssl.SSLError) as caught:
            bio.write(b"x")
        self.assertIn("write_eof", str(caught.exception))


def _pump(source, target):
    data = source.read()
    if data:
        target.write(data)
    return bool(data)


@unittest.skipUnless(HAS_CONTEXT, "this _tls_bootstrap has no SSLContext.wrap_bio")
class MemoryTLSTests(unittest.TestCase):
    """A client and a server SSLObject talking through MemoryBIOs."""

    def connect(self, client_context, hostname=HOSTNAME):
        server_context = _tls_bootstrap.SSLContext(
            _tls_bootstrap.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(CERTFILE)
        c_in, c_out = _tls_bootstrap.MemoryBIO(), _tls_bootstrap.MemoryBIO()
        s_in, s_out = _tls_bootstrap.MemoryBIO(), _tls_bootstrap.MemoryBIO()
        client = client_context.wrap_bio(c_in, c_out, server_hostname=hostname)
        server = server_context.wrap_bio(s_in, s_out, server_side=True)
        done = {client: False, server: False}
        for _ in range(10):
            for side in (client, server):
                if not done[side]:
                    try:
                        side.do_handshake()
                        done[side] = True
                    except ssl.SSLWantReadError:
                        pass
                _pump(c_out, s_in)
                _pump(s_out, c_in)
            if all(done.values()):
                return client, server, (c_in, c_out, s_in, s_out)
        self.fail("handshake did not finish")

    def client_context(self):
        context = _tls_bootstrap.SSLContext(_tls_bootstrap.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(CERTFILE)
        return context

    def test_verified_handshake_and_data_both_ways(self):
        client, server, (c_in, c_out, s_in, s_out) = self.connect(
            self.client_context())
        self.assertEqual(client.version(), server.version())
        self.assertIn(("DNS", HOSTNAME), client.getpeercert()["subjectAltName"])
        client.write(b"ping")
        _pump(c_out, s_in)
        self.assertEqual(server.read(), b"ping")
        server.write(b"pong")
        _pump(s_out, c_in)
        self.assertEqual(client.read(), b"pong")

    def test_unknown_issuer_fails_verification(self):
        context = _tls_bootstrap.SSLContext(_tls_bootstrap.PROTOCOL_TLS_CLIENT)
        with self.assertRaises(_tls_bootstrap.SSLCertVerificationError) as caught:
            self.connect(context)
        self.assertEqual(caught.exception.reason, "CERTIFICATE_VERIFY_FAILED")

    def test_wrong_hostname_fails_verification(self):
        if getattr(_tls_bootstrap, "is_patched", lambda: False)():
            # Grafted (e.g. from sitecustomize), 2.7's own rule holds: the
            # name is checked by ssl.match_hostname() after the handshake.
            with self.assertRaises(ssl.CertificateError) as caught:
                self.connect(self.client_context(), hostname="other.example")
            self.assertIn("doesn't match", str(caught.exception))
            return
        with self.assertRaises(_tls_bootstrap.SSLCertVerificationError) as caught:
            self.connect(self.client_context(), hostname="other.example")
        self.assertIn("Hostname mismatch", str(caught.exception))


@unittest.skipUnless(hasattr(_tls_bootstrap, "monkeypatch_ssl"),
                     "this _tls_bootstrap has no monkeypatch_ssl()")
class GraftTests(unittest.TestCase):

    def test_graft_and_exact_undo(self):
        if _tls_bootstrap.is_patched():
            self.skipTest("ssl was grafted before this test")
        original = ssl.SSLContext
        _tls_bootstrap.monkeypatch_ssl()
        try:
            self.assertIs(ssl.SSLContext, _tls_bootstrap.SSLContext)
            self.assertIs(ssl.MemoryBIO, _tls_bootstrap.MemoryBIO)
            self.assertTrue(_tls_bootstrap.is_patched())
        finally:
            _tls_bootstrap.restore_ssl()
        self.assertIs(ssl.SSLContext, original)
        self.assertFalse(hasattr(ssl, "MemoryBIO"))
        self.assertFalse(_tls_bootstrap.is_patched())


def test_main():
    test_support.run_unittest(BuildTests, MemoryBIOTests, MemoryTLSTests,
                              GraftTests)


if __name__ == "__main__":
    test_main()
