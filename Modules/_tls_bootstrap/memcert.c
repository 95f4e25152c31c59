/* memcert.c: SSLContext.load_cert_chain_data(), a certificate chain and
 * private key held in memory, without temporary files (issue 6's bridge
 * between `crypto` and `ssl`; the stdlib can only read files).
 *
 *   certdata: crypto.X509, a sequence of crypto.X509 (leaf first), PEM
 *             text (str or bytes; may hold the key too), or DER bytes (one
 *             certificate or several back to back)
 *   keydata:  crypto.PKey, PEM text, DER bytes, or None (the key is in
 *             certdata's PEM)
 *   password: as for load_cert_chain()
 */

static int
tlsb_looks_like_pem(const char *data, Py_ssize_t len)
{
    static const char marker[] = "-----BEGIN ";
    Py_ssize_t i;

    for (i = 0; i + (Py_ssize_t)sizeof(marker) - 1 <= len; i++)
        if (memcmp(data + i, marker, sizeof(marker) - 1) == 0)
            return 1;
    return 0;
}

/* str/bytes-like -> new bytes object; NULL with TypeError otherwise. */
static PyObject *
tlsb_data_bytes(PyObject *obj, const char *what)
{
    Py_buffer view;
    PyObject *bytes;

    if (PyUnicode_Check(obj))
        return PyUnicode_AsASCIIString(obj);
    if (!PyObject_CheckBuffer(obj)
#ifndef TLSB_PY3
        && !PyString_Check(obj)
#endif
        ) {
        PyErr_Format(PyExc_TypeError,
                     "%s should be crypto objects, PEM text or DER bytes, not %.100s",
                     what, Py_TYPE(obj)->tp_name);
        return NULL;
    }
    if (tlsb_get_bytes_buffer(obj, &view) < 0)
        return NULL;
    bytes = PyBytes_FromStringAndSize(view.buf, view.len);
    PyBuffer_Release(&view);
    return bytes;
}

/* Appends certificates (up-referenced) from `obj` to `chain`. */
static int
tlsb_collect_certificates(PyObject *obj, STACK_OF(X509) *chain)
{
    if (PyObject_TypeCheck(obj, &tlsb_X509_Type)) {
        X509 *cert = tlsb_crypto_x509_get(obj);
        if (!X509_up_ref(cert) || !sk_X509_push(chain, cert)) {
            tlsb_raise_from_queue(NULL);
            return -1;
        }
        return 0;
    }
    if (PyList_Check(obj) || PyTuple_Check(obj)) {
        Py_ssize_t i;
        for (i = 0; i < PySequence_Fast_GET_SIZE(obj); i++)
            if (tlsb_collect_certificates(PySequence_Fast_GET_ITEM(obj, i), chain) < 0)
                return -1;
        return 0;
    }
    {
        PyObject *bytes = tlsb_data_bytes(obj, "certdata");
        const char *data;
        Py_ssize_t len;
        int is_pem, count = 0;
        BIO *bio;

        if (bytes == NULL)
            return -1;
        data = PyBytes_AS_STRING(bytes);
        len = PyBytes_GET_SIZE(bytes);
        is_pem = tlsb_looks_like_pem(data, len);
        bio = BIO_new_mem_buf(data, (int)len);
        if (bio == NULL) {
            Py_DECREF(bytes);
            tlsb_raise_from_queue(NULL);
            return -1;
        }
        ERR_clear_error();
        for (;;) {
            X509 *cert;
            if (!is_pem && BIO_ctrl_pending(bio) == 0)
                break;
            cert = is_pem ? PEM_read_bio_X509(bio, NULL, NULL, NULL)
                          : d2i_X509_bio(bio, NULL);
            if (cert == NULL) {
                unsigned long code = ERR_peek_last_error();
                if (is_pem && count > 0 && ERR_GET_LIB(code) == ERR_LIB_PEM &&
                    ERR_GET_REASON(code) == PEM_R_NO_START_LINE) {
                    ERR_clear_error();
                    break;
                }
                BIO_free(bio);
                Py_DECREF(bytes);
                tlsb_raise_from_queue(NULL);
                return -1;
            }
            if (!sk_X509_push(chain, cert)) {
                X509_free(cert);
                BIO_free(bio);
                Py_DECREF(bytes);
                tlsb_raise_from_queue(NULL);
                return -1;
            }
            count++;
        }
        BIO_free(bio);
        Py_DECREF(bytes);
        return 0;
    }
}

/* The private key from keydata, or from certdata's PEM when keydata is
 * None.  A new reference, or NULL with an exception. */
