/* internal.h: the objects and module state shared by the parts of
 * _tls_bootstrap_core, and the prototypes that let the parts call each
 * other in any order.
 *
 * Rules of this file:
 * - Everything is static: the parts are #included into one translation unit
 *   (Modules/_tls_bootstrap.c), so no symbol but the init function escapes.
 * - A part's functions are declared here only if another part calls them.
 * - Object layouts are here so that every part sees the same definition.
 */
#ifndef TLSB_INTERNAL_H
#define TLSB_INTERNAL_H

#include "compat.h"

/* ------------------------------------------------------------------ */
/* Module state                                                       */
/* ------------------------------------------------------------------ */

/* Process-wide state: one static instance, set once by the first import
 * in any interpreter; holds nothing that belongs to one interpreter. */
typedef struct {
    int ready;                      /* the once-only steps below are done */
    int socket_head_ok;             /* tlsb_socket_head matches _socket.socket */
    /* Made once: attribute names, and the arguments of the exceptions a
     * non-blocking step raises (errors.c). */
    PyObject *str_library;
    PyObject *str_reason;
    PyObject *want_read_args;
    PyObject *want_write_args;
    /* ex_data slot on SSL* that points back at the Connection object */
    int ssl_ex_index;
    /* ex_data slot on SSL_CTX* that points back at the Context object */
    int ctx_ex_index;
} tlsb_module_state;

/* Per-interpreter state (errors.c): what one interpreter's `ssl` and
 * `socket` give, so that each interpreter (mod_wsgi's subinterpreters,
 * 2.7 included) raises its own classes.  Reached from any C path through
 * tlsb_interp(); see errors.c for how it is found, made and freed. */
typedef struct tlsb_interp_state {
    PyInterpreterState *interp;     /* NULL once that interpreter is gone */
    PyObject *module;               /* its _tls_bootstrap_core (borrowed: the
                                       module owns this state); or NULL.
                                       2.7 only compares it: use
                                       tlsb_interp_module() */
    /* The host's exception classes (from _ssl / ssl, or created by us
     * where the host lacks them). Strong references. */
    PyObject *SSLError;
    PyObject *SSLZeroReturnError;
    PyObject *SSLWantReadError;
    PyObject *SSLWantWriteError;
    PyObject *SSLSyscallError;
    PyObject *SSLEOFError;
    PyObject *SSLCertVerificationError;
    PyObject *CertificateError;     /* ssl.CertificateError */
    PyObject *socket_timeout;       /* socket.timeout */
    PyObject *socket_error;         /* socket.error */
    PyTypeObject *socket_type;      /* _socket.socket */
    int cert_verification_error_is_ours;
    struct tlsb_interp_state *next; /* registry of live states */
} tlsb_interp_state;

/* This interpreter's state; never NULL once the module was imported. */
static tlsb_interp_state *tlsb_interp(void);
/* This interpreter's module (borrowed), or NULL. */
static PyObject *tlsb_interp_module(void);

static tlsb_module_state tlsb_state;

/* Error kinds: the values SSLError.errno takes for I/O errors, the same
 * numbers as the stdlib's SSL_ERROR_* constants. */
enum {
    TLSB_ERROR_ZERO_RETURN = 6,
    TLSB_ERROR_WANT_READ = 2,
    TLSB_ERROR_WANT_WRITE = 3,
    TLSB_ERROR_WANT_X509_LOOKUP = 4,
    TLSB_ERROR_SYSCALL = 5,
    TLSB_ERROR_SSL = 1,
    TLSB_ERROR_WANT_CONNECT = 7,
    TLSB_ERROR_EOF = 8,
    TLSB_ERROR_INVALID_ERROR_CODE = 10,
};

/* Session ID context of every context we make: without one OpenSSL
 * refuses to resume sessions when client certificates are requested. */
static const unsigned char tlsb_session_id_context[] = "_tls_bootstrap";

/* CERT_* values of verify_mode */
enum {
    TLSB_CERT_NONE = 0,
    TLSB_CERT_OPTIONAL = 1,
    TLSB_CERT_REQUIRED = 2,
};

/* The stdlib's default cipher string (3.10+), kept at security level 2. */
#define TLSB_DEFAULT_CIPHERS \
    "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"

/* ------------------------------------------------------------------ */
/* Objects                                                            */
/* ------------------------------------------------------------------ */

/* MemoryBIO (memorybio.c): a BIO_s_mem() that one Connection reads from or
 * writes to; Python code feeds and drains it. */
