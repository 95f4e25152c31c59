"""The type stubs: shipped beside the module (PEP 561 stub package with
py.typed), the typed example program runs, and mypy (where installed: tox
env typing) accepts it and rejects a wrong call."""
import os
import subprocess
import sys

import pytest

import _tls_bootstrap
from tlsb_support import certfile

HERE = os.path.dirname(os.path.abspath(__file__))


def test_stub_package_is_installed_beside_the_module():
    site = os.path.dirname(os.path.abspath(_tls_bootstrap.__file__))
    stubs = os.path.join(site, "_tls_bootstrap-stubs")
    for name in ("__init__.pyi", "crypto.pyi", "rand.pyi", "py.typed"):
        assert os.path.isfile(os.path.join(stubs, name)), name


def test_submodules_import_by_dotted_name_as_the_stubs_say():
    from _tls_bootstrap.crypto import X509
    import _tls_bootstrap.rand
    assert X509 is _tls_bootstrap.crypto.X509
    assert _tls_bootstrap.rand.bytes(4) != _tls_bootstrap.rand.bytes(4)


@pytest.mark.skipif(sys.version_info < (3, 6), reason="the example has annotations")
def test_typed_example_program_runs():
    sys.path.insert(0, HERE)
    try:
        import typing_example
    finally:
        sys.path.remove(HERE)
    version, cipher = typing_example.handshake_in_memory(
        certfile("localhost-chain.pem"), certfile("localhost.key"), "localhost")
    assert version.startswith("TLSv1.") and cipher
    with open(certfile("localhost.pem"), "rb") as pem:
        assert typing_example.subject_of(pem.read())["CN"] == "localhost"
    assert typing_example.graft_and_undo() is False


def mypy(*args):
    pytest.importorskip("mypy")
    child = subprocess.Popen([sys.executable, "-m", "mypy", "--no-incremental"] + list(args),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=HERE)
    out = child.communicate()[0]
    return child.returncode, out.decode("utf-8")


def test_mypy_accepts_the_typed_example():
    status, out = mypy("--strict", os.path.join(HERE, "typing_example.py"))
    assert status == 0, out


def test_mypy_rejects_a_wrong_call(tmpdir):
    wrong = tmpdir.join("wrong.py")
    wrong.write("import _tls_bootstrap\n"
                "context = _tls_bootstrap.create_default_context()\n"
                "context.wrap_bio(1, 2)\n"
                "name: int = _tls_bootstrap.crypto.X509().get_subject()\n")
    status, out = mypy("--strict", str(wrong))
    assert status == 1
    assert 'Argument 1 to "wrap_bio" of "SSLContext" has incompatible type "int"' in out
    assert 'expression has type "X509Name", variable has type "int"' in out
