"""What `import _tls_bootstrap` does and leaves for later (issue 15: it may
cost at most 1.2x `import ssl`; bench/startup.py measures it).  Each check
runs in a fresh interpreter, as a user's first import would."""
import subprocess
import sys
import textwrap

import pytest

import _tls_bootstrap
import _tls_bootstrap_core


def run_fresh(code):
    """Run `code` in a new interpreter; return what it printed."""
    output = subprocess.check_output(
        [sys.executable, "-c", textwrap.dedent(code)], stderr=subprocess.STDOUT)
    return output.decode("ascii", "replace").strip()


def test_import_loads_only_our_own_modules_beyond_the_host_ssl():
    # threading, traceback and weakref cost more than the rest of the
    # import on 2.7 and 3.13; nothing of ours needs them at import.  Modules
    # built into the interpreter (2.7's imp, _weakref) cost nothing to
    # import: whether site.py already did depends on the installation.
    added = run_fresh("""
        import sys, ssl
        before = set(sys.modules)
        import _tls_bootstrap
        print(" ".join(sorted(name for name in set(sys.modules) - before
                              if sys.modules[name] is not None
                              and name not in sys.builtin_module_names)))
    """).split()
    assert "_tls_bootstrap_core" in added
    assert [name for name in added if not name.startswith("_tls_bootstrap")] == []


def test_pyopenssl_ssl_api_runs_at_first_use_as_one_module_object():
    assert run_fresh("""
        import sys, _tls_bootstrap
        module = sys.modules["_tls_bootstrap_SSL"]
        assert module is _tls_bootstrap.SSL
        assert "Context" not in vars(module), "loaded at import"
        import _tls_bootstrap_SSL
        assert _tls_bootstrap_SSL is module and "Context" not in vars(module)
        context = _tls_bootstrap.SSL.Context(_tls_bootstrap.SSL.TLS_METHOD)
        assert type(context) is vars(module)["Context"]
        from _tls_bootstrap_SSL import Connection
        assert Connection is module.Connection
        assert "Connection" in dir(module)
        _tls_bootstrap.inject_pyopenssl()
        from OpenSSL import SSL
        assert SSL is module
        try:
            module.no_such_name
        except AttributeError:
            pass
        else:
            raise AssertionError("no AttributeError")
        print("ok")
    """) == "ok"


def test_walking_sys_modules_for_file_and_path_does_not_load_the_ssl_api():
    # 2.7's regrtest does this at import, iterating sys.modules itself: a
    # load there (it imports modules) was "dictionary changed size during
    # iteration" in every 2.7 host suite, grafted
    assert run_fresh("""
        import sys, _tls_bootstrap
        for module in sys.modules.values() if sys.version_info[0] > 2 \
                else sys.modules.itervalues():
            if hasattr(module, "__path__"):
                module.__path__ = list(module.__path__)
            if hasattr(module, "__file__"):
                module.__file__ = module.__file__
        print("Context" in vars(sys.modules["_tls_bootstrap_SSL"]))
        print(_tls_bootstrap.SSL.Context.__name__)
    """).split() == ["False", "Context"]


def test_pyopenssl_ssl_api_is_loaded_once_when_threads_race_to_it():
    assert run_fresh("""
        import threading, _tls_bootstrap
        seen = []
        start = threading.Event()

        def first_use():
            start.wait()
            seen.append(_tls_bootstrap.SSL.Context)

        threads = [threading.Thread(target=first_use) for _ in range(8)]
        for thread in threads:
            thread.start()
        start.set()
        for thread in threads:
            thread.join()
        assert len(seen) == 8 and len(set(map(id, seen))) == 1, seen
        print("ok")
    """) == "ok"


def test_pyopenssl_ssl_api_still_loads_after_a_reload_of_the_module():
    assert run_fresh("""
        import sys, _tls_bootstrap
        try:
            from importlib import reload
        except ImportError:
            pass        # 2.7's builtin
        first = _tls_bootstrap.SSL
        reload(_tls_bootstrap)
        assert _tls_bootstrap.SSL is first is sys.modules["_tls_bootstrap_SSL"]
        assert first.Context.__name__ == "Context"
        print("ok")
    """) == "ok"


