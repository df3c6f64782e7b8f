/* agents_internal.h - what the files of the controller's agent server share: agents.c
 * (machines, connections, listening, leases, teardown), agents_goals.c, agents_auth.c and
 * agents_msgs.c.  Not for other modules: they use agents.h. */
#ifndef CAIRN_AGENTS_INTERNAL_H
#define CAIRN_AGENTS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cairnd/agents.h"
#include "lib/hmap.h"
#include "proto/proto_conn.h"
#include "proto/tls.h"

struct aconn;

/* What the controller knows of one machine's agent at run time. */
struct mrt {
	struct agents *s;
	int id;
	char name[16];
	struct aconn *conn;        /* the authenticated connection, or NULL */
	uint64_t last_seen_ms;
	uint64_t since_ns;         /* connected, or disconnected, at */
	bool lost;                 /* gone for longer than the lease */
	struct loop_timer *gone;
	struct model_unit *dirty;  /* units whose goal must be pushed */
	json_t *stats;
	struct hmap removing;      /* units removed by force, until their agent confirms */
};

struct sent_app {
	char *name;
	uint64_t gen;
};

struct pending_ack {
	char *unit;
	int64_t seq;
};

struct aconn {
	struct agents *s;
	struct proto_conn *pc;
	struct mrt *m;             /* NULL until hello was accepted */
	bool tcp;
	char peer[80];
	struct hmap apps;          /* app -> struct sent_app: app goals this agent has */
	struct hmap acks;          /* unit -> struct pending_ack */
	struct hmap digests;       /* charm digests this agent may fetch */
	bool flush_scheduled;
	bool torn_down;
	bool in_batch;             /* it has messages in the model's open batch */
	bool failed;               /* its batch did not commit: ignore it until it is closed */
	struct loop_timer *hello_timer; /* a connection that never says hello is closed */
	struct aconn *prev, *next;
};

struct agents {
	struct controller *c;
	int unix_fd, tcp_fd;
	struct loop_io *unix_io, *tcp_io;
	char *unix_path;
	SSL_CTX *tls;
	char *ca_pem;
	char ca_fp[TLS_FINGERPRINT_HEX];
	char tcp_address[128];
	char tcp_why[300];
	struct aconn *conns;
	size_t n_conns;
	struct hmap machines;      /* name -> struct mrt */
	struct hmap dirty_apps;    /* name -> struct model_app */
	bool flush_scheduled;
	void (*teardown_done)(void *);
	void *teardown_data;
	struct loop_timer *teardown_timer;
	bool local_torn_down;      /* machine 0's agent confirmed the teardown */
};

/* The controller of s (or of anything with a ->c); only these four files see it. */
#define C(s) ((s)->c)

/* ---- agents.c ---- */

/* The run-time record of machine id, made (with a lease's grace) when first asked for. */
struct mrt *agents_mrt_get(struct agents *s, int id);
/* The machine's agent came (up) or went: its units' idle bits follow. */
void agents_machine_connected(struct agents *s, struct mrt *mr, bool up);
/* Sends m on k (a message too large to send is logged, not sent). */
void agents_conn_send(struct aconn *k, const struct proto_msg *m);
/* Frees k (its proto_conn is freed by itself or the caller) and detaches it from its
 * machine. */
void agents_conn_cleanup(struct aconn *k);
/* Closes and frees k. */
void agents_conn_close(struct aconn *k);
/* Sends refused with why, finishes and frees k. */
void agents_refuse(struct aconn *k, const char *why);
/* The agent confirmed the removal of unit (or every such unit of mr goes). */
void agents_removing_clear(struct mrt *mr, const char *unit);
void agents_removing_clear_all(struct mrt *mr);
/* kill-controller: finishes the teardown once every agent has confirmed it. */
void agents_check_teardown(struct agents *s);

/* ---- agents_goals.c ---- */

/* Flushes (agents_flush) once this loop iteration ends. */
void agents_schedule_flush(struct agents *s);
/* Commits the model's batch, then sends the changed goals, then the acks they allow. */
void agents_flush(struct agents *s);
/* proto_conn's drained callback: the held-back goals go on. */
void agents_on_drained(struct proto_conn *pc, void *data);
/* Acknowledges unit's messages up to seq at the next flush (after the goals they caused). */
void agents_queue_ack(struct aconn *k, const char *unit, int64_t seq);
/* Sends u's unit-goal (its app-goal first when k lacks it); sync adds the controller's
 * copies of the journal and workload status (after a welcome). */
void agents_send_unit_goal(struct aconn *k, struct model_unit *u, bool sync);
/* Sends the model config the agent needs (update-status interval, retries, hook timeout). */
void agents_send_model_config(struct aconn *k);

/* ---- agents_auth.c ---- */

/* hello: accepts k as its machine's agent (and syncs it), or refuses it. */
void agents_on_hello(struct aconn *k, const struct proto_hello *h);
/* join: enlists the machine of a valid one-time token (joined with a new credential), or
 * refuses it; k is finished either way. */
void agents_on_join(struct aconn *k, const struct proto_join *j);

/* ---- agents_msgs.c ---- */

/* proto_conn's message callback of every agent connection. */
void agents_on_message(struct proto_conn *pc, struct proto_msg *m, void *data);
/* The model's batch did not commit: the connections with reports in it are closed (soon)
 * and lose their pending acks. */
void agents_on_batch_failed(void *data);

#endif
