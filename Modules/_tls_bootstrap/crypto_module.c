/* crypto_module.c: the `crypto` and `rand` module objects of
 * _tls_bootstrap_core (`from _tls_bootstrap import crypto`), pyOpenSSL's
 * OpenSSL.crypto API (as of its 2.7-era releases, up to 21.0.0) on the
 * OpenSSL the TLS core links.
 *
 * Map of the crypto parts (all #included from Modules/_tls_bootstrap.c):
 *   crypto_module.c   this file: module objects, Error classes, constants,
 *                     the types that own one OpenSSL object (tlsb_owners:
 *                     their tp_new, tp_dealloc, wrap), shared argument
 *                     helpers (buffers, digests, file types, passphrases),
 *                     load_* / dump_*, sign, verify
 *   crypto_legacy.c   keys encrypted with OpenSSL 3's legacy ciphers, in a
 *                     library context of our own
 *   crypto_convert.c  to_cryptography()/from_cryptography() (methods of
 *                     the types below)
 *   crypto_x509.c     X509
 *   crypto_name.c     X509Name
 *   crypto_ext.c      X509Extension
 *   crypto_req.c      X509Req
 *   crypto_pkey.c     PKey, get_elliptic_curve(s)
 *   crypto_store.c    X509Store, X509StoreContext, X509StoreFlags
 *   crypto_pkcs12.c   PKCS12, load_pkcs12
 *   crypto_crl.c      CRL, Revoked, load_crl, dump_crl
 *   crypto_pkcs7.c    PKCS7, load_pkcs7_data
 *   crypto_spki.c     NetscapeSPKI
 *   crypto_rand.c     the `rand` module
 * OpenSSL's error queue becomes crypto.Error in errors.c (its last section).
 *
 * Rules of these files:
 * - Names, argument types, results and exception types are pyOpenSSL's;
 *   its messages too where it chose them.  Where pyOpenSSL crashed or
 *   raised by accident (AttributeError from a missing attribute), we raise
 *   TypeError/ValueError.  Additions are few and marked "extension".
 * - Every OpenSSL object is owned by exactly one Python object, or
 *   reference counted by OpenSSL (EVP_PKEY, X509 via up_ref); views hold a
 *   reference to their owner.
 * - No passphrase prompt ever reaches a terminal: without a passphrase an
 *   encrypted key fails with crypto.Error (pyOpenSSL let OpenSSL prompt).
 */
#include <openssl/pkcs12.h>
#include <openssl/dsa.h>
#include <openssl/pkcs7.h>
#include <openssl/objects.h>
#include <openssl/ec.h>

/* pyOpenSSL's FILETYPE_* values (X509_FILETYPE_PEM/ASN1, and 2**16-1). */
enum {
    TLSB_FILETYPE_PEM = 1,
    TLSB_FILETYPE_ASN1 = 2,
    TLSB_FILETYPE_TEXT = 65535,
};

static PyObject *tlsb_crypto_Error;             /* crypto.Error */
static PyObject *tlsb_crypto_StoreContextError; /* crypto.X509StoreContextError */
static PyObject *tlsb_crypto_MissingNotAfter;  /* crypto.MissingNotAfterError */

/* crypto.Error([(library, function, reason)]) for a failure we detect
 * ourselves, in the list form code written for pyOpenSSL reads. */
static PyObject *
tlsb_crypto_raise_reason(const char *reason)
{
    PyObject *detail = Py_BuildValue("[(sss)]", "_tls_bootstrap", "", reason);

    ERR_clear_error();
    if (detail != NULL) {
        PyObject *exc = PyObject_CallFunctionObjArgs(tlsb_crypto_Error,
                                                     detail, NULL);
        Py_DECREF(detail);
        if (exc != NULL) {
            PyErr_SetObject(tlsb_crypto_Error, exc);
            Py_DECREF(exc);
        }
    }
    return NULL;
}

static PyObject *
tlsb_crypto_raise(void)
{
    /* Some OpenSSL calls fail without queueing a reason: never Error([]). */
    if (ERR_peek_error() == 0)
        return tlsb_crypto_raise_reason("OpenSSL failed without a reason");
    return tlsb_raise_crypto_error(tlsb_crypto_Error);
}

/* crypto.Error(message) with a plain message, as pyOpenSSL raises
 * Error("No such key type"). */
static PyObject *
tlsb_crypto_raise_message(const char *message)
{
    ERR_clear_error();
    PyErr_SetString(tlsb_crypto_Error, message);
    return NULL;
}

/* ---- types that own one OpenSSL object ------------------------------ */

/* X509, X509Req, X509Extension, CRL, Revoked, PKCS7, NetscapeSPKI,
 * X509Store and PKey each own one OpenSSL object, freed with them (a
 * PKey's is NULL until generate_key()).  Their tp_new, tp_dealloc, the
 * wrapping of an object OpenSSL made and the type check of an argument are
 * the tlsb_owner_* functions below; each type's row in tlsb_owners says
 * what differs.  The row's offset locates the OpenSSL pointer in the
 * object, as a PyMemberDef locates its field. */
typedef struct {
    PyTypeObject *type;
    size_t offset;                /* of the OpenSSL pointer in the object */
    const char *no_args;          /* tlsb_owner_new's format, ":X509"; NULL:
                                     the type has its own tp_new, or none */
    void *(*make)(void);          /* for tlsb_owner_new; NULL: starts empty */
    void (*free)(void *obj);
    const char *argument, *what;  /* tlsb_owner_get's TypeError: "cert must
                                     be an X509 instance"; NULL: unused */
} tlsb_owner;

static void *tlsb_make_x509(void) { return X509_new(); }
static void *tlsb_make_crl(void) { return X509_CRL_new(); }
static void *tlsb_make_revoked(void) { return X509_REVOKED_new(); }
static void *tlsb_make_spki(void) { return NETSCAPE_SPKI_new(); }
static void *tlsb_make_store(void) { return X509_STORE_new(); }

