/* compat.h: every difference between Python versions and between OpenSSL
 * versions, and nothing else.
 *
 * Rules of this file:
 * - The rest of the source is written in modern C against the newest API;
 *   what an older Python or OpenSSL lacks is backfilled here.
 * - Each difference is a feature macro (TLSB_HAS_* / TLSB_PY_*) defined once,
 *   with a line saying why; call sites test the macro, never a version number.
 * - Nothing here allocates module state or raises: it only names concepts.
 */
#ifndef TLSB_COMPAT_H
#define TLSB_COMPAT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <pythread.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/rand.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>   /* PKCS12_R_* for a wrong key password (errors.c) */

/* ------------------------------------------------------------------ */
/* Python                                                             */
/* ------------------------------------------------------------------ */

#if PY_VERSION_HEX < 0x02070000 || \
    (PY_MAJOR_VERSION == 3 && PY_VERSION_HEX < 0x03060000)
#  error "_tls_bootstrap needs CPython 2.7 or 3.6+"
#endif

/* Python 3: str is unicode and module init returns the module. */
#if PY_MAJOR_VERSION >= 3
#  define TLSB_PY3 1
#endif

/* Native text ("str" on each host): bytes on 2.7, unicode on 3.x.  2.7's
 * ssl returns str for names, versions and cipher names, so we do too. */
#ifdef TLSB_PY3
#  define NativeStr_FromString          PyUnicode_FromString
#  define NativeStr_FromStringAndSize   PyUnicode_FromStringAndSize
#  define NativeStr_FromFormat          PyUnicode_FromFormat
#  define NativeStr_Check               PyUnicode_Check
#  define NativeStr_AsString            PyUnicode_AsUTF8
#else
#  define NativeStr_FromString          PyString_FromString
#  define NativeStr_FromStringAndSize   PyString_FromStringAndSize
#  define NativeStr_FromFormat          PyString_FromFormat
#  define NativeStr_Check               PyString_Check
#  define NativeStr_AsString            PyString_AsString
#endif

/* 2.7's _ssl sets SSLError's tp_str without a __str__ in its dict, so a
 * subclass made from Python (our SSLCertVerificationError) would print
 * "[Errno 1] ..." instead of the message. */
#ifndef TLSB_PY3
#  define TLSB_HOST_SSLERROR_STR_NOT_INHERITED 1
#endif

/* 2.7's object.__reduce_ex__ copies and pickles an object with C state
 * as a fresh default one (copy.copy(ctx) is a context with no settings);
 * 3.x refuses with TypeError.  TLSB_REFUSE_PICKLE goes in the method
 * table of such types: nothing on 3.x, a refusing __reduce_ex__ and
 * __reduce__ on 2.7, worded as 2.7 words its own refusals. */
#ifndef TLSB_PY3
static PyObject *
tlsb_refuse_pickle(PyObject *self, PyObject *args)
{
    return PyErr_Format(PyExc_TypeError, "can't pickle %.200s objects",
                        Py_TYPE(self)->tp_name);
}
#  define TLSB_REFUSE_PICKLE \
    {"__reduce_ex__", (PyCFunction)tlsb_refuse_pickle, METH_VARARGS, NULL}, \
    {"__reduce__", (PyCFunction)tlsb_refuse_pickle, METH_VARARGS, NULL},
#else
#  define TLSB_REFUSE_PICKLE
#endif

/* Py_BuildValue/PyArg_Parse code for bytes: "y#" on 3.x; on 2.7 "s#"
 * (str is bytes there).  Use as "..." TLSB_BYTES_FMT "...". */
#ifdef TLSB_PY3
#  define TLSB_BYTES_FMT "y#"
#else
#  define TLSB_BYTES_FMT "s#"
#endif

/* 2.7's ssl.py (and gevent's 2.7 SSLSocket) call the connection's
 * peer_certificate(), shutdown(), tls_unique_cb(), selected_npn_protocol(). */
#ifndef TLSB_PY3
#  define TLSB_CONNECTION_27_NAMES 1
#endif

/* Small integers: int, not long, on 2.7 (long reprs end in "L"). */
static inline PyObject *
tlsb_int_from_long(long value)
{
#ifdef TLSB_PY3
    return PyLong_FromLong(value);
#else
    return PyInt_FromLong(value);
#endif
}

/* A Python integer built as a long (from hex, of any size): on 2.7 as an
 * int when it fits, as pyOpenSSL returns serial numbers ("2", not "2L").
 * Steals the reference. */
