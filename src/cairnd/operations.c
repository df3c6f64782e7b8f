/* operations.c - operations and tasks in memory and in SQLite; see operations.h. */
#include "cairnd/operations.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cairnd/dbutil.h"
#include "lib/buf.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS operations(id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
	"  summary TEXT NOT NULL, enqueued INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS tasks(id INTEGER PRIMARY KEY, op INTEGER NOT NULL,"
	"  unit TEXT NOT NULL, name TEXT NOT NULL, params TEXT NOT NULL, status TEXT NOT NULL,"
	"  message TEXT NOT NULL, results TEXT NOT NULL, log TEXT NOT NULL,"
	"  enqueued INTEGER NOT NULL, started INTEGER NOT NULL, completed INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS tasks_unit ON tasks(unit, id);"
	"CREATE TABLE IF NOT EXISTS operation_seq(name TEXT PRIMARY KEY, next INTEGER NOT NULL);";

static const char *const kind_names[_OP_KIND_MAX] = { [OP_ACTION] = "action", [OP_EXEC] = "exec" };

static void task_free(struct optask *t)
{
	if (!t)
		return;
	free(t->unit);
	free(t->name);
	free(t->message);
	json_decref(t->params);
	json_decref(t->results);
	json_decref(t->log);
	free(t);
}

static void op_free(struct opop *o)
{
	if (!o)
		return;
	free(o->summary);
	free(o->tasks);
	free(o);
}

static void clear(struct opstore *s)
{
	for (size_t i = 0; i < s->n_ops; i++)
		op_free(s->ops[i]);
	for (size_t i = 0; i < s->n_tasks; i++)
		task_free(s->tasks[i]);
	free(s->ops);
	free(s->tasks);
	s->ops = NULL;
	s->tasks = NULL;
	s->n_ops = s->n_tasks = 0;
}

void opstore_free(struct opstore *s)
{
	if (!s)
		return;
	clear(s);
	free(s);
}

