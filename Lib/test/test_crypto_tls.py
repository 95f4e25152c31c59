"""A small CA built with _tls_bootstrap.crypto issues a leaf certificate
that then serves a real TLS handshake between the host's own stdlib ssl
server and client over a loopback socket: the client trusts only our CA
and checks the hostname, so success depends on the certificates."""
import socket
import ssl
import threading

import pytest

from _tls_bootstrap import crypto

import crypto_portable_script as script
from crypto_support import pem, write


def make_pki(leaf_type=crypto.TYPE_RSA, names=b"DNS:localhost, IP:127.0.0.1"):
    ca_key = script.make_key(crypto)
    ca = script.make_ca(crypto, ca_key, cn="Handshake Root")
    key = crypto.PKey()
    key.generate_key(leaf_type, 2048 if leaf_type == crypto.TYPE_RSA else "prime256v1")
    _, leaf = script.make_leaf(crypto, ca, ca_key, key, names=names)
    return ca, leaf, key


def server_context(tmpdir, leaf, key):
    protocol = getattr(ssl, "PROTOCOL_TLS_SERVER", ssl.PROTOCOL_SSLv23)
    context = ssl.SSLContext(protocol)
    context.load_cert_chain(write(tmpdir, "leaf.pem", pem(leaf)),
                            write(tmpdir, "leaf.key", pem(key)))
    return context


def client_context(tmpdir, ca):
    context = ssl.create_default_context(cafile=write(tmpdir, "ca.pem", pem(ca)))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    return context


def handshake(server_ctx, client_ctx, hostname="localhost"):
    """Serve one connection; returns (peer certificate DER, data read)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)
    errors = []

    def serve():
        try:
            conn, _ = listener.accept()
            conn.settimeout(10)
            tls = server_ctx.wrap_socket(conn, server_side=True)
            tls.sendall(b"hello from our leaf")
            tls.close()
        except Exception as exc:  # noqa: B902 - reported to the test
            errors.append(exc)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        raw = socket.create_connection(listener.getsockname(), timeout=10)
        tls = client_ctx.wrap_socket(raw, server_hostname=hostname)
        try:
            der = tls.getpeercert(True)
            data = tls.recv(100)
        finally:
            tls.close()
        return der, data
    finally:
        thread.join(10)
        listener.close()


@pytest.mark.parametrize("leaf_type", [crypto.TYPE_RSA, crypto.TYPE_EC],
                         ids=["rsa-leaf", "ec-leaf"])
def test_stdlib_handshake_trusts_our_ca_and_leaf(tmpdir, leaf_type):
    ca, leaf, key = make_pki(leaf_type)
    der, data = handshake(server_context(tmpdir, leaf, key), client_context(tmpdir, ca))
    assert data == b"hello from our leaf"
    # The peer's certificate loads straight back into X509.
    peer = crypto.load_certificate(crypto.FILETYPE_ASN1, der)
    assert peer.digest("sha256") == leaf.digest("sha256")
    assert peer.get_issuer() == ca.get_subject()
    store = crypto.X509Store()
    store.add_cert(ca)
    assert crypto.X509StoreContext(store, peer).verify_certificate() is None


def test_stdlib_client_refuses_leaf_of_another_ca(tmpdir):
    _, leaf, key = make_pki()
    other_ca, _, _ = make_pki()
    with pytest.raises(ssl.SSLError) as info:
        handshake(server_context(tmpdir, leaf, key), client_context(tmpdir, other_ca))
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value) or \
        "certificate verify failed" in str(info.value)


def test_stdlib_client_refuses_our_leaf_for_another_hostname(tmpdir):
    ca, leaf, key = make_pki(names=b"DNS:other.example")
    with pytest.raises((ssl.SSLError, ssl.CertificateError)):
        handshake(server_context(tmpdir, leaf, key), client_context(tmpdir, ca))
