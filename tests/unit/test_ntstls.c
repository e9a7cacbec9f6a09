/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ntstls.c against a GnuTLS server on loopback in a thread: the keys
 * both sides export (the exporter's context octets written out here from
 * RFC 8915 section 5.1), and what ntstls_fetch() refuses: a certificate for
 * another name or address, an address only in a DNS name or the CN, no
 * ALPN, TLS 1.2, an Error record, an answer that agrees on nothing, silence;
 * and the class of each failure (ntstls.h): the server cannot be reached, or
 * TLS or NTS-KE failed. The certificates are made here with GnuTLS,
 * self-signed, and trusted directly.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "nts.h"
#include "ntstls.h"

#include "cunit_main.h"

enum srv_mode { SRV_OK, SRV_NO_ALPN, SRV_TLS12, SRV_ERROR, SRV_NO_AEAD, SRV_NO_PROTO, SRV_SILENT };

static struct {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
	char cafile[64];
	int lfd;
	struct sockaddr_in addr;
	enum srv_mode mode;
	pthread_t th;
	struct nts_keys keys;		  /* what the server exported */
	uint8_t raw_c2s[64], raw_s2c[64]; /* by hand, from the RFC's context */
	int done;
} t;

/* A self-signed certificate: CN @cn, an IP SAN @ip (or none), a DNS SAN @dns. */
static void
make_cert(const char *cn, const char *ip, const char *dns)
{
	unsigned char serial[4] = {1, 2, 3, 4};
	uint8_t a[4];
	gnutls_datum_t pem;
	const char *e;
	char dn[80];
	time_t now = time(NULL);
	FILE *f;

	if (t.crt) {
		gnutls_x509_crt_deinit(t.crt);
		gnutls_x509_privkey_deinit(t.key);
	}
	CU_ASSERT_FATAL(gnutls_x509_privkey_init(&t.key) == 0);
	CU_ASSERT_FATAL(gnutls_x509_privkey_generate(
				t.key, GNUTLS_PK_ECDSA,
				GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) == 0);
	CU_ASSERT_FATAL(gnutls_x509_crt_init(&t.crt) == 0);
	gnutls_x509_crt_set_version(t.crt, 3);
	gnutls_x509_crt_set_serial(t.crt, serial, sizeof(serial));
	gnutls_x509_crt_set_activation_time(t.crt, now - 3600);
	gnutls_x509_crt_set_expiration_time(t.crt, now + 86400);
	snprintf(dn, sizeof(dn), "CN=%s", cn);
	CU_ASSERT_FATAL(gnutls_x509_crt_set_dn(t.crt, dn, &e) == 0);
	CU_ASSERT_FATAL(gnutls_x509_crt_set_key(t.crt, t.key) == 0);
	if (ip) {
		inet_pton(AF_INET, ip, a);
		gnutls_x509_crt_set_subject_alt_name(t.crt, GNUTLS_SAN_IPADDRESS, a, 4,
						     GNUTLS_FSAN_APPEND);
	}
	if (dns)
		gnutls_x509_crt_set_subject_alt_name(t.crt, GNUTLS_SAN_DNSNAME, dns, strlen(dns),
						     GNUTLS_FSAN_APPEND);
	gnutls_x509_crt_set_basic_constraints(t.crt, 1, -1);
	gnutls_x509_crt_set_key_usage(t.crt,
				      GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN);
	CU_ASSERT_FATAL(gnutls_x509_crt_sign2(t.crt, t.crt, t.key, GNUTLS_DIG_SHA256, 0) == 0);
	CU_ASSERT_FATAL(gnutls_x509_crt_export2(t.crt, GNUTLS_X509_FMT_PEM, &pem) == 0);
	snprintf(t.cafile, sizeof(t.cafile), "/tmp/test_ntstls.%d.pem", (int)getpid());
	f = fopen(t.cafile, "w");
	CU_ASSERT_FATAL(f != NULL);
	fwrite(pem.data, 1, pem.size, f);
	fclose(f);
	gnutls_free(pem.data);
}

