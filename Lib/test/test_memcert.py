"""SSLContext.load_cert_chain_data(): certificate chains and keys held in
memory (crypto objects, PEM text, DER bytes) serve real handshakes that the
host's own ssl verifies; peer certificates load straight into crypto.X509."""
import io
import ssl

import pytest

import _tls_bootstrap as tlsb
from _tls_bootstrap import crypto
from tlsb_support import MemoryPair, certfile, client_context


def read(name, binary=False):
    if binary:
        with open(certfile(name), "rb") as f:
            return f.read()
    with io.open(certfile(name), encoding="ascii") as f:
        return f.read()


def host_client():
    """The host's stdlib client, verifying against our test root."""
    return ssl.create_default_context(cafile=certfile("ca.pem"))


def handshake_with_host_client(server_ctx):
    """Our server context against the host's verifying client (sockets)."""
    import socket
    import threading
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    result = {}

    def serve():
        conn, _ = listener.accept()
        try:
            tls = server_ctx.wrap_socket(conn, server_side=True)
            tls.sendall(b"ok")
            tls.recv(1)
        except Exception as exc:
            result["server_error"] = exc
        finally:
            conn.close()
    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.create_connection(listener.getsockname(), timeout=20)
    tls = host_client().wrap_socket(client, server_hostname="localhost")
    try:
        result["data"] = tls.recv(2)
        result["peer"] = tls.getpeercert()
        tls.sendall(b"x")
    finally:
        tls.close()
        thread.join(20)
        listener.close()
    return result


def server_with(**kwargs):
    ctx = tlsb.SSLContext(tlsb.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain_data(**kwargs)
    return ctx


def test_crypto_objects_serve_a_verified_handshake():
    leaf = crypto.load_certificate(crypto.FILETYPE_PEM, read("localhost.pem"))
    intermediate = crypto.load_certificate(crypto.FILETYPE_PEM, read("intermediate.pem"))
    key = crypto.load_privatekey(crypto.FILETYPE_PEM, read("localhost.key"))
    result = handshake_with_host_client(
        server_with(certdata=[leaf, intermediate], keydata=key))
    assert result["data"] == b"ok"
    assert result["peer"]["serialNumber"] == "1001"


def test_pem_text_with_key_inside():
    result = handshake_with_host_client(server_with(certdata=read("localhost-combined.pem")))
    assert result["data"] == b"ok"


def test_der_bytes_and_encrypted_pem_key():
    der_chain = read("localhost.der", True) + tlsb.PEM_cert_to_DER_cert(
        read("intermediate.pem"))
    for password in ("somepass", b"somepass", lambda: "somepass"):
        ctx = server_with(certdata=der_chain, keydata=read("localhost-enc.key", True),
                          password=password)
        p = MemoryPair(tlsb, ctx, client_context(tlsb))
        p.handshake()
        assert p.client.getpeercert()["serialNumber"] == "1001"


def test_wrong_password_is_bad_decrypt_for_every_encrypted_key_format():
    import subprocess
    pkcs8_der = subprocess.check_output(
        ["openssl", "pkcs8", "-topk8", "-in", certfile("localhost-enc.key"),
         "-passin", "pass:somepass", "-passout", "pass:somepass", "-outform", "DER"])
    for key in (read("localhost-enc.key"), pkcs8_der,
                read("localhost-enc-traditional.key")):
        ctx = tlsb.SSLContext(tlsb.PROTOCOL_TLS_SERVER)
        with pytest.raises(tlsb.SSLError) as info:
            ctx.load_cert_chain_data(read("localhost.pem"), key, password="wrong")
        assert (info.value.library, info.value.reason) == ("PEM", "BAD_DECRYPT")
        assert str(info.value) == "[PEM: BAD_DECRYPT] bad decrypt"
        ctx.load_cert_chain_data(read("localhost.pem"), key, password="somepass")


def test_der_key():
    key = crypto.load_privatekey(crypto.FILETYPE_PEM, read("localhost.key"))
    der_key = crypto.dump_privatekey(crypto.FILETYPE_ASN1, key)
    ctx = server_with(certdata=read("localhost-chain.pem"), keydata=der_key)
    MemoryPair(tlsb, ctx, client_context(tlsb)).handshake()


def test_errors():
    ctx = tlsb.SSLContext(tlsb.PROTOCOL_TLS_SERVER)
    with pytest.raises(tlsb.SSLError) as info:
        ctx.load_cert_chain_data(read("localhost.pem"), read("rsa-direct.key"))
    assert info.value.reason == "KEY_VALUES_MISMATCH"
    with pytest.raises(tlsb.SSLError):
        ctx.load_cert_chain_data(read("localhost.pem"), read("localhost-enc.key"),
                                 password="wrong")
    with pytest.raises(ZeroDivisionError):
        ctx.load_cert_chain_data(read("localhost.pem"), read("localhost-enc.key"),
                                 password=lambda: 1 // 0)
    with pytest.raises(ValueError):
        ctx.load_cert_chain_data([])
    with pytest.raises(ValueError):
        ctx.load_cert_chain_data(crypto.load_certificate(crypto.FILETYPE_PEM,
                                                         read("localhost.pem")))
    with pytest.raises(TypeError):
        ctx.load_cert_chain_data(3)
    with pytest.raises(tlsb.SSLError):
        ctx.load_cert_chain_data(b"\x30\x03garbage", read("localhost.key"))


def test_peer_certificate_loads_into_crypto():
    p = MemoryPair(tlsb, server_with(certdata=read("localhost-combined.pem")),
                   client_context(tlsb))
    p.handshake()
    cert = crypto.load_certificate(crypto.FILETYPE_ASN1, p.client.getpeercert(True))
    assert cert.get_subject().CN == "localhost"
    chain = [crypto.load_certificate(crypto.FILETYPE_ASN1, der)
             for der in p.client.get_verified_chain()]
    assert [c.get_subject().CN for c in chain] == [
        "localhost", "_tls_bootstrap Test Intermediate CA", "_tls_bootstrap Test Root CA"]
