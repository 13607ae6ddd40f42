/* SPDX-License-Identifier: Apache-2.0 */
/* Session ticket keys of the process (TLS 1.2 tickets, TLS 1.3 PSKs): a key file
 * a fleet shares, re-read when it changes, or keys made here that rotate alone. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "common/log.h"
#include "keyload.h"
#include "tickets.h"

struct tickets_key {
	unsigned char name[16]; /* in the clear in every ticket: which key */
	unsigned char hmac[32];
	unsigned char aes[32];
};
_Static_assert(sizeof(struct tickets_key) == TICKETS_KEY_BYTES, "key layout");

/* The keys are read by every worker on every ticket and changed rarely. */
static pthread_rwlock_t tickets_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct tickets_key tickets_keys[TICKETS_MAX_KEYS];
static size_t tickets_n;
static time_t tickets_made;     /* when tickets_keys[0] started to encrypt */
static char *tickets_file;      /* NULL: keys made here */
static unsigned tickets_lifetime; /* seconds, keys made here */
static struct stat tickets_seen;  /* the file as last read (or last refused) */
static _Atomic time_t tickets_checked; /* second of the last look at file or clock */

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* A line of the file: base64 of exactly TICKETS_KEY_BYTES. */
static int
decode_line(const char *s, size_t len, unsigned char out[TICKETS_KEY_BYTES])
{
	unsigned char buf[TICKETS_KEY_BYTES + 3];
	int n, pad = 0;

	if (len != 108) /* 4 * ceil(80 / 3) */
		return ATTLS_EINVAL;
	while (pad < 2 && s[len - 1 - pad] == '=')
		pad++;
	n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
	if (n < 0 || n - pad != TICKETS_KEY_BYTES) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return ATTLS_EINVAL;
	}
	memcpy(out, buf, TICKETS_KEY_BYTES);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/* The file holds secrets: nobody but its owner (attlsd's user or root) may
 * read or change it, or anyone could forge or read every resumed session. */
static int
check_mode(const char *path, const struct stat *st, char *err, size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "ticket key file %s is not a regular file", path);
		return ATTLS_EINVAL;
	}
	if (st->st_mode & 077) {
		snprintf(err, errlen, "ticket key file %s has mode %04o: group and others must "
				      "have no access (chmod 600)",
			 path, (unsigned)(st->st_mode & 07777));
		return ATTLS_EINVAL;
	}
	/* attlsd's user: the one it runs as after the privilege drop. */
	if (st->st_uid != keyload_reader_uid() && st->st_uid != 0) {
		snprintf(err, errlen, "ticket key file %s belongs to uid %u, neither attlsd's "
				      "user nor root",
			 path, (unsigned)st->st_uid);
		return ATTLS_EINVAL;
	}
	return 0;
}

int
tickets_file_read(const char *path, unsigned char keys[][TICKETS_KEY_BYTES], size_t max,
		  char *err, size_t errlen)
{
	char line[512];
	struct stat st;
	size_t n = 0, lineno = 0;
	int ret = 0;
	FILE *f;

	if (!(f = fopen(path, "re"))) {
		snprintf(err, errlen, "cannot read ticket key file %s: %s", path, strerror(errno));
		return ATTLS_EIO;
	}
	if (fstat(fileno(f), &st) != 0 || (ret = check_mode(path, &st, err, errlen)) != 0) {
		if (!ret)
			snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		ret = ret ? ret : ATTLS_EIO;
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *e;

		lineno++;
		while (isspace((unsigned char)*s))
			s++;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
			;
		if (e == s || *s == '#')
			continue;
		if (n == max) {
			snprintf(err, errlen, "ticket key file %s: more than %zu keys", path, max);
			ret = ATTLS_EINVAL;
			goto out;
		}
		if (decode_line(s, (size_t)(e - s), keys[n]) != 0) {
			snprintf(err, errlen, "ticket key file %s line %zu: not the base64 of %d "
					      "bytes (make one with: openssl rand %d | base64 -w0)",
				 path, lineno, TICKETS_KEY_BYTES, TICKETS_KEY_BYTES);
			ret = ATTLS_EINVAL;
			goto out;
		}
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "ticket key file %s holds no key", path);
		ret = ATTLS_EINVAL;
	}
