/* certdecode.c: a certificate as the dict getpeercert() returns, and
 * certificates to and from DER.
 *
 * Rules of this file:
 * - The dict is CPython 3.13's for the same certificate, key for key, in
 *   3.13's key order, character for character.  Lib/test/certdata/
 *   *.decoded.json, written by 3.13 itself, pin it.  Where 3.13 lets
 *   OpenSSL print a value (otherName, x400Address, ediPartyName entries, the
 *   serial number, the dates) we let the same OpenSSL print it, so the result
 *   follows the linked OpenSSL exactly as 3.13's would.
 * - Optional keys (subjectAltName, OCSP, caIssuers, crlDistributionPoints)
 *   appear only when 3.13 has them: an extension that is absent, repeated
 *   or does not parse leaves its key out; an AIA or CRL extension without
 *   a single URI leaves it out too; a subjectAltName extension with no
 *   names gives ().
 * - On 2.7 every value has the type 2.7's own _ssl gives it (the tests
 *   compare types with the host): attribute names, notAfter and the
 *   subjectAltName entries are str; attribute values, serialNumber,
 *   notBefore, "Registered ID" entries and the OCSP/caIssuers/CRL URIs are
 *   unicode; version is long.  On 3.x all text is str.
 * - Where an old host's content differs from 3.13's, 3.13 wins; the
 *   function concerned says why.
 */

/* Makes a text object of one of the two kinds above from bytes. */
typedef PyObject *(*tlsb_text_maker)(const char *text, Py_ssize_t len);

/* Text that 2.7 returns as unicode: UTF-8, strictly decoded (3.13 raises
 * UnicodeDecodeError for a URI that is not UTF-8, and so do we). */
static PyObject *
tlsb_unicode_text(const char *text, Py_ssize_t len)
{
    return PyUnicode_DecodeUTF8(text, len, "strict");
}

/* Text that 2.7 returns as str: the bytes as they are on 2.7, strict
 * UTF-8 on 3.x. */
static PyObject *
tlsb_native_text(const char *text, Py_ssize_t len)
{
    return NativeStr_FromStringAndSize(text, len);
}

/* (first, second), taking both references; NULL (releasing both) if
 * either is NULL. */
static PyObject *
tlsb_pair_steal(PyObject *first, PyObject *second)
{
    PyObject *pair = NULL;

    if (first != NULL && second != NULL)
        pair = PyTuple_Pack(2, first, second);
    Py_XDECREF(first);
    Py_XDECREF(second);
    return pair;
}

/* Appends item to list, taking the item's reference; -1 if item is NULL
 * (an exception is then already set) or the append fails. */
static int
tlsb_append_steal(PyObject *list, PyObject *item)
{
    int status;

    if (item == NULL)
        return -1;
    status = PyList_Append(list, item);
    Py_DECREF(item);
    return status;
}

/* Sets dict[key] = value, taking the value's reference. */
static int
tlsb_set_item_steal(PyObject *dict, const char *key, PyObject *value)
{
    int status;

    if (value == NULL)
        return -1;
    status = PyDict_SetItemString(dict, key, value);
    Py_DECREF(value);
    return status;
}

/* dict[key] = tuple(list) when the list is not empty (3.13 leaves out
 * OCSP, caIssuers and crlDistributionPoints rather than give ()). */
static int
tlsb_set_nonempty_tuple(PyObject *dict, const char *key, PyObject *list)
{
    if (PyList_GET_SIZE(list) == 0)
        return 0;
    return tlsb_set_item_steal(dict, key, PyList_AsTuple(list));
}

/* ---- text that OpenSSL prints ------------------------------------- */

/* What a printer wrote into the scratch memory BIO: all of it, or up to
 * and including the first newline (a serial number longer than 35 bytes
 * is printed on several lines ending in "\\\n"; 3.13 keeps the first). */
static PyObject *
tlsb_scratch_text(BIO *scratch, int first_line_only, tlsb_text_maker make)
{
    char *data = NULL;
    long len = BIO_get_mem_data(scratch, &data);
    PyObject *text;

    if (len < 0)
        len = 0;
    if (first_line_only && len > 0) {
        const char *newline = memchr(data, '\n', (size_t)len);
        if (newline != NULL)
            len = (long)(newline - data) + 1;
    }
    text = make(data ? data : "", (Py_ssize_t)len);
    (void)BIO_reset(scratch);
    return text;
}

