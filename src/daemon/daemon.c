/* SPDX-License-Identifier: Apache-2.0 */
/* Start-up order (listeners bound before anything starts, so a port in use
 * leaves nothing half-started), worker threads, signals, graceful shutdown. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "activation.h"
#include "daemon.h"
#include "privdrop.h"
#include "sandbox.h"
#include "sdnotify.h"
#include "policy/diag.h"
#include "common/err.h"
#include "common/log.h"
#include "runtime/runtime.h"
#include "control/control.h"
#include "proxy/intercept.h"
#include "tls/keyload.h"
#include "tls/keyring_lint.h"
#include "diag/capture.h"
#include "filter/ipfilter.h"
#include "metrics/metrics.h"
#include "proxy/fdbudget.h"
#include "proxy/worker.h"

#define LISTEN_BACKLOG 4096
#define HOUSEKEEPING_MS 5000

struct daemon {
	const struct daemon_opts *o;
	struct rt_gen *gen;
	struct worker **workers;
	unsigned nworkers;
	int *fds;  /* nworkers x nlisteners, until the workers take them */
	int *wfds; /* what the workers listen on (theirs to close), for reloads */
	unsigned generation;
	char *policy_path; /* absolute: a daemon has chdir'ed to / by reload time */
	uv_loop_t *loop;
	uv_signal_t sigterm, sigint, sighup, sigusr1;
	uv_timer_t drain, check, housekeeping;
	struct sdnotify *sd;
	bool stopping;
};

static atomic_uint workers_done;

