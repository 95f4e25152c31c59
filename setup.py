"""Build _tls_bootstrap: Lib/_tls_bootstrap.py and its compiled core.

Environment:
  OPENSSL_DIR=/prefix    build against the OpenSSL under /prefix (include/,
                         lib/) instead of the system's; lib/ goes on the
                         rpath so the same library is found at run time.
                         Debian's multiarch layout works (tools/fetch-openssl111).
  OPENSSL_STATIC=1       with OPENSSL_DIR: link its libssl.a/libcrypto.a in,
                         symbols hidden (coexists with the host's _ssl).
  TLSB_WERROR=1          turn compiler warnings into errors (CI does).
  TLSB_SANITIZE=address,undefined
                         a sanitizer build (gcc): -fsanitize=LIST with
                         -fno-sanitize-recover=undefined (a UB report aborts),
                         -fno-omit-frame-pointer -g -O1, compile and link.
                         The interpreter is not ASan-built: run it with
                         libasan LD_PRELOADed; tools/sanitize does all that.

A failed compile fails the install: the extension is the product.
These variables key the build: when any differs from what built the
extension in build/, it is compiled again (setuptools alone would reuse the
stale .so).
Runs on Python 2.7 and 3.6+.
"""
import os
import re
import sys
import sysconfig

from setuptools import setup, Extension
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "tools"))
import gen_error_names  # noqa: E402


def read_version():
    """The version lives in Lib/_tls_bootstrap.py alone."""
    with open(os.path.join(HERE, "Lib", "_tls_bootstrap.py")) as source:
        match = re.search(r'^__version__ = "([^"]+)"$', source.read(), re.M)
    if not match:
        raise RuntimeError("no __version__ in Lib/_tls_bootstrap.py")
    return match.group(1)


VERSION = read_version()


def openssl_build_args():
    """Extension arguments for the OpenSSL named by OPENSSL_DIR (default:
    the system's).  Understands a plain prefix (include/, lib/ or lib64/)
    and Debian's multiarch layout (lib/<triplet>/, include/<triplet>/).
    OPENSSL_STATIC=1 links the prefix's libssl.a/libcrypto.a into the
    module with their symbols hidden, so it coexists with the host's _ssl
    (and its libssl) in one process."""
    prefix = os.environ.get("OPENSSL_DIR")
    static = os.environ.get("OPENSSL_STATIC", "") not in ("", "0")
    if not prefix:
        if static:
            raise SystemExit("OPENSSL_STATIC=1 needs OPENSSL_DIR")
        return {"libraries": ["ssl", "crypto"]}
    triplets = [t for t in (sysconfig.get_config_var("MULTIARCH"),
                            "x86_64-linux-gnu", "aarch64-linux-gnu") if t]
    lib_dirs = [d for d in [os.path.join(prefix, "lib", t) for t in triplets]
                + [os.path.join(prefix, "lib64"), os.path.join(prefix, "lib")]
                if os.path.isfile(os.path.join(d, "libssl.a"))
                or os.path.isfile(os.path.join(d, "libssl.so"))]
    include_dirs = [d for d in [os.path.join(prefix, "include", t) for t in triplets]
                    + [os.path.join(prefix, "include")]
                    if os.path.isdir(os.path.join(d, "openssl"))]
    if not os.path.isdir(os.path.join(prefix, "include", "openssl")) or not lib_dirs:
        raise SystemExit("OPENSSL_DIR=%s has no include/openssl or lib/libssl" % prefix)
    if not static:
        return {"include_dirs": include_dirs, "library_dirs": lib_dirs[:1],
                "runtime_library_dirs": lib_dirs[:1],
                "libraries": ["ssl", "crypto"]}
    archives = [os.path.join(lib_dirs[0], "lib%s.a" % name) for name in ("ssl", "crypto")]
    for archive in archives:
        if not os.path.isfile(archive):
            raise SystemExit("OPENSSL_STATIC=1: no %s" % archive)
    return {"include_dirs": include_dirs, "extra_objects": archives,
            "libraries": ["dl", "pthread"],
            "extra_link_args": ["-Wl,--exclude-libs,ALL"]}


def sanitizer_args():
    """Compile and link flags for TLSB_SANITIZE (empty when unset).  -O1
    after the interpreter's -O2/-O3 wins; -g keeps report lines exact."""
    wanted = os.environ.get("TLSB_SANITIZE", "").strip()
    if not wanted:
        return []
    args = ["-fsanitize=" + wanted, "-fno-omit-frame-pointer", "-g", "-O1"]
    if "undefined" in wanted.split(","):
        args.append("-fno-sanitize-recover=undefined")
    return args