/* 3.0 leaves a new request's version unset (-1); 1.1.1 made it 0. */
static void *
tlsb_make_req(void)
{
    X509_REQ *req = X509_REQ_new();

    if (req != NULL && !X509_REQ_set_version(req, 0)) {
        X509_REQ_free(req);
        return NULL;
    }
    return req;
}

static void tlsb_free_x509(void *obj) { X509_free(obj); }
static void tlsb_free_req(void *obj) { X509_REQ_free(obj); }
static void tlsb_free_ext(void *obj) { X509_EXTENSION_free(obj); }
static void tlsb_free_crl(void *obj) { X509_CRL_free(obj); }
static void tlsb_free_revoked(void *obj) { X509_REVOKED_free(obj); }
static void tlsb_free_p7(void *obj) { PKCS7_free(obj); }
static void tlsb_free_spki(void *obj) { NETSCAPE_SPKI_free(obj); }
static void tlsb_free_store(void *obj) { X509_STORE_free(obj); }
static void tlsb_free_pkey(void *obj) { EVP_PKEY_free(obj); }

static const tlsb_owner tlsb_owners[] = {
    {&tlsb_X509_Type, offsetof(tlsb_X509, x509), ":X509",
     tlsb_make_x509, tlsb_free_x509, "cert", "an X509"},
    {&tlsb_X509Req_Type, offsetof(tlsb_X509Req, req), ":X509Req",
     tlsb_make_req, tlsb_free_req, "req", "an X509Req"},
    {&tlsb_X509Extension_Type, offsetof(tlsb_X509Extension, ext), NULL,
     NULL, tlsb_free_ext, NULL, NULL},
    {&tlsb_CRL_Type, offsetof(tlsb_CRL, crl), ":CRL",
     tlsb_make_crl, tlsb_free_crl, "crl", "a CRL"},
    {&tlsb_Revoked_Type, offsetof(tlsb_Revoked, revoked), ":Revoked",
     tlsb_make_revoked, tlsb_free_revoked, NULL, NULL},
    {&tlsb_PKCS7_Type, offsetof(tlsb_PKCS7, p7), NULL,
     NULL, tlsb_free_p7, NULL, NULL},
    {&tlsb_NetscapeSPKI_Type, offsetof(tlsb_NetscapeSPKI, spki),
     ":NetscapeSPKI", tlsb_make_spki, tlsb_free_spki, NULL, NULL},
    {&tlsb_X509Store_Type, offsetof(tlsb_X509Store, store), ":X509Store",
     tlsb_make_store, tlsb_free_store, NULL, NULL},
    {&tlsb_PKey_Type, offsetof(tlsb_PKey, pkey), ":PKey",
     NULL, tlsb_free_pkey, NULL, NULL},
};

/* The row of type or of the table type it derives from (Python
 * subclasses); only those types call the functions below. */
static const tlsb_owner *
tlsb_owner_of(PyTypeObject *type)
{
    size_t i;

    for (i = 0; i < sizeof(tlsb_owners) / sizeof(tlsb_owners[0]); i++) {
        if (PyType_IsSubtype(type, tlsb_owners[i].type))
            return &tlsb_owners[i];
    }
    Py_FatalError("_tls_bootstrap.crypto: a type without an owner row");
    return NULL;
}

/* Where self keeps its OpenSSL object. */
static void **
tlsb_owner_slot(const tlsb_owner *owner, PyObject *self)
{
    return (void **)((char *)self + owner->offset);
}

/* tp_new: X509() and the like take no arguments. */
static PyObject *
tlsb_owner_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {NULL};
    const tlsb_owner *owner = tlsb_owner_of(type);
    PyObject *self;
    void *obj = NULL;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, owner->no_args, kwlist))
        return NULL;
    if (owner->make != NULL && (obj = owner->make()) == NULL)
        return tlsb_crypto_raise();
    self = type->tp_alloc(type, 0);
    if (self == NULL) {
        if (obj != NULL)
            owner->free(obj);
        return NULL;
    }
    *tlsb_owner_slot(owner, self) = obj;
    return self;
}

/* A new instance of type that takes over obj (freed on failure); a NULL
 * obj is the failure of the OpenSSL call that made it: crypto.Error. */
static PyObject *
tlsb_owner_wrap(PyTypeObject *type, void *obj)
{
    const tlsb_owner *owner = tlsb_owner_of(type);
    PyObject *self;

    if (obj == NULL)
        return tlsb_crypto_raise();
    self = type->tp_alloc(type, 0);
    if (self == NULL) {
        owner->free(obj);
        return NULL;
    }
    *tlsb_owner_slot(owner, self) = obj;
    return self;
}

static void
tlsb_owner_dealloc(PyObject *self)
{
    const tlsb_owner *owner = tlsb_owner_of(Py_TYPE(self));
    void *obj = *tlsb_owner_slot(owner, self);

    if (obj != NULL)
        owner->free(obj);
    Py_TYPE(self)->tp_free(self);
}

/* The OpenSSL object of an argument that must be an instance of type
 * (borrowed), or NULL and TypeError. */
static void *
tlsb_owner_get(PyTypeObject *type, PyObject *obj)
{
    const tlsb_owner *owner = tlsb_owner_of(type);

    if (!PyObject_TypeCheck(obj, type)) {
        PyErr_Format(PyExc_TypeError, "%s must be %s instance, not %.100s",
                     owner->argument, owner->what, TLSB_TYPE_NAME(obj));
        return NULL;
    }
    return *tlsb_owner_slot(owner, obj);
}

/* ---- arguments ----------------------------------------------------- */

/* pyOpenSSL 21 still takes text where it wants bytes (data to sign or
 * verify, PKCS #12 passphrases), with this DeprecationWarning; -1 when
 * the warning is turned into an exception. */
static int
tlsb_warn_text_argument(PyObject *obj, const char *what)
{
    char message[128];

    if (!PyUnicode_Check(obj))
        return 0;
    PyOS_snprintf(message, sizeof(message),
                  "%s for %s is no longer accepted, use bytes",
                  TLSB_TYPE_NAME(obj), what);
    return PyErr_WarnEx(PyExc_DeprecationWarning, message, 1);
}

