"""TLS 1.2 session resumption: host ssl vs _tls_bootstrap (2.7, 3.6+).

Host test: test_ssl ThreadedTests.test_session / test_session_handling.
Prints, for each implementation, whether the second connection (given the
first one's session) was resumed and the server's session_stats()["hits"],
after the first connection object was freed without a TLS shutdown (what
a closed socket is).  Host: reused=True hits=1.
Run: python repro_session_reuse.py CERTFILE (a PEM with key and cert, e.g.
the host's Lib/test/keycert.pem or certdata/keycert.pem).
"""
import gc
import ssl
import sys

import _tls_bootstrap


def pump(client, server, c_in, c_out, s_in, s_out):
    for _ in range(20):
        done = True
        for obj in (client, server):
            try:
                obj.do_handshake()
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                done = False
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if done:
            return


def connect(mod, cctx, sctx, session=None):
    """A handshake over memory BIOs; returns the client SSLObject."""
    c_in, c_out, s_in, s_out = mod.MemoryBIO(), mod.MemoryBIO(), mod.MemoryBIO(), mod.MemoryBIO()
    client = cctx.wrap_bio(c_in, c_out, server_side=False, server_hostname=None,
                           session=session)
    server = sctx.wrap_bio(s_in, s_out, server_side=True)
    pump(client, server, c_in, c_out, s_in, s_out)
    return client


def main(certfile):
    for name, mod in (("host", ssl), ("ours", _tls_bootstrap)):
        proto_c = getattr(mod, "PROTOCOL_TLS_CLIENT", None)
        sctx = mod.SSLContext(getattr(mod, "PROTOCOL_TLS_SERVER", mod.PROTOCOL_SSLv23))
        sctx.load_cert_chain(certfile)
        cctx = mod.SSLContext(proto_c or mod.PROTOCOL_SSLv23)
        cctx.check_hostname = False
        cctx.verify_mode = mod.CERT_NONE
        if hasattr(mod, "TLSVersion"):
            cctx.maximum_version = mod.TLSVersion.TLSv1_2
        else:
            cctx.options |= getattr(mod, "OP_NO_TLSv1_3", 0)
        first = connect(mod, cctx, sctx)
        session = first.session
        del first    # freed without a TLS shutdown, as a closed socket is
        gc.collect()
        second = connect(mod, cctx, sctx, session=session)
        print("%s: version=%s reused=%s same id=%s hits=%s" % (
            name, second.version(), second.session_reused,
            second.session.id == session.id, sctx.session_stats()["hits"]))


if __name__ == "__main__":
    main(sys.argv[1])
