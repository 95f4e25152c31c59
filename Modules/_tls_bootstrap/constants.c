/* constants.c: the integer and boolean constants of the ssl module, with
 * the values of the OpenSSL we were built against, and the version report.
 *
 * The Python layer builds the enums (Options, VerifyFlags, ...) from these
 * names, so a constant OpenSSL lacks is simply absent here.
 */

/* Our own protocol numbers: the stdlib's _SSLMethod values. */
enum {
    TLSB_PROTOCOL_SSLv3 = 1,
    TLSB_PROTOCOL_TLS = 2,
    TLSB_PROTOCOL_TLSv1 = 3,
    TLSB_PROTOCOL_TLSv1_1 = 4,
    TLSB_PROTOCOL_TLSv1_2 = 5,
    TLSB_PROTOCOL_TLS_CLIENT = 0x10,
    TLSB_PROTOCOL_TLS_SERVER = 0x11,
};

/* TLSVersion sentinels beside the wire versions. */
enum {
    TLSB_PROTO_MINIMUM_SUPPORTED = -2,
    TLSB_PROTO_MAXIMUM_SUPPORTED = -1,
};

typedef struct { const char *name; long value; } tlsb_int_constant;

static const tlsb_int_constant tlsb_int_constants[] = {
    /* SSL_ERROR_*: what SSLError.errno says (errors.c) */
    {"SSL_ERROR_ZERO_RETURN", TLSB_ERROR_ZERO_RETURN},
    {"SSL_ERROR_WANT_READ", TLSB_ERROR_WANT_READ},
    {"SSL_ERROR_WANT_WRITE", TLSB_ERROR_WANT_WRITE},
    {"SSL_ERROR_WANT_X509_LOOKUP", TLSB_ERROR_WANT_X509_LOOKUP},
    {"SSL_ERROR_SYSCALL", TLSB_ERROR_SYSCALL},
    {"SSL_ERROR_SSL", TLSB_ERROR_SSL},
    {"SSL_ERROR_WANT_CONNECT", TLSB_ERROR_WANT_CONNECT},
    {"SSL_ERROR_EOF", TLSB_ERROR_EOF},
    {"SSL_ERROR_INVALID_ERROR_CODE", TLSB_ERROR_INVALID_ERROR_CODE},

    {"CERT_NONE", 0},
    {"CERT_OPTIONAL", 1},
    {"CERT_REQUIRED", 2},

    {"VERIFY_DEFAULT", 0},
    {"VERIFY_CRL_CHECK_LEAF", X509_V_FLAG_CRL_CHECK},
    {"VERIFY_CRL_CHECK_CHAIN", X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL},
    {"VERIFY_X509_STRICT", X509_V_FLAG_X509_STRICT},
    {"VERIFY_X509_TRUSTED_FIRST", X509_V_FLAG_TRUSTED_FIRST},
    {"VERIFY_X509_PARTIAL_CHAIN", X509_V_FLAG_PARTIAL_CHAIN},
    {"VERIFY_ALLOW_PROXY_CERTS", X509_V_FLAG_ALLOW_PROXY_CERTS},

    {"ALERT_DESCRIPTION_CLOSE_NOTIFY", SSL_AD_CLOSE_NOTIFY},
    {"ALERT_DESCRIPTION_UNEXPECTED_MESSAGE", SSL_AD_UNEXPECTED_MESSAGE},
    {"ALERT_DESCRIPTION_BAD_RECORD_MAC", SSL_AD_BAD_RECORD_MAC},
    {"ALERT_DESCRIPTION_RECORD_OVERFLOW", SSL_AD_RECORD_OVERFLOW},
    {"ALERT_DESCRIPTION_DECOMPRESSION_FAILURE", SSL_AD_DECOMPRESSION_FAILURE},
    {"ALERT_DESCRIPTION_HANDSHAKE_FAILURE", SSL_AD_HANDSHAKE_FAILURE},
    {"ALERT_DESCRIPTION_BAD_CERTIFICATE", SSL_AD_BAD_CERTIFICATE},
    {"ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE", SSL_AD_UNSUPPORTED_CERTIFICATE},
    {"ALERT_DESCRIPTION_CERTIFICATE_REVOKED", SSL_AD_CERTIFICATE_REVOKED},
    {"ALERT_DESCRIPTION_CERTIFICATE_EXPIRED", SSL_AD_CERTIFICATE_EXPIRED},
    {"ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN", SSL_AD_CERTIFICATE_UNKNOWN},
    {"ALERT_DESCRIPTION_ILLEGAL_PARAMETER", SSL_AD_ILLEGAL_PARAMETER},
    {"ALERT_DESCRIPTION_UNKNOWN_CA", SSL_AD_UNKNOWN_CA},
    {"ALERT_DESCRIPTION_ACCESS_DENIED", SSL_AD_ACCESS_DENIED},
    {"ALERT_DESCRIPTION_DECODE_ERROR", SSL_AD_DECODE_ERROR},
    {"ALERT_DESCRIPTION_DECRYPT_ERROR", SSL_AD_DECRYPT_ERROR},
    {"ALERT_DESCRIPTION_PROTOCOL_VERSION", SSL_AD_PROTOCOL_VERSION},
    {"ALERT_DESCRIPTION_INSUFFICIENT_SECURITY", SSL_AD_INSUFFICIENT_SECURITY},
    {"ALERT_DESCRIPTION_INTERNAL_ERROR", SSL_AD_INTERNAL_ERROR},
    {"ALERT_DESCRIPTION_USER_CANCELLED", SSL_AD_USER_CANCELLED},
    {"ALERT_DESCRIPTION_NO_RENEGOTIATION", SSL_AD_NO_RENEGOTIATION},
    {"ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION", SSL_AD_UNSUPPORTED_EXTENSION},
    {"ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE", SSL_AD_CERTIFICATE_UNOBTAINABLE},
    {"ALERT_DESCRIPTION_UNRECOGNIZED_NAME", SSL_AD_UNRECOGNIZED_NAME},
    {"ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE", SSL_AD_BAD_CERTIFICATE_STATUS_RESPONSE},
    {"ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE", SSL_AD_BAD_CERTIFICATE_HASH_VALUE},
    {"ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY", SSL_AD_UNKNOWN_PSK_IDENTITY},

    {"PROTOCOL_TLS", TLSB_PROTOCOL_TLS},
    {"PROTOCOL_SSLv23", TLSB_PROTOCOL_TLS},
    {"PROTOCOL_TLS_CLIENT", TLSB_PROTOCOL_TLS_CLIENT},
    {"PROTOCOL_TLS_SERVER", TLSB_PROTOCOL_TLS_SERVER},
#ifndef OPENSSL_NO_SSL3_METHOD
    {"PROTOCOL_SSLv3", TLSB_PROTOCOL_SSLv3},
#endif
#ifndef OPENSSL_NO_TLS1_METHOD
    {"PROTOCOL_TLSv1", TLSB_PROTOCOL_TLSv1},
#endif
#ifndef OPENSSL_NO_TLS1_1_METHOD
    {"PROTOCOL_TLSv1_1", TLSB_PROTOCOL_TLSv1_1},
#endif
#ifndef OPENSSL_NO_TLS1_2_METHOD
    {"PROTOCOL_TLSv1_2", TLSB_PROTOCOL_TLSv1_2},
#endif

    {"PROTO_MINIMUM_SUPPORTED", TLSB_PROTO_MINIMUM_SUPPORTED},
    {"PROTO_MAXIMUM_SUPPORTED", TLSB_PROTO_MAXIMUM_SUPPORTED},
    {"PROTO_SSLv3", SSL3_VERSION},
    {"PROTO_TLSv1", TLS1_VERSION},
    {"PROTO_TLSv1_1", TLS1_1_VERSION},
    {"PROTO_TLSv1_2", TLS1_2_VERSION},
    {"PROTO_TLSv1_3", TLS1_3_VERSION},

    {"OP_ALL", SSL_OP_ALL & ~SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS},
    {"OP_NO_SSLv2", 0},     /* SSLv2 is gone from OpenSSL 1.1 */
    {"OP_NO_SSLv3", SSL_OP_NO_SSLv3},
    {"OP_NO_TLSv1", SSL_OP_NO_TLSv1},
    {"OP_NO_TLSv1_1", SSL_OP_NO_TLSv1_1},
    {"OP_NO_TLSv1_2", SSL_OP_NO_TLSv1_2},
    {"OP_NO_TLSv1_3", SSL_OP_NO_TLSv1_3},
    {"OP_CIPHER_SERVER_PREFERENCE", SSL_OP_CIPHER_SERVER_PREFERENCE},
    {"OP_SINGLE_DH_USE", SSL_OP_SINGLE_DH_USE},
    {"OP_SINGLE_ECDH_USE", SSL_OP_SINGLE_ECDH_USE},
    {"OP_NO_COMPRESSION", SSL_OP_NO_COMPRESSION},
    {"OP_NO_TICKET", SSL_OP_NO_TICKET},
    {"OP_NO_RENEGOTIATION", SSL_OP_NO_RENEGOTIATION},
    {"OP_ENABLE_MIDDLEBOX_COMPAT", SSL_OP_ENABLE_MIDDLEBOX_COMPAT},
    {"OP_LEGACY_SERVER_CONNECT", SSL_OP_LEGACY_SERVER_CONNECT},
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    {"OP_IGNORE_UNEXPECTED_EOF", SSL_OP_IGNORE_UNEXPECTED_EOF},
#endif
#ifdef TLSB_HAS_KTLS_OPTION
    {"OP_ENABLE_KTLS", SSL_OP_ENABLE_KTLS},
#endif

    {"HOSTFLAG_ALWAYS_CHECK_SUBJECT", X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT},
    {"HOSTFLAG_NEVER_CHECK_SUBJECT", X509_CHECK_FLAG_NEVER_CHECK_SUBJECT},
    {"HOSTFLAG_NO_WILDCARDS", X509_CHECK_FLAG_NO_WILDCARDS},
    {"HOSTFLAG_NO_PARTIAL_WILDCARDS", X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS},
    {"HOSTFLAG_MULTI_LABEL_WILDCARDS", X509_CHECK_FLAG_MULTI_LABEL_WILDCARDS},
    {"HOSTFLAG_SINGLE_LABEL_SUBDOMAINS", X509_CHECK_FLAG_SINGLE_LABEL_SUBDOMAINS},

    {"ENCODING_PEM", 1},
    {"ENCODING_DER", 2},
    {NULL, 0}
};

