/* pyossl_hooks.c: the OpenSSL callbacks pyOpenSSL's SSL API exposes and
 * the stdlib's does not: per-certificate verification, the info
 * callback and the key-log callback, as internal _SSLContext attributes
 * (_verify_callback, _info_callback, _keylog_callback) that
 * Lib/_tls_bootstrap_SSL.py wraps.
 *
 * Each is called with the core connection first, as the SNI and message
 * callbacks are; the Python layer maps it to its own Connection:
 *   _verify_callback(conn, crypto.X509, errno, depth, ok) -> true/false
 *   _info_callback(conn, where, ret)
 *   _keylog_callback(conn, line_bytes)
 *   _alpn_select_callback(conn, [protocol bytes offered]) -> bytes or None
 *     (None: no overlap, the server sends no ALPN; a protocol the client
 *     did not offer, b"" too, fails the handshake, as the client would)
 *   _ocsp_callback(conn, is_server, response_bytes_or_None): a server's
 *     returns the stapled OCSP response (b"": none), a client's judges
 *     the response it got (false fails the handshake)
 *
 * Exceptions: a callback that raises has its exception stored on the
 * connection (callback_exc) and the I/O call that ran the handshake
 * raises it when OpenSSL returns, unchanged (errors.c's pending
 * exception, as for the other callbacks); the verify callback also
 * answers 0, so the handshake stops there.  Later calls of any callback
 * of that connection are skipped while an exception waits.
 *
 * Ownership: pointers OpenSSL keeps to Python objects of this file
 * (pointer | owner | taken | released | if the object goes first)
 * - none.  The C callbacks get no argument: they find the connection
 *   through the SSL's ex_data and the context through the current
 *   SSL_CTX's ex_data (both borrowed, valid while the SSL lives: the
 *   connection frees the SSL in its dealloc and holds its context
 *   strongly, tlsobject.c).  The callables are strong references in the
 *   context (verify_callback, info_callback, keylog_callback,
 *   alpn_select_callback, ocsp_callback), dropped by
 *   the setters and by tp_clear; a callback reads them under the GIL and
 *   treats NULL as "none set".  The callable may drop the last reference
 *   to itself (setting the attribute again): it is called through a
 *   reference taken for the call.
 * - The certificate handed to the verify callback is up-referenced for the
 *   crypto.X509 (both own it); OpenSSL's store context is not exposed.
 * - The protocol an ALPN select callback picks is pointed at inside the
 *   client's list (OpenSSL's buffer, copied by OpenSSL on return), never
 *   at the Python bytes.  A server's OCSP response is copied into
 *   OPENSSL_malloc'd memory that the SSL then owns.
 */

/* A callback attribute set to `value`: a callable is stored (a new
 * reference) in *slot, None or deletion empties it; anything else is a
 * TypeError and leaves it as it was. */
static int
tlsb_store_callback(PyObject **slot, PyObject *value)
{
    if (value != NULL && value != Py_None && !PyCallable_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%.100s is not callable.",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    Py_XSETREF(*slot, value == Py_None ? NULL : Py_XNewRef(value));
    return 0;
}

/* A callback attribute read: the callable, or None. */
static PyObject *
tlsb_callback_or_none(PyObject *callback)
{
    return Py_NewRef(callback != NULL ? callback : Py_None);
}

/* The connection and context of an SSL inside a callback, or 0 when the
 * SSL belongs to nothing of ours (being freed). */
static int
tlsb_hook_owners(const SSL *ssl, tlsb_Connection **conn, tlsb_Context **ctx)
{
    *conn = SSL_get_ex_data(ssl, tlsb_state.ssl_ex_index);
    *ctx = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tlsb_state.ctx_ex_index);
    return *conn != NULL && *ctx != NULL;
}

/* One Python callback called from an OpenSSL callback.  begin takes the
 * GIL, a reference to the callable for the call (it may replace itself)
 * and the object it gets first (the connection's owner); end stores a
 * failed call's exception on the connection and lets all of it go. */
typedef struct {
    tlsb_Connection *conn;
    tlsb_callback_gil gil;
    PyObject *callback;
    PyObject *owner;
} tlsb_hook_call;

enum {
    TLSB_HOOK_NONE,     /* the SSL is not ours, or no callable is set */
    TLSB_HOOK_FAILED,   /* an exception of this connection's callbacks waits */
    TLSB_HOOK_CALL      /* call it: the GIL is held, end() must follow */
};

