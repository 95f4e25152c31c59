/* crypto_spki.c: crypto.NetscapeSPKI (a signed public key and challenge,
 * as the old <keygen> element sent), as in pyOpenSSL.
 *
 * Ownership: a NetscapeSPKI owns one NETSCAPE_SPKI, freed with it.
 */

/* sign(pkey, digest) */
static PyObject *
tlsb_NetscapeSPKI_sign(tlsb_NetscapeSPKI *self, PyObject *args)
{
    PyObject *pkey_obj, *digest_obj;
    EVP_PKEY *pkey;
    const EVP_MD *md;

    if (!PyArg_ParseTuple(args, "OO:sign", &pkey_obj, &digest_obj) ||
        tlsb_signing_args(pkey_obj, digest_obj, &pkey, &md) < 0)
        return NULL;
    if (NETSCAPE_SPKI_sign(self->spki, pkey, md) <= 0)
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* verify(key) -> True, or crypto.Error when key did not sign it */
static PyObject *
tlsb_NetscapeSPKI_verify(tlsb_NetscapeSPKI *self, PyObject *arg)
{
    EVP_PKEY *pkey = tlsb_crypto_pkey_get(arg);

    if (pkey == NULL)
        return NULL;
    if (NETSCAPE_SPKI_verify(self->spki, pkey) <= 0)
        return tlsb_crypto_raise();
    Py_RETURN_TRUE;
}

/* b64_encode() -> bytes: base64 of the DER, on one line */
static PyObject *
tlsb_NetscapeSPKI_b64_encode(tlsb_NetscapeSPKI *self, PyObject *unused)
{
    char *text = NETSCAPE_SPKI_b64_encode(self->spki);
    PyObject *result;

    if (text == NULL)
        return tlsb_crypto_raise();
    result = PyBytes_FromString(text);
    OPENSSL_free(text);
    return result;
}

/* get_pubkey() -> PKey (public part only) */
static PyObject *
tlsb_NetscapeSPKI_get_pubkey(tlsb_NetscapeSPKI *self, PyObject *unused)
{
    EVP_PKEY *pkey = NETSCAPE_SPKI_get_pubkey(self->spki);

    if (pkey == NULL)
        return tlsb_crypto_raise();
    return tlsb_PKey_wrap(pkey, 1);
}

/* set_pubkey(pkey) */
static PyObject *
tlsb_NetscapeSPKI_set_pubkey(tlsb_NetscapeSPKI *self, PyObject *arg)
{
    EVP_PKEY *pkey = tlsb_crypto_pkey_get(arg);

    if (pkey == NULL)
        return NULL;
    if (!NETSCAPE_SPKI_set_pubkey(self->spki, pkey))
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

static PyMethodDef tlsb_NetscapeSPKI_methods[] = {
    {"sign", (PyCFunction)tlsb_NetscapeSPKI_sign, METH_VARARGS,
     "sign($self, pkey, digest)\n--\n\nSign with pkey and the named digest."},
    {"verify", (PyCFunction)tlsb_NetscapeSPKI_verify, METH_O,
     "verify($self, key)\n--\n\nTrue if key signed it; raises Error if not."},
    {"b64_encode", (PyCFunction)tlsb_NetscapeSPKI_b64_encode, METH_NOARGS,
     "b64_encode($self)\n--\n\nThe base64 encoding of the structure, as bytes."},
    {"get_pubkey", (PyCFunction)tlsb_NetscapeSPKI_get_pubkey, METH_NOARGS,
     "get_pubkey($self)\n--\n\nThe public key, as a PKey."},
    {"set_pubkey", (PyCFunction)tlsb_NetscapeSPKI_set_pubkey, METH_O,
     "set_pubkey($self, pkey)\n--\n\nSet the public key."},
    {NULL, NULL}
};

static PyTypeObject tlsb_NetscapeSPKI_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto.NetscapeSPKI",
    .tp_basicsize = sizeof(tlsb_NetscapeSPKI),
    .tp_dealloc = tlsb_owner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "NetscapeSPKI()\n--\n\nA Netscape signed public key and challenge.",
    .tp_methods = tlsb_NetscapeSPKI_methods,
    .tp_new = tlsb_owner_new,
};

static int
tlsb_crypto_spki_init(PyObject *crypto)
{
    return tlsb_add_type(crypto, &tlsb_NetscapeSPKI_Type, "NetscapeSPKI");
}
