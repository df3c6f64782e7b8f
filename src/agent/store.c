/* store.c - the machine agent's SQLite store; see store.h. */
#include "agent/store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/hmap.h"
#include "lib/log.h"
#include "lib/walckpt.h"

/* Keyed by what the statements look rows up by, without rowids: a row lives in one b-tree
 * (no second index to keep in step), and a unit's outbox rows sit together, so a hook's
 * transaction rewrites one leaf of each table (perf: a rowid table and its key index cost
 * twice the pages, the WAL writes ran at 46 per hook).  Stores made before keep their rowid
 * tables: the statements are the same for both. */
static const char schema[] =
	"CREATE TABLE IF NOT EXISTS units(name TEXT PRIMARY KEY, app TEXT NOT NULL, journal TEXT,"
	"  next_seq INTEGER NOT NULL, resolved_gen INTEGER NOT NULL, wl_status TEXT,"
	"  charm_digest TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS goals(kind TEXT NOT NULL, name TEXT NOT NULL, goal TEXT NOT NULL,"
	"  PRIMARY KEY(kind, name)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS outbox(unit TEXT NOT NULL, seq INTEGER NOT NULL, msg TEXT NOT NULL,"
	"  PRIMARY KEY(unit, seq)) WITHOUT ROWID;";

enum stmt {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_UNIT_PUT, ST_UNIT_DEL, ST_GOAL_DEL_UNIT, ST_OUTBOX_DEL_UNIT,
	ST_OUTBOX_ADD, ST_OUTBOX_ACK, ST_GOAL_PUT, ST_GOAL_DEL, _ST_MAX,
};

static const char *const stmt_sql[_ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	/* An upsert changes the row where it is (REPLACE deletes and inserts it again). */
	[ST_UNIT_PUT] = ("INSERT INTO units(name, app, journal, next_seq, resolved_gen, wl_status,"
			 " charm_digest) VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET"
			 " app = excluded.app, journal = excluded.journal, next_seq = excluded.next_seq,"
			 " resolved_gen = excluded.resolved_gen, wl_status = excluded.wl_status,"
			 " charm_digest = excluded.charm_digest"),
	[ST_UNIT_DEL] = "DELETE FROM units WHERE name = ?",
	[ST_GOAL_DEL_UNIT] = "DELETE FROM goals WHERE kind = 'unit' AND name = ?",
	[ST_OUTBOX_DEL_UNIT] = "DELETE FROM outbox WHERE unit = ?",
	[ST_OUTBOX_ADD] = "INSERT OR REPLACE INTO outbox(unit, seq, msg) VALUES(?, ?, ?)",
	[ST_OUTBOX_ACK] = "DELETE FROM outbox WHERE unit = ? AND seq <= ?",
	[ST_GOAL_PUT] = ("INSERT INTO goals(kind, name, goal) VALUES(?, ?, ?) ON CONFLICT(kind, name)"
			 " DO UPDATE SET goal = excluded.goal"),
	[ST_GOAL_DEL] = "DELETE FROM goals WHERE kind = ? AND name = ?",
};

/* A goal waiting to be written. */
struct pending_goal {
	char *key;        /* "kind\0name" flattened as "kind/name" for the map */
	char *kind, *name;
	json_t *goal;     /* NULL = delete */
};

/* Acknowledged outbox rows waiting to be deleted. */
struct pending_ack {
	char *unit;
	int64_t seq;
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[_ST_MAX];
	struct loop *l;
	struct walckpt *ckpt;     /* checkpoints off the loop; NULL: in the commits */
	struct hmap pending;      /* "kind/name" -> struct pending_goal */
	struct hmap acks;         /* unit -> struct pending_ack */
	bool flush_scheduled;
};

static int step(struct store *s, enum stmt k, struct errbuf *eb)
{
	int rc = sqlite3_step(s->st[k]);

	sqlite3_reset(s->st[k]);
	sqlite3_clear_bindings(s->st[k]);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		if (eb)
			errbuf_set(eb, "agent store: %s", sqlite3_errmsg(s->db));
		return -EIO;
	}
	return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_json(sqlite3_stmt *st, int i, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	if (s)
		sqlite3_bind_text(st, i, s, -1, free);
	else
		sqlite3_bind_null(st, i);
}

