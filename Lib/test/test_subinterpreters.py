"""Subinterpreters (issue 14, item 4): each interpreter raises its own ssl
classes, so that "except ssl.SSLError" works inside a subinterpreter (as
mod_wsgi runs applications, on 2.7 too), and closing one leaves the main
interpreter working.

3.x runs code in a legacy subinterpreter (shared GIL) with
_testcapi.run_in_subinterp; 2.7 has no such helper, so a ten-line test
extension calling Py_NewInterpreter/PyRun_SimpleString/Py_EndInterpreter
is compiled here.  The code run there writes what it saw as JSON; the
tests assert on that.  On 3.12+ an interpreter with its own GIL must
refuse the import with an ImportError.
"""
import json
import os
import ssl
import sys

import pytest

import _tls_bootstrap
from tlsb_support import CERTDATA, PY2, need

HOST_CLASSES = ["SSLError", "SSLZeroReturnError", "SSLWantReadError",
                "SSLWantWriteError", "SSLSyscallError", "SSLEOFError",
                "CertificateError"]

SUBINTERP_C = r"""
#include <Python.h>

/* run(code) -> PyRun_SimpleString's result, in a new subinterpreter. */
static PyObject *
run(PyObject *self, PyObject *args)
{
    const char *code;
    PyThreadState *main_state, *sub;
    int rc;

    if (!PyArg_ParseTuple(args, "s:run", &code))
        return NULL;
    main_state = PyThreadState_Get();
    sub = Py_NewInterpreter();
    if (sub == NULL) {
        PyThreadState_Swap(main_state);
        PyErr_SetString(PyExc_RuntimeError, "Py_NewInterpreter failed");
        return NULL;
    }
    rc = PyRun_SimpleString(code);
    Py_EndInterpreter(sub);
    PyThreadState_Swap(main_state);
    return PyInt_FromLong(rc);
}

static PyMethodDef methods[] = {{"run", run, METH_VARARGS, NULL}, {NULL}};

PyMODINIT_FUNC
init_tlsb_subinterp(void)
{
    Py_InitModule("_tlsb_subinterp", methods);
}
"""


HELPER_LIBRARY = []     # 2.7: path of the compiled helper


@pytest.fixture(scope="module")
def run_in_subinterp(tmpdir_factory):
    """A function running source code in a new legacy subinterpreter and
    returning PyRun_SimpleString's status (0: no exception escaped)."""
    if not PY2:
        try:
            import _testcapi
        except ImportError:
            _testcapi = None
        need(_testcapi is not None and hasattr(_testcapi, "run_in_subinterp"),
             "needs _testcapi.run_in_subinterp")
        return _testcapi.run_in_subinterp
    import imp
    from distutils.ccompiler import new_compiler
    from distutils.sysconfig import customize_compiler, get_python_inc
    directory = str(tmpdir_factory.mktemp("subinterp_helper"))
    source = os.path.join(directory, "_tlsb_subinterp.c")
    with open(source, "w") as f:
        f.write(SUBINTERP_C)
    compiler = new_compiler()
    customize_compiler(compiler)
    objects = compiler.compile([source], output_dir=directory,
                               include_dirs=[get_python_inc()])
    library = os.path.join(directory, "_tlsb_subinterp.so")
    compiler.link_shared_object(objects, library)
    HELPER_LIBRARY.append(library)      # for child processes
    return imp.load_dynamic("_tlsb_subinterp", library).run


# Memory-BIO pairs for the code run in a subinterpreter (it imports
# _tls_bootstrap as t).
BIO_HANDSHAKE = r'''
def pair(server_ctx, client_ctx, hostname):
    c_in, c_out, s_in, s_out = (t.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=hostname)
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    return client, server, (c_in, c_out, s_in, s_out)

def handshake(client, server, bios):
    c_in, c_out, s_in, s_out = bios
    done = [False, False]
    for _ in range(10):
        for i, (obj, inc, out, peer_in) in enumerate(
                [(client, c_in, c_out, s_in), (server, s_in, s_out, c_in)]):
            if not done[i]:
                try:
                    obj.do_handshake()
                    done[i] = True
                except ssl.SSLWantReadError:
                    pass
            data = out.read()
            if data:
                peer_in.write(data)
        if all(done):
            return
'''