typedef struct { const char *name; int value; } tlsb_bool_constant;

static const tlsb_bool_constant tlsb_bool_constants[] = {
    {"HAS_SNI", 1},
    {"HAS_ECDH", 1},
    {"HAS_NPN", 0},          /* NPN is obsolete; the stdlib dropped it too */
    {"HAS_ALPN", 1},
    {"HAS_TLS_UNIQUE", 1},
    {"HAS_NEVER_CHECK_COMMON_NAME", 1},
    {"HAS_SSLv2", 0},
#ifdef OPENSSL_NO_SSL3
    {"HAS_SSLv3", 0},
#else
    {"HAS_SSLv3", 1},
#endif
#ifdef OPENSSL_NO_TLS1
    {"HAS_TLSv1", 0},
#else
    {"HAS_TLSv1", 1},
#endif
#ifdef OPENSSL_NO_TLS1_1
    {"HAS_TLSv1_1", 0},
#else
    {"HAS_TLSv1_1", 1},
#endif
#ifdef OPENSSL_NO_TLS1_2
    {"HAS_TLSv1_2", 0},
#else
    {"HAS_TLSv1_2", 1},
#endif
#ifdef OPENSSL_NO_TLS1_3
    {"HAS_TLSv1_3", 0},
#else
    {"HAS_TLSv1_3", 1},
#endif
    {"HAS_PHA", 1},
#ifdef OPENSSL_NO_PSK
    {"HAS_PSK", 0},
    {"HAS_PSK_TLS13", 0},
#else
    {"HAS_PSK", 1},
    {"HAS_PSK_TLS13", 1},
#endif
    {NULL, 0}
};

