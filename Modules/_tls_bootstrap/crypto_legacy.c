/* crypto_legacy.c: private keys encrypted with the ciphers OpenSSL 3 moved
 * to its "legacy" provider (pyOpenSSL's tests use Blowfish), for
 * dump_privatekey() and load_privatekey().
 *
 * The default library context is left alone: loading the legacy provider
 * there (or through a config file) would change what the host's _ssl and
 * every other library in the process can negotiate.  Instead, one library
 * context of our own holds the default and legacy providers, and only the
 * step that needs the cipher runs in it: the key is copied in (as
 * unencrypted DER, wiped after use), written or read encrypted there, and
 * a loaded key is copied back into the default context, so no key that
 * reaches Python belongs to our context.
 *
 * Ownership: tlsb_legacy_ctx is made on first use (with the GIL held) and
 * lives as long as the process: OpenSSL objects shared by every
 * interpreter, never handed out.  NULL when the legacy provider cannot be
 * loaded; the callers then report the original error.
 */

#ifdef TLSB_HAS_LEGACY_LIBCTX

static OSSL_LIB_CTX *tlsb_legacy_ctx;
static int tlsb_legacy_tried;

static OSSL_LIB_CTX *
tlsb_legacy_libctx(void)
{
    OSSL_LIB_CTX *ctx;

    if (tlsb_legacy_tried)
        return tlsb_legacy_ctx;
    tlsb_legacy_tried = 1;
    ctx = OSSL_LIB_CTX_new();
    if (ctx == NULL)
        return NULL;
    if (OSSL_PROVIDER_load(ctx, "default") == NULL ||
        OSSL_PROVIDER_load(ctx, "legacy") == NULL) {
        OSSL_LIB_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    tlsb_legacy_ctx = ctx;
    return ctx;
}

/* 1 if OpenSSL's queue says an algorithm was not available (what the
 * legacy context can fix); the queue is left as it is. */
static int
tlsb_error_is_unsupported(void)
{
    unsigned long code;
    int i;

    /* ERR_peek_error_line_data walks nothing: look at the oldest and
     * newest entries, where the fetch failure sits. */
    for (i = 0; i < 2; i++) {
        code = i == 0 ? ERR_peek_error() : ERR_peek_last_error();
        if (code == 0)
            continue;
        if (ERR_GET_REASON(code) == ERR_R_UNSUPPORTED ||
            (ERR_GET_LIB(code) == ERR_LIB_EVP &&
             (ERR_GET_REASON(code) == EVP_R_UNSUPPORTED_ALGORITHM ||
              ERR_GET_REASON(code) == EVP_R_UNSUPPORTED_CIPHER)))
            return 1;
    }
    return 0;
}

/* A copy of pkey in libctx (NULL for the default context), by DER. */
static EVP_PKEY *
tlsb_pkey_copy_to(EVP_PKEY *pkey, OSSL_LIB_CTX *libctx)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    int len = i2d_PrivateKey(pkey, &der);
    EVP_PKEY *copy;

    if (len <= 0)
        return NULL;
    p = der;
    copy = d2i_AutoPrivateKey_ex(NULL, &p, len, libctx, NULL);
    OPENSSL_clear_free(der, (size_t)len);
    return copy;
}

/* PEM_write_bio_PrivateKey with a cipher only the legacy provider has. */
static int
tlsb_legacy_write_private(BIO *bio, EVP_PKEY *pkey, const EVP_CIPHER *cipher,
                          pem_password_cb *cb, void *cb_arg)
{
    OSSL_LIB_CTX *libctx = tlsb_legacy_libctx();
    EVP_CIPHER *fetched = NULL;
    EVP_PKEY *copy = NULL;
    int ok = 0;

    if (libctx == NULL)
        return 0;
    fetched = EVP_CIPHER_fetch(libctx, EVP_CIPHER_get0_name(cipher), NULL);
    copy = fetched ? tlsb_pkey_copy_to(pkey, libctx) : NULL;
    if (copy != NULL)
        ok = PEM_write_bio_PrivateKey_ex(bio, copy, fetched, NULL, 0, cb,
                                         cb_arg, libctx, NULL);
    EVP_PKEY_free(copy);
    EVP_CIPHER_free(fetched);
    return ok;
}

/* PEM_read_bio_PrivateKey for a key encrypted with a legacy cipher; the
 * result belongs to the default context. */
static EVP_PKEY *
tlsb_legacy_read_private(BIO *bio, pem_password_cb *cb, void *cb_arg)
{
    OSSL_LIB_CTX *libctx = tlsb_legacy_libctx();
    EVP_PKEY *loaded, *copy;

    if (libctx == NULL)
        return NULL;
    loaded = PEM_read_bio_PrivateKey_ex(bio, NULL, cb, cb_arg, libctx, NULL);
    if (loaded == NULL)
        return NULL;
    copy = tlsb_pkey_copy_to(loaded, NULL);
    EVP_PKEY_free(loaded);
    return copy;
}

#endif /* TLSB_HAS_LEGACY_LIBCTX */
