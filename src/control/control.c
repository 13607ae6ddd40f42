/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket: a Unix stream socket with one request line per
 * connection, served on the daemon's main loop; request.c answers the line,
 * registry.c holds the connections it answers about, access.c decides who
 * may ask.
 *
 * The socket file is created 0660 by bind() itself (umask around it; no chmod
 * afterwards, which would follow a symlink swapped in meanwhile), and a file
 * left at the path is removed only when it is a socket nobody serves. At most
 * CONTROL_CLIENTS clients are served at once, CONTROL_CLIENTS_PER_UID of one
 * unprivileged uid, so one user cannot take the query API from the others;
 * the rest are answered "ERR EBUSY" (given a second to send their line) and
 * logged at most once a minute. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/ratelimit.h"
#include "control_int.h"

#define CONTROL_CLIENT_MS 5000
#define CONTROL_CLIENTS 64
#define CONTROL_CLIENTS_PER_UID 16
#define CONTROL_BUSY_LOG_S 60
#define CONTROL_BUSY_MS 1000

struct control_server {
	uv_pipe_t pipe;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool open;
	unsigned nclients;                  /* served now (refused ones not counted) */
	uid_t uids[CONTROL_CLIENTS];        /* the uid of each served client, by slot */
	bool used[CONTROL_CLIENTS];
	struct ratelimit busy_log;
};

static struct control_server control_srv;

static void
control_client_closed(uv_handle_t *h)
{
	struct control_client *cl = h->data;

	if (--cl->handles == 0) {
		if (cl->slot >= 0) {
			control_srv.used[cl->slot] = false;
			control_srv.nclients--;
		}
		free(cl);
	}
}

/* A slot for a new client: its index, or -1 when the server or the uid's
 * share is full (root and attlsd's own uid have no share of their own). */
static int
control_slot(const struct control_client *cl)
{
	unsigned same = 0;
	int i, free_slot = -1;

	for (i = 0; i < CONTROL_CLIENTS; i++) {
		if (!control_srv.used[i])
			free_slot = free_slot < 0 ? i : free_slot;
		else if (control_srv.uids[i] == cl->uid)
			same++;
	}
	if (free_slot < 0 || (!cl->privileged && same >= CONTROL_CLIENTS_PER_UID))
		return -1;
	return free_slot;
}

/* A client over the cap: logged (rate-limited) now, answered EBUSY once its
 * line is read (closing on an unread line would reset the connection before
 * the client reads the answer), and given CONTROL_BUSY_MS to send it. */
static void
control_busy(struct control_client *cl)
{
	struct timespec ts;
	unsigned long long n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ratelimit_admit(&control_srv.busy_log, (long long)ts.tv_sec, CONTROL_BUSY_LOG_S, 1)) {
		n = ratelimit_take_suppressed(&control_srv.busy_log);
		log_warn("control socket: client uid %ld refused: %u clients served (at most %d, "
			 "%d per user)%s",
			 cl->uid == (uid_t)-1 ? -1L : (long)cl->uid, control_srv.nclients,
			 CONTROL_CLIENTS, CONTROL_CLIENTS_PER_UID, n ? "; more refused, not logged" : "");
	}
}

void
control_client_end(struct control_client *cl)
{
	/* Its INIT may still be at a worker: the answer will find nobody. */
	if (cl->init) {
		cl->init->client = NULL;
		cl->init = NULL;
	}
	if (!uv_is_closing((uv_handle_t *)&cl->pipe))
		uv_close((uv_handle_t *)&cl->pipe, control_client_closed);
	if (!uv_is_closing((uv_handle_t *)&cl->timer))
		uv_close((uv_handle_t *)&cl->timer, control_client_closed);
}

static void
control_written(uv_write_t *req, int status)
{
	struct control_client *cl = req->data;

	(void)status;
	free(((char **)(req + 1))[0]);
	free(req);
	control_client_end(cl);
}

void
control_reply(struct control_client *cl, char *text)
{
	uv_write_t *req;
	uv_buf_t buf;

	cl->answered = true;
	uv_read_stop((uv_stream_t *)&cl->pipe);
	if (!text || !(req = malloc(sizeof(*req) + sizeof(char *)))) {
		free(text);
		control_client_end(cl);
		return;
	}
	((char **)(req + 1))[0] = text;
	req->data = cl;
	buf = uv_buf_init(text, (unsigned)strlen(text));
	if (uv_write(req, (uv_stream_t *)&cl->pipe, &buf, 1, control_written) != 0) {
		free(text);
		free(req);
		control_client_end(cl);
	}
}

