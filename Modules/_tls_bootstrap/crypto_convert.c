/* crypto_convert.c: to_cryptography() / from_cryptography() on X509,
 * X509Req, CRL and PKey, converting to and from pyca/cryptography's
 * objects as pyOpenSSL does.
 *
 * Both directions go through DER and cryptography's public API only
 * (load_der_* and public_bytes/private_bytes), never its internals: the
 * two libraries may even link different OpenSSLs.  Without cryptography
 * these raise ImportError naming it.  Each result is a new, independent
 * object on either side (nothing is shared).
 */

/* getattr(import(module), name), or ImportError saying what needs it. */
static PyObject *
tlsb_cryptography_attr(const char *module, const char *name)
{
    PyObject *mod = PyImport_ImportModule(module), *attr;

    if (mod == NULL) {
        if (PyErr_ExceptionMatches(PyExc_ImportError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_ImportError,
                         "converting to or from cryptography's objects needs "
                         "the cryptography package (import %s failed)",
                         module);
        }
        return NULL;
    }
    attr = PyObject_GetAttrString(mod, name);
    Py_DECREF(mod);
    return attr;
}

/* loader(der) with cryptography's loader module.name. */
static PyObject *
tlsb_to_cryptography(PyObject *der, const char *module, const char *loader)
{
    PyObject *func, *result;

    if (der == NULL)
        return NULL;
    func = tlsb_cryptography_attr(module, loader);
    result = func ? PyObject_CallFunctionObjArgs(func, der, NULL) : NULL;
    Py_XDECREF(func);
    Py_DECREF(der);
    return result;
}

/* obj's DER through obj.public_bytes(Encoding.DER) when obj is a
 * cryptography `module.cls`; else TypeError(message). */
static PyObject *
tlsb_cryptography_der(PyObject *obj, const char *module, const char *cls,
                      const char *message)
{
    PyObject *type = tlsb_cryptography_attr(module, cls), *encoding, *der;
    int ok;

    if (type == NULL)
        return NULL;
    ok = PyObject_IsInstance(obj, type);
    Py_DECREF(type);
    if (ok <= 0) {
        if (ok == 0)
            PyErr_SetString(PyExc_TypeError, message);
        return NULL;
    }
    encoding = tlsb_cryptography_attr(
        "cryptography.hazmat.primitives.serialization", "Encoding");
    if (encoding == NULL)
        return NULL;
    der = PyObject_CallMethod(obj, "public_bytes", "(N)",
                              PyObject_GetAttrString(encoding, "DER"));
    Py_DECREF(encoding);
    if (der != NULL && !PyBytes_Check(der)) {
        Py_DECREF(der);
        PyErr_SetString(PyExc_TypeError, "public_bytes() did not return bytes");
        return NULL;
    }
    return der;
}

/* DER of an OpenSSL object through i2d into a memory BIO. */
static PyObject *
tlsb_der_of(int (*write)(BIO *, void *), void *obj)
{
    BIO *bio = tlsb_new_mem_bio();

    if (bio == NULL)
        return NULL;
    if (write(bio, obj) <= 0) {
        BIO_free(bio);
        return tlsb_crypto_raise();
    }
    return tlsb_bio_to_bytes(bio);
}

/* An OpenSSL object from DER bytes with d2i (the bytes are kept). */
static void *
tlsb_from_der(PyObject *der, void *(*read)(BIO *))
{
    BIO *bio;
    void *obj;

    if (der == NULL)
        return NULL;
    bio = BIO_new_mem_buf(PyBytes_AS_STRING(der), (int)PyBytes_GET_SIZE(der));
    obj = bio ? read(bio) : NULL;
    BIO_free(bio);
    Py_DECREF(der);
    if (obj == NULL)
        tlsb_crypto_raise();
    return obj;
}

static int tlsb_i2d_x509(BIO *b, void *x) { return i2d_X509_bio(b, x); }
static int tlsb_i2d_req(BIO *b, void *r) { return i2d_X509_REQ_bio(b, r); }
static int tlsb_i2d_crl(BIO *b, void *c) { return i2d_X509_CRL_bio(b, c); }
static void *tlsb_d2i_x509(BIO *b) { return d2i_X509_bio(b, NULL); }
static void *tlsb_d2i_req(BIO *b) { return d2i_X509_REQ_bio(b, NULL); }
static void *tlsb_d2i_crl(BIO *b) { return d2i_X509_CRL_bio(b, NULL); }

