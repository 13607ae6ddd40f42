/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL outcomes (verify results, reason codes, alerts, socket errors) mapped to
 * System SSL / AT-TLS return codes, with the evidence put into words. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/proverr.h>
#include <openssl/x509v3.h>

#include "common/escape.h"
#include "common/rc.h"
#include "tls.h"
#include "tls_int.h"

static int diag_index = -1;

void
tls_diag_init(struct tls_diag *d)
{
	memset(d, 0, sizeof(*d));
	d->alert_sent = -1;
	d->alert_recv = -1;
}

static void
on_info(const SSL *ssl, int where, int ret)
{
	struct tls_diag *d;

	if (!(where & SSL_CB_ALERT) || !(d = SSL_get_ex_data(ssl, diag_index)))
		return;
	/* Only fatal alerts and close_notify matter here; the first one counts. */
	if (where & SSL_CB_READ) {
		if (d->alert_recv < 0)
			d->alert_recv = ret & 0xff;
	} else if (d->alert_sent < 0) {
		d->alert_sent = ret & 0xff;
	}
}

void
tls_name(X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char raw[1024];
	int k;

	buf[0] = '\0';
	if (!b)
		return;
	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	k = BIO_read(b, raw, (int)sizeof(raw) - 1);
	raw[k > 0 ? k : 0] = '\0';
	BIO_free(b);
	/* The peer chose these bytes (UTF-8, bidi, C1): logs get them escaped. */
	escape_str(raw, buf, len);
}

void
tls_diag_note(SSL *ssl, const char *detail)
{
	struct tls_diag *d = diag_index >= 0 ? SSL_get_ex_data(ssl, diag_index) : NULL;

	if (d && !d->verify_err)
		snprintf(d->detail, sizeof(d->detail), "%s", detail);
}

void
tls_diag_refuse(SSL *ssl, int rc, const char *cause)
{
	struct tls_diag *d = diag_index >= 0 ? SSL_get_ex_data(ssl, diag_index) : NULL;

	if (d && !d->policy_rc) {
		d->policy_rc = rc;
		snprintf(d->policy_cause, sizeof(d->policy_cause), "%s", cause);
	}
}

int
tls_diag_verify(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_diag *d = ssl ? SSL_get_ex_data(ssl, diag_index) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(x);

	/* OpenSSL leaves out keyUsage for a TLS 1.3 server: the role's usages are
	 * checked here, in every version, on the peer's own certificate. */
	if (ok && ssl && cert && X509_STORE_CTX_get_error_depth(x) == 0 &&
	    tls_usage_refused(ssl, cert)) {
		X509_STORE_CTX_set_error(x, X509_V_ERR_INVALID_PURPOSE);
		ok = 0;
	}
	if (ok || !d || d->verify_err)
		return ok;
	d->verify_err = X509_STORE_CTX_get_error(x);
	d->verify_depth = X509_STORE_CTX_get_error_depth(x);
	tls_verify_evidence(x, ssl, d->verify_err, cert, d->evidence, sizeof(d->evidence));
	if (cert) {
		BIO *b;
		tls_name(X509_get_subject_name(cert), d->subject, sizeof(d->subject));
		tls_name(X509_get_issuer_name(cert), d->issuer, sizeof(d->issuer));
		if ((b = BIO_new(BIO_s_mem())) != NULL) {
			int k;
			ASN1_TIME_print(b, X509_get0_notAfter(cert));
			k = BIO_read(b, d->not_after, (int)sizeof(d->not_after) - 1);
			d->not_after[k > 0 ? k : 0] = '\0';
			BIO_free(b);
		}
	}
	return ok;
}

void
tls_diag_attach(SSL *ssl, struct tls_diag *d)
{
	if (diag_index < 0)
		diag_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	SSL_set_ex_data(ssl, diag_index, d);
	SSL_set_info_callback(ssl, on_info);
	/* PassThru and the policy checks install their own callbacks; keep them. */
	if (!SSL_get_verify_callback(ssl))
		SSL_set_verify(ssl, SSL_get_verify_mode(ssl), tls_diag_verify);
}

void
tls_diag_detach(SSL *ssl)
{
	SSL_set_ex_data(ssl, diag_index, NULL);
	SSL_set_info_callback(ssl, NULL);
}

const char *
tls_alert_name(int desc)
{
	/* Alerts newer than OpenSSL 3.0's name table. */
	switch (desc) {
	case 109:
		return "missing extension";
	case 116:
		return "certificate required";
	case 120:
		return "no application protocol";
	}
	return SSL_alert_desc_string_long(desc);
}

static int verify_rc(int v);

int
tls_verify_rc(int v)
{
	return verify_rc(v);
}

