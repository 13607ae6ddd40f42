/* SPDX-License-Identifier: Apache-2.0 */
/* Policy generations: reference counting and freeing. */
#include "config.h"

#include <stdlib.h>

#include "policy_int.h"

struct policy *
policy_ref(struct policy *p)
{
	if (p)
		atomic_fetch_add(&p->refs, 1);
	return p;
}

void
policy_unref(struct policy *p)
{
	if (p && atomic_fetch_sub(&p->refs, 1) == 1)
		policy_free(p);
}

/* Frees every field of 'n' entries of 'size' bytes described by a section. */
static void
free_entries(const struct schema_section *sec, void *arr, size_t n, size_t size)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		char *e = (char *)arr + i * size;

		free(*(char **)e); /* every named entry starts with its name */
		for (j = 0; j < sec->nrows; j++)
			schema_free_field(&sec->rows[j], e);
	}
	free(arr);
}

static void
free_parms(struct policy_tls_parms *t)
{
	size_t j;

	for (j = 0; j < schema_ntls_parms; j++)
		schema_free_field(&schema_tls_parms[j], t);
	free(t->key_line);
}

void
policy_free(struct policy *p)
{
	size_t i;

	if (!p)
		return;
	policy_index_free(p->index);
	policy_filter_view_free(p->fview);
	for (i = 0; i < p->nkeyrings; i++)
		free(p->keyrings[i].key_line);
	for (i = 0; i < p->nsigs; i++)
		free(p->sigs[i].key_line);
	free_entries(schema_section_find("keyrings"), p->keyrings, p->nkeyrings,
		     sizeof(*p->keyrings));
	free_entries(schema_section_find("groups"), p->groups, p->ngroups, sizeof(*p->groups));
	for (i = 0; i < p->nrules; i++)
		free(p->rules[i].listeners);
	free_entries(schema_section_find("rules"), p->rules, p->nrules, sizeof(*p->rules));
	for (i = 0; i < p->nciphers; i++) {
		free(p->ciphers[i].suites.v);
		free(p->ciphers[i].key_line);
	}
	free_entries(schema_section_find("ciphers"), p->ciphers, p->nciphers, sizeof(*p->ciphers));
	free_entries(schema_section_find("signatures"), p->sigs, p->nsigs, sizeof(*p->sigs));
	free_entries(schema_section_find("time_conditions"), p->times, p->ntimes, sizeof(*p->times));
	free_entries(schema_section_find("filters"), p->filters, p->nfilters, sizeof(*p->filters));
	free_entries(schema_section_find("addresses"), p->addr_sets, p->naddr_sets,
		     sizeof(*p->addr_sets));
	free_entries(schema_section_find("ports"), p->port_sets, p->nport_sets,
		     sizeof(*p->port_sets));
	free_entries(schema_section_find("identity_maps"), p->idmaps, p->nidmaps,
		     sizeof(*p->idmaps));
	for (i = 0; i < p->nenvs; i++)
		free_parms(&p->envs[i].parms);
	for (i = 0; i < p->nconns; i++)
		free_parms(&p->conns[i].parms);
	free_entries(schema_section_find("environments"), p->envs, p->nenvs, sizeof(*p->envs));
	free_entries(schema_section_find("connections"), p->conns, p->nconns, sizeof(*p->conns));
	for (i = 0; i < p->nlisteners; i++) {
		free(p->listeners[i].host);
		free(p->listeners[i].backend.host);
	}
	free(p->listeners);
	free(p->settings.jobname);
	free(p->settings.user);
	free(p->settings.group);
	free(p->settings.control_socket);
	free(p->settings.event_log);
	free(p->settings.capture_dir);
	free(p->settings.ticket_keys);
	free(p->settings.session_cache);
	free(p->settings.metrics_listen);
	free(p->path);
	free(p);
}
