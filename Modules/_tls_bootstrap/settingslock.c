/* settingslock.c: a context's settings lock.
 *
 * OpenSSL's connections read their SSL_CTX's cipher lists, certificate
 * store lookups, groups and our ALPN list while they handshake (and
 * SSL_new() copies the chain, key and PSK hint), without a lock: a setter
 * replacing one of those on a context whose connections handshake in
 * other threads frees what they read (3.13's ssl crashes so;
 * test_concurrency.py).  So handshake steps and SSL_new() hold the
 * context shared, and every setter that replaces such a setting
 * (ciphers, suites, groups, sigalgs, DH parameters, ALPN, certificate
 * chains, verify locations, the PSK hint) holds it exclusively.
 *
 * Rules of this file:
 * - Never block with the GIL held: a holder may need it for a callback.
 * - A thread that already holds a context (a callback inside a handshake
 *   changing or wrapping on its own context) does not lock it again: a
 *   read-write lock is not recursive, and waiting would deadlock.
 */

/* Contexts the current thread holds, innermost last; more nesting than
 * this is only counted (and not locked). */
#define TLSB_SETTINGS_NESTING 8

typedef struct {
    tlsb_Context *ctx;
    int locked;
} tlsb_settings_hold;

static TLSB_THREAD_LOCAL tlsb_settings_hold tlsb_settings_held[TLSB_SETTINGS_NESTING];
static TLSB_THREAD_LOCAL int tlsb_settings_depth;
static TLSB_THREAD_LOCAL int tlsb_settings_overflow;

/* Called once from tlsb_Context_new; a context whose lock could not be
 * made is used unlocked (as OpenSSL itself would be). */
static void
tlsb_settings_init(tlsb_Context *ctx)
{
    pthread_rwlockattr_t attr;

    if (pthread_rwlockattr_init(&attr) != 0)
        return;
#ifdef __GLIBC__
    /* Setters must not starve behind a stream of handshakes. */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    ctx->settings_lock_ready = pthread_rwlock_init(&ctx->settings_lock, &attr) == 0;
    pthread_rwlockattr_destroy(&attr);
}

static void
tlsb_settings_fini(tlsb_Context *ctx)
{
    if (ctx->settings_lock_ready)
        pthread_rwlock_destroy(&ctx->settings_lock);
    ctx->settings_lock_ready = 0;
}

static void
tlsb_settings_acquire(tlsb_Context *ctx, int exclusive, int gil_held)
{
    int i, nested = 0, busy;

    if (tlsb_settings_depth == TLSB_SETTINGS_NESTING) {
        tlsb_settings_overflow++;
        return;
    }
    for (i = 0; i < tlsb_settings_depth; i++)
        nested |= tlsb_settings_held[i].ctx == ctx;
    tlsb_settings_held[tlsb_settings_depth].ctx = ctx;
    tlsb_settings_held[tlsb_settings_depth].locked = !nested && ctx->settings_lock_ready;
    if (!tlsb_settings_held[tlsb_settings_depth++].locked)
        return;
    busy = exclusive ? pthread_rwlock_trywrlock(&ctx->settings_lock)
                     : pthread_rwlock_tryrdlock(&ctx->settings_lock);
    if (busy == 0)
        return;
    if (gil_held) {
        PyThreadState *thread_state = PyEval_SaveThread();
        if (exclusive)
            pthread_rwlock_wrlock(&ctx->settings_lock);
        else
            pthread_rwlock_rdlock(&ctx->settings_lock);
        PyEval_RestoreThread(thread_state);
    } else if (exclusive) {
        pthread_rwlock_wrlock(&ctx->settings_lock);
    } else {
        pthread_rwlock_rdlock(&ctx->settings_lock);
    }
}

/* Releases the innermost hold of the current thread (on ctx). */
static void
tlsb_settings_release(tlsb_Context *ctx)
{
    tlsb_settings_hold *hold;

    if (tlsb_settings_overflow > 0) {
        tlsb_settings_overflow--;
        return;
    }
    hold = &tlsb_settings_held[--tlsb_settings_depth];
    assert(hold->ctx == ctx);
    if (hold->locked)
        pthread_rwlock_unlock(&ctx->settings_lock);
}
