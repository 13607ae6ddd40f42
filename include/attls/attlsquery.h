/* SPDX-License-Identifier: Apache-2.0 */
/* libattlsquery: the TLS status of a connection attlsd proxies, asked by the
 * application at its end (the analogue of z/OS SIOCTTLSCTL TTLS_QUERY_ONLY,
 * with the same numbers). The application cannot ioctl its socket, because
 * attlsd, not the kernel, speaks TLS; it names the connection by its 4-tuple
 * instead, as it sees it, on attlsd's control socket (settings.control_socket).
 * Blocking, thread-safe, no global state; link with libattlsquery.a. */
#ifndef ATTLS_ATTLSQUERY_H
#define ATTLS_ATTLSQUERY_H

#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ATTLS_QUERY_DEFAULT_SOCKET "/run/attlsd.sock"

/* TTLSi_Stat_Policy */
enum {
	ATTLS_POL_OFF = 1,         /* TTLS_POL_OFF (not used by attlsd) */
	ATTLS_POL_NO_POLICY = 2,   /* no rule matched: clear text (fail open) */
	ATTLS_POL_NOT_ENABLED = 3, /* the rule's group has TTLSEnabled Off */
	ATTLS_POL_ENABLED = 4,
	ATTLS_POL_APPLCNTRL = 5,   /* the rule has application_controlled On */
};

/* TTLSi_Stat_Conn */
enum {
	ATTLS_CONN_NOTSECURE = 1,
	ATTLS_CONN_HS_INPROGRESS = 2,
	ATTLS_CONN_SECURE = 3,
};

/* TTLSi_Sec_Type */
enum {
	ATTLS_SEC_UNKNOWN = 0,
	ATTLS_SEC_CLIENT = 1,
	ATTLS_SEC_SERVER = 2,
	ATTLS_SEC_SRV_CA_PASS = 3,
	ATTLS_SEC_SRV_CA_FULL = 4,
	ATTLS_SEC_SRV_CA_REQD = 5,
	ATTLS_SEC_SRV_CA_SAFCHK = 6,
};

/* TTLSi_SSL_Prot */
#define ATTLS_PROT_TLSV1_2 0x0303
#define ATTLS_PROT_TLSV1_3 0x0304

/* Request flags. */
#define ATTLS_QUERY_CERT 1 /* TTLS_RETURN_CERTIFICATE: also the peer certificate */

struct attls_query {
	int policy_status;  /* ATTLS_POL_* */
	int conn_status;    /* ATTLS_CONN_* */
	int sec_type;       /* ATTLS_SEC_* */
	unsigned protocol;  /* 0x0303, 0x0304; 0 before or without TLS */
	char cipher4[5];    /* TTLSi_Neg_Cipher4, e.g. "C02F", "1302"; "-" none */
	char userid[33];    /* TTLSi_UserID (SAFCheck); "" none */
	char rule[64];      /* the TTLS rule the connection mapped to; "" none */
	unsigned connid;    /* CONNID in attlsd's messages */
	char *peer_cert_pem; /* ATTLS_QUERY_CERT and a peer certificate: PEM, malloc'd */
};

/* Asks about the connection 'local' -> 'remote' (the application's own
 * address first). 'socket_path' NULL: ATTLS_QUERY_DEFAULT_SOCKET. Returns 0,
 * or -ENOTCONN (attlsd holds no such connection), -EACCES (the caller is
 * not root and does not own the local socket it names), -ECONNREFUSED/-ENOENT
 * (no attlsd there), -EPROTO (unexpected answer), or another -errno. */
int attls_query_tuple(const char *socket_path, const struct sockaddr *local,
		      const struct sockaddr *remote, int flags, struct attls_query *out);
/* The same for connected socket 'fd' (getsockname/getpeername). */
int attls_query_fd(const char *socket_path, int fd, int flags, struct attls_query *out);
/* The same with "addr:port" / "[v6addr]:port" strings. */
int attls_query_str(const char *socket_path, const char *local, const char *remote, int flags,
		    struct attls_query *out);
/* TTLS_INIT_CONNECTION for a connection whose rule has application_controlled
 * On (ApplicationControlled): until now attlsd relayed clear text both ways;
 * it sends on in clear every byte the application wrote before this call,
 * then starts the TLS handshake with the peer in the rule's role, and only
 * then answers. Bytes the application writes after a 0 return go out
 * encrypted, and bytes it reads after the handshake came in encrypted; keep
 * reading and writing clear text on the socket as before. Returns 0 ('out',
 * if not NULL: the status, policy_status ATTLS_POL_APPLCNTRL, conn_status
 * ATTLS_CONN_HS_INPROGRESS or later), or -EACCES (the policy has
 * application_controlled Off - z/OS JrConnDeniedPolicy - or the caller does
 * not own the local socket), -EALREADY (INIT was already received: z/OS
 * JrAlreadyActive), -ENOTCONN, -ECONNRESET (the connection ended first), or
 * another -errno. A handshake that fails later resets the connection, as on
 * z/OS. attls_init_fd() first waits (up to 5 s) until the socket's send queue
 * is empty, so that attlsd has every byte written before the call; with
 * _tuple and _str that is the caller's business. */
int attls_init_fd(const char *socket_path, int fd, struct attls_query *out);
int attls_init_tuple(const char *socket_path, const struct sockaddr *local,
		     const struct sockaddr *remote, struct attls_query *out);
int attls_init_str(const char *socket_path, const char *local, const char *remote,
		   struct attls_query *out);
/* Frees what a query allocated (the certificate); 'q' itself is the caller's. */
void attls_query_free(struct attls_query *q);
/* Sends one request line ("POLICY\n", "CONNS\n") to attlsd's control socket
 * (NULL: the default) and returns the whole answer in *out (malloc'ed), which
 * starts "OK" or "ERR" and ends with a "." line. Returns 0 or -errno. */
int attls_control_request(const char *socket_path, const char *request, char **out);
/* Names of the numbers ("Enabled", "Secure", "ServerWithClientAuth Required"...). */
const char *attls_query_policy_name(int policy_status);
const char *attls_query_conn_name(int conn_status);
const char *attls_query_sec_name(int sec_type);

#ifdef __cplusplus
}
#endif

#endif