/* slot: where in the context the callable is (offsetof). */
static int
tlsb_hook_begin(const SSL *ssl, size_t slot, tlsb_hook_call *call)
{
    tlsb_Context *ctx;
    PyObject *callback;

    if (ssl == NULL || !tlsb_hook_owners(ssl, &call->conn, &ctx))
        return TLSB_HOOK_NONE;
    tlsb_callback_gil_take(&call->gil);
    if (call->conn->callback_exc.type != NULL) {
        tlsb_callback_gil_give(&call->gil);
        return TLSB_HOOK_FAILED;
    }
    callback = *(PyObject **)((char *)ctx + slot);
    if (callback == NULL) {
        tlsb_callback_gil_give(&call->gil);
        return TLSB_HOOK_NONE;
    }
    call->owner = tlsb_connection_owner(call->conn);
    if (call->owner == NULL) {
        tlsb_pending_exc_save(&call->conn->callback_exc);
        tlsb_callback_gil_give(&call->gil);
        return TLSB_HOOK_FAILED;
    }
    call->callback = Py_NewRef(callback);
    return TLSB_HOOK_CALL;
}

static void
tlsb_hook_end(tlsb_hook_call *call, PyObject *result)
{
    if (result == NULL)
        tlsb_pending_exc_save(&call->conn->callback_exc);
    Py_XDECREF(result);
    Py_DECREF(call->owner);
    Py_DECREF(call->callback);
    tlsb_callback_gil_give(&call->gil);
}

/* ---- verification ------------------------------------------------------ */

static int
tlsb_verify_callback(int ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store,
                                          SSL_get_ex_data_X509_STORE_CTX_idx());
    X509 *current = X509_STORE_CTX_get_current_cert(store);
    PyObject *cert, *result = NULL;
    tlsb_hook_call call;
    int answer;

    switch (tlsb_hook_begin(ssl, offsetof(tlsb_Context, verify_callback), &call)) {
    case TLSB_HOOK_NONE:
        return ok;
    case TLSB_HOOK_FAILED:
        return 0;
    }
    cert = current != NULL ? tlsb_X509_from_borrowed(current) : Py_NewRef(Py_None);
    if (cert != NULL)
        result = PyObject_CallFunction(
            call.callback, "OOiii", call.owner, cert,
            X509_STORE_CTX_get_error(store),
            X509_STORE_CTX_get_error_depth(store), ok);
    Py_XDECREF(cert);
    answer = result != NULL ? PyObject_IsTrue(result) : 0;
    if (answer < 0) {
        Py_CLEAR(result);           /* end() stores the exception */
        answer = 0;
    }
    /* The callback decides: a yes clears the error OpenSSL would report
     * as the verification result, as pyOpenSSL does. */
    if (answer)
        X509_STORE_CTX_set_error(store, X509_V_OK);
    tlsb_hook_end(&call, result);
    return answer;
}

/* _verify_callback: callable or None */
static PyObject *
tlsb_Context_get_verify_callback(tlsb_Context *self, void *closure)
{
    return tlsb_callback_or_none(self->verify_callback);
}

static int
tlsb_Context_set_verify_callback(tlsb_Context *self, PyObject *value, void *closure)
{
    if (tlsb_store_callback(&self->verify_callback, value) < 0)
        return -1;
    /* connections made from now on copy it (SSL_new) */
    tlsb_settings_acquire(self, 1, 1);
    SSL_CTX_set_verify(self->ctx, SSL_CTX_get_verify_mode(self->ctx),
                       self->verify_callback != NULL ? tlsb_verify_callback
                                                     : NULL);
    tlsb_settings_release(self);
    return 0;
}

/* ---- handshake progress --------------------------------------------------- */

static void
tlsb_info_callback(const SSL *ssl, int where, int ret)
{
    tlsb_hook_call call;

    if (tlsb_hook_begin(ssl, offsetof(tlsb_Context, info_callback), &call)
            != TLSB_HOOK_CALL)
        return;
    tlsb_hook_end(&call, PyObject_CallFunction(call.callback, "Oii",
                                               call.owner, where, ret));
}

/* _info_callback: callable or None */
static PyObject *
tlsb_Context_get_info_callback(tlsb_Context *self, void *closure)
{
    return tlsb_callback_or_none(self->info_callback);
}

static int
tlsb_Context_set_info_callback(tlsb_Context *self, PyObject *value, void *closure)
{
    if (tlsb_store_callback(&self->info_callback, value) < 0)
        return -1;
    tlsb_settings_acquire(self, 1, 1);
    SSL_CTX_set_info_callback(self->ctx, self->info_callback != NULL
                                         ? tlsb_info_callback : NULL);
    tlsb_settings_release(self);
    return 0;
}