struct opop *opstore_op(const struct opstore *s, int id)
{
	size_t lo = 0, hi = s->n_ops;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->ops[mid]->id == id)
			return s->ops[mid];
		if (s->ops[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct optask *opstore_task(const struct opstore *s, int id)
{
	size_t lo = 0, hi = s->n_tasks;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->tasks[mid]->id == id)
			return s->tasks[mid];
		if (s->tasks[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

enum task_status opstore_op_status(const struct opstore *s, const struct opop *op)
{
	enum task_status st[64] = { TASK_PENDING }, *v = op->n_tasks <= 64 ? st : xcalloc(op->n_tasks, sizeof(*v));
	enum task_status r;

	for (size_t i = 0; i < op->n_tasks; i++) {
		struct optask *t = opstore_task(s, op->tasks[i]);

		v[i] = t ? t->status : TASK_ERROR;
	}
	r = operation_status(v, op->n_tasks);
	if (v != st)
		free(v);
	return r;
}

/* Ids only grow, so appending keeps the arrays sorted. */
static void add_op(struct opstore *s, struct opop *o)
{
	s->ops = xrealloc(s->ops, (s->n_ops + 1) * sizeof(*s->ops));
	s->ops[s->n_ops++] = o;
}

static void add_task(struct opstore *s, struct optask *t)
{
	s->tasks = xrealloc(s->tasks, (s->n_tasks + 1) * sizeof(*s->tasks));
	s->tasks[s->n_tasks++] = t;
}

static int load(struct opstore *s, struct errbuf *eb)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, "SELECT next FROM operation_seq WHERE name = 'task'", -1, &st,
			       NULL) != SQLITE_OK)
		goto sqlfail;
	s->next_id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 1;
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(s->db, "SELECT id, kind, summary, enqueued FROM operations ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct opop *o = xcalloc(1, sizeof(*o));
		const char *kind = dbu_text(st, 1);

		o->id = sqlite3_column_int(st, 0);
		o->kind = kind && !strcmp(kind, "exec") ? OP_EXEC : OP_ACTION;
		o->summary = xstrdup(dbu_text(st, 2) ? dbu_text(st, 2) : "");
		o->enqueued_ns = (uint64_t)sqlite3_column_int64(st, 3);
		add_op(s, o);
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(s->db,
			       "SELECT id, op, unit, name, params, status, message, results, log,"
			       " enqueued, started, completed FROM tasks ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct optask *t = xcalloc(1, sizeof(*t));
		enum task_status ts = task_status_from_name(dbu_text(st, 5));
		struct opop *o;

		t->id = sqlite3_column_int(st, 0);
		t->op = sqlite3_column_int(st, 1);
		t->unit = xstrdup(dbu_text(st, 2) ? dbu_text(st, 2) : "");
		t->name = xstrdup(dbu_text(st, 3) ? dbu_text(st, 3) : "");
		t->params = dbu_json(st, 4, json_object());
		t->status = ts == _TASK_STATUS_INVALID ? TASK_ERROR : ts;
		t->message = xstrdup(dbu_text(st, 6) ? dbu_text(st, 6) : "");
		t->results = dbu_json(st, 7, json_object());
		t->log = dbu_json(st, 8, json_array());
		t->enqueued_ns = (uint64_t)sqlite3_column_int64(st, 9);
		t->started_ns = (uint64_t)sqlite3_column_int64(st, 10);
		t->completed_ns = (uint64_t)sqlite3_column_int64(st, 11);
		add_task(s, t);
		if ((o = opstore_op(s, t->op))) {
			o->tasks = xrealloc(o->tasks, (o->n_tasks + 1) * sizeof(*o->tasks));
			o->tasks[o->n_tasks++] = t->id;
		}
	}
	sqlite3_finalize(st);
	return 0;
sqlfail:
	errbuf_set(eb, "state database: %s", sqlite3_errmsg(s->db));
	return -EIO;
}

int opstore_open(sqlite3 *db, struct opstore **ret, struct errbuf *eb)
{
	struct opstore *s = xcalloc(1, sizeof(*s));
	int r;

	s->db = db;
	if ((r = dbu_exec(db, schema, eb)) < 0 || (r = load(s, eb)) < 0) {
		opstore_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int opstore_reload(struct opstore *s, struct errbuf *eb)
{
	clear(s);
	return load(s, eb);
}

static int write_task(struct opstore *s, const struct optask *t, struct errbuf *eb)
{
	return dbu_run(s->db, eb,
		       "INSERT OR REPLACE INTO tasks(id, op, unit, name, params, status, message,"
		       " results, log, enqueued, started, completed)"
		       " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		       "iissjssjjiii", (int64_t)t->id, (int64_t)t->op, t->unit, t->name, t->params,
		       task_status_name(t->status), t->message, t->results, t->log,
		       (int64_t)t->enqueued_ns, (int64_t)t->started_ns, (int64_t)t->completed_ns);
}

int opstore_enqueue(struct opstore *s, enum op_kind kind, const char *name, json_t *params,
		    const char *const *units, const char *const *errors, size_t n, uint64_t now_ns,
		    struct opop **ret, struct errbuf *eb)
{
	struct opop *o;
	struct optask **ts;
	int r, id = s->next_id;

	if (n == 0 || n > OPSTORE_MAX_TASKS_PER_OP) {
		errbuf_set(eb, "an operation needs 1 to %d units", OPSTORE_MAX_TASKS_PER_OP);
		return -EINVAL;
	}
	o = xcalloc(1, sizeof(*o));
	o->id = id++;
	o->kind = kind;
	o->summary = xstrdup(name);
	o->enqueued_ns = now_ns;
	o->tasks = xcalloc(n, sizeof(*o->tasks));
	ts = xcalloc(n, sizeof(*ts));
	r = dbu_run(s->db, eb, "INSERT INTO operations(id, kind, summary, enqueued) VALUES(?, ?, ?, ?)",
		    "issi", (int64_t)o->id, kind_names[kind], name, (int64_t)now_ns);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct optask *t = xcalloc(1, sizeof(*t));

		t->id = id++;
		t->op = o->id;
		t->unit = xstrdup(units[i]);
		t->name = xstrdup(kind == OP_EXEC ? "juju-exec" : name);
		t->params = params ? json_deep_copy(params) : json_object();
		t->status = errors && errors[i] ? TASK_ERROR : TASK_PENDING;
		t->message = xstrdup(errors && errors[i] ? errors[i] : "");
		t->results = json_object();
		t->log = json_array();
		t->enqueued_ns = now_ns;
		if (t->status == TASK_ERROR)
			t->completed_ns = now_ns;
		ts[i] = t;
		o->tasks[i] = t->id;
		o->n_tasks++;
		r = write_task(s, t, eb);
	}
	if (r == 0)
		r = dbu_run(s->db, eb,
			    "INSERT INTO operation_seq(name, next) VALUES('task', ?) "
			    "ON CONFLICT(name) DO UPDATE SET next = excluded.next",
			    "i", (int64_t)id);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			task_free(ts[i]);
		free(ts);
		op_free(o);
		return r;
	}
	s->next_id = id;
	add_op(s, o);
	for (size_t i = 0; i < n; i++)
		add_task(s, ts[i]);
	free(ts);
	*ret = o;
	return 0;
}

struct optask *opstore_next_pending(const struct opstore *s, const char *unit)
{
	for (size_t i = 0; i < s->n_tasks; i++)
		if (s->tasks[i]->status == TASK_PENDING && !strcmp(s->tasks[i]->unit, unit))
			return s->tasks[i];
	return NULL;
}

struct optask *opstore_running(const struct opstore *s, const char *unit)
{
	for (size_t i = 0; i < s->n_tasks; i++) {
		const struct optask *t = s->tasks[i];

		if ((t->status == TASK_RUNNING || t->status == TASK_ABORTING) && !strcmp(t->unit, unit))
			return s->tasks[i];
	}
	return NULL;
}

int opstore_task_set(struct opstore *s, struct optask *t, enum task_status to, const char *message,
		     json_t *results, uint64_t now_ns, struct errbuf *eb)
{
	struct optask n = *t;
	char *dump;
	size_t len;
	int r;

	if (!task_status_can(t->status, to)) {
		errbuf_set(eb, "task %d is %s, it cannot become %s", t->id, task_status_name(t->status),
			   task_status_name(to));
		return -EINVAL;
	}
	if (results) {
		dump = json_dumps(results, JSON_COMPACT);
		len = dump ? strlen(dump) : 0;
		free(dump);
		if (!json_is_object(results) || len > OPSTORE_MAX_RESULTS) {
			errbuf_set(eb, "task %d: results must be a map of at most %u bytes", t->id,
				   OPSTORE_MAX_RESULTS);
			return -EINVAL;
		}
	}
	n.status = to;
	n.message = message ? (char *)message : t->message;
	n.results = results ? results : t->results;
	if (to == TASK_RUNNING)
		n.started_ns = now_ns;
	if (task_status_final(to))
		n.completed_ns = now_ns;
	if ((r = write_task(s, &n, eb)) < 0)
		return r;
	t->status = n.status;
	if (message) {
		free(t->message);
		t->message = xstrdup(message);
	}
	if (results) {
		json_decref(t->results);
		t->results = json_deep_copy(results);
	}
	t->started_ns = n.started_ns;
	t->completed_ns = n.completed_ns;
	return 0;
}

int opstore_task_log(struct opstore *s, struct optask *t, const char *message, uint64_t now_ns,
		     struct errbuf *eb)
{
	json_t *entry;
	int r;

	if (json_array_size(t->log) >= OPSTORE_MAX_LOG)
		return 0;
	entry = json_pack("{s:I, s:s}", "timestamp", (json_int_t)now_ns, "message", message);
	if (!entry) {
		errbuf_set(eb, "action log message is not valid UTF-8");
		return -EINVAL;
	}
	json_array_append_new(t->log, entry);
	if ((r = write_task(s, t, eb)) < 0) {
		json_array_remove(t->log, json_array_size(t->log) - 1);
		return r;
	}
	return 0;
}

int opstore_cancel(struct opstore *s, struct optask *t, uint64_t now_ns, struct errbuf *eb)
{
	enum task_status to = task_status_cancel(t->status);

	if (to == t->status)
		return 0;
	return opstore_task_set(s, t, to, NULL, NULL, now_ns, eb);
}

json_t *opstore_task_json(const struct optask *t)
{
	return json_pack("{s:i, s:i, s:s, s:s, s:O, s:s, s:s, s:O, s:O, s:I, s:I, s:I}", "id", t->id,
			 "operation", t->op, "unit", t->unit, "action", t->name, "parameters",
			 t->params, "status", task_status_name(t->status), "message", t->message,
			 "results", t->results, "log", t->log, "enqueued", (json_int_t)t->enqueued_ns,
			 "started", (json_int_t)t->started_ns, "completed",
			 (json_int_t)t->completed_ns);
}

json_t *opstore_op_json(const struct opstore *s, const struct opop *op)
{
	json_t *tasks = json_array();
	uint64_t started = 0, completed = 0;
	enum task_status st = opstore_op_status(s, op);

	for (size_t i = 0; i < op->n_tasks; i++) {
		struct optask *t = opstore_task(s, op->tasks[i]);

		if (!t)
			continue;
		if (t->started_ns && (!started || t->started_ns < started))
			started = t->started_ns;
		if (t->completed_ns > completed)
			completed = t->completed_ns;
		json_array_append_new(tasks, opstore_task_json(t));
	}
	if (!task_status_final(st))
		completed = 0;
	return json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:o}", "id", op->id, "kind",
			 kind_names[op->kind], "summary", op->summary, "status",
			 task_status_name(st), "enqueued", (json_int_t)op->enqueued_ns, "started",
			 (json_int_t)started, "completed", (json_int_t)completed, "tasks", tasks);
}
