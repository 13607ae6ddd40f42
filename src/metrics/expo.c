/* SPDX-License-Identifier: Apache-2.0 */
/* The Prometheus text exposition (format 0.0.4) of attlsd: the workers'
 * counters summed, the policy in force, its certificates, the fleet's caches. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "fleet/rediscache.h"
#include "metrics_int.h"
#include "policy/policy.h"
#include "runtime/runtime.h"
#include "tls/tickets.h"

#define LOAD(c) atomic_load_explicit(&(c), memory_order_relaxed)

/* A keyring certificate's notAfter, read when its policy was put in force. */
struct expo_cert {
	char *keyring, *label;
	long long not_after; /* seconds since the epoch; -1 unreadable */
};

static pthread_mutex_t expo_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rt_gen *expo_gen; /* the generation in force: filters and their counters */
static unsigned expo_generation;
static time_t expo_reload_time;
static bool expo_reload_ok = true;
static struct expo_cert *expo_certs;
static size_t expo_ncerts;

static const char *const kind_names[3] = { "local", "redis", "ticket" };

static const char *
role_name(int role)
{
	switch (role) {
	case POLICY_ROLE_CLIENT:
		return "client";
	case POLICY_ROLE_SERVER:
		return "server";
	case POLICY_ROLE_SERVER_CLIENT_AUTH:
		return "server_with_client_auth";
	}
	return "none";
}

/* A label value: backslash, double quote and newline escaped. */
static void
label(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void
head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The notAfter of the first certificate in 'path', in seconds since the epoch. */
static int
cert_not_after(const char *path, long long *out)
{
	const ASN1_TIME *t;
	struct tm tm;
	X509 *x = NULL;
	FILE *f;
	int ret = ATTLS_ETLS;

	if (!path || !(f = fopen(path, "re")))
		return ATTLS_EIO;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x && (t = X509_get0_notAfter(x)) && ASN1_TIME_to_tm(t, &tm) == 1) {
		*out = (long long)timegm(&tm);
		ret = 0;
	}
	X509_free(x);
	return ret;
}

static void
certs_free(struct expo_cert *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].keyring);
		free(v[i].label);
	}
	free(v);
}

/* Every labelled certificate of every keyring of 'p'. */
static struct expo_cert *
certs_read(const struct policy *p, size_t *n)
{
	struct expo_cert *v;
	size_t i, j, total = 0;

	for (i = 0; i < p->nkeyrings; i++)
		total += p->keyrings[i].certs.n ? p->keyrings[i].certs.n : 1;
	if (!(v = calloc(total + 1, sizeof(*v))))
		return NULL;
	*n = 0;
	for (i = 0; i < p->nkeyrings; i++) {
		const struct policy_keyring *k = &p->keyrings[i];

		for (j = 0; j < (k->certs.n ? k->certs.n : 1); j++) {
			const char *path = k->certs.n ? k->certs.v[j].certificate : k->certificate;

			if (!path)
				continue;
			v[*n].keyring = strdup(k->name);
			v[*n].label = strdup(k->certs.n ? k->certs.v[j].label : "default");
			if (cert_not_after(path, &v[*n].not_after) != 0)
				v[*n].not_after = -1; /* the gauge says "unreadable" */
			(*n)++;
		}
	}
	ERR_clear_error();
	return v;
}

void
expo_policy_set(struct rt_gen *g, unsigned generation, bool ok)
{
	struct expo_cert *certs = NULL, *old_certs;
	struct rt_gen *old;
	size_t n = 0, old_n;

	if (g)
		certs = certs_read(g->policy, &n);
	pthread_mutex_lock(&expo_lock);
	old = expo_gen;
	old_certs = expo_certs;
	old_n = expo_ncerts;
	if (g) {
		expo_gen = rt_gen_ref(g);
		expo_generation = generation;
		expo_certs = certs;
		expo_ncerts = certs ? n : 0;
	}
	expo_reload_time = time(NULL);
	expo_reload_ok = ok;
	pthread_mutex_unlock(&expo_lock);
	if (g) {
		rt_gen_unref(old);
		certs_free(old_certs, old_n);
	}
}