/* ---- key log ------------------------------------------------------------- */

/* Both key logs share OpenSSL's one keylog slot: the file of
 * keylog_filename (keylog.c) gets the line first, then the callable. */
static void
tlsb_pyossl_keylog_callback(const SSL *ssl, const char *line)
{
    tlsb_hook_call call;

    tlsb_keylog_callback(ssl, line);
    if (tlsb_hook_begin(ssl, offsetof(tlsb_Context, keylog_callback), &call)
            != TLSB_HOOK_CALL)
        return;
    tlsb_hook_end(&call, PyObject_CallFunction(
        call.callback, "O" TLSB_BYTES_FMT, call.owner, line,
        (Py_ssize_t)strlen(line)));
}

/* _keylog_callback: callable or None */
static PyObject *
tlsb_Context_get_keylog_callback(tlsb_Context *self, void *closure)
{
    return tlsb_callback_or_none(self->keylog_callback);
}

static int
tlsb_Context_set_keylog_callback(tlsb_Context *self, PyObject *value, void *closure)
{
    if (tlsb_store_callback(&self->keylog_callback, value) < 0)
        return -1;
    tlsb_settings_acquire(self, 1, 1);
    if (self->keylog_callback != NULL)
        SSL_CTX_set_keylog_callback(self->ctx, tlsb_pyossl_keylog_callback);
    else
        SSL_CTX_set_keylog_callback(self->ctx, self->keylog_bio != NULL
                                    ? tlsb_keylog_callback : NULL);
    tlsb_settings_release(self);
    return 0;
}

/* ---- ALPN selection ---------------------------------------------------------- */