/* The prefixes the Python layer makes enums or plain constants of.  It
 * gets each group as _CONSTANT_GROUPS[prefix]: ((name, value), ...) in
 * value order, names alphabetical among equal values (so an alias follows
 * the name that owns its value), ready to build an enum from.  Sorting
 * here instead of there is most of the layer's import time on 2.7. */
static const char *const tlsb_constant_prefixes[] = {
    "PROTOCOL_", "OP_", "ALERT_DESCRIPTION_", "SSL_ERROR_", "VERIFY_",
    "CERT_", "HAS_", "PROTO_", NULL
};

/* One constant of a group while it is sorted: its group (an index in
 * tlsb_constant_prefixes), the module's name and value objects (borrowed
 * from its dict), the name's text, and the value as a number (the bools'
 * are 0 and 1). */
typedef struct {
    size_t group;
    PyObject *name, *value;
    const char *text;
    long number;
} tlsb_group_entry;

static int
tlsb_group_entry_cmp(const void *a, const void *b)
{
    const tlsb_group_entry *x = a, *y = b;

    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->number != y->number)
        return x->number < y->number ? -1 : 1;
    return strcmp(x->text, y->text);
}

/* The pairs of one group, in order, as a tuple of (name, value). */
static PyObject *
tlsb_group_tuple(const tlsb_group_entry *entries, size_t count)
{
    PyObject *group = PyTuple_New((Py_ssize_t)count);
    size_t i;

    for (i = 0; group != NULL && i < count; i++) {
        PyObject *pair = PyTuple_Pack(2, entries[i].name, entries[i].value);

        if (pair == NULL)
            Py_CLEAR(group);
        else
            PyTuple_SET_ITEM(group, (Py_ssize_t)i, pair);
    }
    return group;
}

