"""What a packager and a newcomer meet: the build's messages and options,
the licence and metadata of the installed distribution, and what the sdist
ships (enough to run this suite from it)."""
import glob
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

import _tls_bootstrap

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.normpath(os.path.join(HERE, os.pardir, os.pardir))
HAVE_SOURCE = os.path.isfile(os.path.join(SOURCE_ROOT, "setup.py"))
needs_source = pytest.mark.skipif(not HAVE_SOURCE, reason="no setup.py beside Lib/test")


def installed_dist_info():
    """The .dist-info directory of the installed tls-bootstrap."""
    site = os.path.dirname(os.path.abspath(_tls_bootstrap.__file__))
    found = glob.glob(os.path.join(site, "tls_bootstrap-%s.dist-info"
                                   % _tls_bootstrap.__version__))
    if not found:
        pytest.skip("tls-bootstrap not installed from a wheel beside %s" % site)
    return found[0]


def test_installed_metadata_names_apache_license_and_supported_pythons():
    with open(os.path.join(installed_dist_info(), "METADATA")) as metadata:
        text = metadata.read()
    assert "\nName: tls-bootstrap\n" in text
    assert "\nLicense: Apache-2.0\n" in text
    assert "Classifier: License :: OSI Approved :: Apache Software License" in text
    for version in ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"):
        assert "Classifier: Programming Language :: Python :: %s\n" % version in text


def test_wheel_carries_the_license_text():
    dist_info = installed_dist_info()
    licenses = [path for path in glob.glob(os.path.join(dist_info, "*")) +
                glob.glob(os.path.join(dist_info, "licenses", "*"))
                if os.path.basename(path) == "LICENSE"]
    assert licenses, os.listdir(dist_info)
    with open(licenses[0]) as text:
        assert "Apache License" in text.read()


@needs_source
def test_missing_openssl_headers_is_one_line_naming_the_package(tmpdir):
    sys.path.insert(0, os.path.join(SOURCE_ROOT, "tools"))
    try:
        import gen_error_names
    finally:
        sys.path.pop(0)
    # -nostdinc hides /usr/include, as a machine without libssl-dev would;
    # the (empty) -I directory is searched instead.
    with pytest.raises(SystemExit) as caught:
        gen_error_names.generate(str(tmpdir.join("error_names.h")),
                                 ["cc", "-nostdinc", "-I" + str(tmpdir)])
    message = str(caught.value)
    assert "\n" not in message
    assert "openssl/opensslv.h" in message
    assert "libssl-dev" in message and "openssl-devel" in message
    assert "OPENSSL_DIR" in message


@needs_source
def test_sdist_ships_what_the_suite_and_tox_need(tmpdir):
    pytest.importorskip("setuptools")
    work = str(tmpdir)
    subprocess.check_call(
        [sys.executable, "setup.py", "-q", "egg_info", "-e", work,
         "sdist", "-d", work], cwd=SOURCE_ROOT,
        stdout=subprocess.PIPE if sys.version_info[0] > 2 else None)
    archive, = glob.glob(os.path.join(work, "tls-bootstrap-*.tar.gz")) or \
        glob.glob(os.path.join(work, "tls_bootstrap-*.tar.gz"))
    with tarfile.open(archive) as tar:
        names = set(name.split("/", 1)[1] for name in tar.getnames() if "/" in name)
    for needed in ("LICENSE", "README.md", "setup.py", "setup.cfg", "tox.ini",
                   "tools/gen_error_names.py", "tools/test-all",
                   "tools/fetch-openssl111", "tools/sanitize", "tools/fuzz",
                   "tools/soak", "tools/valgrind.supp",
                   "fuzz/fuzz_inputs.py", "Lib/test/test_fuzz_regressions.py",
                   "Lib/_tls_bootstrap_cli.py", "Lib/_tls_bootstrap-stubs/__init__.pyi",
                   "Lib/_tls_bootstrap-stubs/crypto.pyi", "Lib/_tls_bootstrap-stubs/py.typed",
                   "tools/stubtest-allowlist.txt"):
        assert needed in names, needed
    assert [n for n in names if n.startswith("fuzz/corpus/")]
    assert [n for n in names if n.startswith("fuzz/regressions/")]
    assert not [n for n in names if n.endswith((".pyc", ".so"))]


def _built_core(build_lib):
    found = glob.glob(os.path.join(build_lib, "_tls_bootstrap_core*.so"))
    assert len(found) == 1, found
    return found[0]


@needs_source
@pytest.mark.skipif(not os.environ.get("TLSB_BUILD_TESTS"),
                    reason="compiles the core twice; TLSB_BUILD_TESTS=1 runs it "
                           "(tox env sdist does)")
def test_changed_build_options_rebuild_and_same_options_reuse(tmpdir):
    pytest.importorskip("setuptools")
    source = str(tmpdir.join("src"))
    shutil.copytree(SOURCE_ROOT, source, ignore=shutil.ignore_patterns(
        ".*", "build", "*.egg-info", "bench", "fuzz", "patches", "Lib"))
    os.makedirs(os.path.join(source, "Lib"))
    shutil.copy(os.path.join(SOURCE_ROOT, "Lib", "_tls_bootstrap.py"),
                os.path.join(source, "Lib"))
    build_lib = str(tmpdir.join("lib"))

    def build(**options):
        env = dict((k, v) for k, v in os.environ.items()
                   if k not in ("OPENSSL_DIR", "OPENSSL_STATIC", "TLSB_SANITIZE",
                                "TLSB_WERROR"))
        env.update(options)
        subprocess.check_call([sys.executable, "setup.py", "-q", "build_ext",
                               "-b", build_lib, "-t", str(tmpdir.join("tmp"))],
                              cwd=source, env=env)
        return os.stat(_built_core(build_lib)).st_mtime

    # Whole seconds: 2.7's float mtimes do not round-trip through utime().
    old = int(build(TLSB_WERROR="1")) - 10
    os.utime(_built_core(build_lib), (old, old))
    assert int(build(TLSB_WERROR="1")) == old       # same options: reused
    assert int(build()) > old                       # TLSB_WERROR dropped: rebuilt