static int
tlsb_pyossl_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                        const unsigned char *in, unsigned int inlen, void *arg)
{
    PyObject *offered, *result = NULL;
    tlsb_hook_call call;
    unsigned int i;
    int answer = SSL_TLSEXT_ERR_ALERT_FATAL;

    switch (tlsb_hook_begin(ssl, offsetof(tlsb_Context, alpn_select_callback),
                            &call)) {
    case TLSB_HOOK_NONE:
        return SSL_TLSEXT_ERR_NOACK;
    case TLSB_HOOK_FAILED:
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    offered = PyList_New(0);
    for (i = 0; offered != NULL && i < inlen; i += 1 + in[i]) {
        PyObject *item;

        if (i + 1 + in[i] > inlen)
            break;                  /* OpenSSL checked the list; be safe */
        item = PyBytes_FromStringAndSize((const char *)in + i + 1, in[i]);
        if (item == NULL || PyList_Append(offered, item) < 0)
            Py_CLEAR(offered);
        Py_XDECREF(item);
    }
    if (offered != NULL)
        result = PyObject_CallFunction(call.callback, "OO", call.owner, offered);
    Py_XDECREF(offered);
    if (result == Py_None)
        answer = SSL_TLSEXT_ERR_NOACK;
    else if (result != NULL && !PyBytes_Check(result)) {
        PyErr_SetString(PyExc_TypeError,
                        "the ALPN select callback must return bytes or None");
        Py_CLEAR(result);           /* end() stores the exception */
    }
    else if (result != NULL) {
        const unsigned char *pick = (const unsigned char *)PyBytes_AS_STRING(result);
        Py_ssize_t len = PyBytes_GET_SIZE(result);

        /* out points into the client's list (OpenSSL's), never at result */
        for (i = 0; i < inlen; i += 1 + in[i]) {
            if (in[i] == len && i + 1 + in[i] <= inlen
                && memcmp(in + i + 1, pick, (size_t)len) == 0) {
                *out = in + i + 1;
                *outlen = in[i];
                answer = SSL_TLSEXT_ERR_OK;
                break;
            }
        }
    }
    tlsb_hook_end(&call, result);
    return answer;
}

/* _alpn_select_callback: callable or None.  It replaces the stdlib
 * select of _set_alpn_protocols() (one slot in the SSL_CTX); the Python
 * layer sets it again after set_alpn_protos(). */
static PyObject *
tlsb_Context_get_alpn_select_callback(tlsb_Context *self, void *closure)
{
    return tlsb_callback_or_none(self->alpn_select_callback);
}

static int
tlsb_Context_set_alpn_select_callback(tlsb_Context *self, PyObject *value,
                                      void *closure)
{
    if (tlsb_store_callback(&self->alpn_select_callback, value) < 0)
        return -1;
    tlsb_settings_acquire(self, 1, 1);
    if (self->alpn_select_callback != NULL)
        SSL_CTX_set_alpn_select_cb(self->ctx, tlsb_pyossl_alpn_select, NULL);
    else
        SSL_CTX_set_alpn_select_cb(self->ctx, tlsb_alpn_select_callback, self);
    tlsb_settings_release(self);
    return 0;
}

/* ---- OCSP stapling ------------------------------------------------------------ */

static int
tlsb_pyossl_ocsp(SSL *ssl, void *arg)
{
    PyObject *response, *result = NULL;
    tlsb_hook_call call;
    int server = SSL_is_server(ssl);
    int answer = server ? SSL_TLSEXT_ERR_ALERT_FATAL : 0;

    switch (tlsb_hook_begin(ssl, offsetof(tlsb_Context, ocsp_callback), &call)) {
    case TLSB_HOOK_NONE:
        return server ? SSL_TLSEXT_ERR_NOACK : 1;
    case TLSB_HOOK_FAILED:
        return answer;
    }
    if (server)
        response = Py_NewRef(Py_None);
    else {
        const unsigned char *data = NULL;
        long len = SSL_get_tlsext_status_ocsp_resp(ssl, &data);

        response = PyBytes_FromStringAndSize(
            (const char *)data, data == NULL || len < 0 ? 0 : (Py_ssize_t)len);
    }
    if (response != NULL)
        result = PyObject_CallFunction(call.callback, "OiO", call.owner,
                                       server, response);
    Py_XDECREF(response);
    if (result != NULL && !server) {
        int ok = PyObject_IsTrue(result);

        if (ok < 0)
            Py_CLEAR(result);       /* end() stores the exception */
        answer = ok > 0;
    }
    else if (result != NULL && !PyBytes_Check(result)) {
        PyErr_SetString(PyExc_TypeError, "OCSP callback must return a bytestring.");
        Py_CLEAR(result);
    }
    else if (result != NULL && PyBytes_GET_SIZE(result) == 0)
        answer = SSL_TLSEXT_ERR_NOACK;
    else if (result != NULL) {
        Py_ssize_t len = PyBytes_GET_SIZE(result);
        unsigned char *copy = OPENSSL_malloc((size_t)len);

        if (copy == NULL) {
            PyErr_NoMemory();
            Py_CLEAR(result);
        }
        else {
            memcpy(copy, PyBytes_AS_STRING(result), (size_t)len);
            /* the SSL owns copy from here on */
            SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)len);
            answer = SSL_TLSEXT_ERR_OK;
        }
    }
    tlsb_hook_end(&call, result);
    return answer;
}

/* _ocsp_callback: callable or None */
static PyObject *
tlsb_Context_get_ocsp_callback(tlsb_Context *self, void *closure)
{
    return tlsb_callback_or_none(self->ocsp_callback);
}

static int
tlsb_Context_set_ocsp_callback(tlsb_Context *self, PyObject *value, void *closure)
{
    if (tlsb_store_callback(&self->ocsp_callback, value) < 0)
        return -1;
    tlsb_settings_acquire(self, 1, 1);
    if (self->ocsp_callback != NULL)
        SSL_CTX_set_tlsext_status_cb(self->ctx, tlsb_pyossl_ocsp);
    else
        SSL_CTX_set_tlsext_status_cb(self->ctx, NULL);
    tlsb_settings_release(self);
    return 0;
}

/* ---- the trust store ------------------------------------------------------- */

/* _cert_store() -> crypto.X509Store: the context's own store (not a
 * copy), so certificates added to it are trusted by the context.  The
 * object holds one reference to the X509_STORE (X509_STORE_up_ref; freed
 * by its dealloc), and the SSL_CTX its own: either may go first. */
static PyObject *
tlsb_Context_cert_store(tlsb_Context *self, PyObject *unused)
{
    X509_STORE *store = SSL_CTX_get_cert_store(self->ctx);
    tlsb_X509Store *result;

    if (store == NULL)
        Py_RETURN_NONE;
    result = (tlsb_X509Store *)tlsb_X509Store_Type.tp_alloc(&tlsb_X509Store_Type, 0);
    if (result == NULL)
        return NULL;
    X509_STORE_up_ref(store);
    result->store = store;
    return (PyObject *)result;
}

