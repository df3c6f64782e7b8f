/* store_sqlite.c - stored state and deferrals in $JUJU_CHARM_DIR/.unit-state.db; see store.h.
 *
 * The file and its tables are those ops uses (charm-runtime.md §4.1): snapshot(handle, data)
 * and notice(sequence, event_path, observer_path, method_name), mode 0600, exclusive locking,
 * a one-hour busy timeout, one transaction per dispatch.  Our rows are JSON and are told
 * apart from ops' pickles by their names: snapshots "cairn/StoredState[<ns>]" and
 * "cairn/on/<event>[<seq>]", notices with observer_path "cairn" and the observer id as
 * method_name.  Rows that are not ours are never read or changed.
 *
 * The transaction begins when the dispatch first reads; commit() writes only what changed,
 * so a dispatch that changed nothing ends with a rollback of a read-only transaction and
 * writes nothing.  A missing file means "nothing stored yet" and is created only when a
 * commit has something to write; the tables are created then too (a read of a table that
 * is not there yet finds nothing), so a dispatch that only reads never parses DDL.
 *
 * Durability is the agent's and the controller's (src/agent/store.c): WAL with
 * synchronous=NORMAL, so a committed transaction survives a SIGKILL at any moment and the
 * file is never corrupted, while a power loss may lose the last commits (the agent's
 * journal, which rolls back with them, runs the hook again).  A commit appends a few pages
 * to "<db>-wal" and syncs nothing.  Locking is exclusive from before the first WAL access,
 * so SQLite keeps the WAL index in memory (no -shm file) and rebuilds it at each open by
 * reading the log; the log is therefore kept short: the commit that makes it
 * STORE_WAL_CHECKPOINT_FRAMES long checkpoints and truncates it (two syncs, and one more
 * when the next commit starts a new log), and closing never checkpoints
 * (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE), so the log stays for the next dispatch.  Creating the
 * file costs its header's write through a synced rollback journal, once.  A database ops
 * made, in rollback-journal mode, is switched to WAL by our first write (reads leave it as
 * it is); WAL is a property of the file, which ops (Python's sqlite3) opens as before.
 *
 * Most dispatches have nothing deferred, yet finding that out means opening SQLite (a
 * quarter of a C charm's run).  So each commit leaves a hint on the file, an extended
 * attribute "user.cairn.queue" = "<mark> <queued events> [<state>]", where the mark fingerprints the
 * commit in the files themselves (store_walmark.h: the log's salts and the checksums of the
 * commit's last frame, the main file's change counter).  The next dispatch trusts "no
 * events queued" only while the files still end with that commit: any later write, by us,
 * by ops or by anything else, makes the hint stale, and so does a commit whose process died
 * before it could update the hint (a commit that checkpointed leaves none: its log is
 * empty); a file not in WAL mode or without the attribute is
 * simply read through SQLite.  The hint is never needed for correctness.  <state> is every
 * namespace of our stored state as one JSON map ({ns: map}), read back inside the commit's
 * transaction, when it fits in HINT_STATE_MAX bytes: while the hint is current, load_state
 * answers from it, so a dispatch that reads its state and changes nothing - most do - opens
 * no SQLite at all (a third of a C charm's config-changed).  The state is exactly as
 * trustworthy as the queue length beside it: the same mark vouches for both. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "sdk/error.h"
#include "sdk/store.h"
#include "sdk/store_walmark.h"

#define SQLITE_BUSY_TIMEOUT_MS (3600 * 1000) /* ops waits an hour for the lock */
#define QUEUE_HINT_XATTR "user.cairn.queue"
/* Stored state carried in the hint: at most this much JSON (an ext4 inode's attributes
 * share one 4 KiB block), else the hint goes without it. */
#define HINT_STATE_MAX 3072
#define HINT_MAX (WALMARK_TEXT_MAX + 32 + HINT_STATE_MAX)
/* A commit that leaves this many frames (pages) in the log checkpoints it.  Each open reads
 * the whole log to index it, about 1.1 us a 4 KiB frame here (open, read, close: 52 us with
 * an empty log, 119 us at 64 frames, 189 us at 128); a checkpoint costs three syncs (the
 * log and the database, then the next log's header), and a commit that changes one
 * namespace appends 2-3 frames.  At 64 frames a dispatch pays ~35 us of log reading on
 * average and three syncs every ~25 commits. */