static void
control_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct control_client *cl = h->data;

	(void)hint;
	*buf = uv_buf_init(cl->line + cl->len, (unsigned)(sizeof(cl->line) - 1 - cl->len));
}

static void
control_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct control_client *cl = s->data;
	char *nl;

	(void)buf;
	if (cl->answered)
		return;
	if (n < 0) {
		control_client_end(cl);
		return;
	}
	cl->len += (size_t)n;
	cl->line[cl->len] = '\0';
	if ((nl = strchr(cl->line, '\n')) && cl->slot < 0) {
		control_reply(cl, strdup("ERR EBUSY too many control-socket clients at once; try "
					 "again\n"));
	} else if (nl) {
		*nl = '\0';
		request_handle(cl, cl->line);
	} else if (cl->len >= sizeof(cl->line) - 1) {
		control_reply(cl, strdup("ERR EINVAL request line too long\n"));
	}
}

static void
control_timeout(uv_timer_t *t)
{
	control_client_end(t->data);
}

static void
control_on_connection(uv_stream_t *srv, int status)
{
	struct control_client *cl;

	if (status < 0 || !(cl = calloc(1, sizeof(*cl))))
		return;
	uv_pipe_init(srv->loop, &cl->pipe, 0);
	uv_timer_init(srv->loop, &cl->timer);
	cl->pipe.data = cl->timer.data = cl;
	cl->handles = 2;
	cl->slot = -1;
	if (uv_accept(srv, (uv_stream_t *)&cl->pipe) != 0) {
		control_client_end(cl);
		return;
	}
	access_peer(cl);
	if ((cl->slot = control_slot(cl)) < 0) {
		control_busy(cl);
	} else {
		control_srv.used[cl->slot] = true;
		control_srv.uids[cl->slot] = cl->uid;
		control_srv.nclients++;
	}
	/* A client that never finishes its line must not hold a slot forever. */
	uv_timer_start(&cl->timer, control_timeout, cl->slot < 0 ? CONTROL_BUSY_MS : CONTROL_CLIENT_MS,
		       0);
	uv_read_start((uv_stream_t *)&cl->pipe, control_alloc, control_read);
}

/* A socket file that still answers belongs to a running attlsd: leave it. */
static bool
control_path_live(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return false;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return r == 0;
}

void
control_start(uv_loop_t *loop, const struct policy *p)
{
	const char *path = p->settings.control_socket;
	struct stat st;
	mode_t old;
	int r;

	if (!path || !path[0] || strcasecmp(path, "off") == 0)
		return;
	if (strlen(path) >= sizeof(control_srv.path)) {
		log_warn("control_socket %s: path too long; no query API", path);
		return;
	}
	if (control_path_live(path)) {
		log_warn("control_socket %s is served by another process; no query API", path);
		return;
	}
	if (lstat(path, &st) == 0) {
		/* Only a stale socket goes: never a file or a symlink put there. */
		if (!S_ISSOCK(st.st_mode)) {
			log_warn("control_socket %s exists and is not a socket; no query API", path);
			return;
		}
		(void)unlink(path);
	}
	snprintf(control_srv.path, sizeof(control_srv.path), "%s", path);
	uv_pipe_init(loop, &control_srv.pipe, 0);
	control_srv.open = true;
	/* Like TTLS_QUERY_ONLY, a query needs no privilege beyond the group: the
	 * file is born 0660, so there is no window and no chmod to follow a link. */
	old = umask(0117);
	r = uv_pipe_bind(&control_srv.pipe, path);
	umask(old);
	if (r != 0)
		control_srv.path[0] = '\0'; /* not ours to unlink */
	if (r != 0 ||
	    (r = uv_listen((uv_stream_t *)&control_srv.pipe, 64, control_on_connection)) != 0) {
		log_warn("control_socket %s: %s; no query API", path, uv_strerror(r));
		control_stop();
		return;
	}
	appctl_start(loop, request_init_answered);
	registry_set_active(true);
	log_info("control socket %s: queries served", path);
}

static void
control_closed(uv_handle_t *h)
{
	(void)h;
}

void
control_stop(void)
{
	if (!control_srv.open)
		return;
	control_srv.open = false;
	registry_set_active(false);
	appctl_stop();
	uv_close((uv_handle_t *)&control_srv.pipe, control_closed);
	if (control_srv.path[0])
		(void)unlink(control_srv.path);
}