typedef struct {
    PyObject_HEAD
    BIO *bio;
    int eof_written;
} tlsb_MemoryBIO;

/* An OpenSSL call that may call back, and the thread state it released
 * (callbackgil.c). */
typedef struct {
    PyThreadState *state;       /* released for the call; NULL: GIL held */
    PyThreadState *outer;       /* the enclosing call's note, put back */
} tlsb_gil_release;

/* How a callback took the GIL (callbackgil.c). */
typedef struct {
    PyThreadState *noted;       /* the call's note when it started */
    PyGILState_STATE gilstate;  /* when there was none */
} tlsb_callback_gil;

/* Saved exception of a callback that ran inside an OpenSSL call; raised
 * by the Python-facing method once OpenSSL returns. */
typedef struct {
    PyObject *type;
    PyObject *value;
    PyObject *traceback;
} tlsb_pending_exc;

/* A context's settings lock (settingslock.c): shared for handshakes and
 * SSL_new(), exclusive for the setters that free what those read. */
typedef struct {
    pthread_mutex_t mutex;         /* guards the counts below */
    pthread_cond_t changed;        /* signalled when a holder leaves */
    int readers;                   /* threads holding it shared */
    int writer;                    /* a thread holds it exclusively */
    int writers_waiting;
    int ready;                     /* mutex and condition were made */
    unsigned long generation;      /* fork generation of the above (fork.c) */
} tlsb_settings_lock;

/* _SSLContext (context.c): wraps SSL_CTX; ssl.SSLContext subclasses it. */
typedef struct {
    PyObject_HEAD
    SSL_CTX *ctx;
    int protocol;                  /* PROTOCOL_* the context was made with */
    int check_hostname;
    int post_handshake_auth;
    unsigned int hostflags;        /* X509_CHECK_FLAG_* for hostnames */
    unsigned char *alpn_protocols; /* wire format, for the server's select */
    unsigned int alpn_protocols_len;
    PyObject *sni_callback;        /* called as cb(sslobj, name, ctx) */
    PyObject *msg_callback;
    PyObject *keylog_filename;
    BIO *keylog_bio;
    PyObject *psk_client_callback;
    PyObject *psk_server_callback;
    PyObject *verify_callback;     /* pyossl_hooks.c */
    PyObject *info_callback;
    PyObject *keylog_callback;
    PyObject *alpn_select_callback;
    PyObject *ocsp_callback;
    tlsb_settings_lock settings_lock;  /* see settingslock.c */
    PyObject *weakreflist;
} tlsb_Context;

/* settingslock.c: handshakes and SSL_new() hold the context's settings
 * shared, the setters that free what they read hold them exclusively. */
static void tlsb_settings_acquire(tlsb_Context *ctx, int exclusive, int gil_held);
static void tlsb_settings_release(tlsb_Context *ctx);

/* _Connection (tlsobject.c): one TLS connection, over memory BIOs or over
 * a socket; SSLObject is its Python subclass, SSLSocket holds one. */
typedef struct {
    PyObject_HEAD
    SSL *ssl;
    tlsb_Context *context;         /* strong ref; may be switched by SNI */
    tlsb_Context *session_context; /* strong ref: the context it was made
                                      with, OpenSSL's session ctx for life */
    PyObject *socket;              /* weakref to the Python socket, or NULL */
    tlsb_MemoryBIO *incoming;      /* memory-BIO mode only */
    tlsb_MemoryBIO *outgoing;
    PyObject *owner;               /* weakref to SSLObject/SSLSocket, or NULL */
    PyObject *server_hostname;     /* native str or None */
    int server_side;
    int handshake_done;
    tlsb_pending_exc callback_exc; /* from sni/psk/msg callbacks */
    PyObject *psk_identity;        /* bytes OpenSSL points at (TLS 1.3 PSK) */
    PyObject *callback_cause;      /* SNI/PSK callback's exception, reported
                                      as unraisable, kept for __cause__ */
    PyThreadState *released_tstate;/* set while the GIL is released */
    int io_threads;                /* threads inside its I/O loop */
    int io_interrupted;            /* the socket was closed under them */
    unsigned long io_generation;   /* fork generation of io_threads (fork.c) */
    int io_inherited;              /* made before a fork: socket shared */
    int orphan_fd;                 /* closed socket's fd kept for the threads
                                      inside, -1; see tlsobject.c */
    PyObject *green_wait;          /* strong ref: a green socket's wait, or
                                      NULL (tlsobject.c, "green sockets") */
    PyObject *weakreflist;
} tlsb_Connection;