static void *
server(void *arg)
{
	static const gnutls_datum_t alpn = {(unsigned char *)"ntske/1", 7};
	static const uint8_t c2s_ctx[5] = {0x00, 0x00, 0x00, 0x0f, 0x00};
	static const uint8_t s2c_ctx[5] = {0x00, 0x00, 0x00, 0x0f, 0x01};
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	struct nts_ke_request req;
	uint8_t buf[2048];
	size_t len = 0, pos = 0;
	int fd, rc;

	(void)arg;
	fd = accept(t.lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	gnutls_certificate_allocate_credentials(&cred);
	gnutls_certificate_set_x509_key(cred, &t.crt, 1, t.key);
	gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_SIGNAL);
	gnutls_priority_set_direct(
		s, t.mode == SRV_TLS12 ? "NORMAL:-VERS-ALL:+VERS-TLS1.2" : NTSTLS_PRIORITY, NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	if (t.mode != SRV_NO_ALPN)
		gnutls_alpn_set_protocols(s, &alpn, 1, 0);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, 5000);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0)
		goto out;
	gnutls_record_set_timeout(s, 5000);
	do {
		rc = (int)gnutls_record_recv(s, buf + len, sizeof(buf) - len);
		if (rc <= 0)
			goto out;
		len += (size_t)rc;
	} while ((rc = nts_ke_parse_request(buf, len, &req)) == 0);
	if (rc < 0 || req.aead != NTS_AEAD_AES_SIV_CMAC_256)
		goto out;
	if (t.mode == SRV_SILENT) {
		sleep(1);
		goto out;
	}
	ntstls_export_keys(s, req.aead, &t.keys);
	gnutls_prf_rfc5705(s, 30, "EXPORTER-network-time-security", 5, (const char *)c2s_ctx, 32,
			   (char *)t.raw_c2s);
	gnutls_prf_rfc5705(s, 30, "EXPORTER-network-time-security", 5, (const char *)s2c_ctx, 32,
			   (char *)t.raw_s2c);
	if (t.mode == SRV_ERROR) {
		nts_ke_put(buf, sizeof(buf), &pos, NTS_KE_ERROR, 1, "\0\x02", 2);
	} else if (t.mode == SRV_NO_AEAD) {
		/* RFC 8915 section 4.1.5, as chronyd 4.3 answers an offer of 17 alone */
		nts_ke_put(buf, sizeof(buf), &pos, NTS_KE_NEXT_PROTOCOL, 1, "\0\0", 2);
		nts_ke_put(buf, sizeof(buf), &pos, NTS_KE_AEAD, 1, NULL, 0);
	} else if (t.mode == SRV_NO_PROTO) {
		/* section 4.1.2: none of the next protocols offered */
		nts_ke_put(buf, sizeof(buf), &pos, NTS_KE_NEXT_PROTOCOL, 1, NULL, 0);
	} else {
		nts_ke_put(buf, sizeof(buf), &pos, NTS_KE_NEXT_PROTOCOL, 1, "\0\0", 2);
		nts_ke_put(buf, sizeof(buf), &pos, NTS_KE_AEAD, 1, "\0\x0f", 2);
		for (int i = 0; i < NTS_KE_COOKIES; i++) {
			uint8_t c[100];

			memset(c, i, sizeof(c));
			nts_ke_put(buf, sizeof(buf), &pos, NTS_KE_COOKIE, 0, c, sizeof(c));
		}
	}
	nts_ke_put(buf, sizeof(buf), &pos, NTS_KE_END, 1, NULL, 0);
	/* in two writes, to see the client read past a partial answer */
	gnutls_record_send(s, buf, 7);
	gnutls_record_send(s, buf + 7, pos - 7);
	t.done = 1;
	gnutls_bye(s, GNUTLS_SHUT_WR);
out:
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
	close(fd);
	return NULL;
}