out:
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	return ret ? ret : (int)n;
}

void
tickets_key_format(const unsigned char key[TICKETS_KEY_BYTES], char *out, size_t len)
{
	unsigned char buf[120];

	EVP_EncodeBlock(buf, key, TICKETS_KEY_BYTES);
	snprintf(out, len, "%s", (const char *)buf);
	OPENSSL_cleanse(buf, sizeof(buf));
}

/* Under the write lock: the file's keys in place of the current ones. */
static int
load_file(time_t now, char *err, size_t errlen)
{
	unsigned char k[TICKETS_MAX_KEYS][TICKETS_KEY_BYTES];
	int n, i;

	if ((n = tickets_file_read(tickets_file, k, TICKETS_MAX_KEYS, err, errlen)) < 0)
		return n;
	OPENSSL_cleanse(tickets_keys, sizeof(tickets_keys));
	for (i = 0; i < n; i++)
		memcpy(&tickets_keys[i], k[i], TICKETS_KEY_BYTES);
	OPENSSL_cleanse(k, sizeof(k));
	tickets_n = (size_t)n;
	tickets_made = now;
	log_info("ticket keys: %d from %s (the first encrypts)", n, tickets_file);
	return 0;
}

/* Under the write lock: a new key of our own on top, the previous one second;
 * 'since' is when the new key's period began. */
static int
rotate_own(time_t since)
{
	struct tickets_key k;

	if (RAND_bytes((unsigned char *)&k, sizeof(k)) != 1)
		return ATTLS_ETLS;
	tickets_keys[1] = tickets_keys[0];
	tickets_keys[0] = k;
	OPENSSL_cleanse(&k, sizeof(k));
	tickets_n = tickets_n ? 2 : 1;
	tickets_made = since;
	return 0;
}

enum tickets_step
tickets_due(time_t made, unsigned lifetime, time_t now, time_t *since)
{
	time_t life = (time_t)lifetime;

	if (!life || now - made < life)
		return TICKETS_KEEP;
	if (now - made >= 2 * life) {
		*since = now;
		return TICKETS_RESTART;
	}
	*since = made + life; /* the schedule stays on its period */
	return TICKETS_ROTATE;
}

/* Under the write lock: own keys as the clock says they must be (tickets_due).
 * Returns 1 when a key was made, -1 when none could be. */
static int
rotate_due(time_t now)
{
	time_t since = now;

	switch (tickets_due(tickets_made, tickets_lifetime, now, &since)) {
	case TICKETS_KEEP:
		return 0;
	case TICKETS_RESTART:
		OPENSSL_cleanse(tickets_keys, sizeof(tickets_keys));
		tickets_n = 0;
		break;
	case TICKETS_ROTATE:
		break;
	}
	return rotate_own(since) == 0 ? 1 : -1;
}

/* At most once a second: a changed file is read again, an own key that has
 * served its lifetime is replaced. A broken file keeps the keys in force. */
static void
tickets_refresh(time_t now)
{
	time_t last = atomic_load(&tickets_checked);
	char err[320];
	struct stat st;
	unsigned life;
	int made = 0;
	size_t n;

	if (last == now || !atomic_compare_exchange_strong(&tickets_checked, &last, now))
		return;
	pthread_rwlock_wrlock(&tickets_lock);
	if (tickets_file) {
		if (stat(tickets_file, &st) == 0 && !same_file(&st, &tickets_seen)) {
			tickets_seen = st;
			if (load_file(now, err, sizeof(err)) != 0)
				log_warn("%s; the ticket keys in force stay", err);
		}
	} else {
		made = rotate_due(now);
	}
	n = tickets_n;
	life = tickets_lifetime;
	pthread_rwlock_unlock(&tickets_lock);
	if (made < 0)
		log_warn("ticket keys: no random bytes for a new key; the old one stays");
	else if (made)
		log_info("ticket keys: a new own key encrypts (lifetime %us); %s", life,
			 n > 1 ? "the previous one still decrypts for one more lifetime"
			       : "no older key was young enough to keep");
}