/* The OpenSSL name of an OID ("commonName", "TLS Web Server
 * Authentication"), or its dotted form when OpenSSL has no name for it;
 * any length. */
static PyObject *
tlsb_oid_text(const ASN1_OBJECT *oid, tlsb_text_maker make)
{
    char small[128], *buffer = small;
    int len = OBJ_obj2txt(small, (int)sizeof(small), oid, 0);
    PyObject *text;

    if (len < 0)
        return tlsb_raise_from_queue(NULL);
    if (len >= (int)sizeof(small)) {
        buffer = PyMem_Malloc((size_t)len + 1);
        if (buffer == NULL)
            return PyErr_NoMemory();
        len = OBJ_obj2txt(buffer, len + 1, oid, 0);
    }
    text = (len < 0) ? tlsb_raise_from_queue(NULL) : make(buffer, len);
    if (buffer != small)
        PyMem_Free(buffer);
    return text;
}

/* ---- names ---------------------------------------------------------- */

/* ("commonName", "value"): the name native, the value unicode on 2.7. */
static PyObject *
tlsb_decode_attribute(const X509_NAME_ENTRY *entry)
{
    const ASN1_STRING *data = X509_NAME_ENTRY_get_data(entry);
    unsigned char *utf8 = NULL;
    int len;
    PyObject *name, *value;

    name = tlsb_oid_text(X509_NAME_ENTRY_get_object(entry), tlsb_native_text);
    if (name == NULL)
        return NULL;
    if (ASN1_STRING_type(data) == V_ASN1_BIT_STRING) {
        /* A BIT STRING value (x500UniqueIdentifier) is not text: 3.10+
         * give its bytes, None when it has none; 2.7-3.9 raise SSLError
         * ("unknown error").  We follow 3.13. */
        const unsigned char *bits = ASN1_STRING_get0_data(data);
        value = bits ? PyBytes_FromStringAndSize((const char *)bits,
                                                 ASN1_STRING_length(data))
                     : Py_NewRef(Py_None);
        return tlsb_pair_steal(name, value);
    }
    len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0) {
        Py_DECREF(name);
        return tlsb_raise_from_queue(NULL);
    }
    value = tlsb_unicode_text((const char *)utf8, len);
    OPENSSL_free(utf8);
    return tlsb_pair_steal(name, value);
}

/* A distinguished name as a tuple of RDNs, each a tuple of (name, value)
 * pairs; the attributes of a multi-valued RDN share one tuple. */
static PyObject *
tlsb_decode_name(const X509_NAME *name)
{
    PyObject *rdns, *rdn = NULL, *result = NULL;
    int i, count = X509_NAME_entry_count(name), rdn_set = -1;

    rdns = PyList_New(0);
    if (rdns == NULL)
        return NULL;
    for (i = 0; i < count; i++) {
        const X509_NAME_ENTRY *entry = X509_NAME_get_entry(name, i);
        int entry_set = X509_NAME_ENTRY_set(entry);

        if (rdn != NULL && entry_set != rdn_set) {
            int status = tlsb_append_steal(rdns, PyList_AsTuple(rdn));
            Py_CLEAR(rdn);
            if (status < 0)
                goto done;
        }
        if (rdn == NULL) {
            rdn = PyList_New(0);
            if (rdn == NULL)
                goto done;
            rdn_set = entry_set;
        }
        if (tlsb_append_steal(rdn, tlsb_decode_attribute(entry)) < 0)
            goto done;
    }
    if (rdn != NULL && tlsb_append_steal(rdns, PyList_AsTuple(rdn)) < 0)
        goto done;
    result = PyList_AsTuple(rdns);
done:
    Py_XDECREF(rdn);
    Py_DECREF(rdns);
    return result;
}

/* ---- subjectAltName -------------------------------------------------- */

/* An IP address entry as 3.13 writes it: dotted IPv4; IPv6 as eight
 * uppercase hex groups without "::" and without a trailing newline;
 * "<invalid>" for any other length.  2.7 and 3.6 differ on both counts
 * (they let OpenSSL print it: "<invalid length=5>", and with OpenSSL
 * 1.1.1 an IPv6 address ends in "\n"); we follow 3.13. */