@pytest.mark.skipif(sys.version_info[0] == 2,
                    reason="2.7 cannot defer a module attribute")
def test_msg_callback_enums_are_made_at_first_use():
    assert run_fresh("""
        import _tls_bootstrap
        names = ("_TLSContentType", "_TLSAlertType", "_TLSMessageType")
        assert not any(name in vars(_tls_bootstrap) for name in names)
        assert _tls_bootstrap._TLSAlertType.HANDSHAKE_FAILURE == 40
        assert _tls_bootstrap._TLSMessageType(1).name == "CLIENT_HELLO"
        print("ok")
    """) == "ok"


@pytest.mark.skipif(sys.version_info[0] != 2, reason="2.7's own enum class")
def test_msg_callback_enum_members_are_made_at_first_use_on_27():
    assert run_fresh("""
        import _tls_bootstrap
        alerts = _tls_bootstrap._TLSAlertType
        assert "HANDSHAKE_FAILURE" not in vars(alerts)
        assert alerts.HANDSHAKE_FAILURE == 40 and len(alerts) == 34
        assert "HANDSHAKE_FAILURE" in vars(alerts)
        assert _tls_bootstrap._TLSMessageType(1).name == "CLIENT_HELLO"
        assert list(_tls_bootstrap._TLSContentType)[0].name == "CHANGE_CIPHER_SPEC"
        print("ok")
    """) == "ok"


def test_core_hands_over_its_constants_grouped_in_value_order():
    groups = _tls_bootstrap_core._CONSTANT_GROUPS
    core = vars(_tls_bootstrap_core)
    for prefix in ("PROTOCOL_", "OP_", "ALERT_DESCRIPTION_", "SSL_ERROR_",
                   "VERIFY_", "CERT_", "HAS_", "PROTO_"):
        names = [name for name in core if name.startswith(prefix)]
        expected = sorted(((name, core[name]) for name in names),
                          key=lambda item: (item[1], item[0]))
        assert list(groups[prefix]) == expected, prefix
        for name, value in groups[prefix]:
            assert value is core[name]
    # an alias follows the name that owns its value, so the enum's member
    # is named for the owner
    assert _tls_bootstrap.PROTOCOL_SSLv23 is _tls_bootstrap.PROTOCOL_TLS
    assert _tls_bootstrap.PROTOCOL_TLS.name == "PROTOCOL_TLS"


def test_openssl_is_ready_for_crypto_and_errors_before_any_context():
    # the core no longer registers every cipher and digest and libssl's
    # strings at import: what needs them gets them at first use
    assert run_fresh("""
        from _tls_bootstrap import crypto
        import _tls_bootstrap
        key = crypto.PKey()
        key.generate_key(crypto.TYPE_RSA, 2048)
        cert = crypto.X509()
        cert.get_subject().CN = "fresh"
        cert.set_issuer(cert.get_subject())
        cert.set_pubkey(key)
        cert.gmtime_adj_notBefore(0)
        cert.gmtime_adj_notAfter(60)
        cert.sign(key, "sha256")
        assert b"sha256" in bytes(cert.get_signature_algorithm())
        pem = crypto.dump_privatekey(crypto.FILETYPE_PEM, key, "aes-256-cbc", b"pw")
        assert crypto.load_privatekey(crypto.FILETYPE_PEM, pem, b"pw").bits() == 2048
        try:
            crypto.load_certificate(crypto.FILETYPE_PEM, b"garbage")
        except crypto.Error as exc:
            library, function, reason = exc.args[0][0]
            assert library == "PEM routines" and reason == "no start line", exc
        try:
            _tls_bootstrap.SSLContext(_tls_bootstrap.PROTOCOL_TLS_CLIENT).load_cert_chain(
                "/dev/null")
        except _tls_bootstrap.SSLError as exc:
            assert exc.library and exc.reason, exc
        print("ok")
    """) == "ok"