/* Certificate (certdecode.c): one certificate of a chain */
typedef struct {
    PyObject_HEAD
    X509 *cert;
} tlsb_Certificate;

/* SSLSession (session.c) */
typedef struct {
    PyObject_HEAD
    SSL_SESSION *session;
    tlsb_Context *context;
} tlsb_Session;

/* State of one load_cert_chain()/load_cert_chain_data() call, seen by the password callback. */
typedef struct {
    PyObject *callable;          /* password=callable, or NULL */
    char *password;              /* password=str/bytes, or the callable's */
    int password_len;
    PyObject *password_holder;   /* keeps *password alive */
    int failed;                  /* the callable raised: don't call again */
    tlsb_pending_exc exc;
} tlsb_password_info;

/* ------------------------------------------------------------------ */
/* Cross-part prototypes                                              */
/* ------------------------------------------------------------------ */

/* errors.c: the one place that turns OpenSSL state into exceptions. */

/* What an SSL_* I/O call left behind, captured right after the call (the
 * GIL may still be released, and reacquiring it can clobber errno). */
typedef struct {
    int ret;           /* the call's return value */
    int ssl_error;     /* SSL_get_error(ssl, ret) */
    int sys_errno;     /* errno just after the call */
} tlsb_io_status;

static void tlsb_capture_io_status(SSL *ssl, int ret, tlsb_io_status *status);
static PyObject *tlsb_raise_io_error(tlsb_Connection *conn,
                                     const tlsb_io_status *status);
static PyObject *tlsb_raise_from_queue(PyObject *exc_type);
static PyObject *tlsb_raise_key_load_error(void);
static int tlsb_is_bad_decrypt(unsigned long code);
static PyObject *tlsb_raise_message(PyObject *exc_type, int errno_value,
                                    const char *message);
static PyObject *tlsb_raise_queue_with_text(PyObject *exc_type,
                                            const char *text);
static PyObject *tlsb_raise_errno(int err);
static int tlsb_errors_global_init(void);
static int tlsb_errors_init(PyObject *module);
static void tlsb_interp_state_free(tlsb_interp_state *here);
static PyObject *tlsb_bind_interpreter(PyObject *module, PyObject *unused);

static void tlsb_pending_exc_save(tlsb_pending_exc *slot);
static void tlsb_callback_failed_unraisable(tlsb_Connection *conn, PyObject *where);
static void tlsb_attach_callback_cause(tlsb_Connection *conn);
static int tlsb_pending_exc_raise(tlsb_pending_exc *slot);
static void tlsb_pending_exc_clear(tlsb_pending_exc *slot);

/* certdecode.c: certificates as getpeercert()'s dict and as DER. */
static PyObject *tlsb_decode_certificate(X509 *cert);
static PyObject *tlsb_certificate_to_der(X509 *cert);
static PyObject *tlsb_certificate_wrap(X509 *cert);
static X509 *tlsb_certificate_from_der(const unsigned char *der, Py_ssize_t len);

/* tlsobject.c */
static PyObject *tlsb_connection_owner(tlsb_Connection *conn);
static int tlsb_socket_head_init(void);
static PyObject *tlsb_Context_wrap_bio(tlsb_Context *ctx, PyObject *args,
                                       PyObject *kwargs);
static PyObject *tlsb_Context_wrap_socket(tlsb_Context *ctx, PyObject *args,
                                          PyObject *kwargs);

/* session.c */
static PyObject *tlsb_session_wrap(SSL_SESSION *session, tlsb_Context *ctx);
static SSL_SESSION *tlsb_session_get(PyObject *obj);
static tlsb_Context *tlsb_session_context(PyObject *obj);

/* context.c */
static PyObject *tlsb_cipher_to_dict(const SSL_CIPHER *cipher);
static int tlsb_password_from_object(tlsb_password_info *info, PyObject *password,
                                     int from_callback);
static int tlsb_password_callback(char *buf, int size, int rwflag, void *userdata);
static PyObject *tlsb_raise_load_error(PyObject *path);

/* memcert.c */
static PyObject *tlsb_Context_load_cert_chain_data(tlsb_Context *self,
                                                   PyObject *args, PyObject *kwargs);

/* keylog.c, msgcallback.c, psk.c, algorithms.c: parts of _SSLContext and
 * _Connection listed in the type tables of context.c and tlsobject.c */
static PyObject *tlsb_Context_get_keylog_filename(tlsb_Context *self, void *closure);
static int tlsb_Context_set_keylog_filename(tlsb_Context *self, PyObject *value,
                                            void *closure);