static void
write_conns(FILE *out, struct metrics_worker *ws)
{
	static const struct {
		const char *name, *type, *help;
	} m[] = {
		{ "attls_connections_accepted_total", "counter",
		  "Connections served, by rule (\"(none)\": no rule matched)." },
		{ "attls_connections_active", "gauge", "Connections being served now, by rule." },
		{ "attls_bytes_total", "counter",
		  "Bytes relayed, by rule: direction in from the client, out from the backend." },
	};
	struct metrics_worker *w;
	unsigned s, k, r;

	for (k = 0; k < 3; k++) {
		head(out, m[k].name, m[k].type, m[k].help);
		for (s = 0; s <= METRICS_RULES; s++) {
			uint64_t a = 0, c = 0, in = 0, o = 0;
			const char *name = metrics_slot_name(s);

			if (!name)
				continue;
			for (w = ws; w; w = w->next) {
				a += LOAD(w->rules[s].accepted);
				c += LOAD(w->rules[s].closed);
				in += LOAD(w->rules[s].bytes_in);
				o += LOAD(w->rules[s].bytes_out);
			}
			if (k == 2) {
				fprintf(out, "%s{rule=", m[k].name);
				label(out, name);
				fprintf(out, ",direction=\"in\"} %llu\n%s{rule=", (unsigned long long)in,
					m[k].name);
				label(out, name);
				fprintf(out, ",direction=\"out\"} %llu\n", (unsigned long long)o);
				continue;
			}
			fprintf(out, "%s{rule=", m[k].name);
			label(out, name);
			fprintf(out, "} %llu\n", (unsigned long long)(k == 0 ? a : a >= c ? a - c : 0));
		}
	}
	head(out, "attls_connections_refused_total", "counter",
	     "Connections turned away before they were served, by rule and reason.");
	for (s = 0; s <= METRICS_RULES; s++) {
		const char *name = metrics_slot_name(s);

		for (r = 0; name && r < METRICS_REFUSE_N; r++) {
			uint64_t n = 0;

			for (w = ws; w; w = w->next)
				n += LOAD(w->rules[s].refused[r]);
			if (!n)
				continue;
			fprintf(out, "attls_connections_refused_total{rule=");
			label(out, name);
			fprintf(out, ",reason=\"%s\"} %llu\n", metrics_refuse_names[r],
				(unsigned long long)n);
		}
	}
}

/* Handshakes by (rule, role, rc): each worker's table, summed by key. */
static void
write_handshakes(FILE *out, struct metrics_worker *ws)
{
	struct metrics_worker *w, *v;
	uint64_t overflow = 0;
	unsigned i, j;

	head(out, "attls_handshakes_total", "counter",
	     "TLS handshakes by rule, role and return code (rc 0: success).");
	for (w = ws; w; w = w->next) {
		overflow += LOAD(w->rc_overflow);
		for (i = 0; i < METRICS_RC_SLOTS; i++) {
			uint64_t key = atomic_load_explicit(&w->rcs[i].key, memory_order_acquire);
			uint64_t n = 0;
			bool seen = false;
			const char *name;

			if (!key)
				continue;
			/* Printed by the first worker that has the key. */
			for (v = ws; v != w && !seen; v = v->next)
				for (j = 0; j < METRICS_RC_SLOTS && !seen; j++)
					seen = LOAD(v->rcs[j].key) == key;
			if (seen)
				continue;
			for (v = w; v; v = v->next)
				for (j = 0; j < METRICS_RC_SLOTS; j++)
					if (LOAD(v->rcs[j].key) == key)
						n += LOAD(v->rcs[j].count);
			name = metrics_slot_name((unsigned)(key >> 24) - 1);
			fprintf(out, "attls_handshakes_total{rule=");
			label(out, name ? name : "?");
			fprintf(out, ",role=\"%s\",rc=\"%u\"} %llu\n",
				role_name((int)(key >> 16 & 0xff)), (unsigned)(key & 0xffff),
				(unsigned long long)n);
		}
	}
	head(out, "attls_handshakes_uncounted_total", "counter",
	     "Handshakes beyond the (rule, role, rc) table of a worker.");
	fprintf(out, "attls_handshakes_uncounted_total %llu\n", (unsigned long long)overflow);
}

