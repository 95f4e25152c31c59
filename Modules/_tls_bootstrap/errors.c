/* errors.c: the one place where OpenSSL's error queue, SSL_get_error() and
 * errno become Python exceptions.
 *
 * Rules of this file:
 * - Exception classes are the host's own (ssl.SSLError and friends, taken
 *   from the _ssl of each interpreter that imports us: see "one
 *   interpreter's classes" below).  Only a class the host lacks is
 *   created, as a subclass of the host's classes.
 * - Library and reason names come from the OpenSSL we were compiled against
 *   (a table generated from its headers at build time) and, for codes that
 *   table does not know, from the linked library's own strings.  No table
 *   is frozen for one OpenSSL version.
 * - Every function that raises from the queue leaves the queue empty.
 * - Messages follow the stdlib's "[LIB: REASON] text" form, without the C
 *   file and line the stdlib appends.
 */


/* ---- names of libraries and reasons ------------------------------- */

typedef struct { int lib; const char *name; } tlsb_lib_name;
/* lib == 0 marks a reason common to all libraries (ERR_R_*). */
typedef struct { int lib; int reason; const char *name; } tlsb_reason_name;

#ifdef TLSB_HAVE_GENERATED_ERROR_NAMES
/* Made by tools/gen_error_names.py from the headers we compile against. */
#  include "error_names.h"
#else
static const tlsb_lib_name tlsb_lib_names[] = {{0, NULL}};
static const tlsb_reason_name tlsb_reason_names[] = {{0, 0, NULL}};
#endif

/* OpenSSL's own text for an error's library and reason.  libssl loads
 * its strings at its first SSL_CTX_new, not at our import (see
 * tlsb_openssl_init); an error described before that loads them here. */
static void
tlsb_load_error_strings(void)
{
    static int loaded;

    if (!loaded)
        loaded = OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS |
                                  OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
}

static const char *
tlsb_lib_text(unsigned long code)
{
    tlsb_load_error_strings();
    return ERR_lib_error_string(code);
}

static const char *
tlsb_reason_text(unsigned long code)
{
    tlsb_load_error_strings();
    return ERR_reason_error_string(code);
}

/* A reason is common to all libraries: 3.0 flags it, 1.1.1 numbers
 * common reasons below 100. */
static int
tlsb_reason_is_common(int reason)
{
#ifdef ERR_RFLAG_COMMON
    return (reason & ERR_RFLAG_COMMON) != 0;
#else
    return reason < 100;
#endif
}

/* "unexpected eof while reading" -> "UNEXPECTED_EOF_WHILE_READING": how
 * OpenSSL's own mkerr.pl makes most strings, so this recovers the macro
 * name for codes newer than our headers. */
static PyObject *
tlsb_name_from_text(const char *text, const char *strip_suffix)
{
    char buf[128];
    size_t len = strlen(text), i;
    size_t suffix_len = strip_suffix ? strlen(strip_suffix) : 0;

    if (suffix_len && len > suffix_len &&
        strcmp(text + len - suffix_len, strip_suffix) == 0)
        len -= suffix_len;
    if (len >= sizeof(buf))
        len = sizeof(buf) - 1;
    for (i = 0; i < len; i++) {
        char c = text[i];
        buf[i] = (c == ' ') ? '_' : (char)((c >= 'a' && c <= 'z') ? c - 32 : c);
    }
    return NativeStr_FromStringAndSize(buf, (Py_ssize_t)len);
}

/* New references to native str (or None) for the library and reason of
 * an error code.  Returns -1 with an exception set on failure. */
static int
tlsb_error_name_objects(unsigned long code, PyObject **library,
                        PyObject **reason)
{
    int lib = ERR_GET_LIB(code), rsn = ERR_GET_REASON(code);
    const char *text;
    size_t i;

    *library = *reason = NULL;
    for (i = 0; tlsb_lib_names[i].name != NULL; i++) {
        if (tlsb_lib_names[i].lib == lib) {
            *library = NativeStr_FromString(tlsb_lib_names[i].name);
            break;
        }
    }
    if (*library == NULL && !PyErr_Occurred()) {
        text = tlsb_lib_text(code);
        *library = text ? tlsb_name_from_text(text, " routines")
                        : Py_NewRef(Py_None);
    }
    if (*library == NULL)
        return -1;

    for (i = 0; tlsb_reason_names[i].name != NULL; i++) {
        const tlsb_reason_name *entry = &tlsb_reason_names[i];
        if (entry->reason == rsn &&
            (entry->lib == lib ||
             (entry->lib == 0 && tlsb_reason_is_common(rsn)))) {
            *reason = NativeStr_FromString(entry->name);
            break;
        }
    }
    if (*reason == NULL && !PyErr_Occurred()) {
        text = tlsb_reason_text(code);
        *reason = text ? tlsb_name_from_text(text, NULL) : Py_NewRef(Py_None);
    }
    if (*reason == NULL) {
        Py_CLEAR(*library);
        return -1;
    }
    return 0;
}

/* ---- building and raising the exception objects ------------------- */

/* .library and .reason (None where not known), through attribute names
 * made once at init: PyObject_SetAttrString() makes a string per call. */
