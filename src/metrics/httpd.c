/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP side of /metrics: libmicrohttpd on its own thread, so a scrape
 * never runs on a worker's loop. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "common/compiler.h"
#include "common/err.h"
#include "common/log.h"
#include "metrics_int.h"

static struct MHD_Daemon *httpd;

static enum MHD_Result
answer(struct MHD_Connection *conn, unsigned status, char *body, size_t len, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_len, void **state)
{
	char *body = NULL;
	size_t len = 0;
	FILE *out;

	(void)cls;
	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, strdup("GET only\n"), 9,
			      "text/plain");
	if (strcmp(url, "/metrics") != 0)
		return answer(conn, MHD_HTTP_NOT_FOUND, strdup("attlsd serves /metrics\n"), 23,
			      "text/plain");
	if (!(out = open_memstream(&body, &len)))
		return MHD_NO;
	expo_write(out);
	if (fclose(out) != 0) {
		free(body);
		return MHD_NO;
	}
	return answer(conn, MHD_HTTP_OK, body, len, "text/plain; version=0.0.4; charset=utf-8");
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) ATTLS_PRINTF(2, 0);

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warn("metrics: %s", msg);
}

/* "ADDR:PORT" or "[V6]:PORT". */
static int
parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	size_t hl;
	long port;

	if (!colon || (hl = (size_t)(colon - s)) == 0 || hl >= sizeof(host))
		return ATTLS_EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 1 || port > 65535)
		return ATTLS_EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[' && s[hl - 1] == ']') {
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = '\0';
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 ? 0 : ATTLS_EINVAL;
	}
	memcpy(host, s, hl);
	host[hl] = '\0';
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : ATTLS_EINVAL;
}

int
httpd_start(const char *listen)
{
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (parse_listen(listen, &ss) != 0) {
		log_error("metrics_listen %s: not ADDR:PORT or [ADDR]:PORT with a numeric address",
			  listen);
		return ATTLS_EINVAL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* Few scrapers, small answers: a short queue and a timeout bound them;
	 * libmicrohttpd's own messages go to our log, not to stderr. */
	httpd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
				 (struct sockaddr *)&ss, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				 MHD_OPTION_CONNECTION_LIMIT, 16u,
				 MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!httpd) {
		log_error("metrics_listen %s: cannot serve /metrics there (in use?)", listen);
		return ATTLS_EIO;
	}
	log_info("metrics: serving /metrics on %s", listen);
	return 0;
}

void
httpd_stop(void)
{
	if (httpd)
		MHD_stop_daemon(httpd);
	httpd = NULL;
}