#define STORE_WAL_CHECKPOINT_FRAMES 64

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS snapshot (handle TEXT PRIMARY KEY, data BLOB);"
	"CREATE TABLE IF NOT EXISTS notice (sequence INTEGER PRIMARY KEY AUTOINCREMENT, "
	"event_path TEXT, observer_path TEXT, method_name TEXT);";

struct store_sqlite {
	struct store base;
	char *path;
	sqlite3 *db;
	bool in_tx;
	bool has_schema; /* the tables are known to exist */
	bool wal;        /* the connection is in WAL mode */
	int wal_frames;  /* frames in the log after the last commit (the WAL hook's count) */
	json_t *loaded; /* the notices read by load_notices */
	/* The hint, read once a dispatch: 0 not yet, 1 current, -1 absent or stale. */
	int hint;
	long long hint_queued;
	json_t *hint_state; /* {ns: map}: every namespace of ours, when the hint carries them */
};

static int db_error(struct store_sqlite *s, struct cairn_error *err, const char *what);
static void db_close(struct store_sqlite *s);

/* Creates ops' tables if they are not there, inside the dispatch's transaction. */
static int db_schema(struct store_sqlite *s, struct cairn_error *err)
{
	if (s->has_schema)
		return 0;
	if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		int r = db_error(s, err, "cannot create the tables of");

		db_close(s);
		return r;
	}
	s->has_schema = true;
	return 0;
}

static int db_error(struct store_sqlite *s, struct cairn_error *err, const char *what)
{
	return sdk_err(err, CAIRN_ERR_STORE, "%s %s: %s", what, s->path,
		       s->db ? sqlite3_errmsg(s->db) : "cannot open");
}

static void db_close(struct store_sqlite *s)
{
	if (s->db) {
		if (s->in_tx)
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(s->db);
	}
	s->db = NULL;
	s->in_tx = false;
	s->has_schema = false;
	s->wal = false;
}

/* SQLite's WAL hook, after each commit: records the log's length for the queue hint and
 * checkpoints a long log.  The checkpoint truncates the log: the in-memory WAL index dies
 * with the connection, so a log that was merely copied would be read again by every open
 * and copied again by every commit (a new connection cannot know it was copied); an empty
 * one starts a new cycle with new salts.  A checkpoint that fails (it cannot lose the
 * commit) is tried again after the next commit. */
static int db_wal_committed(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store_sqlite *s = arg;

	s->wal_frames = frames;
	if (frames >= STORE_WAL_CHECKPOINT_FRAMES &&
	    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) == SQLITE_OK)
		s->wal_frames = 0; /* no commit frame left to mark */
	return SQLITE_OK;
}

