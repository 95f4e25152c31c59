/* tls_limit: the benchmark's workloads driven by OpenSSL directly, with
 * the settings CPython's ssl module (3.11-3.13) gives its contexts and
 * connections.  It is the physical limit of a Python binding of the same
 * libssl: every Python stack does the same OpenSSL calls in the same order,
 * plus its own overhead.
 *
 *   tls_limit WORKLOAD CERTDIR COUNT
 *
 * WORKLOAD  w1-tls13   full handshakes over memory BIOs, ECDSA P-256, TLS 1.3
 *           w1-tls12   the same with RSA-2048, TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256
 *           w2         COUNT bytes, 16 KiB writes, through a memory-BIO pair
 *           w3         COUNT 64-byte writes, one record each
 *           w4         COUNT bytes over loopback TCP (TCP_NODELAY, blocking),
 *                      client and server in two processes (fork)
 *           mem        RSS per idle connection pair after COUNT handshakes
 *           threads    w1-tls13 handshakes/s in 2 threads / in 1 thread, the
 *                      threads sharing both contexts (COUNT per thread)
 * CERTDIR   made by bench/run.py: ca-ec.pem, server-ec.pem, server-ec.key,
 *           ca-rsa.pem, server-rsa.pem, server-rsa.key
 *
 * Prints one JSON object on stdout (the value, its unit, what was
 * negotiated).  The group and suite are pinned by OPENSSL_CONF (see
 * bench/openssl-bench.cnf), as for every stack.
 *
 * Rules of this file: mirror what the stdlib's _ssl does per call (one
 * SSL_read into a buffer of the size Python asks for, the outgoing memory
 * BIO drained into a buffer then written into the peer's incoming BIO), no
 * shortcuts a Python program could not take.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define HOSTNAME "localhost"
#define CHUNK 16384
#define SMALL 64
/* The stdlib's cipher string (3.10+). */
#define STDLIB_CIPHERS \
    "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"
#define TLS12_CIPHER "ECDHE-RSA-AES128-GCM-SHA256"

static void
die(const char *what)
{
    fprintf(stderr, "tls_limit: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(2);
}

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
rss_bytes(void)
{
    long size, resident;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (statm == NULL || fscanf(statm, "%ld %ld", &size, &resident) != 2)
        die("cannot read /proc/self/statm");
    fclose(statm);
    return resident * sysconf(_SC_PAGESIZE);
}

/* ------------------------------------------------------------------ */
/* Contexts: what ssl.SSLContext(PROTOCOL_TLS_CLIENT / _SERVER) sets   */
/* ------------------------------------------------------------------ */

static char certdir[4096];

static const char *
certpath(const char *name)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s", certdir, name);
    return path;
}

static SSL_CTX *
make_context(int server, const char *kind, int tls12)
{
    char name[64];
    uint64_t options = (SSL_OP_ALL & ~SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS
                        & ~SSL_OP_LEGACY_SERVER_CONNECT)
                       | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION
                       | SSL_OP_CIPHER_SERVER_PREFERENCE
                       | SSL_OP_ENABLE_MIDDLEBOX_COMPAT;
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    X509_VERIFY_PARAM *param;

    if (ctx == NULL)
        die("SSL_CTX_new");
    SSL_CTX_clear_options(ctx, SSL_CTX_get_options(ctx));
    SSL_CTX_set_options(ctx, options);
    SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"Python",
                                   sizeof("Python"));
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
        die("min version");
    if (!SSL_CTX_set_cipher_list(ctx, STDLIB_CIPHERS))
        die("cipher list");
    param = SSL_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_TRUSTED_FIRST);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (server) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        snprintf(name, sizeof name, "server-%s.pem", kind);
        if (SSL_CTX_use_certificate_chain_file(ctx, certpath(name)) != 1)
            die("server certificate");
        snprintf(name, sizeof name, "server-%s.key", kind);
        if (SSL_CTX_use_PrivateKey_file(ctx, certpath(name), SSL_FILETYPE_PEM) != 1)
            die("server key");
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        snprintf(name, sizeof name, "ca-%s.pem", kind);
        if (SSL_CTX_load_verify_locations(ctx, certpath(name), NULL) != 1)
            die("CA file");
    }
    if (tls12) {
        if (!SSL_CTX_set_cipher_list(ctx, TLS12_CIPHER))
            die("TLS 1.2 cipher");
        if (!server && !SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION))
            die("max version");
    }
    return ctx;
}

/* What wrap_bio()/wrap_socket() does per connection. */
static SSL *
make_connection(SSL_CTX *ctx, int server)
{
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL)
        die("SSL_new");
    SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY);
    if (server) {
        SSL_set_accept_state(ssl);
    } else {
        SSL_set_connect_state(ssl);
        if (!SSL_set_tlsext_host_name(ssl, HOSTNAME) ||
            !X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl), HOSTNAME, 0))
            die("server_hostname");
    }
    return ssl;
}

