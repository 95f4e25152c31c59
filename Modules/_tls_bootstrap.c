/* _tls_bootstrap_core: the compiled half of _tls_bootstrap.
 *
 * One translation unit, split by concern into the files below; each is
 * #included here, everything in them is static.  Order does not matter:
 * internal.h declares what one part calls in another.
 *
 *   _tls_bootstrap/compat.h      Python 2.7/3.x and OpenSSL 1.1.1/3.x
 *                                differences, as feature flags
 *   _tls_bootstrap/internal.h    object layouts, module state, prototypes
 *   _tls_bootstrap/errors.c      OpenSSL errors -> the host's exceptions
 *   _tls_bootstrap/fork.c        a forked child's view of inherited state
 *   _tls_bootstrap/callbackgil.c the thread state an OpenSSL callback runs
 *                                Python in (subinterpreters)
 *   _tls_bootstrap/settingslock.c  a context's settings vs its handshakes
 *   _tls_bootstrap/constants.c   OP_*, VERIFY_*, PROTOCOL_*, version report
 *   _tls_bootstrap/memorybio.c   MemoryBIO
 *   _tls_bootstrap/context.c     _SSLContext (SSL_CTX): settings, loading, SNI
 *   _tls_bootstrap/tlsobject.c   _Connection (SSL): the I/O loop for memory
 *                                BIOs and sockets, what the handshake agreed
 *   _tls_bootstrap/session.c     SSLSession
 *   _tls_bootstrap/certdecode.c  X509 -> getpeercert() dict, DER
 *   _tls_bootstrap/keylog.c      keylog_filename (NSS key log lines)
 *   _tls_bootstrap/msgcallback.c _msg_callback
 *   _tls_bootstrap/psk.c         TLS-PSK callbacks
 *   _tls_bootstrap/algorithms.c  TLS 1.3 suites, groups, signature algorithms
 *   _tls_bootstrap/memcert.c     load_cert_chain_data(): chains and keys in memory
 *   _tls_bootstrap/pyossl_hooks.c  verify/info/keylog callbacks of the
 *                                pyOpenSSL layer (Lib/_tls_bootstrap_SSL.py)
 *   _tls_bootstrap/crypto_*.c    the `crypto` and `rand` submodules
 *                                (pyOpenSSL's API); map in crypto_module.c
 *   this file                    module functions (RAND_*, ...) and init
 *
 * The public module is Lib/_tls_bootstrap.py; it imports this one.
 */
#include "_tls_bootstrap/internal.h"

#include "_tls_bootstrap/errors.c"
#include "_tls_bootstrap/fork.c"
#include "_tls_bootstrap/callbackgil.c"
#include "_tls_bootstrap/settingslock.c"
#include "_tls_bootstrap/constants.c"
#include "_tls_bootstrap/memorybio.c"
#include "_tls_bootstrap/context.c"
#include "_tls_bootstrap/tlsobject.c"
#include "_tls_bootstrap/session.c"
#include "_tls_bootstrap/certdecode.c"
#include "_tls_bootstrap/keylog.c"
#include "_tls_bootstrap/msgcallback.c"
#include "_tls_bootstrap/psk.c"
#include "_tls_bootstrap/algorithms.c"
#include "_tls_bootstrap/memcert.c"
#include "_tls_bootstrap/crypto_legacy.c"
#include "_tls_bootstrap/crypto_module.c"
#include "_tls_bootstrap/crypto_convert.c"
#include "_tls_bootstrap/crypto_x509.c"
#include "_tls_bootstrap/crypto_name.c"
#include "_tls_bootstrap/crypto_ext.c"
#include "_tls_bootstrap/crypto_req.c"
#include "_tls_bootstrap/crypto_pkey.c"
#include "_tls_bootstrap/crypto_store.c"
#include "_tls_bootstrap/crypto_pkcs12.c"
#include "_tls_bootstrap/crypto_crl.c"
#include "_tls_bootstrap/crypto_pkcs7.c"
#include "_tls_bootstrap/crypto_spki.c"
#include "_tls_bootstrap/crypto_rand.c"
#include "_tls_bootstrap/pyossl_hooks.c"

#ifndef TLSB_VERSION
#  error "TLSB_VERSION must be defined by the build (setup.py reads it from Lib/_tls_bootstrap.py)"
#endif

/* ------------------------------------------------------------------ */
/* Module-level functions                                              */
/* ------------------------------------------------------------------ */

/* RAND_bytes(n, /) -> bytes: n cryptographically strong random bytes. */
static PyObject *
tlsb_RAND_bytes(PyObject *module, PyObject *args)
{
    int size;
    PyObject *result;

    if (!PyArg_ParseTuple(args, "i:RAND_bytes", &size))
        return NULL;
    if (size < 0)
        return PyErr_Format(PyExc_ValueError, "num must be positive");
    result = PyBytes_FromStringAndSize(NULL, size);
    if (result == NULL)
        return NULL;
    if (RAND_bytes((unsigned char *)PyBytes_AS_STRING(result), size) != 1) {
        Py_DECREF(result);
        return tlsb_raise_from_queue(NULL);
    }
    return result;
}

