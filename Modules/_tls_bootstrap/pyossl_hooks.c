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
 *   context (verify_callback, info_callback, keylog_callback), dropped by
 *   the setters and by tp_clear; a callback reads them under the GIL and
 *   treats NULL as "none set".  The callable may drop the last reference
 *   to itself (setting the attribute again): it is called through a
 *   reference taken for the call.
 * - The certificate handed to the verify callback is up-referenced for the
 *   crypto.X509 (both own it); OpenSSL's store context is not exposed.
 */

/* The connection and context of an SSL inside a callback, or 0 when the
 * SSL belongs to nothing of ours (being freed). */
static int
tlsb_hook_owners(const SSL *ssl, tlsb_Connection **conn, tlsb_Context **ctx)
{
    *conn = SSL_get_ex_data(ssl, tlsb_state.ssl_ex_index);
    *ctx = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tlsb_state.ctx_ex_index);
    return *conn != NULL && *ctx != NULL;
}

/* ---- verification ------------------------------------------------------ */

static int
tlsb_verify_callback(int ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store,
                                          SSL_get_ex_data_X509_STORE_CTX_idx());
    tlsb_Connection *conn;
    tlsb_Context *ctx;
    PyObject *callback, *owner = NULL, *cert = NULL, *result = NULL;
    PyGILState_STATE gil;
    X509 *current;
    int answer = ok;

    if (ssl == NULL || !tlsb_hook_owners(ssl, &conn, &ctx))
        return ok;
    gil = PyGILState_Ensure();
    if (conn->callback_exc.type != NULL) {
        PyGILState_Release(gil);
        return 0;
    }
    if (ctx->verify_callback == NULL) {
        PyGILState_Release(gil);
        return ok;
    }
    callback = Py_NewRef(ctx->verify_callback);
    current = X509_STORE_CTX_get_current_cert(store);
    owner = tlsb_connection_owner(conn);
    if (owner != NULL)
        cert = current != NULL ? tlsb_X509_from_borrowed(current)
                               : Py_NewRef(Py_None);
    if (cert != NULL)
        result = PyObject_CallFunction(
            callback, "OOiii", owner, cert, X509_STORE_CTX_get_error(store),
            X509_STORE_CTX_get_error_depth(store), ok);
    if (result == NULL) {
        tlsb_pending_exc_save(&conn->callback_exc);
        answer = 0;
    }
    else {
        answer = PyObject_IsTrue(result);
        if (answer < 0) {
            tlsb_pending_exc_save(&conn->callback_exc);
            answer = 0;
        }
    }
    /* The callback decides: a yes clears the error OpenSSL would report
     * as the verification result, as pyOpenSSL does. */
    if (answer)
        X509_STORE_CTX_set_error(store, X509_V_OK);
    Py_XDECREF(result);
    Py_XDECREF(cert);
    Py_XDECREF(owner);
    Py_DECREF(callback);
    PyGILState_Release(gil);
    return answer;
}

/* _verify_callback: callable or None */
static PyObject *
tlsb_Context_get_verify_callback(tlsb_Context *self, void *closure)
{
    return Py_NewRef(self->verify_callback ? self->verify_callback : Py_None);
}

static int
tlsb_Context_set_verify_callback(tlsb_Context *self, PyObject *value, void *closure)
{
    if (value != NULL && value != Py_None && !PyCallable_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%.100s is not callable.",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    if (value == Py_None)
        value = NULL;
    Py_XSETREF(self->verify_callback, Py_XNewRef(value));
    /* connections made from now on copy it (SSL_new) */
    SSL_CTX_set_verify(self->ctx, SSL_CTX_get_verify_mode(self->ctx),
                       value != NULL ? tlsb_verify_callback : NULL);
    return 0;
}

/* ---- handshake progress --------------------------------------------------- */

static void
tlsb_info_callback(const SSL *ssl, int where, int ret)
{
    tlsb_Connection *conn;
    tlsb_Context *ctx;
    PyObject *callback, *owner, *result = NULL;
    PyGILState_STATE gil;

    if (!tlsb_hook_owners(ssl, &conn, &ctx))
        return;
    gil = PyGILState_Ensure();
    if (ctx->info_callback == NULL || conn->callback_exc.type != NULL) {
        PyGILState_Release(gil);
        return;
    }
    callback = Py_NewRef(ctx->info_callback);
    owner = tlsb_connection_owner(conn);
    if (owner != NULL)
        result = PyObject_CallFunction(callback, "Oii", owner, where, ret);
    if (result == NULL)
        tlsb_pending_exc_save(&conn->callback_exc);
    Py_XDECREF(result);
    Py_XDECREF(owner);
    Py_DECREF(callback);
    PyGILState_Release(gil);
}

/* _info_callback: callable or None */
static PyObject *
tlsb_Context_get_info_callback(tlsb_Context *self, void *closure)
{
    return Py_NewRef(self->info_callback ? self->info_callback : Py_None);
}

static int
tlsb_Context_set_info_callback(tlsb_Context *self, PyObject *value, void *closure)
{
    if (value != NULL && value != Py_None && !PyCallable_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%.100s is not callable.",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    if (value == Py_None)
        value = NULL;
    Py_XSETREF(self->info_callback, Py_XNewRef(value));
    SSL_CTX_set_info_callback(self->ctx, value != NULL ? tlsb_info_callback : NULL);
    return 0;
}

/* ---- key log ------------------------------------------------------------- */

/* Both key logs share OpenSSL's one keylog slot: the file of
 * keylog_filename (keylog.c) gets the line first, then the callable. */
static void
tlsb_pyossl_keylog_callback(const SSL *ssl, const char *line)
{
    tlsb_Connection *conn;
    tlsb_Context *ctx;
    PyObject *callback, *owner, *result = NULL;
    PyGILState_STATE gil;

    tlsb_keylog_callback(ssl, line);
    if (!tlsb_hook_owners(ssl, &conn, &ctx))
        return;
    gil = PyGILState_Ensure();
    if (ctx->keylog_callback == NULL || conn->callback_exc.type != NULL) {
        PyGILState_Release(gil);
        return;
    }
    callback = Py_NewRef(ctx->keylog_callback);
    owner = tlsb_connection_owner(conn);
    if (owner != NULL)
        result = PyObject_CallFunction(callback, "O" TLSB_BYTES_FMT, owner,
                                       line, (Py_ssize_t)strlen(line));
    if (result == NULL)
        tlsb_pending_exc_save(&conn->callback_exc);
    Py_XDECREF(result);
    Py_XDECREF(owner);
    Py_DECREF(callback);
    PyGILState_Release(gil);
}

/* _keylog_callback: callable or None */
static PyObject *
tlsb_Context_get_keylog_callback(tlsb_Context *self, void *closure)
{
    return Py_NewRef(self->keylog_callback ? self->keylog_callback : Py_None);
}

static int
tlsb_Context_set_keylog_callback(tlsb_Context *self, PyObject *value, void *closure)
{
    if (value != NULL && value != Py_None && !PyCallable_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%.100s is not callable.",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    if (value == Py_None)
        value = NULL;
    Py_XSETREF(self->keylog_callback, Py_XNewRef(value));
    if (value != NULL)
        SSL_CTX_set_keylog_callback(self->ctx, tlsb_pyossl_keylog_callback);
    else
        SSL_CTX_set_keylog_callback(self->ctx, self->keylog_bio != NULL
                                    ? tlsb_keylog_callback : NULL);
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
