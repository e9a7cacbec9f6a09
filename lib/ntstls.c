/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NTS-KE over GnuTLS: the exporter (RFC 8915 section 5.1) and a blocking
 * client (section 4). See ntstls.h.
 */
#include "ntstls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/x509.h>

#include "monotime.h"

/* an answer of eight cookies of NTS_CLIENT_COOKIE_MAX octets, and the rest */
#define ANSWER_MAX 16384

int
ntstls_export_keys(gnutls_session_t s, uint16_t aead, struct nts_keys *k)
{
	/*
	 * Section 5.1: the context is the Protocol ID (0, NTPv4), the AEAD
	 * algorithm, then 0 for the client-to-server key, 1 for the other.
	 */
	uint8_t ctx[5] = {NTS_PROTO_NTPV4 >> 8, NTS_PROTO_NTPV4 & 0xff, (uint8_t)(aead >> 8),
			  (uint8_t)aead, 0};
	unsigned len = nts_aead_key_len(aead);

	if (len == 0)
		return -EINVAL;
	k->aead = aead;
	k->len = (uint16_t)len;
	if (gnutls_prf_rfc5705(s, strlen(NTS_KE_EXPORTER_LABEL), NTS_KE_EXPORTER_LABEL, sizeof(ctx),
			       (const char *)ctx, len, (char *)k->c2s) < 0)
		return -EIO;
	ctx[4] = 1;
	if (gnutls_prf_rfc5705(s, strlen(NTS_KE_EXPORTER_LABEL), NTS_KE_EXPORTER_LABEL, sizeof(ctx),
			       (const char *)ctx, len, (char *)k->s2c) < 0)
		return -EIO;
	return 0;
}

/* @return @rc, the message in @err */
__attribute__((format(printf, 4, 5))) static int
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/*
 * The class of a GnuTLS failure: no answer in time (the server or its path
 * is gone), the server closed or reset the connection before it answered
 * (it is there and turned us away, as chronyd at its connection limit), or
 * TLS itself failed.
 */
static int
tls_errno(int rc)
{
	switch (rc) {
	case GNUTLS_E_TIMEDOUT:
		return -ETIMEDOUT;
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PREMATURE_TERMINATION:
		return -ECONNRESET;
	default:
		return -EPROTO;
	}
}

int
ntstls_unreachable(int rc)
{
	switch (rc) {
	case -ECONNREFUSED:
	case -ETIMEDOUT:
	case -EHOSTUNREACH:
	case -EHOSTDOWN:
	case -ENETUNREACH:
	case -ENETDOWN:
		return 1;
	default:
		return 0;
	}
}

/* RFC 8915 section 4.1.3: what the server's Error record says */
static const char *
ke_error_name(int32_t code)
{
	switch (code) {
	case NTS_KE_ERR_UNRECOGNIZED_CRITICAL:
		return "Unrecognized Critical Record: our request has a critical record it does "
		       "not know";
	case NTS_KE_ERR_BAD_REQUEST:
		return "Bad Request: our request is malformed or lacks a required record";
	case NTS_KE_ERR_INTERNAL:
		return "Internal Server Error";
	default:
		return "a code RFC 8915 does not assign";
	}
}

/* milliseconds left until @deadline (ns), at least 1 so that 0 never means "forever" */
static unsigned
left_ms(uint64_t deadline)
{
	uint64_t now = mono_ns();

	return now >= deadline ? 1 : (unsigned)((deadline - now + 999999) / 1000000);
}