static int
verify_rc(int v)
{
	switch (v) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
		return RC_BAD_DATE;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return RC_UNKNOWN_CA;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return RC_SELF_SIGNED;
	case X509_V_ERR_CERT_REVOKED:
		return RC_CERT_REVOKED;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return RC_BAD_CERT_SIG;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return RC_SERVER_IDENTITY;
	case X509_V_ERR_INVALID_PURPOSE:
	case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
		return RC_KEY_USAGE;
	case X509_V_ERR_APPLICATION_VERIFICATION: /* only our signature-scheme check */
		return RC_SIGALG_NOT_IN_LIST;
	case X509_V_ERR_EE_KEY_TOO_SMALL: /* the security level's peer_min_*_key_size */
	case X509_V_ERR_CA_KEY_TOO_SMALL:
		return RC_BAD_CERTIFICATE;
	}
	return RC_CERT_VALIDATION;
}

/* What a fatal alert from the peer means for us. */
static int
alert_rc(int a)
{
	switch (a) {
	case SSL3_AD_HANDSHAKE_FAILURE:
	case TLS1_AD_INSUFFICIENT_SECURITY:
		return RC_NO_CIPHERS;
	case TLS1_AD_PROTOCOL_VERSION:
		return RC_UNSUPPORTED;
	case SSL3_AD_CERTIFICATE_EXPIRED:
		/* The peer found a certificate of ours out of date: System SSL's
		 * 401 covers the partner's and our own (the cause line names ours). */
		return RC_BAD_DATE;
	case SSL3_AD_CLOSE_NOTIFY:
		return RC_SOCKET_CLOSED;
	}
	return RC_IO_ERROR;
}

/* Client role: the server answered our ClientHello with handshake_failure
 * before any message of its own. The alert does not say what it found
 * missing; when the rule narrows only signature_pairs (suites and groups left
 * at their defaults), the signature algorithms are what the server could not
 * use: 467, said as an inference in the cause line. Otherwise 402. */
static int
client_refused_rc(SSL *ssl, int alert, bool *inferred)
{
	const struct policy_rule *r = tls_ctx_rule(SSL_get_SSL_CTX(ssl));
	const struct policy_sig_parms *sg = r ? r->eff.signatures : NULL;

	*inferred = false;
	if (SSL_is_server(ssl) || !r || alert != SSL3_AD_HANDSHAKE_FAILURE ||
	    SSL_get_state(ssl) != TLS_ST_CW_CLNT_HELLO)
		return alert_rc(alert);
	if (sg && sg->sigalgs.n && !(r->eff.ciphers && r->eff.ciphers->suites.n) &&
	    !sg->client_key_shares.n && !sg->client_ecurves.n) {
		*inferred = true;
		return RC_SIGALG_NOT_IN_LIST;
	}
	return alert_rc(alert);
}

/* ServerCertificateLabel: with a label list in force, "nothing fits the client"
 * is System SSL's 510 (no key label in the list matches), not 402 or 467. */
static int
label_list_rc(SSL *ssl, int reason)
{
	const struct policy_rule *r = tls_ctx_rule(SSL_get_SSL_CTX(ssl));

	if (!r || !r->eff.server_labels.n)
		return 0;
	if (reason == SSL_R_NO_SHARED_CIPHER || reason == SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM)
		return RC_NO_KEY_LABEL_MATCH;
	return 0;
}

static int
reason_rc(int reason)
{
	switch (reason) {
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return RC_CLIENT_CERT_MISSING;
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_NO_SHARED_GROUPS:
	case SSL_R_NO_SUITABLE_KEY_SHARE:
	case SSL_R_NO_CIPHERS_AVAILABLE:
		return RC_NO_CIPHERS;
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_VERSION_TOO_HIGH:
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_UNKNOWN_PROTOCOL:
		return RC_UNSUPPORTED;
	case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
	case SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
	case SSL_R_WRONG_SIGNATURE_TYPE:
		return RC_SIGALG_NOT_IN_LIST;
	case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
		return RC_BAD_MAC;
	case SSL_R_UNEXPECTED_MESSAGE:
	case SSL_R_UNEXPECTED_RECORD:
	case SSL_R_BAD_RECORD_TYPE: /* e.g. a clear-text record after TLS 1.3 keys */
		return RC_BAD_PEER;
	case SSL_R_NO_RENEGOTIATION:
		return RC_RENEG_NOT_ALLOWED;
	case SSL_R_LENGTH_MISMATCH:
	case SSL_R_BAD_PACKET_LENGTH:
	case SSL_R_RECORD_LENGTH_MISMATCH:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
	case SSL_R_LENGTH_TOO_SHORT:
	case SSL_R_BAD_LENGTH:
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
		return RC_BAD_MESSAGE;
	}
	return 0;
}