static int
tlsb_set_library_and_reason(PyObject *exc, PyObject *library, PyObject *reason)
{
    if (PyObject_SetAttr(exc, tlsb_state.str_library, library ? library : Py_None) < 0 ||
        PyObject_SetAttr(exc, tlsb_state.str_reason, reason ? reason : Py_None) < 0)
        return -1;
    return 0;
}

/* Raises exc_type(errno_value, message) with .library/.reason set, and
 * for verification errors .verify_code/.verify_message.  Steals nothing. */
static PyObject *
tlsb_raise_full(PyObject *exc_type, int errno_value, PyObject *message,
                PyObject *library, PyObject *reason,
                PyObject *verify_code, PyObject *verify_message)
{
    PyObject *exc = PyObject_CallFunction(exc_type, "(iO)", errno_value,
                                          message);
    if (exc == NULL)
        return NULL;
    if (tlsb_set_library_and_reason(exc, library, reason) < 0)
        goto fail;
    if (verify_code != NULL &&
        (PyObject_SetAttrString(exc, "verify_code", verify_code) < 0 ||
         PyObject_SetAttrString(exc, "verify_message", verify_message) < 0))
        goto fail;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
    return NULL;
fail:
    Py_DECREF(exc);
    return NULL;
}

/* "[LIB: REASON] text", "[LIB] text" or "text", as the stdlib words it. */
static PyObject *
tlsb_format_message(PyObject *library, PyObject *reason, const char *text,
                    PyObject *detail)
{
    int has_lib = library && library != Py_None;
    int has_reason = reason && reason != Py_None;
    PyObject *base;

#ifdef TLSB_PY3
    if (has_lib && has_reason)
        base = PyUnicode_FromFormat("[%U: %U] %s", library, reason, text);
    else if (has_lib)
        base = PyUnicode_FromFormat("[%U] %s", library, text);
    else
        base = PyUnicode_FromString(text);
    if (base != NULL && detail != NULL)
        Py_SETREF(base, PyUnicode_FromFormat("%U: %U", base, detail));
#else
    if (has_lib && has_reason)
        base = PyString_FromFormat("[%s: %s] %s", PyString_AS_STRING(library),
                                   PyString_AS_STRING(reason), text);
    else if (has_lib)
        base = PyString_FromFormat("[%s] %s", PyString_AS_STRING(library), text);
    else
        base = PyString_FromString(text);
    if (base != NULL && detail != NULL)
        Py_SETREF(base, PyString_FromFormat("%s: %s", PyString_AS_STRING(base),
                                            PyString_AS_STRING(detail)));
#endif
    return base;
}

/* Raise exc_type for error `code`, with `text` (or OpenSSL's reason
 * string) as the message body and errno_value as .errno. */
static PyObject *
tlsb_raise_code(PyObject *exc_type, int errno_value, unsigned long code,
                const char *text)
{
    PyObject *library = NULL, *reason = NULL, *message;

    if (code != 0 && tlsb_error_name_objects(code, &library, &reason) < 0)
        return NULL;
    if (text == NULL)
        text = code ? tlsb_reason_text(code) : NULL;
    if (text == NULL)
        text = "unknown error";
    message = tlsb_format_message(library, reason, text, NULL);
    if (message != NULL) {
        tlsb_raise_full(exc_type, errno_value, message, library, reason,
                        NULL, NULL);
        Py_DECREF(message);
    }
    Py_XDECREF(library);
    Py_XDECREF(reason);
    return NULL;
}

/* For calls outside a connection (loading keys, setting ciphers): the
 * newest error on the queue decides, .errno is its packed code. */
static PyObject *
tlsb_raise_from_queue(PyObject *exc_type)
{
    unsigned long code = ERR_peek_last_error();

    tlsb_raise_code(exc_type ? exc_type : tlsb_interp()->SSLError,
                    (int)code, code, NULL);
    ERR_clear_error();
    return NULL;
}

/* A failed decryption of a private key, which with a password given
 * means a wrong one.  Different layers notice it for different key
 * formats: PKCS#12's PBE for PKCS#8 "ENCRYPTED PRIVATE KEY" (PEM or DER),
 * EVP or PEM for legacy PEM encryption. */
static int
tlsb_is_bad_decrypt(unsigned long code)
{
    int lib = ERR_GET_LIB(code), reason = ERR_GET_REASON(code);

    return (lib == ERR_LIB_PKCS12 && reason == PKCS12_R_PKCS12_CIPHERFINAL_ERROR) ||
           (lib == ERR_LIB_EVP && reason == EVP_R_BAD_DECRYPT) ||
           (lib == ERR_LIB_PEM && reason == PEM_R_BAD_DECRYPT);
}

/* Whether the queue holds a failed decryption anywhere in it (OpenSSL
 * 1.1.1 queues an ASN1 or PEM error after it).  Empties the queue; when it
 * did hold one, leaves a PEM BAD_DECRYPT for tlsb_raise_key_load_error(). */
static int
tlsb_take_bad_decrypt(void)
{
    unsigned long code;
    int found = 0;

    while ((code = ERR_get_error()) != 0)
        found |= tlsb_is_bad_decrypt(code);
    if (found)
        TLSB_ERR_PUSH(ERR_LIB_PEM, PEM_R_BAD_DECRYPT, 0, NULL);
    return found;
}