/* _CONSTANT_GROUPS from the module's own name and value objects, in one
 * pass over its dict after the constants went in, and one sort (making
 * new strings for the names, or a pass per prefix, was most of this on
 * 3.x). */
static int
tlsb_constant_groups_init(PyObject *module)
{
    enum {
        GROUPS = sizeof(tlsb_constant_prefixes) / sizeof(tlsb_constant_prefixes[0]) - 1,
        CAPACITY = sizeof(tlsb_int_constants) / sizeof(tlsb_int_constants[0]) +
                   sizeof(tlsb_bool_constants) / sizeof(tlsb_bool_constants[0])
    };
    tlsb_group_entry entries[CAPACITY];
    size_t count = 0, lengths[GROUPS], start, end, g;
    PyObject *dict = PyModule_GetDict(module), *name, *value, *groups;
    Py_ssize_t position = 0;

    for (g = 0; g < GROUPS; g++)
        lengths[g] = strlen(tlsb_constant_prefixes[g]);
    while (PyDict_Next(dict, &position, &name, &value)) {
        const char *text;

        if (!NativeStr_Check(name))
            continue;
        if ((text = NativeStr_AsString(name)) == NULL)
            return -1;
        for (g = 0; g < GROUPS; g++) {
            if (text[0] == tlsb_constant_prefixes[g][0] &&
                strncmp(text, tlsb_constant_prefixes[g], lengths[g]) == 0)
                break;      /* the prefixes do not overlap */
        }
        if (g == GROUPS)
            continue;
        if (count == CAPACITY) {
            PyErr_SetString(PyExc_SystemError, "constant group overflow");
            return -1;
        }
        entries[count].group = g;
        entries[count].name = name;
        entries[count].value = value;
        entries[count].text = text;
        entries[count].number = tlsb_long_from_int(value);
        if (entries[count].number == -1 && PyErr_Occurred())
            return -1;
        count++;
    }
    qsort(entries, count, sizeof(entries[0]), tlsb_group_entry_cmp);

    if ((groups = PyDict_New()) == NULL)
        return -1;
    for (g = 0, start = 0; g < GROUPS; g++, start = end) {
        PyObject *group;

        for (end = start; end < count && entries[end].group == g; end++)
            ;
        group = tlsb_group_tuple(entries + start, end - start);
        if (group == NULL ||
            PyDict_SetItemString(groups, tlsb_constant_prefixes[g], group) < 0) {
            Py_XDECREF(group);
            Py_DECREF(groups);
            return -1;
        }
        Py_DECREF(group);
    }
    if (PyModule_AddObject(module, "_CONSTANT_GROUPS", groups) < 0) {
        Py_DECREF(groups);
        return -1;
    }
    return 0;
}

