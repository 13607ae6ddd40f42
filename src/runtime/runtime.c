/* SPDX-License-Identifier: Apache-2.0 */
/* Runtime generations: TLS contexts and resolved addresses for one policy. */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/rc.h"
#include "runtime.h"
#include "tls/sesscache.h"
#include "tls/tickets.h"
#include "tls/tls.h"

void
rt_addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s..%u", ip, ntohs(s->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s..%u", ip, ntohs(s->sin6_port));
	} else {
		snprintf(buf, len, "?..0");
	}
}

void
rt_addr_key(const union rt_sockaddr *sa, uint8_t out[16], uint16_t *port)
{
	if (sa->sa.sa_family == AF_INET) {
		policy_addr_from_v4(sa->in.sin_addr.s_addr, out);
		*port = ntohs(sa->in.sin_port);
	} else {
		memcpy(out, &sa->in6.sin6_addr, 16);
		*port = ntohs(sa->in6.sin6_port);
	}
}

void
rt_conn_attrs(const union rt_sockaddr *local, const union rt_sockaddr *remote,
	      struct policy_conn_attrs *a)
{
	memset(a, 0, sizeof(*a));
	a->direction = POLICY_DIR_INBOUND;
	a->now = time(NULL);
	rt_addr_key(local, a->local_addr, &a->local_port);
	rt_addr_key(remote, a->remote_addr, &a->remote_port);
}

static int
resolve(const char *host, uint16_t port, bool passive, struct rt_addr *out)
{
	struct addrinfo hints, *res = NULL;
	char ps[8];
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE | AI_NUMERICHOST : AI_ADDRCONFIG;
	snprintf(ps, sizeof(ps), "%u", port);
	if ((r = getaddrinfo(host, ps, &hints, &res)) != 0 || !res) {
		log_error("cannot resolve %s:%u: %s", host, port, gai_strerror(r));
		return ATTLS_EINVAL;
	}
	if ((res->ai_family != AF_INET && res->ai_family != AF_INET6) ||
	    res->ai_addrlen > sizeof(out->ss)) {
		log_error("cannot resolve %s:%u: not an IPv4 or IPv6 address", host, port);
		freeaddrinfo(res);
		return ATTLS_EINVAL;
	}
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void
rt_backend_at(const struct rt_gen *g, size_t rule, const union rt_sockaddr *local,
	      struct rt_addr *out)
{
	const struct policy_endpoint *ep = &g->policy->rules[rule].backend;
	uint8_t addr[16];
	uint16_t lport;
	long port;

	*out = g->rules[rule].backend;
	if (!ep->relative)
		return;
	rt_addr_key(local, addr, &lport);
	/* Validation bounds it for the rule's ports; a diverted connection to a
	 * port outside them cannot map to this rule. */
	port = (long)lport + ep->offset;
	if (port < 1 || port > 65535)
		port = 0;
	if (out->ss.sa.sa_family == AF_INET)
		((struct sockaddr_in *)&out->ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&out->ss)->sin6_port = htons((uint16_t)port);
}

/* The user attlsd runs as, for the USERID of its own lines: the first
 * generation is built as root, before the privilege drop to settings.user. */
static void
fill_userid(struct rt_gen *g, const struct policy *p)
{
	struct passwd *pw;

	if (geteuid() == 0 && p->settings.user && *p->settings.user) {
		snprintf(g->userid, sizeof(g->userid), "%s", p->settings.user);
		return;
	}
	pw = getpwuid(geteuid());
	snprintf(g->userid, sizeof(g->userid), "%s", pw ? pw->pw_name : "?");
}

static bool
is_ip_literal(const char *h)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

/* Client role: what to send as SNI and what the server must prove. */
static void
client_names(const struct policy_rule *rl, struct rt_rule *rr)
{
	const char *host = rl->backend.host ? rl->backend.host : "";

	if (rl->eff.role != POLICY_ROLE_CLIENT)
		return;
	if (rl->eff.identity_check)
		snprintf(rr->identity, sizeof(rr->identity), "%s",
			 rl->eff.host_ref ? rl->eff.host_ref : host);
	if (rl->eff.sni_client == POLICY_SNI_OFF)
		return; /* ClientHandshakeSNI Off: no server name is sent */
	if (rl->eff.sni)
		snprintf(rr->sni, sizeof(rr->sni), "%s", rl->eff.sni);
	else if (rl->eff.host_ref && !is_ip_literal(rl->eff.host_ref))
		snprintf(rr->sni, sizeof(rr->sni), "%s", rl->eff.host_ref);
	else if (!is_ip_literal(host))
		snprintf(rr->sni, sizeof(rr->sni), "%s", host);
}

/* Rules with the same environment and connection action share one context. */
static int
build_contexts(struct rt_gen *g)
{
	const struct policy *p = g->policy;
	char err[512];
	size_t i, j;
	int rc, r;

	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *rl = &p->rules[i];

		if (!rl->eff.enabled)
			continue;
		client_names(rl, &g->rules[i]);
		for (j = 0; j < i; j++)
			if (g->rules[j].ctx && p->rules[j].env == rl->env &&
			    p->rules[j].conn == rl->conn)
				break;
		if (j < i) {
			SSL_CTX_up_ref(g->rules[j].ctx);
			g->rules[i].ctx = g->rules[j].ctx;
			continue;
		}
		if ((r = tls_ctx_new(rl, &g->rules[i].ctx, &rc, err, sizeof(err))) != 0) {
			log_error("%s: environment \"%s\" (rule \"%s\") cannot start: RC %d: %s",
				  p->path, rl->env->name, rl->name, rc, err);
			return r;
		}
	}
	return 0;
}

