"""After monkeypatch_ssl(), the clients that already used ssl keep working
through our implementation: urllib, http.client/httplib, smtplib STARTTLS,
requests (with urllib3 1.26 on 2.7); asyncio is in
test_real_clients_asyncio.py (Python 3 syntax).  Each succeeds only
with the right CA and host name: a bad CA and a bad host name fail."""
import socket
import sys
import threading

import pytest

import _tls_bootstrap as tlsb
from tlsb_support import certfile, require_module, server_context

PY2 = sys.version_info[0] == 2
if PY2:
    import BaseHTTPServer as http_server  # noqa: N813
    import SocketServer as socketserver  # noqa: N813
    import httplib as http_client  # noqa: N813
    import urllib2 as urllib_request  # noqa: N813
    from urllib2 import URLError
else:
    import http.client as http_client
    import http.server as http_server
    import socketserver
    import urllib.request as urllib_request
    from urllib.error import URLError

BODY = b"hello through _tls_bootstrap\n"
# Grafted onto 2.7/3.6, names are checked as those hosts did: by
# ssl.match_hostname() after the handshake, raising CertificateError.
LEGACY_NAME_CHECK = sys.version_info < (3, 7)


def assert_wrong_host(exc):
    import ssl
    assert isinstance(exc, ssl.CertificateError)
    if not LEGACY_NAME_CHECK:
        assert exc.verify_code == 62


@pytest.fixture(autouse=True)
def grafted(monkeypatch):
    # The environment points every client at the system CA bundle; these
    # tests pass their own CA explicitly.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE",
                 "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    tlsb.monkeypatch_ssl()
    yield
    tlsb.restore_ssl()


class _Handler(http_server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


class _Server(socketserver.ThreadingMixIn, http_server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass      # failed handshakes are part of the tests


@pytest.fixture(params=["localhost.pem", "wronghost.pem"], ids=["good", "wronghost"])
def https_server(request):
    certname = request.param
    ctx = server_context(tlsb, certfile=certname, keyfile=certname.replace(".pem", ".key"))
    if certname == "localhost.pem":
        ctx = server_context(tlsb)        # with the intermediate
    server = _Server(("127.0.0.1", 0), _Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever)
    thread.daemon = True
    thread.start()
    server.good = certname == "localhost.pem"
    yield server
    server.shutdown()
    server.server_close()


def url(server):
    return "https://localhost:%d/" % server.server_address[1]


def test_urllib_https(https_server):
    import ssl
    context = ssl.create_default_context(cafile=certfile("ca.pem"))
    assert isinstance(context, tlsb.SSLContext)
    if https_server.good:
        response = urllib_request.urlopen(url(https_server), context=context, timeout=20)
        assert response.read() == BODY
    else:
        with pytest.raises((URLError, ValueError)) as info:
            urllib_request.urlopen(url(https_server), context=context, timeout=20)
        assert_wrong_host(getattr(info.value, "reason", info.value))


def test_urllib_unknown_ca_fails(https_server):
    import ssl
    context = ssl.create_default_context(cafile=certfile("other-ca.pem"))
    with pytest.raises(URLError) as info:
        urllib_request.urlopen(url(https_server), context=context, timeout=20)
    assert info.value.reason.verify_code == 20


def test_http_client(https_server):
    import ssl
    context = ssl.create_default_context(cafile=certfile("ca.pem"))
    conn = http_client.HTTPSConnection("localhost", https_server.server_address[1],
                                       context=context, timeout=20)
    try:
        if https_server.good:
            conn.request("GET", "/")
            assert conn.sock.version() == "TLSv1.3"
            assert isinstance(conn.sock, tlsb.SSLSocket)
            assert conn.getresponse().read() == BODY
        else:
            with pytest.raises(ValueError) as info:   # CertificateError
                conn.request("GET", "/")
            assert_wrong_host(info.value)
    finally:
        conn.close()


def requests_get(requests, server, cafile):
    # A session per trust store: requests before 2.32 reuses a pooled
    # connection across different `verify` values (CVE-2024-35195).
    session = requests.Session()
    session.trust_env = False
    try:
        return session.get(url(server), verify=certfile(cafile), timeout=20)
    finally:
        session.close()


def test_requests(https_server):
    requests = require_module("requests")
    if https_server.good:
        assert requests_get(requests, https_server, "ca.pem").content == BODY
    else:
        with pytest.raises(requests.exceptions.SSLError):
            requests_get(requests, https_server, "ca.pem")
    with pytest.raises(requests.exceptions.SSLError):
        requests_get(requests, https_server, "other-ca.pem")


# ---- smtplib STARTTLS -----------------------------------------------------------

def smtp_server(context):
    """A minimal SMTP server that offers STARTTLS and accepts one message."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(20)
    received = []

    def serve():
        conn, _ = listener.accept()
        stream = conn.makefile("rb")

        def reply(sock, text):
            sock.sendall(text.encode("ascii") + b"\r\n")
        try:
            reply(conn, "220 localhost ESMTP test")
            sock = conn
            while True:
                line = stream.readline()
                if not line:
                    return
                command = line.strip().upper()
                if command.startswith(b"EHLO"):
                    extra = "250-STARTTLS\r\n" if sock is conn else ""
                    sock.sendall(("250-localhost\r\n%s250 OK\r\n" % extra).encode("ascii"))
                elif command == b"STARTTLS":
                    reply(conn, "220 go ahead")
                    sock = context.wrap_socket(conn, server_side=True)
                    stream = sock.makefile("rb")
                elif command.startswith((b"MAIL", b"RCPT")):
                    reply(sock, "250 OK")
                elif command == b"DATA":
                    reply(sock, "354 go on")
                    body = []
                    while True:
                        data = stream.readline()
                        if data in (b".\r\n", b""):
                            break
                        body.append(data)
                    received.append(b"".join(body))
                    reply(sock, "250 queued")
                elif command == b"QUIT":
                    reply(sock, "221 bye")
                    return
                else:
                    reply(sock, "500 what")
        except (socket.error, tlsb.SSLError):
            pass
        finally:
            conn.close()
            listener.close()

    thread = threading.Thread(target=serve)
    thread.daemon = True
    thread.start()
    return listener.getsockname()[1], received, thread


@pytest.mark.parametrize("cafile", ["ca.pem", "other-ca.pem"])
def test_smtplib_starttls(cafile):
    import smtplib
    import ssl
    if PY2 and cafile != "ca.pem":
        pytest.skip("2.7's starttls() takes no context and never verifies")
    port, received, thread = smtp_server(server_context(tlsb))
    client = smtplib.SMTP("localhost", port, timeout=20)
    try:
        client.ehlo()
        context = ssl.create_default_context(cafile=certfile(cafile))
        if PY2:
            client.starttls()     # through ssl.wrap_socket, which is ours now
            client.ehlo()
            client.sendmail("a@localhost", ["b@localhost"], "Subject: hi\r\n\r\nbody\r\n")
            assert isinstance(client.sock, tlsb.SSLSocket)
            client.quit()
            thread.join(20)
            assert b"body" in received[0]
        elif cafile == "ca.pem":
            client.starttls(context=context)
            client.ehlo()
            client.sendmail("a@localhost", ["b@localhost"], "Subject: hi\r\n\r\nbody\r\n")
            assert isinstance(client.sock, tlsb.SSLSocket)
            client.quit()
            thread.join(20)
            assert b"body" in received[0]
        else:
            with pytest.raises(ssl.SSLError):
                client.starttls(context=context)
    finally:
        client.close()