/* OPENSSL_VERSION_NUMBER 0xMNN00PP0 (3.x) or 0xMNNFFPPS (1.1.1) as the
 * stdlib's 5-tuple (major, minor, fix, patch, status). */
static PyObject *
tlsb_version_info(unsigned long number)
{
    unsigned int status = number & 0xF, patch, fix, minor, major;

    number >>= 4;
    patch = number & 0xFF;
    number >>= 8;
    fix = number & 0xFF;
    number >>= 8;
    minor = number & 0xFF;
    number >>= 8;
    major = number & 0xFF;
    return Py_BuildValue("(IIIII)", major, minor, fix, patch, status);
}

static int
tlsb_constants_init(PyObject *module)
{
    const tlsb_int_constant *ic;
    const tlsb_bool_constant *bc;
    unsigned long runtime = OpenSSL_version_num();
    PyObject *info;

    for (ic = tlsb_int_constants; ic->name != NULL; ic++) {
        PyObject *value = PyLong_FromLong(ic->value);
        if (value == NULL || PyModule_AddObject(module, (char *)ic->name, value) < 0) {
            Py_XDECREF(value);
            return -1;
        }
    }
    for (bc = tlsb_bool_constants; bc->name != NULL; bc++) {
        if (PyModule_AddObjectRef(module, bc->name,
                                  bc->value ? Py_True : Py_False) < 0)
            return -1;
    }

    /* What we run with (as the stdlib reports it) ... */
    if (PyModule_AddObject(module, "OPENSSL_VERSION_NUMBER",
                           PyLong_FromUnsignedLong(runtime)) < 0)
        return -1;
    info = tlsb_version_info(runtime);
    if (info == NULL || PyModule_AddObject(module, "OPENSSL_VERSION_INFO", info) < 0)
        return -1;
    if (PyModule_AddObject(module, "OPENSSL_VERSION",
                           NativeStr_FromString(OpenSSL_version(OPENSSL_VERSION))) < 0)
        return -1;
    /* ... and what we were compiled against. */
    info = tlsb_version_info(OPENSSL_VERSION_NUMBER);
    if (info == NULL || PyModule_AddObject(module, "_OPENSSL_API_VERSION", info) < 0)
        return -1;
    if (PyModule_AddObject(module, "OPENSSL_BUILD_VERSION",
                           NativeStr_FromString(OPENSSL_VERSION_TEXT)) < 0)
        return -1;
    if (PyModule_AddObject(module, "_DEFAULT_CIPHERS",
                           NativeStr_FromString(TLSB_DEFAULT_CIPHERS)) < 0)
        return -1;
    return tlsb_constant_groups_init(module);
}
