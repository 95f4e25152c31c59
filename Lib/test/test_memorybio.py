"""MemoryBIO: results and errors as CPython 3.13 gives them.  Where the
host has ssl.MemoryBIO (3.x), every test also runs against it as oracle."""
import array
import ssl
import sys

import pytest

import _tls_bootstrap

IMPLEMENTATIONS = [_tls_bootstrap.MemoryBIO]
if hasattr(ssl, "MemoryBIO") and sys.version_info >= (3, 7):
    IMPLEMENTATIONS.append(ssl.MemoryBIO)


@pytest.fixture(params=IMPLEMENTATIONS, ids=lambda cls: cls.__module__)
def bio(request):
    return request.param()


def test_new_bio_is_empty_and_not_at_eof(bio):
    assert bio.pending == 0
    assert bio.eof is False
    assert bio.read() == b""


def test_read_returns_up_to_n_bytes_in_order(bio):
    bio.write(b"foo")
    bio.write(b"bar")
    assert bio.pending == 6
    assert bio.read(2) == b"fo"
    assert bio.read(3) == b"oba"
    assert bio.read(10) == b"r"
    assert bio.read() == b""


def test_eof_only_once_drained_after_write_eof(bio):
    bio.write(b"abc")
    bio.write_eof()
    assert bio.pending == 3
    assert bio.eof is False
    assert bio.read() == b"abc"
    assert bio.eof is True
    assert bio.read() == b""


def test_write_after_write_eof_is_ssl_error(bio):
    bio.write_eof()
    with pytest.raises(ssl.SSLError) as info:
        bio.write(b"x")
    assert "cannot write() after write_eof()" in str(info.value)


def test_write_returns_length_and_accepts_any_bytes_like(bio):
    assert bio.write(b"ab") == 2
    assert bio.write(bytearray(b"cd")) == 2
    assert bio.write(memoryview(b"ef")) == 2
    if sys.version_info[0] >= 3:
        assert bio.write(array.array("b", b"gh")) == 2
    else:
        assert bio.write(buffer(b"gh")) == 2  # noqa: F821 (2.7 builtin)
    assert bio.read() == b"abcdefgh"


def test_write_text_is_type_error(bio):
    with pytest.raises(TypeError):
        bio.write(u"text")
    with pytest.raises(TypeError):
        bio.write(1)


def test_read_of_zero_or_negative(bio):
    bio.write(b"xyz")
    assert bio.read(0) == b""
    assert bio.read(-1) == b"xyz"


def test_read_result_is_bytes(bio):
    bio.write(b"q")
    assert type(bio.read()) is bytes


def test_constructor_takes_no_arguments():
    with pytest.raises(TypeError):
        _tls_bootstrap.MemoryBIO(1)