/* A TCP connection to @addr within @deadline, left blocking for GnuTLS. */
static int
dial(const struct sockaddr *addr, socklen_t alen, uint64_t deadline, char *err, size_t errlen)
{
	struct pollfd p;
	int fd, e = 0, n;
	socklen_t el = sizeof(e);

	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail(err, errlen, -errno, "socket: %s", strerror(errno));
	if (connect(fd, addr, alen) < 0 && errno != EINPROGRESS) {
		e = errno;
		goto out;
	}
	p.fd = fd;
	p.events = POLLOUT;
	do
		n = poll(&p, 1, (int)left_ms(deadline));
	while (n < 0 && errno == EINTR && mono_ns() < deadline);
	if (n <= 0) {
		/* interrupted at the deadline: a timeout too, not a failure of its own */
		e = n == 0 || errno == EINTR ? ETIMEDOUT : errno;
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
		e = errno;
	if (e == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0)
		return fd;
	if (e == 0)
		e = errno;
out:
	close(fd);
	return fail(err, errlen, -e, "connect: %s", strerror(e));
}

/* An address @host must be in an IP address SAN of the server's certificate (RFC 6125 6.2.1). */
static int
check_ip_san(gnutls_session_t s, const uint8_t *ip, size_t iplen)
{
	const gnutls_datum_t *chain;
	gnutls_x509_crt_t crt;
	unsigned n, i;
	int ok = 0;

	chain = gnutls_certificate_get_peers(s, &n);
	if (chain == NULL || n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return 0;
	if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) == 0) {
		for (i = 0; !ok; i++) {
			uint8_t san[64];
			size_t len = sizeof(san);
			int t = gnutls_x509_crt_get_subject_alt_name(crt, i, san, &len, NULL);

			if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
				break;
			if (t == GNUTLS_SAN_IPADDRESS && len == iplen && !memcmp(san, ip, len))
				ok = 1;
		}
	}
	gnutls_x509_crt_deinit(crt);
	return ok;
}

int
ntstls_fetch(const char *host, const struct sockaddr *addr, socklen_t alen, const char *cafile,
	     int timeout_ms, const uint16_t *aeads, unsigned n, struct nts_ke_response *r,
	     struct nts_keys *k, char *err, size_t errlen)
{
	static const gnutls_datum_t alpn = {(unsigned char *)NTS_KE_ALPN, sizeof(NTS_KE_ALPN) - 1};
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t s = NULL;
	gnutls_datum_t sel;
	uint64_t deadline = mono_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000000;
	uint8_t buf[ANSWER_MAX], ip[16];
	size_t len, iplen = 0, off;
	unsigned i;
	char offered[64];
	int fd = -1, ret, rc;

	if (inet_pton(AF_INET, host, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, host, ip) == 1)
		iplen = 16;
	len = nts_ke_write_request(buf, sizeof(buf), aeads, n);
	if (len == 0)
		return fail(err, errlen, -EINVAL, "no AEAD to offer");