static int tlsb_keylog_init(PyObject *module);
static PyObject *tlsb_Context_get_msg_callback(tlsb_Context *self, void *closure);
static int tlsb_Context_set_msg_callback(tlsb_Context *self, PyObject *value,
                                         void *closure);
static PyObject *tlsb_Context_set_psk_client_callback(tlsb_Context *self,
                                                      PyObject *args, PyObject *kwargs);
static PyObject *tlsb_Context_set_psk_server_callback(tlsb_Context *self,
                                                      PyObject *args, PyObject *kwargs);
static PyObject *tlsb_Context_set_ciphersuites(tlsb_Context *self, PyObject *args);
static PyObject *tlsb_Context_set_groups(tlsb_Context *self, PyObject *args);
static PyObject *tlsb_Context_get_groups(tlsb_Context *self, PyObject *args,
                                         PyObject *kwargs);
static PyObject *tlsb_Context_set_client_sigalgs(tlsb_Context *self, PyObject *args);
static PyObject *tlsb_Context_set_server_sigalgs(tlsb_Context *self, PyObject *args);
static PyObject *tlsb_Connection_group(tlsb_Connection *self, PyObject *unused);
static PyObject *tlsb_Connection_client_sigalg(tlsb_Connection *self, PyObject *unused);
static PyObject *tlsb_Connection_server_sigalg(tlsb_Connection *self, PyObject *unused);
static PyObject *tlsb_get_sigalgs(PyObject *module, PyObject *unused);
static PyObject *tlsb_missing_features(void);
/* pyossl_hooks.c: callbacks of the pyOpenSSL layer, in context.c's table */
static int tlsb_verify_callback(int ok, X509_STORE_CTX *store);
static PyObject *tlsb_Context_get_verify_callback(tlsb_Context *self, void *closure);
static int tlsb_Context_set_verify_callback(tlsb_Context *self, PyObject *value,
                                            void *closure);
static PyObject *tlsb_Context_get_info_callback(tlsb_Context *self, void *closure);
static int tlsb_Context_set_info_callback(tlsb_Context *self, PyObject *value,
                                          void *closure);
static PyObject *tlsb_Context_get_keylog_callback(tlsb_Context *self, void *closure);
static int tlsb_Context_set_keylog_callback(tlsb_Context *self, PyObject *value,
                                            void *closure);
static PyObject *tlsb_Context_cert_store(tlsb_Context *self, PyObject *unused);
static PyObject *tlsb_Context_get_alpn_select_callback(tlsb_Context *self, void *closure);
static int tlsb_Context_set_alpn_select_callback(tlsb_Context *self, PyObject *value,
                                                 void *closure);
static PyObject *tlsb_Context_get_ocsp_callback(tlsb_Context *self, void *closure);
static int tlsb_Context_set_ocsp_callback(tlsb_Context *self, PyObject *value,
                                          void *closure);
static int tlsb_connection_check(tlsb_Connection *self);

/* Type objects, for isinstance checks across parts. */
static PyTypeObject tlsb_MemoryBIO_Type;
static PyTypeObject tlsb_Context_Type;
static PyTypeObject tlsb_Connection_Type;
static PyTypeObject tlsb_Session_Type;
static PyTypeObject tlsb_Certificate_Type;

/* ------------------------------------------------------------------ */
/* crypto and rand (crypto_*.c): pyOpenSSL's OpenSSL.crypto API        */
/* ------------------------------------------------------------------ */

/* X509 (crypto_x509.c): owns one X509. */
typedef struct {
    PyObject_HEAD
    X509 *x509;
} tlsb_X509;

/* X509Name (crypto_name.c).  Either owns a name (own != NULL), or is a
 * view of the subject or issuer of an X509/X509Req it holds a reference
 * to; a view looks the name up on every use, so set_subject() on the
 * owner never leaves it dangling. */
enum { TLSB_NAME_OWNED, TLSB_NAME_SUBJECT, TLSB_NAME_ISSUER };
typedef struct {
    PyObject_HEAD
    X509_NAME *own;
    PyObject *owner;               /* tlsb_X509 or tlsb_X509Req, or NULL */
    int which;
} tlsb_X509Name;

/* X509Extension (crypto_ext.c): owns one X509_EXTENSION. */
typedef struct {
    PyObject_HEAD
    X509_EXTENSION *ext;
} tlsb_X509Extension;

/* X509Req (crypto_req.c): owns one X509_REQ. */
typedef struct {
    PyObject_HEAD
    X509_REQ *req;
} tlsb_X509Req;

