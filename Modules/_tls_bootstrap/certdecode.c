/* certdecode.c: PLACEHOLDER until the certificate-decoding work lands
 * (branch certs): DER only, and a dict with the subject only. */

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

static PyObject *
tlsb_decode_certificate(X509 *cert)
{
    return PyDict_New();
}

static int
tlsb_certdecode_init(PyObject *module)
{
    return 0;
}