static void
write_durations(FILE *out, struct metrics_worker *ws)
{
	uint64_t b[METRICS_BUCKETS + 1] = { 0 }, count = 0, sum = 0, cum = 0;
	struct metrics_worker *w;
	unsigned i;

	for (w = ws; w; w = w->next) {
		for (i = 0; i <= METRICS_BUCKETS; i++)
			b[i] += LOAD(w->buckets[i]);
		count += LOAD(w->hs_count);
		sum += LOAD(w->hs_sum_ms);
	}
	head(out, "attls_handshake_duration_seconds", "histogram",
	     "From accept to the end of the handshake (HSTIME), successful or not.");
	for (i = 0; i < METRICS_BUCKETS; i++) {
		cum += b[i];
		fprintf(out, "attls_handshake_duration_seconds_bucket{le=\"%g\"} %llu\n",
			metrics_bucket_ms[i] / 1000.0, (unsigned long long)cum);
	}
	fprintf(out, "attls_handshake_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
		(unsigned long long)count);
	fprintf(out, "attls_handshake_duration_seconds_sum %.3f\n", sum / 1000.0);
	fprintf(out, "attls_handshake_duration_seconds_count %llu\n", (unsigned long long)count);
}

static void
write_owner(FILE *out, struct metrics_worker *ws)
{
	static const char *const names[METRICS_OWNER_N] = { "search", "joined", "refused" };
	struct metrics_worker *w;
	unsigned k;

	head(out, "attls_owner_lookups_total", "counter",
	     "Connections that needed the process owning a socket (Jobname rules): a new "
	     "search of /proc, joined a search in flight, or refused (queue full).");
	for (k = 0; k < METRICS_OWNER_N; k++) {
		uint64_t n = 0;

		for (w = ws; w; w = w->next)
			n += LOAD(w->owner[k]);
		fprintf(out, "attls_owner_lookups_total{result=\"%s\"} %llu\n", names[k],
			(unsigned long long)n);
	}
}

static void
write_caches(FILE *out, struct metrics_worker *ws)
{
	struct rediscache_stats rs;
	struct metrics_worker *w;
	unsigned k, h;
	long age;

	head(out, "attls_session_resumptions_total", "counter",
	     "Handshakes that offered a session, by cache (local session-ID cache, redis, "
	     "ticket) and result.");
	for (k = 0; k < 3; k++)
		for (h = 0; h < 2; h++) {
			uint64_t n = 0;

			for (w = ws; w; w = w->next)
				n += LOAD(w->resumed[k][h]);
			fprintf(out, "attls_session_resumptions_total{cache=\"%s\",result=\"%s\"} %llu\n",
				kind_names[k], h ? "hit" : "miss", (unsigned long long)n);
		}
	rediscache_stats(&rs);
	if (rs.workers) {
		head(out, "attls_session_cache_up", "gauge",
		     "1 when every worker is connected to settings.session_cache.");
		fprintf(out, "attls_session_cache_up %d\n", rs.connected == rs.workers);
		head(out, "attls_session_cache_connected_workers", "gauge",
		     "Workers connected to settings.session_cache.");
		fprintf(out, "attls_session_cache_connected_workers %u\n", rs.connected);
		head(out, "attls_session_cache_lookups_total", "counter",
		     "Lookups in settings.session_cache by result.");
		fprintf(out,
			"attls_session_cache_lookups_total{result=\"hit\"} %llu\n"
			"attls_session_cache_lookups_total{result=\"miss\"} %llu\n"
			"attls_session_cache_lookups_total{result=\"timeout\"} %llu\n"
			"attls_session_cache_lookups_total{result=\"error\"} %llu\n",
			(unsigned long long)rs.hits, (unsigned long long)rs.misses,
			(unsigned long long)rs.timeouts, (unsigned long long)rs.errors);
		head(out, "attls_session_cache_stores_total", "counter",
		     "Sessions sent to settings.session_cache.");
		fprintf(out, "attls_session_cache_stores_total %llu\n", (unsigned long long)rs.stores);
	}
	write_owner(out, ws);
	if ((age = tickets_key_age()) >= 0) {
		head(out, "attls_ticket_key_age_seconds", "gauge",
		     "Seconds since the session ticket key that encrypts was made or read.");
		fprintf(out, "attls_ticket_key_age_seconds %ld\n", age);
	}
}