static PyObject *
tlsb_ip_address_text(const ASN1_OCTET_STRING *address)
{
    const unsigned char *b = ASN1_STRING_get0_data(address);
    char text[48];

    switch (ASN1_STRING_length(address)) {
    case 4:
        PyOS_snprintf(text, sizeof(text), "%d.%d.%d.%d", b[0], b[1], b[2], b[3]);
        break;
    case 16:
        PyOS_snprintf(text, sizeof(text), "%X:%X:%X:%X:%X:%X:%X:%X",
                      b[0] << 8 | b[1], b[2] << 8 | b[3], b[4] << 8 | b[5],
                      b[6] << 8 | b[7], b[8] << 8 | b[9], b[10] << 8 | b[11],
                      b[12] << 8 | b[13], b[14] << 8 | b[15]);
        break;
    default:
        strcpy(text, "<invalid>");
    }
    return NativeStr_FromString(text);
}

/* An IA5String entry (DNS, email, URI) with all its bytes, NULs included
 * (CVE-2013-4238: a name is never cut short). */
static PyObject *
tlsb_ia5_text(const ASN1_IA5STRING *text, tlsb_text_maker make)
{
    return make((const char *)ASN1_STRING_get0_data(text),
                ASN1_STRING_length(text));
}

/* 3.13 reads a printed subjectAltName entry or a registeredID into a
 * fixed 2048-byte buffer; a hostile certificate can hold longer ones, and
 * the stdlib's results for those are what we give (issue 14, item 9). */
#define TLSB_SAN_BUFFER 2048

/* A registeredID in dotted form (or OpenSSL's name for it), as 3.13 has
 * it: OBJ_obj2txt() into 2047 bytes; a text that did not fit (2048+
 * characters) is "<INVALID>", and one of exactly 2047 comes back cut to
 * 2046 characters and the terminating NUL. */
static PyObject *
tlsb_registered_id_text(const ASN1_OBJECT *oid)
{
    char buffer[TLSB_SAN_BUFFER];
    int len = OBJ_obj2txt(buffer, TLSB_SAN_BUFFER - 1, oid, 0);

    if (len < 0)
        return tlsb_raise_from_queue(NULL);
    if (len >= TLSB_SAN_BUFFER)
        return PyUnicode_FromString("<INVALID>");
    return tlsb_unicode_text(buffer, len);
}

/* Kinds 3.13 does not spell out itself (otherName, x400Address,
 * ediPartyName): OpenSSL's own "Kind:value" text, split at the first
 * colon.  As in 3.13, only the first line counts (newline kept) and at
 * most 2046 bytes of it: an otherName value "admin\nevil" gives
 * "admin\n".  A line without a colon before any NUL is ValueError. */
static PyObject *
tlsb_printed_general_name(GENERAL_NAME *name, BIO *scratch)
{
    PyObject *result;
    char *data = NULL, shown[201];
    const char *newline, *colon;
    long printed;
    size_t len, text_len;

    if (GENERAL_NAME_print(scratch, name) <= 0) {
        (void)BIO_reset(scratch);
        return tlsb_raise_from_queue(NULL);
    }
    printed = BIO_get_mem_data(scratch, &data);
    len = (data != NULL && printed > 0) ? (size_t)printed : 0;
    if (len > TLSB_SAN_BUFFER - 2)
        len = TLSB_SAN_BUFFER - 2;
    newline = len ? memchr(data, '\n', len) : NULL;
    if (newline != NULL)
        len = (size_t)(newline - data) + 1;
    text_len = len ? strnlen(data, len) : 0;     /* 3.13 stops at a NUL */
    colon = text_len ? memchr(data, ':', text_len) : NULL;
    if (colon == NULL) {
        if (text_len > 200)
            text_len = 200;
        if (text_len)
            memcpy(shown, data, text_len);
        shown[text_len] = '\0';
        (void)BIO_reset(scratch);
        PyErr_Format(PyExc_ValueError, "Invalid value %s", shown);
        return NULL;
    }
    result = tlsb_pair_steal(
        tlsb_native_text(data, (Py_ssize_t)(colon - data)),
        tlsb_native_text(colon + 1, (Py_ssize_t)(len - (size_t)(colon + 1 - data))));
    (void)BIO_reset(scratch);
    return result;
}