/* A private key that did not load (load_cert_chain_data()): a failed
 * decryption is [PEM: BAD_DECRYPT] whichever layer noticed it (a PKCS#12
 * error for a PEM key misled), and wherever it is in the queue (OpenSSL
 * 1.1.1 puts a PEM ASN1_LIB error after it); anything else is the newest
 * error, as tlsb_raise_from_queue() raises it. */
static PyObject *
tlsb_raise_key_load_error(void)
{
    unsigned long code, newest = 0;
    int bad_decrypt = 0;

    while ((code = ERR_get_error()) != 0) {      /* oldest first */
        bad_decrypt |= tlsb_is_bad_decrypt(code);
        newest = code;
    }
    if (bad_decrypt)
        newest = ERR_PACK(ERR_LIB_PEM, 0, PEM_R_BAD_DECRYPT);
    return tlsb_raise_code(tlsb_interp()->SSLError, (int)newest, newest, NULL);
}

/* Like tlsb_raise_from_queue, with our own message body (the stdlib does
 * this for e.g. "cadata does not contain a certificate"): the reason
 * string is kept in front, names are not shown. */
static PyObject *
tlsb_raise_queue_with_text(PyObject *exc_type, const char *text)
{
    unsigned long code = ERR_peek_last_error();
    const char *reason = code ? tlsb_reason_text(code) : NULL;
    PyObject *message;

    ERR_clear_error();
    if (reason != NULL)
        message = NativeStr_FromFormat("%s: %s", reason, text);
    else
        message = NativeStr_FromString(text);
    if (message == NULL)
        return NULL;
    tlsb_raise_full(exc_type ? exc_type : tlsb_interp()->SSLError, 0, message,
                    NULL, NULL, NULL, NULL);
    Py_DECREF(message);
    return NULL;
}

/* exc_type(errno_value, message) with no OpenSSL error behind it. */
static PyObject *
tlsb_raise_message(PyObject *exc_type, int errno_value, const char *message)
{
    PyObject *text = NativeStr_FromString(message);

    ERR_clear_error();
    if (text == NULL)
        return NULL;
    tlsb_raise_full(exc_type, errno_value, text, NULL, NULL, NULL, NULL);
    Py_DECREF(text);
    return NULL;
}

/* socket.error (OSError) for errno value `err`; the class is found
 * before errno is set, since finding it may call into Python. */
static PyObject *
tlsb_raise_errno(int err)
{
    PyObject *exc_type = tlsb_interp()->socket_error;

    errno = err;
    return PyErr_SetFromErrno(exc_type);
}

/* The server_hostname as UTF-8 text, "" when there is none. */
static const char *
tlsb_hostname_text(tlsb_Connection *conn)
{
    const char *text = NULL;

    if (conn->server_hostname == NULL || conn->server_hostname == Py_None)
        return "";
#ifdef TLSB_PY3
    text = PyUnicode_AsUTF8(conn->server_hostname);
#else
    text = PyString_AsString(conn->server_hostname);
#endif
    if (text == NULL) {
        PyErr_Clear();
        return "";
    }
    return text;
}

/* Certificate verification failed inside the handshake. */
static PyObject *
tlsb_raise_verify_error(tlsb_Connection *conn, unsigned long code)
{
    long verify_code = SSL_get_verify_result(conn->ssl);
    PyObject *library = NULL, *reason = NULL, *verify_message = NULL;
    PyObject *code_obj = NULL, *message = NULL;

    if (tlsb_error_name_objects(code, &library, &reason) < 0)
        return NULL;
    switch (verify_code) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
        verify_message = NativeStr_FromFormat(
            "Hostname mismatch, certificate is not valid for '%s'.",
            tlsb_hostname_text(conn));
        break;
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        verify_message = NativeStr_FromFormat(
            "IP address mismatch, certificate is not valid for '%s'.",
            tlsb_hostname_text(conn));
        break;
    default:
        verify_message = NativeStr_FromString(
            X509_verify_cert_error_string(verify_code));
    }
    if (verify_message == NULL)
        goto done;
    code_obj = tlsb_int_from_long(verify_code);
    if (code_obj == NULL)
        goto done;
    message = tlsb_format_message(library, reason,
                                  tlsb_reason_text(code),
                                  verify_message);
    if (message == NULL)
        goto done;
    tlsb_raise_full(tlsb_interp()->SSLCertVerificationError, TLSB_ERROR_SSL,
                    message, library, reason, code_obj, verify_message);
done:
    Py_XDECREF(library);
    Py_XDECREF(reason);
    Py_XDECREF(verify_message);
    Py_XDECREF(code_obj);
    Py_XDECREF(message);
    return NULL;
}

/* ---- I/O results ---------------------------------------------------- */

static void
tlsb_capture_io_status(SSL *ssl, int ret, tlsb_io_status *status)
{
    status->ret = ret;
    status->sys_errno = errno;
    status->ssl_error = (ret > 0) ? SSL_ERROR_NONE : SSL_get_error(ssl, ret);
}

/* SSLWantReadError/SSLWantWriteError, raised once per non-blocking step
 * (three times per in-memory handshake): from (errno, message) arguments
 * made once at init; the queue is only peeked (these leave it empty).
 * About half the cost of the general path. */