# What the subinterpreter runs: the checks the issue asks for, each result
# recorded by name.  Certificates: localhost-chain.pem, ending at ca.pem.
CHECKS = r'''
import json, ssl, sys, traceback
sys.path[:0] = %(path)r
''' + BIO_HANDSHAKE + r'''
results = {}
try:
    import _tls_bootstrap as t
    certdata = %(certdata)r

    results["same_classes"] = dict(
        (name, getattr(t, name) is getattr(ssl, name)) for name in %(names)r)
    host_verify = getattr(ssl, "SSLCertVerificationError", None)
    results["verify_error_is_hosts"] = (
        t.SSLCertVerificationError is host_verify if host_verify else
        issubclass(t.SSLCertVerificationError, ssl.CertificateError))

    server_ctx = t.SSLContext(t.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(certdata + "/localhost-chain.pem",
                               certdata + "/localhost.key")
    client_ctx = t.SSLContext(t.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(certdata + "/ca.pem")

    # WantRead from the core, caught by this interpreter's class.
    client, server, bios = pair(server_ctx, client_ctx, "localhost")
    try:
        client.do_handshake()
        results["want_read"] = "no exception"
    except ssl.SSLWantReadError:
        results["want_read"] = "caught"
    except Exception as e:
        results["want_read"] = "missed %%r" %% (type(e),)
    handshake(client, server, bios)
    try:
        client.read(10)
        results["read_want_read"] = "no exception"
    except ssl.SSLWantReadError:
        results["read_want_read"] = "caught"
    except Exception as e:
        results["read_want_read"] = "missed %%r" %% (type(e),)

    # A failed handshake (hostname mismatch) is this interpreter's
    # SSLError and CertificateError.
    for clause in ("SSLError", "CertificateError"):
        client, server, bios = pair(server_ctx, client_ctx, "wrong.example")
        try:
            handshake(client, server, bios)
            results["mismatch_" + clause] = "no exception"
        except getattr(ssl, clause) as e:
            results["mismatch_" + clause] = "caught %%s" %% (e.verify_code,)
        except Exception as e:
            results["mismatch_" + clause] = "missed %%r" %% (type(e),)

    # A servername callback that raises: reported as unraisable, and the
    # server's handshake fails with this interpreter's SSLError.
    if hasattr(sys, "unraisablehook"):
        sys.unraisablehook = lambda unraisable: None
    else:
        sys.stderr = open(%(devnull)r, "w")     # 2.7: printed, not hooked
    sni_ctx = t.SSLContext(t.PROTOCOL_TLS_SERVER)
    sni_ctx.load_cert_chain(certdata + "/localhost-chain.pem",
                            certdata + "/localhost.key")
    sni_ctx.sni_callback = lambda obj, name, ctx: 1 // 0
    client, server, bios = pair(sni_ctx, client_ctx, "localhost")
    try:
        handshake(client, server, bios)
        results["sni_raises"] = "no exception"
    except ssl.SSLError:
        results["sni_raises"] = "caught"
    except Exception as e:
        results["sni_raises"] = "missed %%r" %% (type(e),)
    sys.stderr = sys.__stderr__

    # SSLError from a setter (context.c, no connection at hand).
    try:
        client_ctx.set_ciphers("NOT-A-CIPHER")
        results["set_ciphers"] = "no exception"
    except ssl.SSLError:
        results["set_ciphers"] = "caught"
    except Exception as e:
        results["set_ciphers"] = "missed %%r" %% (type(e),)

    # The graft, inside this interpreter.
    t.monkeypatch_ssl()
    try:
        results["grafted"] = ssl.SSLContext is t.SSLContext
        ctx = ssl.create_default_context(cafile=certdata + "/ca.pem")
        client, server, bios = pair(server_ctx, ctx, "localhost")
        handshake(client, server, bios)
        results["grafted_handshake"] = client.version()
        client, server, bios = pair(server_ctx, ctx, "wrong.example")
        # (2.7 and 3.6 grafted check names after the handshake with their
        # own match_hostname(): CertificateError without a verify_code.)
        try:
            handshake(client, server, bios)
            results["grafted_mismatch"] = "no exception"
        except ssl.CertificateError:
            results["grafted_mismatch"] = "caught"
    finally:
        t.restore_ssl()
    results["restored"] = not t.is_patched()
except Exception:
    results["error"] = traceback.format_exc()
with open(%(out)r, "w") as f:
    json.dump(results, f)
'''


def run_checks(run_in_subinterp, tmpdir):
    out = str(tmpdir.join("results.json"))
    code = CHECKS % dict(path=list(sys.path), certdata=CERTDATA,
                         names=HOST_CLASSES, out=out, devnull=os.devnull)
    assert run_in_subinterp(code) == 0
    with open(out) as f:
        results = json.load(f)
    assert "error" not in results, results["error"]
    return results