/* Input data: any bytes-like object, or text (ASCII), as pyOpenSSL's
 * load_* functions accept. */
typedef struct {
    Py_buffer view;
    PyObject *encoded;      /* the ASCII bytes of a text argument */
} tlsb_data;

static int
tlsb_data_get(PyObject *obj, tlsb_data *data)
{
    data->encoded = NULL;
    if (PyUnicode_Check(obj)) {
        data->encoded = PyUnicode_AsASCIIString(obj);
        if (data->encoded == NULL)
            return -1;
        obj = data->encoded;
    }
    if (tlsb_get_bytes_buffer(obj, &data->view) < 0) {
        Py_CLEAR(data->encoded);
        return -1;
    }
    if (data->view.len > INT_MAX) {
        PyBuffer_Release(&data->view);
        Py_CLEAR(data->encoded);
        PyErr_SetString(PyExc_OverflowError, "buffer longer than 2**31-1 bytes");
        return -1;
    }
    return 0;
}

static void
tlsb_data_release(tlsb_data *data)
{
    PyBuffer_Release(&data->view);
    Py_CLEAR(data->encoded);
}

/* A memory BIO reading the data (valid while data is held). */
static BIO *
tlsb_data_bio(tlsb_data *data)
{
    BIO *bio = BIO_new_mem_buf(data->view.buf, (int)data->view.len);

    if (bio == NULL)
        tlsb_crypto_raise();
    return bio;
}

/* Names (digests, ciphers, curves): text or bytes.  Returns a pointer
 * valid while *keep lives; *keep is a new reference. */
static const char *
tlsb_name_arg(PyObject *obj, PyObject **keep, const char *what)
{
    *keep = NULL;
    if (PyUnicode_Check(obj)) {
        *keep = PyUnicode_AsASCIIString(obj);
        if (*keep == NULL)
            return NULL;
    }
    else if (PyBytes_Check(obj)) {
        *keep = Py_NewRef(obj);
    }
    else {
        PyErr_Format(PyExc_TypeError, "%s must be a string, not %.100s",
                     what, TLSB_TYPE_NAME(obj));
        return NULL;
    }
    return PyBytes_AS_STRING(*keep);
}

/* A digest by name; None gives NULL with no error when allow_none (the
 * "no separate digest" of EdDSA keys, an extension). */
static int
tlsb_digest_arg(PyObject *obj, const EVP_MD **md, int allow_none)
{
    PyObject *keep;
    const char *name;

    *md = NULL;
    if (obj == Py_None && allow_none)
        return 0;
    name = tlsb_name_arg(obj, &keep, "digest");
    if (name == NULL)
        return -1;
    *md = EVP_get_digestbyname(name);
    Py_DECREF(keep);
    if (*md == NULL) {
        ERR_clear_error();
        PyErr_SetString(PyExc_ValueError, "No such digest method");
        return -1;
    }
    return 0;
}

/* pyOpenSSL 21's OpenSSL (1.1.1) signs with a DSA key only through SHA-1,
 * SHA-2 (not the truncated SHA-512s) and SHA-3; 3.0 takes more, or fails
 * with an empty queue.  0, or -1 with 1.1.1's crypto.Error raised. */
static int
tlsb_digest_fits_key(EVP_PKEY *pkey, const EVP_MD *md)
{
    if (md == NULL || EVP_PKEY_base_id(pkey) != EVP_PKEY_DSA)
        return 0;
    switch (EVP_MD_type(md)) {
    case NID_sha1: case NID_sha224: case NID_sha256: case NID_sha384:
    case NID_sha512: case NID_sha3_224: case NID_sha3_256:
    case NID_sha3_384: case NID_sha3_512:
        return 0;
    }
    ERR_clear_error();
    TLSB_ERR_PUSH(ERR_LIB_DSA, DSA_R_INVALID_DIGEST_TYPE, DSA_F_PKEY_DSA_CTRL,
                  "pkey_dsa_ctrl");
    tlsb_crypto_raise();
    return -1;
}

/* Integer arguments that pyOpenSSL type-checks ("serial must be an
 * integer"): int or long, not bool-as-text and not float. */
static int
tlsb_long_arg(PyObject *obj, long *value, const char *type_message)
{
    if (!tlsb_is_int(obj) && !PyBool_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, type_message);
        return -1;
    }
    *value = tlsb_long_from_int(obj);
    if (*value == -1 && PyErr_Occurred())
        return -1;
    return 0;
}

/* A FILETYPE_* argument: pyOpenSSL compares it with its constants, so
 * anything that is not one of them (not an int at all, too) is the
 * ValueError of the check that follows; 0 stands for "none". */
