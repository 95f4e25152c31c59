/* context.c: _SSLContext, the SSL_CTX behind ssl.SSLContext.
 *
 * Lib/_tls_bootstrap.py subclasses this type; the Python class adds the
 * enums, the deprecation warnings and the wrap_* front doors.  Here live
 * the settings that must reach OpenSSL, with the stdlib 3.13 defaults.
 *
 * Rules of this file:
 * - Values cross into Python as plain ints; the Python layer wraps them in
 *   Options/VerifyMode/TLSVersion.
 * - Loading files releases the GIL; the password callback takes it back.
 *
 * Ownership: pointers OpenSSL keeps to Python objects of this file
 * (pointer | owner | taken | released | if the object goes first)
 * - SSL_CTX ex_data[ctx_ex_index] -> this context | borrowed | _SSLContext()
 *   | cleared in dealloc, before SSL_CTX_free | cannot: every SSL using the
 *   SSL_CTX belongs to a connection holding this context (tlsobject.c);
 *   readers (keylog, msg, PSK callbacks) still treat NULL as "none".
 * - servername callback arg -> this context | borrowed | sni_callback
 *   setter | never (lives in the SSL_CTX) | cannot: OpenSSL runs it for
 *   SSLs whose current or session SSL_CTX this is, and their connections
 *   hold this context as `context` or `session_context`.  A switched
 *   connection's session SSL_CTX stays the original one, and OpenSSL
 *   falls back to its callback when the new context has none (issue 14).
 * - ALPN select callback arg -> this context | borrowed | set_alpn_protocols
 *   | never | cannot: OpenSSL calls it for SSLs whose current SSL_CTX this
 *   is (held as `context`).  The list it reads is ours, replaced under the
 *   settings lock held exclusively.  A handshake step holds the lock
 *   of the context it started on, and, once an SNI callback switched to
 *   this one, this one's too until the step returns (the context setter,
 *   tlsobject.c), so no setter here frees the list under the rest of it.
 * - default password callback userdata -> a tlsb_password_info on the
 *   stack | load_cert_chain | restored before it returns | n/a.
 * - The callables themselves (sni, msg, PSK) are strong references here;
 *   callbacks read them under the GIL and treat NULL (after tp_clear) as
 *   "none set".
 */

/* The stdlib's PEM_BUFSIZE limit on passwords. */
#define TLSB_MAX_PASSWORD_LEN 1024

static tlsb_Context *
tlsb_context_check(PyObject *obj)
{
    if (!PyObject_TypeCheck(obj, &tlsb_Context_Type)) {
        PyErr_Format(PyExc_TypeError, "The value must be a SSLContext, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return (tlsb_Context *)obj;
}

/* ---- creation -------------------------------------------------------- */

/* PROTOCOL_* -> method and version range.  The fixed-version protocols use
 * TLS_method() pinned to one version: the same behaviour without the
 * deprecated TLSv1_method() family. */
static int
tlsb_protocol_method(int protocol, const SSL_METHOD **method, int *only_version)
{
    *only_version = 0;
    switch (protocol) {
    case TLSB_PROTOCOL_TLS:
        *method = TLS_method();
        return 0;
    case TLSB_PROTOCOL_TLS_CLIENT:
        *method = TLS_client_method();
        return 0;
    case TLSB_PROTOCOL_TLS_SERVER:
        *method = TLS_server_method();
        return 0;
#ifndef OPENSSL_NO_TLS1_METHOD
    case TLSB_PROTOCOL_TLSv1:
        *method = TLS_method();
        *only_version = TLS1_VERSION;
        return 0;
#endif
#ifndef OPENSSL_NO_TLS1_1_METHOD
    case TLSB_PROTOCOL_TLSv1_1:
        *method = TLS_method();
        *only_version = TLS1_1_VERSION;
        return 0;
#endif
#ifndef OPENSSL_NO_TLS1_2_METHOD
    case TLSB_PROTOCOL_TLSv1_2:
        *method = TLS_method();
        *only_version = TLS1_2_VERSION;
        return 0;
#endif
    default:
        PyErr_Format(PyExc_ValueError,
                     "invalid or unsupported protocol version %i", protocol);
        return -1;
    }
}

static int tlsb_context_set_verify_mode_int(tlsb_Context *self, int mode);

/* _SSLContext(protocol, /) */
static PyObject *
tlsb_Context_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    int protocol, only_version;
    const SSL_METHOD *method;
    tlsb_Context *self;
    SSL_CTX *ctx;
    uint64_t options;

    if (!PyArg_ParseTuple(args, "i:_SSLContext", &protocol))
        return NULL;
    if (tlsb_protocol_method(protocol, &method, &only_version) < 0)
        return NULL;
    ctx = SSL_CTX_new(method);
    if (ctx == NULL)
        return tlsb_raise_from_queue(NULL);
    self = (tlsb_Context *)type->tp_alloc(type, 0);
    if (self == NULL) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    self->ctx = ctx;
    self->protocol = protocol;
    tlsb_settings_init(self);
    self->hostflags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
    SSL_CTX_set_ex_data(ctx, tlsb_state.ctx_ex_index, self);

    /* 3.13's defaults: OP_ALL but empty fragments, no SSLv3, no
     * compression, server cipher preference. */
    options = (SSL_OP_ALL & ~(uint64_t)SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS) |
              SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION |
              SSL_OP_CIPHER_SERVER_PREFERENCE |
              SSL_OP_SINGLE_DH_USE | SSL_OP_SINGLE_ECDH_USE;
    SSL_CTX_set_options(ctx, options);
    /* 1.1.1 sets LEGACY_SERVER_CONNECT in every new context, 3.0 does not:
     * the same secure default on both. */
    SSL_CTX_clear_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
    /* Python may hand OpenSSL a different buffer object when it retries a
     * write; AUTO_RETRY makes blocking reads skip post-handshake messages;
     * RELEASE_BUFFERS frees the 16 KiB record buffers of idle connections
     * (the stdlib sets it too: about half the memory of an idle one). */
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                          SSL_MODE_AUTO_RETRY | SSL_MODE_RELEASE_BUFFERS);
    if (!SSL_CTX_set_cipher_list(ctx, TLSB_DEFAULT_CIPHERS)) {
        Py_DECREF(self);
        return tlsb_raise_from_queue(NULL);
    }
    if (only_version) {
        SSL_CTX_set_min_proto_version(ctx, only_version);
        SSL_CTX_set_max_proto_version(ctx, only_version);
    } else {
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    }
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_TRUSTED_FIRST);
    X509_VERIFY_PARAM_set_hostflags(SSL_CTX_get0_param(ctx), self->hostflags);
    SSL_CTX_set_session_id_context(ctx, tlsb_session_id_context,
                                   sizeof(tlsb_session_id_context) - 1);
    if (protocol == TLSB_PROTOCOL_TLS_CLIENT) {
        self->check_hostname = 1;
        tlsb_context_set_verify_mode_int(self, TLSB_CERT_REQUIRED);
    } else {
        self->check_hostname = 0;
        tlsb_context_set_verify_mode_int(self, TLSB_CERT_NONE);
    }
    ERR_clear_error();
    return (PyObject *)self;
}

static int
tlsb_Context_traverse(tlsb_Context *self, visitproc visit, void *arg)
{
    Py_VISIT(self->sni_callback);
    Py_VISIT(self->msg_callback);
    Py_VISIT(self->psk_client_callback);
    Py_VISIT(self->psk_server_callback);
    Py_VISIT(self->verify_callback);
    Py_VISIT(self->info_callback);
    Py_VISIT(self->keylog_callback);
    Py_VISIT(self->alpn_select_callback);
    Py_VISIT(self->ocsp_callback);
    return 0;
}

static int
tlsb_Context_clear(tlsb_Context *self)
{
    Py_CLEAR(self->sni_callback);
    Py_CLEAR(self->msg_callback);
    Py_CLEAR(self->psk_client_callback);
    Py_CLEAR(self->psk_server_callback);
    Py_CLEAR(self->verify_callback);
    Py_CLEAR(self->info_callback);
    Py_CLEAR(self->keylog_callback);
    Py_CLEAR(self->alpn_select_callback);
    Py_CLEAR(self->ocsp_callback);
    return 0;
}

