/* SPDX-License-Identifier: Apache-2.0 */
/* The registry of live connections the control socket answers from: workers
 * publish snapshots of their connections into a mutex-protected hash keyed
 * by the 4-tuple the plaintext application sees, so a query never touches a
 * worker's live connection (a worker owns it, and may free it at any
 * moment). The numbers are z/OS's: policy status 1-5, connection status 1-3,
 * security type 0-6, protocol 0x0303/0x0304 (attls-reference.md §7.5). */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "control_int.h"
#include "tls/tls.h"

#define REGISTRY_BUCKETS 4096

static pthread_mutex_t registry_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct control_entry *registry_buckets[REGISTRY_BUCKETS];
static atomic_bool registry_active;

static unsigned
registry_hash(const struct control_key *k)
{
	return (unsigned)(hash_bytes(k, sizeof(*k)) % REGISTRY_BUCKETS);
}

static int
registry_sec_type(const struct policy_rule *r)
{
	if (!r || !r->eff.enabled)
		return 0;
	if (r->eff.role == POLICY_ROLE_CLIENT)
		return 1;
	if (r->eff.role == POLICY_ROLE_SERVER)
		return 2;
	switch (r->eff.client_auth) {
	case POLICY_CA_PASSTHRU:
		return 3;
	case POLICY_CA_FULL:
		return 4;
	case POLICY_CA_SAFCHECK:
		return 6;
	default:
		return 5; /* Required */
	}
}

static void
registry_snapshot(const struct control_conn *cc, struct control_entry *e)
{
	const struct policy_rule *r = cc->rule;

	e->connid = cc->connid;
	e->q = cc->q;
	e->policy_status = !r ? 2 : !r->eff.enabled ? 3 : r->eff.app_controlled ? 5 : 4;
	e->conn_status = !r || !r->eff.enabled || cc->app_clear ? 1 : cc->secure ? 3 : 2;
	e->sec_type = registry_sec_type(r);
	snprintf(e->rule, sizeof(e->rule), "%s", r ? r->name : "-");
	snprintf(e->userid, sizeof(e->userid), "%s", cc->userid[0] ? cc->userid : "-");
	snprintf(e->cipher, sizeof(e->cipher), "-");
	e->protocol = 0;
	if (cc->ssl && cc->secure) {
		e->protocol = (unsigned)SSL_version(cc->ssl);
		tls_cipher_code(cc->ssl, e->cipher);
		X509_free(e->peer);
		e->peer = SSL_get1_peer_certificate(cc->ssl);
	}
}

static void
registry_unlink(struct control_entry *e)
{
	struct control_entry **pp = &registry_buckets[registry_hash(&e->key)];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
}

void
registry_set_active(bool active)
{
	atomic_store(&registry_active, active);
}

void
registry_lock(void)
{
	pthread_mutex_lock(&registry_mutex);
}

void
registry_unlock(void)
{
	pthread_mutex_unlock(&registry_mutex);
}

struct control_entry *
registry_find(const struct control_key *k)
{
	struct control_entry *e;

	for (e = registry_buckets[registry_hash(k)]; e; e = e->next)
		if (memcmp(&e->key, k, sizeof(*k)) == 0)
			return e;
	return NULL;
}

void
registry_each(void (*fn)(const struct control_entry *e, void *arg), void *arg)
{
	struct control_entry *e;
	size_t i;

	for (i = 0; i < REGISTRY_BUCKETS; i++)
		for (e = registry_buckets[i]; e; e = e->next)
			fn(e, arg);
}

/* The public names below stay control_reg_* (control.h): the data plane
 * calls them. */

bool
control_reg_active(void)
{
	return atomic_load(&registry_active);
}

void
control_reg_publish(struct control_entry **slot, const struct control_conn *cc)
{
	struct control_entry *e = *slot;
	struct control_key k;
	unsigned h;

	if (!atomic_load(&registry_active))
		return;
	memset(&k, 0, sizeof(k));
	rt_addr_key(&cc->local, k.laddr, &k.lport);
	rt_addr_key(&cc->remote, k.raddr, &k.rport);
	if (!e && !(e = *slot = calloc(1, sizeof(*e))))
		return;
	pthread_mutex_lock(&registry_mutex);
	if (e->key.lport || e->key.rport)
		registry_unlink(e);
	e->key = k;
	registry_snapshot(cc, e);
	h = registry_hash(&k);
	e->next = registry_buckets[h];
	registry_buckets[h] = e;
	pthread_mutex_unlock(&registry_mutex);
}

void
control_reg_remove(struct control_entry **slot)
{
	struct control_entry *e = *slot;

	if (!e)
		return;
	pthread_mutex_lock(&registry_mutex);
	registry_unlink(e);
	pthread_mutex_unlock(&registry_mutex);
	X509_free(e->peer);
	free(e);
	*slot = NULL;
}
