"""Real peers for the tests: `openssl s_server`/`s_client` processes, a
threaded socket server, and a pump that drives an SSLObject over a socket.
Runs on Python 2.7 and 3.x.
"""
import os
import re
import socket
import subprocess
import sys
import threading
import time

from tlsb_support import CERTDATA, openssl_cli

PY2 = sys.version_info[0] == 2


def clean_env():
    """The environment for peer processes: no inherited trust-store or
    OpenSSL configuration variables."""
    env = dict(os.environ)
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "OPENSSL_CONF",
                 "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSLKEYLOGFILE"):
        env.pop(name, None)
    return env


class OpenSSLServer(object):
    """`openssl s_server` on 127.0.0.1 and a free port.

    with OpenSSLServer(["-rev"]) as server: ... server.port ...
    """

    def __init__(self, args=(), cert="localhost.pem", key="localhost.key",
                 chain="intermediate.pem", naccept=1):
        # s_server's -cert reads one certificate; the chain goes separately.
        self.command = [openssl_cli(), "s_server", "-accept", "127.0.0.1:0",
                        "-cert", os.path.join(CERTDATA, cert),
                        "-key", os.path.join(CERTDATA, key),
                        "-naccept", str(naccept)]
        if chain:
            self.command += ["-cert_chain", os.path.join(CERTDATA, chain)]
        self.command += list(args)
        self.process = None
        self.port = None
        self.output = []

    def __enter__(self):
        self.process = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=clean_env(), cwd=CERTDATA)
        deadline = time.time() + 10
        while time.time() < deadline:
            line = self.process.stdout.readline().decode("utf-8", "replace")
            if not line:
                break
            self.output.append(line)
            match = re.match(r"ACCEPT .*:(\d+)\s*$", line)
            if match:
                self.port = int(match.group(1))
                break
        if self.port is None:
            self.close()
            raise RuntimeError("s_server did not start: %s" % "".join(self.output))
        self._reader = threading.Thread(target=self._drain)
        self._reader.daemon = True
        self._reader.start()
        return self

    def _drain(self):
        for raw in iter(self.process.stdout.readline, b""):
            self.output.append(raw.decode("utf-8", "replace"))

    @property
    def address(self):
        return ("127.0.0.1", self.port)

    def text(self):
        return "".join(self.output)

    def close(self, grace=2):
        """Let s_server finish on its own (-naccept), so that all it printed
        is read, then stop it."""
        if self.process is not None and self.process.poll() is None:
            self.wait(grace)
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
        reader = getattr(self, "_reader", None)
        if reader is not None:
            reader.join(5)
        if self.process is not None:
            for stream in (self.process.stdin, self.process.stdout):
                try:
                    stream.close()
                except Exception:
                    pass

    def wait(self, timeout=10):
        deadline = time.time() + timeout
        while self.process.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        return self.process.poll()

    def __exit__(self, *exc):
        self.close()


def run_openssl_client(port, args=(), stdin=b"", timeout=20):
    """Run `openssl s_client` against 127.0.0.1:port; return (rc, output)."""
    command = [openssl_cli(), "s_client", "-connect", "127.0.0.1:%d" % port,
               "-CAfile", os.path.join(CERTDATA, "ca.pem")] + list(args)
    process = subprocess.Popen(command, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=clean_env(), cwd=CERTDATA)
    killer = threading.Timer(timeout, process.kill)
    killer.start()
    try:
        out, _ = process.communicate(stdin)
    finally:
        killer.cancel()
    return process.returncode, out.decode("utf-8", "replace")


class ThreadedServer(object):
    """A listening socket on 127.0.0.1 whose thread accepts `count`
    connections and runs handler(plain_socket) for each; exceptions in the
    handler are kept in .errors and re-raised by join()."""

    def __init__(self, handler, count=1):
        self.handler = handler
        self.count = count
        self.errors = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(5)
        self.listener.settimeout(20)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._run)
        self.thread.daemon = True

    @property
    def address(self):
        return ("127.0.0.1", self.port)

    def _run(self):
        try:
            for _ in range(self.count):
                conn, _ = self.listener.accept()
                conn.settimeout(20)
                try:
                    self.handler(conn)
                finally:
                    conn.close()
        except BaseException:
            self.errors.append(sys.exc_info())
        finally:
            self.listener.close()

    def __enter__(self):
        self.thread.start()
        return self

    def join(self):
        self.thread.join(30)
        if self.errors:
            exc_type, value, tb = self.errors[0]
            if PY2:
                exec("raise exc_type, value, tb")
            raise value.with_traceback(tb)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.join()
        else:
            self.thread.join(5)


class SocketPump(object):
    """Drives an SSLObject (memory BIOs) over a plain connected socket, the
    way asyncio and urllib3's SSLTransport do."""

    def __init__(self, impl, context, sock, server_side=False,
                 server_hostname=None, session=None):
        self.impl = impl
        self.sock = sock
        self.incoming = impl.MemoryBIO()
        self.outgoing = impl.MemoryBIO()
        self.obj = context.wrap_bio(self.incoming, self.outgoing,
                                    server_side=server_side,
                                    server_hostname=server_hostname,
                                    session=session)

    def _flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            self.incoming.write_eof()
        else:
            self.incoming.write(data)

    def run(self, operation, *args):
        while True:
            try:
                result = operation(*args)
            except self.impl.SSLWantReadError:
                self._flush()
                self._fill()
                continue
            self._flush()
            return result

    def handshake(self):
        return self.run(self.obj.do_handshake)

    def write(self, data):
        return self.run(self.obj.write, data)

    def read(self, size=65536):
        return self.run(self.obj.read, size)

    def unwrap(self):
        return self.run(self.obj.unwrap)