static int
tlsb_filetype_arg(PyObject *obj)
{
    long value;

    if (!tlsb_is_int(obj))
        return 0;
    value = tlsb_long_from_int(obj);
    if (value == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    return (value < 0 || value > INT_MAX) ? 0 : (int)value;
}

static int
tlsb_check_load_type(int type)
{
    if (type == TLSB_FILETYPE_PEM || type == TLSB_FILETYPE_ASN1)
        return 0;
    PyErr_SetString(PyExc_ValueError,
                    "type argument must be FILETYPE_PEM or FILETYPE_ASN1");
    return -1;
}

static int
tlsb_check_dump_type(int type)
{
    if (type == TLSB_FILETYPE_PEM || type == TLSB_FILETYPE_ASN1 ||
        type == TLSB_FILETYPE_TEXT)
        return 0;
    PyErr_SetString(PyExc_ValueError,
                    "type argument must be FILETYPE_PEM, FILETYPE_ASN1, or "
                    "FILETYPE_TEXT");
    return -1;
}

/* The contents of a memory BIO as bytes; frees the BIO. */
static PyObject *
tlsb_bio_to_bytes(BIO *bio)
{
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    PyObject *result = PyBytes_FromStringAndSize(data, len < 0 ? 0 : len);

    BIO_free(bio);
    return result;
}

static BIO *
tlsb_new_mem_bio(void)
{
    BIO *bio = BIO_new(BIO_s_mem());

    if (bio == NULL)
        tlsb_crypto_raise();
    return bio;
}

/* ---- passphrases --------------------------------------------------- */

/* A passphrase argument: bytes, or a callable called as cb(writing) that
 * returns bytes, or None.  An exception raised by the callable is kept
 * and raised once OpenSSL returns. */
typedef struct {
    PyObject *source;            /* borrowed; NULL for "none given" */
    tlsb_pending_exc exc;
} tlsb_passphrase;

static int
tlsb_passphrase_init(tlsb_passphrase *pw, PyObject *arg)
{
    memset(pw, 0, sizeof(*pw));
    if (arg == NULL || arg == Py_None)
        return 0;
    if (!PyBytes_Check(arg) && !PyCallable_Check(arg)) {
        PyErr_SetString(PyExc_TypeError,
                        "Last argument must be a byte string or a callable.");
        return -1;
    }
    pw->source = arg;
    return 0;
}

/* pem_password_cb: runs with the GIL held (PEM calls are not released). */
static int
tlsb_passphrase_cb(char *buf, int size, int rwflag, void *userdata)
{
    tlsb_passphrase *pw = (tlsb_passphrase *)userdata;
    PyObject *result;
    Py_ssize_t len;

    if (pw == NULL || pw->source == NULL || pw->exc.type != NULL)
        return -1;
    if (PyBytes_Check(pw->source))
        result = Py_NewRef(pw->source);
    else
        result = PyObject_CallFunction(pw->source, "i", rwflag);
    if (result == NULL)
        goto failed;
    if (!PyBytes_Check(result)) {
        Py_DECREF(result);
        PyErr_SetString(PyExc_ValueError, "Bytes expected");
        goto failed;
    }
    len = PyBytes_GET_SIZE(result);
    if (len > size) {
        Py_DECREF(result);
        PyErr_SetString(PyExc_ValueError,
                        "passphrase returned by callback is too long");
        goto failed;
    }
    memcpy(buf, PyBytes_AS_STRING(result), (size_t)len);
    Py_DECREF(result);
    return (int)len;
failed:
    tlsb_pending_exc_save(&pw->exc);
    return -1;
}

/* After the OpenSSL call: 1 with the callback's exception raised. */
static int
tlsb_passphrase_raise(tlsb_passphrase *pw)
{
    return tlsb_pending_exc_raise(&pw->exc);
}

/* ---- load_* / dump_* for certificates, requests, public keys ------- */

/* One kind of object that load_X/dump_X read and write. */
typedef struct {
    void *(*pem_read)(BIO *bio, tlsb_passphrase *pw);
    void *(*der_read)(BIO *bio);
    int (*pem_write)(BIO *bio, void *obj);
    int (*der_write)(BIO *bio, void *obj);
    int (*text_write)(BIO *bio, void *obj);   /* NULL: no FILETYPE_TEXT */
    PyObject *(*wrap)(void *obj);             /* takes ownership */
    void *(*unwrap)(PyObject *obj);           /* borrowed; NULL + TypeError */
} tlsb_codec;

static PyObject *
tlsb_codec_load(const tlsb_codec *codec, PyObject *args, PyObject *kwargs,
                const char *format)
{
    static char *kwlist[] = {"type", "buffer", NULL};
    int type;
    PyObject *type_obj, *buffer;
    tlsb_data data;
    tlsb_passphrase pw;
    BIO *bio;
    void *obj;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, format, kwlist, &type_obj,
                                     &buffer))
        return NULL;
    type = tlsb_filetype_arg(type_obj);
    if (tlsb_check_load_type(type) < 0 || tlsb_data_get(buffer, &data) < 0)
        return NULL;
    bio = tlsb_data_bio(&data);
    if (bio == NULL) {
        tlsb_data_release(&data);
        return NULL;
    }
    tlsb_passphrase_init(&pw, NULL);
    if (type == TLSB_FILETYPE_PEM)
        obj = codec->pem_read(bio, &pw);
    else
        obj = codec->der_read(bio);
    BIO_free(bio);
    tlsb_data_release(&data);
    if (obj == NULL)
        return tlsb_crypto_raise();
    ERR_clear_error();
    return codec->wrap(obj);
}

static PyObject *
tlsb_codec_dump(const tlsb_codec *codec, PyObject *args, PyObject *kwargs,
                const char *format, const char *obj_name)
{
    char *kwlist[] = {"type", (char *)obj_name, NULL};
    int type, ok;
    PyObject *type_obj, *pyobj;
    void *obj;
    BIO *bio;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, format, kwlist, &type_obj,
                                     &pyobj))
        return NULL;
    type = tlsb_filetype_arg(type_obj);
    obj = codec->unwrap(pyobj);
    if (obj == NULL)
        return NULL;
    if (codec->text_write == NULL ? tlsb_check_load_type(type) < 0
                                  : tlsb_check_dump_type(type) < 0)
        return NULL;
    bio = tlsb_new_mem_bio();
    if (bio == NULL)
        return NULL;
    if (type == TLSB_FILETYPE_PEM)
        ok = codec->pem_write(bio, obj);
    else if (type == TLSB_FILETYPE_ASN1)
        ok = codec->der_write(bio, obj);
    else
        ok = codec->text_write(bio, obj);
    if (ok <= 0) {
        BIO_free(bio);
        return tlsb_crypto_raise();
    }
    return tlsb_bio_to_bytes(bio);
}

/* Certificates */
static void *tlsb_x509_pem_read(BIO *b, tlsb_passphrase *pw)
{ return PEM_read_bio_X509(b, NULL, tlsb_passphrase_cb, pw); }
static void *tlsb_x509_der_read(BIO *b) { return d2i_X509_bio(b, NULL); }
static int tlsb_x509_pem_write(BIO *b, void *x) { return PEM_write_bio_X509(b, x); }
static int tlsb_x509_der_write(BIO *b, void *x) { return i2d_X509_bio(b, x); }
static int tlsb_x509_text_write(BIO *b, void *x) { return X509_print_ex(b, x, 0, 0); }
static PyObject *tlsb_x509_wrap_any(void *x) { return tlsb_X509_wrap(x); }
static void *tlsb_x509_unwrap(PyObject *o) { return tlsb_crypto_x509_get(o); }

