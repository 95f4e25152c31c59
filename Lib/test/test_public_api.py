"""The public face of _tls_bootstrap: what `import *` gives, a docstring
of ours on every public class, function, method and property (the
compiled ones included), and SSLSocket as a context manager on its own,
as in 3.13."""
import re
import socket
import ssl
import sys
import types

import pytest

import _tls_bootstrap as tlsb
import _tls_bootstrap_core
import tlsb_support
from tlsb_peers import ThreadedServer

# Classes whose members are someone else's: the host's and the builtins'.
_FOREIGN_MODULES = ("builtins", "__builtin__", "exceptions", "socket", "_socket",
                    "enum", "ssl", "_ssl", "abc")
_SIGNATURE_ONLY = re.compile(r"^\s*[\w.]+\(.*\)\s*(\n\s*--\s*)?$", re.S)


def _host_objects():
    return set(id(value) for value in vars(ssl).values())


def _is_ours(value):
    return id(value) not in _HOST_IDS and getattr(
        value, "__module__", None) not in _FOREIGN_MODULES


_HOST_IDS = _host_objects()


def _has_text(doc):
    """A docstring that says something: not empty, not a bare signature."""
    return bool(doc and doc.strip()) and not _SIGNATURE_ONLY.match(doc)


def _undocumented(namespace, prefix):
    """Public names of `namespace` (a module) whose object, or whose public
    member, lacks a docstring of its own."""
    missing = []
    for name in sorted(getattr(namespace, "__all__", None) or dir(namespace)):
        if name.startswith("_"):
            continue
        value = getattr(namespace, name)
        if isinstance(value, (int, float, str, bytes, tuple, list, dict,
                              types.ModuleType)) or not _is_ours(value):
            continue
        if not _has_text(value.__doc__):
            missing.append(prefix + name)
        if not isinstance(value, type):
            continue
        for klass in value.__mro__:
            if klass is object or klass.__module__ in _FOREIGN_MODULES:
                continue
            for attribute, member in vars(klass).items():
                if attribute.startswith("_") or isinstance(
                        member, (int, float, str, bytes)) or \
                        isinstance(member, value):      # enum members
                    continue
                if not _has_text(getattr(member, "__doc__", None)):
                    missing.append("%s%s.%s (from %s)" % (
                        prefix, name, attribute, klass.__name__))
    return missing


def test_star_import_gives_the_api_not_the_modules_it_uses():
    namespace = {}
    exec("from _tls_bootstrap import *", namespace)
    for helper in ("os", "sys", "base64", "warnings", "socket_error",
                   "absolute_import"):
        assert helper not in namespace
    for api in ("SSLContext", "SSLSocket", "SSLObject", "MemoryBIO",
                "SSLError", "create_default_context", "monkeypatch_ssl",
                "restore_ssl", "is_patched", "PROTOCOL_TLS_CLIENT",
                "OP_NO_COMPRESSION", "CERT_REQUIRED", "TLSVersion",
                "crypto", "rand", "get_server_certificate"):
        assert api in namespace, api
    assert all(not name.startswith("_") for name in tlsb.__all__)
    assert sorted(tlsb.__all__) == tlsb.__all__


def test_every_public_name_has_a_docstring():
    missing = _undocumented(tlsb, "")
    missing += _undocumented(tlsb.crypto, "crypto.")
    missing += _undocumented(tlsb.rand, "rand.")
    assert missing == []


def test_compiled_members_say_more_than_a_signature():
    """The core's own types, read directly (SSLContext's properties
    override some of them)."""
    missing = []
    for klass in (_tls_bootstrap_core._SSLContext,
                  _tls_bootstrap_core._Connection, tlsb.MemoryBIO,
                  tlsb.SSLSession, _tls_bootstrap_core.Certificate):
        for attribute, member in vars(klass).items():
            if attribute.startswith("__"):
                continue
            if not _has_text(getattr(member, "__doc__", None)):
                missing.append("%s.%s" % (klass.__name__, attribute))
    assert missing == []


def test_the_checker_refuses_a_bare_signature():
    assert not _has_text("cert_store_stats()")
    assert not _has_text("set_ciphers(cipherlist, /)\n--\n\n")
    assert not _has_text("")
    assert _has_text("set_ciphers(cipherlist, /)\n--\n\nChoose the ciphers.")


def test_module_docstring_is_for_users():
    doc = tlsb.__doc__
    assert "monkeypatch_ssl()" in doc and "restore_ssl()" in doc
    assert "Rules of this file" not in doc


def echo_once_server():
    context = tlsb_support.server_context(tlsb)

    def handler(plain):
        tls = context.wrap_socket(plain, server_side=True)
        try:
            tls.sendall(tls.recv(16))
        finally:
            tls.close()
    return ThreadedServer(handler)


@pytest.mark.parametrize("impl", tlsb_support.implementations(),
                         ids=tlsb_support.impl_id)
def test_sslsocket_is_a_context_manager_that_closes(impl):
    with echo_once_server() as server:
        ctx = tlsb_support.client_context(impl)
        raw = socket.create_connection(server.address, timeout=10)
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            assert isinstance(tls, impl.SSLSocket)
            tls.sendall(b"ping")
            assert tls.recv(16) == b"ping"
        if sys.version_info[0] > 2:
            assert tls.fileno() == -1
        with pytest.raises(socket.error):
            tls.sendall(b"after close")