/* ---- module functions for the pyOpenSSL layer ----------------------------
 *
 * Settings and results pyOpenSSL exposes and the stdlib does not, as
 * private module functions taking the core context or connection first
 * (so the two types' tables stay the stdlib's).  None keeps a pointer to
 * a Python object; certificates and names handed to OpenSSL are copied
 * or up-referenced by OpenSSL itself.  Context settings change under the
 * settings lock held exclusive, as the stdlib setters do (settingslock.c):
 * another thread's handshake may be reading them. */

static int
tlsb_hook_conn(PyObject *obj, tlsb_Connection **conn)
{
    if (!PyObject_TypeCheck(obj, &tlsb_Connection_Type)) {
        PyErr_SetString(PyExc_TypeError, "expected a core connection");
        return -1;
    }
    *conn = (tlsb_Connection *)obj;
    return tlsb_connection_check(*conn);
}

/* _ssl_ctx_set_session_id(ctx, id: bytes) */
static PyObject *
tlsb_hook_set_session_id(PyObject *module, PyObject *args)
{
    PyObject *ctx;
    const char *id;
    Py_ssize_t len;
    int ok;

    if (!PyArg_ParseTuple(args, "O!" TLSB_BYTES_FMT ":_ssl_ctx_set_session_id",
                          &tlsb_Context_Type, &ctx, &id, &len))
        return NULL;
    /* OpenSSL itself refuses one too long (SSL_MAX_SID_CTX_LENGTH) */
    if (len > UINT_MAX)
        return tlsb_raise_from_queue(NULL);
    tlsb_settings_acquire((tlsb_Context *)ctx, 1, 1);
    ok = SSL_CTX_set_session_id_context(((tlsb_Context *)ctx)->ctx,
                                        (const unsigned char *)id,
                                        (unsigned int)len);
    tlsb_settings_release((tlsb_Context *)ctx);
    if (!ok)
        return tlsb_raise_from_queue(NULL);
    Py_RETURN_NONE;
}

/* _ssl_ctx_numbers(ctx, what, value=None) -> the value before: what is
 * "verify_depth", "timeout" or "cache_mode"; value sets it. */
static PyObject *
tlsb_hook_ctx_numbers(PyObject *module, PyObject *args)
{
    PyObject *obj, *value = Py_None;
    const char *what;
    SSL_CTX *ctx;
    long number = 0, before;

    if (!PyArg_ParseTuple(args, "O!s|O:_ssl_ctx_numbers", &tlsb_Context_Type,
                          &obj, &what, &value))
        return NULL;
    ctx = ((tlsb_Context *)obj)->ctx;
    if (value != Py_None) {
        number = PyLong_AsLong(value);
        if (number == -1 && PyErr_Occurred())
            return NULL;
    }
    if (strcmp(what, "verify_depth") != 0 && strcmp(what, "timeout") != 0
        && strcmp(what, "cache_mode") != 0) {
        PyErr_Format(PyExc_ValueError, "unknown setting %s", what);
        return NULL;
    }
    tlsb_settings_acquire((tlsb_Context *)obj, value != Py_None, 1);
    if (strcmp(what, "verify_depth") == 0) {
        before = SSL_CTX_get_verify_depth(ctx);
        if (value != Py_None)
            SSL_CTX_set_verify_depth(ctx, (int)number);
    }
    else if (strcmp(what, "timeout") == 0) {
        before = SSL_CTX_get_timeout(ctx);
        if (value != Py_None)
            SSL_CTX_set_timeout(ctx, number);
    }
    else {
        before = SSL_CTX_get_session_cache_mode(ctx);
        if (value != Py_None)
            SSL_CTX_set_session_cache_mode(ctx, number);
    }
    tlsb_settings_release((tlsb_Context *)obj);
    return PyLong_FromLong(before);
}

/* _ssl_ctx_set_srtp(ctx, profiles: bytes) -> OpenSSL's answer (0: done) */
static PyObject *
tlsb_hook_set_srtp(PyObject *module, PyObject *args)
{
    PyObject *ctx;
    const char *profiles;
    Py_ssize_t len;
    int failed;

    if (!PyArg_ParseTuple(args, "O!" TLSB_BYTES_FMT ":_ssl_ctx_set_srtp",
                          &tlsb_Context_Type, &ctx, &profiles, &len))
        return NULL;
    if ((Py_ssize_t)strlen(profiles) != len) {
        PyErr_SetString(PyExc_ValueError, "embedded null byte");
        return NULL;
    }
    tlsb_settings_acquire((tlsb_Context *)ctx, 1, 1);
    failed = SSL_CTX_set_tlsext_use_srtp(((tlsb_Context *)ctx)->ctx, profiles);
    tlsb_settings_release((tlsb_Context *)ctx);
    return PyLong_FromLong(failed);
}

