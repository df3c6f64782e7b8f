/* unit_batch.c - a unit's sequenced messages (save-journal, status-set, hook-ran, ...), built in a
 * batch and written with the unit's row in one store transaction, and the workload status copy
 * they carry; see agent_internal.h. */
#include "agent/agent_internal.h"

#include <stdlib.h>

json_t *unit_journal_of(struct unit *u, const struct uniter_journal *j)
{
	return unit_journal_json(j, &u->rs, u->task_id, u->task_done_id);
}

void batch_init(struct batch *b, struct unit *u)
{
	b->u = u;
	b->n = 0;
	b->journal = NULL;
}

void batch_done(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		json_decref(b->msgs[i]);
	b->n = 0;
	json_decref(b->journal);
	b->journal = NULL;
}

/* Adds m with the next free sequence number; returns that number. */
int64_t batch_add(struct batch *b, struct proto_msg *m)
{
	int64_t seq = agent_next_seq(b->u, b->n);
	const char *unit;
	int64_t *at = proto_sequenced(m, &unit);

	if (!at)
		abort();
	*at = seq;
	b->msgs[b->n++] = proto_encode(m);
	return seq;
}

void batch_journal(struct batch *b, const struct uniter_journal *j)
{
	struct proto_msg m;
	json_t *jj = unit_journal_of(b->u, j);

	proto_msg_init(&m, PROTO_SAVE_JOURNAL);
	m.u.save_journal.unit = b->u->name;
	m.u.save_journal.journal = jj;
	batch_add(b, &m);
	json_decref(b->journal);
	b->journal = jj; /* for batch_commit_journal's row */
}

/* A status the agent sets (by_charm false) or the charm sets.  Workload statuses also change
 * the agent's own copy, which the caller writes with the same transaction. */
void batch_status(struct batch *b, const char *kind, const char *status, const char *message,
			 json_t *data, bool by_charm)
{
	struct proto_msg m;

	proto_msg_init(&m, PROTO_STATUS_SET);
	m.u.status_set.unit = b->u->name;
	m.u.status_set.kind = kind;
	m.u.status_set.status = status;
	m.u.status_set.message = message ? message : "";
	m.u.status_set.data = data;
	m.u.status_set.by_charm = by_charm;
	batch_add(b, &m);
}

void batch_hook_ran(struct batch *b, const char *hook, uint64_t start_ns, uint64_t dur_ns,
			   int code)
{
	struct proto_msg m;

	proto_msg_init(&m, PROTO_HOOK_RAN);
	m.u.hook_ran.unit = b->u->name;
	m.u.hook_ran.hook = hook;
	m.u.hook_ran.start_ns = (int64_t)start_ns;
	m.u.hook_ran.duration_ns = (int64_t)dur_ns;
	m.u.hook_ran.code = code < 0 ? 255 : code > 255 ? 255 : code;
	batch_add(b, &m);
}

/* Writes row (or u as it is, when NULL) and the batch in one transaction, which also drops
 * the outbox rows up to ack_seq (0: none). */
int batch_commit_ack(struct batch *b, const struct store_unit_row *row, int64_t ack_seq,
			    struct errbuf *eb)
{
	struct store_unit_row cur;
	int r;

	if (!row) {
		agent_unit_row(b->u, &cur);
		row = &cur;
	}
	r = agent_commit_txn(b->u->a, b->u, row, b->msgs, b->n, ack_seq, eb);
	if (r == 0)
		b->n = 0; /* the outbox owns them now */
	return r;
}

int batch_commit(struct batch *b, const struct store_unit_row *row, struct errbuf *eb)
{
	return batch_commit_ack(b, row, 0, eb);
}

int batch_commit_journal(struct batch *b, struct uniter_journal *j2, json_t *wl, struct errbuf *eb)
{
	struct store_unit_row row;
	int r;

	agent_unit_row_with(b->u, &row, b->journal);
	if (wl)
		row.wl_status = wl;
	r = batch_commit(b, &row, eb);
	if (r == 0)
		uniter_journal_move(&b->u->j, j2);
	uniter_journal_done(j2);
	return r;
}

/* A new copy of the workload status copy with these fields. */
json_t *unit_wl_with(struct unit *u, const char *status, const char *message, json_t *data,
		       bool by_charm)
{
	bool charm_set = json_is_true(json_object_get(u->wl_status, "charm-set")) || by_charm;

	return json_pack("{s:s, s:s, s:o, s:b}", "status", status, "message", message ? message : "",
			 "data", data ? json_incref(data) : json_object(), "charm-set", charm_set);
}

bool unit_charm_set_status(struct unit *u)
{
	return json_is_true(json_object_get(u->wl_status, "charm-set"));
}