/* PKey (crypto_pkey.c): NULL until generate_key(); only_public for keys
 * taken from certificates, requests and public-key files. */
typedef struct {
    PyObject_HEAD
    EVP_PKEY *pkey;
    int only_public;
} tlsb_PKey;

/* Revoked, CRL (crypto_crl.c): each owns one X509_REVOKED / X509_CRL. */
typedef struct {
    PyObject_HEAD
    X509_REVOKED *revoked;
} tlsb_Revoked;

typedef struct {
    PyObject_HEAD
    X509_CRL *crl;
} tlsb_CRL;

/* PKCS7 (crypto_pkcs7.c): owns one PKCS7. */
typedef struct {
    PyObject_HEAD
    PKCS7 *p7;
} tlsb_PKCS7;

/* NetscapeSPKI (crypto_spki.c): owns one NETSCAPE_SPKI. */
typedef struct {
    PyObject_HEAD
    NETSCAPE_SPKI *spki;
} tlsb_NetscapeSPKI;

/* X509Store (crypto_store.c): owns one X509_STORE. */
typedef struct {
    PyObject_HEAD
    X509_STORE *store;
} tlsb_X509Store;

static PyTypeObject tlsb_X509_Type;
static PyTypeObject tlsb_Revoked_Type;
static PyTypeObject tlsb_CRL_Type;
static PyTypeObject tlsb_PKCS7_Type;
static PyTypeObject tlsb_NetscapeSPKI_Type;
static PyTypeObject tlsb_X509Name_Type;
static PyTypeObject tlsb_X509Extension_Type;
static PyTypeObject tlsb_X509Req_Type;
static PyTypeObject tlsb_PKey_Type;
static PyTypeObject tlsb_X509Store_Type;

/* crypto_module.c: the module objects and what every part uses. */
static int tlsb_crypto_init(PyObject *module);
static PyObject *tlsb_crypto_raise(void);          /* crypto.Error from the queue */
static PyObject *tlsb_crypto_raise_message(const char *message);
static PyObject *tlsb_crypto_raise_reason(const char *reason);  /* Error([(.., .., reason)]) */
/* Wrappers that take ownership of the OpenSSL object (freed on failure). */
static PyObject *tlsb_X509_wrap(X509 *x509);
static PyObject *tlsb_PKey_wrap(EVP_PKEY *pkey, int only_public);
static PyObject *tlsb_X509Extension_wrap(X509_EXTENSION *ext);
static PyObject *tlsb_X509Name_view(PyObject *owner, int which);
static PyObject *tlsb_X509Req_wrap(X509_REQ *req);
static X509_REQ *tlsb_crypto_req_get(PyObject *obj);

/* The parts' init steps, called by tlsb_crypto_init; each adds its types
 * and functions to the crypto module. */
static int tlsb_crypto_x509_init(PyObject *crypto);
static int tlsb_crypto_name_init(PyObject *crypto);
static int tlsb_crypto_ext_init(PyObject *crypto);
static int tlsb_crypto_req_init(PyObject *crypto);
static int tlsb_crypto_pkey_init(PyObject *crypto);
static int tlsb_crypto_store_init(PyObject *crypto);
static int tlsb_crypto_pkcs12_init(PyObject *crypto);
static int tlsb_crypto_crl_init(PyObject *crypto);
static int tlsb_crypto_pkcs7_init(PyObject *crypto);
static int tlsb_crypto_spki_init(PyObject *crypto);
static X509_CRL *tlsb_crypto_crl_get(PyObject *obj);     /* borrowed */
static PyObject *tlsb_CRL_wrap(X509_CRL *crl);
static PyObject *tlsb_rand_make_module(void);

/* Modules/_tls_bootstrap.c: PyType_Ready and add to a module. */
static int tlsb_add_type(PyObject *module, PyTypeObject *type, const char *name);

/* Bridges for the SSLContext code: borrowed pointers, or NULL with
 * TypeError when obj is not a crypto.X509 / crypto.PKey (ValueError for a
 * PKey that holds no key yet). */
static X509 *tlsb_crypto_x509_get(PyObject *obj);
static EVP_PKEY *tlsb_crypto_pkey_get(PyObject *obj);

/* errors.c, "crypto.Error" section: pyOpenSSL's error list. */
static PyObject *tlsb_crypto_error_list(void);
static PyObject *tlsb_raise_crypto_error(PyObject *error_class);

#endif /* TLSB_INTERNAL_H */
