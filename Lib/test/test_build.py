"""The build: version in one place, the OpenSSL we were built against and
run with, the host's exception classes reused, and the main job."""
import os
import re
import subprocess
import sys

import _tls_bootstrap
import _tls_bootstrap_core
import ssl

HERE = os.path.dirname(os.path.abspath(__file__))


def test_version_of_module_and_core_agree():
    assert re.match(r"^\d+\.\d+\.\d+", _tls_bootstrap.__version__)
    assert _tls_bootstrap_core.__version__ == _tls_bootstrap.__version__


def test_installed_copy_is_tested_not_the_source_tree():
    source_lib = os.path.normpath(os.path.join(HERE, os.pardir))
    assert os.path.dirname(os.path.abspath(_tls_bootstrap.__file__)) != source_lib


def test_reports_openssl_built_against_and_running_with():
    assert _tls_bootstrap.OPENSSL_BUILD_VERSION.startswith("OpenSSL ")
    assert _tls_bootstrap.OPENSSL_VERSION.startswith("OpenSSL ")
    info = _tls_bootstrap.OPENSSL_VERSION_INFO
    assert len(info) == 5 and info[0] in (1, 3)
    if sys.version_info >= (3, 10) and not os.environ.get("OPENSSL_DIR"):
        # The same libssl as the host's _ssl on this image: same report.
        assert _tls_bootstrap.OPENSSL_VERSION_INFO == ssl.OPENSSL_VERSION_INFO
        assert _tls_bootstrap.OPENSSL_VERSION == ssl.OPENSSL_VERSION


def test_main_job_runs_and_names_both_openssl_versions():
    out = subprocess.check_output([sys.executable, "-m", "_tls_bootstrap"],
                                  cwd=HERE)
    text = out.decode("utf-8")
    assert "OpenSSL built against" in text
    assert "OpenSSL running with" in text