static PyObject *
tlsb_decode_general_name(GENERAL_NAME *name, BIO *scratch)
{
    switch (name->type) {
    case GEN_DNS:
        return tlsb_pair_steal(NativeStr_FromString("DNS"),
                               tlsb_ia5_text(name->d.dNSName, tlsb_native_text));
    case GEN_EMAIL:
        return tlsb_pair_steal(NativeStr_FromString("email"),
                               tlsb_ia5_text(name->d.rfc822Name, tlsb_native_text));
    case GEN_URI:
        return tlsb_pair_steal(NativeStr_FromString("URI"),
                               tlsb_ia5_text(name->d.uniformResourceIdentifier,
                                             tlsb_native_text));
    case GEN_DIRNAME:
        return tlsb_pair_steal(NativeStr_FromString("DirName"),
                               tlsb_decode_name(name->d.directoryName));
    case GEN_IPADD:
        return tlsb_pair_steal(NativeStr_FromString("IP Address"),
                               tlsb_ip_address_text(name->d.iPAddress));
    case GEN_RID:
        /* Both halves unicode on 2.7, as 2.7 has them. */
        return tlsb_pair_steal(PyUnicode_FromString("Registered ID"),
                               tlsb_registered_id_text(name->d.registeredID));
    default:
        return tlsb_printed_general_name(name, scratch);
    }
}

static int
tlsb_add_subject_alt_names(PyObject *dict, X509 *cert, BIO *scratch)
{
    GENERAL_NAMES *names;
    PyObject *entries;
    int i, status = -1;

    names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (names == NULL) {
        /* Absent, repeated, or not parsable: 3.13 leaves the key out.
         * (2.7 and 3.6 concatenate repeated extensions and give () for
         * one that does not parse.) */
        ERR_clear_error();
        return 0;
    }
    entries = PyList_New(0);
    if (entries == NULL)
        goto done;
    for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        if (tlsb_append_steal(entries, tlsb_decode_general_name(
                sk_GENERAL_NAME_value(names, i), scratch)) < 0)
            goto done;
    }
    status = tlsb_set_item_steal(dict, "subjectAltName", PyList_AsTuple(entries));
done:
    Py_XDECREF(entries);
    GENERAL_NAMES_free(names);
    return status;
}

/* ---- authorityInfoAccess, crlDistributionPoints ----------------------- */

/* Appends name's text to list if it is a URI; other kinds are skipped. */
static int
tlsb_append_if_uri(PyObject *list, const GENERAL_NAME *name)
{
    if (name->type != GEN_URI)
        return 0;
    return tlsb_append_steal(list, tlsb_ia5_text(
        name->d.uniformResourceIdentifier, tlsb_unicode_text));
}

static int
tlsb_add_info_access(PyObject *dict, X509 *cert)
{
    AUTHORITY_INFO_ACCESS *info;
    PyObject *ocsp = NULL, *issuers = NULL;
    int i, status = -1;

    info = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
    if (info == NULL) {
        ERR_clear_error();
        return 0;
    }
    ocsp = PyList_New(0);
    issuers = PyList_New(0);
    if (ocsp == NULL || issuers == NULL)
        goto done;
    for (i = 0; i < sk_ACCESS_DESCRIPTION_num(info); i++) {
        const ACCESS_DESCRIPTION *access = sk_ACCESS_DESCRIPTION_value(info, i);
        int method = OBJ_obj2nid(access->method);

        if (method == NID_ad_OCSP) {
            if (tlsb_append_if_uri(ocsp, access->location) < 0)
                goto done;
        }
        else if (method == NID_ad_ca_issuers) {
            if (tlsb_append_if_uri(issuers, access->location) < 0)
                goto done;
        }
    }
    if (tlsb_set_nonempty_tuple(dict, "OCSP", ocsp) < 0 ||
        tlsb_set_nonempty_tuple(dict, "caIssuers", issuers) < 0)
        goto done;
    status = 0;
done:
    Py_XDECREF(ocsp);
    Py_XDECREF(issuers);
    AUTHORITY_INFO_ACCESS_free(info);
    return status;
}

/* The URIs among the full names of all distribution points, in order
 * (relative names, directory names and the CRL issuer are skipped). */
