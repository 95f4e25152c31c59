"""Build _tls_bootstrap: Lib/_tls_bootstrap.py and its compiled core.

Environment:
  OPENSSL_DIR=/prefix    build against the OpenSSL under /prefix (include/,
                         lib/) instead of the system's; lib/ goes on the
                         rpath so the same library is found at run time.
  TLSB_WERROR=1          turn compiler warnings into errors (CI does).

A failed compile fails the install: the extension is the product.
Runs on Python 2.7 and 3.6+.
"""
import os
import re
import sys

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


def openssl_locations():
    prefix = os.environ.get("OPENSSL_DIR")
    if not prefix:
        return [], [], []
    lib_dirs = [d for d in (os.path.join(prefix, "lib64"),
                            os.path.join(prefix, "lib"))
                if os.path.isdir(d)]
    if not os.path.isdir(os.path.join(prefix, "include", "openssl")) or not lib_dirs:
        raise SystemExit("OPENSSL_DIR=%s has no include/openssl or lib/" % prefix)
    return [os.path.join(prefix, "include")], lib_dirs, lib_dirs


class BuildExt(build_ext):
    """Generates the OpenSSL error-name table before compiling, with the
    same compiler and include path the extension will be compiled with."""

    def build_extension(self, ext):
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
        build_ext.build_extension(self, ext)


include_dirs, library_dirs, runtime_dirs = openssl_locations()

core = Extension(
    "_tls_bootstrap_core",
    sources=["Modules/_tls_bootstrap.c"],
    depends=sorted(
        os.path.join("Modules", "_tls_bootstrap", name)
        for name in os.listdir(os.path.join(HERE, "Modules", "_tls_bootstrap"))
    ),
    include_dirs=["Modules"] + include_dirs,
    library_dirs=library_dirs,
    runtime_library_dirs=runtime_dirs,
    libraries=["ssl", "crypto"],
    define_macros=[("TLSB_VERSION", '"%s"' % VERSION)],
    extra_compile_args=["-Wall", "-std=gnu99"],
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
    license="PSF-2.0",
    package_dir={"": "Lib"},
    py_modules=["_tls_bootstrap"],
    ext_modules=[core],
    cmdclass={"build_ext": BuildExt},
    python_requires=">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*, !=3.5.*",
    zip_safe=False,
    classifiers=[
        "Programming Language :: Python :: 2.7",
        "Programming Language :: Python :: 3",
        "Programming Language :: C",
        "Topic :: Security :: Cryptography",
    ],
)
