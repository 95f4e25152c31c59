"""2.7 only: SSLSocket.send() on a non-blocking socket whose handshake
cannot progress returns 0 on 2.7 (its ssl.py catches SSL_ERROR_WANT_READ/
WANT_WRITE); 3.x raises SSLWantReadError.  2.7's test_poplib POP3_SSL
server (asynchat) relies on the 0: with the exception its server thread
dies and the client blocks for ever (the whole suite times out).
"""
import socket
import ssl
import sys

import _tls_bootstrap

CERT = sys.argv[1] if len(sys.argv) > 1 else None


def attempt(module):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.socket()
    client.connect(listener.getsockname())
    conn, _ = listener.accept()
    conn.setblocking(False)
    context = module.SSLContext(module.PROTOCOL_SSLv23)
    context.load_cert_chain(CERT)
    server = context.wrap_socket(conn, server_side=True,
                                 do_handshake_on_connect=False)
    try:
        return "send() returned %r" % server.send(b"+OK ready\r\n")
    except ssl.SSLError as exc:
        return "send() raised %s" % type(exc).__name__
    finally:
        server.close()
        client.close()
        listener.close()


for module in (ssl, _tls_bootstrap):
    print("%s: %s" % (module.__name__, attempt(module)))