static int
tlsb_add_crl_distribution_points(PyObject *dict, X509 *cert)
{
    CRL_DIST_POINTS *points;
    PyObject *uris;
    int i, j, status = -1;

    points = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    if (points == NULL) {
        ERR_clear_error();
        return 0;
    }
    uris = PyList_New(0);
    if (uris == NULL)
        goto done;
    for (i = 0; i < sk_DIST_POINT_num(points); i++) {
        const DIST_POINT *point = sk_DIST_POINT_value(points, i);
        GENERAL_NAMES *full_names;

        if (point->distpoint == NULL || point->distpoint->type != 0)
            continue;            /* no name, or a name relative to the issuer */
        full_names = point->distpoint->name.fullname;
        for (j = 0; j < sk_GENERAL_NAME_num(full_names); j++) {
            if (tlsb_append_if_uri(uris, sk_GENERAL_NAME_value(full_names, j)) < 0)
                goto done;
        }
    }
    status = tlsb_set_nonempty_tuple(dict, "crlDistributionPoints", uris);
done:
    Py_XDECREF(uris);
    CRL_DIST_POINTS_free(points);
    return status;
}

/* ---- the whole certificate ------------------------------------------ */

/* subject, issuer, version, serialNumber, notBefore, notAfter: the keys
 * every certificate has. */
static int
tlsb_add_basic_fields(PyObject *dict, X509 *cert, BIO *scratch)
{
    if (tlsb_set_item_steal(dict, "subject",
                            tlsb_decode_name(X509_get_subject_name(cert))) < 0 ||
        tlsb_set_item_steal(dict, "issuer",
                            tlsb_decode_name(X509_get_issuer_name(cert))) < 0)
        return -1;
    /* 1-based; PyLong makes the long 2.7 gives. */
    if (tlsb_set_item_steal(dict, "version",
                            PyLong_FromLong(X509_get_version(cert) + 1)) < 0)
        return -1;
    if (i2a_ASN1_INTEGER(scratch, X509_get0_serialNumber(cert)) < 0 ||
        tlsb_set_item_steal(dict, "serialNumber",
                            tlsb_scratch_text(scratch, 1, tlsb_unicode_text)) < 0)
        goto openssl_error;
    /* "Jan  1 00:00:00 2020 GMT".  2.7 has notBefore unicode, notAfter str.
     * A time that does not parse prints "Bad time value", which CPython
     * returns as the value (it ignores the failure): so do we, dropping
     * the error it queued. */
    if (!ASN1_TIME_print(scratch, X509_get0_notBefore(cert)))
        ERR_clear_error();
    if (tlsb_set_item_steal(dict, "notBefore",
                            tlsb_scratch_text(scratch, 0, tlsb_unicode_text)) < 0)
        goto openssl_error;
    if (!ASN1_TIME_print(scratch, X509_get0_notAfter(cert)))
        ERR_clear_error();
    if (tlsb_set_item_steal(dict, "notAfter",
                            tlsb_scratch_text(scratch, 0, tlsb_native_text)) < 0)
        goto openssl_error;
    return 0;
openssl_error:
    if (!PyErr_Occurred())
        tlsb_raise_from_queue(NULL);
    return -1;
}

/* The dict getpeercert() returns for cert: a new reference, or NULL with
 * an exception set. */
static PyObject *
tlsb_decode_certificate(X509 *cert)
{
    PyObject *dict;
    BIO *scratch = BIO_new(BIO_s_mem());

    if (scratch == NULL)
        return PyErr_NoMemory();
    dict = PyDict_New();
    if (dict != NULL &&
        (tlsb_add_basic_fields(dict, cert, scratch) < 0 ||
         tlsb_add_subject_alt_names(dict, cert, scratch) < 0 ||
         tlsb_add_info_access(dict, cert) < 0 ||
         tlsb_add_crl_distribution_points(dict, cert) < 0))
        Py_CLEAR(dict);
    BIO_free(scratch);
    return dict;
}

/* ---- DER ---------------------------------------------------------------- */

/* The certificate's DER encoding as bytes (getpeercert(True),
 * get_verified_chain()). */
static PyObject *
tlsb_certificate_to_der(X509 *cert)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    PyObject *result;

    if (len < 0)
        return tlsb_raise_from_queue(NULL);
    result = PyBytes_FromStringAndSize((const char *)der, len);
    OPENSSL_free(der);
    return result;
}

/* Exactly one DER certificate, nothing after it.  The caller owns the
 * result (X509_free); NULL with SSLError set if the bytes are not that. */