/* _ssl_ctx_client_cas(ctx, how, arg): the CA names a server sends in its
 * CertificateRequest.  how "set": arg a sequence of crypto.X509Name;
 * "add": arg a crypto.X509; "load": arg a PEM file path (bytes). */
static PyObject *
tlsb_hook_client_cas(PyObject *module, PyObject *args)
{
    PyObject *obj, *arg, *seq;
    const char *how;
    SSL_CTX *ctx;

    if (!PyArg_ParseTuple(args, "O!sO:_ssl_ctx_client_cas", &tlsb_Context_Type,
                          &obj, &how, &arg))
        return NULL;
    ctx = ((tlsb_Context *)obj)->ctx;
    if (strcmp(how, "add") == 0) {
        X509 *cert = tlsb_crypto_x509_get(arg);
        int added;

        if (cert == NULL)
            return NULL;
        tlsb_settings_acquire((tlsb_Context *)obj, 1, 1);
        added = SSL_CTX_add_client_CA(ctx, cert);
        tlsb_settings_release((tlsb_Context *)obj);
        if (!added)
            return tlsb_raise_from_queue(NULL);
        Py_RETURN_NONE;
    }
    if (strcmp(how, "load") == 0) {
        STACK_OF(X509_NAME) *names;

        if (!PyBytes_Check(arg)) {
            PyErr_SetString(PyExc_TypeError, "path must be bytes");
            return NULL;
        }
        names = SSL_load_client_CA_file(PyBytes_AS_STRING(arg));
        if (names == NULL)
            return tlsb_raise_from_queue(NULL);
        /* exclusive: a server's handshake reads the list being freed */
        tlsb_settings_acquire((tlsb_Context *)obj, 1, 1);
        SSL_CTX_set_client_CA_list(ctx, names);     /* takes the stack */
        tlsb_settings_release((tlsb_Context *)obj);
        Py_RETURN_NONE;
    }
    if (strcmp(how, "set") == 0) {
        STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
        Py_ssize_t i;

        seq = PySequence_Fast(arg, "certificate_authorities must be a sequence");
        if (seq == NULL || names == NULL) {
            Py_XDECREF(seq);
            sk_X509_NAME_free(names);
            return seq == NULL ? NULL : PyErr_NoMemory();
        }
        for (i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            X509_NAME *name = tlsb_X509Name_get(PySequence_Fast_GET_ITEM(seq, i));
            X509_NAME *copy = name == NULL ? NULL : X509_NAME_dup(name);

            if (copy == NULL || !sk_X509_NAME_push(names, copy)) {
                X509_NAME_free(copy);
                sk_X509_NAME_pop_free(names, X509_NAME_free);
                Py_DECREF(seq);
                if (name == NULL)
                    return NULL;
                return tlsb_raise_from_queue(NULL);
            }
        }
        Py_DECREF(seq);
        tlsb_settings_acquire((tlsb_Context *)obj, 1, 1);
        SSL_CTX_set_client_CA_list(ctx, names);
        tlsb_settings_release((tlsb_Context *)obj);
        Py_RETURN_NONE;
    }
    PyErr_Format(PyExc_ValueError, "unknown operation %s", how);
    return NULL;
}

/* _ssl_conn_client_cas(conn) -> [crypto.X509Name]: the CA names this
 * connection's peer (client: the server's request; server: its own list) */
static PyObject *
tlsb_hook_conn_client_cas(PyObject *module, PyObject *obj)
{
    tlsb_Connection *conn;
    STACK_OF(X509_NAME) *names;
    PyObject *result;
    int i;

    if (tlsb_hook_conn(obj, &conn) < 0)
        return NULL;
    result = PyList_New(0);
    names = SSL_get_client_CA_list(conn->ssl);
    for (i = 0; result != NULL && names != NULL && i < sk_X509_NAME_num(names); i++) {
        X509_NAME *copy = X509_NAME_dup(sk_X509_NAME_value(names, i));
        tlsb_X509Name *item;

        if (copy == NULL) {
            Py_CLEAR(result);
            return tlsb_raise_from_queue(NULL);
        }
        item = PyObject_New(tlsb_X509Name, &tlsb_X509Name_Type);
        if (item == NULL) {
            X509_NAME_free(copy);
            Py_CLEAR(result);
            break;
        }
        item->own = copy;
        item->owner = NULL;
        item->which = TLSB_NAME_OWNED;
        if (PyList_Append(result, (PyObject *)item) < 0)
            Py_CLEAR(result);
        Py_DECREF(item);
    }
    return result;
}

