"""TLS inside TLS, what HTTPS proxies need: an outer TLS connection to a
relay (the host's own ssl on both ends of that hop), and inside it a TLS
connection made with _tls_bootstrap to `openssl s_server`, through
urllib3's SSLTransport (unmodified) and through a bare SSLObject."""
import select
import socket
import ssl
import threading

import pytest

import _tls_bootstrap as tlsb
from tlsb_peers import OpenSSLServer
from tlsb_support import certfile, client_context, require_module


class TLSRelay(object):
    """Terminates an outer TLS connection (host ssl) and relays its
    plaintext to a TCP address, like an HTTPS proxy after CONNECT."""

    def __init__(self, target):
        self.target = target
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER
                                      if hasattr(ssl, "PROTOCOL_TLS_SERVER")
                                      else ssl.PROTOCOL_SSLv23)
        self.context.load_cert_chain(certfile("localhost-chain.pem"),
                                     certfile("localhost.key"))
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(20)
        self.address = self.listener.getsockname()
        self.thread = threading.Thread(target=self._run)
        self.thread.daemon = True
        self.thread.start()

    def _run(self):
        conn, _ = self.listener.accept()
        outer = self.context.wrap_socket(conn, server_side=True)
        inner = socket.create_connection(self.target, timeout=20)
        try:
            while True:
                readable = [outer] if outer.pending() else \
                    select.select([outer, inner], [], [], 20)[0]
                if not readable:
                    return
                if outer in readable:
                    data = outer.recv(65536)
                    if not data:
                        return
                    inner.sendall(data)
                if inner in readable:
                    data = inner.recv(65536)
                    if not data:
                        return
                    outer.sendall(data)
        except (socket.error, ssl.SSLError):
            pass
        finally:
            inner.close()
            outer.close()
            self.listener.close()


def outer_connection(relay):
    """The client's hop to the relay, with the host's own ssl."""
    context = ssl.create_default_context(cafile=certfile("ca.pem"))
    raw = socket.create_connection(relay.address, timeout=20)
    return context.wrap_socket(raw, server_hostname="localhost")


@pytest.fixture
def grafted():
    tlsb.monkeypatch_ssl()     # points ssl.MemoryBIO (2.7 has none) at ours
    yield
    tlsb.restore_ssl()


def test_urllib3_ssltransport_tls_in_tls(grafted):
    ssltransport = require_module("urllib3.util.ssltransport")
    with OpenSSLServer(["-rev"]) as server:
        relay = TLSRelay(server.address)
        outer = outer_connection(relay)
        try:
            inner_context = client_context(tlsb)
            assert isinstance(inner_context, tlsb.SSLContext)
            ssltransport.SSLTransport._validate_ssl_context_for_tls_in_tls(inner_context)
            inner = ssltransport.SSLTransport(outer, inner_context,
                                              server_hostname="localhost")
            assert inner.version() == "TLSv1.3"
            # send(), not sendall(): urllib3 1.26's SSLTransport.sendall uses
            # Python 3's memoryview.cast, so it fails on 2.7 whatever the
            # ssl module (patches/urllib3-1.26.x fixes it).
            assert inner.send(b"tls in tls\n") == 11
            assert inner.recv(100).strip() == b"slt ni slt"
            peer = inner.getpeercert()
            assert (("commonName", "localhost"),) in peer["subject"]
            inner.close()
        finally:
            outer.close()


def test_sslobject_tls_in_tls_detects_bad_inner_certificate():
    # The inner server presents a certificate for another name: the inner
    # handshake fails, while the outer one (to the relay) was fine.
    with OpenSSLServer(["-rev"], cert="wronghost.pem", key="wronghost.key",
                       chain=None) as server:
        relay = TLSRelay(server.address)
        outer = outer_connection(relay)
        try:
            incoming, outgoing = tlsb.MemoryBIO(), tlsb.MemoryBIO()
            inner = client_context(tlsb).wrap_bio(incoming, outgoing,
                                                  server_hostname="localhost")
            with pytest.raises(tlsb.SSLCertVerificationError) as info:
                while True:
                    try:
                        inner.do_handshake()
                        break
                    except tlsb.SSLWantReadError:
                        outer.sendall(outgoing.read())
                        incoming.write(outer.recv(65536))
            assert info.value.verify_code == 62
        finally:
            outer.close()
