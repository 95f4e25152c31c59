"""Builds against an OpenSSL other than the interpreter's.

- TLSB_EXPECT_OPENSSL="OpenSSL 1.1.1" (tox env py311-openssl111, built with
  OPENSSL_DIR from tools/fetch-openssl111): the installed module is built
  against and runs with that OpenSSL, loaded from the prefix.
- TLSB_STATIC_OPENSSL_DIR=<prefix with libssl.a>: an OPENSSL_STATIC=1 build
  made here exports nothing but its init function, needs no libssl at run
  time, and works in one process beside the host's _ssl on its own libssl.
Each is skipped when its variable is unset (no timing here: bench/ measures).
"""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import _tls_bootstrap
import _tls_bootstrap_core
import ssl

from tlsb_support import openssl_cli

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.normpath(os.path.join(HERE, os.pardir, os.pardir))
EXPECTED = os.environ.get("TLSB_EXPECT_OPENSSL")
STATIC_PREFIX = os.environ.get("TLSB_STATIC_OPENSSL_DIR")


def mapped_libraries(pid="self"):
    with open("/proc/%s/maps" % pid) as maps:
        return set(line.split()[-1] for line in maps if "/" in line)


@pytest.mark.skipif(not EXPECTED, reason="TLSB_EXPECT_OPENSSL not set")
def test_installed_module_is_built_against_and_runs_with_the_requested_openssl():
    assert _tls_bootstrap.OPENSSL_BUILD_VERSION.startswith(EXPECTED)
    assert _tls_bootstrap.OPENSSL_VERSION.startswith(EXPECTED)
    assert _tls_bootstrap.OPENSSL_VERSION != ssl.OPENSSL_VERSION
    prefix = os.environ["OPENSSL_DIR"]
    ours = [path for path in mapped_libraries() if os.path.basename(path).startswith("libssl.so")
            and os.path.realpath(path).startswith(os.path.realpath(prefix))]
    assert ours, "libssl from %s is not loaded" % prefix


# ---------------------------------------------------------------------------
# OPENSSL_STATIC=1
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def static_build(tmpdir_factory):
    """The extension built here with OPENSSL_STATIC=1 against
    TLSB_STATIC_OPENSSL_DIR; the directory holding the .so."""
    if not STATIC_PREFIX:
        pytest.skip("TLSB_STATIC_OPENSSL_DIR not set")
    assert os.path.isdir(STATIC_PREFIX), STATIC_PREFIX
    pytest.importorskip("setuptools")
    work = str(tmpdir_factory.mktemp("static"))
    source = os.path.join(work, "src")
    os.makedirs(os.path.join(source, "Lib"))
    os.makedirs(os.path.join(source, "tools"))
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(os.path.join(SOURCE_ROOT, name), source)
    shutil.copy(os.path.join(SOURCE_ROOT, "Lib", "_tls_bootstrap.py"),
                os.path.join(source, "Lib"))
    shutil.copy(os.path.join(SOURCE_ROOT, "tools", "gen_error_names.py"),
                os.path.join(source, "tools"))
    shutil.copytree(os.path.join(SOURCE_ROOT, "Modules"), os.path.join(source, "Modules"))
    env = dict(os.environ, OPENSSL_DIR=STATIC_PREFIX, OPENSSL_STATIC="1")
    build = os.path.join(work, "lib")
    subprocess.check_call([sys.executable, "setup.py", "-q", "build_ext", "-b", build,
                           "-t", os.path.join(work, "tmp")], cwd=source, env=env)
    shutil.copy(os.path.join(source, "Lib", "_tls_bootstrap.py"), build)
    return build


def static_module(build):
    names = [name for name in os.listdir(build) if name.startswith("_tls_bootstrap_core")]
    assert len(names) == 1, names
    return os.path.join(build, names[0])


