/* psk.c: TLS-PSK, SSLContext.set_psk_client_callback() and
 * set_psk_server_callback() (3.13), for TLS 1.2 PSK cipher suites and for
 * TLS 1.3 external PSKs (HAS_PSK_TLS13).
 *
 * TLS 1.3 goes through OpenSSL's session callbacks rather than the TLS 1.2
 * ones: the sessions OpenSSL makes from a TLS 1.2-style callback carry no
 * session ID context, and ours always set one (so that resumption works
 * with client certificates), so OpenSSL would refuse them.  The session we
 * build gets our context, TLS 1.3, and TLS_AES_128_GCM_SHA256 (external
 * PSKs default to SHA-256, RFC 8446 section 4.2.11).
 *
 * Rules of this file:
 * - A callback that raises, or returns the wrong thing, fails the
 *   handshake; as in the stdlib its exception goes to sys.unraisablehook,
 *   and here also to the caller, as __cause__ of the handshake's SSLError.
 * - A zero-length key rejects the connection, as documented.
 *
 * Ownership: no callback argument; the callbacks (copied into each SSL at
 * SSL_new) find the connection by SSL ex_data and the context by the
 * current SSL_CTX's ex_data (tlsobject.c, context.c), and read its
 * callables under the GIL (NULL: none).  The identity a TLS 1.3 client
 * offers is `psk_identity` of the connection, held until replaced or
 * dealloc; sessions built here pass to OpenSSL, which frees them.
 */

#ifndef OPENSSL_NO_PSK

/* The identity limit the stdlib documents: 256 octets of UTF-8. */
#define TLSB_PSK_MAX_IDENTITY 256

static PyObject *
tlsb_text_or_none(const char *text)
{
    if (text == NULL)
        Py_RETURN_NONE;
#ifdef TLSB_PY3
    return PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "strict");
#else
    return PyString_FromString(text);
#endif
}

/* Copies a bytes-like key into psk; its length, or -1 with an exception. */
static long
tlsb_psk_copy_key(PyObject *key, unsigned char *psk, unsigned int max_psk_len)
{
    Py_buffer view;
    long len;

    if (tlsb_get_bytes_buffer(key, &view) < 0)
        return -1;
    if (view.len > (Py_ssize_t)max_psk_len) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "psk cannot be longer than %u bytes",
                     max_psk_len);
        return -1;
    }
    memcpy(psk, view.buf, (size_t)view.len);
    len = (long)view.len;
    PyBuffer_Release(&view);
    return len;
}

static tlsb_Context *
tlsb_psk_context(SSL *ssl, tlsb_Connection **conn)
{
    *conn = SSL_get_ex_data(ssl, tlsb_state.ssl_ex_index);
    return SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tlsb_state.ctx_ex_index);
}

