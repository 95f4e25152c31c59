"""Interop with the openssl command line as the independent peer: our
SSLObject (memory BIOs pumped over a socket) and SSLSocket against
`openssl s_server`, and our servers against `openssl s_client`."""
import socket

import pytest

import _tls_bootstrap as tlsb
from tlsb_peers import OpenSSLServer, SocketPump, ThreadedServer, run_openssl_client
from tlsb_support import certfile, client_context, server_context

VERSIONS = ["TLSv1_2", "TLSv1_3"]


def connect(server):
    return socket.create_connection(server.address, timeout=20)


def client_ctx(version=None, **settings):
    ctx = client_context(tlsb, **settings)
    if version:
        ctx.minimum_version = ctx.maximum_version = getattr(tlsb.TLSVersion, version)
    return ctx


# ---- SSLObject (memory BIOs) as client of s_server -------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_sslobject_client_exchanges_data_with_s_server(version):
    with OpenSSLServer(["-rev"]) as server:
        sock = connect(server)
        try:
            pump = SocketPump(tlsb, client_ctx(version), sock,
                              server_hostname="localhost")
            pump.handshake()
            assert pump.obj.version() == version.replace("_", ".")
            pump.write(b"hello world\n")
            assert pump.read().strip() == b"dlrow olleh"
            assert pump.obj.getpeercert()["subject"][-1] == (("commonName", "localhost"),)
        finally:
            sock.close()


def test_sslobject_alpn_with_s_server():
    with OpenSSLServer(["-rev", "-alpn", "h2,http/1.1"]) as server:
        sock = connect(server)
        try:
            ctx = client_ctx()
            ctx.set_alpn_protocols(["http/1.1", "h2"])
            pump = SocketPump(tlsb, ctx, sock, server_hostname="localhost")
            pump.handshake()
            assert pump.obj.selected_alpn_protocol() == "h2"
        finally:
            sock.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_sslobject_client_certificate_to_s_server(version):
    args = ["-rev", "-Verify", "1", "-CAfile", certfile("ca.pem")]
    with OpenSSLServer(args) as server:
        sock = connect(server)
        try:
            ctx = client_ctx(version)
            ctx.load_cert_chain(certfile("client.pem"), certfile("client.key"))
            pump = SocketPump(tlsb, ctx, sock, server_hostname="localhost")
            pump.handshake()
            pump.write(b"abc\n")
            assert pump.read().strip() == b"cba"
        finally:
            sock.close()
    assert "CN = client" in server.text() or "CN=client" in server.text()


def test_s_server_refuses_client_without_certificate():
    args = ["-rev", "-Verify", "1", "-CAfile", certfile("ca.pem")]
    with OpenSSLServer(args) as server:
        sock = connect(server)
        try:
            pump = SocketPump(tlsb, client_ctx("TLSv1_2"), sock,
                              server_hostname="localhost")
            with pytest.raises(tlsb.SSLError) as info:
                pump.handshake()
            assert "HANDSHAKE_FAILURE" in info.value.reason or \
                "CERTIFICATE_REQUIRED" in info.value.reason
        finally:
            sock.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_sslobject_resumes_session_with_s_server(version):
    with OpenSSLServer(["-rev"], naccept=2) as server:
        ctx = client_ctx(version)
        sock = connect(server)
        try:
            first = SocketPump(tlsb, ctx, sock, server_hostname="localhost")
            first.handshake()
            first.write(b"one\n")
            assert first.read().strip() == b"eno"   # tickets arrive by now
            session = first.obj.session
            assert session.has_ticket
        finally:
            sock.close()
        sock = connect(server)
        try:
            second = SocketPump(tlsb, ctx, sock, server_hostname="localhost",
                                session=session)
            second.handshake()
            assert second.obj.session_reused is True
        finally:
            sock.close()


def test_sslobject_detects_wrong_host_of_s_server():
    with OpenSSLServer(["-rev"]) as server:
        sock = connect(server)
        try:
            pump = SocketPump(tlsb, client_ctx(), sock, server_hostname="example.org")
            with pytest.raises(tlsb.SSLCertVerificationError) as info:
                pump.handshake()
            assert info.value.verify_code == 62
        finally:
            sock.close()


# ---- SSLSocket as client of s_server ----------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_sslsocket_client_with_s_server(version):
    with OpenSSLServer(["-rev"]) as server:
        raw = connect(server)
        tls = client_ctx(version).wrap_socket(raw, server_hostname="localhost")
        try:
            assert tls.version() == version.replace("_", ".")
            tls.sendall(b"socket path\n")
            assert tls.recv(1024).strip() == b"htap tekcos"
        finally:
            tls.close()


# ---- our servers, s_client as the client -------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_sslobject_server_with_s_client(version):
    received = []

    def handler(conn):
        ctx = server_context(tlsb)
        ctx.minimum_version = ctx.maximum_version = getattr(tlsb.TLSVersion, version)
        pump = SocketPump(tlsb, ctx, conn, server_side=True)
        pump.handshake()
        received.append(pump.read())
        pump.write(b"pong\n")

    with ThreadedServer(handler) as server:
        rc, out = run_openssl_client(server.port, ["-servername", "localhost",
                                                   "-verify_return_error", "-ign_eof"],
                                     stdin=b"ping\n")
    assert received == [b"ping\n"]
    assert "pong" in out
    assert "Verification: OK" in out or "Verify return code: 0 (ok)" in out


def test_sslsocket_server_with_s_client_certificate_and_alpn():
    seen = {}

    def handler(conn):
        ctx = server_context(tlsb, verify_mode=tlsb.CERT_REQUIRED)
        ctx.load_verify_locations(certfile("ca.pem"))
        ctx.set_alpn_protocols(["h2"])
        tls = ctx.wrap_socket(conn, server_side=True)
        seen["peer"] = tls.getpeercert()
        seen["alpn"] = tls.selected_alpn_protocol()
        seen["data"] = tls.recv(1024)
        tls.sendall(b"done\n")
        tls.unwrap()

    with ThreadedServer(handler) as server:
        rc, out = run_openssl_client(
            server.port, ["-cert", certfile("client.pem"), "-key", certfile("client.key"),
                          "-alpn", "h2", "-servername", "localhost", "-ign_eof"],
            stdin=b"hi\n")
    assert seen["alpn"] == "h2"
    assert seen["data"] == b"hi\n"
    assert (("commonName", "client"),) in seen["peer"]["subject"]
    assert "done" in out


def test_sslobject_server_resumption_with_s_client_reconnect():
    def handler(conn):
        pump = SocketPump(tlsb, shared_server, conn, server_side=True)
        try:
            pump.handshake()
            pump.unwrap()
        except (tlsb.SSLError, socket.error):
            pass   # s_client may close without close_notify on reconnects

    shared_server = server_context(tlsb)
    shared_server.maximum_version = tlsb.TLSVersion.TLSv1_2
    with ThreadedServer(handler, count=6) as server:
        rc, out = run_openssl_client(server.port, ["-reconnect", "-servername",
                                                   "localhost"])
    assert out.count("Reused,") >= 4
    assert shared_server.session_stats()["hits"] >= 4