/* ------------------------------------------------------------------ */
/* Memory-BIO pairs                                                    */
/* ------------------------------------------------------------------ */

typedef struct {
    SSL *ssl;
    BIO *incoming, *outgoing;   /* ssl.MemoryBIO() x 2 */
} endpoint;

static BIO *
memory_bio(void)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        die("BIO_new");
    BIO_set_mem_eof_return(bio, -1);
    return bio;
}

static void
endpoint_open(endpoint *end, SSL_CTX *ctx, int server)
{
    end->ssl = make_connection(ctx, server);
    end->incoming = memory_bio();
    end->outgoing = memory_bio();
    /* The MemoryBIO objects keep their own reference, as in Python. */
    BIO_up_ref(end->incoming);
    BIO_up_ref(end->outgoing);
    SSL_set_bio(end->ssl, end->incoming, end->outgoing);
}

static void
endpoint_close(endpoint *end)
{
    SSL_free(end->ssl);
    BIO_free(end->incoming);
    BIO_free(end->outgoing);
}

/* outgoing.read() then peer_incoming.write(data): one buffer of what is
 * pending, as MemoryBIO.read() makes one bytes object. */
static __thread unsigned char pump_buffer[1 << 20];

static size_t
pump(endpoint *from, endpoint *to)
{
    size_t pending = BIO_ctrl_pending(from->outgoing);
    int n;
    if (pending == 0)
        return 0;
    if (pending > sizeof pump_buffer)
        die("pump buffer too small");
    n = BIO_read(from->outgoing, pump_buffer, (int)pending);
    if (n <= 0 || BIO_write(to->incoming, pump_buffer, n) != n)
        die("pump");
    return (size_t)n;
}

static __thread unsigned char read_buffer[CHUNK];

/* do_handshake() on both ends until both complete, then one read() on the
 * client (it takes the TLS 1.3 session tickets), as the Python stacks do. */
static void
handshake(endpoint *client, endpoint *server)
{
    int client_done = 0, server_done = 0, rc;

    while (!client_done || !server_done) {
        if (!client_done) {
            int rc = SSL_do_handshake(client->ssl);
            if (rc == 1)
                client_done = 1;
            else if (SSL_get_error(client->ssl, rc) != SSL_ERROR_WANT_READ)
                die("client handshake");
            pump(client, server);
        }
        if (!server_done) {
            int rc = SSL_do_handshake(server->ssl);
            if (rc == 1)
                server_done = 1;
            else if (SSL_get_error(server->ssl, rc) != SSL_ERROR_WANT_READ)
                die("server handshake");
            pump(server, client);
        }
    }
    rc = SSL_read(client->ssl, read_buffer, CHUNK);
    if (rc > 0 || SSL_get_error(client->ssl, rc) != SSL_ERROR_WANT_READ)
        die("client read after the handshake");
}

/* ------------------------------------------------------------------ */
/* Report                                                              */
/* ------------------------------------------------------------------ */

static void
report(const char *workload, double value, const char *unit, double count,
       double seconds, SSL *ssl, SSL_CTX *ctx, const char *extra)
{
    const char *group = "";
    int nid = 0;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    nid = SSL_get_negotiated_group(ssl);
#else
    /* 1.1.1 has no SSL_get_negotiated_group(): the peer's ephemeral key. */
    EVP_PKEY *key = NULL;
    if (SSL_get_peer_tmp_key(ssl, &key) == 1) {
        nid = EVP_PKEY_id(key);
        if (nid == EVP_PKEY_EC)
            nid = EC_GROUP_get_curve_name(EC_KEY_get0_group(EVP_PKEY_get0_EC_KEY(key)));
        EVP_PKEY_free(key);
    }
#endif
    if (nid > 0 && OBJ_nid2sn(nid) != NULL)
        group = OBJ_nid2sn(nid);
    printf("{\"workload\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", "
           "\"count\": %.0f, \"seconds\": %.6f, \"protocol\": \"%s\", "
           "\"cipher\": \"%s\", \"group\": \"%s\", \"verified\": %s, "
           "\"options\": %llu, \"openssl\": \"%s\"%s}\n",
           workload, value, unit, count, seconds, SSL_get_version(ssl),
           SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)), group,
           SSL_get_verify_result(ssl) == X509_V_OK && SSL_get_peer_cert_chain(ssl) ? "true" : "false",
           (unsigned long long)SSL_CTX_get_options(ctx),
           OpenSSL_version(OPENSSL_VERSION), extra ? extra : "");
}

/* ------------------------------------------------------------------ */
/* Workloads                                                           */
/* ------------------------------------------------------------------ */