# The environment variables above; a change in any forces a rebuild.
BUILD_OPTIONS = ("OPENSSL_DIR", "OPENSSL_STATIC", "TLSB_SANITIZE", "TLSB_WERROR")


def build_options_key():
    """One line naming the build options in effect (and the interpreter)."""
    return "%s %s\n" % (sys.executable, " ".join(
        "%s=%s" % (name, os.environ.get(name, "")) for name in BUILD_OPTIONS))


class BuildExt(build_ext):
    """Generates the OpenSSL error-name table before compiling, with the
    same compiler and include path the extension will be compiled with,
    and rebuilds when the build options changed since the last build."""

    def _options_changed(self):
        stamp = os.path.join(self.build_temp, "tlsb_build_options.txt")
        try:
            with open(stamp) as previous:
                changed = previous.read() != build_options_key()
        except (IOError, OSError):
            changed = True      # no record: the .so (if any) is of unknown make
        return stamp, changed

    def build_extension(self, ext):
        stamp, changed = self._options_changed()
        if changed:
            self.force = True
        generated = os.path.join(self.build_temp, "tlsb_generated")
        command = list(self.compiler.compiler_so)
        command += ["-I" + d for d in ext.include_dirs + self.include_dirs]
        command += ["-D%s=%s" % (name, value or "1")
                    for name, value in ext.define_macros]
        gen_error_names.generate(os.path.join(generated, "error_names.h"),
                                 command)
        ext.include_dirs.insert(0, generated)
        ext.define_macros.append(("TLSB_HAVE_GENERATED_ERROR_NAMES", "1"))
        if os.environ.get("TLSB_WERROR"):
            ext.extra_compile_args.append("-Werror")
        sanitize = sanitizer_args()
        ext.extra_compile_args.extend(sanitize)
        ext.extra_link_args.extend(sanitize)
        build_ext.build_extension(self, ext)
        with open(stamp, "w") as record:
            record.write(build_options_key())


openssl = openssl_build_args()

core = Extension(
    "_tls_bootstrap_core",
    sources=["Modules/_tls_bootstrap.c"],
    depends=sorted(
        os.path.join("Modules", "_tls_bootstrap", name)
        for name in os.listdir(os.path.join(HERE, "Modules", "_tls_bootstrap"))
    ),
    include_dirs=["Modules"] + openssl.pop("include_dirs", []),
    define_macros=[("TLSB_VERSION", '"%s"' % VERSION)],
    extra_compile_args=["-Wall", "-std=gnu99"],
    **openssl
)

with open(os.path.join(HERE, "README.md")) as readme:
    long_description = readme.read()

setup(
    name="tls-bootstrap",   # the import names are _tls_bootstrap and _tls_bootstrap_core
    version=VERSION,
    description="The modern ssl module (MemoryBIO, SSLObject, TLS 1.3 controls) "
                "for CPython 2.7 and 3.6+, opt-in",
    long_description=long_description,
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    author="The _tls_bootstrap authors",
    platforms=["POSIX"],
    package_dir={"": "Lib"},
    py_modules=["_tls_bootstrap", "_tls_bootstrap_cli", "_tls_bootstrap_SSL",
                "_tls_bootstrap_pyopenssl"],
    # PEP 561 type stubs for _tls_bootstrap, its crypto and rand.
    packages=["_tls_bootstrap-stubs"],
    package_data={"_tls_bootstrap-stubs": ["*.pyi", "py.typed"]},
    ext_modules=[core],
    cmdclass={"build_ext": BuildExt},
    python_requires=">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*, !=3.5.*",
    zip_safe=False,
    classifiers=[
        "Development Status :: 4 - Beta",
        "Intended Audience :: Developers",
        "Intended Audience :: System Administrators",
        "License :: OSI Approved :: Apache Software License",
        "Operating System :: POSIX",
        "Operating System :: POSIX :: Linux",
        "Programming Language :: C",
        "Programming Language :: Python :: 2",
        "Programming Language :: Python :: 2.7",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.6",
        "Programming Language :: Python :: 3.7",
        "Programming Language :: Python :: 3.8",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Programming Language :: Python :: Implementation :: CPython",
        "Topic :: Internet",
        "Topic :: Security :: Cryptography",
    ],
)