/* Client: (identity, psk) = callback(hint) */
static unsigned int
tlsb_psk_client_callback(SSL *ssl, const char *hint, char *identity,
                         unsigned int max_identity_len, unsigned char *psk,
                         unsigned int max_psk_len)
{
    tlsb_Connection *conn;
    tlsb_Context *ctx = tlsb_psk_context(ssl, &conn);
    PyObject *hint_obj = NULL, *result = NULL, *identity_bytes = NULL;
    PyObject *identity_obj, *key_obj;
    tlsb_callback_gil gil;
    long key_len = 0;

    if (conn == NULL || ctx == NULL)
        return 0;
    tlsb_callback_gil_take(&gil);
    if (ctx->psk_client_callback == NULL)
        goto done;
    hint_obj = tlsb_text_or_none(hint);
    if (hint_obj == NULL)
        goto error;
    result = PyObject_CallFunctionObjArgs(ctx->psk_client_callback, hint_obj, NULL);
    if (result == NULL)
        goto error;
    if (!PyTuple_Check(result) || PyTuple_GET_SIZE(result) != 2) {
        PyErr_SetString(PyExc_TypeError,
                        "PSK client callback must return a tuple "
                        "(identity, psk)");
        goto error;
    }
    identity_obj = PyTuple_GET_ITEM(result, 0);
    key_obj = PyTuple_GET_ITEM(result, 1);
    if (identity_obj == Py_None) {
        identity_bytes = PyBytes_FromStringAndSize("", 0);
    } else if (PyUnicode_Check(identity_obj)) {
        identity_bytes = PyUnicode_AsUTF8String(identity_obj);
#ifndef TLSB_PY3
    } else if (PyString_Check(identity_obj)) {
        identity_bytes = Py_NewRef(identity_obj);
#endif
    } else if (PyObject_CheckBuffer(identity_obj)) {
        /* 3.13 parses the identity with "z#": bytes-like objects too */
        Py_buffer view;
        if (tlsb_get_bytes_buffer(identity_obj, &view) < 0)
            goto error;
        identity_bytes = PyBytes_FromStringAndSize(view.buf, view.len);
        PyBuffer_Release(&view);
    } else {
        PyErr_SetString(PyExc_TypeError,
                        "PSK identity must be a str, a bytes-like object or None");
        goto error;
    }
    if (identity_bytes == NULL)
        goto error;
    if (PyBytes_GET_SIZE(identity_bytes) > TLSB_PSK_MAX_IDENTITY ||
        PyBytes_GET_SIZE(identity_bytes) >= (Py_ssize_t)max_identity_len) {
        PyErr_Format(PyExc_ValueError,
                     "PSK identity cannot be longer than %d bytes",
                     TLSB_PSK_MAX_IDENTITY);
        goto error;
    }
    key_len = tlsb_psk_copy_key(key_obj, psk, max_psk_len);
    if (key_len < 0)
        goto error;
    memcpy(identity, PyBytes_AS_STRING(identity_bytes),
           (size_t)PyBytes_GET_SIZE(identity_bytes) + 1);
    goto done;
error:
    key_len = 0;
    tlsb_callback_failed_unraisable(conn, ctx->psk_client_callback);
done:
    Py_XDECREF(identity_bytes);
    Py_XDECREF(result);
    Py_XDECREF(hint_obj);
    tlsb_callback_gil_give(&gil);
    return (unsigned int)key_len;
}

/* Server: psk = callback(identity) */
static unsigned int
tlsb_psk_server_callback(SSL *ssl, const char *identity, unsigned char *psk,
                         unsigned int max_psk_len)
{
    tlsb_Connection *conn;
    tlsb_Context *ctx = tlsb_psk_context(ssl, &conn);
    PyObject *identity_obj = NULL, *result = NULL;
    tlsb_callback_gil gil;
    long key_len = 0;

    if (conn == NULL || ctx == NULL)
        return 0;
    tlsb_callback_gil_take(&gil);
    if (ctx->psk_server_callback == NULL)
        goto done;
    identity_obj = tlsb_text_or_none(identity);
    if (identity_obj == NULL)
        goto error;
    result = PyObject_CallFunctionObjArgs(ctx->psk_server_callback, identity_obj,
                                          NULL);
    if (result == NULL)
        goto error;
    key_len = tlsb_psk_copy_key(result, psk, max_psk_len);
    if (key_len >= 0)
        goto done;
error:
    key_len = 0;
    tlsb_callback_failed_unraisable(conn, ctx->psk_server_callback);
done:
    Py_XDECREF(result);
    Py_XDECREF(identity_obj);
    tlsb_callback_gil_give(&gil);
    return (unsigned int)key_len;
}

/* A TLS 1.3 session holding an external PSK. */
static SSL_SESSION *
tlsb_psk_session(SSL *ssl, const unsigned char *key, size_t key_len)
{
    static const unsigned char aes128gcm_sha256[] = {0x13, 0x01};
    const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, aes128gcm_sha256);
    SSL_SESSION *session = SSL_SESSION_new();

    if (session == NULL || cipher == NULL ||
        !SSL_SESSION_set1_master_key(session, key, key_len) ||
        !SSL_SESSION_set_cipher(session, cipher) ||
        !SSL_SESSION_set_protocol_version(session, TLS1_3_VERSION) ||
        !SSL_SESSION_set1_id_context(session, tlsb_session_id_context,
                                     sizeof(tlsb_session_id_context) - 1)) {
        SSL_SESSION_free(session);
        return NULL;
    }
    return session;
}