static void
start(enum srv_mode mode)
{
	socklen_t sl = sizeof(t.addr);

	t.mode = mode;
	t.done = 0;
	memset(&t.keys, 0, sizeof(t.keys));
	t.lfd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(t.lfd >= 0);
	memset(&t.addr, 0, sizeof(t.addr));
	t.addr.sin_family = AF_INET;
	t.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(bind(t.lfd, (struct sockaddr *)&t.addr, sizeof(t.addr)) == 0);
	CU_ASSERT_FATAL(getsockname(t.lfd, (struct sockaddr *)&t.addr, &sl) == 0);
	CU_ASSERT_FATAL(listen(t.lfd, 4) == 0);
	CU_ASSERT_FATAL(pthread_create(&t.th, NULL, server, NULL) == 0);
}

/* fetch as @host; @return ntstls_fetch()'s result, the server stopped */
static int
fetch(const char *host, const char *cafile, int timeout_ms, struct nts_ke_response *r,
      struct nts_keys *k, char *err)
{
	static const uint16_t aeads[] = {NTS_AEAD_AES_SIV_CMAC_256, NTS_AEAD_AES_SIV_CMAC_512};
	int rc;

	err[0] = 0;
	rc = ntstls_fetch(host, (struct sockaddr *)&t.addr, sizeof(t.addr), cafile, timeout_ms,
			  aeads, 2, r, k, err, 200);
	/* unblock a server still in accept() (the client never dialled) */
	shutdown(t.lfd, SHUT_RDWR);
	pthread_join(t.th, NULL);
	close(t.lfd);
	if (rc != 0)
		printf("\n    (%s: %s) ", host, err);
	return rc;
}

static void
test_exporter(void)
{
	struct nts_ke_response r;
	struct nts_keys k;
	char err[200];

	make_cert("nts.test", "127.0.0.1", "nts.test");
	start(SRV_OK);
	CU_ASSERT_EQUAL_FATAL(fetch("127.0.0.1", t.cafile, 5000, &r, &k, err), 0);
	CU_ASSERT_EQUAL(r.aead, NTS_AEAD_AES_SIV_CMAC_256);
	CU_ASSERT_EQUAL(r.n_cookies, NTS_KE_COOKIES);
	CU_ASSERT_EQUAL(r.cookie_len[7], 100);
	CU_ASSERT_EQUAL(r.cookie[7][0], 7);
	CU_ASSERT_EQUAL(k.aead, NTS_AEAD_AES_SIV_CMAC_256);
	CU_ASSERT_EQUAL(k.len, 32);
	/* both sides export the same keys, the ones RFC 8915 section 5.1 defines */
	CU_ASSERT(memcmp(k.c2s, t.keys.c2s, 32) == 0);
	CU_ASSERT(memcmp(k.s2c, t.keys.s2c, 32) == 0);
	CU_ASSERT(memcmp(k.c2s, t.raw_c2s, 32) == 0);
	CU_ASSERT(memcmp(k.s2c, t.raw_s2c, 32) == 0);
	CU_ASSERT(memcmp(k.c2s, k.s2c, 32) != 0);

	/* by name, with SNI */
	start(SRV_OK);
	CU_ASSERT_EQUAL(fetch("nts.test", t.cafile, 5000, &r, &k, err), 0);
}

