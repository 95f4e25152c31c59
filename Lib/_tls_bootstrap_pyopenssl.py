"""inject_pyopenssl() / extract_pyopenssl(): our pyOpenSSL API as `OpenSSL`.

Rules of this file: nothing happens on import.  inject_pyopenssl() puts
modules named OpenSSL, OpenSSL.SSL, OpenSSL.crypto, OpenSSL.rand,
OpenSSL.version and OpenSSL._util into sys.modules, after noting what each
name held; extract_pyopenssl() puts exactly that back (the same objects,
or no entry).  Inject refuses while the real pyOpenSSL is imported: its
objects and ours (two different OpenSSL builds) must not meet.

OpenSSL._util exists because some consumers import `OpenSSL._util.lib` at
module level (and use it only on OpenSSL older than 1.1): its `lib` and
`ffi` are not cffi bindings, and any attribute read on them raises
AttributeError saying so; the one exception is `ffi.NULL`, a plain
sentinel equal only to itself, because code (pyOpenSSL's own test_crypto)
names it at module level, e.g. in pytest parameters.
"""
import sys
import types
# threading.Lock itself, without threading's import time (2.4M
# instructions on 2.7, where the host's ssl does not import it)
try:
    from _thread import allocate_lock as _Lock
except ImportError:     # 2.7
    from thread import allocate_lock as _Lock

import _tls_bootstrap_core as _core
import _tls_bootstrap_SSL as _SSL

# The pyOpenSSL release whose API these modules provide.
PYOPENSSL_API_VERSION = "21.0.0"

_NAMES = ("OpenSSL", "OpenSSL.SSL", "OpenSSL.crypto", "OpenSSL.rand",
          "OpenSSL.version", "OpenSSL._util")
_MISSING = object()
_lock = _Lock()
_saved = {}        # name -> what sys.modules held before inject (or _MISSING)
_installed = {}    # name -> the module we put there


class _Null(object):
    """Stands for cffi's NULL pointer constant; it points at nothing."""

    def __repr__(self):
        return "<OpenSSL._util.ffi.NULL: not a cffi pointer (_tls_bootstrap)>"


class _NotCffiBindings(object):
    """Stands where pyOpenSSL has its cffi `lib`/`ffi`: there are none."""

    def __init__(self, name):
        self._name = name
        if name == "ffi":
            self.NULL = _Null()

    def __getattr__(self, attribute):
        raise AttributeError(
            "OpenSSL._util.%s.%s: this OpenSSL package is _tls_bootstrap's "
            "pyOpenSSL API (inject_pyopenssl()), which has no cffi bindings"
            % (self._name, attribute))

    def __repr__(self):
        return "<OpenSSL._util.%s: not cffi bindings (_tls_bootstrap)>" % self._name


def _module(name, doc, **attributes):
    module = types.ModuleType(name, doc)
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


def _build():
    version = _module(
        "OpenSSL.version", "Which pyOpenSSL API this is, and who provides it.",
        __version__=PYOPENSSL_API_VERSION, __title__="pyOpenSSL",
        __summary__="pyOpenSSL's API on the interpreter's own OpenSSL "
                    "(_tls_bootstrap)",
        __uri__="", __author__="the _tls_bootstrap authors", __email__="",
        __license__="that of the _tls_bootstrap distribution", __copyright__="",
        __provider__="_tls_bootstrap %s" % _core.__version__)
    util = _module("OpenSSL._util", _NotCffiBindings.__doc__,
                   lib=_NotCffiBindings("lib"), ffi=_NotCffiBindings("ffi"))
    package = _module(
        "OpenSSL", "pyOpenSSL %s's API from _tls_bootstrap "
                   "(inject_pyopenssl())." % PYOPENSSL_API_VERSION,
        __path__=[], __version__=PYOPENSSL_API_VERSION,
        __all__=["SSL", "crypto", "rand", "__version__"],
        SSL=_SSL, crypto=_core.crypto, rand=_core.rand,
        version=version, _util=util)
    return {"OpenSSL": package, "OpenSSL.SSL": _SSL,
            "OpenSSL.crypto": _core.crypto, "OpenSSL.rand": _core.rand,
            "OpenSSL.version": version, "OpenSSL._util": util}


def inject_pyopenssl():
    """Make `import OpenSSL` (and its SSL, crypto, rand, version) give
    _tls_bootstrap's pyOpenSSL API.  Refuses (RuntimeError) if the real
    pyOpenSSL is already imported.  Calling it again changes nothing."""
    with _lock:
        if _installed:
            return
        present = [name for name in _NAMES if sys.modules.get(name) is not None]
        if present:
            raise RuntimeError(
                "inject_pyopenssl(): pyOpenSSL is already imported (%s); "
                "call it before anything imports OpenSSL, so that objects "
                "of the two libraries never mix" % ", ".join(present))
        modules = _build()
        for name in _NAMES:
            _saved[name] = sys.modules.get(name, _MISSING)
        for name in _NAMES:
            sys.modules[name] = modules[name]
        _installed.update(modules)


def extract_pyopenssl():
    """Undo inject_pyopenssl(): sys.modules holds again exactly what it
    held before (entries we put there and nobody replaced)."""
    with _lock:
        for name in _NAMES:
            if name not in _installed:
                continue
            if sys.modules.get(name) is _installed[name]:
                previous = _saved[name]
                if previous is _MISSING:
                    del sys.modules[name]
                else:
                    sys.modules[name] = previous
        _installed.clear()
        _saved.clear()


def is_pyopenssl_injected():
    """Whether inject_pyopenssl() is in effect."""
    return bool(_installed)