static inline PyObject *
tlsb_int_from_pylong(PyObject *value)
{
#ifndef TLSB_PY3
    if (value != NULL) {
        PyObject *small = PyNumber_Int(value);
        Py_DECREF(value);
        return small;
    }
#endif
    return value;
}

/* Accepts int and (on 2.7) long alike; -1 with an exception on error. */
static inline long
tlsb_long_from_int(PyObject *obj)
{
#ifndef TLSB_PY3
    if (PyInt_Check(obj))
        return PyInt_AsLong(obj);
#endif
    return PyLong_AsLong(obj);
}

static inline int
tlsb_is_int(PyObject *obj)
{
#ifndef TLSB_PY3
    if (PyInt_Check(obj))
        return 1;
#endif
    return PyLong_Check(obj) && !PyBool_Check(obj);
}

/* Reference helpers that arrived in 3.10. */
#if PY_VERSION_HEX < 0x030A0000
static inline PyObject *Py_NewRef(PyObject *obj) { Py_INCREF(obj); return obj; }
static inline PyObject *Py_XNewRef(PyObject *obj) { Py_XINCREF(obj); return obj; }
#endif
#ifndef Py_SETREF
#  define Py_SETREF(dst, src) \
    do { PyObject *_tlsb_tmp = (PyObject *)(dst); (dst) = (src); Py_DECREF(_tlsb_tmp); } while (0)
#  define Py_XSETREF(dst, src) \
    do { PyObject *_tlsb_tmp = (PyObject *)(dst); (dst) = (src); Py_XDECREF(_tlsb_tmp); } while (0)
#endif
#ifndef Py_RETURN_NOTIMPLEMENTED
#  define Py_RETURN_NOTIMPLEMENTED return Py_INCREF(Py_NotImplemented), Py_NotImplemented
#endif
/* Hash values: Py_hash_t arrived in 3.2; 2.7 hashes are C longs. */
#ifndef TLSB_PY3
typedef long Py_hash_t;
#endif
#ifndef Py_UNREACHABLE
#  define Py_UNREACHABLE() abort()
#endif

/* PyWeakref_GetRef (3.13; PyWeakref_GetObject is deprecated there):
 * 1 and a new reference, 0 and NULL if the referent is gone. */
#if PY_VERSION_HEX < 0x030D0000
static inline int
PyWeakref_GetRef(PyObject *ref, PyObject **pobj)
{
    PyObject *obj = PyWeakref_GetObject(ref);
    if (obj == NULL) {
        *pobj = NULL;
        return -1;
    }
    if (obj == Py_None) {
        *pobj = NULL;
        return 0;
    }
    *pobj = Py_NewRef(obj);
    return 1;
}
#endif

/* Thread-local storage for plain C data (no Python objects): which
 * connections' I/O loops and which contexts' settings the current thread
 * is inside (C11's _Thread_local has older spellings). */
#if defined(_MSC_VER)
#  define TLSB_THREAD_LOCAL __declspec(thread)
#else
#  define TLSB_THREAD_LOCAL __thread
#endif

/* os.register_at_fork (3.7) runs its hooks before os.fork() takes the
 * interpreter's own locks; older hosts get pthread_atfork's (fork.c). */
#if PY_VERSION_HEX >= 0x03070000
#  define TLSB_HAS_REGISTER_AT_FORK 1
#endif

/* Whether the current thread holds the GIL, for hosts without
 * register_at_fork (3.6's PyGILState_Check says yes whenever a
 * subinterpreter exists). */
#ifndef TLSB_HAS_REGISTER_AT_FORK
static inline int
tlsb_gil_held_here(void)
{
#  ifdef TLSB_PY3
    PyThreadState *current = _PyThreadState_UncheckedGet();
#  else
    PyThreadState *current = _PyThreadState_Current;
#  endif
    return current != NULL && current == PyGILState_GetThisThreadState();
}
#endif

/* 2.7 creates the GIL lazily; callbacks from OpenSSL threads use the
 * PyGILState API, which needs it to exist. */
static inline void
tlsb_init_threads(void)
{
#if PY_VERSION_HEX < 0x03070000
    PyEval_InitThreads();
#endif
}

/* PyModule_AddObjectRef (3.10) does not steal the reference. */
#if PY_VERSION_HEX < 0x030A0000
static inline int
PyModule_AddObjectRef(PyObject *module, const char *name, PyObject *value)
{
    Py_XINCREF(value);
    if (PyModule_AddObject(module, (char *)name, value) < 0) {
        Py_XDECREF(value);
        return -1;
    }
    return 0;
}
#endif