static X509 *
tlsb_certificate_from_der(const unsigned char *der, Py_ssize_t len)
{
    const unsigned char *cursor = der;
    X509 *cert;

    if (len > LONG_MAX) {
        PyErr_SetString(PyExc_OverflowError, "certificate too long");
        return NULL;
    }
    cert = d2i_X509(NULL, &cursor, (long)len);
    if (cert == NULL) {
        tlsb_raise_from_queue(NULL);
        return NULL;
    }
    if (cursor != der + len) {
        X509_free(cert);
        tlsb_raise_message(tlsb_interp()->SSLError, 0,
                           "trailing data after a DER certificate");
        return NULL;
    }
    return cert;
}

/* ---- module functions --------------------------------------------------- */

/* _test_decode_cert(path, /) -> dict
 * The first certificate of a PEM file, decoded as getpeercert() would. */
static PyObject *
tlsb_test_decode_cert(PyObject *module, PyObject *args)
{
    PyObject *path, *encoded, *result;
    PyThreadState *thread;
    const char *failure = NULL;
    BIO *file;
    X509 *cert = NULL;

    if (!PyArg_ParseTuple(args, "O:_test_decode_cert", &path))
        return NULL;
    encoded = tlsb_fspath_bytes(path);
    if (encoded == NULL)
        return NULL;
    thread = PyEval_SaveThread();
    file = BIO_new_file(PyBytes_AS_STRING(encoded), "r");
    if (file == NULL) {
        failure = "Can't open file";
    }
    else {
        cert = PEM_read_bio_X509(file, NULL, NULL, NULL);
        if (cert == NULL)
            failure = "Error decoding PEM-encoded file";
        BIO_free(file);
    }
    PyEval_RestoreThread(thread);
    Py_DECREF(encoded);
    if (failure != NULL)
        return tlsb_raise_message(tlsb_interp()->SSLError, 0, failure);
    result = tlsb_decode_certificate(cert);
    X509_free(cert);
    return result;
}

/* _test_der_cert(der, /) -> (dict, bytes)
 * One DER certificate decoded, and encoded again: tests of the DER
 * helpers the connection code uses. */
static PyObject *
tlsb_test_der_cert(PyObject *module, PyObject *der)
{
    Py_buffer view;
    X509 *cert;
    PyObject *decoded;

    if (tlsb_get_bytes_buffer(der, &view) < 0)
        return NULL;
    cert = tlsb_certificate_from_der(view.buf, view.len);
    PyBuffer_Release(&view);
    if (cert == NULL)
        return NULL;
    decoded = tlsb_decode_certificate(cert);
    if (decoded == NULL) {
        X509_free(cert);
        return NULL;
    }
    decoded = tlsb_pair_steal(decoded, tlsb_certificate_to_der(cert));
    X509_free(cert);
    return decoded;
}

static PyMethodDef tlsb_certdecode_functions[] = {
    {"_test_decode_cert", tlsb_test_decode_cert, METH_VARARGS,
     "_test_decode_cert(path, /)\n--\n\n"
     "Decode the first certificate of a PEM file as getpeercert() would."},
    {"_test_der_cert", tlsb_test_der_cert, METH_O,
     "_test_der_cert(der, /)\n--\n\n"
     "Decode one DER certificate; return (dict, its DER encoding again)."},
    {NULL, NULL}
};

/* ---- Certificate: one certificate of a chain (3.10's _ssl.Certificate),
 * what the core's get_verified_chain()/get_unverified_chain() return; the
 * public methods turn them into DER bytes as 3.13 does. */

static PyObject *
tlsb_certificate_wrap(X509 *cert)
{
    tlsb_Certificate *self;

    if (!X509_up_ref(cert))
        return tlsb_raise_from_queue(NULL);
    self = PyObject_New(tlsb_Certificate, &tlsb_Certificate_Type);
    if (self == NULL) {
        X509_free(cert);
        return NULL;
    }
    self->cert = cert;
    return (PyObject *)self;
}

static void
tlsb_Certificate_dealloc(tlsb_Certificate *self)
{
    X509_free(self->cert);
    PyObject_Del(self);
}

/* get_info() -> the getpeercert() dict */
static PyObject *
tlsb_Certificate_get_info(tlsb_Certificate *self, PyObject *unused)
{
    return tlsb_decode_certificate(self->cert);
}

