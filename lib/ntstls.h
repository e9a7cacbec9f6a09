/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NTS-KE's TLS part (RFC 8915 section 4) on GnuTLS: the key exporter both
 * sides use, and a blocking client that fetches keys and cookies from a
 * server (strata-gen, strata-pool's probe, the tests).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>

#include "nts.h"

/** TLS 1.3 and nothing older (RFC 8915 section 4: NTS-KE needs TLS 1.3). */
#define NTSTLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3"

/**
 * Export the keys of the association negotiated on @s for @aead into @k
 * (RFC 8915 section 5.1). Either side of the session may call it.
 * @return 0, -EINVAL for an AEAD strata does not offer, -EIO if GnuTLS failed.
 */
int ntstls_export_keys(gnutls_session_t s, uint16_t aead, struct nts_keys *k);

/**
 * NTS-KE with the server at @addr: TLS 1.3 with ALPN ntske/1, its certificate
 * checked against @host (a name: SNI and a DNS name check; an address: it
 * must be in an IP address SAN) and @cafile (NULL: the system's trust store),
 * the request offering @aeads (@n, preferred first), the answer parsed into
 * @r and the keys exported into @k, all within @timeout_ms.
 * @return 0, or -errno with a message in @err, in three classes:
 * - the server cannot be reached (ntstls_unreachable() says 1): connect()'s
 *   error (-ECONNREFUSED, -EHOSTUNREACH, -ENETUNREACH ...), -ETIMEDOUT when
 *   the connection, the handshake or the answer does not come in time;
 * - TLS or NTS-KE failed: -EPROTO (the certificate, the TLS version, ALPN,
 *   a malformed answer, one that agrees on nothing we offered, an Error
 *   record), -ECONNRESET (the server closed or reset the connection before
 *   it answered);
 * - anything else is a local failure: -EINVAL nothing to offer, -EIO @cafile
 *   unusable or GnuTLS failed, socket()'s error.
 */
int ntstls_fetch(const char *host, const struct sockaddr *addr, socklen_t alen, const char *cafile,
		 int timeout_ms, const uint16_t *aeads, unsigned n, struct nts_ke_response *r,
		 struct nts_keys *k, char *err, size_t errlen);

/** 1 if @rc, ntstls_fetch()'s, says the server could not be reached; else 0. */
int ntstls_unreachable(int rc);