static int
listen_socket(const struct rt_addr *a, bool reuseport, int intercept, int *out)
{
	int fd, one = 1, r;

	*out = -1;
	/* Socket activation: systemd bound and set up this one (activation.c). */
	if ((r = activation_take(a, out)) != 0)
		return r < 0 ? r : 0;
	fd = socket(a->ss.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((r = intercept_listen_opts(fd, a->ss.sa.sa_family, intercept)) != 0) {
		close(fd);
		return r;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
		goto fail;
	if (a->ss.sa.sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0)
		goto fail;
	if (listen(fd, LISTEN_BACKLOG) != 0)
		goto fail;
	*out = fd;
	return 0;
fail:
	r = -errno;
	close(fd);
	return r;
}

/* Binds every listener once per worker. A first bind without SO_REUSEPORT
 * proves nobody else holds the port (another attlsd would share it silently). */
static int
open_listeners(struct daemon *d)
{
	const struct policy *p = d->gen->policy;
	unsigned i, k;
	int probe, r;
	char where[80];

	d->fds = malloc(sizeof(int) * (p->nlisteners * d->nworkers + 1));
	if (!d->fds)
		return ATTLS_ENOMEM;
	for (i = 0; i < p->nlisteners * d->nworkers; i++)
		d->fds[i] = -1;
	for (i = 0; i < p->nlisteners; i++) {
		rt_addr_format((const struct sockaddr *)&d->gen->listen_addrs[i].ss, where,
			       sizeof(where));
		r = listen_socket(&d->gen->listen_addrs[i], false, p->listeners[i].intercept, &probe);
		if (r == 0)
			close(probe);
		for (k = 0; r == 0 && k < d->nworkers; k++)
			r = listen_socket(&d->gen->listen_addrs[i], true, p->listeners[i].intercept,
					  &d->fds[k * p->nlisteners + i]);
		if (r != 0) {
			log_error("%s:%u:%u: cannot listen on %s: %s", p->path, p->listeners[i].pos.line,
				  p->listeners[i].pos.col, where, strerror(-r));
			return ATTLS_ESYS;
		}
		if (p->listeners[i].intercept && !p->listeners[i].backend.host)
			log_info("listening on %s for diverted connections (%s), backend: the original "
				 "destination",
				 where, p->listeners[i].intercept == POLICY_INTERCEPT_TPROXY ? "tproxy"
											 : "redirect");
		else
			log_info("listening on %s, backend %s:%u", where, p->listeners[i].backend.host,
				 p->listeners[i].backend.port);
	}
	return 0;
}

static void
close_listeners(struct daemon *d)
{
	unsigned i;

	for (i = 0; d->fds && i < d->gen->policy->nlisteners * d->nworkers; i++)
		if (d->fds[i] >= 0)
			close(d->fds[i]);
	free(d->fds);
	d->fds = NULL;
}

static void
on_closed(uv_handle_t *h)
{
	(void)h;
}

static void
on_check(uv_timer_t *t)
{
	struct daemon *d = t->data;

	if (atomic_load(&workers_done) < d->nworkers)
		return;
	control_stop();
	uv_close((uv_handle_t *)&d->sigterm, on_closed);
	uv_close((uv_handle_t *)&d->sigint, on_closed);
	uv_close((uv_handle_t *)&d->sighup, on_closed);
	uv_close((uv_handle_t *)&d->sigusr1, on_closed);
	uv_close((uv_handle_t *)&d->housekeeping, on_closed);
	uv_close((uv_handle_t *)&d->drain, on_closed);
	uv_close((uv_handle_t *)&d->check, on_closed);
}

static void
on_drain_timeout(uv_timer_t *t)
{
	struct daemon *d = t->data;
	unsigned i;

	log_notice("shutdown_timeout reached with %u connections left; closing them",
		   worker_live_connections());
	for (i = 0; i < d->nworkers; i++)
		worker_command(d->workers[i], WORKER_CMD_ABORT);
}

static void
on_stop_signal(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;
	unsigned i, timeout = d->gen->policy->settings.shutdown_timeout;

	if (d->stopping) {
		log_notice("second signal %d: closing all connections now", signum);
		on_drain_timeout(&d->drain);
		return;
	}
	d->stopping = true;
	sdnotify_stopping(d->sd);
	log_notice("signal %d: no longer accepting; %u live connections may take up to %us",
		   signum, worker_live_connections(), timeout);
	for (i = 0; i < d->nworkers; i++)
		worker_command(d->workers[i], WORKER_CMD_STOP);
	uv_timer_start(&d->drain, on_drain_timeout, (uint64_t)timeout * 1000, 0);
	uv_timer_start(&d->check, on_check, 50, 50);
}

/* Every few seconds: summaries of held-back filter messages. */
static void
on_housekeeping(uv_timer_t *t)
{
	struct daemon *d = t->data;

	ipfilter_flush_suppressed(d->gen);
}

static void
on_sigusr1(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;

	(void)signum;
	ipfilter_log_counters(d->gen);
}

/* Logs a diagnostic list line by line (errors at err, the rest at warning). */
static void
log_diags(struct diag_list *dl)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	diag_print(dl, m);
	fclose(m);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_msg(strstr(line, ": error: ") ? LOG_ERR : LOG_WARNING, "%s", line);
	free(buf);
}

/* Sockets for the new generation's listeners: an endpoint that stays keeps the
 * sockets the workers have; a new one is bound (probe first, as at start-up).
 * On failure closes what it opened. */
static int
reload_sockets(struct daemon *d, struct rt_gen *g, int **out)
{
	const struct policy *np = g->policy, *op = d->gen->policy;
	size_t nl = np->nlisteners, i, j, k;
	int *fds = malloc(sizeof(int) * (nl * d->nworkers + 1)), probe, r = 0;
	char where[80];

	*out = NULL;
	if (!fds)
		return ATTLS_ENOMEM;
	for (i = 0; i < nl * d->nworkers; i++)
		fds[i] = -1;
	for (i = 0; i < nl && r == 0; i++) {
		const struct rt_addr *a = &g->listen_addrs[i];

		for (j = 0; j < op->nlisteners; j++)
			if (d->gen->listen_addrs[j].len == a->len &&
			    memcmp(&d->gen->listen_addrs[j].ss, &a->ss, a->len) == 0 &&
			    op->listeners[j].intercept == np->listeners[i].intercept)
				break;
		if (j < op->nlisteners) {
			for (k = 0; k < d->nworkers; k++)
				fds[k * nl + i] = d->wfds[k * op->nlisteners + j];
			continue;
		}
		if ((r = listen_socket(a, false, np->listeners[i].intercept, &probe)) == 0)
			close(probe);
		for (k = 0; r == 0 && k < d->nworkers; k++)
			r = listen_socket(a, true, np->listeners[i].intercept, &fds[k * nl + i]);
		if (r != 0) {
			rt_addr_format((const struct sockaddr *)&a->ss, where, sizeof(where));
			log_error("%s:%u: cannot listen on %s: %s", np->path, np->listeners[i].pos.line,
				  where, strerror(-r));
		} else {
			rt_addr_format((const struct sockaddr *)&a->ss, where, sizeof(where));
			log_info("listening on %s (new with this policy)", where);
		}
	}
	if (r != 0) {
		/* Close only what this reload opened. */
		for (i = 0; i < nl * d->nworkers; i++) {
			for (j = 0; j < op->nlisteners * d->nworkers && d->wfds[j] != fds[i]; j++)
				;
			if (fds[i] >= 0 && j == op->nlisteners * d->nworkers)
				close(fds[i]);
		}
		free(fds);
		return ATTLS_ESYS;
	}
	*out = fds;
	return 0;
}

/* SIGHUP: the new policy is loaded and built completely (keys included) before
 * anything changes; any error leaves the running policy in force. Live
 * connections keep the generation they were mapped with. */
static void
reload(struct daemon *d)
{
	size_t nl, k;
	struct diag_list dl;
	struct policy *p = NULL;
	struct rt_gen *g = NULL;
	int *fds = NULL;
	char errbuf[512];

	diag_list_init(&dl);
	if (policy_load(d->policy_path, &p, &dl) != 0) {
		log_diags(&dl);
		log_error("reload: %s has %u error%s; the running policy stays in force",
			  d->policy_path, dl.errors, dl.errors == 1 ? "" : "s");
		metrics_policy_loaded(NULL, d->generation, false);
		goto out;
	}
	log_diags(&dl);
	keyring_lint_log(p);
	capture_key_log_warn(p);
	if (capture_dir_check(p, geteuid(), true, errbuf, sizeof(errbuf)) != 0) {
		log_error("reload: %s; the running policy stays in force", errbuf);
		metrics_policy_loaded(NULL, d->generation, false);
		goto out;
	}
	if (rt_gen_new(p, &g) != 0 || reload_sockets(d, g, &fds) != 0) {
		log_error("reload: %s cannot be put in force (see above); the running policy stays",
			  d->policy_path);
		metrics_policy_loaded(NULL, d->generation, false);
		goto out;
	}
	nl = g->policy->nlisteners;
	fdbudget_apply(g->policy, d->nworkers);
	for (k = 0; k < d->nworkers; k++) {
		struct worker_reload *r = calloc(1, sizeof(*r));

		if (r && (r->fds = malloc(sizeof(int) * (nl + 1))) != NULL) {
			memcpy(r->fds, &fds[k * nl], sizeof(int) * nl);
			r->nfds = nl;
			r->gen = rt_gen_ref(g);
			if (worker_reload(d->workers[k], r) == 0)
				continue;
			rt_gen_unref(r->gen);
			free(r->fds);
		}
		free(r);
		log_error("reload: worker %zu did not take the new policy", k);
	}
	free(d->wfds);
	d->wfds = fds;
	rt_gen_unref(d->gen);
	d->gen = g;
	g = NULL;
	control_set_policy(d->gen->policy);
	d->generation++;
	metrics_policy_loaded(d->gen, d->generation, true);
	log_notice("policy reloaded from %s (generation %u): %zu rules, %zu listeners; live "
		   "connections keep the policy they were mapped with",
		   d->policy_path, d->generation, d->gen->policy->nrules, nl);
out:
	rt_gen_unref(g);
	policy_unref(p);
	diag_list_cleanup(&dl);
}

static void
on_sighup(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;
	unsigned k;

	(void)signum;
	if (d->stopping)
		return;
	for (k = 0; k < d->nworkers; k++)
		if (atomic_load(&d->workers[k]->reload)) {
			log_warn("SIGHUP: the previous reload is still being applied; try again");
			return;
		}
	log_notice("SIGHUP: reloading %s", d->policy_path);
	sdnotify_reloading();
	reload(d);
	sdnotify_ready(d->sd); /* also when the running policy stays */
}

static int
daemonize(const char *pidfile)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return ATTLS_ESYS;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return ATTLS_ESYS;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	(void)pidfile;
	return chdir("/") == 0 ? 0 : ATTLS_ESYS;
}