/* TLS 1.3 client: OpenSSL asks for the PSK to offer (md is the hash a
 * HelloRetryRequest fixed, or NULL). */
static int
tlsb_psk_use_session_callback(SSL *ssl, const EVP_MD *md, const unsigned char **id,
                              size_t *idlen, SSL_SESSION **session)
{
    unsigned char key[PSK_MAX_PSK_LEN];
    char identity[TLSB_PSK_MAX_IDENTITY + 1];
    tlsb_Connection *conn;
    unsigned int key_len;

    *session = NULL;
    if (md != NULL && EVP_MD_type(md) != NID_sha256)
        return 1;                       /* our PSKs are SHA-256: offer none */
    key_len = tlsb_psk_client_callback(ssl, NULL, identity, sizeof(identity),
                                       key, sizeof(key));
    tlsb_psk_context(ssl, &conn);
    if (key_len == 0 || conn == NULL)
        return conn != NULL && conn->callback_cause != NULL ? 0 : 1;
    if (identity[0] == '\0') {
        tlsb_callback_gil gil;

        tlsb_callback_gil_take(&gil);
        PyErr_SetString(PyExc_ValueError,
                        "a TLS 1.3 PSK needs a non-empty client identity");
        tlsb_callback_failed_unraisable(conn, Py_None);
        tlsb_callback_gil_give(&gil);
        return 0;
    }
    *session = tlsb_psk_session(ssl, key, key_len);
    OPENSSL_cleanse(key, sizeof(key));
    if (*session == NULL)
        return 0;
    {
        /* OpenSSL points at the identity until the handshake is over. */
        tlsb_callback_gil gil;
        PyObject *bytes;

        tlsb_callback_gil_take(&gil);
        bytes = PyBytes_FromString(identity);
        Py_XSETREF(conn->psk_identity, bytes);
        if (bytes == NULL) {
            tlsb_callback_failed_unraisable(conn, Py_None);
            tlsb_callback_gil_give(&gil);
            SSL_SESSION_free(*session);
            *session = NULL;
            return 0;
        }
        *id = (const unsigned char *)PyBytes_AS_STRING(bytes);
        *idlen = (size_t)PyBytes_GET_SIZE(bytes);
        tlsb_callback_gil_give(&gil);
    }
    return 1;
}

/* TLS 1.3 server: the client offered `identity`; a session with its key,
 * or none to refuse it. */
static int
tlsb_psk_find_session_callback(SSL *ssl, const unsigned char *identity,
                               size_t identity_len, SSL_SESSION **session)
{
    unsigned char key[PSK_MAX_PSK_LEN];
    char name[TLSB_PSK_MAX_IDENTITY + 1];
    tlsb_Connection *conn;
    unsigned int key_len;

    *session = NULL;
    if (identity_len > TLSB_PSK_MAX_IDENTITY)
        return 1;                       /* not one of ours */
    memcpy(name, identity, identity_len);
    name[identity_len] = '\0';
    key_len = tlsb_psk_server_callback(ssl, name, key, sizeof(key));
    tlsb_psk_context(ssl, &conn);
    if (key_len == 0)
        return conn != NULL && conn->callback_cause != NULL ? 0 : 1;
    *session = tlsb_psk_session(ssl, key, key_len);
    OPENSSL_cleanse(key, sizeof(key));
    return *session != NULL;
}

#endif /* OPENSSL_NO_PSK */

static int
tlsb_psk_check_callback(PyObject *callback)
{
    if (callback != Py_None && !PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "callback must be callable");
        return -1;
    }
    return 0;
}

/* set_psk_client_callback(callback) */
static PyObject *
tlsb_Context_set_psk_client_callback(tlsb_Context *self, PyObject *args,
                                     PyObject *kwargs)
{
    static char *kwlist[] = {"callback", NULL};
    PyObject *callback;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:set_psk_client_callback",
                                     kwlist, &callback))
        return NULL;
#ifdef OPENSSL_NO_PSK
    PyErr_SetString(PyExc_NotImplementedError,
                    "TLS-PSK is not supported by this OpenSSL build");
    return NULL;