static PyObject *
tlsb_raise_want(PyObject *exc_type, PyObject *args)
{
    PyObject *exc;

    if (ERR_peek_error() != 0)
        ERR_clear_error();
    exc = PyObject_Call(exc_type, args, NULL);
    if (exc == NULL)
        return NULL;
    if (tlsb_set_library_and_reason(exc, NULL, NULL) == 0)
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
    return NULL;
}

/* The module attribute _transport_errors_are_eof (a rare path, so looked
 * up each time); an error reading it counts as false. */
static int
tlsb_transport_errors_are_eof(void)
{
    PyObject *module = tlsb_interp_module(), *flag;
    int result;

    if (module == NULL)
        return 0;
    flag = PyObject_GetAttrString(module, "_transport_errors_are_eof");
    if (flag == NULL) {
        PyErr_Clear();
        return 0;
    }
    result = PyObject_IsTrue(flag);
    Py_DECREF(flag);
    if (result < 0) {
        PyErr_Clear();
        return 0;
    }
    return result;
}

/* The exception for a failed SSL_read/SSL_write/SSL_do_handshake/
 * SSL_shutdown, from what tlsb_capture_io_status saw.  Mirrors the
 * stdlib's choice of class and errno for each SSL_get_error() value. */
static PyObject *
tlsb_raise_io_error(tlsb_Connection *conn, const tlsb_io_status *status)
{
    unsigned long code = ERR_peek_last_error();
    int lib = ERR_GET_LIB(code), reason = ERR_GET_REASON(code);

    switch (status->ssl_error) {
    case SSL_ERROR_ZERO_RETURN:
        return tlsb_raise_message(tlsb_interp()->SSLZeroReturnError,
                                  TLSB_ERROR_ZERO_RETURN,
                                  "TLS/SSL connection has been closed (EOF)");
    case SSL_ERROR_WANT_READ:
        return tlsb_raise_want(tlsb_interp()->SSLWantReadError,
                               tlsb_state.want_read_args);
    case SSL_ERROR_WANT_WRITE:
        return tlsb_raise_want(tlsb_interp()->SSLWantWriteError,
                               tlsb_state.want_write_args);
    case SSL_ERROR_WANT_X509_LOOKUP:
        return tlsb_raise_message(tlsb_interp()->SSLError,
                                  TLSB_ERROR_WANT_X509_LOOKUP,
                                  "The operation did not complete (X509 lookup)");
    case SSL_ERROR_WANT_CONNECT:
        return tlsb_raise_message(tlsb_interp()->SSLError,
                                  TLSB_ERROR_WANT_CONNECT,
                                  "The operation did not complete (connect)");
    case SSL_ERROR_SYSCALL:
        if (code == 0) {
            /* The transport ended under the TLS layer: an EOF, or an OS
             * error such as ECONNRESET.  Where the call returned -1 (the
             * handshake, shutdown) over a socket with errno set, that
             * OSError, as in 3.13 and 3.6-3.9; 3.10-3.12 report it as a
             * ragged EOF, which the graft keeps on those hosts
             * (_transport_errors_are_eof, set by monkeypatch_ssl()).  Reads
             * and writes (the SSL_*_ex calls, returning 0) and a plain EOF
             * are SSLEOFError, as in 3.13. */
            if (conn != NULL && conn->socket != NULL && status->ret == -1 &&
                status->sys_errno != 0 && !tlsb_transport_errors_are_eof()) {
                ERR_clear_error();
                return tlsb_raise_errno(status->sys_errno);
            }
            return tlsb_raise_message(tlsb_interp()->SSLEOFError,
                                      TLSB_ERROR_EOF,
                                      "EOF occurred in violation of protocol");
        }
        tlsb_raise_code(tlsb_interp()->SSLSyscallError, TLSB_ERROR_SYSCALL,
                        code, NULL);
        break;
    case SSL_ERROR_SSL:
        if (code == 0) {
            return tlsb_raise_message(tlsb_interp()->SSLError, TLSB_ERROR_SSL,
                                      "A failure in the SSL library occurred");
        }
        if (lib == ERR_LIB_SSL && reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
            tlsb_raise_verify_error(conn, code);
            break;
        }
#ifdef TLSB_HAS_UNEXPECTED_EOF_REASON
        if (lib == ERR_LIB_SSL && reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            tlsb_raise_code(tlsb_interp()->SSLEOFError, TLSB_ERROR_EOF, code,
                            "EOF occurred in violation of protocol");
            break;
        }
#endif
        tlsb_raise_code(tlsb_interp()->SSLError, TLSB_ERROR_SSL, code, NULL);
        break;
    default:
        tlsb_raise_message(tlsb_interp()->SSLError, TLSB_ERROR_INVALID_ERROR_CODE,
                           "Invalid error code");
    }
    ERR_clear_error();
    return NULL;
}

/* ---- exceptions raised by callbacks inside OpenSSL calls ------------ */

static void
tlsb_pending_exc_save(tlsb_pending_exc *slot)
{
    PyObject *type, *value, *tb;

    PyErr_Fetch(&type, &value, &tb);
    if (slot->type != NULL) {
        /* The first exception is the cause; later ones are fallout. */
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return;
    }
    slot->type = type;
    slot->value = value;
    slot->traceback = tb;
}