int
tls_err_classify(SSL *ssl, const struct tls_diag *d, int ssl_err, int sys_errno,
		 unsigned long e, char *cause, size_t len)
{
	char lib[200];
	int rc;

	lib[0] = '\0';
	if (e)
		ERR_error_string_n(e, lib, sizeof(lib));
	if (d->policy_rc) {
		snprintf(cause, len, "%s", d->policy_cause);
		return d->policy_rc;
	}
	if (tls_reneg_refused(ssl)) {
		snprintf(cause, len, "the client tried to renegotiate (TLS 1.2), which the rule's "
				     "renegotiation setting does not allow; we sent alert no "
				     "renegotiation");
		return RC_RENEG_NOT_ALLOWED;
	}
	if (d->verify_err == X509_V_ERR_APPLICATION_VERIFICATION && d->detail[0]) {
		snprintf(cause, len, "peer certificate %s (issuer %s) at depth %d %s",
			 d->subject[0] ? d->subject : "?", d->issuer[0] ? d->issuer : "?",
			 d->verify_depth, d->detail);
		return RC_SIGALG_NOT_IN_LIST;
	}
	if (d->verify_err) {
		rc = verify_rc(d->verify_err);
		snprintf(cause, len, "peer certificate %s (issuer %s, notAfter %s) failed "
				     "verification at depth %d: %s%s",
			 d->subject[0] ? d->subject : "?", d->issuer[0] ? d->issuer : "?",
			 d->not_after[0] ? d->not_after : "?", d->verify_depth,
			 X509_verify_cert_error_string(d->verify_err), d->evidence);
		return rc;
	}
	if (d->alert_recv >= 0 && d->alert_recv != SSL3_AD_CLOSE_NOTIFY) {
		bool inferred;

		rc = client_refused_rc(ssl, d->alert_recv, &inferred);
		if (inferred)
			snprintf(cause, len, "the peer (the server) sent alert %s in reply to our "
					     "ClientHello: it refused the handshake; the rule narrows "
					     "only the signature algorithms we offer (signature_pairs "
					     "of %s), so none of them suits the server's key (an "
					     "inference: the alert does not say; its own log does)",
				 tls_alert_name(d->alert_recv),
				 tls_ctx_rule(SSL_get_SSL_CTX(ssl))->eff.signatures->name);
		else
			snprintf(cause, len, "the peer sent alert %s: the peer refused the "
					     "handshake; its own log says why",
				 tls_alert_name(d->alert_recv));
		return rc;
	}
	/* An alert the peer sent after our side of the handshake was done (TLS 1.3:
	 * a server rejecting our certificate) shows up only as a reason code. */
	if (e && ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET &&
	    ERR_GET_REASON(e) < SSL_AD_REASON_OFFSET + 256) {
		int alert = ERR_GET_REASON(e) - SSL_AD_REASON_OFFSET;
		snprintf(cause, len, "the peer sent alert %s: the peer refused the handshake; its "
				     "own log says why",
			 tls_alert_name(alert));
		return alert_rc(alert);
	}
	/* TLS 1.2 AEAD records: a failed tag check surfaces from the provider, not
	 * as SSL's "bad record mac", but it is the same thing. */
	if (e && ERR_GET_LIB(e) == ERR_LIB_PROV &&
	    ERR_GET_REASON(e) == PROV_R_CIPHER_OPERATION_FAILED) {
		snprintf(cause, len, "a record did not decrypt (its authentication tag did not "
				     "match): %s%s%s",
			 lib, d->alert_sent >= 0 ? "; we sent alert " : "",
			 d->alert_sent >= 0 ? tls_alert_name(d->alert_sent) : "");
		return RC_BAD_MAC;
	}
	if (e && ERR_GET_LIB(e) == ERR_LIB_SSL && (rc = label_list_rc(ssl, ERR_GET_REASON(e)))) {
		snprintf(cause, len, "a label list is in force and none of its key types suits "
				     "what the client offers (an ECDSA-only client and only RSA "
				     "labels?): %s",
			 lib);
		return rc;
	}
	if (e && ERR_GET_LIB(e) == ERR_LIB_SSL && (rc = reason_rc(ERR_GET_REASON(e))) != 0) {
		if (d->alert_sent >= 0)
			snprintf(cause, len, "%s; we sent alert %s", lib,
				 tls_alert_name(d->alert_sent));
		else
			snprintf(cause, len, "%s", lib);
		return rc;
	}
	if (ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN ||
	    (ssl_err == SSL_ERROR_SSL && !e)) {
		if (sys_errno == ECONNRESET || sys_errno == EPIPE) {
			snprintf(cause, len, "the peer reset the connection (%s) during the handshake",
				 strerror(sys_errno));
			return RC_IO_ERROR;
		}
		if (sys_errno && sys_errno != EAGAIN) {
			snprintf(cause, len, "socket error during the handshake: %s",
				 strerror(sys_errno));
			return RC_IO_ERROR;
		}
		snprintf(cause, len, "the peer closed the connection during the handshake%s%s",
			 SSL_get_state(ssl) == TLS_ST_BEFORE ? " before sending a hello" : "",
			 d->alert_recv == SSL3_AD_CLOSE_NOTIFY ? " (close_notify)" : "");
		return RC_SOCKET_CLOSED;
	}
	snprintf(cause, len, "unclassified TLS failure: %s", lib[0] ? lib : "no library error");
	return RC_UNKNOWN_ERROR;
}

void
tls_cipher_code(const SSL *ssl, char out[5])
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);

	if (!c) {
		strcpy(out, "0000");
		return;
	}
	snprintf(out, 5, "%04X", (unsigned)(SSL_CIPHER_get_id(c) & 0xffff));
}

void
tls_err_last(char *err, size_t len, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, len, "%s: %s", what, e ? buf : "unknown error");
	ERR_clear_error();
}