/* RAND_status() -> bool: True if the generator is seeded. */
static PyObject *
tlsb_RAND_status(PyObject *module, PyObject *unused)
{
    return PyBool_FromLong(RAND_status());
}

/* RAND_add(string, entropy, /): mix in bytes or text (UTF-8). */
static PyObject *
tlsb_RAND_add(PyObject *module, PyObject *args)
{
    PyObject *data;
    double entropy;
    Py_buffer view;

    if (!PyArg_ParseTuple(args, "Od:RAND_add", &data, &entropy))
        return NULL;
    if (PyUnicode_Check(data)) {
        PyObject *encoded = PyUnicode_AsUTF8String(data);
        if (encoded == NULL)
            return NULL;
        RAND_add(PyBytes_AS_STRING(encoded), (int)PyBytes_GET_SIZE(encoded),
                 entropy);
        Py_DECREF(encoded);
        Py_RETURN_NONE;
    }
    if (tlsb_get_bytes_buffer(data, &view) < 0)
        return NULL;
    if (view.len > INT_MAX) {
        PyBuffer_Release(&view);
        return PyErr_Format(PyExc_OverflowError, "string longer than %d bytes",
                            INT_MAX);
    }
    RAND_add(view.buf, (int)view.len, entropy);
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

/* get_default_verify_paths() -> (cafile_env, cafile, capath_env, capath) */
static PyObject *
tlsb_get_default_verify_paths(PyObject *module, PyObject *unused)
{
    return Py_BuildValue("(ssss)",
                         X509_get_default_cert_file_env(),
                         X509_get_default_cert_file(),
                         X509_get_default_cert_dir_env(),
                         X509_get_default_cert_dir());
}

static PyMethodDef tlsb_module_methods[] = {
    TLSB_PYOSSL_HOOK_METHODS

    {"RAND_bytes", tlsb_RAND_bytes, METH_VARARGS,
     "RAND_bytes(n, /)\n--\n\nn bytes from OpenSSL's default random generator; SSLError if it\n"
     "cannot produce them."},
    {"RAND_status", tlsb_RAND_status, METH_NOARGS,
     "RAND_status()\n--\n\nTrue once OpenSSL's random generator is seeded (on OpenSSL 1.1.1+\n"
     "it seeds itself from the system, so this is True in practice)."},
    {"RAND_add", tlsb_RAND_add, METH_VARARGS,
     "RAND_add(string, entropy, /)\n--\n\nFeed extra bytes (text is taken as UTF-8) to OpenSSL's random\n"
     "generator; entropy is the caller's estimate of their randomness, in bytes."},
    {"get_sigalgs", tlsb_get_sigalgs, METH_NOARGS,
     "get_sigalgs()\n--\n\nNames of the TLS signature algorithms OpenSSL knows."},
    {"get_default_verify_paths", tlsb_get_default_verify_paths, METH_NOARGS,
     "get_default_verify_paths()\n--\n\nReturn OpenSSL's default (cafile_env, cafile, capath_env, capath)."},
    {"_bind_interpreter", tlsb_bind_interpreter, METH_NOARGS,
     "_bind_interpreter()\n--\n\nMake this interpreter raise its own ssl classes (2.7 subinterpreters)."},
    {NULL, NULL}
};

/* ------------------------------------------------------------------ */
/* Init, in small named steps                                          */
/* ------------------------------------------------------------------ */

static int
tlsb_add_type(PyObject *module, PyTypeObject *type, const char *name)
{
    if (PyType_Ready(type) < 0)
        return -1;
    return PyModule_AddObjectRef(module, name, (PyObject *)type);
}

static int
tlsb_types_init(PyObject *module)
{
    if (tlsb_add_type(module, &tlsb_MemoryBIO_Type, "MemoryBIO") < 0 ||
        tlsb_add_type(module, &tlsb_Context_Type, "_SSLContext") < 0 ||
        tlsb_add_type(module, &tlsb_Connection_Type, "_Connection") < 0 ||
        tlsb_add_type(module, &tlsb_Session_Type, "SSLSession") < 0)
        return -1;
    return 0;
}

static int
tlsb_openssl_init(void)
{
    tlsb_init_threads();
    /* libcrypto's error strings (for reasons our generated table lacks) and
     * the default configuration, as the stdlib's first OpenSSL call loads
     * them.  libssl sets itself up (ciphers, digests, its strings) at the
     * first SSL_CTX_new, and errors.c loads its strings before describing
     * an error: doing that here was a third of this init (issue 15). */
    if (!OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CRYPTO_STRINGS |
                             OPENSSL_INIT_LOAD_CONFIG, NULL)) {
        PyErr_SetString(PyExc_ImportError, "OpenSSL failed to initialise");
        return -1;
    }
    tlsb_state.ssl_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    tlsb_state.ctx_ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    if (tlsb_state.ssl_ex_index < 0 || tlsb_state.ctx_ex_index < 0) {
        PyErr_SetString(PyExc_ImportError, "no OpenSSL ex_data slot left");
        return -1;
    }
    return 0;
}