/* _ssl_conn_finished(conn, peer) -> the Finished message we sent (peer
 * false) or received, or None before there is one. */
static PyObject *
tlsb_hook_conn_finished(PyObject *module, PyObject *args)
{
    PyObject *obj;
    tlsb_Connection *conn;
    int peer;
    unsigned char buf[EVP_MAX_MD_SIZE];
    size_t len;

    if (!PyArg_ParseTuple(args, "Oi:_ssl_conn_finished", &obj, &peer)
        || tlsb_hook_conn(obj, &conn) < 0)
        return NULL;
    len = peer ? SSL_get_peer_finished(conn->ssl, buf, sizeof(buf))
               : SSL_get_finished(conn->ssl, buf, sizeof(buf));
    if (len == 0)
        Py_RETURN_NONE;
    return PyBytes_FromStringAndSize((const char *)buf, (Py_ssize_t)len);
}

/* _ssl_conn_secret(conn, what) -> bytes or None: what "client_random",
 * "server_random" or "master_key" (of the current session). */
static PyObject *
tlsb_hook_conn_secret(PyObject *module, PyObject *args)
{
    PyObject *obj;
    tlsb_Connection *conn;
    const char *what;
    unsigned char buf[SSL_MAX_MASTER_KEY_LENGTH > SSL3_RANDOM_SIZE
                      ? SSL_MAX_MASTER_KEY_LENGTH : SSL3_RANDOM_SIZE];
    size_t len;

    if (!PyArg_ParseTuple(args, "Os:_ssl_conn_secret", &obj, &what)
        || tlsb_hook_conn(obj, &conn) < 0)
        return NULL;
    if (strcmp(what, "client_random") == 0)
        len = SSL_get_client_random(conn->ssl, buf, sizeof(buf));
    else if (strcmp(what, "server_random") == 0)
        len = SSL_get_server_random(conn->ssl, buf, sizeof(buf));
    else if (strcmp(what, "master_key") == 0) {
        SSL_SESSION *session = SSL_get_session(conn->ssl);

        if (session == NULL)
            Py_RETURN_NONE;
        len = SSL_SESSION_get_master_key(session, buf, sizeof(buf));
    }
    else {
        PyErr_Format(PyExc_ValueError, "unknown secret %s", what);
        return NULL;
    }
    if (len == 0)
        Py_RETURN_NONE;
    return PyBytes_FromStringAndSize((const char *)buf, (Py_ssize_t)len);
}

/* _ssl_conn_state(conn, what) -> "state": SSL_state_string_long() (str);
 * "renegotiations": SSL_total_renegotiations(); "renegotiate": start one
 * (True if OpenSSL accepted); "renegotiate_pending": one is under way. */
static PyObject *
tlsb_hook_conn_state(PyObject *module, PyObject *args)
{
    PyObject *obj;
    tlsb_Connection *conn;
    const char *what;

    if (!PyArg_ParseTuple(args, "Os:_ssl_conn_state", &obj, &what)
        || tlsb_hook_conn(obj, &conn) < 0)
        return NULL;
    if (strcmp(what, "state") == 0)
        return PyUnicode_FromString(SSL_state_string_long(conn->ssl));
    if (strcmp(what, "renegotiations") == 0)
        return PyLong_FromLong(SSL_total_renegotiations(conn->ssl));
    if (strcmp(what, "renegotiate") == 0) {
        int done = SSL_renegotiate(conn->ssl);

        ERR_clear_error();
        return PyBool_FromLong(done == 1);
    }
    if (strcmp(what, "renegotiate_pending") == 0)
        return PyBool_FromLong(SSL_renegotiate_pending(conn->ssl));
    PyErr_Format(PyExc_ValueError, "unknown state %s", what);
    return NULL;
}

/* _ssl_conn_set_session(conn, session): resume `session` on a client
 * before its handshake, from whichever context it came (pyOpenSSL allows
 * that; the stdlib's session setter does not). */