/* PyModule_AddFunctions (3.5): each part of the module adds its own
 * function table from its init step. */
#ifndef TLSB_PY3
static inline int
PyModule_AddFunctions(PyObject *module, PyMethodDef *functions)
{
    PyObject *name = PyObject_GetAttrString(module, "__name__");
    PyMethodDef *def;

    if (name == NULL)
        return -1;
    for (def = functions; def->ml_name != NULL; def++) {
        PyObject *func = PyCFunction_NewEx(def, NULL, name);
        if (func == NULL || PyModule_AddObject(module, def->ml_name, func) < 0) {
            Py_XDECREF(func);
            Py_DECREF(name);
            return -1;
        }
    }
    Py_DECREF(name);
    return 0;
}
#endif

/* Multi-phase module init (PEP 489, 3.5+): the module and its exception
 * classes are made again in each interpreter that imports it.  2.7 copies
 * a module's dict into a subinterpreter instead, so there the Python layer
 * asks for the interpreter's own classes (errors.c). */
#ifdef TLSB_PY3
#  define TLSB_MULTI_PHASE_INIT 1
#endif

/* The interpreter running the calling thread (GIL held). */
static inline PyInterpreterState *
tlsb_current_interp(void)
{
#if PY_VERSION_HEX >= 0x03090000
    return PyInterpreterState_Get();
#else
    return PyThreadState_Get()->interp;
#endif
}

/* Module definition and init entry point. */
#ifdef TLSB_PY3
#  define TLSB_MODINIT(name) PyMODINIT_FUNC PyInit_##name(void)
#  define TLSB_MODINIT_RETURN(module) return (module)
#else
#  define TLSB_MODINIT(name) PyMODINIT_FUNC init##name(void)
#  define TLSB_MODINIT_RETURN(module) do { (void)(module); return; } while (0)
#endif

/* repr(obj) as UTF-8 bytes, for messages (2.7's PyErr_Format has no %R). */
static inline PyObject *
tlsb_repr_bytes(PyObject *obj)
{
    PyObject *text = PyObject_Repr(obj), *bytes;

    if (text == NULL)
        return NULL;
#ifdef TLSB_PY3
    bytes = PyUnicode_AsUTF8String(text);
    Py_DECREF(text);
#else
    bytes = text;
#endif
    return bytes;
}

/* "Object of any bytes-like type, but not text": 2.7's s* would silently
 * encode unicode and 3.x's y* does not exist on 2.7, so parse "O" and
 * call this.  2.7's old-style buffers (buffer(), array) are accepted too. */