int
tickets_configure(const char *file, unsigned lifetime)
{
	time_t now = time(NULL);
	char err[320];
	int ret = 0;

	pthread_rwlock_wrlock(&tickets_lock);
	if (file) {
		char *copy = strdup(file);

		if (!copy) {
			ret = ATTLS_ENOMEM;
			goto out;
		}
		free(tickets_file);
		tickets_file = copy;
		if (stat(file, &tickets_seen) != 0)
			memset(&tickets_seen, 0, sizeof(tickets_seen));
		if ((ret = load_file(now, err, sizeof(err))) != 0) {
			log_error("%s", err);
			goto out;
		}
	} else {
		bool had_file = tickets_file != NULL;

		free(tickets_file);
		tickets_file = NULL;
		tickets_lifetime = lifetime;
		/* Own keys survive a reload; a file's keys are not kept as our own. */
		if (had_file || tickets_n == 0) {
			OPENSSL_cleanse(tickets_keys, sizeof(tickets_keys));
			tickets_n = 0;
			ret = rotate_own(now);
		}
	}
out:
	pthread_rwlock_unlock(&tickets_lock);
	return ret;
}

long
tickets_key_age(void)
{
	long age;

	tickets_refresh(time(NULL));
	pthread_rwlock_rdlock(&tickets_lock);
	age = tickets_n ? (long)(time(NULL) - tickets_made) : -1;
	pthread_rwlock_unlock(&tickets_lock);
	return age;
}

static int
set_keys(const struct tickets_key *k, unsigned char *iv, EVP_CIPHER_CTX *c, EVP_MAC_CTX *h,
	 int enc)
{
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->hmac,
						  sizeof(k->hmac)),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	if (EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, k->aes, iv, enc) != 1 ||
	    EVP_MAC_CTX_set_params(h, p) != 1)
		return ATTLS_ETLS;
	return 0;
}

/* OpenSSL's ticket callback: encrypt with the first key; decrypt with any key
 * of the set, asking for a fresh ticket (2) when it was not the first. */
static int
on_ticket_key(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *c,
	      EVP_MAC_CTX *h, int enc)
{
	struct tickets_key k;
	bool have = false;
	size_t i = 0;
	int ret = 0; /* OpenSSL's contract: 1 or 2 a key, 0 none, -1 an error */

	(void)ssl;
	tickets_refresh(time(NULL));
	pthread_rwlock_rdlock(&tickets_lock);
	if (enc) {
		if ((have = tickets_n > 0))
			k = tickets_keys[0];
	} else {
		for (i = 0; i < tickets_n && memcmp(tickets_keys[i].name, name, 16) != 0; i++)
			;
		if ((have = i < tickets_n))
			k = tickets_keys[i];
	}
	pthread_rwlock_unlock(&tickets_lock);
	if (enc && have) {
		memcpy(name, k.name, sizeof(k.name));
		if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) == 1 &&
		    set_keys(&k, iv, c, h, 1) == 0)
			ret = 1;
		else
			ret = -1;
	} else if (!enc && have) {
		/* An unknown name is no error: the client gets a full handshake. */
		ret = set_keys(&k, iv, c, h, 0) == 0 ? (i == 0 ? 1 : 2) : -1;
	}
	OPENSSL_cleanse(&k, sizeof(k));
	return ret;
}

void
tickets_ctx_set(SSL_CTX *ctx)
{
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, on_ticket_key);
}