static const tlsb_codec tlsb_x509_codec = {
    tlsb_x509_pem_read, tlsb_x509_der_read, tlsb_x509_pem_write,
    tlsb_x509_der_write, tlsb_x509_text_write,
    tlsb_x509_wrap_any, tlsb_x509_unwrap,
};

/* Certificate requests */
static void *tlsb_req_pem_read(BIO *b, tlsb_passphrase *pw)
{ return PEM_read_bio_X509_REQ(b, NULL, tlsb_passphrase_cb, pw); }
static void *tlsb_req_der_read(BIO *b) { return d2i_X509_REQ_bio(b, NULL); }
static int tlsb_req_pem_write(BIO *b, void *r) { return PEM_write_bio_X509_REQ(b, r); }
static int tlsb_req_der_write(BIO *b, void *r) { return i2d_X509_REQ_bio(b, r); }
static int tlsb_req_text_write(BIO *b, void *r) { return X509_REQ_print_ex(b, r, 0, 0); }
static PyObject *tlsb_req_wrap_any(void *r) { return tlsb_X509Req_wrap(r); }
static void *tlsb_req_unwrap(PyObject *o) { return tlsb_crypto_req_get(o); }

static const tlsb_codec tlsb_req_codec = {
    tlsb_req_pem_read, tlsb_req_der_read, tlsb_req_pem_write,
    tlsb_req_der_write, tlsb_req_text_write,
    tlsb_req_wrap_any, tlsb_req_unwrap,
};

/* Public keys (no FILETYPE_TEXT, as in pyOpenSSL) */
static void *tlsb_pub_pem_read(BIO *b, tlsb_passphrase *pw)
{ return PEM_read_bio_PUBKEY(b, NULL, tlsb_passphrase_cb, pw); }
static void *tlsb_pub_der_read(BIO *b) { return d2i_PUBKEY_bio(b, NULL); }
static int tlsb_pub_pem_write(BIO *b, void *k) { return PEM_write_bio_PUBKEY(b, k); }
static int tlsb_pub_der_write(BIO *b, void *k) { return i2d_PUBKEY_bio(b, k); }
static PyObject *tlsb_pub_wrap_any(void *k) { return tlsb_PKey_wrap(k, 1); }
static void *tlsb_pub_unwrap(PyObject *o) { return tlsb_crypto_pkey_get(o); }

static const tlsb_codec tlsb_pub_codec = {
    tlsb_pub_pem_read, tlsb_pub_der_read, tlsb_pub_pem_write,
    tlsb_pub_der_write, NULL,
    tlsb_pub_wrap_any, tlsb_pub_unwrap,
};

/* load_certificate(type, buffer) -> X509 */
static PyObject *
tlsb_crypto_load_certificate(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return tlsb_codec_load(&tlsb_x509_codec, args, kwargs, "OO:load_certificate");
}

/* dump_certificate(type, cert) -> bytes */
static PyObject *
tlsb_crypto_dump_certificate(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return tlsb_codec_dump(&tlsb_x509_codec, args, kwargs, "OO:dump_certificate", "cert");
}

/* load_certificate_request(type, buffer) -> X509Req */
static PyObject *
tlsb_crypto_load_certificate_request(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return tlsb_codec_load(&tlsb_req_codec, args, kwargs,
                           "OO:load_certificate_request");
}

/* dump_certificate_request(type, req) -> bytes */
static PyObject *
tlsb_crypto_dump_certificate_request(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return tlsb_codec_dump(&tlsb_req_codec, args, kwargs, "OO:dump_certificate_request", "req");
}

/* load_publickey(type, buffer) -> PKey (public part only) */
static PyObject *
tlsb_crypto_load_publickey(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return tlsb_codec_load(&tlsb_pub_codec, args, kwargs, "OO:load_publickey");
}

/* dump_publickey(type, pkey) -> bytes */
static PyObject *
tlsb_crypto_dump_publickey(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return tlsb_codec_dump(&tlsb_pub_codec, args, kwargs, "OO:dump_publickey", "pkey");
}

/* ---- private keys -------------------------------------------------- */

/* load_privatekey(type, buffer, passphrase=None) -> PKey */
static PyObject *
tlsb_crypto_load_privatekey(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"type", "buffer", "passphrase", NULL};
    int type;
    PyObject *type_obj, *buffer, *passphrase = Py_None;
    tlsb_data data;
    tlsb_passphrase pw;
    EVP_PKEY *pkey;
    BIO *bio;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|O:load_privatekey",
                                     kwlist, &type_obj, &buffer, &passphrase))
        return NULL;
    type = tlsb_filetype_arg(type_obj);
    if (tlsb_check_load_type(type) < 0)
        return NULL;
    /* DER keys are never encrypted here: a passphrase is a mistake,
     * whatever its type (pyOpenSSL checks this first). */
    if (type == TLSB_FILETYPE_ASN1 && passphrase != Py_None) {
        PyErr_SetString(PyExc_ValueError,
                        "only FILETYPE_PEM key format supports encryption");
        return NULL;
    }
    if (tlsb_passphrase_init(&pw, passphrase) < 0)
        return NULL;
    if (tlsb_data_get(buffer, &data) < 0)
        return NULL;
    bio = tlsb_data_bio(&data);
    if (bio == NULL) {
        tlsb_data_release(&data);
        return NULL;
    }
    if (type == TLSB_FILETYPE_PEM)
        pkey = PEM_read_bio_PrivateKey(bio, NULL, tlsb_passphrase_cb, &pw);
    else
        pkey = d2i_PrivateKey_bio(bio, NULL);
    BIO_free(bio);
