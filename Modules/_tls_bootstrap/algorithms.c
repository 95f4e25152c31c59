/* algorithms.c: TLS 1.3 cipher suites, key-exchange groups and signature
 * algorithms: the 3.15 API (set_ciphersuites, set_groups, get_groups,
 * group, get_sigalgs, set_client_sigalgs, set_server_sigalgs,
 * client_sigalg, server_sigalg).
 *
 * Rules of this file:
 * - Each call exists where the linked OpenSSL has what it needs (feature
 *   flags in compat.h); elsewhere it raises NotImplementedError naming the
 *   OpenSSL version it needs, and tlsb_missing_features() lists it for
 *   `python -m _tls_bootstrap`.
 */

TLSB_MAYBE_UNUSED static PyObject *
tlsb_raise_needs_openssl(const char *what, const char *version)
{
    PyErr_Format(PyExc_NotImplementedError,
                 "%s requires OpenSSL %s or later (this is %s)", what, version,
                 OpenSSL_version(OPENSSL_VERSION));
    return NULL;
}

/* set_ciphersuites(ciphersuites, /): TLS 1.3 suites, e.g.
 * "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256" */
static PyObject *
tlsb_Context_set_ciphersuites(tlsb_Context *self, PyObject *args)
{
    const char *suites;
    int ok;

    if (!PyArg_ParseTuple(args, "s:set_ciphersuites", &suites))
        return NULL;
    tlsb_settings_acquire(self, 1, 1);   /* replaces the cipher list */
    ok = SSL_CTX_set_ciphersuites(self->ctx, suites);
    tlsb_settings_release(self);
    if (!ok) {
        ERR_clear_error();
        PyErr_SetString(tlsb_interp()->SSLError, "No cipher suite can be selected.");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* set_groups(groups, /): key-exchange groups in OpenSSL's list format,
 * e.g. "X25519:P-256" */
static PyObject *
tlsb_Context_set_groups(tlsb_Context *self, PyObject *args)
{
    const char *groups;
    int ok;

    if (!PyArg_ParseTuple(args, "s:set_groups", &groups))
        return NULL;
    tlsb_settings_acquire(self, 1, 1);
    ok = SSL_CTX_set1_groups_list(self->ctx, groups);
    tlsb_settings_release(self);
    if (!ok)
        return tlsb_raise_queue_with_text(NULL, "unrecognized group in list");
    Py_RETURN_NONE;
}

/* get_groups(*, include_aliases=False) -> [names] the context can use */
static PyObject *
tlsb_Context_get_groups(tlsb_Context *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"include_aliases", NULL};
    PyObject *aliases_obj = Py_False;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:get_groups", kwlist,
                                     &aliases_obj))
        return NULL;
#ifdef TLSB_HAS_GET0_IMPLEMENTED_GROUPS
    {
        STACK_OF(OPENSSL_CSTRING) *names = sk_OPENSSL_CSTRING_new_null();
        PyObject *result;
        int aliases = PyObject_IsTrue(aliases_obj), i;

        if (aliases < 0 || names == NULL) {
            sk_OPENSSL_CSTRING_free(names);
            return aliases < 0 ? NULL : PyErr_NoMemory();
        }
        if (!SSL_CTX_get0_implemented_groups(self->ctx, aliases, names)) {
            sk_OPENSSL_CSTRING_free(names);
            return tlsb_raise_from_queue(NULL);
        }
        result = PyList_New(0);
        for (i = 0; result != NULL && i < sk_OPENSSL_CSTRING_num(names); i++) {
            PyObject *name = NativeStr_FromString(sk_OPENSSL_CSTRING_value(names, i));
            if (name == NULL || PyList_Append(result, name) < 0)
                Py_CLEAR(result);
            Py_XDECREF(name);
        }
        sk_OPENSSL_CSTRING_free(names);
        return result;
    }
#else
    return tlsb_raise_needs_openssl("SSLContext.get_groups()", "3.5");
#endif
}

static PyObject *
tlsb_context_set_sigalgs(tlsb_Context *self, PyObject *args, int for_client,
                         const char *format)
{
    const char *sigalgs;
    int ok;

    if (!PyArg_ParseTuple(args, format, &sigalgs))
        return NULL;
    tlsb_settings_acquire(self, 1, 1);
    ok = for_client ? SSL_CTX_set1_client_sigalgs_list(self->ctx, sigalgs)
                    : SSL_CTX_set1_sigalgs_list(self->ctx, sigalgs);
    tlsb_settings_release(self);
    if (!ok)
        return tlsb_raise_queue_with_text(NULL,
                                          "unrecognized signature algorithm in list");
    Py_RETURN_NONE;
}

/* set_client_sigalgs(sigalgs, /): what a client may sign with when it
 * authenticates, e.g. "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256" */
static PyObject *
tlsb_Context_set_client_sigalgs(tlsb_Context *self, PyObject *args)
{
    return tlsb_context_set_sigalgs(self, args, 1, "s:set_client_sigalgs");
}