/* Under expo_lock: the policy in force. */
static void
write_policy(FILE *out)
{
	const struct policy *p = expo_gen ? expo_gen->policy : NULL;
	size_t i;

	head(out, "attls_policy_generation", "gauge",
	     "Policy generation in force (0: the one attlsd started with).");
	fprintf(out, "attls_policy_generation %u\n", expo_generation);
	head(out, "attls_policy_last_reload_timestamp_seconds", "gauge",
	     "When the policy was last loaded or a reload was tried.");
	fprintf(out, "attls_policy_last_reload_timestamp_seconds %lld\n",
		(long long)expo_reload_time);
	head(out, "attls_policy_last_reload_success", "gauge",
	     "1 when the last load or reload put its policy in force, 0 when it failed.");
	fprintf(out, "attls_policy_last_reload_success %d\n", expo_reload_ok);
	head(out, "attls_keyring_certificate_not_after_seconds", "gauge",
	     "notAfter of each keyring certificate (-1: unreadable), for expiry alerts.");
	for (i = 0; i < expo_ncerts; i++) {
		fprintf(out, "attls_keyring_certificate_not_after_seconds{keyring=");
		label(out, expo_certs[i].keyring ? expo_certs[i].keyring : "?");
		fprintf(out, ",label=");
		label(out, expo_certs[i].label ? expo_certs[i].label : "?");
		fprintf(out, "} %lld\n", expo_certs[i].not_after);
	}
	if (!p || !p->nfilters)
		return;
	head(out, "attls_ipfilter_decisions_total", "counter",
	     "IP filter decisions at accept, by filter and action (since the last reload).");
	for (i = 0; i <= p->nfilters; i++) {
		const struct rt_filter_stat *f = &expo_gen->fstats[i];
		const char *name = i < p->nfilters ? p->filters[i].name : "(implicit deny)";

		fprintf(out, "attls_ipfilter_decisions_total{filter=");
		label(out, name);
		fprintf(out, ",action=\"permit\"} %llu\nattls_ipfilter_decisions_total{filter=",
			atomic_load(&f->permitted));
		label(out, name);
		fprintf(out, ",action=\"deny\"} %llu\n", atomic_load(&f->denied));
	}
}

void
expo_write(FILE *out)
{
	struct metrics_worker *ws = metrics_workers();

	write_conns(out, ws);
	write_handshakes(out, ws);
	write_durations(out, ws);
	write_caches(out, ws);
	pthread_mutex_lock(&expo_lock);
	write_policy(out);
	pthread_mutex_unlock(&expo_lock);
}

void
expo_policy_clear(void)
{
	struct expo_cert *certs;
	struct rt_gen *g;
	size_t n;

	pthread_mutex_lock(&expo_lock);
	g = expo_gen;
	certs = expo_certs;
	n = expo_ncerts;
	expo_gen = NULL;
	expo_certs = NULL;
	expo_ncerts = 0;
	pthread_mutex_unlock(&expo_lock);
	rt_gen_unref(g);
	certs_free(certs, n);
}
