"""A TLS 1.3 client that closes without reading the server's session
tickets makes its kernel send RST; what does the server's next read() say?

Host 3.10/3.11/3.12: SSLEOFError(8, 'EOF occurred in violation of
protocol'), so SSLSocket.read() with suppress_ragged_eofs returns b''.
Host 3.6-3.9 and 3.13: ConnectionResetError.  The host's own test servers
(test_ssl ThreadedEchoServer on 3.10-3.12) stop on ConnectionResetError,
and the next test's connect() is refused.

Run: python repro_reset_on_read.py CERTFILE CAFILE  (the host's
test/keycert3.pem and test/pycacert.pem, or test/certdata/ on 3.12+).
Python 3.7+.
"""
import socket
import ssl
import sys
import threading
import time

import _tls_bootstrap


def trial(server_module, certfile, cafile):
    server_context = server_module.SSLContext(server_module.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(certfile)
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.load_verify_locations(cafile)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    outcome = []

    def serve():
        conn, _ = listener.accept()
        tls = server_context.wrap_socket(conn, server_side=True,
                                         suppress_ragged_eofs=False)
        try:
            outcome.append(repr(tls.read()))
        except Exception as exc:  # what the host test server sees
            outcome.append(repr(exc))
        tls.close()

    thread = threading.Thread(target=serve)
    thread.start()
    with client_context.wrap_socket(socket.socket(),
                                    server_hostname="localhost") as client:
        client.connect(listener.getsockname())
        time.sleep(0.05)   # the tickets arrive, unread
    thread.join()
    listener.close()
    return outcome[0]


if __name__ == "__main__":
    for module in (ssl, _tls_bootstrap):
        print("%s server: %s" % (module.__name__, trial(module, *sys.argv[1:3])))