static void
tlsb_Context_dealloc(tlsb_Context *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    tlsb_Context_clear(self);
    Py_CLEAR(self->keylog_filename);
    if (self->keylog_bio != NULL)
        BIO_free_all(self->keylog_bio);
    if (self->ctx != NULL) {
        SSL_CTX_set_ex_data(self->ctx, tlsb_state.ctx_ex_index, NULL);
        SSL_CTX_free(self->ctx);
    }
    tlsb_settings_fini(self);
    PyMem_Free(self->alpn_protocols);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* ---- verification settings ------------------------------------------- */

static int
tlsb_context_get_verify_mode_int(tlsb_Context *self)
{
    int mode = SSL_CTX_get_verify_mode(self->ctx);

    if (mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT)
        return TLSB_CERT_REQUIRED;
    if (mode & SSL_VERIFY_PEER)
        return TLSB_CERT_OPTIONAL;
    return TLSB_CERT_NONE;
}

/* CERT_* -> SSL_VERIFY_*; REQUIRED only fails a server without a client
 * certificate, a client always fails without one from the server. */
static int
tlsb_context_set_verify_mode_int(tlsb_Context *self, int mode)
{
    int flags;

    switch (mode) {
    case TLSB_CERT_NONE:
        flags = SSL_VERIFY_NONE;
        break;
    case TLSB_CERT_OPTIONAL:
        flags = SSL_VERIFY_PEER;
        break;
    case TLSB_CERT_REQUIRED:
        flags = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        break;
    default:
        PyErr_SetString(PyExc_ValueError, "invalid value for verify_mode");
        return -1;
    }
    if (mode == TLSB_CERT_NONE && self->check_hostname) {
        PyErr_SetString(PyExc_ValueError,
                        "Cannot set verify_mode to CERT_NONE when "
                        "check_hostname is enabled.");
        return -1;
    }
    /* (post-handshake auth is added per connection, on servers only) */
    SSL_CTX_set_verify(self->ctx, flags,
                       self->verify_callback ? tlsb_verify_callback : NULL);
    return 0;
}

/* verify_mode: CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED */
static PyObject *
tlsb_Context_get_verify_mode(tlsb_Context *self, void *closure)
{
    return tlsb_int_from_long(tlsb_context_get_verify_mode_int(self));
}

static int
tlsb_Context_set_verify_mode(tlsb_Context *self, PyObject *value, void *closure)
{
    long mode;

    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete verify_mode");
        return -1;
    }
    mode = tlsb_long_from_int(value);
    if (mode == -1 && PyErr_Occurred())
        return -1;
    /* Truncated to int, 2**32 would quietly have become CERT_NONE. */
    if (mode < INT_MIN || mode > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, mode < 0 ?
                        "signed integer is less than minimum" :
                        "signed integer is greater than maximum");
        return -1;
    }
    return tlsb_context_set_verify_mode_int(self, (int)mode);
}

/* check_hostname: bool; turning it on also turns on CERT_REQUIRED */
static PyObject *
tlsb_Context_get_check_hostname(tlsb_Context *self, void *closure)
{
    return PyBool_FromLong(self->check_hostname);
}

static int
tlsb_Context_set_check_hostname(tlsb_Context *self, PyObject *value, void *closure)
{
    int enable;

    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete check_hostname");
        return -1;
    }
    enable = PyObject_IsTrue(value);
    if (enable < 0)
        return -1;
    if (enable && tlsb_context_get_verify_mode_int(self) == TLSB_CERT_NONE &&
        tlsb_context_set_verify_mode_int(self, TLSB_CERT_REQUIRED) < 0)
        return -1;
    self->check_hostname = enable;
    return 0;
}

/* Reads an int attribute value as an unsigned 64-bit mask. */
static int
tlsb_mask_from_object(PyObject *value, uint64_t *mask, const char *what)
{
    unsigned long long raw;

    if (value == NULL) {
        PyErr_Format(PyExc_AttributeError, "cannot delete %s", what);
        return -1;
    }
#ifndef TLSB_PY3
    if (PyInt_Check(value)) {
        long small = PyInt_AsLong(value);
        if (small < 0) {
            PyErr_SetString(PyExc_OverflowError,
                            "can't convert negative int to unsigned");
            return -1;
        }
        *mask = (uint64_t)small;
        return 0;
    }
#endif
    if (!PyLong_Check(value)) {
        PyErr_Format(PyExc_TypeError,
                     "'%.100s' object cannot be interpreted as an integer",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    raw = PyLong_AsUnsignedLongLong(value);
    if (raw == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    *mask = (uint64_t)raw;
    return 0;
}

/* verify_flags: X509_V_FLAG_* bits */
static PyObject *
tlsb_Context_get_verify_flags(tlsb_Context *self, void *closure)
{
    return PyLong_FromUnsignedLong(
        X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(self->ctx)));
}

static int
tlsb_Context_set_verify_flags(tlsb_Context *self, PyObject *value, void *closure)
{
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(self->ctx);
    uint64_t wanted;
    unsigned long current;

    if (tlsb_mask_from_object(value, &wanted, "verify_flags") < 0)
        return -1;
    current = X509_VERIFY_PARAM_get_flags(param);
    if (!X509_VERIFY_PARAM_clear_flags(param, current & ~(unsigned long)wanted) ||
        !X509_VERIFY_PARAM_set_flags(param, (unsigned long)wanted & ~current)) {
        tlsb_raise_from_queue(NULL);
        return -1;
    }
    return 0;
}

/* options: SSL_OP_* bits */
static PyObject *
tlsb_Context_get_options(tlsb_Context *self, void *closure)
{
    return PyLong_FromUnsignedLongLong(SSL_CTX_get_options(self->ctx));
}

static int
tlsb_Context_set_options(tlsb_Context *self, PyObject *value, void *closure)
{
    uint64_t wanted, current;

    if (tlsb_mask_from_object(value, &wanted, "options") < 0)
        return -1;
    current = SSL_CTX_get_options(self->ctx);
    SSL_CTX_clear_options(self->ctx, current & ~wanted);
    SSL_CTX_set_options(self->ctx, wanted & ~current);
    return 0;
}

/* _host_flags: X509_CHECK_FLAG_* for hostname matching */
static PyObject *
tlsb_Context_get_host_flags(tlsb_Context *self, void *closure)
{
    return PyLong_FromUnsignedLong(self->hostflags);
}

static int
tlsb_Context_set_host_flags(tlsb_Context *self, PyObject *value, void *closure)
{
    uint64_t flags;

    if (tlsb_mask_from_object(value, &flags, "_host_flags") < 0)
        return -1;
    self->hostflags = (unsigned int)flags;
    X509_VERIFY_PARAM_set_hostflags(SSL_CTX_get0_param(self->ctx), self->hostflags);
    return 0;
}

/* hostname_checks_common_name: fall back to the subject CN without SANs */
static PyObject *
tlsb_Context_get_hostname_checks_common_name(tlsb_Context *self, void *closure)
{
    return PyBool_FromLong(!(self->hostflags & X509_CHECK_FLAG_NEVER_CHECK_SUBJECT));
}

static int
tlsb_Context_set_hostname_checks_common_name(tlsb_Context *self, PyObject *value,
                                             void *closure)
{
    int enable;

    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError,
                        "cannot delete hostname_checks_common_name");
        return -1;
    }
    enable = PyObject_IsTrue(value);
    if (enable < 0)
        return -1;
    if (enable)
        self->hostflags &= ~X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
    else
        self->hostflags |= X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
    X509_VERIFY_PARAM_set_hostflags(SSL_CTX_get0_param(self->ctx), self->hostflags);
    return 0;
}

/* ---- protocol versions ------------------------------------------------ */

static PyObject *
tlsb_Context_get_protocol(tlsb_Context *self, void *closure)
{
    return tlsb_int_from_long(self->protocol);
}

static PyObject *
tlsb_Context_get_minimum_version(tlsb_Context *self, void *closure)
{
    long version = SSL_CTX_get_min_proto_version(self->ctx);
    return tlsb_int_from_long(version ? version : TLSB_PROTO_MINIMUM_SUPPORTED);
}