	if ((rc = gnutls_certificate_allocate_credentials(&cred)) < 0) {
		ret = fail(err, errlen, -EIO, "TLS: %s", gnutls_strerror(rc));
		goto out;
	}
	rc = cafile ? gnutls_certificate_set_x509_trust_file(cred, cafile, GNUTLS_X509_FMT_PEM)
		    : gnutls_certificate_set_x509_system_trust(cred);
	if (rc <= 0) {
		ret = fail(err, errlen, -EIO, "%s: no trusted certificates%s%s",
			   cafile ? cafile : "system trust", rc < 0 ? ": " : "",
			   rc < 0 ? gnutls_strerror(rc) : "");
		goto out;
	}
	/* GNUTLS_NO_SIGNAL: a server that hangs up is an error, not a SIGPIPE */
	if ((rc = gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL)) < 0 ||
	    (rc = gnutls_priority_set_direct(s, NTSTLS_PRIORITY, NULL)) < 0 ||
	    (rc = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred)) < 0 ||
	    (rc = gnutls_alpn_set_protocols(s, &alpn, 1, GNUTLS_ALPN_MANDATORY)) < 0 ||
	    /* RFC 6066 section 3: SNI carries names only, never addresses */
	    (iplen == 0 &&
	     (rc = gnutls_server_name_set(s, GNUTLS_NAME_DNS, host, strlen(host))) < 0)) {
		ret = fail(err, errlen, -EIO, "TLS: %s", gnutls_strerror(rc));
		goto out;
	}
	/* the chain, and the name for a name; an address is checked against IP SANs below */
	gnutls_session_set_verify_cert(s, iplen ? NULL : host, 0);

	fd = dial(addr, alen, deadline, err, errlen);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, left_ms(deadline));
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
			gnutls_datum_t why;

			if (gnutls_certificate_verification_status_print(
				    gnutls_session_get_verify_cert_status(s),
				    gnutls_certificate_type_get(s), &why, 0) == 0) {
				ret = fail(err, errlen, -EPROTO, "TLS handshake: %s", why.data);
				gnutls_free(why.data);
				goto out;
			}
		}
		ret = fail(err, errlen, tls_errno(rc), "TLS handshake: %s", gnutls_strerror(rc));
		goto out;
	}
	if (gnutls_protocol_get_version(s) != GNUTLS_TLS1_3) {
		ret = fail(err, errlen, -EPROTO, "TLS: not TLS 1.3");
		goto out;
	}
	if (gnutls_alpn_get_selected_protocol(s, &sel) < 0 || sel.size != alpn.size ||
	    memcmp(sel.data, alpn.data, alpn.size)) {
		ret = fail(err, errlen, -EPROTO,
			   "TLS: the server did not select ALPN " NTS_KE_ALPN);
		goto out;
	}
	if (iplen && !check_ip_san(s, ip, iplen)) {
		ret = fail(err, errlen, -EPROTO, "TLS: %s is not an IP address of the certificate",
			   host);
		goto out;
	}

	for (off = 0; off < len; off += (size_t)rc) {
		do
			rc = (int)gnutls_record_send(s, buf + off, len - off);
		while (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED);
		if (rc < 0) {
			ret = fail(err, errlen, tls_errno(rc), "TLS send: %s", gnutls_strerror(rc));
			goto out;
		}
	}
	/* read until the End of Message (RFC 8915 section 4) */
	for (len = 0;;) {
		if (len == sizeof(buf)) {
			ret = fail(err, errlen, -EPROTO, "NTS-KE: answer too long");
			goto out;
		}
		gnutls_record_set_timeout(s, left_ms(deadline));
		do
			rc = (int)gnutls_record_recv(s, buf + len, sizeof(buf) - len);
		while (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED);
		if (rc == 0) {
			ret = fail(err, errlen, -EPROTO,
				   "NTS-KE: connection closed before End of Message");
			goto out;
		}
		if (rc < 0) {
			ret = fail(err, errlen, tls_errno(rc), "TLS receive: %s",
				   gnutls_strerror(rc));
			goto out;
		}
		len += (size_t)rc;
		rc = nts_ke_parse_response(buf, len, r);
		if (rc != 0)
			break;
	}
	if (rc < 0 && r->error >= 0) {
		ret = fail(err, errlen, -EPROTO, "NTS-KE: the server refused: error %d, %s",
			   (int)r->error, ke_error_name(r->error));
		goto out;
	}
	if (rc < 0 && r->none_agreed == NTS_KE_NEXT_PROTOCOL) {
		ret = fail(err, errlen, -EPROTO,
			   "NTS-KE: the server agreed to no next protocol offered (NTPv4)");
		goto out;
	}
	if (rc < 0 && r->none_agreed == NTS_KE_AEAD) {
		for (i = 0, off = 0; i < n && off < sizeof(offered); i++)
			off += (size_t)snprintf(offered + off, sizeof(offered) - off, "%s%u",
						i ? ", " : "", aeads[i]);
		ret = fail(err, errlen, -EPROTO,
			   "NTS-KE: the server agreed to none of the AEAD algorithms offered (%s)",
			   offered);
		goto out;
	}
	if (rc < 0) {
		ret = fail(err, errlen, -EPROTO, "NTS-KE: malformed answer");
		goto out;
	}
	for (i = 0; i < n && aeads[i] != r->aead; i++)
		;
	if (i == n) {
		ret = fail(err, errlen, -EPROTO, "NTS-KE: the server chose AEAD %u, not offered",
			   r->aead);
		goto out;
	}
	if (ntstls_export_keys(s, r->aead, k) < 0) {
		ret = fail(err, errlen, -EIO, "TLS: key export failed");
		goto out;
	}
	/* section 4: the client closes once it has its answer */
	gnutls_bye(s, GNUTLS_SHUT_WR);
	ret = 0;
out:
	if (s)
		gnutls_deinit(s);
	if (cred)
		gnutls_certificate_free_credentials(cred);
	if (fd >= 0)
		close(fd);
	explicit_bzero(buf, sizeof(buf));
	return ret;
}