static void
test_refused(void)
{
	struct nts_ke_response r;
	struct nts_keys k;
	char err[200];
	int rc;

	make_cert("nts.test", "127.0.0.1", "nts.test");
	/* another name or address than the certificate's: TLS failed (-EPROTO) */
	start(SRV_OK);
	CU_ASSERT_EQUAL(fetch("other.test", t.cafile, 5000, &r, &k, err), -EPROTO);
	start(SRV_OK);
	CU_ASSERT_EQUAL(fetch("127.0.0.2", t.cafile, 5000, &r, &k, err), -EPROTO);
	/* no ALPN, TLS 1.2, an Error record: TLS or NTS-KE failed */
	start(SRV_NO_ALPN);
	CU_ASSERT_EQUAL(fetch("127.0.0.1", t.cafile, 5000, &r, &k, err), -EPROTO);
	/* (this server hangs up without an alert: -ECONNRESET, in the same class) */
	start(SRV_TLS12);
	rc = fetch("127.0.0.1", t.cafile, 5000, &r, &k, err);
	CU_ASSERT(rc == -EPROTO || rc == -ECONNRESET);
	CU_ASSERT(!ntstls_unreachable(rc));
	start(SRV_ERROR);
	CU_ASSERT_EQUAL(fetch("127.0.0.1", t.cafile, 5000, &r, &k, err), -EPROTO);
	CU_ASSERT_EQUAL(r.error, 2);
	/* the code and its meaning (RFC 8915 section 4.1.3) */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "error 2, Internal Server Error"));
	/* nothing agreed (sections 4.1.2, 4.1.5): said so, not "malformed" */
	start(SRV_NO_AEAD);
	CU_ASSERT_EQUAL(fetch("127.0.0.1", t.cafile, 5000, &r, &k, err), -EPROTO);
	CU_ASSERT_EQUAL(r.none_agreed, NTS_KE_AEAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "none of the AEAD algorithms offered (15, 17)"));
	start(SRV_NO_PROTO);
	CU_ASSERT_EQUAL(fetch("127.0.0.1", t.cafile, 5000, &r, &k, err), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no next protocol offered"));
	/* silence after the request: no answer in time, as a server that is gone */
	start(SRV_SILENT);
	CU_ASSERT_EQUAL(fetch("127.0.0.1", t.cafile, 200, &r, &k, err), -ETIMEDOUT);
	CU_ASSERT_EQUAL(t.done, 0);
	/* an untrusted certificate: the system's store does not have ours */
	start(SRV_OK);
	CU_ASSERT_EQUAL(fetch("127.0.0.1", NULL, 5000, &r, &k, err), -EPROTO);

	/* an address only as a DNS name and in the CN is not an IP SAN */
	make_cert("127.0.0.1", NULL, "127.0.0.1");
	start(SRV_OK);
	CU_ASSERT_EQUAL(fetch("127.0.0.1", t.cafile, 5000, &r, &k, err), -EPROTO);
	unlink(t.cafile);
}

/* A server that cannot be reached: -errno of the connection, not -EPROTO. */
static void
test_unreachable(void)
{
	static const uint16_t aead = NTS_AEAD_AES_SIV_CMAC_256;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	struct nts_ke_response r;
	struct nts_keys k;
	char err[200];
	int fd, fill;

	make_cert("nts.test", "127.0.0.1", "nts.test");
	/* a port bound but not listening: refused */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CU_ASSERT_FATAL(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
	CU_ASSERT_EQUAL(ntstls_fetch("127.0.0.1", (struct sockaddr *)&sin, sizeof(sin), t.cafile,
				     2000, &aead, 1, &r, &k, err, sizeof(err)),
			-ECONNREFUSED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "connect"));
	/* a full accept queue: Linux drops the SYN, the connection times out */
	CU_ASSERT_FATAL(listen(fd, 0) == 0);
	fill = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(connect(fill, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CU_ASSERT_EQUAL(ntstls_fetch("127.0.0.1", (struct sockaddr *)&sin, sizeof(sin), t.cafile,
				     200, &aead, 1, &r, &k, err, sizeof(err)),
			-ETIMEDOUT);
	close(fill);
	close(fd);
	unlink(t.cafile);

	/* the classes */
	CU_ASSERT(ntstls_unreachable(-ECONNREFUSED));
	CU_ASSERT(ntstls_unreachable(-ETIMEDOUT));
	CU_ASSERT(ntstls_unreachable(-EHOSTUNREACH));
	CU_ASSERT(ntstls_unreachable(-ENETUNREACH));
	CU_ASSERT(!ntstls_unreachable(-ECONNRESET));
	CU_ASSERT(!ntstls_unreachable(-EPROTO));
	CU_ASSERT(!ntstls_unreachable(-EIO));
	CU_ASSERT(!ntstls_unreachable(-EINVAL));
	CU_ASSERT(!ntstls_unreachable(0));
}

static const struct test_case cases[] = {
	TEST_CASE(test_exporter),
	TEST_CASE(test_refused),
	TEST_CASE(test_unreachable),
};

CUNIT_MAIN("ntstls", cases)