static PyObject *
tlsb_Context_get_maximum_version(tlsb_Context *self, void *closure)
{
    long version = SSL_CTX_get_max_proto_version(self->ctx);
    return tlsb_int_from_long(version ? version : TLSB_PROTO_MAXIMUM_SUPPORTED);
}

/* Highest and lowest versions this OpenSSL can speak at all. */
static int
tlsb_highest_version(void)
{
#ifndef OPENSSL_NO_TLS1_3
    return TLS1_3_VERSION;
#else
    return TLS1_2_VERSION;
#endif
}

static int
tlsb_lowest_version(void)
{
#ifndef OPENSSL_NO_SSL3
    return SSL3_VERSION;
#else
    return TLS1_VERSION;
#endif
}

/* The sentinels mean "lowest"/"highest"; as a minimum, MAXIMUM_SUPPORTED
 * pins the highest version, as a maximum MINIMUM_SUPPORTED the lowest. */
static int
tlsb_context_set_version_bound(tlsb_Context *self, PyObject *value, int is_max)
{
    long version;
    int ok;

    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete version bound");
        return -1;
    }
    /* as the stdlib's "l": bool is an int (an unsupported version) */
    if (!tlsb_is_int(value) && !PyBool_Check(value)) {
        PyErr_Format(PyExc_TypeError,
                     "'%.100s' object cannot be interpreted as an integer",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    version = tlsb_long_from_int(value);
    if (version == -1 && PyErr_Occurred())
        return -1;
    if (version > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "Option is too long");
        return -1;
    }
    if (self->protocol != TLSB_PROTOCOL_TLS &&
        self->protocol != TLSB_PROTOCOL_TLS_CLIENT &&
        self->protocol != TLSB_PROTOCOL_TLS_SERVER) {
        PyErr_SetString(PyExc_ValueError,
                        "The context's protocol doesn't support modification of "
                        "highest and lowest version.");
        return -1;
    }
    switch (version) {
    case TLSB_PROTO_MINIMUM_SUPPORTED:
        version = is_max ? tlsb_lowest_version() : 0;
        break;
    case TLSB_PROTO_MAXIMUM_SUPPORTED:
        version = is_max ? 0 : tlsb_highest_version();
        break;
    case SSL3_VERSION:
    case TLS1_VERSION:
    case TLS1_1_VERSION:
    case TLS1_2_VERSION:
    case TLS1_3_VERSION:
        break;
    default:
        PyErr_Format(PyExc_ValueError, "Unsupported TLS/SSL version 0x%x",
                     (unsigned int)version);
        return -1;
    }
    ok = is_max ? SSL_CTX_set_max_proto_version(self->ctx, (int)version)
                : SSL_CTX_set_min_proto_version(self->ctx, (int)version);
    if (!ok) {
        ERR_clear_error();
        PyErr_Format(PyExc_ValueError, "Unsupported protocol version 0x%x",
                     (unsigned int)version);
        return -1;
    }
    return 0;
}

static int
tlsb_Context_set_minimum_version(tlsb_Context *self, PyObject *value, void *closure)
{
    return tlsb_context_set_version_bound(self, value, 0);
}

static int
tlsb_Context_set_maximum_version(tlsb_Context *self, PyObject *value, void *closure)
{
    return tlsb_context_set_version_bound(self, value, 1);
}

/* security_level: OpenSSL's, read-only as in the stdlib */
static PyObject *
tlsb_Context_get_security_level(tlsb_Context *self, void *closure)
{
    return tlsb_int_from_long(SSL_CTX_get_security_level(self->ctx));
}

/* ---- certificates and keys ------------------------------------------- */


/* password -> bytes in info; TypeError/ValueError as the stdlib words them */
static int
tlsb_password_from_object(tlsb_password_info *info, PyObject *password,
                          int from_callback)
{
    PyObject *bytes = NULL;

    if (PyUnicode_Check(password)) {
        bytes = PyUnicode_AsUTF8String(password);
    } else if (PyBytes_Check(password)) {
        bytes = Py_NewRef(password);
    } else if (PyByteArray_Check(password)) {
        bytes = PyBytes_FromStringAndSize(PyByteArray_AS_STRING(password),
                                          PyByteArray_GET_SIZE(password));
    } else {
        PyErr_SetString(PyExc_TypeError,
                        from_callback ? "password callback must return a string"
                                      : "password should be a string or callable");
        return -1;
    }
    if (bytes == NULL)
        return -1;
    if (PyBytes_GET_SIZE(bytes) > TLSB_MAX_PASSWORD_LEN) {
        Py_DECREF(bytes);
        PyErr_Format(PyExc_ValueError,
                     "password cannot be longer than %d bytes",
                     TLSB_MAX_PASSWORD_LEN);
        return -1;
    }
    Py_XSETREF(info->password_holder, bytes);
    info->password = PyBytes_AS_STRING(bytes);
    info->password_len = (int)PyBytes_GET_SIZE(bytes);
    return 0;
}

/* pem_password_cb: runs inside PEM loading with the GIL released. */
static int
tlsb_password_callback(char *buf, int size, int rwflag, void *userdata)
{
    tlsb_password_info *info = (tlsb_password_info *)userdata;
    tlsb_callback_gil gil;
    int result = -1;

    if (info->failed)
        return -1;
    tlsb_callback_gil_take(&gil);
    if (info->callable != NULL) {
        PyObject *value = PyObject_CallObject(info->callable, NULL);
        if (value == NULL || tlsb_password_from_object(info, value, 1) < 0) {
            Py_XDECREF(value);
            goto error;
        }
        Py_DECREF(value);
    }
    if (info->password_len > size) {
        PyErr_Format(PyExc_ValueError,
                     "password cannot be longer than %d bytes", size);
        goto error;
    }
    memcpy(buf, info->password, (size_t)info->password_len);
    result = info->password_len;
    tlsb_callback_gil_give(&gil);
    return result;
error:
    info->failed = 1;
    tlsb_pending_exc_save(&info->exc);
    tlsb_callback_gil_give(&gil);
    return -1;
}

/* After a failed load: an OS error (missing file) as IOError/OSError with
 * errno and, as open() gives it, the file name (`path`, the argument as
 * the caller passed it; borrowed), else SSLError from the queue. */
static PyObject *
tlsb_raise_load_error(PyObject *path)
{
    unsigned long code;

    while ((code = ERR_peek_error()) != 0) {
        if (tlsb_err_is_system(code)) {
            ERR_clear_error();
            errno = ERR_GET_REASON(code);
            return PyErr_SetFromErrnoWithFilenameObject(PyExc_IOError, path);
        }
        if (ERR_peek_error() == ERR_peek_last_error())
            break;
        ERR_get_error();
    }
    return tlsb_raise_from_queue(NULL);
}

/* A path argument the converter refused: a wrong type is named as the
 * stdlib names it; ValueError (an embedded NUL) stays as it is. */
static void
tlsb_path_error(const char *what)
{
    if (PyErr_ExceptionMatches(PyExc_TypeError))
        PyErr_Format(PyExc_TypeError, "%s should be a valid filesystem path", what);
}