def test_static_build_exports_only_its_init_function(static_build):
    nm = shutil.which("nm") if hasattr(shutil, "which") else "/usr/bin/nm"
    if not nm or not os.path.exists(nm):
        pytest.skip("needs nm")
    out = subprocess.check_output([nm, "-D", "--defined-only", static_module(static_build)])
    # Leave out the linker's own (_init, _fini, __bss_start, _edata, _end).
    exported = [line.split()[-1] for line in out.decode().splitlines()
                if not line.split()[-1].startswith("_")]
    init = "PyInit__tls_bootstrap_core" if sys.version_info[0] >= 3 else "init_tls_bootstrap_core"
    assert exported == [init]


def test_static_build_needs_no_libssl_at_run_time(static_build):
    out = subprocess.check_output(["ldd", static_module(static_build)]).decode()
    assert "libssl" not in out and "libcrypto" not in out, out


# Run in a child: the host's ssl first (its _ssl loads the system libssl),
# then the static core; both must work, side by side, and talk to each
# other where the core has SSLContext.
COEXISTENCE_CHILD = textwrap.dedent("""
    import os, sys
    import ssl
    import _tls_bootstrap
    certfile = sys.argv[1]
    here = os.path.realpath(os.path.dirname(_tls_bootstrap._core.__file__))
    assert here == os.path.realpath(sys.argv[2]), here
    assert _tls_bootstrap.OPENSSL_VERSION != ssl.OPENSSL_VERSION, ssl.OPENSSL_VERSION
    with open("/proc/self/maps") as maps:
        libs = set(line.split()[-1] for line in maps if "/" in line)
    assert not [lib for lib in libs if lib.startswith(sys.argv[3])], libs
    assert len(_tls_bootstrap.RAND_bytes(16)) == 16
    bio = _tls_bootstrap.MemoryBIO()
    bio.write(b"abc")
    assert bio.read() == b"abc"

    def pair(client_module, server_module):
        client_ctx = client_module.SSLContext(client_module.PROTOCOL_TLS_CLIENT)
        client_ctx.load_verify_locations(certfile)
        server_ctx = server_module.SSLContext(server_module.PROTOCOL_TLS_SERVER)
        server_ctx.load_cert_chain(certfile)
        c_in, c_out = client_module.MemoryBIO(), client_module.MemoryBIO()
        s_in, s_out = server_module.MemoryBIO(), server_module.MemoryBIO()
        client = client_ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
        server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
        for _ in range(10):
            for end, out, peer_in in ((client, c_out, s_in), (server, s_out, c_in)):
                try:
                    end.do_handshake()
                except ssl.SSLWantReadError:
                    pass
                peer_in.write(out.read())
        client.write(b"ping")
        s_in.write(c_out.read())
        assert server.read(4) == b"ping"
        return client.version(), client.cipher()[0]

    results = []
    if hasattr(ssl, "MemoryBIO"):
        results.append(("host-host",) + pair(ssl, ssl))
    if hasattr(_tls_bootstrap, "SSLContext"):
        results.append(("ours-ours",) + pair(_tls_bootstrap, _tls_bootstrap))
        if hasattr(ssl, "MemoryBIO"):
            results.append(("ours-host",) + pair(_tls_bootstrap, ssl))
            results.append(("host-ours",) + pair(ssl, _tls_bootstrap))
    print(_tls_bootstrap.OPENSSL_VERSION)
    print(results)
""")


def test_static_build_works_beside_the_hosts_ssl_in_one_process(static_build, tmpdir):
    certfile = str(tmpdir.join("localhost.pem"))
    subprocess.check_call(
        [openssl_cli(), "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", certfile, "-out",
         certfile + ".crt", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost", "-days", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open(certfile, "a") as combined, open(certfile + ".crt") as cert:
        combined.write(cert.read())
    env = dict(os.environ, PYTHONPATH=static_build)
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "OPENSSL_CONF"):
        env.pop(name, None)
    out = subprocess.check_output([sys.executable, "-c", COEXISTENCE_CHILD, certfile,
                                   static_build, os.path.realpath(STATIC_PREFIX)],
                                  env=env).decode()
    version, results = out.strip().splitlines()
    assert version != ssl.OPENSSL_VERSION
    if hasattr(ssl, "MemoryBIO"):
        assert "host-host" in results
    if hasattr(_tls_bootstrap_core, "SSLContext"):
        assert "ours-host" in results and "host-ours" in results, results
