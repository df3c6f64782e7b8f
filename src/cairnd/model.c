/* model.c - in-memory model written through to SQLite; see model.h.
 *
 * Every change function follows one pattern: open a transaction, run its statements, commit,
 * and only then change memory - so a failed statement or commit leaves memory as it was. */
#include "model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cairnd/dbutil.h"
#include "charm/settings.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/strnum.h"
#include "lib/walckpt.h"

const char *const model_config_defaults[] = {
	"update-status-hook-interval", "5m",
	"automatically-retry-hooks", "true",
	NULL, NULL,
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS model_config(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS controller_config(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS machines(id INTEGER PRIMARY KEY, password_hash TEXT, salt TEXT,"
	"  token_hash TEXT, token_expiry INTEGER NOT NULL DEFAULT 0, hostname TEXT,"
	"  addresses TEXT NOT NULL DEFAULT '[]', created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS charms(app TEXT NOT NULL, revision INTEGER NOT NULL,"
	"  digest TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY(app, revision));"
	"CREATE TABLE IF NOT EXISTS applications(name TEXT PRIMARY KEY, charm_name TEXT NOT NULL,"
	"  charm_rev INTEGER NOT NULL, charm_digest TEXT NOT NULL, charm_size INTEGER NOT NULL,"
	"  settings TEXT NOT NULL, leader TEXT, leader_gen INTEGER NOT NULL DEFAULT 0,"
	"  next_unit INTEGER NOT NULL, dying INTEGER NOT NULL, st_current TEXT, st_message TEXT,"
	"  st_since INTEGER, st_data TEXT, st_set INTEGER NOT NULL, resources TEXT NOT NULL DEFAULT '{}');"
	"CREATE TABLE IF NOT EXISTS units(name TEXT PRIMARY KEY, app TEXT NOT NULL,"
	"  num INTEGER NOT NULL, machine INTEGER NOT NULL, dying INTEGER NOT NULL,"
	"  wl_current TEXT, wl_message TEXT, wl_since INTEGER, wl_data TEXT,"
	"  ag_current TEXT, ag_message TEXT, ag_since INTEGER, charm_set_status INTEGER NOT NULL,"
	"  journal TEXT, state TEXT NOT NULL, ports TEXT NOT NULL, version TEXT,"
	"  last_seq INTEGER NOT NULL DEFAULT 0, resolve_gen INTEGER NOT NULL DEFAULT 0,"
	"  resolve_mode TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE IF NOT EXISTS status_log(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  unit TEXT NOT NULL, time INTEGER NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,"
	"  message TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS status_log_unit ON status_log(unit, id);";

/* ---- statement helper ----
 * db_run(m, eb, sql, fmt, ...) binds the arguments described by fmt - s: const char * (NULL
 * binds NULL), i: int64_t, b: int as 0/1, j: json_t * (stored as compact JSON text) - and
 * steps the statement once.  Statements are prepared once and cached by SQL text. */

static sqlite3_stmt *stmt_get(struct model *m, const char *sql)
{
	struct model_stmt *cache = m->stmts;

	for (size_t i = 0; i < MODEL_STMT_CACHE; i++) {
		if (cache[i].sql == sql)
			return cache[i].st;
		if (!cache[i].sql) {
			if (sqlite3_prepare_v3(m->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &cache[i].st,
					       NULL) != SQLITE_OK)
				return NULL;
			cache[i].sql = sql;
			return cache[i].st;
		}
	}
	return NULL;
}

static int db_run(struct model *m, struct errbuf *eb, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = stmt_get(m, sql);
	char *texts[DBU_MAX_JSON_ARGS] = { NULL };
	va_list ap;
	int r, rc;

	if (!st) {
		errbuf_set(eb, "cannot prepare statement: %s", sqlite3_errmsg(m->db));
		return -EIO;
	}
	va_start(ap, fmt);
	r = dbu_bindv(st, fmt, ap, texts, eb);
	va_end(ap);
	if (r == 0) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			errbuf_set(eb, "cannot write state: %s", sqlite3_errmsg(m->db));
			r = -EIO;
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (int i = 0; i < DBU_MAX_JSON_ARGS; i++)
		free(texts[i]);
	return r;
}

static int exec_sql(struct model *m, const char *sql, struct errbuf *eb)
{
	char *err = NULL;

	if (sqlite3_exec(m->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		errbuf_set(eb, "state database: %s", err ? err : "error");
		sqlite3_free(err);
		return -EIO;
	}
	return 0;
}

/* Transaction statements, prepared once (cached by these pointers). */
static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_savepoint[] = "SAVEPOINT report";
static const char sql_release[] = "RELEASE report";
static const char sql_rollback_to[] = "ROLLBACK TO report";

static int batch_commit(struct model *m, struct errbuf *eb);

/* Every change: tx_begin, statements, tx_end(r) (commit or roll back), then memory.  An open
 * batch is committed first: this change is a transaction of its own. */
static int tx_begin(struct model *m, struct errbuf *eb)
{
	struct errbuf ign;

	if (m->batching)
		batch_commit(m, &ign);
	return db_run(m, eb, sql_begin, "");
}

static int tx_end(struct model *m, int r, struct errbuf *eb)
{
	struct errbuf ign;

	if (r < 0) {
		db_run(m, &ign, sql_rollback, "");
		return r;
	}
	r = db_run(m, eb, sql_commit, "");
	if (r < 0)
		db_run(m, &ign, sql_rollback, "");
	return r;
}

/* ---- batches ---- */

/* How a unit (and its application's status) was when a batch first touched it. */
struct unit_snap {
	struct model_unit *u;
	struct status_rec wl, agent, app_status;
	bool charm_set_status, app_status_set;
	json_t *journal, *state, *ports;
	char *version;
	int64_t last_seq;
	unsigned log_appends;
	struct unit_snap *next;
};

static void status_copy(struct status_rec *to, const struct status_rec *from);
static void status_done(struct status_rec *s);
static void unit_sev_sync(struct model_unit *u, bool counted);

static void snap_take(struct model *m, struct model_unit *u)
{
	struct unit_snap *s;

	if (u->snap_gen == m->batch_gen)
		return;
	s = xcalloc(1, sizeof(*s));
	s->u = u;
	status_copy(&s->wl, &u->wl);
	status_copy(&s->agent, &u->agent);
	status_copy(&s->app_status, &u->app->status);
	s->charm_set_status = u->charm_set_status;
	s->app_status_set = u->app->status_set;
	s->journal = json_incref(u->journal);
	s->state = json_incref(u->state);
	s->ports = json_incref(u->ports);
	s->version = u->workload_version ? xstrdup(u->workload_version) : NULL;
	s->last_seq = u->last_seq;
	s->log_appends = u->log_appends;
	s->next = m->snaps;
	m->snaps = s;
	u->snap_gen = m->batch_gen;
}

static void snap_free(struct unit_snap *s)
{
	status_done(&s->wl);
	status_done(&s->agent);
	status_done(&s->app_status);
	json_decref(s->journal);
	json_decref(s->state);
	json_decref(s->ports);
	free(s->version);
	free(s);
}

/* Puts a unit back as the snapshot has it (the snapshot's contents move into the unit). */
static void snap_restore(struct unit_snap *s)
{
	struct model_unit *u = s->u;

	status_done(&u->wl);
	u->wl = s->wl;
	status_done(&u->agent);
	u->agent = s->agent;
	status_done(&u->app->status);
	u->app->status = s->app_status;
	memset(&s->wl, 0, sizeof(s->wl));
	memset(&s->agent, 0, sizeof(s->agent));
	memset(&s->app_status, 0, sizeof(s->app_status));
	u->charm_set_status = s->charm_set_status;
	u->app->status_set = s->app_status_set;
	json_decref(u->journal);
	u->journal = s->journal;
	json_decref(u->state);
	u->state = s->state;
	json_decref(u->ports);
	u->ports = s->ports;
	s->journal = s->state = s->ports = NULL;
	free(u->workload_version);
	u->workload_version = s->version;
	s->version = NULL;
	u->last_seq = s->last_seq;
	u->log_appends = s->log_appends;
	unit_sev_sync(u, true);
}

void model_batch_begin(struct model *m)
{
	if (m->batching)
		return;
	m->batching = true;
	m->batch_gen++;
	if (!m->batch_gen)
		m->batch_gen = 1; /* 0 is every unit's "never" */
}

void model_set_batch_failed(struct model *m, void (*cb)(void *data), void *data)
{
	m->batch_failed = cb;
	m->batch_failed_data = data;
}

static int batch_commit(struct model *m, struct errbuf *eb)
{
	struct errbuf ign;
	int r = 0;

	if (!m->batching)
		return 0;
	m->batching = false;
	if (m->batch_tx) {
		m->batch_tx = false;
		r = db_run(m, eb, sql_commit, "");
		if (r < 0)
			db_run(m, &ign, sql_rollback, "");
	}
	/* Newest first: each field ends as the oldest snapshot had it, from before the batch. */
	for (struct unit_snap *s = m->snaps, *n; s; s = n) {
		n = s->next;
		if (r < 0)
			snap_restore(s);
		snap_free(s);
	}
	m->snaps = NULL;
	if (r < 0 && m->batch_failed)
		m->batch_failed(m->batch_failed_data);
	return r;
}

int model_batch_commit(struct model *m, struct errbuf *eb)
{
	return batch_commit(m, eb);
}

/* A report: in a batch, a savepoint of the batch's transaction (opened on first use), and u
 * remembered as it was; else a transaction of its own. */
static int rtx_begin(struct model *m, struct model_unit *u, struct errbuf *eb)
{
	int r;

	if (!m->batching)
		return tx_begin(m, eb);
	if (!m->batch_tx) {
		r = db_run(m, eb, sql_begin, "");
		if (r < 0)
			return r;
		m->batch_tx = true;
	}
	r = db_run(m, eb, sql_savepoint, "");
	if (r == 0)
		snap_take(m, u);
	return r;
}

static int rtx_end(struct model *m, int r, struct errbuf *eb)
{
	struct errbuf ign;

	if (!m->batching)
		return tx_end(m, r, eb);
	if (r < 0) {
		db_run(m, &ign, sql_rollback_to, "");
		db_run(m, &ign, sql_release, "");
		return r;
	}
	r = db_run(m, eb, sql_release, "");
	if (r < 0) {
		db_run(m, &ign, sql_rollback_to, "");
		db_run(m, &ign, sql_release, "");
	}
	return r;
}

static const char sql_seq[] = "UPDATE units SET last_seq = ? WHERE name = ?";

/* Records seq for u inside the current transaction (seq 0: nothing). */
static int put_seq(struct model *m, struct model_unit *u, int64_t seq, struct errbuf *eb)
{
	if (seq <= 0)
		return 0;
	return db_run(m, eb, sql_seq, "is", seq, u->name);
}

static void mem_seq(struct model_unit *u, int64_t seq)
{
	if (seq > u->last_seq)
		u->last_seq = seq;
}

/* ---- displayed statuses ---- */

static const char *const sev_names[_MODEL_SEV_MAX] = {
	[MODEL_SEV_OTHER] = NULL,           [MODEL_SEV_UNKNOWN] = "unknown",
	[MODEL_SEV_TERMINATED] = "terminated", [MODEL_SEV_ACTIVE] = "active",
	[MODEL_SEV_WAITING] = "waiting",    [MODEL_SEV_MAINTENANCE] = "maintenance",
	[MODEL_SEV_BLOCKED] = "blocked",    [MODEL_SEV_ERROR] = "error",
};

enum model_sev model_sev_of(const char *status)
{
	for (int i = MODEL_SEV_UNKNOWN; i < _MODEL_SEV_MAX; i++)
		if (status && !strcmp(sev_names[i], status))
			return (enum model_sev)i;
	return MODEL_SEV_OTHER;
}

const char *model_sev_name(enum model_sev sev)
{
	return (unsigned)sev < _MODEL_SEV_MAX ? sev_names[sev] : NULL;
}

const char *model_unit_display(const struct model_unit *u, const char **msg)
{
	if (u->agent.current && !strcmp(u->agent.current, "error")) {
		*msg = u->agent.message;
		return "error";
	}
	*msg = u->wl.message;
	return u->wl.current ? u->wl.current : "unknown";
}

const char *model_app_current(const struct model_app *a)
{
	const char *msg;
	uint64_t since;

	if (a->status_set && a->status.current)
		return a->status.current;
	for (int sev = _MODEL_SEV_MAX - 1; sev > MODEL_SEV_OTHER; sev--)
		if (a->n_sev[sev])
			return model_sev_name((enum model_sev)sev);
	/* Only values outside the table (or no units): the first unit's says it. */
	return model_app_display(a, &msg, &since);
}

const char *model_app_display(const struct model_app *a, const char **msg, uint64_t *since)
{
	int best = -1;

	if (a->status_set && a->status.current) {
		*msg = a->status.message;
		*since = a->status.since_ns;
		return a->status.current;
	}
	*msg = "";
	*since = 0;
	/* The most severe status any unit shows (the counts say which), from the first unit
	 * showing it. */
	for (int sev = _MODEL_SEV_MAX - 1; sev >= MODEL_SEV_OTHER && best < 0; sev--)
		if (a->n_sev[sev])
			best = sev;
	for (size_t i = 0; best >= 0 && i < a->n_units; i++) {
		const struct model_unit *u = a->units[i];

		if ((int)u->sev != best)
			continue;
		*since = u->agent.current && !strcmp(u->agent.current, "error") ? u->agent.since_ns
										  : u->wl.since_ns;
		return model_unit_display(u, msg);
	}
	return "unknown";
}

/* Re-derives u's severity and its application's counts; counted = u is in the counts now. */
static void unit_sev_sync(struct model_unit *u, bool counted)
{
	const char *msg;
	enum model_sev sev = model_sev_of(model_unit_display(u, &msg));

	if (counted)
		u->app->n_sev[u->sev]--;
	u->sev = sev;
	u->app->n_sev[sev]++;
}

/* ---- in-memory helpers ---- */

static void status_done(struct status_rec *s)
{
	free(s->current);
	free(s->message);
	json_decref(s->data);
	memset(s, 0, sizeof(*s));
}

static void status_copy(struct status_rec *to, const struct status_rec *from)
{
	to->current = from->current ? xstrdup(from->current) : NULL;
	to->message = from->message ? xstrdup(from->message) : NULL;
	to->data = json_incref(from->data);
	to->since_ns = from->since_ns;
}

static void status_assign(struct status_rec *s, const char *current, const char *message,
			  json_t *data, uint64_t since)
{
	status_done(s);
	s->current = current ? xstrdup(current) : NULL;
	s->message = xstrdup(message ? message : "");
	s->data = data ? json_incref(data) : json_object();
	s->since_ns = since;
}

static void unit_free(struct model_unit *u)
{
	if (!u)
		return;
	free(u->name);
	status_done(&u->wl);
	status_done(&u->agent);
	json_decref(u->journal);
	json_decref(u->state);
	json_decref(u->ports);
	free(u->workload_version);
	free(u);
}

static void app_free(struct model_app *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_units; i++)
		unit_free(a->units[i]);
	free(a->units);
	free(a->name);
	free(a->charm_name);
	charm_free(a->charm);
	free(a->revs);
	json_decref(a->settings);
	json_decref(a->resources);
	json_decref(a->effective);
	free(a->leader);
	status_done(&a->status);
	free(a);
}

static void machine_free(struct model_machine *mc)
{
	if (!mc)
		return;
	free(mc->password_hash);
	free(mc->salt);
	free(mc->token_hash);
	free(mc->hostname);
	json_decref(mc->addresses);
	free(mc);
}

static void app_derive(struct model_app *a)
{
	json_decref(a->effective);
	a->effective = settings_effective(a->charm, a->settings);
	settings_hash(a->effective, a->config_hash);
}

static void app_add_rev(struct model_app *a, int rev, const char *digest, int64_t size)
{
	for (size_t i = 0; i < a->n_revs; i++) {
		if (a->revs[i].rev == rev) {
			snprintf(a->revs[i].digest, sizeof(a->revs[i].digest), "%s", digest);
			a->revs[i].size = size;
			return;
		}
	}
	a->revs = xrealloc(a->revs, (a->n_revs + 1) * sizeof(*a->revs));
	a->revs[a->n_revs].rev = rev;
	snprintf(a->revs[a->n_revs].digest, sizeof(a->revs[a->n_revs].digest), "%s", digest);
	a->revs[a->n_revs].size = size;
	a->n_revs++;
}

bool model_app_has_digest(const struct model_app *a, const char *digest)
{
	for (size_t i = 0; i < a->n_revs; i++)
		if (!strcmp(a->revs[i].digest, digest))
			return true;
	return false;
}

char *model_charm_path(struct model *m, const char *digest)
{
	return xasprintf("%s/charms/%s.charm", m->home, digest);
}

int model_unit_cmp(const void *pa, const void *pb)
{
	const struct model_unit *a = *(struct model_unit *const *)pa;
	const struct model_unit *b = *(struct model_unit *const *)pb;

	return a->num - b->num;
}

static int app_cmp(const void *pa, const void *pb)
{
	const struct model_app *a = *(struct model_app *const *)pa;
	const struct model_app *b = *(struct model_app *const *)pb;

	return strcmp(a->name, b->name);
}

static int machine_cmp(const void *pa, const void *pb)
{
	const struct model_machine *a = *(struct model_machine *const *)pa;
	const struct model_machine *b = *(struct model_machine *const *)pb;

	return a->id - b->id;
}

struct model_app *model_find_app(struct model *m, const char *name)
{
	size_t lo = 0, hi = m->n_apps;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->apps[mid]->name, name);

		if (!c)
			return m->apps[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct model_unit *model_find_unit(struct model *m, const char *name)
{
	const char *slash = name ? strrchr(name, '/') : NULL;
	char app[256];
	struct model_app *a;
	char *end;
	long num;

	if (!slash || (size_t)(slash - name) >= sizeof(app))
		return NULL;
	memcpy(app, name, (size_t)(slash - name));
	app[slash - name] = '\0';
	a = model_find_app(m, app);
	if (!a || !slash[1])
		return NULL;
	num = strtol(slash + 1, &end, 10);
	if (*end)
		return NULL;
	size_t lo = 0, hi = a->n_units;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (a->units[mid]->num == num)
			return strcmp(a->units[mid]->name, name) ? NULL : a->units[mid];
		if (a->units[mid]->num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct model_machine *model_find_machine(struct model *m, int id)
{
	size_t lo = 0, hi = m->n_machines;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->machines[mid]->id == id)
			return m->machines[mid];
		if (m->machines[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

uint64_t model_next_gen(struct model *m)
{
	return ++m->gen;
}

/* ---- loading ---- */

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : NULL;
}

static json_t *col_json(sqlite3_stmt *st, int i, json_t *dflt)
{
	const char *t = col_text(st, i);
	json_t *v = t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;

	if (!v)
		return dflt;
	json_decref(dflt);
	return v;
}

static struct model_machine *machine_insert(struct model *m, int id)
{
	struct model_machine *mc = xcalloc(1, sizeof(*mc));

	mc->id = id;
	snprintf(mc->name, sizeof(mc->name), "%d", id);
	mc->addresses = json_array();
	m->machines = xrealloc(m->machines, (m->n_machines + 1) * sizeof(*m->machines));
	m->machines[m->n_machines++] = mc;
	qsort(m->machines, m->n_machines, sizeof(*m->machines), machine_cmp);
	return mc;
}

static int load(struct model *m, struct errbuf *eb)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(m->db, "SELECT key, value FROM meta", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = col_text(st, 0), *v = col_text(st, 1);
		int64_t n;

		if (!strcmp(k, "model-uuid")) {
			free(m->uuid);
			m->uuid = xstrdup(v);
		} else if (!strcmp(k, "model-name")) {
			free(m->name);
			m->name = xstrdup(v);
		} else if (!strcmp(k, "next-machine") && strnum_i64(v, 0, MODEL_MAX_MACHINES, &n) == 0) {
			m->next_machine = (int)n;
		} else if (!strcmp(k, "gen-epoch") && strnum_i64(v, 0, 1 << 20, &n) == 0) {
			m->gen = (uint64_t)n << 32;
		}
	}
	sqlite3_finalize(st);
	st = NULL;

	if (sqlite3_prepare_v2(m->db, "SELECT key, value FROM model_config", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(m->config, col_text(st, 0), json_string(col_text(st, 1)));
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(m->db, "SELECT key, value FROM controller_config", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(m->ctlcfg, col_text(st, 0), json_string(col_text(st, 1)));
	sqlite3_finalize(st);
	st = NULL;

	if (sqlite3_prepare_v2(m->db, "SELECT id, password_hash, salt, token_hash, token_expiry,"
				      " hostname, addresses, created FROM machines", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct model_machine *mc = machine_insert(m, sqlite3_column_int(st, 0));

		mc->password_hash = col_text(st, 1) ? xstrdup(col_text(st, 1)) : NULL;
		mc->salt = col_text(st, 2) ? xstrdup(col_text(st, 2)) : NULL;
		mc->token_hash = col_text(st, 3) ? xstrdup(col_text(st, 3)) : NULL;
		mc->token_expiry_ns = (uint64_t)sqlite3_column_int64(st, 4);
		mc->hostname = col_text(st, 5) ? xstrdup(col_text(st, 5)) : NULL;
		json_decref(mc->addresses);
		mc->addresses = col_json(st, 6, json_array());
		mc->created_ns = (uint64_t)sqlite3_column_int64(st, 7);
	}
	sqlite3_finalize(st);
	st = NULL;

	if (sqlite3_prepare_v2(m->db,
			       "SELECT name, charm_name, charm_rev, charm_digest, charm_size, settings,"
			       " leader, next_unit, dying, st_current, st_message, st_since, st_data,"
			       " st_set, leader_gen, resources FROM applications ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct model_app *a = xcalloc(1, sizeof(*a));
		struct errbuf ceb;
		char *path;

		a->name = xstrdup(col_text(st, 0));
		a->charm_name = xstrdup(col_text(st, 1));
		a->charm_rev = sqlite3_column_int(st, 2);
		snprintf(a->charm_digest, sizeof(a->charm_digest), "%s", col_text(st, 3) ? col_text(st, 3) : "");
		a->charm_size = sqlite3_column_int64(st, 4);
		a->settings = col_json(st, 5, json_object());
		a->leader = col_text(st, 6) ? xstrdup(col_text(st, 6)) : NULL;
		a->next_unit = sqlite3_column_int(st, 7);
		a->dying = sqlite3_column_int(st, 8);
		if (col_text(st, 9))
			status_assign(&a->status, col_text(st, 9), col_text(st, 10), NULL,
				      (uint64_t)sqlite3_column_int64(st, 11));
		if (col_text(st, 12)) {
			json_decref(a->status.data);
			a->status.data = col_json(st, 12, json_object());
		}
		a->status_set = sqlite3_column_int(st, 13);
		a->leader_gen = sqlite3_column_int(st, 14);
		a->resources = col_json(st, 15, json_object());
		path = model_charm_path(m, a->charm_digest);
		if (charm_load_archive(path, &a->charm, &ceb) < 0) {
			errbuf_set(eb, "cannot load the charm of application %s from %s: %s", a->name, path,
				   ceb.msg);
			free(path);
			app_free(a);
			sqlite3_finalize(st);
			return -EIO;
		}
		free(path);
		app_derive(a);
		app_add_rev(a, a->charm_rev, a->charm_digest, a->charm_size);
		m->apps = xrealloc(m->apps, (m->n_apps + 1) * sizeof(*m->apps));
		m->apps[m->n_apps++] = a;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (m->n_apps > 1)
		qsort(m->apps, m->n_apps, sizeof(*m->apps), app_cmp);

	if (sqlite3_prepare_v2(m->db, "SELECT app, revision, digest, size FROM charms", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct model_app *a = model_find_app(m, col_text(st, 0));

		if (a && col_text(st, 2))
			app_add_rev(a, sqlite3_column_int(st, 1), col_text(st, 2), sqlite3_column_int64(st, 3));
	}
	sqlite3_finalize(st);
	st = NULL;

	if (sqlite3_prepare_v2(m->db,
			       "SELECT name, app, num, machine, dying, wl_current, wl_message, wl_since,"
			       " wl_data, ag_current, ag_message, ag_since, charm_set_status, journal,"
			       " state, ports, version, last_seq, resolve_gen, resolve_mode FROM units",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct model_app *a = model_find_app(m, col_text(st, 1));
		struct model_machine *mc;
		struct model_unit *u;

		if (!a)
			continue;
		u = xcalloc(1, sizeof(*u));
		u->name = xstrdup(col_text(st, 0));
		u->app = a;
		u->num = sqlite3_column_int(st, 2);
		u->machine = sqlite3_column_int(st, 3);
		u->dying = sqlite3_column_int(st, 4);
		status_assign(&u->wl, col_text(st, 5), col_text(st, 6), NULL,
			      (uint64_t)sqlite3_column_int64(st, 7));
		json_decref(u->wl.data);
		u->wl.data = col_json(st, 8, json_object());
		status_assign(&u->agent, col_text(st, 9), col_text(st, 10), NULL,
			      (uint64_t)sqlite3_column_int64(st, 11));
		u->charm_set_status = sqlite3_column_int(st, 12);
		u->journal = col_json(st, 13, NULL);
		u->state = col_json(st, 14, json_object());
		u->ports = col_json(st, 15, json_array());
		u->workload_version = col_text(st, 16) ? xstrdup(col_text(st, 16)) : NULL;
		u->last_seq = sqlite3_column_int64(st, 17);
		u->resolve_gen = sqlite3_column_int64(st, 18);
		snprintf(u->resolve_mode, sizeof(u->resolve_mode), "%s", col_text(st, 19) ? col_text(st, 19) : "");
		a->units = xrealloc(a->units, (a->n_units + 1) * sizeof(*a->units));
		a->units[a->n_units++] = u;
		unit_sev_sync(u, false);
		mc = model_find_machine(m, u->machine);
		if (mc)
			mc->n_units++;
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < m->n_apps; i++)
		if (m->apps[i]->n_units)
			qsort(m->apps[i]->units, m->apps[i]->n_units, sizeof(struct model_unit *), model_unit_cmp);
	return 0;
fail:
	errbuf_set(eb, "cannot load state: %s", sqlite3_errmsg(m->db));
	sqlite3_finalize(st);
	return -EIO;
}

static char *new_uuid(void)
{
	unsigned char b[16] = { 0 };

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		memset(b, 0x5a, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
			 b[12], b[13], b[14], b[15]);
}

static const char sql_meta_set[] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)";

void model_checkpoints_off_loop(struct model *m, struct loop *l)
{
	struct errbuf eb;

	/* At the pragma's 4000 pages (model_open). */
	if (walckpt_attach(l, m->db, NULL, 0, NULL, NULL, &m->ckpt, &eb) < 0)
		log_warn("state.db: checkpoints stay in the commits: %s", eb.msg);
}

int model_open(const char *home, struct model **ret, struct errbuf *eb)
{
	struct model *m = xcalloc(1, sizeof(*m));
	char *path = xasprintf("%s/state.db", home);
	char epoch[32];
	int r;

	m->home = xstrdup(home);
	m->config = json_object();
	m->ctlcfg = json_object();
	m->name = xstrdup("default");
	if (sqlite3_open_v2(path, &m->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				  SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		errbuf_set(eb, "cannot open %s: %s", path, m->db ? sqlite3_errmsg(m->db) : "out of memory");
		r = -EIO;
		goto fail;
	}
	free(path);
	path = NULL;
	sqlite3_busy_timeout(m->db, 5000);
	/* WAL + synchronous=NORMAL: a committed transaction survives a crash of the process
	 * (SIGKILL) at any moment; only an OS crash can lose the last few.  Normal locking, not
	 * exclusive (which saved a fifth of the commit time in fcntl locks): a second reader -
	 * an operator's sqlite3, the fault tests' integrity check - must be able to open the
	 * store of a running controller.  A checkpoint (two
	 * fsyncs) every 4000 pages rather than 1000: units' rows are rewritten hook after hook, and
	 * a checkpoint copies each page once however often it changed. */
	r = exec_sql(m, "PRAGMA journal_mode=WAL;"
			" PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=4000;", eb);
	if (r < 0)
		goto fail;
	r = exec_sql(m, schema, eb);
	if (r < 0)
		goto fail;
	r = load(m, eb);
	if (r < 0)
		goto fail;
	/* Goal generations stay monotonic across restarts: each run starts a new epoch. */
	snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)((m->gen >> 32) + 1));
	m->gen = ((m->gen >> 32) + 1) << 32;
	r = tx_begin(m, eb);
	if (r == 0) {
		r = db_run(m, eb, sql_meta_set, "ss", "gen-epoch", epoch);
		if (r == 0 && !m->uuid) {
			m->uuid = new_uuid();
			r = db_run(m, eb, sql_meta_set, "ss", "model-uuid", m->uuid);
			if (r == 0)
				r = db_run(m, eb, sql_meta_set, "ss", "model-name", m->name);
		}
		if (r == 0 && !model_find_machine(m, 0)) {
			r = db_run(m, eb, "INSERT INTO machines(id, created) VALUES(0, ?)", "i",
				   (int64_t)loop_wall_ns());
			if (r == 0 && m->next_machine < 1)
				r = db_run(m, eb, sql_meta_set, "ss", "next-machine", "1");
		}
		r = tx_end(m, r, eb);
	}
	if (r < 0)
		goto fail;
	if (!model_find_machine(m, 0)) {
		machine_insert(m, 0)->created_ns = loop_wall_ns();
		if (m->next_machine < 1)
			m->next_machine = 1;
		/* Units of an older store that sat on machines never enlisted here. */
		for (size_t i = 0; i < m->n_apps; i++)
			for (size_t k = 0; k < m->apps[i]->n_units; k++)
				if (m->apps[i]->units[k]->machine == 0)
					m->machines[0]->n_units++;
	}
	*ret = m;
	return 0;
fail:
	free(path);
	model_close(m);
	return r;
}

void model_close(struct model *m)
{
	struct errbuf ign;

	if (!m)
		return;
	batch_commit(m, &ign);
	for (size_t i = 0; i < MODEL_STMT_CACHE; i++)
		if (m->stmts[i].st)
			sqlite3_finalize(m->stmts[i].st);
	for (size_t i = 0; i < m->n_apps; i++)
		app_free(m->apps[i]);
	free(m->apps);
	for (size_t i = 0; i < m->n_machines; i++)
		machine_free(m->machines[i]);
	free(m->machines);
	walckpt_free(m->ckpt);
	if (m->db)
		sqlite3_close(m->db);
	json_decref(m->config);
	json_decref(m->ctlcfg);
	free(m->home);
	free(m->name);
	free(m->uuid);
	free(m);
}

/* ---- machines ---- */

int model_add_machine(struct model *m, const char *token_hash, uint64_t expiry_ns,
		      struct model_machine **ret, struct errbuf *eb)
{
	int id = m->next_machine, r;
	char next[32];
	uint64_t now = loop_wall_ns();
	struct model_machine *mc;

	if (m->n_machines >= MODEL_MAX_MACHINES) {
		errbuf_set(eb, "too many machines (limit %d)", MODEL_MAX_MACHINES);
		return -ENOSPC;
	}
	snprintf(next, sizeof(next), "%d", id + 1);
	r = tx_begin(m, eb);
	if (r < 0)
		return r;
	r = db_run(m, eb, "INSERT INTO machines(id, token_hash, token_expiry, created) VALUES(?, ?, ?, ?)",
		   "isii", (int64_t)id, token_hash, (int64_t)expiry_ns, (int64_t)now);
	if (r == 0)
		r = db_run(m, eb, sql_meta_set, "ss", "next-machine", next);
	r = tx_end(m, r, eb);
	if (r < 0)
		return r;
	m->next_machine = id + 1;
	mc = machine_insert(m, id);
	mc->token_hash = token_hash ? xstrdup(token_hash) : NULL;
	mc->token_expiry_ns = expiry_ns;
	mc->created_ns = now;
	*ret = mc;
	return 0;
}

int model_enlist_machine(struct model *m, struct model_machine *mc, const char *password_hash,
			 const char *salt, struct errbuf *eb)
{
	int r = tx_begin(m, eb);

	if (r < 0)
		return r;
	r = db_run(m, eb, "UPDATE machines SET password_hash = ?, salt = ?, token_hash = NULL,"
			  " token_expiry = 0 WHERE id = ?", "ssi", password_hash, salt, (int64_t)mc->id);
	r = tx_end(m, r, eb);
	if (r < 0)
		return r;
	free(mc->password_hash);
	free(mc->salt);
	free(mc->token_hash);
	mc->password_hash = xstrdup(password_hash);
	mc->salt = xstrdup(salt);
	mc->token_hash = NULL;
	mc->token_expiry_ns = 0;
	return 0;
}

int model_set_machine_host(struct model *m, struct model_machine *mc, const char *hostname,
			   json_t *addresses, struct errbuf *eb)
{
	int r;

	if (mc->hostname && hostname && !strcmp(mc->hostname, hostname) &&
	    json_equal(mc->addresses, addresses))
		return 0;
	r = tx_begin(m, eb);
	if (r < 0)
		return r;
	r = db_run(m, eb, "UPDATE machines SET hostname = ?, addresses = ? WHERE id = ?", "sji",
		   hostname, addresses, (int64_t)mc->id);
	r = tx_end(m, r, eb);
	if (r < 0)
		return r;
	free(mc->hostname);
	mc->hostname = hostname ? xstrdup(hostname) : NULL;
	json_decref(mc->addresses);
	mc->addresses = json_deep_copy(addresses);
	return 0;
}

int model_delete_machine(struct model *m, struct model_machine *mc, struct errbuf *eb)
{
	int r;

	if (mc->n_units) {
		errbuf_set(eb, "machine %d has units", mc->id);
		return -EBUSY;
	}
	r = tx_begin(m, eb);
	if (r < 0)
		return r;
	r = db_run(m, eb, "DELETE FROM machines WHERE id = ?", "i", (int64_t)mc->id);
	r = tx_end(m, r, eb);
	if (r < 0)
		return r;
	for (size_t i = 0; i < m->n_machines; i++) {
		if (m->machines[i] == mc) {
			memmove(&m->machines[i], &m->machines[i + 1],
				(m->n_machines - i - 1) * sizeof(*m->machines));
			m->n_machines--;
			break;
		}
	}
	machine_free(mc);
	return 0;
}

/* ---- applications ---- */

static const char sql_app_insert[] =
	"INSERT INTO applications(name, charm_name, charm_rev, charm_digest, charm_size, settings,"
	" leader, next_unit, dying, st_set, resources) VALUES(?, ?, ?, ?, ?, ?, NULL, 0, 0, 0, ?)";
static const char sql_charm_insert[] =
	"INSERT OR REPLACE INTO charms(app, revision, digest, size) VALUES(?, ?, ?, ?)";

int model_add_app(struct model *m, const char *name, struct charm *c, const char *digest,
		  int64_t size, int rev, json_t *settings, json_t *resources, struct model_app **ret,
		  struct errbuf *eb)
{
	struct model_app *a;
	int r;

	if (m->n_apps >= MODEL_MAX_APPS) {
		errbuf_set(eb, "too many applications (limit %d)", MODEL_MAX_APPS);
		return -ENOSPC;
	}
	r = tx_begin(m, eb);
	if (r < 0)
		return r;
	r = db_run(m, eb, sql_app_insert, "ssisijj", name, c->name, (int64_t)rev, digest, size,
		   settings, resources);
	if (r == 0)
		r = db_run(m, eb, sql_charm_insert, "sisi", name, (int64_t)rev, digest, size);
	r = tx_end(m, r, eb);
	if (r < 0)
		return r;
	a = xcalloc(1, sizeof(*a));
	a->name = xstrdup(name);
	a->charm_name = xstrdup(c->name);
	a->charm_rev = rev;
	snprintf(a->charm_digest, sizeof(a->charm_digest), "%s", digest);
	a->charm_size = size;
	a->charm = c;
	a->settings = settings;
	a->resources = json_incref(resources);
	app_add_rev(a, rev, digest, size);
	app_derive(a);
	m->apps = xrealloc(m->apps, (m->n_apps + 1) * sizeof(*m->apps));
	m->apps[m->n_apps++] = a;
	qsort(m->apps, m->n_apps, sizeof(*m->apps), app_cmp);
	*ret = a;
	return 0;
}

static const char sql_unit_insert[] =
	"INSERT INTO units(name, app, num, machine, dying, wl_current, wl_message, wl_since, wl_data,"
	" ag_current, ag_message, ag_since, charm_set_status, journal, state, ports, version)"
	" VALUES(?, ?, ?, ?, 0, ?, ?, ?, '{}', ?, ?, ?, 0, NULL, '{}', '[]', NULL)";
static const char sql_app_next_unit[] = "UPDATE applications SET next_unit = ? WHERE name = ?";
static const char sql_app_leader[] = "UPDATE applications SET leader = ?, leader_gen = ? WHERE name = ?";

int model_add_units(struct model *m, struct model_app *a, int n, int machine,
		    struct model_unit **ret, struct errbuf *eb)
{
	uint64_t now = loop_wall_ns();
	struct model_machine *mc = model_find_machine(m, machine);
	bool lead = n > 0 && (!a->leader || !model_find_unit(m, a->leader));
	char lead_name[256] = "";
	int r;

	if (!mc) {
		errbuf_set(eb, "machine %d not found", machine);
		return -ENOENT;
	}
	if (n < 0 || a->n_units + (size_t)n > MODEL_MAX_UNITS_PER_APP) {
		errbuf_set(eb, "too many units (limit %d)", MODEL_MAX_UNITS_PER_APP);
		return -ENOSPC;
	}
	r = tx_begin(m, eb);
	if (r < 0)
		return r;
	/* Statements only: nothing in memory changes until the commit succeeded. */
	for (int i = 0; r == 0 && i < n; i++) {
		char name[256];

		snprintf(name, sizeof(name), "%s/%d", a->name, a->next_unit + i);
		if (i == 0)
			snprintf(lead_name, sizeof(lead_name), "%s", name);
		/* A new unit is maintenance/allocating until its agent starts (operator-cli.md §8.2). */
		r = db_run(m, eb, sql_unit_insert, "ssiississi", name, a->name,
			   (int64_t)(a->next_unit + i), (int64_t)machine, "maintenance", "",
			   (int64_t)now, "allocating", "", (int64_t)now);
	}
	if (r == 0)
		r = db_run(m, eb, sql_app_next_unit, "is", (int64_t)(a->next_unit + n), a->name);
	if (r == 0 && lead)
		r = db_run(m, eb, sql_app_leader, "sis", lead_name, (int64_t)a->leader_gen, a->name);
	r = tx_end(m, r, eb);
	if (r < 0)
		return r;
	a->units = xrealloc(a->units, (a->n_units + (size_t)n + 1) * sizeof(*a->units));
	for (int i = 0; i < n; i++) {
		struct model_unit *u = xcalloc(1, sizeof(*u));

		u->name = xasprintf("%s/%d", a->name, a->next_unit);
		u->app = a;
		u->num = a->next_unit++;
		u->machine = machine;
		status_assign(&u->wl, "maintenance", "", NULL, now);
		status_assign(&u->agent, "allocating", "", NULL, now);
		u->state = json_object();
		u->ports = json_array();
		a->units[a->n_units++] = u; /* numbers only grow: stays sorted */
		unit_sev_sync(u, false);
		mc->n_units++;
		if (ret)
			ret[i] = u;
	}
	if (lead) {
		free(a->leader);
		a->leader = xstrdup(lead_name);
	}
	return 0;
}

int model_set_unit_dying(struct model *m, struct model_unit *u, struct errbuf *eb)
{
	int r = tx_begin(m, eb);

	if (r < 0)
		return r;
	r = db_run(m, eb, "UPDATE units SET dying = 1 WHERE name = ?", "s", u->name);
	r = tx_end(m, r, eb);
	if (r == 0)
		u->dying = true;
	return r;
}

int model_set_app_dying(struct model *m, struct model_app *a, struct errbuf *eb)
{
	int r = tx_begin(m, eb);

	if (r < 0)
		return r;
	r = db_run(m, eb, "UPDATE applications SET dying = 1 WHERE name = ?", "s", a->name);
	if (r == 0)
		r = db_run(m, eb, "UPDATE units SET dying = 1 WHERE app = ?", "s", a->name);
	r = tx_end(m, r, eb);
	if (r == 0) {
		a->dying = true;
		for (size_t i = 0; i < a->n_units; i++)
			a->units[i]->dying = true;
	}
	return r;
}

int model_delete_unit(struct model *m, struct model_unit *u, struct errbuf *eb)
{
	struct model_app *a = u->app;
	struct model_machine *mc = model_find_machine(m, u->machine);
	int r = tx_begin(m, eb);

	if (r < 0)
		return r;
	r = db_run(m, eb, "DELETE FROM units WHERE name = ?", "s", u->name);
	if (r == 0)
		r = db_run(m, eb, "DELETE FROM status_log WHERE unit = ?", "s", u->name);
	r = tx_end(m, r, eb);
	if (r < 0)
		return r;
	for (size_t i = 0; i < a->n_units; i++) {
		if (a->units[i] == u) {
			memmove(&a->units[i], &a->units[i + 1], (a->n_units - i - 1) * sizeof(*a->units));
			a->n_units--;
			break;
		}
	}
	a->n_sev[u->sev]--;
	if (mc && mc->n_units)
		mc->n_units--;
	unit_free(u);
	return 0;
}

int model_delete_app(struct model *m, struct model_app *a, struct errbuf *eb)
{
	int r = tx_begin(m, eb);

	if (r < 0)
		return r;
	r = db_run(m, eb, "DELETE FROM applications WHERE name = ?", "s", a->name);
	if (r == 0)
		r = db_run(m, eb, "DELETE FROM units WHERE app = ?", "s", a->name);
	if (r == 0)
		r = db_run(m, eb, "DELETE FROM charms WHERE app = ?", "s", a->name);
	r = tx_end(m, r, eb);
	if (r < 0)
		return r;
	for (size_t i = 0; i < a->n_units; i++) {
		struct model_machine *mc = model_find_machine(m, a->units[i]->machine);

		if (mc && mc->n_units)
			mc->n_units--;
	}
	for (size_t i = 0; i < m->n_apps; i++) {
		if (m->apps[i] == a) {
			memmove(&m->apps[i], &m->apps[i + 1], (m->n_apps - i - 1) * sizeof(*m->apps));
			m->n_apps--;
			break;
		}
	}
	app_free(a);
	return 0;
}

int model_set_settings(struct model *m, struct model_app *a, json_t *settings, struct errbuf *eb)
{
	int r = tx_begin(m, eb);

	if (r == 0) {
		r = db_run(m, eb, "UPDATE applications SET settings = ? WHERE name = ?", "js", settings,
			   a->name);
		r = tx_end(m, r, eb);
	}
	if (r < 0) {
		json_decref(settings);
		return r;
	}
	json_decref(a->settings);
	a->settings = settings;
	app_derive(a);
	return 0;
}

int model_set_charm(struct model *m, struct model_app *a, struct charm *c, const char *digest,
		    int64_t size, int rev, json_t *settings, struct errbuf *eb)
{
	int r = tx_begin(m, eb);

	if (r == 0) {
		r = db_run(m, eb,
			   "UPDATE applications SET charm_name = ?, charm_rev = ?, charm_digest = ?,"
			   " charm_size = ?, settings = ? WHERE name = ?",
			   "sisijs", c->name, (int64_t)rev, digest, size, settings, a->name);
		if (r == 0)
			r = db_run(m, eb, sql_charm_insert, "sisi", a->name, (int64_t)rev, digest, size);
		r = tx_end(m, r, eb);
	}
	if (r < 0) {
		charm_free(c);
		json_decref(settings);
		return r;
	}
	charm_free(a->charm);
	a->charm = c;
	free(a->charm_name);
	a->charm_name = xstrdup(c->name);
	snprintf(a->charm_digest, sizeof(a->charm_digest), "%s", digest);
	a->charm_size = size;
	a->charm_rev = rev;
	app_add_rev(a, rev, digest, size);
	json_decref(a->settings);
	a->settings = settings;
	app_derive(a);
	return 0;
}

int model_set_resources(struct model *m, struct model_app *a, json_t *resources, struct errbuf *eb)
{
	int r = tx_begin(m, eb);

	if (r == 0) {
		r = db_run(m, eb, "UPDATE applications SET resources = ? WHERE name = ?", "js", resources, a->name);
		r = tx_end(m, r, eb);
	}
	if (r < 0) {
		json_decref(resources);
		return r;
	}
	json_decref(a->resources);
	a->resources = resources;
	return 0;
}

int64_t model_app_charm_modified(const struct model_app *a)
{
	int64_t v = a->charm_rev;
	const char *k;
	json_t *r;

	json_object_foreach(a->resources, k, r)
		v += json_integer_value(json_object_get(r, "revision"));
	return v;
}

int model_set_leader(struct model *m, struct model_app *a, const char *unit, bool failover,
		     struct errbuf *eb)
{
	int gen = a->leader_gen + (failover ? 1 : 0);
	int r = tx_begin(m, eb);

	if (r < 0)
		return r;
	r = db_run(m, eb, sql_app_leader, "sis", unit, (int64_t)gen, a->name);
	r = tx_end(m, r, eb);
	if (r < 0)
		return r;
	free(a->leader);
	a->leader = unit ? xstrdup(unit) : NULL;
	a->leader_gen = gen;
	return 0;
}

int model_set_resolve(struct model *m, struct model_unit *u, const char *mode, struct errbuf *eb)
{
	int r = tx_begin(m, eb);

	if (r < 0)
		return r;
	r = db_run(m, eb, "UPDATE units SET resolve_gen = ?, resolve_mode = ? WHERE name = ?", "iss",
		   u->resolve_gen + 1, mode, u->name);
	r = tx_end(m, r, eb);
	if (r < 0)
		return r;
	u->resolve_gen++;
	snprintf(u->resolve_mode, sizeof(u->resolve_mode), "%s", mode);
	return 0;
}

/* ---- what agents report ---- */

static int log_status_db(struct model *m, struct model_unit *u, const char *kind,
			 const char *status, const char *message, uint64_t when_ns, bool *pruned,
			 struct errbuf *eb)
{
	int r = db_run(m, eb,
		       "INSERT INTO status_log(unit, time, kind, status, message) VALUES(?, ?, ?, ?, ?)",
		       "sisss", u->name, (int64_t)when_ns, kind, status, message);

	*pruned = false;
	if (r == 0 && u->log_appends + 1 >= MODEL_STATUS_LOG_PRUNE) {
		r = db_run(m, eb,
			   "DELETE FROM status_log WHERE unit = ?1 AND id <= (SELECT id FROM status_log"
			   " WHERE unit = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
			   "si", u->name, (int64_t)MODEL_STATUS_LOG_KEEP);
		*pruned = true;
	}
	return r;
}

static void log_status_mem(struct model_unit *u, bool pruned)
{
	if (pruned)
		u->log_appends = 0;
	else
		u->log_appends++;
}

int model_set_status(struct model *m, struct model_unit *u, enum model_status_kind kind,
		     const char *current, const char *message, json_t *data, bool by_charm,
		     int64_t seq, struct errbuf *eb)
{
	struct status_rec *s = kind == MODEL_STATUS_WORKLOAD ? &u->wl :
			       kind == MODEL_STATUS_AGENT ? &u->agent : &u->app->status;
	uint64_t now = loop_wall_ns();
	bool same = s->current && !strcmp(s->current, current) && s->message &&
		    !strcmp(s->message, message ? message : "");
	uint64_t since = same ? s->since_ns : now;
	json_t *d = data ? json_incref(data) : json_object();
	bool pruned = false;
	int r;

	r = rtx_begin(m, u, eb);
	if (r < 0) {
		json_decref(d);
		return r;
	}
	if (kind == MODEL_STATUS_WORKLOAD)
		r = db_run(m, eb,
			   "UPDATE units SET wl_current = ?, wl_message = ?, wl_since = ?, wl_data = ?,"
			   " charm_set_status = ? WHERE name = ?",
			   "ssijbs", current, message ? message : "", (int64_t)since, d,
			   (int)(u->charm_set_status || by_charm), u->name);
	else if (kind == MODEL_STATUS_AGENT)
		r = db_run(m, eb,
			   "UPDATE units SET ag_current = ?, ag_message = ?, ag_since = ? WHERE name = ?",
			   "ssis", current, message ? message : "", (int64_t)since, u->name);
	else
		r = db_run(m, eb,
			   "UPDATE applications SET st_current = ?, st_message = ?, st_since = ?,"
			   " st_data = ?, st_set = 1 WHERE name = ?",
			   "ssijs", current, message ? message : "", (int64_t)since, d, u->app->name);
	if (r == 0 && !same && kind != MODEL_STATUS_APP)
		r = log_status_db(m, u, kind == MODEL_STATUS_WORKLOAD ? "workload" : "juju-unit",
				  current, message ? message : "", now, &pruned, eb);
	if (r == 0)
		r = put_seq(m, u, seq, eb);
	r = rtx_end(m, r, eb);
	if (r < 0) {
		json_decref(d);
		return r;
	}
	status_assign(s, current, message, d, since);
	json_decref(d);
	if (kind != MODEL_STATUS_APP)
		unit_sev_sync(u, true);
	if (!same && kind != MODEL_STATUS_APP)
		log_status_mem(u, pruned);
	if (kind == MODEL_STATUS_WORKLOAD && by_charm)
		u->charm_set_status = true;
	if (kind == MODEL_STATUS_APP)
		u->app->status_set = true;
	mem_seq(u, seq);
	return 0;
}

int model_save_journal(struct model *m, struct model_unit *u, json_t *journal, int64_t seq,
		       struct errbuf *eb)
{
	int r = rtx_begin(m, u, eb);

	if (r < 0)
		return r;
	r = db_run(m, eb, "UPDATE units SET journal = ? WHERE name = ?", "js", journal, u->name);
	if (r == 0)
		r = put_seq(m, u, seq, eb);
	r = rtx_end(m, r, eb);
	if (r < 0)
		return r;
	json_decref(u->journal);
	u->journal = json_incref(journal);
	mem_seq(u, seq);
	return 0;
}

int model_commit_hook(struct model *m, struct model_unit *u, json_t *journal, json_t *state,
		      json_t *ports, const char *version, int64_t seq, struct errbuf *eb)
{
	return model_commit_hook_with(m, u, journal, state, ports, version, seq, NULL, NULL, eb);
}

int model_txn(struct model *m, struct model_unit *u, int64_t seq, model_txn_fn fn, void *data,
	      struct errbuf *eb)
{
	int r = tx_begin(m, eb);

	if (r < 0)
		return r;
	if (fn)
		r = fn(data, eb);
	if (r == 0 && u)
		r = put_seq(m, u, seq, eb);
	r = tx_end(m, r, eb);
	if (r == 0 && u)
		mem_seq(u, seq);
	return r;
}

int model_commit_hook_with(struct model *m, struct model_unit *u, json_t *journal, json_t *state,
			   json_t *ports, const char *version, int64_t seq, model_txn_fn fn,
			   void *data, struct errbuf *eb)
{
	const char *ver = version ? version : u->workload_version;
	/* With fn, other stores change too (relations, tasks): a transaction of its own, so the
	 * caller knows on return whether it committed; else a report of the open batch. */
	int r = fn ? tx_begin(m, eb) : rtx_begin(m, u, eb);

	if (r < 0)
		return r;
	r = db_run(m, eb,
		   "UPDATE units SET journal = ?, state = ?, ports = ?, version = ? WHERE name = ?",
		   "jjjss", journal, state ? state : u->state, ports ? ports : u->ports, ver, u->name);
	if (r == 0)
		r = put_seq(m, u, seq, eb);
	if (r == 0 && fn)
		r = fn(data, eb);
	r = fn ? tx_end(m, r, eb) : rtx_end(m, r, eb);
	if (r < 0)
		return r;
	json_decref(u->journal);
	u->journal = json_incref(journal);
	if (state && state != u->state) {
		json_decref(u->state);
		u->state = json_deep_copy(state);
	}
	if (ports && ports != u->ports) {
		json_decref(u->ports);
		u->ports = json_deep_copy(ports);
	}
	if (version) {
		free(u->workload_version);
		u->workload_version = xstrdup(version);
	}
	mem_seq(u, seq);
	return 0;
}

int model_mark_seq(struct model *m, struct model_unit *u, int64_t seq, struct errbuf *eb)
{
	int r = rtx_begin(m, u, eb);

	if (r < 0)
		return r;
	r = put_seq(m, u, seq, eb);
	r = rtx_end(m, r, eb);
	if (r == 0)
		mem_seq(u, seq);
	return r;
}

int model_log_status(struct model *m, struct model_unit *u, const char *kind, const char *status,
		     const char *message, uint64_t when_ns, int64_t seq, struct errbuf *eb)
{
	bool pruned = false;
	int r = rtx_begin(m, u, eb);

	if (r < 0)
		return r;
	r = log_status_db(m, u, kind, status, message, when_ns, &pruned, eb);
	if (r == 0)
		r = put_seq(m, u, seq, eb);
	r = rtx_end(m, r, eb);
	if (r < 0)
		return r;
	log_status_mem(u, pruned);
	mem_seq(u, seq);
	return 0;
}

json_t *model_status_history(struct model *m, const char *unit, int n)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();

	if (sqlite3_prepare_v2(m->db,
			       "SELECT time, kind, status, message FROM (SELECT * FROM status_log"
			       " WHERE unit = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return arr;
	sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, n);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s}", "time",
						     (json_int_t)sqlite3_column_int64(st, 0), "type",
						     col_text(st, 1), "status", col_text(st, 2),
						     "message", col_text(st, 3) ? col_text(st, 3) : ""));
	sqlite3_finalize(st);
	return arr;
}

/* ---- model config ---- */

const char *model_config_default(const char *key)
{
	for (size_t i = 0; model_config_defaults[i]; i += 2)
		if (!strcmp(model_config_defaults[i], key))
			return model_config_defaults[i + 1];
	return NULL;
}

const char *model_config_get(struct model *m, const char *key)
{
	json_t *v = json_object_get(m->config, key);

	return v ? json_string_value(v) : model_config_default(key);
}

int model_config_update(struct model *m, json_t *set, json_t *reset, struct errbuf *eb)
{
	const char *k;
	json_t *v;
	size_t i;
	int r = tx_begin(m, eb);

	if (r < 0)
		return r;
	json_object_foreach(set, k, v)
		if (r == 0)
			r = db_run(m, eb, "INSERT OR REPLACE INTO model_config(key, value) VALUES(?, ?)",
				   "ss", k, json_string_value(v));
	json_array_foreach(reset, i, v)
		if (r == 0)
			r = db_run(m, eb, "DELETE FROM model_config WHERE key = ?", "s", json_string_value(v));
	r = tx_end(m, r, eb);
	if (r < 0)
		return r;
	json_object_foreach(set, k, v)
		json_object_set_new(m->config, k, json_string(json_string_value(v)));
	json_array_foreach(reset, i, v)
		json_object_del(m->config, json_string_value(v));
	return 0;
}

const char *model_ctlcfg_get(struct model *m, const char *key)
{
	return json_string_value(json_object_get(m->ctlcfg, key));
}

int model_ctlcfg_set(struct model *m, const char *key, const char *value, struct errbuf *eb)
{
	int r = tx_begin(m, eb);

	if (r < 0)
		return r;
	r = db_run(m, eb, "INSERT OR REPLACE INTO controller_config(key, value) VALUES(?, ?)", "ss", key,
		   value);
	r = tx_end(m, r, eb);
	if (r == 0)
		json_object_set_new(m->ctlcfg, key, json_string(value));
	return r;
}