static void
w1(const char *workload, long count)
{
    int tls12 = strcmp(workload, "w1-tls12") == 0;
    const char *kind = tls12 ? "rsa" : "ec";
    SSL_CTX *client_ctx = make_context(0, kind, tls12);
    SSL_CTX *server_ctx = make_context(1, kind, tls12);
    endpoint client, server;
    long warmup = count / 10 + 1, i;
    double start = 0, seconds;

    for (i = 0; i < warmup + count; i++) {
        if (i == warmup)
            start = now();
        endpoint_open(&client, client_ctx, 0);
        endpoint_open(&server, server_ctx, 1);
        handshake(&client, &server);
        if (i < warmup + count - 1) {
            endpoint_close(&client);
            endpoint_close(&server);
        }
    }
    seconds = now() - start;
    report(workload, count / seconds, "handshakes/s", count, seconds,
           client.ssl, client_ctx, NULL);
    endpoint_close(&client);
    endpoint_close(&server);
    SSL_CTX_free(client_ctx);
    SSL_CTX_free(server_ctx);
}

/* threads: COUNT handshakes in each of N threads sharing the contexts. */
typedef struct {
    SSL_CTX *client_ctx, *server_ctx;
    long count;
} handshake_job;

static void *
handshake_thread(void *arg)
{
    handshake_job *job = arg;
    endpoint client, server;
    long i;

    for (i = 0; i < job->count; i++) {
        endpoint_open(&client, job->client_ctx, 0);
        endpoint_open(&server, job->server_ctx, 1);
        handshake(&client, &server);
        endpoint_close(&client);
        endpoint_close(&server);
    }
    return NULL;
}

/* CPU seconds of all the process's threads. */
static double
process_cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Handshakes per second of `threads` threads, `count` each; *busy gets
 * the cores kept busy meanwhile (CPU seconds per second). */
static double
handshake_rate(handshake_job *job, int threads, double *busy)
{
    pthread_t ids[2];
    double cpu_start = process_cpu_seconds(), start = now(), seconds;
    int i;

    for (i = 0; i < threads; i++)
        if (pthread_create(&ids[i], NULL, handshake_thread, job) != 0)
            die("pthread_create");
    for (i = 0; i < threads; i++)
        pthread_join(ids[i], NULL);
    seconds = now() - start;
    *busy = (process_cpu_seconds() - cpu_start) / seconds;
    return threads * job->count / seconds;
}

static void
threads(long count)
{
    SSL_CTX *client_ctx = make_context(0, "ec", 0);
    SSL_CTX *server_ctx = make_context(1, "ec", 0);
    handshake_job job = {client_ctx, server_ctx, count / 10 + 1};
    endpoint client, server;
    double one, two, busy;
    char extra[160];

    handshake_rate(&job, 1, &busy);                /* warm-up */
    job.count = count;
    one = handshake_rate(&job, 1, &busy);
    two = handshake_rate(&job, 2, &busy);
    snprintf(extra, sizeof extra,
             ", \"rate_1\": %.6g, \"rate_2\": %.6g, \"busy_2\": %.4g", one, two, busy);
    endpoint_open(&client, client_ctx, 0);
    endpoint_open(&server, server_ctx, 1);
    handshake(&client, &server);
    report("threads", two / one, "x (2 threads / 1)", count, 0, client.ssl, client_ctx,
           extra);
    endpoint_close(&client);
    endpoint_close(&server);
    SSL_CTX_free(client_ctx);
    SSL_CTX_free(server_ctx);
}

/* w2 and w3: client.write(chunk); server_in.write(client_out.read());
 * server.read(16384) -- per record. */
static void
bulk(const char *workload, long count)
{
    int small = strcmp(workload, "w3") == 0;
    size_t size = small ? SMALL : CHUNK;
    long records = small ? count : (long)(count / CHUNK);
    long warmup = records / 10 + 1, i;
    SSL_CTX *client_ctx = make_context(0, "ec", 0);
    SSL_CTX *server_ctx = make_context(1, "ec", 0);
    endpoint client, server;
    unsigned char *data = calloc(1, CHUNK);
    double start = 0, seconds;

    endpoint_open(&client, client_ctx, 0);
    endpoint_open(&server, server_ctx, 1);
    handshake(&client, &server);
    for (i = 0; i < warmup + records; i++) {
        if (i == warmup)
            start = now();
        if (SSL_write(client.ssl, data, (int)size) != (int)size)
            die("SSL_write");
        pump(&client, &server);
        if (SSL_read(server.ssl, read_buffer, CHUNK) != (int)size)
            die("SSL_read");
    }
    seconds = now() - start;
    if (small)
        report(workload, records / seconds, "records/s", records, seconds,
               client.ssl, client_ctx, NULL);
    else
        report(workload, records * (double)CHUNK / seconds / (1 << 20), "MiB/s",
               records * (double)CHUNK, seconds, client.ssl, client_ctx, NULL);
    endpoint_close(&client);
    endpoint_close(&server);
    free(data);
}

