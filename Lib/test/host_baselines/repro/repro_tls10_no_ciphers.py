"""A PROTOCOL_TLSv1 context (or a client pinned to TLS 1.0) must still be
able to send a ClientHello: old hosts' tests rely on it (2.7/3.6
SSLErrorTests.test_subclass, the sni_callback tests whose server contexts
are PROTOCOL_TLSv1, 3.7 test_min_max_version_mismatch).

Host 2.7-3.9: do_handshake() on a non-blocking socket with no answer
raises SSLWantReadError.  Ours with 3.13's cipher string (no SHA1 suites):
SSLError NO_CIPHERS_AVAILABLE before anything is sent.  Runs on 2.7 too.
"""
import socket
import ssl

import _tls_bootstrap


def attempt(module):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.socket()
    client.connect(listener.getsockname())
    client.setblocking(False)
    context = module.SSLContext(module.PROTOCOL_TLSv1)
    tls = context.wrap_socket(client, do_handshake_on_connect=False)
    try:
        tls.do_handshake()
    except ssl.SSLError as exc:
        return "%s %s" % (type(exc).__name__, exc)
    finally:
        tls.close()
        listener.close()
    return "handshake completed?"


for module in (ssl, _tls_bootstrap):
    print("%s: %s" % (module.__name__, attempt(module)))
