"""_tls_bootstrap.rand: pyOpenSSL's OpenSSL.rand of its 2.7-era releases."""
import os
import sys

import pytest

import _tls_bootstrap
from _tls_bootstrap import rand


def test_rand_is_a_module_attribute_of_tls_bootstrap():
    assert _tls_bootstrap.rand is rand
    assert rand.__name__ == "_tls_bootstrap.rand"


def test_status_is_one_when_seeded():
    assert rand.status() == 1


def test_bytes_returns_that_many_distinct_bytes():
    first, second = rand.bytes(32), rand.bytes(32)
    assert type(first) is bytes and len(first) == 32
    assert first != second
    assert rand.bytes(0) == b""


def test_bytes_argument_errors():
    with pytest.raises(ValueError):
        rand.bytes(-1)
    with pytest.raises(TypeError):
        rand.bytes("3")


def test_add_and_seed_take_bytes_only():
    assert rand.add(b"some entropy", 3) is None
    assert rand.seed(b"a seed") is None
    with pytest.raises(TypeError):
        rand.add(u"text", 3)
    with pytest.raises(TypeError):
        rand.add(b"bytes", "3")
    with pytest.raises(TypeError):
        rand.seed(u"text")


def test_write_file_then_load_file(tmpdir):
    path = str(tmpdir.join("seed"))
    written = rand.write_file(path)
    assert written > 0
    assert os.path.getsize(path) == written
    assert rand.load_file(path) == written
    assert rand.load_file(path, 16) == 16
    assert rand.load_file(str(tmpdir.join("missing"))) <= 0


def test_cleanup_and_egd_are_documented_no_ops():
    assert rand.cleanup() is None
    assert rand.egd("/nonexistent/egd-socket") == 255
    assert rand.egd("/nonexistent/egd-socket", 16) == 16
    assert "Does nothing" in rand.cleanup.__doc__
    assert rand.status() == 1


def test_rand_error_is_an_exception_class():
    assert issubclass(rand.Error, Exception)


def test_bytes_beyond_int_is_overflowerror_as_ssl_rand_bytes():
    # RAND_bytes takes an int: the stdlib's ssl.RAND_bytes answers
    # OverflowError without allocating anything, and so does rand.bytes
    for count in (2 ** 31, sys.maxsize, 2 ** 64):
        with pytest.raises(OverflowError):
            rand.bytes(count)
