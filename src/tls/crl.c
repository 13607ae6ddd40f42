/* SPDX-License-Identifier: Apache-2.0 */
/* CRLs of a context, looked up for every certificate of a peer's chain and
 * re-read from their file when it changes, so a revocation needs no reload. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "common/err.h"
#include "common/log.h"
#include "common/rc.h"
#include "crl.h"

/* The CRLs of one file, hung on a context's X509_STORE. Handshakes of every
 * worker read them under the read lock; a changed file is parsed outside the
 * lock by the one handshake that noticed it, then swapped in. */
struct crl_set {
	char *path;
	pthread_rwlock_t lock;
	pthread_mutex_t refresh;     /* held by the one handshake that reads the file */
	STACK_OF(X509_CRL) *crls;
	struct stat seen;            /* the file as last read (or refused); under 'refresh' */
	_Atomic time_t checked;      /* when 'seen' was last compared */
};

static int set_index = -1;
static pthread_once_t set_once = PTHREAD_ONCE_INIT;

static void
crl_set_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct crl_set *s = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (!s)
		return;
	sk_X509_CRL_pop_free(s->crls, X509_CRL_free);
	pthread_rwlock_destroy(&s->lock);
	pthread_mutex_destroy(&s->refresh);
	free(s->path);
	free(s);
}

static void
set_index_init(void)
{
	set_index = X509_STORE_get_ex_new_index(0, NULL, NULL, NULL, crl_set_free);
}

/* Every PEM CRL of 'path', with the file's identity in 'st'; NULL when the
 * file cannot be read or holds none ('err' says which). */
static STACK_OF(X509_CRL) *
crl_read(const char *path, struct stat *st, char *err, size_t len)
{
	STACK_OF(X509_CRL) *sk = sk_X509_CRL_new_null();
	X509_CRL *crl;
	FILE *f = fopen(path, "re");

	if (!sk || !f) {
		snprintf(err, len, "cannot read crl %s: %s", path, f ? "no memory" : strerror(errno));
		goto fail;
	}
	if (fstat(fileno(f), st) != 0)
		memset(st, 0, sizeof(*st));
	while ((crl = PEM_read_X509_CRL(f, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_CRL_push(sk, crl))
			X509_CRL_free(crl);
	ERR_clear_error(); /* the end of the file reads as an error */
	fclose(f);
	f = NULL;
	if (sk_X509_CRL_num(sk) > 0)
		return sk;
	snprintf(err, len, "crl %s holds no PEM CRL", path);
fail:
	if (f)
		fclose(f);
	sk_X509_CRL_pop_free(sk, X509_CRL_free);
	return NULL;
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* At most every CRL_RECHECK_SECONDS, by one handshake: the file again when its
 * identity changed. A broken file is reported once and the CRLs stay. */
static void
crl_refresh(struct crl_set *s)
{
	time_t now = time(NULL), last = atomic_load(&s->checked);
	STACK_OF(X509_CRL) *fresh, *old;
	struct stat st;
	char err[320];

	if (now - last < CRL_RECHECK_SECONDS ||
	    !atomic_compare_exchange_strong(&s->checked, &last, now) ||
	    pthread_mutex_trylock(&s->refresh) != 0)
		return;
	if (stat(s->path, &st) != 0 || same_file(&st, &s->seen))
		goto out;
	if (!(fresh = crl_read(s->path, &st, err, sizeof(err)))) {
		s->seen = st;
		log_warn("%s; the CRLs read before stay in force", err);
		goto out;
	}
	pthread_rwlock_wrlock(&s->lock);
	old = s->crls;
	s->crls = fresh;
	pthread_rwlock_unlock(&s->lock);
	s->seen = st;
	log_info("crl %s changed: %d CRL%s now in force", s->path, sk_X509_CRL_num(fresh),
		 sk_X509_CRL_num(fresh) == 1 ? "" : "s");
	sk_X509_CRL_pop_free(old, X509_CRL_free);
out:
	pthread_mutex_unlock(&s->refresh);
}

/* OpenSSL's CRL lookup during a chain check: the set's CRLs issued by 'nm'. */
static STACK_OF(X509_CRL) *
on_lookup_crls(const X509_STORE_CTX *x, const X509_NAME *nm)
{
	struct crl_set *s = X509_STORE_get_ex_data(X509_STORE_CTX_get0_store(x), set_index);
	STACK_OF(X509_CRL) *out = sk_X509_CRL_new_null();
	int i;

	if (!s || !out)
		return out;
	crl_refresh(s);
	pthread_rwlock_rdlock(&s->lock);
	for (i = 0; i < sk_X509_CRL_num(s->crls); i++) {
		X509_CRL *c = sk_X509_CRL_value(s->crls, i);

		if (X509_NAME_cmp(X509_CRL_get_issuer(c), nm) == 0 && X509_CRL_up_ref(c) &&
		    !sk_X509_CRL_push(out, c))
			X509_CRL_free(c);
	}
	pthread_rwlock_unlock(&s->lock);
	return out;
}

int
crl_ctx_load(SSL_CTX *ctx, const char *path, int *rc, char *err, size_t len)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	struct crl_set *s = calloc(1, sizeof(*s));

	*rc = RC_CERT_VALIDATION;
	pthread_once(&set_once, set_index_init);
	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(err, len, "crl %s: no memory", path);
		return ATTLS_ENOMEM;
	}
	pthread_rwlock_init(&s->lock, NULL);
	pthread_mutex_init(&s->refresh, NULL);
	atomic_store(&s->checked, time(NULL));
	if (!(s->crls = crl_read(path, &s->seen, err, len)) ||
	    X509_STORE_set_ex_data(st, set_index, s) != 1) {
		crl_set_free(NULL, s, NULL, 0, 0, NULL);
		return ATTLS_ETLS;
	}
	X509_STORE_set_lookup_crls(st, on_lookup_crls);
	/* Every certificate of the chain, not only the leaf: a revoked
	 * intermediate CA must end the handshake as well. */
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	return 0;
}