/* A callback raised (or returned nonsense) where the stdlib reports it
 * through sys.unraisablehook and fails the handshake with an alert (SNI,
 * PSK): report it the same way, and keep it so that the SSLError the
 * failed call raises carries it as __cause__ (3.13 loses it). */
static void
tlsb_callback_failed_unraisable(tlsb_Connection *conn, PyObject *where)
{
    PyObject *type, *value, *tb;

    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value != NULL && conn->callback_cause == NULL)
        conn->callback_cause = Py_NewRef(value);
#ifdef TLSB_PY3
    if (value != NULL && tb != NULL)
        PyException_SetTraceback(value, tb);
#endif
    PyErr_Restore(type, value, tb);
    PyErr_WriteUnraisable(where ? where : Py_None);
}

/* Sets the pending callback exception as __cause__ of the exception being
 * raised. */
static void
tlsb_attach_callback_cause(tlsb_Connection *conn)
{
    PyObject *type, *value, *tb, *cause = conn->callback_cause;

    if (cause == NULL)
        return;
    conn->callback_cause = NULL;
    if (!PyErr_Occurred()) {
        Py_DECREF(cause);
        return;
    }
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
#ifdef TLSB_PY3
    PyException_SetCause(value, cause);          /* steals cause */
#else
    if (PyObject_SetAttrString(value, "__cause__", cause) < 0)
        PyErr_Clear();
    Py_DECREF(cause);
#endif
    PyErr_Restore(type, value, tb);
}

/* Re-raise a saved exception; returns 1 if there was one. */
static int
tlsb_pending_exc_raise(tlsb_pending_exc *slot)
{
    if (slot->type == NULL)
        return 0;
    PyErr_Restore(slot->type, slot->value, slot->traceback);
    slot->type = slot->value = slot->traceback = NULL;
    ERR_clear_error();
    return 1;
}

static void
tlsb_pending_exc_clear(tlsb_pending_exc *slot)
{
    Py_CLEAR(slot->type);
    Py_CLEAR(slot->value);
    Py_CLEAR(slot->traceback);
}

/* ---- module init: find the host's classes -------------------------- */

static PyObject *
tlsb_import_attr(const char *module_name, const char *attr, int required)
{
    PyObject *module = PyImport_ImportModule(module_name), *value;

    if (module == NULL)
        return NULL;
    value = PyObject_GetAttrString(module, attr);
    Py_DECREF(module);
    if (value == NULL && !required && PyErr_ExceptionMatches(PyExc_AttributeError)) {
        PyErr_Clear();
        return Py_NewRef(Py_None);
    }
    return value;
}

#ifdef TLSB_HOST_SSLERROR_STR_NOT_INHERITED
/* str(exc): the message (strerror) when there is one, as SSLError does. */
static PyObject *
tlsb_ssl_error_str(PyObject *self, PyObject *unused)
{
    PyObject *strerror = PyObject_GetAttrString(self, "strerror"), *args, *text;

    if (strerror == NULL)
        return NULL;
    if (NativeStr_Check(strerror))
        return strerror;
    Py_DECREF(strerror);
    args = PyObject_GetAttrString(self, "args");
    if (args == NULL)
        return NULL;
    text = PyObject_Str(args);
    Py_DECREF(args);
    return text;
}

static PyMethodDef tlsb_ssl_error_str_def = {
    "__str__", tlsb_ssl_error_str, METH_NOARGS, NULL
};
#endif

/* Where the host lacks SSLCertVerificationError (2.7, 3.6) we make it the
 * way 3.7 defines it, a subclass of SSLError and ValueError; ValueError
 * comes through the host's ssl.CertificateError so that existing
 * "except ssl.CertificateError" clauses still catch hostname mismatches. */
static PyObject *
tlsb_make_cert_verification_error(tlsb_interp_state *here)
{
    PyObject *bases, *cls, *dict;

    bases = PyTuple_Pack(2, here->SSLError,
                         here->CertificateError != Py_None
                             ? here->CertificateError : PyExc_ValueError);
    if (bases == NULL)
        return NULL;
    dict = Py_BuildValue("{s:O,s:O}", "verify_code", Py_None,
                         "verify_message", Py_None);
    if (dict == NULL) {
        Py_DECREF(bases);
        return NULL;
    }
    cls = PyErr_NewExceptionWithDoc(
        "ssl.SSLCertVerificationError",
        "A certificate could not be verified.",
        bases, dict);
    Py_DECREF(bases);
    Py_DECREF(dict);
#ifdef TLSB_HOST_SSLERROR_STR_NOT_INHERITED
    if (cls != NULL) {
        PyObject *method = PyDescr_NewMethod((PyTypeObject *)cls,
                                             &tlsb_ssl_error_str_def);
        if (method == NULL || PyObject_SetAttrString(cls, "__str__", method) < 0)
            Py_CLEAR(cls);
        Py_XDECREF(method);
    }
#endif
    return cls;
}