/* X509.to_cryptography() -> cryptography.x509.Certificate */
static PyObject *
tlsb_X509_to_cryptography(tlsb_X509 *self, PyObject *unused)
{
    return tlsb_to_cryptography(tlsb_der_of(tlsb_i2d_x509, self->x509),
                                "cryptography.x509",
                                "load_der_x509_certificate");
}

/* X509.from_cryptography(crypto_cert) -> X509 */
static PyObject *
tlsb_X509_from_cryptography(PyObject *cls, PyObject *arg)
{
    X509 *x509 = tlsb_from_der(
        tlsb_cryptography_der(arg, "cryptography.x509", "Certificate",
                              "Must be a certificate"),
        tlsb_d2i_x509);

    return x509 ? tlsb_X509_wrap(x509) : NULL;
}

/* X509Req.to_cryptography() -> cryptography.x509.CertificateSigningRequest */
static PyObject *
tlsb_X509Req_to_cryptography(tlsb_X509Req *self, PyObject *unused)
{
    return tlsb_to_cryptography(tlsb_der_of(tlsb_i2d_req, self->req),
                                "cryptography.x509", "load_der_x509_csr");
}

/* X509Req.from_cryptography(crypto_req) -> X509Req */
static PyObject *
tlsb_X509Req_from_cryptography(PyObject *cls, PyObject *arg)
{
    X509_REQ *req = tlsb_from_der(
        tlsb_cryptography_der(arg, "cryptography.x509",
                              "CertificateSigningRequest",
                              "Must be a certificate signing request"),
        tlsb_d2i_req);

    return req ? tlsb_X509Req_wrap(req) : NULL;
}

/* CRL.to_cryptography() -> cryptography.x509.CertificateRevocationList */
static PyObject *
tlsb_CRL_to_cryptography(tlsb_CRL *self, PyObject *unused)
{
    return tlsb_to_cryptography(tlsb_der_of(tlsb_i2d_crl, self->crl),
                                "cryptography.x509", "load_der_x509_crl");
}

/* CRL.from_cryptography(crypto_crl) -> CRL */
static PyObject *
tlsb_CRL_from_cryptography(PyObject *cls, PyObject *arg)
{
    X509_CRL *crl = tlsb_from_der(
        tlsb_cryptography_der(arg, "cryptography.x509",
                              "CertificateRevocationList", "Must be a CRL"),
        tlsb_d2i_crl);

    return crl ? tlsb_CRL_wrap(crl) : NULL;
}

static int tlsb_i2d_private(BIO *b, void *k) { return i2d_PKCS8PrivateKey_bio(b, k, NULL, NULL, 0, NULL, NULL); }
static int tlsb_i2d_public(BIO *b, void *k) { return i2d_PUBKEY_bio(b, k); }
static void *tlsb_d2i_private(BIO *b) { return d2i_PrivateKey_bio(b, NULL); }
static void *tlsb_d2i_public(BIO *b) { return d2i_PUBKEY_bio(b, NULL); }

/* PKey.to_cryptography_key() -> a cryptography public or private key */
static PyObject *
tlsb_PKey_to_cryptography_key(tlsb_PKey *self, PyObject *unused)
{
    const char *serialization = "cryptography.hazmat.primitives.serialization";
    PyObject *der, *loader, *result;

    if (self->pkey == NULL) {
        PyErr_SetString(PyExc_ValueError, "Key is uninitialized");
        return NULL;
    }
    if (self->only_public)
        return tlsb_to_cryptography(tlsb_der_of(tlsb_i2d_public, self->pkey),
                                    serialization, "load_der_public_key");
    der = tlsb_der_of(tlsb_i2d_private, self->pkey);
    if (der == NULL)
        return NULL;
    loader = tlsb_cryptography_attr(serialization, "load_der_private_key");
    result = loader ? PyObject_CallFunctionObjArgs(loader, der, Py_None, NULL)
                    : NULL;
    Py_XDECREF(loader);
    Py_DECREF(der);
    return result;
}