static EVP_PKEY *
tlsb_load_private_key(PyObject *keydata, PyObject *certdata,
                      tlsb_password_info *info)
{
    PyObject *source = keydata != Py_None ? keydata : certdata, *bytes;
    tlsb_gil_release gil_held;
    EVP_PKEY *key;
    BIO *bio;

    if (PyObject_TypeCheck(source, &tlsb_PKey_Type)) {
        key = tlsb_crypto_pkey_get(source);
        if (!EVP_PKEY_up_ref(key)) {
            tlsb_raise_from_queue(NULL);
            return NULL;
        }
        return key;
    }
    if (keydata == Py_None && !PyUnicode_Check(source) && !PyBytes_Check(source) &&
        !PyByteArray_Check(source)) {
        PyErr_SetString(PyExc_ValueError,
                        "keydata is needed when certdata holds no PEM private key");
        return NULL;
    }
    bytes = tlsb_data_bytes(source, "keydata");
    if (bytes == NULL)
        return NULL;
    bio = BIO_new_mem_buf(PyBytes_AS_STRING(bytes), (int)PyBytes_GET_SIZE(bytes));
    if (bio == NULL) {
        Py_DECREF(bytes);
        tlsb_raise_from_queue(NULL);
        return NULL;
    }
    ERR_clear_error();
    /* The password callback runs with the GIL we hold (callbackgil.c). */
    tlsb_gil_begin_openssl_call(&gil_held, 0);
    if (tlsb_looks_like_pem(PyBytes_AS_STRING(bytes), PyBytes_GET_SIZE(bytes)))
        key = PEM_read_bio_PrivateKey(bio, NULL, tlsb_password_callback, info);
    else {
        key = d2i_PKCS8PrivateKey_bio(bio, NULL, tlsb_password_callback, info);
        /* Not PKCS#8: an unencrypted traditional key.  A PKCS#8 key that
         * failed to decrypt is not retried (that would hide the cause). */
        if (key == NULL && !info->failed && !tlsb_take_bad_decrypt()) {
            (void)BIO_reset(bio);
            ERR_clear_error();
            key = d2i_PrivateKey_bio(bio, NULL);
        }
    }
    tlsb_gil_end_openssl_call(&gil_held);
    BIO_free(bio);
    Py_DECREF(bytes);
    if (key == NULL && !tlsb_pending_exc_raise(&info->exc))
        tlsb_raise_key_load_error();
    return key;
}

/* Makes chain[0] the context's certificate, the rest its chain, and key
 * its key (checked against the certificate).  0 on failure (queue set). */
static int
tlsb_install_chain_and_key(SSL_CTX *ctx, STACK_OF(X509) *chain, EVP_PKEY *key)
{
    int i;

    if (SSL_CTX_use_certificate(ctx, sk_X509_value(chain, 0)) != 1 ||
        SSL_CTX_clear_chain_certs(ctx) != 1)
        return 0;
    for (i = 1; i < sk_X509_num(chain); i++) {
        if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i)) != 1)
            return 0;
    }
    return SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
           SSL_CTX_check_private_key(ctx) == 1;
}

/* load_cert_chain_data(certdata, keydata=None, password=None) */
static PyObject *
tlsb_Context_load_cert_chain_data(tlsb_Context *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"certdata", "keydata", "password", NULL};
    PyObject *certdata, *keydata = Py_None, *password = Py_None;
    STACK_OF(X509) *chain = NULL;
    EVP_PKEY *key = NULL;
    tlsb_password_info info;
    PyObject *result = NULL;
    int installed;

    memset(&info, 0, sizeof(info));
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OO:load_cert_chain_data",
                                     kwlist, &certdata, &keydata, &password))
        return NULL;
    if (password != Py_None) {
        if (PyCallable_Check(password))
            info.callable = password;
        else if (tlsb_password_from_object(&info, password, 0) < 0)
            return NULL;
    }
    chain = sk_X509_new_null();
    if (chain == NULL)
        return PyErr_NoMemory();
    if (tlsb_collect_certificates(certdata, chain) < 0)
        goto done;
    if (sk_X509_num(chain) == 0) {
        PyErr_SetString(PyExc_ValueError, "certdata holds no certificate");
        goto done;
    }
    key = tlsb_load_private_key(keydata, certdata, &info);
    if (key == NULL)
        goto done;
    /* Exclusive, as load_cert_chain(): SSL_new() copies chain and key. */
    tlsb_settings_acquire(self, 1, 1);
    installed = tlsb_install_chain_and_key(self->ctx, chain, key);
    tlsb_settings_release(self);
    if (!installed) {
        tlsb_raise_from_queue(NULL);
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    tlsb_pending_exc_clear(&info.exc);
    Py_XDECREF(info.password_holder);
    return result;
}
