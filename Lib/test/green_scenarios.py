"""Scenarios of _tls_bootstrap under gevent or eventlet, each in a fresh
process (monkey patching cannot be undone).  test_green.py and
test_green_eventlet.py run them and check the JSON line each prints.  Runs
on 2.7 and 3.x.

    green_scenarios.py [eventlet:]ORDER SCENARIO [ARGS]

ORDER says how the graft and the library (gevent, or eventlet with the
prefix; "patch_all()" is eventlet.monkey_patch() there) meet:
  gevent-first   patch_all(), then import _tls_bootstrap and monkeypatch_ssl()
  (lib-first)    (the same, under either library's name)
  graft-first    monkeypatch_ssl(), then patch_all() (gevent's SSLContext
                 then subclasses ours)
  import-first   import _tls_bootstrap, patch_all(), then monkeypatch_ssl()
                 (our SSLSocket class was made from the unpatched socket)
  unpatched      no monkey-patching: the library's sockets handed to our
                 context
  baseline       patch_all() without the graft (the host's ssl)
SCENARIO:
  gets URL CAFILE N       N greenlets each do one requests.get(URL)
  timeouts URL CAFILE N   the same with timeout=1 against a silent server
  server CERT KEY N CAFILE
                          a gevent StreamServer with our context; a client
                          process (this interpreter, threads) keeps one idle
                          connection in its handshake and runs N echo clients
  clients PORT CAFILE N   (the client process of `server`)
Every green scenario also runs a greenlet that ticks every 10 ms and reports
the longest gap between ticks: the longest time the loop was blocked.
eventlet's `server` is an accept loop over eventlet.listen() that wraps
each connection with our context in its own green thread.
"""
from __future__ import print_function

import json
import os
import socket as _plain_socket_module
import sys
import threading
import time

LIBRARY, _, ORDER = sys.argv[1].rpartition(":")
LIBRARY = LIBRARY or "gevent"
SCENARIO, ARGS = sys.argv[2], sys.argv[3:]


class Gevent(object):
    @staticmethod
    def patch_all():
        from gevent import monkey
        monkey.patch_all()

    @staticmethod
    def spawn(function, *args):
        import gevent
        return gevent.spawn(function, *args)

    @staticmethod
    def sleep(seconds):
        import gevent
        gevent.sleep(seconds)

    @staticmethod
    def join(greenlets):
        import gevent
        gevent.joinall(greenlets)


class Eventlet(object):
    @staticmethod
    def patch_all():
        import eventlet
        eventlet.monkey_patch()

    @staticmethod
    def spawn(function, *args):
        import eventlet
        return eventlet.spawn(function, *args)

    @staticmethod
    def sleep(seconds):
        import eventlet
        eventlet.sleep(seconds)

    @staticmethod
    def join(greenlets):
        for greenlet in greenlets:
            greenlet.wait()


GREEN = {"gevent": Gevent, "eventlet": Eventlet}[LIBRARY]


def setup_order(order):
    if order == "clients":
        return
    if order in ("gevent-first", "lib-first"):
        GREEN.patch_all()
        import _tls_bootstrap
        _tls_bootstrap.monkeypatch_ssl()
    elif order == "graft-first":
        import _tls_bootstrap
        _tls_bootstrap.monkeypatch_ssl()
        GREEN.patch_all()
    elif order == "import-first":
        import _tls_bootstrap
        GREEN.patch_all()
        _tls_bootstrap.monkeypatch_ssl()
    elif order == "baseline":
        GREEN.patch_all()
    elif order != "unpatched":
        raise SystemExit("unknown order %r" % order)


def start_ticker():
    state = {"max_gap": 0.0, "running": True}

    def tick():
        last = time.time()
        while state["running"]:
            GREEN.sleep(0.01)
            now = time.time()
            state["max_gap"] = max(state["max_gap"], now - last)
            last = now
    state["greenlet"] = GREEN.spawn(tick)
    return state


def stop_ticker(state):
    state["running"] = False
    GREEN.join([state["greenlet"]])
    return round(state["max_gap"], 3)


def run_gets(url, cafile, count, timeout):
    import requests
    ticker = start_ticker()
    GREEN.sleep(0.05)
    results = []

    def get():
        started = time.time()
        try:
            response = requests.get(url, verify=cafile, timeout=timeout)
            outcome = "ok" if response.text == "hello" else "bad body"
        except Exception as exc:
            outcome = "%s: %s" % (type(exc).__name__, exc)
        results.append((outcome, round(time.time() - started, 3)))
    started = time.time()
    greenlets = [GREEN.spawn(get) for _ in range(count)]
    GREEN.join(greenlets)
    wall = round(time.time() - started, 3)
    return {"ok": sum(1 for o, _ in results if o == "ok"), "wall": wall,
            "max_stall": stop_ticker(ticker),
            "outcomes": sorted(set(o[:200] for o, _ in results)),
            "durations": sorted(d for _, d in results)}


