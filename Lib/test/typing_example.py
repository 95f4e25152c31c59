"""A typed program using _tls_bootstrap as applications do; `mypy --strict`
checks it against the shipped stubs (tox env typing), and test_typing runs
it.  Not collected by pytest (no test_ prefix)."""
from typing import Dict, List, Optional, Tuple

import _tls_bootstrap
from _tls_bootstrap import crypto


def handshake_in_memory(certfile: str, keyfile: str, hostname: str) -> Tuple[str, str]:
    server_ctx: _tls_bootstrap.SSLContext = _tls_bootstrap.SSLContext(
        _tls_bootstrap.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(certfile, keyfile)
    client_ctx = _tls_bootstrap.create_default_context(cafile=certfile)
    client_ctx.minimum_version = _tls_bootstrap.TLSVersion.TLSv1_2
    bios = [_tls_bootstrap.MemoryBIO() for _ in range(4)]
    client: _tls_bootstrap.SSLObject = client_ctx.wrap_bio(
        bios[0], bios[1], server_hostname=hostname)
    server = server_ctx.wrap_bio(bios[2], bios[3], server_side=True)
    for _ in range(10):
        for end in (client, server):
            try:
                end.do_handshake()
            except _tls_bootstrap.SSLWantReadError:
                pass
        bios[2].write(bios[1].read())
        bios[0].write(bios[3].read())
    version: Optional[str] = client.version()
    cipher = client.cipher()
    assert version is not None and cipher is not None
    return version, cipher[0]


def subject_of(pem: bytes) -> Dict[str, str]:
    cert: crypto.X509 = crypto.load_certificate(crypto.FILETYPE_PEM, pem)
    components: List[Tuple[bytes, bytes]] = cert.get_subject().get_components()
    return dict((key.decode(), value.decode()) for key, value in components)


def graft_and_undo() -> bool:
    report: Dict[str, List[str]] = _tls_bootstrap.monkeypatch_ssl()
    assert "SSLContext" in report["replaced"]
    _tls_bootstrap.restore_ssl()
    return _tls_bootstrap.is_patched()