/* load_cert_chain(certfile, keyfile=None, password=None) */
static PyObject *
tlsb_Context_load_cert_chain(tlsb_Context *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"certfile", "keyfile", "password", NULL};
    PyObject *certfile, *keyfile = Py_None, *password = Py_None;
    PyObject *certpath = NULL, *keypath = NULL;
    tlsb_password_info info;
    pem_password_cb *saved_cb;
    void *saved_userdata;
    tlsb_gil_release gil_release;
    int ok;

    memset(&info, 0, sizeof(info));
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OO:load_cert_chain", kwlist,
                                     &certfile, &keyfile, &password))
        return NULL;
    certpath = tlsb_fspath_bytes(certfile);
    if (certpath == NULL) {
        tlsb_path_error("certfile");
        return NULL;
    }
    if (keyfile != Py_None) {
        keypath = tlsb_fspath_bytes(keyfile);
        if (keypath == NULL) {
            Py_DECREF(certpath);
            tlsb_path_error("keyfile");
            return NULL;
        }
    }
    if (password != Py_None) {
        if (PyCallable_Check(password))
            info.callable = password;
        else if (tlsb_password_from_object(&info, password, 0) < 0)
            goto error;
    }
    ERR_clear_error();
    /* Exclusive: connections being made copy the chain and key, and a
     * concurrent load_cert_chain() would swap the password callback. */
    tlsb_gil_begin_openssl_call(&gil_release, 1);
    tlsb_settings_acquire(self, 1, 0);
    saved_cb = SSL_CTX_get_default_passwd_cb(self->ctx);
    saved_userdata = SSL_CTX_get_default_passwd_cb_userdata(self->ctx);
    SSL_CTX_set_default_passwd_cb(self->ctx, tlsb_password_callback);
    SSL_CTX_set_default_passwd_cb_userdata(self->ctx, &info);
    ok = SSL_CTX_use_certificate_chain_file(self->ctx, PyBytes_AS_STRING(certpath));
    if (ok == 1)
        ok = SSL_CTX_use_PrivateKey_file(
            self->ctx, PyBytes_AS_STRING(keypath ? keypath : certpath),
            SSL_FILETYPE_PEM) == 1 ? 1 : 2;
    if (ok == 1 && SSL_CTX_check_private_key(self->ctx) != 1)
        ok = 3;
    SSL_CTX_set_default_passwd_cb(self->ctx, saved_cb);
    SSL_CTX_set_default_passwd_cb_userdata(self->ctx, saved_userdata);
    tlsb_settings_release(self);
    tlsb_gil_end_openssl_call(&gil_release);
    if (ok == 3) {
        tlsb_raise_from_queue(NULL);
        goto error;
    }
    if (ok != 1) {
        if (!tlsb_pending_exc_raise(&info.exc))
            tlsb_raise_load_error(ok == 2 && keyfile != Py_None ? keyfile : certfile);
        goto error;
    }
    Py_XDECREF(info.password_holder);
    Py_DECREF(certpath);
    Py_XDECREF(keypath);
    Py_RETURN_NONE;

error:
    tlsb_pending_exc_clear(&info.exc);
    Py_XDECREF(info.password_holder);
    Py_DECREF(certpath);
    Py_XDECREF(keypath);
    ERR_clear_error();
    return NULL;
}

/* Adds every certificate in `data` (PEM text or DER) to the store.
 * Returns the count, or -1 with SSLError. */
static int
tlsb_context_add_cadata(tlsb_Context *self, const void *data, Py_ssize_t len,
                        int is_pem)
{
    X509_STORE *store = SSL_CTX_get_cert_store(self->ctx);
    BIO *bio;
    int loaded = 0;

    if (len == 0) {               /* as 3.13, before any parsing */
        PyErr_SetString(PyExc_ValueError, "Empty certificate data");
        return -1;
    }
    if (len > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "cadata is too long");
        return -1;
    }
    bio = BIO_new_mem_buf(data, (int)len);
    if (bio == NULL) {
        tlsb_raise_from_queue(NULL);
        return -1;
    }
    ERR_clear_error();
    for (;;) {
        X509 *cert;

        if (!is_pem && BIO_ctrl_pending(bio) == 0 && loaded > 0)
            break;
        cert = is_pem ? PEM_read_bio_X509(bio, NULL, NULL, NULL)
                      : d2i_X509_bio(bio, NULL);
        if (cert == NULL) {
            unsigned long code = ERR_peek_last_error();
            /* Only "no more PEM blocks" after at least one is the end. */
            if (is_pem && loaded > 0 && ERR_GET_LIB(code) == ERR_LIB_PEM &&
                ERR_GET_REASON(code) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                break;
            }
            BIO_free(bio);
            if (loaded == 0)
                tlsb_raise_queue_with_text(NULL,
                                           "cadata does not contain a certificate");
            else
                tlsb_raise_from_queue(NULL);
            return -1;
        }
        if (!X509_STORE_add_cert(store, cert)) {
            unsigned long code = ERR_peek_last_error();
            /* A certificate already present is not an error. */
            if (ERR_GET_LIB(code) != ERR_LIB_X509 ||
                ERR_GET_REASON(code) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
                X509_free(cert);
                BIO_free(bio);
                tlsb_raise_from_queue(NULL);
                return -1;
            }
            ERR_clear_error();
        }
        X509_free(cert);
        loaded++;
    }
    BIO_free(bio);
    return loaded;
}

/* load_verify_locations(cafile=None, capath=None, cadata=None) */
static PyObject *
tlsb_Context_load_verify_locations(tlsb_Context *self, PyObject *args,
                                   PyObject *kwargs)
{
    static char *kwlist[] = {"cafile", "capath", "cadata", NULL};
    PyObject *cafile = Py_None, *capath = Py_None, *cadata = Py_None;
    PyObject *cafile_bytes = NULL, *capath_bytes = NULL;
    PyThreadState *thread_state;
    int ok;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OOO:load_verify_locations",
                                     kwlist, &cafile, &capath, &cadata))
        return NULL;
    if (cafile == Py_None && capath == Py_None && cadata == Py_None) {
        PyErr_SetString(PyExc_TypeError,
                        "cafile, capath and cadata cannot be all omitted");
        return NULL;
    }
    if (cafile != Py_None && (cafile_bytes = tlsb_fspath_bytes(cafile)) == NULL) {
        tlsb_path_error("cafile");
        return NULL;
    }
    if (capath != Py_None && (capath_bytes = tlsb_fspath_bytes(capath)) == NULL) {
        Py_XDECREF(cafile_bytes);
        tlsb_path_error("capath");
        return NULL;
    }

    if (cadata != Py_None) {
        int loaded;
        if (PyUnicode_Check(cadata)) {
            PyObject *ascii = PyUnicode_AsASCIIString(cadata);
            if (ascii == NULL && PyErr_ExceptionMatches(PyExc_UnicodeError)) {
                PyErr_SetString(PyExc_TypeError, "cadata should be an ASCII "
                                "string or a bytes-like object");   /* as 3.13 */
            }
            if (ascii == NULL)
                goto error;
            loaded = tlsb_context_add_cadata(self, PyBytes_AS_STRING(ascii),
                                             PyBytes_GET_SIZE(ascii), 1);
            Py_DECREF(ascii);
        } else {
            Py_buffer view;
            if (!PyObject_CheckBuffer(cadata)
#ifndef TLSB_PY3
                && !PyObject_CheckReadBuffer(cadata)
#endif
                ) {
                PyErr_SetString(PyExc_TypeError,
                                "cadata should be an ASCII string or a "
                                "bytes-like object");
                goto error;
            }
            if (tlsb_get_bytes_buffer(cadata, &view) < 0)
                goto error;
            loaded = tlsb_context_add_cadata(self, view.buf, view.len, 0);
            PyBuffer_Release(&view);
        }
        if (loaded < 0)
            goto error;
    }

    if (cafile_bytes != NULL || capath_bytes != NULL) {
        ERR_clear_error();
        thread_state = PyEval_SaveThread();
        tlsb_settings_acquire(self, 1, 0);
        ok = SSL_CTX_load_verify_locations(
            self->ctx,
            cafile_bytes ? PyBytes_AS_STRING(cafile_bytes) : NULL,
            capath_bytes ? PyBytes_AS_STRING(capath_bytes) : NULL);
        tlsb_settings_release(self);
        PyEval_RestoreThread(thread_state);
        if (ok != 1) {
            tlsb_raise_load_error(cafile != Py_None ? cafile : capath);
            goto error;
        }
    }
    Py_XDECREF(cafile_bytes);
    Py_XDECREF(capath_bytes);
    Py_RETURN_NONE;
error:
    Py_XDECREF(cafile_bytes);
    Py_XDECREF(capath_bytes);
    return NULL;
}

/* set_default_verify_paths() */
static PyObject *
tlsb_Context_set_default_verify_paths(tlsb_Context *self, PyObject *unused)
{
    PyThreadState *thread_state = PyEval_SaveThread();
    int ok = SSL_CTX_set_default_verify_paths(self->ctx);

    PyEval_RestoreThread(thread_state);
    if (!ok)
        return tlsb_raise_from_queue(NULL);
    ERR_clear_error();
    Py_RETURN_NONE;
}