#ifdef TLSB_HAS_LEGACY_LIBCTX
    /* Encrypted with a cipher of OpenSSL 3's legacy provider. */
    if (pkey == NULL && type == TLSB_FILETYPE_PEM && pw.exc.type == NULL &&
        tlsb_error_is_unsupported()) {
        ERR_set_mark();
        bio = BIO_new_mem_buf(data.view.buf, (int)data.view.len);
        pkey = bio ? tlsb_legacy_read_private(bio, tlsb_passphrase_cb, &pw)
                   : NULL;
        BIO_free(bio);
        if (pkey != NULL) {
            ERR_clear_last_mark();
            ERR_clear_error();
        }
        else {
            ERR_pop_to_mark();      /* report the first attempt's error */
        }
    }
#endif
    tlsb_data_release(&data);
    if (tlsb_passphrase_raise(&pw)) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    if (pkey == NULL)
        return tlsb_crypto_raise();
    ERR_clear_error();
    return tlsb_PKey_wrap(pkey, 0);
}

static int
tlsb_print_private(BIO *bio, EVP_PKEY *pkey)
{
    return EVP_PKEY_print_private(bio, pkey, 0, NULL);
}

/* dump_privatekey(type, pkey, cipher=None, passphrase=None) -> bytes */
static PyObject *
tlsb_crypto_dump_privatekey(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"type", "pkey", "cipher", "passphrase", NULL};
    int type, ok;
    PyObject *type_obj, *pkey_obj, *cipher_obj = Py_None, *passphrase = Py_None;
    PyObject *keep = NULL;
    const EVP_CIPHER *cipher = NULL;
    tlsb_passphrase pw;
    EVP_PKEY *pkey;
    BIO *bio;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|OO:dump_privatekey",
                                     kwlist, &type_obj, &pkey_obj, &cipher_obj,
                                     &passphrase))
        return NULL;
    type = tlsb_filetype_arg(type_obj);
    pkey = tlsb_crypto_pkey_get(pkey_obj);
    if (pkey == NULL || tlsb_check_dump_type(type) < 0)
        return NULL;
    if (type == TLSB_FILETYPE_TEXT && EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA) {
        PyErr_SetString(PyExc_TypeError,
                        "Only RSA keys are supported for FILETYPE_TEXT");
        return NULL;
    }
    if (cipher_obj != Py_None) {
        const char *name;
        if (passphrase == Py_None) {
            PyErr_SetString(PyExc_TypeError,
                            "if a value is given for cipher one must also be "
                            "given for passphrase");
            return NULL;
        }
        name = tlsb_name_arg(cipher_obj, &keep, "cipher");
        if (name == NULL)
            return NULL;
        cipher = EVP_get_cipherbyname(name);
        Py_DECREF(keep);
        if (cipher == NULL) {
            ERR_clear_error();
            PyErr_SetString(PyExc_ValueError, "Invalid cipher name");
            return NULL;
        }
        if (type != TLSB_FILETYPE_PEM) {
            PyErr_SetString(PyExc_ValueError,
                            "only FILETYPE_PEM key format supports encryption");
            return NULL;
        }
    }
    if (tlsb_passphrase_init(&pw, cipher ? passphrase : Py_None) < 0)
        return NULL;
    bio = tlsb_new_mem_bio();
    if (bio == NULL)
        return NULL;
    if (type == TLSB_FILETYPE_PEM)
        ok = PEM_write_bio_PrivateKey(bio, pkey, cipher, NULL, 0,
                                      tlsb_passphrase_cb, &pw);
    else if (type == TLSB_FILETYPE_ASN1)
        ok = i2d_PrivateKey_bio(bio, pkey);
    else
        ok = tlsb_print_private(bio, pkey);
#ifdef TLSB_HAS_LEGACY_LIBCTX
    /* A cipher of OpenSSL 3's legacy provider (Blowfish...). */
    if (ok <= 0 && cipher != NULL && pw.exc.type == NULL &&
        tlsb_error_is_unsupported()) {
        (void)BIO_reset(bio);
        ERR_set_mark();
        ok = tlsb_legacy_write_private(bio, pkey, cipher, tlsb_passphrase_cb,
                                       &pw);
        if (ok > 0) {
            ERR_clear_last_mark();
            ERR_clear_error();
        }
        else {
            ERR_pop_to_mark();      /* report the first attempt's error */
        }
    }
#endif
    if (tlsb_passphrase_raise(&pw)) {
        BIO_free(bio);
        return NULL;
    }
    if (ok <= 0) {
        BIO_free(bio);
        return tlsb_crypto_raise();
    }
    return tlsb_bio_to_bytes(bio);
}

/* ---- sign / verify ------------------------------------------------- */

/* sign(pkey, data, digest) -> bytes: the signature of data.  digest None
 * (extension) is for Ed25519/Ed448 keys, which hash internally. */
static PyObject *
tlsb_crypto_sign(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"pkey", "data", "digest", NULL};
    PyObject *pkey_obj, *data_obj, *digest_obj, *result = NULL;
    const EVP_MD *md;
    EVP_PKEY *pkey;
    EVP_MD_CTX *ctx;
    tlsb_data data;
    size_t siglen = 0;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO:sign", kwlist,
                                     &pkey_obj, &data_obj, &digest_obj))
        return NULL;
    pkey = tlsb_crypto_pkey_get(pkey_obj);
    if (pkey == NULL || tlsb_digest_arg(digest_obj, &md, 1) < 0 ||
        tlsb_digest_fits_key(pkey, md) < 0)
        return NULL;
    if (tlsb_warn_text_argument(data_obj, "data") < 0 ||
        tlsb_data_get(data_obj, &data) < 0)
        return NULL;
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL ||
        EVP_DigestSignInit(ctx, NULL, md, NULL, pkey) != 1 ||
        EVP_DigestSign(ctx, NULL, &siglen, data.view.buf,
                       (size_t)data.view.len) != 1)
        goto error;
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)siglen);
    if (result == NULL)
        goto done;
    if (EVP_DigestSign(ctx, (unsigned char *)PyBytes_AS_STRING(result),
                       &siglen, data.view.buf, (size_t)data.view.len) != 1) {
        Py_CLEAR(result);
        goto error;
    }
    if ((Py_ssize_t)siglen != PyBytes_GET_SIZE(result))
        _PyBytes_Resize(&result, (Py_ssize_t)siglen);
    goto done;