/* Runs a journal_mode pragma; whether the mode it answers is WAL. */
static bool db_journal_wal(struct store_sqlite *s, const char *pragma)
{
	sqlite3_stmt *q = NULL;
	bool wal = false;

	if (sqlite3_prepare_v2(s->db, pragma, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		wal = sqlite3_column_text(q, 0) && !strcmp((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	return wal;
}

/* Switches the open connection to WAL, outside a transaction (a no-op for a file that is in
 * WAL mode already; for ops' rollback-journal file it is a write of its own). */
static int db_use_wal(struct store_sqlite *s, struct cairn_error *err)
{
	if (!db_journal_wal(s, "PRAGMA journal_mode=WAL"))
		return db_error(s, err, "cannot switch to WAL mode");
	s->wal = true;
	return 0;
}

static int db_begin(struct store_sqlite *s, struct cairn_error *err)
{
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(s, err, "cannot begin a transaction on");
	s->in_tx = true;
	return 0;
}

/* Makes the connection, open for a read, ready to write: a file still in rollback-journal
 * mode is switched to WAL first, which needs the read transaction ended.  The exclusive lock
 * the read took stays held in between (locking_mode=EXCLUSIVE never releases it), so what
 * the dispatch read is still what the file holds when it writes. */
static int db_writable(struct store_sqlite *s, struct cairn_error *err)
{
	int r;

	if (s->wal || db_journal_wal(s, "PRAGMA journal_mode")) {
		s->wal = true;
		return 0;
	}
	if (s->in_tx && sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(s, err, "cannot end the read transaction on");
	s->in_tx = false;
	r = db_use_wal(s, err);
	return r < 0 ? r : db_begin(s, err);
}

/* Opens the database and begins the dispatch's transaction; create=true also makes sure the
 * file and the tables exist (for writing).  Returns 1 when the file does not exist and
 * create is false (nothing stored). */
static int db_open(struct store_sqlite *s, bool create, struct cairn_error *err)
{
	int fd, r;

	if (s->db && !create)
		return 0;
	if (s->db) {
		r = db_writable(s, err);
		if (r < 0) {
			db_close(s);
			return r;
		}
		return db_schema(s, err);
	}
	if (!create && access(s->path, F_OK) < 0 && errno == ENOENT) {
		return 1;
	}
	if (create) {
		/* Created 0600 before SQLite sees it, as ops does (umask never widens it). */
		fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return sdk_err(err, CAIRN_ERR_STORE, "cannot create %s: %s", s->path, strerror(errno));
		close(fd);
	}
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		r = db_error(s, err, "cannot open");

		db_close(s);
		return r;
	}
	sqlite3_busy_timeout(s->db, SQLITE_BUSY_TIMEOUT_MS);
	sqlite3_wal_hook(s->db, db_wal_committed, s);
	/* Exclusive locking before the first access to the log: the WAL index lives in memory. */
	if (sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA synchronous=NORMAL", NULL, NULL, NULL) !=
		    SQLITE_OK) {
		r = db_error(s, err, "cannot configure");
		db_close(s);
		return r;
	}
	r = create ? db_use_wal(s, err) : 0;
	if (r == 0)
		r = db_begin(s, err);
	if (r < 0) {
		db_close(s);
		return r;
	}
	return create ? db_schema(s, err) : 0;
}

/* A statement on a table that does not exist yet: the database holds no rows of ours. */
static bool no_table(struct store_sqlite *s)
{
	return !s->has_schema && strstr(sqlite3_errmsg(s->db), "no such table");
}

/* Forgets what this dispatch read of the hint (our own commit just replaced it). */
static void hint_forget(struct store_sqlite *s)
{
	s->hint = 0;
	json_decref(s->hint_state);
	s->hint_state = NULL;
}

/* Whether the hint describes the database as it is now (read once a dispatch): then
 * s->hint_queued is the length of our queue and s->hint_state, when not NULL, every
 * namespace of ours.  A state part that is not a map of maps is ignored (read through
 * SQLite), never trusted. */
static bool hint_read(struct store_sqlite *s)
{
	char v[HINT_MAX + 1];
	struct walmark mark;
	long long queued;
	ssize_t n;
	int used, more = 0;
	json_t *st = NULL, *m;
	const char *ns;

	if (s->hint)
		return s->hint > 0;
	s->hint = -1;
	n = getxattr(s->path, QUEUE_HINT_XATTR, v, sizeof(v) - 1);
	if (n <= 0)
		return false;
	v[n] = '\0';
	used = walmark_parse(v, &mark);
	if (used < 0 || sscanf(v + used, " %lld%n", &queued, &more) != 1 || queued < 0)
		return false;
	if (!walmark_current(s->path, &mark))
		return false;
	used += more;
	if (v[used] == ' ') {
		bool maps = true;

		st = json_loads(v + used + 1, JSON_REJECT_DUPLICATES, NULL);
		json_object_foreach(st, ns, m)
			maps = maps && json_is_object(m);
		if (!json_is_object(st) || !maps) {
			json_decref(st);
			st = NULL;
		}
	}
	s->hint = 1;
	s->hint_queued = queued;
	s->hint_state = st;
	return true;
}

/* Whether the hint says, for the database as it is now, that no event of ours is queued. */
static bool hint_queue_empty(struct store_sqlite *s)
{
	return hint_read(s) && s->hint_queued == 0;
}

/* Every namespace of ours as {ns: map}, read inside the commit's transaction, when its
 * text fits in the hint (HINT_STATE_MAX); else NULL. */
static char *state_for_hint(struct store_sqlite *s)
{
	sqlite3_stmt *q = NULL;
	json_t *all = json_object();
	char *text = NULL;
	size_t pre = strlen(STORE_STATE_PREFIX);
	int r;

	/* Our handles sort between the prefix and the prefix with its last byte ('[') + 1. */
	if (sqlite3_prepare_v2(s->db, "SELECT handle, data FROM snapshot WHERE handle >= '" STORE_STATE_PREFIX
				      "' AND handle < 'cairn/StoredState\\'", -1, &q, NULL) != SQLITE_OK)
		goto out;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(q, 0);
		size_t hl = h ? strlen(h) : 0;
		json_t *m;

		if (hl < pre + 1 || h[hl - 1] != ']' || sqlite3_column_bytes(q, 1) > HINT_STATE_MAX)
			goto out;
		m = json_loadb(sqlite3_column_blob(q, 1) ? sqlite3_column_blob(q, 1) : "",
			       (size_t)sqlite3_column_bytes(q, 1), 0, NULL);
		if (!json_is_object(m)) {
			json_decref(m);
			goto out;
		}
		char *ns = xasprintf("%.*s", (int)(hl - pre - 1), h + pre);
		json_object_set_new(all, ns, m);
		free(ns);
	}
	if (r != SQLITE_DONE)
		goto out;
	text = json_dumps(all, JSON_COMPACT);
	if (text && strlen(text) > HINT_STATE_MAX) {
		free(text);
		text = NULL;
	}
out:
	sqlite3_finalize(q);
	json_decref(all);
	return text;
}

/* Records the queue's length, and our stored state when given, against the mark the commit
 * just left (best effort: a hint that cannot be written is stale, never wrong; one too big
 * for the file system's attribute space goes without the state). */
static void hint_set(struct store_sqlite *s, long long queued, const char *state)
{
	char v[HINT_MAX + 1];
	struct walmark mark;
	size_t len;

	hint_forget(s);
	if (queued < 0 || s->wal_frames <= 0 || walmark_read(s->path, (uint32_t)s->wal_frames, &mark) < 0) {
		removexattr(s->path, QUEUE_HINT_XATTR);
		return;
	}
	walmark_format(&mark, v);
	len = strlen(v);
	len += (size_t)snprintf(v + len, sizeof(v) - len, " %lld", queued);
	if (state && len + 1 + strlen(state) < sizeof(v)) {
		snprintf(v + len, sizeof(v) - len, " %s", state);
		if (setxattr(s->path, QUEUE_HINT_XATTR, v, strlen(v), 0) == 0)
			return;
		v[len] = '\0';
	}
	if (setxattr(s->path, QUEUE_HINT_XATTR, v, len, 0) < 0)
		removexattr(s->path, QUEUE_HINT_XATTR);
}

static int sqlite_load_state(struct store *st, const char *ns, json_t **ret, struct cairn_error *err)
{
	struct store_sqlite *s = (struct store_sqlite *)st;
	char *handle;
	sqlite3_stmt *q = NULL;
	json_error_t je;
	json_t *j = NULL;
	int r;

	/* A current hint that carries our state answers without SQLite (the common dispatch
	 * that reads its state and writes nothing). */
	if (!s->db && hint_read(s) && s->hint_state) {
		j = json_object_get(s->hint_state, ns);
		*ret = j ? json_deep_copy(j) : json_object();
		return 0;
	}
	handle = xasprintf(STORE_STATE_PREFIX "%s]", ns);
	r = db_open(s, false, err);

	if (r == 1) {
		*ret = json_object();
		r = 0;
		goto out;
	}
	if (r < 0)
		goto out;
	if (sqlite3_prepare_v2(s->db, "SELECT data FROM snapshot WHERE handle = ?", -1, &q, NULL) != SQLITE_OK) {
		if (no_table(s)) {
			*ret = json_object();
			r = 0;
		} else {
			r = db_error(s, err, "cannot read");
		}
		goto out;
	}
	if (sqlite3_bind_text(q, 1, handle, -1, SQLITE_STATIC) != SQLITE_OK) {
		r = db_error(s, err, "cannot read");
		goto out;
	}
	r = sqlite3_step(q);
	if (r == SQLITE_DONE) {
		*ret = json_object();
		r = 0;
		goto out;
	}
	if (r != SQLITE_ROW) {
		r = db_error(s, err, "cannot read");
		goto out;
	}
	j = json_loadb(sqlite3_column_blob(q, 0) ? sqlite3_column_blob(q, 0) : "",
		       (size_t)sqlite3_column_bytes(q, 0), 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		r = sdk_err(err, CAIRN_ERR_STORE, "stored state \"%s\" in %s is not a JSON map", ns, s->path);
		goto out;
	}
	*ret = j;
	r = 0;
out:
	sqlite3_finalize(q);
	free(handle);
	return r;
}

static int sqlite_load_notices(struct store *st, json_t **ret, struct cairn_error *err)
{
	struct store_sqlite *s = (struct store_sqlite *)st;
	sqlite3_stmt *q = NULL;
	json_t *queue = json_array();
	int r;

	if (!s->db && hint_queue_empty(s)) {
		r = 0;
		goto done;
	}
	r = db_open(s, false, err);
	if (r == 1) {
		r = 0;
		goto done;
	}
	if (r < 0)
		goto fail;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT n.sequence, n.event_path, n.method_name, s.data FROM notice n "
			       "LEFT JOIN snapshot s ON s.handle = n.event_path "
			       "WHERE n.observer_path = '" STORE_OBSERVER_PATH "' ORDER BY n.sequence",
			       -1, &q, NULL) != SQLITE_OK) {
		if (no_table(s)) {
			r = 0;
			goto done;
		}
		r = db_error(s, err, "cannot read the deferred events of");
		goto fail;
	}
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		const char *data = (const char *)sqlite3_column_blob(q, 3);
		json_t *snap = data ? json_loadb(data, (size_t)sqlite3_column_bytes(q, 3), 0, NULL) : NULL;
		json_t *e = json_object();

		json_object_set_new(e, "id", json_integer(sqlite3_column_int64(q, 0)));
		json_object_set_new(e, "handle", json_string((const char *)sqlite3_column_text(q, 1)));
		json_object_set_new(e, "observer", json_string((const char *)sqlite3_column_text(q, 2)));
		/* A snapshot we cannot read leaves "env" null: the framework drops the entry. */
		if (json_is_object(snap)) {
			json_object_set(e, "event", json_object_get(snap, "event"));
			json_object_set(e, "path", json_object_get(snap, "path"));
			json_object_set(e, "env", json_object_get(snap, "env"));
		}
		json_decref(snap);
		json_array_append_new(queue, e);
	}
	if (r != SQLITE_DONE) {
		r = db_error(s, err, "cannot read the deferred events of");
		goto fail;
	}
	r = 0;
done:
	sqlite3_finalize(q);
	json_decref(s->loaded);
	s->loaded = json_deep_copy(queue);
	*ret = queue;
	return 0;
fail:
	sqlite3_finalize(q);
	json_decref(queue);
	return r;
}