#else
    if (self->protocol == TLSB_PROTOCOL_TLS_SERVER)
        return tlsb_raise_message(tlsb_interp()->SSLError, 0,
                                  "Cannot add PSK client callback to a "
                                  "PROTOCOL_TLS_SERVER context");
    if (tlsb_psk_check_callback(callback) < 0)
        return NULL;
    if (callback == Py_None) {
        Py_CLEAR(self->psk_client_callback);
        SSL_CTX_set_psk_client_callback(self->ctx, NULL);
        SSL_CTX_set_psk_use_session_callback(self->ctx, NULL);
    } else {
        Py_XSETREF(self->psk_client_callback, Py_NewRef(callback));
        SSL_CTX_set_psk_client_callback(self->ctx, tlsb_psk_client_callback);
        SSL_CTX_set_psk_use_session_callback(self->ctx,
                                             tlsb_psk_use_session_callback);
    }
    Py_RETURN_NONE;
#endif
}

/* set_psk_server_callback(callback, identity_hint=None) */
static PyObject *
tlsb_Context_set_psk_server_callback(tlsb_Context *self, PyObject *args,
                                     PyObject *kwargs)
{
    static char *kwlist[] = {"callback", "identity_hint", NULL};
    PyObject *callback, *hint = Py_None, *hint_bytes = NULL;
    int hint_set;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:set_psk_server_callback",
                                     kwlist, &callback, &hint))
        return NULL;
#ifdef OPENSSL_NO_PSK
    PyErr_SetString(PyExc_NotImplementedError,
                    "TLS-PSK is not supported by this OpenSSL build");
    return NULL;
#else
    if (hint != Py_None) {
        if (PyUnicode_Check(hint))
            hint_bytes = PyUnicode_AsUTF8String(hint);
#ifndef TLSB_PY3
        else if (PyString_Check(hint))
            hint_bytes = Py_NewRef(hint);
#endif
        else
            PyErr_Format(PyExc_TypeError,
                         "set_psk_server_callback() argument 'identity_hint' "
                         "must be str or None, not %.100s", Py_TYPE(hint)->tp_name);
        if (hint_bytes == NULL)
            return NULL;
        /* the hint is a C string: a NUL would cut it short */
        if (strlen(PyBytes_AS_STRING(hint_bytes)) != (size_t)PyBytes_GET_SIZE(hint_bytes)) {
            Py_DECREF(hint_bytes);
            PyErr_SetString(PyExc_ValueError, "embedded null character");
            return NULL;
        }
    }
    if (self->protocol == TLSB_PROTOCOL_TLS_CLIENT) {
        Py_XDECREF(hint_bytes);
        return tlsb_raise_message(tlsb_interp()->SSLError, 0,
                                  "Cannot add PSK server callback to a "
                                  "PROTOCOL_TLS_CLIENT context");
    }
    if (tlsb_psk_check_callback(callback) < 0) {
        Py_XDECREF(hint_bytes);
        return NULL;
    }
    /* Exclusive: SSL_new() copies the hint being replaced. */
    tlsb_settings_acquire(self, 1, 1);
    hint_set = SSL_CTX_use_psk_identity_hint(
        self->ctx, hint_bytes ? PyBytes_AS_STRING(hint_bytes) : NULL);
    tlsb_settings_release(self);
    if (!hint_set) {
        Py_XDECREF(hint_bytes);
        ERR_clear_error();
        PyErr_SetString(PyExc_ValueError, "failed to set identity hint");
        return NULL;
    }
    Py_XDECREF(hint_bytes);
    if (callback == Py_None) {
        Py_CLEAR(self->psk_server_callback);
        SSL_CTX_set_psk_server_callback(self->ctx, NULL);
        SSL_CTX_set_psk_find_session_callback(self->ctx, NULL);
    } else {
        Py_XSETREF(self->psk_server_callback, Py_NewRef(callback));
        SSL_CTX_set_psk_server_callback(self->ctx, tlsb_psk_server_callback);
        SSL_CTX_set_psk_find_session_callback(self->ctx,
                                              tlsb_psk_find_session_callback);
    }
    Py_RETURN_NONE;
#endif
}