static void
write_pidfile(const char *path)
{
	FILE *f;

	if (!path)
		return;
	if (!(f = fopen(path, "w"))) {
		log_warn("cannot write pid file %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

static void
worker_done_hook(struct worker *w)
{
	(void)w;
	atomic_fetch_add(&workers_done, 1);
}

static int
start_workers(struct daemon *d)
{
	unsigned i, nl = (unsigned)d->gen->policy->nlisteners;

	d->workers = calloc(d->nworkers, sizeof(*d->workers));
	if (!d->workers)
		return ATTLS_ENOMEM;
	for (i = 0; i < d->nworkers; i++) {
		if (worker_new(i, d->gen, &d->fds[i * nl], nl, &d->workers[i]) != 0)
			return ATTLS_ENOMEM;
		d->workers[i]->on_done = worker_done_hook;
	}
	/* The workers own the sockets now; a copy tells a reload what exists. */
	d->wfds = d->fds;
	d->fds = NULL;
	for (i = 0; i < d->nworkers; i++) {
		if (worker_start(d->workers[i]) != 0) {
			/* Nothing half-started: stop and join the ones that run. */
			while (i-- > 0) {
				worker_command(d->workers[i], WORKER_CMD_ABORT);
				worker_join(d->workers[i]);
			}
			return ATTLS_ESYS;
		}
	}
	return 0;
}

static void
setup_signals(struct daemon *d)
{
	signal(SIGPIPE, SIG_IGN);
	uv_signal_init(d->loop, &d->sigterm);
	uv_signal_init(d->loop, &d->sigint);
	uv_signal_init(d->loop, &d->sighup);
	uv_signal_init(d->loop, &d->sigusr1);
	uv_timer_init(d->loop, &d->drain);
	uv_timer_init(d->loop, &d->check);
	uv_timer_init(d->loop, &d->housekeeping);
	d->sigterm.data = d->sigint.data = d->sighup.data = d->drain.data = d->check.data = d;
	d->sigusr1.data = d->housekeeping.data = d;
	uv_signal_start(&d->sigusr1, on_sigusr1, SIGUSR1);
	uv_timer_start(&d->housekeeping, on_housekeeping, HOUSEKEEPING_MS, HOUSEKEEPING_MS);
	uv_signal_start(&d->sigterm, on_stop_signal, SIGTERM);
	uv_signal_start(&d->sigint, on_stop_signal, SIGINT);
	uv_signal_start(&d->sighup, on_sighup, SIGHUP);
}

/* Once the listeners, the control socket and the keys are open: the user,
 * group and capabilities of the plan, then the sandbox. On the main thread
 * before any other exists, so that every thread runs under both. The metrics
 * port is bound after it (CAP_NET_BIND_SERVICE is kept when it is below 1024). */
static int
drop_privileges(struct daemon *d, const struct policy *p)
{
	const struct privdrop *pd = d->o->priv;
	int r;

	/* No PKCS#11 module can be loaded once root is gone. */
	keyload_seal();
	if (!pd)
		return 0;
	if (pd->switching)
		sandbox_prepare(p, pd->uid, pd->gid);
	if ((r = privdrop_apply(pd)) != 0)
		return r;
	return sandbox_apply(p, d->policy_path, d->o->pidfile);
}

int
daemon_run(const struct daemon_opts *o, struct policy *p)
{
	struct daemon d;
	unsigned i;
	int r, code = 1;

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.nworkers = o->workers ? o->workers : p->settings.workers;
	if (!d.nworkers) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		d.nworkers = n > 0 ? (unsigned)n : 1;
	}
	(void)fdbudget_raise();
	fdbudget_apply(p, d.nworkers);
	if ((r = rt_gen_new(p, &d.gen)) != 0)
		return 1;
	if (!(d.policy_path = realpath(o->policy_path, NULL)) &&
	    !(d.policy_path = strdup(o->policy_path))) {
		log_error("cannot start: %s", attls_strerror(ATTLS_ENOMEM));
		goto out;
	}
	if ((r = activation_load()) != 0 || (r = open_listeners(&d)) != 0)
		goto out;
	activation_report();
	/* Start-up errors went to stderr; from here on a daemon logs to syslog. */
	if (!o->foreground)
		log_open("attlsd", false, p->settings.syslog_facility);
	if (!o->foreground && daemonize(o->pidfile) != 0) {
		log_error("cannot become a daemon: %s", strerror(errno));
		goto out;
	}
	write_pidfile(o->pidfile);
	d.loop = uv_default_loop();
	setup_signals(&d);
	control_start(d.loop, p);
	control_set_policy(d.gen->policy);
	if ((r = drop_privileges(&d, p)) != 0)
		goto out;
	if ((r = metrics_start(p->settings.metrics_listen)) != 0)
		goto out;
	metrics_policy_loaded(d.gen, 0, true);
	if ((r = start_workers(&d)) != 0) {
		log_error("cannot start workers: %s", attls_strerror(r));
		goto out;
	}
	if ((r = sdnotify_start(d.loop, d.workers, d.nworkers, &d.generation, &d.sd)) != 0)
		log_warn("systemd notifications: %s", attls_strerror(r));
	log_notice("EZZ4250I AT-TLS SERVICES ARE AVAILABLE FOR %s (%u workers, %zu rules, %zu "
		   "listeners)",
		   p->settings.jobname, d.nworkers, p->nrules, p->nlisteners);
	/* Type=notify: ExecStartPost (attlsctl intercept up) runs only after this. */
	sdnotify_ready(d.sd);
	uv_run(d.loop, UV_RUN_DEFAULT);
	for (i = 0; i < d.nworkers; i++)
		worker_join(d.workers[i]);
	/* Captures the workers queued get shutdown_timeout to reach the disk. */
	capture_drain(d.gen->policy->settings.shutdown_timeout * 1000u);
	ipfilter_flush_suppressed(d.gen);
	ipfilter_log_counters(d.gen);
	log_notice("attlsd stopped");
	code = 0;
out:
	metrics_stop();
	for (i = 0; d.workers && i < d.nworkers; i++)
		worker_free(d.workers[i]);
	free(d.workers);
	sdnotify_free(d.sd);
	close_listeners(&d);
	activation_close();
	free(d.wfds);
	free(d.policy_path);
	if (d.loop) {
		control_stop();
		uv_run(d.loop, UV_RUN_NOWAIT);
		uv_loop_close(d.loop);
	}
	if (o->pidfile && code == 0)
		unlink(o->pidfile);
	rt_gen_unref(d.gen);
	return code;
}