/* Runs one statement with text parameters (NULL-terminated). */
static int exec_bind(struct store_sqlite *s, const char *sql, sqlite3_int64 *ret_rowid, const char *a,
		     const char *b, const char *c)
{
	const char *params[3] = { a, b, c };
	sqlite3_stmt *q = NULL;
	int r;

	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	for (int i = 0; i < 3 && params[i]; i++)
		if (sqlite3_bind_text(q, i + 1, params[i], -1, SQLITE_STATIC) != SQLITE_OK) {
			sqlite3_finalize(q);
			return -1;
		}
	r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		return -1;
	if (ret_rowid)
		*ret_rowid = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int write_changes(struct store_sqlite *s, json_t *state, json_t *drop, json_t *add)
{
	const char *ns;
	json_t *v, *e;
	size_t i;

	json_object_foreach(state, ns, v) {
		char *handle = xasprintf(STORE_STATE_PREFIX "%s]", ns);
		char *data = json_dumps(v, JSON_COMPACT);
		int r = exec_bind(s, "INSERT OR REPLACE INTO snapshot (handle, data) VALUES (?, ?)", NULL, handle,
				  data, NULL);

		free(handle);
		free(data);
		if (r < 0)
			return -1;
	}
	json_array_foreach(drop, i, e) {
		char id[32];

		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(e, "id")));
		if (exec_bind(s, "DELETE FROM notice WHERE sequence = ?", NULL, id, NULL, NULL) < 0)
			return -1;
		if (json_is_string(json_object_get(e, "handle")) &&
		    exec_bind(s, "DELETE FROM snapshot WHERE handle = ?", NULL,
			      json_string_value(json_object_get(e, "handle")), NULL, NULL) < 0)
			return -1;
	}
	json_array_foreach(add, i, e) {
		const char *event = json_string_value(json_object_get(e, "event"));
		sqlite3_int64 seq;
		char id[32], *handle, *data;
		json_t *snap;
		int r;

		if (exec_bind(s,
			      "INSERT INTO notice (event_path, observer_path, method_name) VALUES ('', '"
			      STORE_OBSERVER_PATH "', ?)",
			      &seq, json_string_value(json_object_get(e, "observer")), NULL, NULL) < 0)
			return -1;
		handle = store_event_handle(event, (long long)seq);
		snprintf(id, sizeof(id), "%lld", (long long)seq);
		snap = json_pack("{s:O?, s:O?, s:O?}", "event", json_object_get(e, "event"), "path",
				 json_object_get(e, "path"), "env", json_object_get(e, "env"));
		data = json_dumps(snap, JSON_COMPACT);
		r = exec_bind(s, "UPDATE notice SET event_path = ? WHERE sequence = ?", NULL, handle, id, NULL);
		if (r == 0)
			r = exec_bind(s, "INSERT OR REPLACE INTO snapshot (handle, data) VALUES (?, ?)", NULL, handle,
				      data, NULL);
		free(handle);
		free(data);
		json_decref(snap);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int sqlite_commit(struct store *st, json_t *state, json_t *notices, struct cairn_error *err)
{
	struct store_sqlite *s = (struct store_sqlite *)st;
	json_t *drop = NULL, *add = NULL;
	char *state_text = NULL;
	bool queue_changed = false;
	int r;

	if (notices)
		queue_changed = store_queue_diff(s->loaded ? s->loaded : json_array(), notices, &drop, &add);
	if (!queue_changed && json_object_size(state) == 0) {
		/* Nothing to write: end the read transaction without touching the disk. */
		db_close(s);
		r = 0;
		goto out;
	}
	r = db_open(s, true, err);
	if (r < 0)
		goto out;
	if (write_changes(s, state, drop, add) < 0) {
		r = db_error(s, err, "cannot write");
		db_close(s);
		goto out;
	}
	state_text = state_for_hint(s);
	s->wal_frames = 0;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		r = db_error(s, err, "cannot commit");
		db_close(s);
		goto out;
	}
	s->in_tx = false;
	db_close(s);
	/* The queue's new length is known only when this dispatch read it. */
	hint_set(s, notices ? (long long)json_array_size(notices) : -1, state_text);
	r = 0;
out:
	free(state_text);
	json_decref(drop);
	json_decref(add);
	return r;
}

static void sqlite_abort(struct store *st)
{
	db_close((struct store_sqlite *)st);
}

static void sqlite_free(struct store *st)
{
	struct store_sqlite *s = (struct store_sqlite *)st;

	db_close(s);
	hint_forget(s);
	json_decref(s->loaded);
	free(s->path);
	free(s);
}

static const struct store_ops sqlite_ops = {
	sqlite_load_state, sqlite_load_notices, sqlite_commit, sqlite_abort, sqlite_free,
};

struct store *store_sqlite_new(const char *dir)
{
	struct store_sqlite *s = xcalloc(1, sizeof(*s));

	s->base.ops = &sqlite_ops;
	s->path = xasprintf("%s/" STORE_DB_NAME, dir);
	return &s->base;
}