static void
mem(long count)
{
    SSL_CTX *client_ctx = make_context(0, "ec", 0);
    SSL_CTX *server_ctx = make_context(1, "ec", 0);
    endpoint *clients = calloc(count, sizeof(endpoint));
    endpoint *servers = calloc(count, sizeof(endpoint));
    long i, before, after;
    double start;
    char extra[128];

    for (i = 0; i < 20; i++) {   /* warm up: one-time allocations */
        endpoint c, s;
        endpoint_open(&c, client_ctx, 0);
        endpoint_open(&s, server_ctx, 1);
        handshake(&c, &s);
        endpoint_close(&c);
        endpoint_close(&s);
    }
    before = rss_bytes();
    start = now();
    for (i = 0; i < count; i++) {
        endpoint_open(&clients[i], client_ctx, 0);
        endpoint_open(&servers[i], server_ctx, 1);
        handshake(&clients[i], &servers[i]);
    }
    after = rss_bytes();
    snprintf(extra, sizeof extra, ", \"rss_before\": %ld, \"rss_after\": %ld", before, after);
    report("mem", (after - before) / (double)count / 1024.0, "KiB/connection",
           count, now() - start, clients[0].ssl, client_ctx, extra);
    for (i = 0; i < count; i++) {
        endpoint_close(&clients[i]);
        endpoint_close(&servers[i]);
    }
    free(clients);
    free(servers);
}

/* w4: the parent connects and sends, the forked child accepts and
 * receives, then answers one byte; timed in the parent from the first
 * write to that byte. */
static void
w4(long count)
{
    SSL_CTX *client_ctx = make_context(0, "ec", 0);
    SSL_CTX *server_ctx = make_context(1, "ec", 0);
    struct sockaddr_in addr;
    socklen_t addrlen = sizeof addr;
    int one = 1, listener, fd, status;
    long records = count / CHUNK, i;
    unsigned char *data = calloc(1, CHUNK);
    pid_t child;
    SSL *ssl;
    double start, seconds;

    listener = socket(AF_INET, SOCK_STREAM, 0);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        listen(listener, 1) < 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &addrlen) < 0)
        die("listen");
    fflush(stdout);
    child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        long total = 0;
        int n;
        fd = accept(listener, NULL, NULL);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ssl = make_connection(server_ctx, 1);
        SSL_set_fd(ssl, fd);
        if (SSL_do_handshake(ssl) != 1)
            die("server handshake");
        while (total < records * (long)CHUNK) {
            n = SSL_read(ssl, data, CHUNK);
            if (n <= 0)
                die("server read");
            total += n;
        }
        if (SSL_write(ssl, "k", 1) != 1)
            die("server ack");
        SSL_shutdown(ssl);
        SSL_free(ssl);
        close(fd);
        _exit(0);
    }
    close(listener);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        die("connect");
    ssl = make_connection(client_ctx, 0);
    SSL_set_fd(ssl, fd);
    if (SSL_do_handshake(ssl) != 1)
        die("client handshake");
    start = now();
    for (i = 0; i < records; i++) {
        if (SSL_write(ssl, data, CHUNK) != CHUNK)
            die("client write");
    }
    if (SSL_read(ssl, data, 1) != 1)
        die("client ack");
    seconds = now() - start;
    if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("server process failed");
    report("w4", records * (double)CHUNK / seconds / (1 << 20), "MiB/s",
           records * (double)CHUNK, seconds, ssl, client_ctx, NULL);
    SSL_free(ssl);
    close(fd);
    free(data);
}

int
main(int argc, char **argv)
{
    long count;

    if (argc != 4) {
        fprintf(stderr, "usage: tls_limit w1-tls13|w1-tls12|w2|w3|w4|mem|threads CERTDIR COUNT\n");
        return 2;
    }
    snprintf(certdir, sizeof certdir, "%s", argv[2]);
    count = atol(argv[3]);
    if (count <= 0)
        die("COUNT must be positive");
    if (!OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CONFIG, NULL))
        die("OPENSSL_init_ssl");
    if (strncmp(argv[1], "w1-", 3) == 0)
        w1(argv[1], count);
    else if (strcmp(argv[1], "w2") == 0 || strcmp(argv[1], "w3") == 0)
        bulk(argv[1], count);
    else if (strcmp(argv[1], "w4") == 0)
        w4(count);
    else if (strcmp(argv[1], "mem") == 0)
        mem(count);
    else if (strcmp(argv[1], "threads") == 0)
        threads(count);
    else
        die("unknown workload");
    return 0;
}