def main_interpreter_still_works():
    """In the main interpreter: its classes, and a WantRead it catches."""
    for name in HOST_CLASSES:
        assert getattr(_tls_bootstrap, name) is getattr(ssl, name), name
    client_ctx = _tls_bootstrap.SSLContext(_tls_bootstrap.PROTOCOL_TLS_CLIENT)
    client = client_ctx.wrap_bio(_tls_bootstrap.MemoryBIO(),
                                 _tls_bootstrap.MemoryBIO(),
                                 server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    # The submodules (shared by every interpreter's core on 2.7) are whole.
    assert _tls_bootstrap.crypto.X509().get_version() == 0
    assert _tls_bootstrap.rand.status() in (0, 1, True, False)
    assert not _tls_bootstrap.is_patched()
    assert ssl.SSLContext is not _tls_bootstrap.SSLContext


def test_subinterpreter_uses_its_own_ssl_classes(run_in_subinterp, tmpdir):
    results = run_checks(run_in_subinterp, tmpdir)
    assert results["same_classes"] == dict((name, True) for name in HOST_CLASSES)
    assert results["verify_error_is_hosts"] is True


def test_subinterpreter_catches_core_errors_with_its_own_classes(
        run_in_subinterp, tmpdir):
    results = run_checks(run_in_subinterp, tmpdir)
    assert results["want_read"] == "caught"
    assert results["read_want_read"] == "caught"
    assert results["mismatch_SSLError"] == "caught 62"
    assert results["mismatch_CertificateError"] == "caught 62"
    assert results["sni_raises"] == "caught"
    assert results["set_ciphers"] == "caught"


def test_graft_inside_a_subinterpreter(run_in_subinterp, tmpdir):
    results = run_checks(run_in_subinterp, tmpdir)
    assert results["grafted"] is True
    assert results["grafted_handshake"] == "TLSv1.3"
    assert results["grafted_mismatch"] == "caught"
    assert results["restored"] is True
    main_interpreter_still_works()


# Each callback records whether `import sys` inside it gives this
# interpreter's sys: PyGILState_Ensure() would run it in the main
# interpreter's thread state (it did, on 2.7, before callbackgil.c).
CALLBACK_CHECKS = r'''
import json, ssl, sys, traceback
sys.path[:0] = %(path)r
''' + BIO_HANDSHAKE + r'''
mine = sys
seen = {}
def record(name):
    import sys as current
    seen.setdefault(name, set()).add(current is mine)
try:
    import _tls_bootstrap as t
    certdata = %(certdata)r
    server_ctx = t.SSLContext(t.PROTOCOL_TLS_SERVER)
    # the password callback runs inside load_cert_chain, the GIL released
    server_ctx.load_cert_chain(certdata + "/localhost-chain.pem",
                               certdata + "/localhost-enc.key",
                               password=lambda: record("password") or "somepass")
    server_ctx.sni_callback = lambda obj, name, ctx: record("sni")
    client_ctx = t.SSLContext(t.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(certdata + "/ca.pem")
    client_ctx._msg_callback = lambda *args: record("msg")
    client, server, bios = pair(server_ctx, client_ctx, "localhost")
    handshake(client, server, bios)
    c_in, c_out, s_in, s_out = bios
    # a small read (made with the GIL held) that meets session tickets
    seen["msg_in_handshake"] = seen.pop("msg", set())
    server.write(b"x")
    c_in.write(s_out.read())
    assert client.read(1) == b"x"
    seen["msg_in_read"] = seen.pop("msg", set())
    # the pyOpenSSL layer's verify callback
    SSL = t.SSL
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.load_verify_locations((certdata + "/ca.pem").encode())
    ctx.set_verify(SSL.VERIFY_PEER, lambda *args: record("verify") or args[-1])
    server_ctx2 = SSL.Context(SSL.TLS_METHOD)
    server_ctx2.use_certificate_chain_file((certdata + "/localhost-chain.pem").encode())
    server_ctx2.use_privatekey_file((certdata + "/localhost.key").encode())
    client = SSL.Connection(ctx, None)
    client.set_connect_state()
    server = SSL.Connection(server_ctx2, None)
    server.set_accept_state()
    for _ in range(10):
        for end in (client, server):
            try:
                end.do_handshake()
            except SSL.WantReadError:
                pass
        for a, b in ((client, server), (server, client)):
            try:
                b.bio_write(a.bio_read(65536))
            except SSL.WantReadError:
                pass
    results = dict((name, sorted(values)) for name, values in seen.items())
except Exception:
    results = {"error": traceback.format_exc()}
with open(%(out)r, "w") as f:
    json.dump(results, f)
'''


def test_callbacks_run_in_the_interpreter_that_made_the_call(run_in_subinterp, tmpdir):
    out = str(tmpdir.join("callbacks.json"))
    code = CALLBACK_CHECKS % dict(path=list(sys.path), certdata=CERTDATA, out=out)
    assert run_in_subinterp(code) == 0
    with open(out) as f:
        results = json.load(f)
    assert "error" not in results, results["error"]
    assert results == {"password": [True], "sni": [True], "msg_in_handshake": [True],
                       "msg_in_read": [True], "verify": [True]}


def test_main_interpreter_works_after_subinterpreters_end(run_in_subinterp, tmpdir):
    main_interpreter_still_works()
    for _ in range(3):      # a new interpreter may reuse a freed one's address
        run_checks(run_in_subinterp, tmpdir)
        main_interpreter_still_works()


def test_subinterpreter_state_is_freed_when_it_ends(run_in_subinterp):
    """Each subinterpreter's state holds references to classes that the
    main interpreter shares with it (socket.error, and _ssl's classes
    before 3.10); once it ends they are given back."""
    import gc
    import socket
    shared = [cls for cls in (socket.error, ssl.SSLError, ssl.SSLWantReadError)
              if sys.getrefcount(cls) < 2 ** 30]      # 3.12+: immortal
    need(shared, "no mortal class shared with subinterpreters")
    code = "import sys; sys.path[:0] = %r\nimport _tls_bootstrap\n" % (sys.path,)

    def references():
        gc.collect()
        return [sys.getrefcount(cls) for cls in shared]

    assert run_in_subinterp(code) == 0
    before = references()
    for _ in range(10):
        assert run_in_subinterp(code) == 0
    assert references() == before
    main_interpreter_still_works()


# In a new process: the first import of all happens in a subinterpreter,
# which ends; then other subinterpreters and the main one import us.
FIRST_IN_SUBINTERPRETER = r'''
import os, sys
if sys.version_info[0] == 2:
    import imp
    run = imp.load_dynamic("_tlsb_subinterp", %(helper)r).run
else:
    from _testcapi import run_in_subinterp as run
CODE = r"""
import sys
sys.path[:0] = %(path)r
import ssl, _tls_bootstrap as t
ok = all(getattr(t, n) is getattr(ssl, n) for n in %(names)r)
o = t.SSLContext(t.PROTOCOL_TLS_CLIENT).wrap_bio(
    t.MemoryBIO(), t.MemoryBIO(), server_hostname="localhost")
try:
    o.do_handshake()
except ssl.SSLWantReadError:
    pass
else:
    ok = False
if not ok:
    raise RuntimeError("wrong classes")
"""
for _ in range(3):
    assert run(CODE) == 0
exec(CODE)
for _ in range(2):
    assert run(CODE) == 0
exec(CODE)
print("ok")
'''


def test_first_import_in_a_subinterpreter_that_ends(run_in_subinterp):
    import subprocess
    script = FIRST_IN_SUBINTERPRETER % dict(
        path=list(sys.path), names=HOST_CLASSES,
        helper=HELPER_LIBRARY[-1] if HELPER_LIBRARY else None)
    out = subprocess.check_output([sys.executable, "-c", script])
    assert out.strip() == b"ok"


ISOLATED = r'''
import sys
sys.path[:0] = %(path)r
try:
    import _tls_bootstrap_core
    outcome = "imported"
except ImportError as e:
    outcome = "ImportError: %%s" %% (e,)
with open(%(out)r, "w") as f:
    f.write(outcome)
'''


@pytest.mark.skipif(sys.version_info < (3, 12),
                    reason="interpreters with their own GIL arrived in 3.12")
def test_interpreter_with_its_own_gil_refuses_the_import(tmpdir):
    try:
        import _interpreters as interpreters            # 3.13
    except ImportError:
        import _xxsubinterpreters as interpreters       # 3.12
    out = str(tmpdir.join("isolated.txt"))
    interp = interpreters.create()      # "isolated": its own GIL
    try:
        interpreters.run_string(interp, ISOLATED % dict(path=list(sys.path), out=out))
    finally:
        interpreters.destroy(interp)
    with open(out) as f:
        outcome = f.read()
    assert outcome.startswith("ImportError: ")
    assert "_tls_bootstrap_core" in outcome
    main_interpreter_still_works()