def eventlet_stream_server(handle, ssl_context):
    """What gevent's StreamServer(("127.0.0.1", 0), handle, ssl_context=)
    is used for below, with eventlet: each connection wrapped in its own
    green thread."""
    import eventlet

    class Server(object):
        def __init__(self):
            self.listener = eventlet.listen(("127.0.0.1", 0))
            self.server_port = self.listener.getsockname()[1]
            self.pool = eventlet.GreenPool()

        def serve(self, conn, address):
            try:
                tls = ssl_context.wrap_socket(conn, server_side=True)
            except Exception:   # the idle client leaves mid-handshake
                conn.close()
                return
            handle(tls, address)

        def accept_loop(self):
            while True:
                try:
                    conn, address = self.listener.accept()
                except Exception:   # closed by stop()
                    return
                self.pool.spawn_n(self.serve, conn, address)

        def start(self):
            self.loop = eventlet.spawn(self.accept_loop)

        def stop(self, timeout):
            self.loop.kill()
            self.listener.close()
            with eventlet.Timeout(timeout, False):
                self.pool.waitall()
    return Server()


def run_server(certfile, keyfile, count):
    import subprocess
    if LIBRARY == "gevent":
        from gevent.server import StreamServer
    else:
        def StreamServer(address, handle, ssl_context):
            return eventlet_stream_server(handle, ssl_context)
    if ORDER == "unpatched":
        import _tls_bootstrap as ssl
    else:
        # What a patched program writes: ssl.SSLContext is ours, or, in
        # graft-first, gevent's subclass of ours.
        import ssl
    # (2.7's own ssl, in baseline, has no PROTOCOL_TLS_SERVER)
    context = ssl.SSLContext(getattr(ssl, "PROTOCOL_TLS_SERVER", ssl.PROTOCOL_SSLv23))
    context.load_cert_chain(certfile, keyfile)
    served = []

    def handle(sock, address):
        sock.settimeout(10)
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(100)
            if not chunk:
                break
            data += chunk
        sock.sendall(data)
        served.append(type(sock).__module__ + "." + type(sock).__name__)
        sock.close()

    server = StreamServer(("127.0.0.1", 0), handle, ssl_context=context)
    server.start()
    ticker = start_ticker()
    port = server.server_port
    client = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "clients", "clients",
         str(port), ARGS[3], str(count)], stdout=subprocess.PIPE)
    # The client process runs in another process: wait without blocking.
    while client.poll() is None:
        GREEN.sleep(0.02)
    out = client.stdout.read().decode()
    server.stop(timeout=1)
    result = json.loads(out.strip().splitlines()[-1])
    result["served"] = len(served)
    result["socket_types"] = sorted(set(served))
    result["max_stall"] = stop_ticker(ticker)
    return result


def run_clients(port, cafile, count):
    """Plain threads and the interpreter's own ssl (not grafted): one idle
    TCP connection first, then `count` TLS echo clients at once."""
    import ssl
    idle = _plain_socket_module.create_connection(("127.0.0.1", port))
    time.sleep(0.2)
    results = []

    def client(index):
        try:
            context = ssl.create_default_context(cafile=cafile)
            raw = _plain_socket_module.create_connection(("127.0.0.1", port), timeout=10)
            sock = context.wrap_socket(raw, server_hostname="localhost")
            line = ("client %d\n" % index).encode()
            sock.sendall(line)
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(100)
                if not chunk:
                    break
                data += chunk
            sock.close()
            results.append("ok" if data == line else "bad echo %r" % data)
        except Exception as exc:
            results.append("%s: %s" % (type(exc).__name__, exc))
    started = time.time()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    wall = round(time.time() - started, 3)
    idle.close()
    return {"ok": results.count("ok"), "wall": wall,
            "outcomes": sorted(set(r[:200] for r in results))}


def main():
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE",
                 "SSL_CERT_DIR"):
        os.environ.pop(name, None)
    setup_order(ORDER)
    if SCENARIO == "gets":
        result = run_gets(ARGS[0], ARGS[1], int(ARGS[2]), timeout=10)
    elif SCENARIO == "timeouts":
        result = run_gets(ARGS[0], ARGS[1], int(ARGS[2]), timeout=1)
    elif SCENARIO == "server":
        result = run_server(ARGS[0], ARGS[1], int(ARGS[2]))
    elif SCENARIO == "clients":
        result = run_clients(int(ARGS[0]), ARGS[1], int(ARGS[2]))
    else:
        raise SystemExit("unknown scenario %r" % SCENARIO)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
