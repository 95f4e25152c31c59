/* msgcallback.c: SSLContext._msg_callback, every TLS record and handshake
 * message as it is read or written (the debugging hook of 3.8+).
 *
 * The Python layer wraps the user's function so that it receives the
 * TLSVersion/_TLSContentType/... enums; here it is called as
 * callback(ssl_object, "read"|"write", version, content_type, msg_type, data).
 *
 * Ownership: SSL_new copies the C callback into the SSL, with no
 * argument; the callback finds the connection (SSL ex_data) and the
 * context (current SSL_CTX ex_data), both kept valid by the connection
 * (tlsobject.c), and calls the context's callable under the GIL.  A
 * context switch sets the SSL's copy from the new context, as 3.13 does.
 */

/* The message type inside one callback's buffer, as the stdlib reports it:
 * the handshake message type (ChangeCipherSpec as OpenSSL's pseudo type),
 * the alert description, the record type of a
 * record header (whose version is in bytes 1-2), the inner content type. */
static int
tlsb_msg_type(int content_type, const unsigned char *buf, size_t len, int *version)
{
    switch (content_type) {
    case SSL3_RT_CHANGE_CIPHER_SPEC:
        return SSL3_MT_CHANGE_CIPHER_SPEC;      /* 0x0101: not a wire value */
    case SSL3_RT_HANDSHAKE:
        return len >= 1 ? buf[0] : -1;
    case SSL3_RT_ALERT:
        return len >= 2 ? buf[1] : -1;
    case SSL3_RT_HEADER:
        if (len >= 3)
            *version = (buf[1] << 8) | buf[2];
        return len >= 1 ? buf[0] : -1;
#ifdef SSL3_RT_INNER_CONTENT_TYPE
    case SSL3_RT_INNER_CONTENT_TYPE:
        return len >= 1 ? buf[0] : -1;
#endif
    default:
        return -1;
    }
}

static void
tlsb_msg_callback(int write_p, int version, int content_type, const void *buf,
                  size_t len, SSL *ssl, void *arg)
{
    tlsb_Connection *conn = SSL_get_ex_data(ssl, tlsb_state.ssl_ex_index);
    tlsb_Context *ctx = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
                                            tlsb_state.ctx_ex_index);
    PyObject *owner, *result;
    tlsb_callback_gil gil;
    int msg_type;

    if (conn == NULL || ctx == NULL)
        return;
    tlsb_callback_gil_take(&gil);
    /* After a callback raised, the rest of the handshake is not reported. */
    if (ctx->msg_callback == NULL || conn->callback_exc.type != NULL) {
        tlsb_callback_gil_give(&gil);
        return;
    }
    msg_type = tlsb_msg_type(content_type, buf, len, &version);
    owner = tlsb_connection_owner(conn);
    result = owner == NULL ? NULL : PyObject_CallFunction(
        ctx->msg_callback, "Osiii" TLSB_BYTES_FMT, owner, write_p ? "write" : "read",
        version, content_type, msg_type, (const char *)buf, (Py_ssize_t)len);
    if (result == NULL)
        tlsb_pending_exc_save(&conn->callback_exc);
    Py_XDECREF(result);
    Py_XDECREF(owner);
    tlsb_callback_gil_give(&gil);
}

/* _msg_callback: callable or None */
static PyObject *
tlsb_Context_get_msg_callback(tlsb_Context *self, void *closure)
{
    return Py_NewRef(self->msg_callback ? self->msg_callback : Py_None);
}

static int
tlsb_Context_set_msg_callback(tlsb_Context *self, PyObject *value, void *closure)
{
    if (value == NULL || value == Py_None) {
        Py_CLEAR(self->msg_callback);
        SSL_CTX_set_msg_callback(self->ctx, NULL);
        return 0;
    }
    if (!PyCallable_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%.100s is not callable.",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    Py_XSETREF(self->msg_callback, Py_NewRef(value));
    SSL_CTX_set_msg_callback(self->ctx, tlsb_msg_callback);
    return 0;
}
