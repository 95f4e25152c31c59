"""Writes the seed inputs of fuzz/corpus/<target>/ (run once; the seeds
are checked in, and tools/fuzz merges what the fuzzer finds into a copy).

    PYTHONPATH=Lib:<built core> python fuzz/make_seeds.py

Sources: the certificates and keys of Lib/test/certdata, objects made from
them with `crypto` (CSR, PKCS #12, encrypted key), and ClientHellos captured
from our client and from `openssl s_client` (TLS 1.2 and 1.3).
Python 3 only (it is a maintenance script, not a test).
"""
import glob
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzz_inputs  # noqa: E402

tls, crypto = fuzz_inputs.tls, fuzz_inputs.crypto
PEM, DER = crypto.FILETYPE_PEM, crypto.FILETYPE_ASN1
CERTDATA, PASSPHRASE = fuzz_inputs.CERTDATA, fuzz_inputs.PASSPHRASE


def write(target, name, data):
    directory = os.path.join(fuzz_inputs.CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as seed:
        seed.write(data)


def certdata(name):
    with open(os.path.join(CERTDATA, name), "rb") as source:
        return source.read()


def first_pem_cert(path):
    with open(path, "rb") as source:
        text = source.read()
    start = text.find(b"-----BEGIN CERTIFICATE-----")
    end = text.find(b"-----END CERTIFICATE-----", start)
    return text[start:end + 25] + b"\n" if start >= 0 and end > 0 else None


def loader_seed(name, loader, data):
    """A loaders seed: the selector byte of `loader`, then its input."""
    write("loaders", name, bytes([fuzz_inputs.LOADERS.index(loader)]) + data)


def certificate_seeds():
    for path in sorted(glob.glob(os.path.join(CERTDATA, "*.pem"))):
        pem = first_pem_cert(path)
        if pem is None:
            continue
        base = os.path.basename(path)[:-4]
        try:
            der = crypto.dump_certificate(DER, crypto.load_certificate(PEM, pem))
        except crypto.Error:
            continue
        write("certdecode", base + ".der", der)


def loaders_seeds():
    L = fuzz_inputs.LOADERS
    cert = crypto.load_certificate(PEM, certdata("localhost.pem"))
    key = crypto.load_privatekey(PEM, certdata("localhost.key"))
    ec_key = crypto.load_privatekey(PEM, certdata("ecdsa.key"))
    ca = crypto.load_certificate(PEM, certdata("ca.pem"))
    loader_seed("cert.pem", L[0], crypto.dump_certificate(PEM, cert))
    loader_seed("cert.der", L[1], crypto.dump_certificate(DER, cert))
    loader_seed("key.pem", L[2], crypto.dump_privatekey(PEM, key))
    loader_seed("ec-key.pem", L[2], crypto.dump_privatekey(PEM, ec_key))
    loader_seed("key.der", L[3], crypto.dump_privatekey(DER, key))
    loader_seed("ec-key.der", L[3], crypto.dump_privatekey(DER, ec_key))
    loader_seed("key-enc.pem", L[4],
                crypto.dump_privatekey(PEM, ec_key, "aes-128-cbc", PASSPHRASE))
    loader_seed("key-enc-traditional.pem", L[4], certdata("localhost-enc-traditional.key"))
    request = crypto.X509Req()
    request.get_subject().CN = "fuzz.example"
    request.set_pubkey(ec_key)
    request.sign(ec_key, "sha256")
    loader_seed("req.pem", L[5], crypto.dump_certificate_request(PEM, request))
    loader_seed("req.der", L[6], crypto.dump_certificate_request(DER, request))
    loader_seed("pub.pem", L[7], crypto.dump_publickey(PEM, ec_key))
    loader_seed("pub.der", L[8], crypto.dump_publickey(DER, ec_key))
    p12 = crypto.PKCS12()
    p12.set_certificate(cert)
    p12.set_privatekey(key)
    p12.set_ca_certificates([ca])
    p12.set_friendlyname(b"fuzz")
    loader_seed("nopass.p12", L[9], p12.export())
    loader_seed("pass.p12", L[10], p12.export(PASSPHRASE))
    loader_seed("combined.pem", L[11], certdata("localhost-combined.pem"))
    cert_der = crypto.dump_certificate(DER, cert)
    loader_seed("chain-split.der", L[12],
                len(cert_der).to_bytes(2, "big") + cert_der
                + crypto.dump_privatekey(DER, key))


def cadata_seeds():
    bundle = certdata("bundle.pem")
    write("cadata", "bundle-bytes.pem", b"\0" + bundle)
    write("cadata", "bundle-str.pem", b"\1" + bundle)
    ders = b"".join(crypto.dump_certificate(DER, crypto.load_certificate(PEM, certdata(name)))
                    for name in ("ca.pem", "other-ca.pem"))
    write("cadata", "two.der", b"\0" + ders)


def capture(connect):
    """The first flight a client sends: `connect(port)` runs a client
    against a listener that reads what arrives, then closes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    received = []

    def serve():
        conn, _ = listener.accept()
        conn.settimeout(2)
        data = b""
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                if len(data) >= 5 and len(data) >= 5 + int.from_bytes(data[3:5], "big"):
                    break
        except socket.timeout:
            pass
        received.append(data)
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    connect(listener.getsockname()[1])
    thread.join()
    listener.close()
    return received[0]


def openssl_hello(version, *extra):
    def connect(port):
        subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                        version, "-servername", "localhost"] + list(extra),
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=10)
    return capture(connect)


def our_hello(maximum):
    def connect(port):
        context = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
        context.maximum_version = maximum
        context.set_alpn_protocols(["h2", "http/1.1"])
        context.load_verify_locations(os.path.join(CERTDATA, "ca.pem"))
        with socket.create_connection(("127.0.0.1", port)) as sock:
            try:
                context.wrap_socket(sock, server_hostname="localhost")
            except (OSError, tls.SSLError):
                pass
    return capture(connect)


def record(content_type, body, version=b"\x03\x03"):
    return bytes([content_type]) + version + len(body).to_bytes(2, "big") + body


def server_stream_seeds():
    hellos = {
        "ours-tls13.bin": our_hello(tls.TLSVersion.TLSv1_3),
        "ours-tls12.bin": our_hello(tls.TLSVersion.TLSv1_2),
        "openssl-tls13.bin": openssl_hello("-tls1_3", "-alpn", "h2"),
        "openssl-tls12.bin": openssl_hello("-tls1_2", "-alpn", "http/1.1"),
    }
    for name, hello in hellos.items():
        write("server_stream", name, hello)
    hello = hellos["openssl-tls12.bin"]
    # A ClientHello followed by what a broken or hostile peer sends next.
    write("server_stream", "hello-then-alert.bin", hello + record(21, b"\x02\x28"))
    write("server_stream", "hello-then-ccs.bin", hello + record(20, b"\x01"))
    write("server_stream", "hello-then-appdata.bin", hello + record(23, b"early"))
    write("server_stream", "hello-then-heartbeat.bin", hello + record(24, b"\x01\x40\x00"))
    # The hello split over two records (fragmentation).
    body = hello[5:]
    write("server_stream", "hello-fragmented.bin",
          record(22, body[:40], hello[1:3]) + record(22, body[40:], hello[1:3]))
    # An SSLv2-format ClientHello (OpenSSL still parses the format).
    v2 = b"\x01\x03\x01\x00\x03\x00\x00\x00\x10" + b"\x00\x00\x2f" + bytes(range(16))
    write("server_stream", "sslv2-hello.bin", bytes([0x80, len(v2)]) + v2)


if __name__ == "__main__":
    certificate_seeds()
    loaders_seeds()
    cadata_seeds()
    server_stream_seeds()