int store_open(const char *path, struct loop *l, struct store **ret, struct errbuf *eb)
{
	struct store *s = xcalloc(1, sizeof(*s));
	char *err = NULL;

	s->l = l;
	hmap_init(&s->pending);
	hmap_init(&s->acks);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		errbuf_set(eb, "cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	/* WAL + synchronous=NORMAL: a committed transaction survives a SIGKILL of the agent.
	 * Normal locking, not exclusive (which saved a tenth of the store time in fcntl locks):
	 * a second reader (an operator's sqlite3, the fault tests' integrity check) must be able
	 * to open the store of a running agent.  A
	 * checkpoint (two fsyncs) every 4000 pages rather than 1000: the same rows are rewritten
	 * hook after hook, and a checkpoint copies each page once however often it changed.  The
	 * checkpoints run in a thread of their own (walckpt.h), not in the loop's commits; the
	 * pragma is what applies if that thread cannot start. */
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL;"
				" PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=4000;", NULL, NULL,
			 &err) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, &err) != SQLITE_OK) {
		errbuf_set(eb, "cannot set up %s: %s", path, err ? err : "error");
		sqlite3_free(err);
		goto fail;
	}
	for (int i = 0; i < _ST_MAX; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) !=
		    SQLITE_OK) {
			errbuf_set(eb, "cannot prepare statement: %s", sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	if (l) {
		struct errbuf ceb;

		if (walckpt_attach(l, s->db, path, 0, NULL, NULL, &s->ckpt, &ceb) < 0)
			log_warn("%s: checkpoints stay in the commits: %s", path, ceb.msg);
	}
	*ret = s;
	return 0;
fail:
	store_close(s);
	return -EIO;
}

static void pending_free(struct pending_goal *p)
{
	json_decref(p->goal);
	free(p->key);
	free(p->kind);
	free(p->name);
	free(p);
}

static void ack_free(struct pending_ack *a)
{
	free(a->unit);
	free(a);
}

/* Writes every pending goal inside the caller's transaction; the pending set is kept until
 * that transaction commits (pending_clear), so a failed write loses none of them. */
static int pending_write(struct store *s, struct errbuf *eb)
{
	int r = 0;

	for (struct hmap_iter it = hmap_iter(&s->pending); r == 0 && hmap_next(&it);) {
		struct pending_goal *p = it.value;

		if (p->goal) {
			bind_text(s->st[ST_GOAL_PUT], 1, p->kind);
			bind_text(s->st[ST_GOAL_PUT], 2, p->name);
			bind_json(s->st[ST_GOAL_PUT], 3, p->goal);
			r = step(s, ST_GOAL_PUT, eb);
		} else {
			bind_text(s->st[ST_GOAL_DEL], 1, p->kind);
			bind_text(s->st[ST_GOAL_DEL], 2, p->name);
			r = step(s, ST_GOAL_DEL, eb);
		}
	}
	return r;
}

static void pending_clear(struct store *s)
{
	for (struct hmap_iter it = hmap_iter(&s->pending); hmap_next(&it);) {
		struct pending_goal *p = it.value;

		hmap_iter_del(&it);
		pending_free(p);
	}
}

/* Writes the acknowledged outbox rows' deletion inside the caller's transaction; kept until
 * it commits (acks_clear), as the pending goals are. */
static int acks_write(struct store *s, struct errbuf *eb)
{
	int r = 0;

	for (struct hmap_iter it = hmap_iter(&s->acks); r == 0 && hmap_next(&it);) {
		struct pending_ack *a = it.value;

		bind_text(s->st[ST_OUTBOX_ACK], 1, a->unit);
		sqlite3_bind_int64(s->st[ST_OUTBOX_ACK], 2, a->seq);
		r = step(s, ST_OUTBOX_ACK, eb);
	}
	return r;
}

static void acks_clear(struct store *s)
{
	for (struct hmap_iter it = hmap_iter(&s->acks); hmap_next(&it);) {
		struct pending_ack *a = it.value;

		hmap_iter_del(&it);
		ack_free(a);
	}
}

int store_flush(struct store *s)
{
	struct errbuf eb;
	int r;

	s->flush_scheduled = false;
	if (!s->pending.n && !s->acks.n)
		return 0;
	if (step(s, ST_BEGIN, &eb) < 0)
		return -EIO;
	r = acks_write(s, &eb);
	if (r == 0)
		r = pending_write(s, &eb);
	if (r == 0)
		r = step(s, ST_COMMIT, &eb);
	if (r < 0) {
		/* Kept: the next flush or store_apply() writes them first. */
		step(s, ST_ROLLBACK, NULL);
		return r;
	}
	acks_clear(s);
	pending_clear(s);
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->db) {
		store_flush(s);
		walckpt_free(s->ckpt);
		for (int i = 0; i < _ST_MAX; i++)
			sqlite3_finalize(s->st[i]);
		sqlite3_close(s->db);
	}
	for (struct hmap_iter it = hmap_iter(&s->pending); hmap_next(&it);)
		pending_free(it.value);
	hmap_done(&s->pending);
	for (struct hmap_iter it = hmap_iter(&s->acks); hmap_next(&it);)
		ack_free(it.value);
	hmap_done(&s->acks);
	free(s);
}

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : NULL;
}