int
rt_gen_new(struct policy *p, struct rt_gen **out)
{
	struct rt_gen *g;
	size_t i;
	int r = ATTLS_ENOMEM;

	*out = NULL;
	if (!(g = calloc(1, sizeof(*g))))
		return ATTLS_ENOMEM;
	atomic_init(&g->refs, 1);
	g->policy = policy_ref(p);
	fill_userid(g, p);
	g->rules = calloc(p->nrules + 1, sizeof(*g->rules));
	g->listen_addrs = calloc(p->nlisteners + 1, sizeof(*g->listen_addrs));
	g->listen_backends = calloc(p->nlisteners + 1, sizeof(*g->listen_backends));
	g->fstats = calloc(p->nfilters + 1, sizeof(*g->fstats));
	if (!g->rules || !g->listen_addrs || !g->listen_backends || !g->fstats)
		goto fail;
	for (i = 0; i < p->nlisteners; i++) {
		const struct policy_listener *l = &p->listeners[i];
		/* A diverting listener may have no backend: connections go on to their
		 * original destination. */
		if ((r = resolve(l->host, l->port, true, &g->listen_addrs[i])) != 0 ||
		    (l->backend.host &&
		     (r = resolve(l->backend.host, l->backend.port, false, &g->listen_backends[i])) != 0))
			goto fail;
	}
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *rl = &p->rules[i];
		/* A relative backend's port is set per connection (rt_backend_at). */
		if (rl->backend.set &&
		    (r = resolve(rl->backend.host, rl->backend.relative ? 0 : rl->backend.port, false,
				 &g->rules[i].backend)) != 0)
			goto fail;
	}
	if ((r = sesscache_url_check(p->settings.session_cache)) != 0 ||
	    (r = tickets_configure(p->settings.ticket_keys, p->settings.ticket_key_lifetime)) != 0 ||
	    (r = build_contexts(g)) != 0)
		goto fail;
	*out = g;
	return 0;
fail:
	rt_gen_unref(g);
	return r;
}

struct rt_gen *
rt_gen_ref(struct rt_gen *g)
{
	atomic_fetch_add(&g->refs, 1);
	return g;
}

void
rt_gen_unref(struct rt_gen *g)
{
	size_t i;

	if (!g || atomic_fetch_sub(&g->refs, 1) != 1)
		return;
	for (i = 0; g->rules && i < g->policy->nrules; i++)
		SSL_CTX_free(g->rules[i].ctx);
	free(g->rules);
	free(g->listen_addrs);
	free(g->listen_backends);
	free(g->fstats);
	policy_unref(g->policy);
	free(g);
}
