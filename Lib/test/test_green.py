"""_tls_bootstrap under gevent (issue 19): in every order of grafting and
monkey-patching, waits go to gevent's loop, never to the core's poll().

Each case runs green_scenarios.py in a fresh process (patching cannot be
undone) against peers in this process: a threaded HTTPS server of the
interpreter's own ssl that answers after 0.5 s, or a socket that never
answers.  The `green` tox leg installs gevent (TLSB_GREEN=1: there a missing
gevent fails); elsewhere these tests skip without it.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from tlsb_support import certfile, need

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "green_scenarios.py")
ORDERS = ["gevent-first", "graft-first", "import-first"]

try:
    import gevent  # noqa: F401  (only to know whether it is there)
    HAVE_GEVENT = True
except ImportError:
    HAVE_GEVENT = False


@pytest.fixture(scope="module", autouse=True)    # before the module's baselines
def _need_gevent():
    if os.environ.get("TLSB_GREEN"):
        need(HAVE_GEVENT, "needs gevent (the green leg installs it)")
    elif not HAVE_GEVENT:
        pytest.skip("needs gevent (tox -e green)")


def run_scenario(*args):
    env = dict(os.environ)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, SCENARIOS] + [str(a) for a in args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = proc.communicate()
    out, err = out.decode(), err.decode()
    assert proc.returncode == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    print(args[:2], result)
    return result


class SlowHTTPS(object):
    """HTTPS server (the interpreter's own ssl, plain threads) that answers
    every GET with "hello" after `delay` seconds."""

    def __init__(self, delay=0.5):
        import ssl
        try:
            from http.server import BaseHTTPRequestHandler, HTTPServer
            from socketserver import ThreadingMixIn
        except ImportError:  # 2.7
            from BaseHTTPServer import BaseHTTPRequestHandler, HTTPServer
            from SocketServer import ThreadingMixIn

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                time.sleep(delay)
                body = b"hello"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(getattr(ssl, "PROTOCOL_TLS_SERVER", ssl.PROTOCOL_SSLv23))
        context.load_cert_chain(certfile("localhost-chain.pem"),
                                certfile("localhost.key"))

        class Server(ThreadingMixIn, HTTPServer):
            daemon_threads = True
            request_queue_size = 128

            def get_request(self):
                sock, addr = HTTPServer.get_request(self)
                sock.settimeout(10)
                return context.wrap_socket(sock, server_side=True), addr

            def handle_error(self, request, client_address):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "https://localhost:%d/" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever)
        self.thread.daemon = True
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def slow_https():
    server = SlowHTTPS()
    yield server
    server.close()


@pytest.fixture
def silent_server():
    """Accepts TCP connections (the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield "https://localhost:%d/" % sock.getsockname()[1]
    sock.close()


def limits(baseline):
    """(wall, stall) limits: the issue's 2 s and 0.3 s, or 1.5 times what
    gevent with the interpreter's own ssl takes in the same session if the
    machine is so loaded that it takes more (CPU bursts of 50 handshakes
    also show as stalls; a blocked loop shows 0.5 s and more per request)."""
    if baseline.get("ok") != 50:
        return 2.0, 0.3
    return max(2.0, 1.5 * baseline["wall"]), max(0.3, 1.5 * baseline["max_stall"])


@pytest.fixture(scope="module")
def gets_baseline(slow_https):
    return run_scenario("baseline", "gets", slow_https.url, certfile("ca.pem"), 50)


@pytest.fixture(scope="module")
def server_baseline():
    return run_scenario("baseline", "server", certfile("localhost-chain.pem"),
                        certfile("localhost.key"), 50, certfile("ca.pem"))


@pytest.mark.parametrize("order", ORDERS)
def test_fifty_concurrent_gets_do_not_block_the_loop(order, slow_https, gets_baseline):
    wall, stall = limits(gets_baseline)
    result = run_scenario(order, "gets", slow_https.url, certfile("ca.pem"), 50)
    assert result["ok"] == 50, result["outcomes"]
    assert result["wall"] < wall, (result, gets_baseline)
    assert result["max_stall"] < stall, (result, gets_baseline)


@pytest.mark.parametrize("order", ORDERS)
def test_silent_servers_time_out_together(order, silent_server):
    result = run_scenario(order, "timeouts", silent_server, certfile("ca.pem"), 5)
    assert result["ok"] == 0
    assert all("timed out" in o.lower() or "timeout" in o.lower()
               for o in result["outcomes"]), result["outcomes"]
    # Each waits its own second, all at once.
    assert all(0.9 <= d < 1.6 for d in result["durations"]), result
    assert result["wall"] < 1.8, result
    assert result["max_stall"] < 0.3, result


@pytest.mark.parametrize("order", ORDERS + ["unpatched"])
def test_stream_server_serves_while_a_client_idles_in_its_handshake(order, server_baseline):
    _, stall = limits(server_baseline)
    result = run_scenario(order, "server", certfile("localhost-chain.pem"),
                          certfile("localhost.key"), 50, certfile("ca.pem"))
    assert result["ok"] == 50, result["outcomes"]
    assert result["served"] == 50, result
    assert result["max_stall"] < stall, (result, server_baseline)