static inline int
tlsb_get_bytes_buffer(PyObject *obj, Py_buffer *view)
{
    if (PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError,
                     "a bytes-like object is required, not '%.100s'",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
#ifndef TLSB_PY3
    if (!PyObject_CheckBuffer(obj) && PyObject_CheckReadBuffer(obj)) {
        const void *data;
        Py_ssize_t len;
        if (PyObject_AsReadBuffer(obj, &data, &len) < 0)
            return -1;
        return PyBuffer_FillInfo(view, obj, (void *)data, len, 1, PyBUF_SIMPLE);
    }
#endif
    if (!PyObject_CheckBuffer(obj)) {
        PyErr_Format(PyExc_TypeError,
                     "a bytes-like object is required, not '%.100s'",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    /* A buffer that is not contiguous raises BufferError, as in the stdlib. */
    return PyObject_GetBuffer(obj, view, PyBUF_SIMPLE);
}

/* A writable buffer (read(n, buffer), recv_into). */
static inline int
tlsb_get_writable_buffer(PyObject *obj, Py_buffer *view)
{
#ifndef TLSB_PY3
    if (!PyObject_CheckBuffer(obj)) {
        void *data;
        Py_ssize_t len;
        if (PyObject_AsWriteBuffer(obj, &data, &len) < 0)
            return -1;
        return PyBuffer_FillInfo(view, obj, data, len, 0, PyBUF_WRITABLE);
    }
#endif
    /* As the stdlib's "w*": any refusal (read-only, not contiguous) is a
       TypeError, not the BufferError PyObject_GetBuffer raises. */
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "read-write bytes-like object is required, not '%.100s'",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    return 0;
}

/* A path for fopen(): str, unicode/bytes path or os.PathLike, as the
 * stdlib's load_cert_chain accepts.  Returns a new bytes object. */
static inline PyObject *
tlsb_fspath_bytes(PyObject *path)
{
#ifdef TLSB_PY3
    PyObject *encoded = NULL;
    if (!PyUnicode_FSConverter(path, &encoded))
        return NULL;
    return encoded;
#else
    PyObject *encoded;
    if (PyString_Check(path))
        encoded = Py_NewRef(path);
    else if (PyUnicode_Check(path))
        encoded = PyUnicode_AsEncodedString(path, Py_FileSystemDefaultEncoding, NULL);
    else {
        PyErr_Format(PyExc_TypeError, "path should be string, not %.100s",
                     Py_TYPE(path)->tp_name);
        return NULL;
    }
    /* fopen() would stop at a NUL: refused as 3.x's converter does */
    if (encoded != NULL &&
        strlen(PyString_AS_STRING(encoded)) != (size_t)PyString_GET_SIZE(encoded)) {
        Py_DECREF(encoded);
        PyErr_SetString(PyExc_ValueError, "embedded null byte");
        return NULL;
    }
    return encoded;
#endif
}

/* The head of a _socket.socket object (CPython's Modules/socketmodule.h,
 * the same from 3.5 to 3.13; 2.7 keeps the timeout as a double).  The I/O
 * loop reads the fd and timeout from it, as the stdlib's _ssl does, instead
 * of calling fileno() and gettimeout() on every read and write.  The layout
 * is checked against those methods when the module loads (tlsobject.c);
 * if it does not match, the methods are used. */
typedef struct {
    PyObject_HEAD
    int sock_fd;
    int sock_family;
    int sock_type;
    int sock_proto;
    PyObject *(*errorhandler)(void);
#ifdef TLSB_PY3
    int64_t sock_timeout;       /* nanoseconds; negative: blocking */
#else
    double sock_timeout;        /* seconds; negative: blocking */
#endif
} tlsb_socket_head;

static inline double
tlsb_socket_head_timeout(const tlsb_socket_head *head)
{
#ifdef TLSB_PY3
    return head->sock_timeout < 0 ? -1.0 : (double)head->sock_timeout * 1e-9;
#else
    return head->sock_timeout < 0 ? -1.0 : head->sock_timeout;
#endif
}

/* Printable type name for messages. */
#define TLSB_TYPE_NAME(obj) (Py_TYPE(obj)->tp_name)

/* Static types need Py_TPFLAGS_HAVE_NEWBUFFER etc. only on 2.7; the
 * defaults are right everywhere once Py_TPFLAGS_DEFAULT is used. */
#define TLSB_TPFLAGS_BASE (Py_TPFLAGS_DEFAULT)

/* ------------------------------------------------------------------ */
/* OpenSSL                                                            */
/* ------------------------------------------------------------------ */

#if OPENSSL_VERSION_NUMBER < 0x10101000L || defined(LIBRESSL_VERSION_NUMBER)
#  error "_tls_bootstrap needs OpenSSL 1.1.1 or newer"
#endif

/* OpenSSL 3.0: providers, SSL_R_UNEXPECTED_EOF_WHILE_READING for a peer
 * that closes without close_notify, SSL_get0_peer_certificate,
 * SSL_OP_IGNORE_UNEXPECTED_EOF, ERR_SYSTEM_FLAG for errno entries. */
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#  define TLSB_HAS_OPENSSL3 1
#endif

#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
#  define TLSB_HAS_UNEXPECTED_EOF_REASON 1
#endif

/* 1.1.1 returns a new reference only. */
#ifndef TLSB_HAS_OPENSSL3
static inline X509 *
SSL_get1_peer_certificate(const SSL *ssl)
{
    return SSL_get_peer_certificate(ssl);
}
#endif

/* Errors from the system library: 3.0 marks them with ERR_SYSTEM_FLAG,
 * 1.1.1 files them under ERR_LIB_SYS. */
static inline int
tlsb_err_is_system(unsigned long code)
{
#ifdef ERR_SYSTEM_ERROR
    return ERR_SYSTEM_ERROR(code);
#else
    return ERR_GET_LIB(code) == ERR_LIB_SYS;
#endif
}

/* SSL_get_negotiated_group (3.0) names the TLS 1.3 key-exchange group;
 * SSL_get0_group_name (3.2) gives it as text. */
#ifdef TLSB_HAS_OPENSSL3
#  define TLSB_HAS_NEGOTIATED_GROUP 1
#endif
#if OPENSSL_VERSION_NUMBER >= 0x30200000L
#  define TLSB_HAS_GROUP_NAME 1
#endif

/* Signature algorithm names (3.5): SSL_get0_peer_signature_name etc. */
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
#  define TLSB_HAS_SIGALG_NAMES 1
#endif

/* The list of built-in signature algorithms (3.4). */
#if OPENSSL_VERSION_NUMBER >= 0x30400000L
#  define TLSB_HAS_BUILTIN_SIGALGS 1
#endif

/* Implemented-groups listing (3.5). */
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
#  define TLSB_HAS_GET0_IMPLEMENTED_GROUPS 1
#endif

/* SSL_SESSION_get_time_ex (3.3) returns time_t; SSL_SESSION_get_time is
 * deprecated from 3.4. */
#if OPENSSL_VERSION_NUMBER >= 0x30300000L
#  define tlsb_session_time(session) ((long long)SSL_SESSION_get_time_ex(session))
#else
#  define tlsb_session_time(session) ((long long)SSL_SESSION_get_time(session))
#endif

/* Helpers used only where the linked OpenSSL lacks some feature. */
#if defined(__GNUC__) || defined(__clang__)
#  define TLSB_MAYBE_UNUSED __attribute__((unused))
#else
#  define TLSB_MAYBE_UNUSED
#endif

/* Kernel TLS offload option (3.0). */
#ifdef SSL_OP_ENABLE_KTLS
#  define TLSB_HAS_KTLS_OPTION 1
#endif

/* Certificate compression and the like are not used. */

/* ---- crypto helpers (crypto_*.c) ---------------------------------- */

/* Where an error was raised: 3.0 records the C function with each error
 * (ERR_get_error_all) and empties 1.1.1's per-code function table
 * (ERR_func_error_string, deprecated). */
#ifdef TLSB_HAS_OPENSSL3
#  define TLSB_HAS_ERR_GET_ERROR_ALL 1
#endif

static inline unsigned long
tlsb_err_get_error_func(const char **func)
{
#ifdef TLSB_HAS_ERR_GET_ERROR_ALL
    *func = NULL;
    return ERR_get_error_all(NULL, NULL, func, NULL, NULL);
#else
    unsigned long code = ERR_get_error();
    *func = code ? ERR_func_error_string(code) : NULL;
    return code;
#endif
}

/* Pushes an error as if OpenSSL's function `func` had raised it, where
 * 1.1.1 (pyOpenSSL 21's) put one and 3.0 puts none.  1.1.1 names the
 * function by a code (func_code, a macro 3.0 need not have), 3.0 by text. */
#ifdef TLSB_HAS_ERR_GET_ERROR_ALL
#  define TLSB_ERR_PUSH(lib, reason, func_code, func) \
    (ERR_new(), ERR_set_debug(NULL, 0, (func)), ERR_set_error((lib), (reason), NULL))
#else
#  define TLSB_ERR_PUSH(lib, reason, func_code, func) \
    ERR_put_error((lib), (func_code), (reason), NULL, 0)
#endif

/* X509_STORE_load_file/_path (3.0) replace X509_STORE_load_locations. */
#ifdef TLSB_HAS_OPENSSL3
#  define TLSB_HAS_STORE_LOAD_FILE 1
#endif

static inline int
tlsb_store_load_locations(X509_STORE *store, const char *file, const char *dir)
{
#ifdef TLSB_HAS_STORE_LOAD_FILE
    if (file == NULL && dir == NULL)
        return 0;
    if (file != NULL && !X509_STORE_load_file(store, file))
        return 0;
    if (dir != NULL && !X509_STORE_load_path(store, dir))
        return 0;
    return 1;
#else
    return X509_STORE_load_locations(store, file, dir);
#endif
}

/* 3.0 makes and checks DSA parameters by FIPS 186-4 unless told
 * otherwise, which refuses the 512-1023 bit sizes 1.1.1 (and pyOpenSSL)
 * made; 1.1.1 used FIPS 186-2 below 2048 bits.  The type must be given to
 * the parameter and the key generation contexts both. */
#ifdef TLSB_HAS_OPENSSL3
#  define TLSB_HAS_DSA_PARAMGEN_TYPE 1
#endif

/* 3.0 moved old ciphers (Blowfish, CAST, DES, RC2/RC4, SEED...) to the
 * "legacy" provider, which the default library context does not load.
 * crypto.dump_privatekey/load_privatekey use a library context of their
 * own with it (crypto_legacy.c) when a cipher is missing, so the host's
 * _ssl and every other user of the process's OpenSSL see no change. */
#ifdef TLSB_HAS_OPENSSL3
#  define TLSB_HAS_LEGACY_LIBCTX 1
#  include <openssl/provider.h>
#endif

#endif /* TLSB_COMPAT_H */