/* Once per process, by the first interpreter that imports us: OpenSSL,
 * ex_data slots and objects every interpreter shares (tlsb_state). */
static int
tlsb_global_init(void)
{
    if (tlsb_state.ready)
        return 0;
    if (tlsb_openssl_init() < 0 ||
        tlsb_errors_global_init() < 0 ||
        tlsb_keylog_init(NULL) < 0)
        return -1;
    tlsb_state.ready = 1;
    return 0;
}

/* In every interpreter that imports us (3.x: the exec step; 2.7: the
 * first import only, see errors.c for the others). */
static int
tlsb_module_init(PyObject *module)
{
    int first = !tlsb_state.ready;

    if (tlsb_global_init() < 0 ||
        tlsb_fork_init(module) < 0 ||
        tlsb_errors_init(module) < 0 ||
        tlsb_constants_init(module) < 0 ||
        tlsb_types_init(module) < 0 ||
        tlsb_certdecode_init(module) < 0 ||
        tlsb_crypto_init(module) < 0 ||
        (first && tlsb_socket_head_init() < 0))
        return -1;
    if (PyModule_AddObject(module, "_MISSING_FEATURES", tlsb_missing_features()) < 0)
        return -1;
    if (PyModule_AddStringConstant(module, "__version__", TLSB_VERSION) < 0)
        return -1;
    /* What timeouts raise: socket.timeout; the graft may change it. */
    if (PyModule_AddObjectRef(module, "_timeout_error", tlsb_interp()->socket_timeout) < 0)
        return -1;
    /* Socket errors under TLS are OSErrors; the graft may make them
     * ragged EOFs (errors.c). */
    if (PyModule_AddObjectRef(module, "_transport_errors_are_eof", Py_False) < 0)
        return -1;
    if (PyModule_AddIntConstant(module, "_socket_fast_path", tlsb_state.socket_head_ok) < 0)
        return -1;
    return 0;
}

PyDoc_STRVAR(tlsb_module_doc,
"Compiled core of _tls_bootstrap: TLS through OpenSSL for the modern ssl API.\n"
"Import _tls_bootstrap, not this module.");

#ifdef TLSB_MULTI_PHASE_INIT
/* Each interpreter gets its own module and state (errors.c says what is
 * per interpreter); one with its own GIL (3.12+) is refused with an
 * ImportError: the registry of states and the static types rely on the
 * one GIL. */
static int
tlsb_module_exec(PyObject *module)
{
    return tlsb_module_init(module);
}

static void
tlsb_module_free(void *module)
{
    tlsb_interp_state **slot = PyModule_GetState((PyObject *)module);

    if (slot != NULL && *slot != NULL) {
        tlsb_interp_state_free(*slot);
        *slot = NULL;
    }
}

static PyModuleDef_Slot tlsb_module_slots[] = {
    {Py_mod_exec, (void *)tlsb_module_exec},
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED},
#endif
    {0, NULL}
};

static struct PyModuleDef tlsb_module_def = {
    PyModuleDef_HEAD_INIT,
    "_tls_bootstrap_core",
    tlsb_module_doc,
    sizeof(tlsb_interp_state *),  /* this interpreter's state (errors.c) */
    tlsb_module_methods,
    tlsb_module_slots,
    NULL,
    NULL,
    tlsb_module_free,
};

TLSB_MODINIT(_tls_bootstrap_core)
{
    TLSB_MODINIT_RETURN(PyModuleDef_Init(&tlsb_module_def));
}
#else
/* 2.7: runs in the first interpreter that imports us only. */
TLSB_MODINIT(_tls_bootstrap_core)
{
    PyObject *module;

    module = Py_InitModule3("_tls_bootstrap_core", tlsb_module_methods,
                            tlsb_module_doc);
    if (module == NULL)
        TLSB_MODINIT_RETURN(NULL);
    Py_INCREF(module);       /* borrowed from sys.modules */
    if (tlsb_module_init(module) < 0) {
        Py_DECREF(module);
        TLSB_MODINIT_RETURN(NULL);
    }
    Py_DECREF(module);       /* sys.modules holds it */
    TLSB_MODINIT_RETURN(module);
}
#endif