/* public_bytes(format=ENCODING_PEM) -> PEM text or DER bytes */
static PyObject *
tlsb_Certificate_public_bytes(tlsb_Certificate *self, PyObject *args,
                              PyObject *kwargs)
{
    static char *kwlist[] = {"format", NULL};
    int format = 1;     /* ENCODING_PEM */
    PyObject *result;
    BIO *bio;
    BUF_MEM *mem;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|i:public_bytes", kwlist, &format))
        return NULL;
    if (format == 2)    /* ENCODING_DER */
        return tlsb_certificate_to_der(self->cert);
    if (format != 1)
        return PyErr_Format(PyExc_ValueError, "Unsupported format");
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_X509(bio, self->cert)) {
        BIO_free(bio);
        return tlsb_raise_from_queue(NULL);
    }
    BIO_get_mem_ptr(bio, &mem);
    result = NativeStr_FromStringAndSize(mem->data, (Py_ssize_t)mem->length);
    BIO_free(bio);
    return result;
}

/* <Certificate 'CN=localhost,O=...'>: the subject in RFC 2253 form */
static PyObject *
tlsb_Certificate_repr(tlsb_Certificate *self)
{
    BIO *bio = BIO_new(BIO_s_mem());
    BUF_MEM *mem;
    PyObject *subject, *shown, *result = NULL;

    if (bio == NULL || X509_NAME_print_ex(bio, X509_get_subject_name(self->cert), 0,
                                          XN_FLAG_RFC2253) < 0) {
        BIO_free(bio);
        return tlsb_raise_from_queue(NULL);
    }
    BIO_get_mem_ptr(bio, &mem);
    subject = NativeStr_FromStringAndSize(mem->data, (Py_ssize_t)mem->length);
    BIO_free(bio);
    if (subject == NULL)
        return NULL;
    shown = tlsb_repr_bytes(subject);
    Py_DECREF(subject);
    if (shown != NULL) {
        result = NativeStr_FromFormat("<%s %s>", Py_TYPE(self)->tp_name,
                                      PyBytes_AS_STRING(shown));
        Py_DECREF(shown);
    }
    return result;
}

static Py_hash_t
tlsb_Certificate_hash(tlsb_Certificate *self)
{
    PyObject *der = tlsb_certificate_to_der(self->cert);
    Py_hash_t hash;

    if (der == NULL)
        return -1;
    hash = PyObject_Hash(der);
    Py_DECREF(der);
    return hash;
}

static PyObject *
tlsb_Certificate_richcompare(PyObject *left, PyObject *right, int op)
{
    int cmp;

    if (!PyObject_TypeCheck(right, &tlsb_Certificate_Type) ||
        (op != Py_EQ && op != Py_NE))
        Py_RETURN_NOTIMPLEMENTED;
    cmp = X509_cmp(((tlsb_Certificate *)left)->cert, ((tlsb_Certificate *)right)->cert);
    return PyBool_FromLong((op == Py_EQ) == (cmp == 0));
}

static PyMethodDef tlsb_Certificate_methods[] = {
    {"get_info", (PyCFunction)tlsb_Certificate_get_info, METH_NOARGS,
     "get_info()\n--\n\nThe certificate as getpeercert() describes it."},
    {"public_bytes", (PyCFunction)(void (*)(void))tlsb_Certificate_public_bytes,
     METH_VARARGS | METH_KEYWORDS,
     "public_bytes(format=ENCODING_PEM)\n--\n\nPEM text or DER bytes."},
    {NULL, NULL}
};

static PyTypeObject tlsb_Certificate_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap_core.Certificate",
    .tp_basicsize = sizeof(tlsb_Certificate),
    .tp_dealloc = (destructor)tlsb_Certificate_dealloc,
    .tp_repr = (reprfunc)tlsb_Certificate_repr,
    .tp_hash = (hashfunc)tlsb_Certificate_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A certificate of a TLS connection's chain.",
    .tp_richcompare = tlsb_Certificate_richcompare,
    .tp_methods = tlsb_Certificate_methods,
};

static int
tlsb_certdecode_init(PyObject *module)
{
    if (PyType_Ready(&tlsb_Certificate_Type) < 0 ||
        PyModule_AddObjectRef(module, "Certificate",
                              (PyObject *)&tlsb_Certificate_Type) < 0)
        return -1;
    return PyModule_AddFunctions(module, tlsb_certdecode_functions);
}