static PyObject *
tlsb_hook_conn_set_session(PyObject *module, PyObject *args)
{
    PyObject *obj, *session_obj;
    tlsb_Connection *conn;
    SSL_SESSION *session;

    if (!PyArg_ParseTuple(args, "OO:_ssl_conn_set_session", &obj, &session_obj)
        || tlsb_hook_conn(obj, &conn) < 0)
        return NULL;
    session = tlsb_session_get(session_obj);
    if (session == NULL)
        return NULL;
    if (!SSL_set_session(conn->ssl, session))
        return tlsb_raise_from_queue(NULL);
    Py_RETURN_NONE;
}

/* _ssl_conn_client_options(conn, what, arg=None): per-connection client
 * settings made before the handshake: "request_ocsp" asks the server to
 * staple an OCSP response; "alpn" (arg: wire-format bytes) sets the
 * protocols this connection offers. */
static PyObject *
tlsb_hook_conn_client_options(PyObject *module, PyObject *args)
{
    PyObject *obj, *arg = Py_None;
    tlsb_Connection *conn;
    const char *what;

    if (!PyArg_ParseTuple(args, "Os|O:_ssl_conn_client_options", &obj, &what, &arg)
        || tlsb_hook_conn(obj, &conn) < 0)
        return NULL;
    if (strcmp(what, "request_ocsp") == 0) {
        if (!SSL_set_tlsext_status_type(conn->ssl, TLSEXT_STATUSTYPE_ocsp))
            return tlsb_raise_from_queue(NULL);
        Py_RETURN_NONE;
    }
    if (strcmp(what, "alpn") == 0) {
        if (!PyBytes_Check(arg)) {
            PyErr_SetString(PyExc_TypeError, "protocols must be bytes");
            return NULL;
        }
        /* copied by OpenSSL; 0 is success */
        if (SSL_set_alpn_protos(conn->ssl, (const unsigned char *)PyBytes_AS_STRING(arg),
                                (unsigned int)PyBytes_GET_SIZE(arg)) != 0)
            return tlsb_raise_from_queue(NULL);
        Py_RETURN_NONE;
    }
    PyErr_Format(PyExc_ValueError, "unknown option %s", what);
    return NULL;
}

/* _ssl_openssl_version(type) -> bytes: OpenSSL_version(type) */
static PyObject *
tlsb_hook_openssl_version(PyObject *module, PyObject *args)
{
    int type;

    if (!PyArg_ParseTuple(args, "i:_ssl_openssl_version", &type))
        return NULL;
    return PyBytes_FromString(OpenSSL_version(type));
}

/* Entries of the module's method table (Modules/_tls_bootstrap.c). */
#define TLSB_PYOSSL_HOOK_METHODS \
    {"_ssl_ctx_set_session_id", tlsb_hook_set_session_id, METH_VARARGS, \
     "Internal (pyOpenSSL layer): SSL_CTX_set_session_id_context."}, \
    {"_ssl_ctx_numbers", tlsb_hook_ctx_numbers, METH_VARARGS, \
     "Internal (pyOpenSSL layer): verify depth, session timeout, cache mode."}, \
    {"_ssl_ctx_set_srtp", tlsb_hook_set_srtp, METH_VARARGS, \
     "Internal (pyOpenSSL layer): SSL_CTX_set_tlsext_use_srtp."}, \
    {"_ssl_ctx_client_cas", tlsb_hook_client_cas, METH_VARARGS, \
     "Internal (pyOpenSSL layer): the CA names a server asks clients for."}, \
    {"_ssl_conn_client_cas", tlsb_hook_conn_client_cas, METH_O, \
     "Internal (pyOpenSSL layer): SSL_get_client_CA_list as X509Names."}, \
    {"_ssl_conn_finished", tlsb_hook_conn_finished, METH_VARARGS, \
     "Internal (pyOpenSSL layer): our or the peer's Finished message."}, \
    {"_ssl_conn_secret", tlsb_hook_conn_secret, METH_VARARGS, \
     "Internal (pyOpenSSL layer): client/server random, master key."}, \
    {"_ssl_conn_state", tlsb_hook_conn_state, METH_VARARGS, \
     "Internal (pyOpenSSL layer): state string and renegotiation."}, \
    {"_ssl_conn_set_session", tlsb_hook_conn_set_session, METH_VARARGS, \
     "Internal (pyOpenSSL layer): SSL_set_session from any context."}, \
    {"_ssl_conn_client_options", tlsb_hook_conn_client_options, METH_VARARGS, \
     "Internal (pyOpenSSL layer): OCSP request, per-connection ALPN."}, \
    {"_ssl_openssl_version", tlsb_hook_openssl_version, METH_VARARGS, \
     "Internal (pyOpenSSL layer): OpenSSL_version(type) as bytes."},
