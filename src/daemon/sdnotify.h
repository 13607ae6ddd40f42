/* SPDX-License-Identifier: Apache-2.0 */
/* What attlsd tells systemd: sd_notify states, STATUS and the watchdog. */
#ifndef ATTLS_SDNOTIFY_H
#define ATTLS_SDNOTIFY_H

#include <stdbool.h>

#include <uv.h>

#include "proxy/worker.h"

struct sdnotify;

/* Starts the timer that feeds the watchdog (when $WATCHDOG_USEC asks for one)
 * and keeps STATUS current. The watchdog is fed only while every worker loop
 * answers its ping: a stuck worker stops the feeding and systemd restarts the
 * service. 'generation' is read on each tick. */
int sdnotify_start(uv_loop_t *loop, struct worker **workers, unsigned nworkers,
		   const unsigned *generation, struct sdnotify **out);
/* Stops the timer (from STOPPING=1 on, workers close their loops). */
void sdnotify_stop(struct sdnotify *s);
void sdnotify_free(struct sdnotify *s);

/* READY=1 with a STATUS line: at start-up and after each reload. */
void sdnotify_ready(struct sdnotify *s);
/* RELOADING=1, before a reload (SIGHUP) starts. */
void sdnotify_reloading(void);
/* STOPPING=1, when a stop signal arrives. */
void sdnotify_stopping(struct sdnotify *s);

/* Whether this attlsd was built with libsystemd (attlsd --version says). */
bool sdnotify_available(void);

#endif
