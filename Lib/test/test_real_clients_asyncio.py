"""asyncio streams with TLS after monkeypatch_ssl() (Python 3 only: this
file is not collected on 2.7).  A bad CA fails."""
import pytest

import _tls_bootstrap as tlsb
from tlsb_support import certfile, server_context


@pytest.fixture(autouse=True)
def grafted():
    tlsb.monkeypatch_ssl()
    yield
    tlsb.restore_ssl()


@pytest.mark.parametrize("cafile", ["ca.pem", "other-ca.pem"])
def test_asyncio_streams(cafile):
    import asyncio
    import ssl

    async def main():
        async def handle(reader, writer):
            data = await reader.readline()
            writer.write(data.upper())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0,
                                            ssl=server_context(tlsb))
        port = server.sockets[0].getsockname()[1]
        context = ssl.create_default_context(cafile=certfile(cafile))
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=context, server_hostname="localhost")
            writer.write(b"async tls\n")
            answer = await reader.readline()
            writer.close()
            return answer
        finally:
            server.close()
            await server.wait_closed()

    loop = asyncio.new_event_loop()
    try:
        if cafile == "ca.pem":
            assert loop.run_until_complete(main()) == b"ASYNC TLS\n"
        else:
            with pytest.raises(ssl.SSLError):
                loop.run_until_complete(main())
    finally:
        loop.close()