/* ---- one interpreter's classes ---------------------------------------
 *
 * Each interpreter has its own ssl module and, from 3.10 (_ssl with
 * multi-phase init) its own ssl.SSLError and friends; ssl.CertificateError
 * is a Python class, per interpreter, on 2.7 and 3.6.  An exception that
 * must be caught by "except ssl.X" in the interpreter that runs the code
 * is therefore taken from that interpreter's state, never from a global
 * (issue 14, item 4: mod_wsgi runs applications in subinterpreters).
 *
 * Who owns a tlsb_interp_state, and how it is found:
 * - 3.x: made by the module's exec step in each interpreter that imports
 *   us (multi-phase init); the module's state holds the pointer; freed by
 *   m_free when that module goes (interpreter end, or a re-import).
 * - 2.7: 2.7 does not run an extension's init again in a subinterpreter,
 *   it copies the dict the first import's init left (one static init, and
 *   static types shared by all interpreters, as on 3.x).  That init makes
 *   the first state.  _bind_interpreter(), called by Lib/_tls_bootstrap.py
 *   at import (or by the first lookup from a C path), makes the calling
 *   interpreter's state if it has none, rebinding the copy's attributes,
 *   and hands the state to a capsule in the module's dict, which frees it
 *   when Py_EndInterpreter clears that dict.  The capsule is added only
 *   after init, so the copy kept for later imports never carries it.
 *   2.7 tells us nothing when a module goes, so the module itself is
 *   looked up in sys.modules where needed (tlsb_interp_module()).
 * - All live states are in a registry keyed by PyInterpreterState,
 *   protected by the GIL: interpreters with their own GIL refuse the
 *   import (Py_mod_multiple_interpreters), so one GIL covers every
 *   interpreter that can reach this code.  A state registered for an
 *   interpreter replaces an older one for the same pointer (a re-import,
 *   or a new interpreter at a freed one's address).
 * - C paths with no module at hand (callbacks, this file) call
 *   tlsb_interp(): the state of the calling thread's interpreter, cached
 *   for the last interpreter asked.  An interpreter without a state (our
 *   objects passed to one that never imported us) gets the first one's,
 *   which is kept, classes and all, for the life of the process, as the
 *   single static state was before. */

static tlsb_interp_state *tlsb_interp_states;    /* registry (GIL) */
static tlsb_interp_state *tlsb_interp_last;      /* last lookup's answer */
static tlsb_interp_state *tlsb_interp_first;     /* fallback, never freed */

/* Fills `here` with the calling interpreter's classes (new references). */
static int
tlsb_interp_state_fill(tlsb_interp_state *here)
{
    static const struct { const char *name; size_t offset; } host_classes[] = {
        {"SSLError", offsetof(tlsb_interp_state, SSLError)},
        {"SSLZeroReturnError", offsetof(tlsb_interp_state, SSLZeroReturnError)},
        {"SSLWantReadError", offsetof(tlsb_interp_state, SSLWantReadError)},
        {"SSLWantWriteError", offsetof(tlsb_interp_state, SSLWantWriteError)},
        {"SSLSyscallError", offsetof(tlsb_interp_state, SSLSyscallError)},
        {"SSLEOFError", offsetof(tlsb_interp_state, SSLEOFError)},
    };
    size_t i;

    for (i = 0; i < sizeof(host_classes) / sizeof(host_classes[0]); i++) {
        PyObject **slot = (PyObject **)((char *)here + host_classes[i].offset);
        *slot = tlsb_import_attr("_ssl", host_classes[i].name, 1);
        if (*slot == NULL)
            return -1;
    }
    here->CertificateError = tlsb_import_attr("ssl", "CertificateError", 0);
    if (here->CertificateError == NULL)
        return -1;
    here->SSLCertVerificationError =
        tlsb_import_attr("_ssl", "SSLCertVerificationError", 0);
    if (here->SSLCertVerificationError == NULL)
        return -1;
    if (here->SSLCertVerificationError == Py_None) {
        Py_SETREF(here->SSLCertVerificationError,
                  tlsb_make_cert_verification_error(here));
        if (here->SSLCertVerificationError == NULL)
            return -1;
        here->cert_verification_error_is_ours = 1;
    }
    here->socket_timeout = tlsb_import_attr("socket", "timeout", 1);
    if (here->socket_timeout == NULL)
        return -1;
    /* socket.error: OSError on 3.x, a subclass of IOError on 2.7 that
     * httplib and friends catch. */
    here->socket_error = tlsb_import_attr("socket", "error", 1);
    if (here->socket_error == NULL)
        return -1;
    here->socket_type = (PyTypeObject *)tlsb_import_attr("_socket", "socket", 1);
    if (here->socket_type == NULL)
        return -1;
    return 0;
}

static void
tlsb_interp_unregister(tlsb_interp_state *here)
{
    tlsb_interp_state **link;

    for (link = &tlsb_interp_states; *link != NULL; link = &(*link)->next) {
        if (*link == here) {
            *link = here->next;
            break;
        }
    }
    here->next = NULL;
    if (tlsb_interp_last == here)
        tlsb_interp_last = NULL;
}

static void
tlsb_interp_register(tlsb_interp_state *here)
{
    tlsb_interp_state *other = tlsb_interp_states, *next;

    for (; other != NULL; other = next) {
        next = other->next;
        if (other->interp == here->interp) {
            tlsb_interp_unregister(other);
            other->interp = NULL;
        }
    }
    here->next = tlsb_interp_states;
    tlsb_interp_states = here;
    tlsb_interp_last = here;
    if (tlsb_interp_first == NULL)
        tlsb_interp_first = here;
}

