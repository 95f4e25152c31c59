"""wrap_socket() with a server_hostname that cannot be encoded must not
leave the socket open (3.13 test_ssl ThreadedTests.test_check_hostname_idn,
which checks for a ResourceWarning).  Python 3 only.

Host: raises UnicodeError, no ResourceWarning.  Prints what each does.
"""
import gc
import socket
import ssl
import warnings

import _tls_bootstrap

for name, mod in (("host", ssl), ("ours", _tls_bootstrap)):
    context = mod.create_default_context()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            context.wrap_socket(socket.socket(), server_hostname=".pythontest.net")
        except UnicodeError as exc:
            error = type(exc).__name__
        else:
            error = None
        gc.collect()
    print("%s: raised %s, ResourceWarnings: %d" % (
        name, error, sum(issubclass(w.category, ResourceWarning) for w in caught)))