/* load_dh_params(path, /): the first "DH PARAMETERS" PEM block of the file.
 * Read with the PEM layer, not the 3.0 decoders, so that a file without
 * one fails as [PEM: NO_START_LINE], as it always has. */
static PyObject *
tlsb_Context_load_dh_params(tlsb_Context *self, PyObject *path)
{
    PyObject *path_bytes = tlsb_fspath_bytes(path);
    unsigned char *der = NULL;
    const unsigned char *cursor;
    char *name = NULL;
    long der_len = 0;
    BIO *bio;
    int ok;

    if (path_bytes == NULL)
        return NULL;
    ERR_clear_error();
    bio = BIO_new_file(PyBytes_AS_STRING(path_bytes), "r");
    Py_DECREF(path_bytes);
    if (bio == NULL)
        return tlsb_raise_load_error(path);
    ok = PEM_bytes_read_bio(&der, &der_len, &name, PEM_STRING_DHPARAMS, bio,
                            NULL, NULL);
    BIO_free(bio);
    OPENSSL_free(name);
    if (!ok)
        return tlsb_raise_from_queue(NULL);
    cursor = der;
#ifdef TLSB_HAS_OPENSSL3
    {
        EVP_PKEY *params = d2i_KeyParams(EVP_PKEY_DH, NULL, &cursor, der_len);
        OPENSSL_free(der);
        if (params == NULL)
            return tlsb_raise_from_queue(NULL);
        tlsb_settings_acquire(self, 1, 1);
        ok = SSL_CTX_set0_tmp_dh_pkey(self->ctx, params);
        tlsb_settings_release(self);
        if (!ok)
            EVP_PKEY_free(params);
    }
#else
    {
        DH *dh = d2i_DHparams(NULL, &cursor, der_len);
        OPENSSL_free(der);
        if (dh == NULL)
            return tlsb_raise_from_queue(NULL);
        tlsb_settings_acquire(self, 1, 1);
        ok = SSL_CTX_set_tmp_dh(self->ctx, dh);
        tlsb_settings_release(self);
        DH_free(dh);
    }
#endif
    if (!ok)
        return tlsb_raise_from_queue(NULL);
    Py_RETURN_NONE;
}

/* get_ca_certs(binary_form=False) -> list of CA certificates in the store */
static PyObject *
tlsb_Context_get_ca_certs(tlsb_Context *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"binary_form", NULL};
    PyObject *binary_form = Py_False, *result;
    STACK_OF(X509_OBJECT) *objects;
    int binary, i;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:get_ca_certs", kwlist,
                                     &binary_form))
        return NULL;
    binary = PyObject_IsTrue(binary_form);
    if (binary < 0)
        return NULL;
    result = PyList_New(0);
    if (result == NULL)
        return NULL;
    objects = X509_STORE_get0_objects(SSL_CTX_get_cert_store(self->ctx));
    for (i = 0; i < sk_X509_OBJECT_num(objects); i++) {
        X509_OBJECT *object = sk_X509_OBJECT_value(objects, i);
        X509 *cert;
        PyObject *item;

        if (X509_OBJECT_get_type(object) != X509_LU_X509)
            continue;
        cert = X509_OBJECT_get0_X509(object);
        if (!X509_check_ca(cert))
            continue;
        item = binary ? tlsb_certificate_to_der(cert)
                      : tlsb_decode_certificate(cert);
        if (item == NULL || PyList_Append(result, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(result);
            return NULL;
        }
        Py_DECREF(item);
    }
    return result;
}

/* cert_store_stats() -> {'x509': n, 'crl': n, 'x509_ca': n} */
static PyObject *
tlsb_Context_cert_store_stats(tlsb_Context *self, PyObject *unused)
{
    STACK_OF(X509_OBJECT) *objects =
        X509_STORE_get0_objects(SSL_CTX_get_cert_store(self->ctx));
    int i, x509 = 0, crl = 0, ca = 0;

    for (i = 0; i < sk_X509_OBJECT_num(objects); i++) {
        X509_OBJECT *object = sk_X509_OBJECT_value(objects, i);
        switch (X509_OBJECT_get_type(object)) {
        case X509_LU_X509:
            x509++;
            if (X509_check_ca(X509_OBJECT_get0_X509(object)))
                ca++;
            break;
        case X509_LU_CRL:
            crl++;
            break;
        default:
            break;
        }
    }
    return Py_BuildValue("{sisisi}", "x509", x509, "crl", crl, "x509_ca", ca);
}

/* session_stats() -> dict of the session cache counters */
static PyObject *
tlsb_Context_session_stats(tlsb_Context *self, PyObject *unused)
{
    SSL_CTX *ctx = self->ctx;

    return Py_BuildValue(
        "{slslslslslslslslslslsl}",
        "number", SSL_CTX_sess_number(ctx),
        "connect", SSL_CTX_sess_connect(ctx),
        "connect_good", SSL_CTX_sess_connect_good(ctx),
        "connect_renegotiate", SSL_CTX_sess_connect_renegotiate(ctx),
        "accept", SSL_CTX_sess_accept(ctx),
        "accept_good", SSL_CTX_sess_accept_good(ctx),
        "accept_renegotiate", SSL_CTX_sess_accept_renegotiate(ctx),
        "hits", SSL_CTX_sess_hits(ctx),
        "misses", SSL_CTX_sess_misses(ctx),
        "timeouts", SSL_CTX_sess_timeouts(ctx),
        "cache_full", SSL_CTX_sess_cache_full(ctx));
}

/* ---- ciphers, groups, ALPN ------------------------------------------- */

/* set_ciphers(cipherlist, /): TLS 1.2 and below (3.15's set_ciphersuites
 * is for TLS 1.3) */
static PyObject *
tlsb_Context_set_ciphers(tlsb_Context *self, PyObject *args)
{
    const char *cipherlist;
    int ok;

    if (!PyArg_ParseTuple(args, "s:set_ciphers", &cipherlist))
        return NULL;
    tlsb_settings_acquire(self, 1, 1);
    ok = SSL_CTX_set_cipher_list(self->ctx, cipherlist);
    tlsb_settings_release(self);
    if (!ok) {
        /* The stdlib raises this one with a bare message, no errno. */
        ERR_clear_error();
        PyErr_SetString(tlsb_interp()->SSLError, "No cipher can be selected.");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* The algorithm names in a get_ciphers() entry, each from the OpenSSL call
 * giving its NID; None where the suite leaves it open (TLS 1.3 suites name
 * no key exchange or authentication). */
static const struct {
    const char *key;
    int (*nid_of)(const SSL_CIPHER *);
} tlsb_cipher_algorithms[] = {
    {"symmetric", SSL_CIPHER_get_cipher_nid},
    {"digest", SSL_CIPHER_get_digest_nid},
    {"kea", SSL_CIPHER_get_kx_nid},
    {"auth", SSL_CIPHER_get_auth_nid},
};

/* One get_ciphers() entry: the stdlib's keys, in its order. */
static PyObject *
tlsb_cipher_to_dict(const SSL_CIPHER *cipher)
{
    char text[256];
    int alg_bits = 0;
    int strength_bits = SSL_CIPHER_get_bits(cipher, &alg_bits);
    size_t end, i;
    PyObject *entry;

    /* OpenSSL pads the one-line description and ends it with a newline. */
    SSL_CIPHER_description(cipher, text, sizeof(text));
    end = strlen(text);
    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == ' '))
        end--;
    text[end] = '\0';
    entry = Py_BuildValue(
        "{s:k, s:s, s:s, s:s, s:i, s:i, s:O}",
        "id", (unsigned long)SSL_CIPHER_get_id(cipher),
        "name", SSL_CIPHER_get_name(cipher),
        "protocol", SSL_CIPHER_get_version(cipher),
        "description", text,
        "strength_bits", strength_bits,
        "alg_bits", alg_bits,
        "aead", SSL_CIPHER_is_aead(cipher) ? Py_True : Py_False);
    for (i = 0; entry != NULL &&
                i < sizeof(tlsb_cipher_algorithms) / sizeof(tlsb_cipher_algorithms[0]); i++) {
        int nid = tlsb_cipher_algorithms[i].nid_of(cipher);
        PyObject *name = Py_BuildValue("z", nid == NID_undef ? NULL : OBJ_nid2ln(nid));

        if (name == NULL ||
                PyDict_SetItemString(entry, tlsb_cipher_algorithms[i].key, name) < 0)
            Py_CLEAR(entry);
        Py_XDECREF(name);
    }
    return entry;
}