/* The module that owned `here` is going.  The first state stays (the
 * fallback), detached from its module and interpreter. */
static void
tlsb_interp_state_free(tlsb_interp_state *here)
{
    if (here == NULL)
        return;
    tlsb_interp_unregister(here);
    here->module = NULL;
    here->interp = NULL;
    if (here == tlsb_interp_first)
        return;
    Py_CLEAR(here->SSLError);
    Py_CLEAR(here->SSLZeroReturnError);
    Py_CLEAR(here->SSLWantReadError);
    Py_CLEAR(here->SSLWantWriteError);
    Py_CLEAR(here->SSLSyscallError);
    Py_CLEAR(here->SSLEOFError);
    Py_CLEAR(here->SSLCertVerificationError);
    Py_CLEAR(here->CertificateError);
    Py_CLEAR(here->socket_timeout);
    Py_CLEAR(here->socket_error);
    Py_CLEAR(here->socket_type);
    free(here);
}

/* The module's attributes that name the classes. */
static int
tlsb_interp_publish(PyObject *module, tlsb_interp_state *here)
{
    if (PyModule_AddObjectRef(module, "SSLError", here->SSLError) < 0 ||
        PyModule_AddObjectRef(module, "SSLZeroReturnError", here->SSLZeroReturnError) < 0 ||
        PyModule_AddObjectRef(module, "SSLWantReadError", here->SSLWantReadError) < 0 ||
        PyModule_AddObjectRef(module, "SSLWantWriteError", here->SSLWantWriteError) < 0 ||
        PyModule_AddObjectRef(module, "SSLSyscallError", here->SSLSyscallError) < 0 ||
        PyModule_AddObjectRef(module, "SSLEOFError", here->SSLEOFError) < 0 ||
        PyModule_AddObjectRef(module, "SSLCertVerificationError",
                              here->SSLCertVerificationError) < 0 ||
        PyModule_AddObjectRef(module, "CertificateError",
                              here->CertificateError) < 0 ||
        PyModule_AddIntConstant(module, "_cert_verification_error_is_ours",
                                here->cert_verification_error_is_ours) < 0)
        return -1;
    return 0;
}

/* Makes, registers and publishes the calling interpreter's state for
 * `module`.  3.x: the module's state owns it from here on.  2.7: the
 * caller gives it to the module's dict (tlsb_interp_attach).  NULL with an
 * exception set on failure. */