/* set_server_sigalgs(sigalgs, /): what a server may sign with */
static PyObject *
tlsb_Context_set_server_sigalgs(tlsb_Context *self, PyObject *args)
{
    return tlsb_context_set_sigalgs(self, args, 0, "s:set_server_sigalgs");
}

/* group() -> name of the key-exchange group, None before the handshake */
static PyObject *
tlsb_Connection_group(tlsb_Connection *self, PyObject *unused)
{
    const char *name = NULL;

    if (tlsb_connection_check(self) < 0)
        return NULL;
    if (!SSL_is_init_finished(self->ssl))
        Py_RETURN_NONE;
#if defined(TLSB_HAS_GROUP_NAME)
    name = SSL_get0_group_name(self->ssl);
#elif defined(TLSB_HAS_NEGOTIATED_GROUP)
    {
        int group = SSL_get_negotiated_group(self->ssl);
        name = group ? SSL_group_to_name(self->ssl, group) : NULL;
    }
#else
    return tlsb_raise_needs_openssl("SSLSocket.group()", "3.0");
#endif
    if (name == NULL)
        Py_RETURN_NONE;
    return NativeStr_FromString(name);
}

/* client_sigalg() / server_sigalg() -> name or None */
static PyObject *
tlsb_connection_sigalg(tlsb_Connection *self, int of_client)
{
    if (tlsb_connection_check(self) < 0)
        return NULL;
#ifdef TLSB_HAS_SIGALG_NAMES
    {
        const char *name = NULL;
        /* The peer's signature is "peer", ours is "own". */
        int peer_signed = self->server_side ? of_client : !of_client;
        if (!SSL_is_init_finished(self->ssl))
            Py_RETURN_NONE;
        if (!(peer_signed ? SSL_get0_peer_signature_name(self->ssl, &name)
                          : SSL_get0_signature_name(self->ssl, &name)) ||
            name == NULL)
            Py_RETURN_NONE;
        return NativeStr_FromString(name);
    }
#else
    return tlsb_raise_needs_openssl(of_client ? "SSLSocket.client_sigalg()"
                                              : "SSLSocket.server_sigalg()", "3.5");
#endif
}

static PyObject *
tlsb_Connection_client_sigalg(tlsb_Connection *self, PyObject *unused)
{
    return tlsb_connection_sigalg(self, 1);
}

static PyObject *
tlsb_Connection_server_sigalg(tlsb_Connection *self, PyObject *unused)
{
    return tlsb_connection_sigalg(self, 0);
}

/* get_sigalgs() -> [names] of the signature algorithms OpenSSL knows */
static PyObject *
tlsb_get_sigalgs(PyObject *module, PyObject *unused)
{
#ifdef TLSB_HAS_BUILTIN_SIGALGS
    char *list = SSL_get1_builtin_sigalgs(NULL);
    PyObject *text, *result;

    if (list == NULL)
        return tlsb_raise_from_queue(NULL);
    text = NativeStr_FromString(list);
    OPENSSL_free(list);
    if (text == NULL)
        return NULL;
    result = PyObject_CallMethod(text, "split", "s", ":");
    Py_DECREF(text);
    return result;
#else
    return tlsb_raise_needs_openssl("ssl.get_sigalgs()", "3.4");
#endif
}

TLSB_MAYBE_UNUSED static int
tlsb_note_missing(PyObject *missing, const char *feature, const char *needs)
{
    PyObject *text = NativeStr_FromString(needs);
    int status = text ? PyDict_SetItemString(missing, feature, text) : -1;

    Py_XDECREF(text);
    return status;
}

/* What this build cannot do: {feature: "OpenSSL x.y"}, for the report. */
static PyObject *
tlsb_missing_features(void)
{
    PyObject *missing = PyDict_New();
    int status = 0;

    if (missing == NULL)
        return NULL;
#ifndef TLSB_HAS_GET0_IMPLEMENTED_GROUPS
    status |= tlsb_note_missing(missing, "SSLContext.get_groups", "OpenSSL 3.5");
#endif
#if !defined(TLSB_HAS_GROUP_NAME) && !defined(TLSB_HAS_NEGOTIATED_GROUP)
    status |= tlsb_note_missing(missing, "SSLSocket.group", "OpenSSL 3.0");
#endif
#ifndef TLSB_HAS_BUILTIN_SIGALGS
    status |= tlsb_note_missing(missing, "get_sigalgs", "OpenSSL 3.4");
#endif
#ifndef TLSB_HAS_SIGALG_NAMES
    status |= tlsb_note_missing(missing, "SSLSocket.client_sigalg", "OpenSSL 3.5");
    status |= tlsb_note_missing(missing, "SSLSocket.server_sigalg", "OpenSSL 3.5");
#endif
    if (status < 0)
        Py_CLEAR(missing);
    return missing;
}