/* get_ciphers() -> list of dicts, in preference order */
static PyObject *
tlsb_Context_get_ciphers(tlsb_Context *self, PyObject *unused)
{
    SSL *ssl = SSL_new(self->ctx);
    STACK_OF(SSL_CIPHER) *ciphers;
    PyObject *result;
    int i;

    if (ssl == NULL)
        return tlsb_raise_from_queue(NULL);
    ciphers = SSL_get_ciphers(ssl);
    result = PyList_New(0);
    for (i = 0; result != NULL && i < sk_SSL_CIPHER_num(ciphers); i++) {
        PyObject *item = tlsb_cipher_to_dict(sk_SSL_CIPHER_value(ciphers, i));
        if (item == NULL || PyList_Append(result, item) < 0)
            Py_CLEAR(result);
        Py_XDECREF(item);
    }
    SSL_free(ssl);
    return result;
}

/* Server side of ALPN: the first of our protocols the client offers. */
static int
tlsb_alpn_select_callback(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                          const unsigned char *client, unsigned int client_len,
                          void *arg)
{
    tlsb_Context *self = (tlsb_Context *)arg;
    const unsigned char *ours = self->alpn_protocols;
    unsigned int ours_len = self->alpn_protocols_len, i, j;

    for (i = 0; i < ours_len; i += 1u + ours[i]) {
        for (j = 0; j < client_len; j += 1u + client[j]) {
            if (ours[i] == client[j] && j + 1u + client[j] <= client_len &&
                memcmp(ours + i + 1, client + j + 1, ours[i]) == 0) {
                *out = client + j + 1;
                *outlen = client[j];
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

/* _set_alpn_protocols(wire, /): protocols in wire format (length-prefixed),
 * made by the Python layer */
static PyObject *
tlsb_Context_set_alpn_protocols(tlsb_Context *self, PyObject *wire)
{
    Py_buffer view;
    unsigned char *copy;
    unsigned int copy_len;
    int failed;

    if (tlsb_get_bytes_buffer(wire, &view) < 0)
        return NULL;
    if (view.len > UINT_MAX) {
        PyBuffer_Release(&view);
        return PyErr_Format(PyExc_OverflowError, "protocols longer than %u bytes",
                            UINT_MAX);
    }
    copy = PyMem_Malloc(view.len ? (size_t)view.len : 1);
    if (copy == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    memcpy(copy, view.buf, (size_t)view.len);
    copy_len = (unsigned int)view.len;
    PyBuffer_Release(&view);
    /* Exclusive: a server's handshake reads the list being freed. */
    tlsb_settings_acquire(self, 1, 1);
    PyMem_Free(self->alpn_protocols);
    self->alpn_protocols = copy;
    self->alpn_protocols_len = copy_len;
    /* Note: SSL_CTX_set_alpn_protos returns 0 on success. */
    failed = SSL_CTX_set_alpn_protos(self->ctx, self->alpn_protocols,
                                     self->alpn_protocols_len) != 0;
    SSL_CTX_set_alpn_select_cb(self->ctx, tlsb_alpn_select_callback, self);
    tlsb_settings_release(self);
    if (failed)
        return tlsb_raise_message(tlsb_interp()->SSLError, 0,
                                  "failed to set ALPN protocols");
    Py_RETURN_NONE;
}

/* set_ecdh_curve(name, /): the one group for key exchange */
static PyObject *
tlsb_Context_set_ecdh_curve(tlsb_Context *self, PyObject *name)
{
    PyObject *bytes;
    int nid, ok;

    if (PyUnicode_Check(name))
        bytes = PyUnicode_AsUTF8String(name);
    else if (PyBytes_Check(name))
        bytes = Py_NewRef(name);
    else
        return PyErr_Format(PyExc_TypeError,
                            "'%.100s' object is not str or bytes",
                            Py_TYPE(name)->tp_name);
    if (bytes == NULL)
        return NULL;
    nid = OBJ_sn2nid(PyBytes_AS_STRING(bytes));
    Py_DECREF(bytes);
    if (nid == NID_undef) {
        PyObject *shown = tlsb_repr_bytes(name);
        if (shown != NULL) {
            PyErr_Format(PyExc_ValueError, "unknown elliptic curve name %s",
                         PyBytes_AS_STRING(shown));
            Py_DECREF(shown);
        }
        return NULL;
    }
    tlsb_settings_acquire(self, 1, 1);
    ok = SSL_CTX_set1_groups(self->ctx, &nid, 1);
    tlsb_settings_release(self);
    if (!ok)
        return tlsb_raise_from_queue(NULL);
    Py_RETURN_NONE;
}

/* ---- callbacks --------------------------------------------------------- */

/* SNI on the server: calls sni_callback(ssl_object, server_name, context).
 * Its result: None to go on, an int to send that alert.  As in the stdlib,
 * a callback that raises is reported through sys.unraisablehook and the
 * handshake fails with a handshake_failure alert (one that returns
 * something else: internal_error); the SSLError of the failed handshake
 * carries the exception as __cause__. */
static int
tlsb_servername_callback(SSL *ssl, int *alert, void *arg)
{
    tlsb_Connection *conn = SSL_get_ex_data(ssl, tlsb_state.ssl_ex_index);
    tlsb_Context *ctx = (tlsb_Context *)arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    PyObject *callback, *owner, *name_obj = NULL, *result = NULL;
    tlsb_callback_gil gil;
    int status = SSL_TLSEXT_ERR_OK;

    if (conn == NULL || ctx->sni_callback == NULL)
        return SSL_TLSEXT_ERR_OK;
    tlsb_callback_gil_take(&gil);
    callback = Py_NewRef(ctx->sni_callback);
    owner = tlsb_connection_owner(conn);
    if (owner == NULL)
        goto raised;
    if (name == NULL) {
        name_obj = Py_NewRef(Py_None);
    } else {
        name_obj = PyUnicode_DecodeASCII(name, (Py_ssize_t)strlen(name), "strict");
#ifndef TLSB_PY3
        /* 2.7 gets a native str, but ASCII only as on 3.x (2.7's own ssl
         * refuses other bytes as well). */
        if (name_obj != NULL) {
            Py_DECREF(name_obj);
            name_obj = PyString_FromString(name);
        }
#endif
        if (name_obj == NULL)
            goto raised;
    }
    result = PyObject_CallFunctionObjArgs(callback, owner, name_obj,
                                          (PyObject *)conn->context, NULL);
    if (result == NULL)
        goto raised;
    if (result != Py_None) {
        long value = tlsb_is_int(result) ? tlsb_long_from_int(result) : -1;
        if (value == -1 && PyErr_Occurred())
            goto raised;
        if (!tlsb_is_int(result)) {
            PyErr_Format(PyExc_TypeError,
                         "sni_callback must return None or an int, not %.100s",
                         Py_TYPE(result)->tp_name);
            tlsb_callback_failed_unraisable(conn, callback);
            *alert = SSL_AD_INTERNAL_ERROR;
            status = SSL_TLSEXT_ERR_ALERT_FATAL;
            goto done;
        }
        *alert = (int)value;
        status = SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    goto done;
raised:
    tlsb_callback_failed_unraisable(conn, callback);
    *alert = SSL_AD_HANDSHAKE_FAILURE;
    status = SSL_TLSEXT_ERR_ALERT_FATAL;
done:
    Py_XDECREF(result);
    Py_XDECREF(name_obj);
    Py_XDECREF(owner);
    Py_DECREF(callback);
    tlsb_callback_gil_give(&gil);
    return status;
}

/* sni_callback: callable(ssl_object, server_name, context) or None */
static PyObject *
tlsb_Context_get_sni_callback(tlsb_Context *self, void *closure)
{
    return Py_NewRef(self->sni_callback ? self->sni_callback : Py_None);
}

static int
tlsb_Context_set_sni_callback(tlsb_Context *self, PyObject *value, void *closure)
{
    if (self->protocol == TLSB_PROTOCOL_TLS_CLIENT) {
        PyErr_SetString(PyExc_ValueError,
                        "sni_callback cannot be set on TLS_CLIENT context");
        return -1;
    }
    if (value == NULL || value == Py_None) {
        Py_CLEAR(self->sni_callback);
        SSL_CTX_set_tlsext_servername_callback(self->ctx, NULL);
        return 0;
    }
    if (!PyCallable_Check(value)) {
        /* As 3.13: the old callback is gone too (OpenSSL's already was). */
        Py_CLEAR(self->sni_callback);
        SSL_CTX_set_tlsext_servername_callback(self->ctx, NULL);
        PyErr_SetString(PyExc_TypeError, "not a callable object");
        return -1;
    }
    Py_XSETREF(self->sni_callback, Py_NewRef(value));
    SSL_CTX_set_tlsext_servername_callback(self->ctx, tlsb_servername_callback);
    SSL_CTX_set_tlsext_servername_arg(self->ctx, self);
    return 0;
}

/* ---- TLS 1.3 settings -------------------------------------------------- */

/* post_handshake_auth: clients offer it, servers may then ask for a
 * certificate after the handshake (verify_client_post_handshake()). */
static PyObject *
tlsb_Context_get_post_handshake_auth(tlsb_Context *self, void *closure)
{
    return PyBool_FromLong(self->post_handshake_auth);
}

static int
tlsb_Context_set_post_handshake_auth(tlsb_Context *self, PyObject *value,
                                     void *closure)
{
    int enable;

    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute");
        return -1;
    }
    enable = PyObject_IsTrue(value);
    if (enable < 0)
        return -1;
    self->post_handshake_auth = enable;
    return 0;
}

/* num_tickets: TLS 1.3 session tickets a server sends (servers only) */
static PyObject *
tlsb_Context_get_num_tickets(tlsb_Context *self, void *closure)
{
    return PyLong_FromSize_t(SSL_CTX_get_num_tickets(self->ctx));
}

static int
tlsb_Context_set_num_tickets(tlsb_Context *self, PyObject *value, void *closure)
{
    long tickets;

    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute");
        return -1;
    }
    tickets = tlsb_long_from_int(value);
    if (tickets == -1 && PyErr_Occurred())
        return -1;
    if (tickets < 0) {
        PyErr_SetString(PyExc_ValueError, "value must be non-negative");
        return -1;
    }
    if (self->protocol != TLSB_PROTOCOL_TLS_SERVER) {
        PyErr_SetString(PyExc_ValueError, "SSLContext is not a server context.");
        return -1;
    }
    if (SSL_CTX_set_num_tickets(self->ctx, (size_t)tickets) != 1) {
        ERR_clear_error();
        PyErr_SetString(PyExc_ValueError, "failed to set num tickets.");
        return -1;
    }
    return 0;
}

/* ---- type ------------------------------------------------------------- */

static PyMethodDef tlsb_Context_methods[] = {
    TLSB_REFUSE_PICKLE
    {"load_cert_chain", (PyCFunction)(void (*)(void))tlsb_Context_load_cert_chain,
     METH_VARARGS | METH_KEYWORDS,
     "load_cert_chain($self, certfile, keyfile=None, password=None)\n--\n\n"
     "Use the PEM certificate chain in certfile (leaf first) and its\n"
     "private key (from keyfile, or from certfile when None) as this\n"
     "end's identity. password (str, bytes or a callable returning one)\n"
     "decrypts the key."},
    {"load_cert_chain_data",
     (PyCFunction)(void (*)(void))tlsb_Context_load_cert_chain_data,
     METH_VARARGS | METH_KEYWORDS,
     "load_cert_chain_data($self, certdata, keydata=None, password=None)\n--\n\n"
     "Like load_cert_chain(), from memory: crypto.X509/PKey objects, PEM text or DER bytes."},
    {"load_verify_locations",
     (PyCFunction)(void (*)(void))tlsb_Context_load_verify_locations,
     METH_VARARGS | METH_KEYWORDS,
     "load_verify_locations($self, cafile=None, capath=None, cadata=None)\n--\n\n"
     "Add trust anchors: a PEM file, a hashed directory (read when\n"
     "needed), or cadata, PEM text or DER bytes holding one or more\n"
     "certificates."},
    {"set_default_verify_paths", (PyCFunction)tlsb_Context_set_default_verify_paths,
     METH_NOARGS, "set_default_verify_paths($self)\n--\n\n"
     "Trust OpenSSL's default CA file and directory, as\n"
     "get_default_verify_paths() names them."},
    {"load_dh_params", (PyCFunction)tlsb_Context_load_dh_params, METH_O,
     "load_dh_params($self, path, /)\n--\n\n"
     "Read Diffie-Hellman parameters (PEM) for the finite-field DHE key\n"
     "exchange of TLS 1.2 and below."},
    {"get_ca_certs", (PyCFunction)(void (*)(void))tlsb_Context_get_ca_certs,
     METH_VARARGS | METH_KEYWORDS, "get_ca_certs($self, binary_form=False)\n--\n\n"
     "The CA certificates loaded so far (those of a capath directory\n"
     "only once used), as getpeercert()-style dicts or, with\n"
     "binary_form, DER bytes."},
    {"cert_store_stats", (PyCFunction)tlsb_Context_cert_store_stats, METH_NOARGS,
     "cert_store_stats($self)\n--\n\n"
     "Counts of what the trust store holds: {'x509': ..., 'crl': ...,\n"
     "'x509_ca': ...}."},
    {"session_stats", (PyCFunction)tlsb_Context_session_stats, METH_NOARGS,
     "session_stats($self)\n--\n\n"
     "OpenSSL's counters of the server-side session cache (hits, misses,\n"
     "timeouts...) as a dict."},
    {"set_ciphers", (PyCFunction)tlsb_Context_set_ciphers, METH_VARARGS,
     "set_ciphers($self, cipherlist, /)\n--\n\n"
     "Choose the TLS 1.2-and-below ciphers with an OpenSSL cipher\n"
     "string; SSLError if it selects none. TLS 1.3 suites are set with\n"
     "set_ciphersuites()."},
    {"get_ciphers", (PyCFunction)tlsb_Context_get_ciphers, METH_NOARGS,
     "get_ciphers($self)\n--\n\n"
     "The enabled ciphers in preference order, each a dict (name,\n"
     "protocol, description, strength_bits, alg_bits, aead, symmetric,\n"
     "digest, kea, auth, id)."},
    {"_set_alpn_protocols", (PyCFunction)tlsb_Context_set_alpn_protocols, METH_O,
     "_set_alpn_protocols($self, wire_format, /)\n--\n\n"
     "Internal: the ALPN list already in wire format;\n"
     "set_alpn_protocols() builds it."},
    {"set_ecdh_curve", (PyCFunction)tlsb_Context_set_ecdh_curve, METH_O,
     "set_ecdh_curve($self, name, /)\n--\n\n"
     "Allow only the named elliptic curve (e.g. 'prime256v1') for ECDHE\n"
     "key exchange; set_groups() is the newer, fuller form."},
    {"set_psk_client_callback",
     (PyCFunction)(void (*)(void))tlsb_Context_set_psk_client_callback,
     METH_VARARGS | METH_KEYWORDS, "set_psk_client_callback($self, callback)\n--\n\n"
     "TLS-PSK, client side (3.13): callback(hint) returns (identity, psk\n"
     "bytes) for the server's identity hint; None removes it."},
    {"set_psk_server_callback",
     (PyCFunction)(void (*)(void))tlsb_Context_set_psk_server_callback,
     METH_VARARGS | METH_KEYWORDS,
     "set_psk_server_callback($self, callback, identity_hint=None)\n--\n\n"
     "TLS-PSK, server side (3.13): callback(identity) returns the key\n"
     "for the client's identity (b'' refuses it); identity_hint is sent\n"
     "to clients."},
    {"set_ciphersuites", (PyCFunction)tlsb_Context_set_ciphersuites, METH_VARARGS,
     "set_ciphersuites($self, ciphersuites, /)\n--\n\n"
     "Choose the TLS 1.3 cipher suites, a colon-separated list (3.15's\n"
     "API, on every interpreter)."},
    {"set_groups", (PyCFunction)tlsb_Context_set_groups, METH_VARARGS,
     "set_groups($self, groups, /)\n--\n\n"
     "Choose the key-exchange groups to offer or accept, a colon-\n"
     "separated list such as 'X25519:secp256r1' (3.15's API)."},
    {"get_groups", (PyCFunction)(void (*)(void))tlsb_Context_get_groups,
     METH_VARARGS | METH_KEYWORDS, "get_groups($self, *, include_aliases=False)\n--\n\n"
     "Names of the key-exchange groups OpenSSL supports (3.15's API;\n"
     "needs OpenSSL 3.5 or later)."},
    {"set_client_sigalgs", (PyCFunction)tlsb_Context_set_client_sigalgs,
     METH_VARARGS, "set_client_sigalgs($self, sigalgs, /)\n--\n\n"
     "Signature algorithms this end accepts or uses for client\n"
     "authentication, colon-separated (3.15's API)."},
    {"set_server_sigalgs", (PyCFunction)tlsb_Context_set_server_sigalgs,
     METH_VARARGS, "set_server_sigalgs($self, sigalgs, /)\n--\n\n"
     "Signature algorithms for the server's handshake signature, colon-\n"
     "separated (3.15's API)."},
    {"_cert_store", (PyCFunction)tlsb_Context_cert_store, METH_NOARGS,
     "_cert_store($self)\n--\n\n"
     "Internal (pyOpenSSL layer): the context's own trust store as a "
     "crypto.X509Store."},
    {"_wrap_bio", (PyCFunction)(void (*)(void))tlsb_Context_wrap_bio,
     METH_VARARGS | METH_KEYWORDS,
     "_wrap_bio(incoming, outgoing, server_side, server_hostname=None, *, "
     "owner=None, session=None, target=None, verify_hostname=None)\n--\n\n"
     "Internal: the connection behind SSLContext.wrap_bio()."},
    {"_wrap_socket", (PyCFunction)(void (*)(void))tlsb_Context_wrap_socket,
     METH_VARARGS | METH_KEYWORDS,
     "_wrap_socket(sock, server_side, server_hostname=None, *, owner=None, "
     "session=None, verify_hostname=None)\n--\n\n"
     "Internal: the connection behind SSLContext.wrap_socket()."},
    {NULL, NULL}
};

static PyGetSetDef tlsb_Context_getset[] = {
    {"verify_mode", (getter)tlsb_Context_get_verify_mode,
     (setter)tlsb_Context_set_verify_mode,
     "Whether and how the peer's certificate is verified: CERT_NONE, "
     "CERT_OPTIONAL or CERT_REQUIRED.", NULL},
    {"check_hostname", (getter)tlsb_Context_get_check_hostname,
     (setter)tlsb_Context_set_check_hostname,
     "Whether a client checks the server's certificate against "
     "server_hostname during the handshake.", NULL},
    {"verify_flags", (getter)tlsb_Context_get_verify_flags,
     (setter)tlsb_Context_set_verify_flags,
     "X509_V_FLAG_* bits for certificate verification (VERIFY_* "
     "constants).", NULL},
    {"options", (getter)tlsb_Context_get_options,
     (setter)tlsb_Context_set_options,
     "OpenSSL option bits (OP_* constants).", NULL},
    {"_host_flags", (getter)tlsb_Context_get_host_flags,
     (setter)tlsb_Context_set_host_flags,
     "Internal: X509_CHECK_FLAG_* bits for the host-name check.", NULL},
    {"hostname_checks_common_name",
     (getter)tlsb_Context_get_hostname_checks_common_name,
     (setter)tlsb_Context_set_hostname_checks_common_name,
     "Whether a certificate without a DNS subjectAltName may match "
     "by its subject's common name.", NULL},
    {"protocol", (getter)tlsb_Context_get_protocol, NULL,
     "The PROTOCOL_* constant the context was made with.", NULL},
    {"minimum_version", (getter)tlsb_Context_get_minimum_version,
     (setter)tlsb_Context_set_minimum_version,
     "The lowest TLS version allowed (a TLSVersion value).", NULL},
    {"maximum_version", (getter)tlsb_Context_get_maximum_version,
     (setter)tlsb_Context_set_maximum_version,
     "The highest TLS version allowed (a TLSVersion value).", NULL},
    {"security_level", (getter)tlsb_Context_get_security_level, NULL,
     "OpenSSL's security level (0-5) in force: it bounds key sizes "
     "and algorithms.", NULL},
    {"sni_callback", (getter)tlsb_Context_get_sni_callback,
     (setter)tlsb_Context_set_sni_callback,
     "Server side: callback(ssl_object, server_name, context) run "
     "when a client names a server; it may switch "
     "ssl_object.context. None to remove.", NULL},
    {"post_handshake_auth", (getter)tlsb_Context_get_post_handshake_auth,
     (setter)tlsb_Context_set_post_handshake_auth,
     "TLS 1.3: a client that sets it offers a certificate after the "
     "handshake when asked; a server that sets it may ask.", NULL},
    {"num_tickets", (getter)tlsb_Context_get_num_tickets,
     (setter)tlsb_Context_set_num_tickets,
     "TLS 1.3 session tickets a server sends after the handshake "
     "(default 2).", NULL},
    {"keylog_filename", (getter)tlsb_Context_get_keylog_filename,
     (setter)tlsb_Context_set_keylog_filename,
     "File to which the secrets of each handshake are appended in "
     "NSS key-log format (for Wireshark), or None.", NULL},
    {"_msg_callback", (getter)tlsb_Context_get_msg_callback,
     (setter)tlsb_Context_set_msg_callback,
     "Internal: the raw message-tracing callback behind "
     "SSLContext._msg_callback.", NULL},
    {"_verify_callback", (getter)tlsb_Context_get_verify_callback,
     (setter)tlsb_Context_set_verify_callback,
     "Internal (pyOpenSSL layer): cb(conn, X509, errno, depth, ok) for each "
     "certificate checked; its truth value decides.", NULL},
    {"_info_callback", (getter)tlsb_Context_get_info_callback,
     (setter)tlsb_Context_set_info_callback,
     "Internal (pyOpenSSL layer): cb(conn, where, ret) at each handshake "
     "step and alert.", NULL},
    {"_keylog_callback", (getter)tlsb_Context_get_keylog_callback,
     (setter)tlsb_Context_set_keylog_callback,
     "Internal (pyOpenSSL layer): cb(conn, line) with each NSS key-log line.",
     NULL},
    {"_alpn_select_callback", (getter)tlsb_Context_get_alpn_select_callback,
     (setter)tlsb_Context_set_alpn_select_callback,
     "Internal (pyOpenSSL layer): cb(conn, offered) -> the protocol, or None.",
     NULL},
    {"_ocsp_callback", (getter)tlsb_Context_get_ocsp_callback,
     (setter)tlsb_Context_set_ocsp_callback,
     "Internal (pyOpenSSL layer): cb(conn, is_server, response) for OCSP "
     "stapling.", NULL},
    {NULL}
};

static PyTypeObject tlsb_Context_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap_core._SSLContext",
    .tp_basicsize = sizeof(tlsb_Context),
    .tp_dealloc = (destructor)tlsb_Context_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The compiled half of SSLContext: one OpenSSL SSL_CTX and the "
              "Python callbacks it calls.",
    .tp_traverse = (traverseproc)tlsb_Context_traverse,
    .tp_clear = (inquiry)tlsb_Context_clear,
    .tp_weaklistoffset = offsetof(tlsb_Context, weakreflist),
    .tp_methods = tlsb_Context_methods,
    .tp_getset = tlsb_Context_getset,
    .tp_new = tlsb_Context_new,
};