static json_t *col_json(sqlite3_stmt *st, int i)
{
	const char *t = col(st, i);

	return t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
}

int store_load(struct store *s, const struct store_visitor *v, void *arg, struct errbuf *eb)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, "SELECT name, app, journal, next_seq, resolved_gen, wl_status,"
				      " charm_digest FROM units ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *j = col_json(st, 2), *wl = col_json(st, 5);
		struct store_unit_row row = {
			.name = col(st, 0), .app = col(st, 1), .journal = j,
			.next_seq = sqlite3_column_int64(st, 3), .resolved_gen = sqlite3_column_int64(st, 4),
			.wl_status = wl, .charm_digest = col(st, 6) ? col(st, 6) : "",
		};

		if (row.name && row.app)
			v->unit(arg, &row);
		json_decref(j);
		json_decref(wl);
	}
	sqlite3_finalize(st);
	/* Model config first, then applications, then units: a unit's goal needs its app. */
	if (sqlite3_prepare_v2(s->db, "SELECT kind, name, goal FROM goals ORDER BY"
				      " CASE kind WHEN 'meta' THEN 0 WHEN 'app' THEN 1 ELSE 2 END, name",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *g = col_json(st, 2);

		if (g && col(st, 0) && col(st, 1))
			v->goal(arg, col(st, 0), col(st, 1), g);
		json_decref(g);
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(s->db, "SELECT unit, seq, msg FROM outbox ORDER BY unit, seq", -1, &st,
			       NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *m = col_json(st, 2);

		if (m && col(st, 0))
			v->outbox(arg, col(st, 0), sqlite3_column_int64(st, 1), m);
		json_decref(m);
	}
	sqlite3_finalize(st);
	return 0;
fail:
	errbuf_set(eb, "cannot read the agent store: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return -EIO;
}

int store_apply(struct store *s, const struct store_txn *t, struct errbuf *eb)
{
	int r;

	if (step(s, ST_BEGIN, eb) < 0)
		return -EIO;
	/* Goals not yet written go first, in the same transaction: a journal is never stored
	 * beside an older goal than the one it was decided on (a restart would act on that
	 * stale goal - a config-changed with the old config - before the controller's). */
	r = pending_write(s, eb);
	if (r == 0 && t->unit) {
		sqlite3_stmt *st = s->st[ST_UNIT_PUT];

		bind_text(st, 1, t->unit->name);
		bind_text(st, 2, t->unit->app);
		bind_json(st, 3, t->unit->journal);
		sqlite3_bind_int64(st, 4, t->unit->next_seq);
		sqlite3_bind_int64(st, 5, t->unit->resolved_gen);
		bind_json(st, 6, t->unit->wl_status);
		bind_text(st, 7, t->unit->charm_digest ? t->unit->charm_digest : "");
		r = step(s, ST_UNIT_PUT, eb);
	}
	if (r == 0 && t->delete_unit) {
		bind_text(s->st[ST_UNIT_DEL], 1, t->delete_unit);
		r = step(s, ST_UNIT_DEL, eb);
		if (r == 0) {
			bind_text(s->st[ST_GOAL_DEL_UNIT], 1, t->delete_unit);
			r = step(s, ST_GOAL_DEL_UNIT, eb);
		}
		if (r == 0) {
			bind_text(s->st[ST_OUTBOX_DEL_UNIT], 1, t->delete_unit);
			r = step(s, ST_OUTBOX_DEL_UNIT, eb);
		}
		/* A goal still waiting to be written must not bring the unit back, nor may a late
		 * ack delete rows of a later unit of the same name. */
		char *key = xasprintf("unit/%s", t->delete_unit);
		struct pending_goal *p = hmap_del(&s->pending, key);
		struct pending_ack *pa = hmap_del(&s->acks, t->delete_unit);

		free(key);
		if (p)
			pending_free(p);
		if (pa)
			ack_free(pa);
	}
	for (size_t i = 0; r == 0 && i < t->n_msgs; i++) {
		sqlite3_stmt *st = s->st[ST_OUTBOX_ADD];

		bind_text(st, 1, json_string_value(json_object_get(t->msgs[i], "unit")));
		sqlite3_bind_int64(st, 2, json_integer_value(json_object_get(t->msgs[i], "seq")));
		bind_json(st, 3, t->msgs[i]);
		r = step(s, ST_OUTBOX_ADD, eb);
	}
	if (r == 0 && t->ack_unit) {
		bind_text(s->st[ST_OUTBOX_ACK], 1, t->ack_unit);
		sqlite3_bind_int64(s->st[ST_OUTBOX_ACK], 2, t->ack_seq);
		r = step(s, ST_OUTBOX_ACK, eb);
	}
	if (r == 0)
		r = step(s, ST_COMMIT, eb);
	if (r < 0) {
		step(s, ST_ROLLBACK, NULL);
		return r;
	}
	pending_clear(s);
	return 0;
}

static void flush_deferred(void *data)
{
	store_flush(data);
}

static void schedule_flush(struct store *s)
{
	if (!s->l) {
		store_flush(s);
		return;
	}
	if (!s->flush_scheduled) {
		s->flush_scheduled = true;
		loop_defer(s->l, flush_deferred, s);
	}
}

void store_drop_acked(struct store *s, const char *unit, int64_t seq)
{
	struct pending_ack *a = hmap_get(&s->acks, unit);

	if (!a) {
		a = xcalloc(1, sizeof(*a));
		a->unit = xstrdup(unit);
		hmap_put(&s->acks, a->unit, a);
	}
	if (seq > a->seq)
		a->seq = seq;
	schedule_flush(s);
}

void store_put_goal(struct store *s, const char *kind, const char *name, json_t *goal)
{
	char *key = xasprintf("%s/%s", kind, name);
	struct pending_goal *p = hmap_get(&s->pending, key);

	if (p) {
		free(key);
		json_decref(p->goal);
		p->goal = goal ? json_incref(goal) : NULL;
	} else {
		p = xcalloc(1, sizeof(*p));
		p->key = key;
		p->kind = xstrdup(kind);
		p->name = xstrdup(name);
		p->goal = goal ? json_incref(goal) : NULL;
		hmap_put(&s->pending, p->key, p);
	}
	schedule_flush(s);
}

int store_wipe(struct store *s, struct errbuf *eb)
{
	char *err = NULL;

	for (struct hmap_iter it = hmap_iter(&s->pending); hmap_next(&it);) {
		pending_free(it.value);
		hmap_iter_del(&it);
	}
	for (struct hmap_iter it = hmap_iter(&s->acks); hmap_next(&it);) {
		ack_free(it.value);
		hmap_iter_del(&it);
	}
	if (sqlite3_exec(s->db, "DELETE FROM units; DELETE FROM goals; DELETE FROM outbox;", NULL, NULL,
			 &err) != SQLITE_OK) {
		errbuf_set(eb, "cannot wipe the agent store: %s", err ? err : "error");
		sqlite3_free(err);
		return -EIO;
	}
	return 0;
}