error:
    tlsb_crypto_raise();
done:
    EVP_MD_CTX_free(ctx);
    tlsb_data_release(&data);
    return result;
}

/* verify(cert, signature, data, digest) -> None; crypto.Error if the
 * signature is not the certificate's key's signature of data. */
static PyObject *
tlsb_crypto_verify(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"cert", "signature", "data", "digest", NULL};
    PyObject *cert_obj, *sig_obj, *data_obj, *digest_obj;
    const EVP_MD *md;
    EVP_PKEY *pkey = NULL;
    EVP_MD_CTX *ctx = NULL;
    X509 *cert;
    tlsb_data data, sig;
    int ok;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOO:verify", kwlist,
                                     &cert_obj, &sig_obj, &data_obj,
                                     &digest_obj))
        return NULL;
    cert = tlsb_crypto_x509_get(cert_obj);
    if (cert == NULL || tlsb_digest_arg(digest_obj, &md, 1) < 0)
        return NULL;
    if (PyUnicode_Check(sig_obj)) {
        PyErr_SetString(PyExc_TypeError, "signature must be bytes");
        return NULL;
    }
    if (tlsb_warn_text_argument(data_obj, "data") < 0 ||
        tlsb_data_get(sig_obj, &sig) < 0)
        return NULL;
    if (tlsb_data_get(data_obj, &data) < 0) {
        tlsb_data_release(&sig);
        return NULL;
    }
    pkey = X509_get_pubkey(cert);
    ctx = EVP_MD_CTX_new();
    ok = pkey != NULL && ctx != NULL &&
         EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1 &&
         EVP_DigestVerify(ctx, sig.view.buf, (size_t)sig.view.len,
                          data.view.buf, (size_t)data.view.len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    tlsb_data_release(&sig);
    tlsb_data_release(&data);
    if (!ok)
        return tlsb_crypto_raise();
    ERR_clear_error();
    Py_RETURN_NONE;
}

/* ---- the module objects -------------------------------------------- */

static PyMethodDef tlsb_crypto_functions[] = {
    {"load_certificate", (PyCFunction)(void (*)(void))tlsb_crypto_load_certificate,
     METH_VARARGS | METH_KEYWORDS,
     "load_certificate(type, buffer)\n--\n\n"
     "Load a certificate (X509) from PEM or DER bytes."},
    {"dump_certificate", (PyCFunction)(void (*)(void))tlsb_crypto_dump_certificate,
     METH_VARARGS | METH_KEYWORDS,
     "dump_certificate(type, cert)\n--\n\n"
     "Dump a certificate as PEM, DER or text bytes."},
    {"load_certificate_request", (PyCFunction)(void (*)(void))tlsb_crypto_load_certificate_request,
     METH_VARARGS | METH_KEYWORDS,
     "load_certificate_request(type, buffer)\n--\n\n"
     "Load a certificate signing request (X509Req) from PEM or DER bytes."},
    {"dump_certificate_request", (PyCFunction)(void (*)(void))tlsb_crypto_dump_certificate_request,
     METH_VARARGS | METH_KEYWORDS,
     "dump_certificate_request(type, req)\n--\n\n"
     "Dump a certificate signing request as PEM, DER or text bytes."},
    {"load_publickey", (PyCFunction)(void (*)(void))tlsb_crypto_load_publickey,
     METH_VARARGS | METH_KEYWORDS,
     "load_publickey(type, buffer)\n--\n\n"
     "Load a public key (SubjectPublicKeyInfo) as a PKey."},
    {"dump_publickey", (PyCFunction)(void (*)(void))tlsb_crypto_dump_publickey,
     METH_VARARGS | METH_KEYWORDS,
     "dump_publickey(type, pkey)\n--\n\n"
     "Dump the public part of a key as PEM or DER bytes."},
    {"load_privatekey", (PyCFunction)(void (*)(void))tlsb_crypto_load_privatekey,
     METH_VARARGS | METH_KEYWORDS,
     "load_privatekey(type, buffer, passphrase=None)\n--\n\n"
     "Load a private key.  passphrase is bytes or a callable cb(writing) "
     "returning bytes; without one an encrypted key raises Error (no "
     "terminal prompt)."},
    {"dump_privatekey", (PyCFunction)(void (*)(void))tlsb_crypto_dump_privatekey,
     METH_VARARGS | METH_KEYWORDS,
     "dump_privatekey(type, pkey, cipher=None, passphrase=None)\n--\n\n"
     "Dump a private key as PEM (PKCS#8, encrypted with cipher when given), "
     "DER or text bytes."},
    {"sign", (PyCFunction)(void (*)(void))tlsb_crypto_sign,
     METH_VARARGS | METH_KEYWORDS,
     "sign(pkey, data, digest)\n--\n\n"
     "Sign data with pkey and the named digest; returns the signature.  "
     "digest=None for Ed25519/Ed448 keys."},
    {"verify", (PyCFunction)(void (*)(void))tlsb_crypto_verify,
     METH_VARARGS | METH_KEYWORDS,
     "verify(cert, signature, data, digest)\n--\n\n"
     "Check that signature is cert's key's signature of data; raises Error "
     "if not."},
    {NULL, NULL}
};

PyDoc_STRVAR(tlsb_crypto_doc,
"pyOpenSSL's OpenSSL.crypto API (certificates, keys, requests, stores,\n"
"PKCS#12) on the OpenSSL that _tls_bootstrap links.");

PyDoc_STRVAR(tlsb_crypto_Error_doc,
"An error from OpenSSL: args[0] is OpenSSL's error queue as a list of\n"
"(library, function, reason) strings, oldest first.");

/* pyOpenSSL 21 raised TypeError here (by accident: strptime of None) and
 * 22+ raise ValueError; one class that is both satisfies code written for
 * either. */
PyDoc_STRVAR(tlsb_crypto_MissingNotAfterError_doc,
"X509.has_expired() on a certificate without notAfter (extension): a\n"
"TypeError, as pyOpenSSL 21 raises, and a ValueError, as later pyOpenSSL\n"
"raises.");