static tlsb_interp_state *
tlsb_interp_state_new(PyObject *module)
{
    tlsb_interp_state *here = calloc(1, sizeof(*here));

    if (here == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    here->interp = tlsb_current_interp();
    here->module = module;
#ifdef TLSB_MULTI_PHASE_INIT
    *(tlsb_interp_state **)PyModule_GetState(module) = here;  /* m_free frees */
#endif
    if (tlsb_interp_state_fill(here) < 0 || tlsb_interp_publish(module, here) < 0) {
#ifndef TLSB_MULTI_PHASE_INIT
        tlsb_interp_state_free(here);
#endif
        return NULL;
    }
    tlsb_interp_register(here);
    return here;
}

/* Registered state of the calling interpreter, or NULL. */
static tlsb_interp_state *
tlsb_interp_find(void)
{
    PyInterpreterState *interp = tlsb_current_interp();
    tlsb_interp_state *here = tlsb_interp_last;

    if (here != NULL && here->interp == interp)
        return here;
    for (here = tlsb_interp_states; here != NULL; here = here->next) {
        if (here->interp == interp) {
            tlsb_interp_last = here;
            return here;
        }
    }
    return NULL;
}

#ifndef TLSB_MULTI_PHASE_INIT
#define TLSB_INTERP_CAPSULE "_tls_bootstrap_core._interp_state"

static void
tlsb_interp_capsule_free(PyObject *capsule)
{
    tlsb_interp_state_free(PyCapsule_GetPointer(capsule, TLSB_INTERP_CAPSULE));
}

/* 2.7: this interpreter's _tls_bootstrap_core (borrowed) from its
 * sys.modules, or NULL.  2.7 gives us no hook when a module goes, so the
 * module is looked up rather than remembered. */
static PyObject *
tlsb_module_here(void)
{
    PyObject *modules = PyThreadState_Get()->interp->modules, *module;

    if (modules == NULL)                /* interpreter being torn down */
        return NULL;
    module = PyDict_GetItemString(modules, "_tls_bootstrap_core");
    return (module != NULL && PyModule_Check(module)) ? module : NULL;
}

/* 2.7: the module's dict takes `here` and frees it when Py_EndInterpreter
 * clears the dict.  Done after the first import's init returned: 2.7 keeps
 * a copy of the dict init left, for later imports, which must not carry
 * the first interpreter's capsule. */
static int
tlsb_interp_attach(PyObject *module, tlsb_interp_state *here)
{
    PyObject *capsule = PyCapsule_New(here, TLSB_INTERP_CAPSULE,
                                      tlsb_interp_capsule_free);
    int status;

    if (capsule == NULL)
        return -1;
    status = PyDict_SetItemString(PyModule_GetDict(module), "_interp_state",
                                  capsule);
    Py_DECREF(capsule);                 /* on failure: frees here */
    return status;
}

/* 2.7: the calling interpreter's state, made and attached if its module
 * has none yet (see above).  A registered state made for another module
 * object (that of an interpreter that ended at the same address) is
 * replaced.  NULL with an exception set on failure. */
static tlsb_interp_state *
tlsb_interp_bind_current(void)
{
    PyObject *module = tlsb_module_here();
    tlsb_interp_state *here = tlsb_interp_find();

    if (module == NULL) {
        PyErr_SetString(PyExc_ImportError,
                        "_tls_bootstrap_core is not imported in this interpreter");
        return NULL;
    }
    if (here != NULL && here->module == module &&
        PyDict_GetItemString(PyModule_GetDict(module), "_interp_state") != NULL)
        return here;                    /* bound already */
    if (here == NULL || here->module != module) {
        here = tlsb_interp_state_new(module);
        if (here == NULL)
            return NULL;
    }
    return tlsb_interp_attach(module, here) < 0 ? NULL : here;
}
#endif

static tlsb_interp_state *
tlsb_interp(void)
{
    tlsb_interp_state *here = tlsb_interp_find();

#ifndef TLSB_MULTI_PHASE_INIT
    if (here == NULL) {
        PyObject *type, *value, *tb;

        PyErr_Fetch(&type, &value, &tb);
        here = tlsb_interp_bind_current();
        if (here == NULL)
            PyErr_Clear();
        PyErr_Restore(type, value, tb);
    }
#endif
    return here != NULL ? here : tlsb_interp_first;
}

/* The calling interpreter's _tls_bootstrap_core (borrowed), or NULL: for
 * the attributes the Python layer sets (_timeout_error, ...). */
static PyObject *
tlsb_interp_module(void)
{
#ifdef TLSB_MULTI_PHASE_INIT
    return tlsb_interp()->module;
#else
    return tlsb_module_here();
#endif
}

/* _bind_interpreter() -> None: make sure the calling interpreter raises
 * its own ssl classes and the module's attributes name them (2.7; on 3.x
 * the module's exec step did it already). */
static PyObject *
tlsb_bind_interpreter(PyObject *module, PyObject *unused)
{
#ifndef TLSB_MULTI_PHASE_INIT
    if (tlsb_interp_bind_current() == NULL)
        return NULL;
#endif
    Py_RETURN_NONE;
}

/* Once per process: objects every interpreter may use. */
static int
tlsb_errors_global_init(void)
{
    tlsb_state.str_library = NativeStr_FromString("library");
    tlsb_state.str_reason = NativeStr_FromString("reason");
    tlsb_state.want_read_args = Py_BuildValue(
        "(is)", TLSB_ERROR_WANT_READ, "The operation did not complete (read)");
    tlsb_state.want_write_args = Py_BuildValue(
        "(is)", TLSB_ERROR_WANT_WRITE, "The operation did not complete (write)");
    if (tlsb_state.str_library == NULL || tlsb_state.str_reason == NULL ||
        tlsb_state.want_read_args == NULL || tlsb_state.want_write_args == NULL)
        return -1;
    return 0;
}

/* In each interpreter's import: its classes, as module attributes. */
static int
tlsb_errors_init(PyObject *module)
{
    return tlsb_interp_state_new(module) != NULL ? 0 : -1;
}

/* ---- crypto.Error: pyOpenSSL's error list ---- */

/* pyOpenSSL's crypto.Error carries the whole queue, oldest first, as a
 * list of (library, function, reason) text tuples: OpenSSL's own strings
 * ("PEM routines", "get_name", "no start line"), "" where OpenSSL has
 * none.  On 3.0 the function is the one recorded with the error (1.1.1's
 * per-code function table is gone).  Returns a new list and leaves the
 * queue empty, also on failure. */
static PyObject *
tlsb_crypto_error_list(void)
{
    PyObject *list = PyList_New(0), *entry;
    unsigned long code;
    const char *func, *lib, *reason;
    char sysbuf[64];

    while ((code = tlsb_err_get_error_func(&func)) != 0) {
        if (list == NULL)
            continue;                   /* drain the queue anyway */
        lib = tlsb_lib_text(code);
        reason = tlsb_reason_text(code);
        if (reason == NULL && tlsb_err_is_system(code)) {
            /* errno entries: strerror text, as 1.1.1's table had it. */
            snprintf(sysbuf, sizeof(sysbuf), "%s",
                     strerror(ERR_GET_REASON(code)));
            reason = sysbuf;
        }
        entry = Py_BuildValue("(sss)", lib ? lib : "", func ? func : "",
                              reason ? reason : "");
        if (entry == NULL || PyList_Append(list, entry) < 0)
            Py_CLEAR(list);
        Py_XDECREF(entry);
    }
    return list;
}

/* Raise error_class(list) with the queue's contents; always NULL. */
static PyObject *
tlsb_raise_crypto_error(PyObject *error_class)
{
    PyObject *list = tlsb_crypto_error_list(), *exc;

    if (list == NULL)
        return NULL;
    exc = PyObject_CallFunctionObjArgs(error_class, list, NULL);
    Py_DECREF(list);
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}