/* 1 if key is one of the convertible kinds; *private says which.  Those
 * of pyOpenSSL 21 (RSA and DSA, public or private), and, as an extension
 * matching pyOpenSSL 22+, Ed25519/Ed448 private keys (PKey holds those:
 * TYPE_ED25519).  EC keys stay a TypeError: pyOpenSSL 21 refuses them and
 * its own suite checks that (22+ accept them). */
static int
tlsb_convertible_key(PyObject *key, int *private_key)
{
    static const struct {
        const char *module, *cls;
        int private_key, optional;     /* optional: not in every cryptography */
    } kinds[] = {
        {"cryptography.hazmat.primitives.asymmetric.rsa", "RSAPrivateKey", 1, 0},
        {"cryptography.hazmat.primitives.asymmetric.dsa", "DSAPrivateKey", 1, 0},
        {"cryptography.hazmat.primitives.asymmetric.rsa", "RSAPublicKey", 0, 0},
        {"cryptography.hazmat.primitives.asymmetric.dsa", "DSAPublicKey", 0, 0},
        {"cryptography.hazmat.primitives.asymmetric.ed25519", "Ed25519PrivateKey", 1, 1},
        {"cryptography.hazmat.primitives.asymmetric.ed448", "Ed448PrivateKey", 1, 1},
    };
    size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        PyObject *type = tlsb_cryptography_attr(kinds[i].module, kinds[i].cls);
        int ok;
        if (type == NULL && kinds[i].optional &&
            (PyErr_ExceptionMatches(PyExc_ImportError) ||
             PyErr_ExceptionMatches(PyExc_AttributeError))) {
            PyErr_Clear();
            continue;
        }
        if (type == NULL)
            return -1;
        ok = PyObject_IsInstance(key, type);
        Py_DECREF(type);
        if (ok != 0) {
            *private_key = kinds[i].private_key;
            return ok;
        }
    }
    PyErr_SetString(PyExc_TypeError, "Unsupported key type");
    return -1;
}

/* module.cls.member (cryptography's serialization enums), new reference */
static PyObject *
tlsb_member(PyObject *module, const char *cls, const char *member)
{
    PyObject *type = PyObject_GetAttrString(module, cls), *result;

    if (type == NULL)
        return NULL;
    result = PyObject_GetAttrString(type, member);
    Py_DECREF(type);
    return result;
}

/* PKey.from_cryptography_key(crypto_key) -> PKey */
static PyObject *
tlsb_PKey_from_cryptography_key(PyObject *cls, PyObject *arg)
{
    const char *serialization = "cryptography.hazmat.primitives.serialization";
    PyObject *module, *encoding, *format, *encryption = NULL, *der = NULL;
    EVP_PKEY *pkey;
    int private_key;

    if (tlsb_convertible_key(arg, &private_key) < 0)
        return NULL;
    module = PyImport_ImportModule(serialization);
    if (module == NULL)
        return NULL;
    /* Taken one by one: any of them may fail on a cryptography that lacks
     * the name, and a failed one must not leak the others. */
    encoding = tlsb_member(module, "Encoding", "DER");
    format = private_key ? tlsb_member(module, "PrivateFormat", "PKCS8")
                         : tlsb_member(module, "PublicFormat", "SubjectPublicKeyInfo");
    if (private_key && encoding != NULL && format != NULL)
        encryption = PyObject_CallMethod(module, "NoEncryption", NULL);
    if (encoding != NULL && format != NULL) {
        if (!private_key)
            der = PyObject_CallMethod(arg, "public_bytes", "(OO)", encoding, format);
        else if (encryption != NULL)
            der = PyObject_CallMethod(arg, "private_bytes", "(OOO)",
                                      encoding, format, encryption);
    }
    Py_XDECREF(encoding);
    Py_XDECREF(format);
    Py_XDECREF(encryption);
    Py_DECREF(module);
    if (der != NULL && !PyBytes_Check(der)) {
        Py_DECREF(der);
        PyErr_SetString(PyExc_TypeError, "cryptography did not return bytes");
        return NULL;
    }
    pkey = tlsb_from_der(der, private_key ? tlsb_d2i_private : tlsb_d2i_public);
    return pkey ? tlsb_PKey_wrap(pkey, !private_key) : NULL;
}