PyDoc_STRVAR(tlsb_crypto_StoreContextError_doc,
"Certificate verification failed: args[0] (and .errors) is [error code,\n"
"depth, message]; str() is the message; .certificate is the X509 that\n"
"failed.");

/* str(): OpenSSL's message alone, as pyOpenSSL 22+ shows it; args keep
 * pyOpenSSL 21's [code, depth, message] that code written for it reads. */
static PyObject *
tlsb_StoreContextError_str(PyObject *self)
{
    PyObject *args = PyObject_GetAttrString(self, "args"), *detail, *result;

    if (args == NULL)
        return NULL;
    if (PyTuple_Check(args) && PyTuple_GET_SIZE(args) == 1 &&
        PyList_Check(detail = PyTuple_GET_ITEM(args, 0)) &&
        PyList_GET_SIZE(detail) == 3) {
        result = PyObject_Str(PyList_GET_ITEM(detail, 2));
        Py_DECREF(args);
        return result;
    }
    Py_DECREF(args);
    return ((PyTypeObject *)PyExc_Exception)->tp_str(self);
}

/* A static type so that it can have its own str() on every interpreter;
 * the base (Exception) is filled in at module set-up. */
static PyTypeObject tlsb_StoreContextError_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto.X509StoreContextError",
    .tp_basicsize = sizeof(PyBaseExceptionObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_str = tlsb_StoreContextError_str,
};

static PyObject *
tlsb_crypto_make_module(void)
{
    static const struct { const char *name; long value; } constants[] = {
        {"FILETYPE_PEM", TLSB_FILETYPE_PEM},
        {"FILETYPE_ASN1", TLSB_FILETYPE_ASN1},
        {"FILETYPE_TEXT", TLSB_FILETYPE_TEXT},
        {"TYPE_RSA", EVP_PKEY_RSA},
        {"TYPE_DSA", EVP_PKEY_DSA},
        {"TYPE_DH", EVP_PKEY_DH},
        {"TYPE_EC", EVP_PKEY_EC},
        /* extension: generate_key() makes these too */
        {"TYPE_ED25519", EVP_PKEY_ED25519},
        {"TYPE_ED448", EVP_PKEY_ED448},
    };
    PyObject *crypto = PyModule_New("_tls_bootstrap.crypto"), *doc;
    size_t i;

    if (crypto == NULL)
        return NULL;
    doc = NativeStr_FromString(tlsb_crypto_doc);
    if (doc == NULL || PyObject_SetAttrString(crypto, "__doc__", doc) < 0 ||
        PyModule_AddFunctions(crypto, tlsb_crypto_functions) < 0)
        goto fail;
    Py_CLEAR(doc);
    for (i = 0; i < sizeof(constants) / sizeof(constants[0]); i++) {
        if (PyModule_AddIntConstant(crypto, constants[i].name,
                                    constants[i].value) < 0)
            goto fail;
    }
    if (tlsb_crypto_Error == NULL)   /* one class for all interpreters */
        tlsb_crypto_Error = PyErr_NewExceptionWithDoc(
            "_tls_bootstrap.crypto.Error", (char *)tlsb_crypto_Error_doc,
            NULL, NULL);
    if (tlsb_crypto_Error == NULL ||
        PyModule_AddObjectRef(crypto, "Error", tlsb_crypto_Error) < 0)
        goto fail;
    if (tlsb_crypto_MissingNotAfter == NULL) {
        PyObject *bases = PyTuple_Pack(2, PyExc_TypeError, PyExc_ValueError);
        if (bases == NULL)
            goto fail;
        tlsb_crypto_MissingNotAfter = PyErr_NewExceptionWithDoc(
            "_tls_bootstrap.crypto.MissingNotAfterError",
            (char *)tlsb_crypto_MissingNotAfterError_doc, bases, NULL);
        Py_DECREF(bases);
    }
    if (tlsb_crypto_MissingNotAfter == NULL ||
        PyModule_AddObjectRef(crypto, "MissingNotAfterError",
                              tlsb_crypto_MissingNotAfter) < 0)
        goto fail;
    tlsb_StoreContextError_Type.tp_base = (PyTypeObject *)PyExc_Exception;
    tlsb_StoreContextError_Type.tp_doc = tlsb_crypto_StoreContextError_doc;
    if (PyType_Ready(&tlsb_StoreContextError_Type) < 0)
        goto fail;
    tlsb_crypto_StoreContextError = (PyObject *)&tlsb_StoreContextError_Type;
    if (PyModule_AddObjectRef(crypto, "X509StoreContextError",
                              tlsb_crypto_StoreContextError) < 0)
        goto fail;
    if (tlsb_crypto_x509_init(crypto) < 0 ||
        tlsb_crypto_name_init(crypto) < 0 ||
        tlsb_crypto_ext_init(crypto) < 0 ||
        tlsb_crypto_req_init(crypto) < 0 ||
        tlsb_crypto_pkey_init(crypto) < 0 ||
        tlsb_crypto_store_init(crypto) < 0 ||
        tlsb_crypto_pkcs12_init(crypto) < 0 ||
        tlsb_crypto_crl_init(crypto) < 0 ||
        tlsb_crypto_pkcs7_init(crypto) < 0 ||
        tlsb_crypto_spki_init(crypto) < 0)
        goto fail;
    return crypto;
fail:
    Py_XDECREF(doc);
    Py_DECREF(crypto);
    return NULL;
}

/* Attaches `crypto` and `rand` to the core module. */
static int
tlsb_crypto_init(PyObject *module)
{
    PyObject *crypto, *rand;
    int status;

    crypto = tlsb_crypto_make_module();
    if (crypto == NULL)
        return -1;
    status = PyModule_AddObjectRef(module, "crypto", crypto);
    Py_DECREF(crypto);
    if (status < 0)
        return -1;
    rand = tlsb_rand_make_module();
    if (rand == NULL)
        return -1;
    status = PyModule_AddObjectRef(module, "rand", rand);
    Py_DECREF(rand);
    return status;
}
