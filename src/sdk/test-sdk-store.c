/* test-sdk-store.c - the SQLite store on a real .unit-state.db: created 0600 only when
 * something is written, ops' tables, one transaction per dispatch (commit and abort), the
 * deferral queue with its ids and snapshots, rows that are not ours left alone, and corrupt
 * data reported rather than trusted; WAL durability (commits that sync nothing, commits that
 * survive SIGKILL), ops' rollback-journal files converted and still readable by Python's
 * sqlite3, and the queue hint made stale by every later write, ours or a foreign one.
 * (The controller store is driven through the harness in test-sdk-dispatch.)
 *
 * Syncs are counted below SQLite: the default VFS is wrapped (sync_vfs_install) so each
 * xSync of any file and each directory-syncing delete is counted before it reaches the unix
 * VFS, which makes each one fdatasync (two when the file's directory is synced too: under
 * strace, 300 such commits made as many fdatasyncs as counted here). */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/test.h"
#include "sdk/store.h"

static char dir[64];
static char db[128];
static char wal[136];

/* ---- counting syncs under SQLite ---- */

static sqlite3_vfs sync_vfs, *sync_base;
static struct sync_methods {
	const sqlite3_io_methods *orig;
	sqlite3_io_methods copy;
} sync_methods[4];
static int syncs;
static int db_opens; /* main database files SQLite opened */

static int sync_count(sqlite3_file *f, int flags)
{
	for (size_t i = 0; i < sizeof(sync_methods) / sizeof(sync_methods[0]); i++)
		if (f->pMethods == &sync_methods[i].copy) {
			syncs++;
			return sync_methods[i].orig->xSync(f, flags);
		}
	abort();
}

static int sync_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	int r = sync_base->xOpen(sync_base, name, f, flags, out);
	size_t i;

	(void)vfs;
	if (r != SQLITE_OK || !f->pMethods)
		return r;
	db_opens += (flags & SQLITE_OPEN_MAIN_DB) != 0;
	for (i = 0; i < sizeof(sync_methods) / sizeof(sync_methods[0]); i++) {
		if (!sync_methods[i].orig) {
			sync_methods[i].orig = f->pMethods;
			sync_methods[i].copy = *f->pMethods;
			sync_methods[i].copy.xSync = sync_count;
		}
		if (sync_methods[i].orig == f->pMethods) {
			f->pMethods = &sync_methods[i].copy;
			return r;
		}
	}
	abort();
}

static int sync_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	syncs += sync_dir != 0;
	return sync_base->xDelete(sync_base, name, sync_dir);
}

static void sync_vfs_install(void)
{
	sync_base = sqlite3_vfs_find(NULL);
	sync_vfs = *sync_base;
	sync_vfs.zName = "cairn-test-sync-count";
	sync_vfs.xOpen = sync_open;
	sync_vfs.xDelete = sync_delete;
	if (sqlite3_vfs_register(&sync_vfs, 1) != SQLITE_OK)
		exit(2);
}

static void fresh(void)
{
	fs_rm_rf(dir);
	snprintf(dir, sizeof(dir), "/tmp/cairn-sdk-store-XXXXXX");
	if (!mkdtemp(dir))
		exit(2);
	snprintf(db, sizeof(db), "%s/.unit-state.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", db);
}

static int sql(const char *q)
{
	sqlite3 *h;
	int r;

	if (sqlite3_open(db, &h) != SQLITE_OK)
		return -1;
	r = sqlite3_exec(h, q, NULL, NULL, NULL);
	sqlite3_close(h);
	return r == SQLITE_OK ? 0 : -1;
}

static long long sql_count(const char *q)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_open(db, &h) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, q, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static json_t *load(const char *ns)
{
	struct store *s = store_sqlite_new(dir);
	json_t *v = NULL;

	s->ops->load_state(s, ns, &v, NULL);
	store_free(s);
	return v;
}

static void test_nothing_written_nothing_created(void)
{
	struct store *s;
	json_t *v = NULL, *q = NULL, *empty = json_object();

	fresh();
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_state(s, "ns", &v, NULL), 0);
	ASSERT_EQ(json_object_size(v), 0);
	ASSERT_EQ(s->ops->load_notices(s, &q, NULL), 0);
	ASSERT_EQ(json_array_size(q), 0);
	ASSERT_EQ(s->ops->commit(s, empty, q, NULL), 0);
	store_free(s);
	ASSERT_TRUE(access(db, F_OK) < 0);
	json_decref(v);
	json_decref(q);
	json_decref(empty);
}

static void test_commit_creates_0600_with_ops_tables(void)
{
	struct store *s;
	json_t *state = json_pack("{s:{s:i, s:s, s:[b,n]}}", "ns", "n", 1, "s", "x", "l", true);
	json_t *v;
	struct stat st;

	fresh();
	umask(0);
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->commit(s, state, NULL, NULL), 0);
	store_free(s);
	umask(022);
	ASSERT_EQ(stat(db, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	ASSERT_EQ(stat(wal, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	ASSERT_EQ(sql_count("SELECT count(*) FROM snapshot WHERE handle = 'cairn/StoredState[ns]'"), 1);
	ASSERT_EQ(sql_count("SELECT count(*) FROM sqlite_master WHERE name = 'notice'"), 1);
	v = load("ns");
	ASSERT_TRUE(json_equal(v, json_object_get(state, "ns")));
	json_decref(v);
	json_decref(state);
}

static void test_abort_leaves_the_last_commit(void)
{
	struct store *s;
	json_t *a = json_pack("{s:{s:i}}", "ns", "n", 1), *b = json_pack("{s:{s:i}}", "ns", "n", 2), *v = NULL;

	fresh();
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->commit(s, a, NULL, NULL), 0);
	store_free(s);
	/* A dispatch that read, "changed" and then failed. */
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_state(s, "ns", &v, NULL), 0);
	json_decref(v);
	s->ops->abort(s);
	store_free(s);
	v = load("ns");
	ASSERT_EQ(json_integer_value(json_object_get(v, "n")), 1);
	json_decref(v);
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->commit(s, b, NULL, NULL), 0);
	store_free(s);
	v = load("ns");
	ASSERT_EQ(json_integer_value(json_object_get(v, "n")), 2);
	json_decref(v);
	json_decref(a);
	json_decref(b);
}

static json_t *notice(const char *event, const char *observer)
{
	return json_pack("{s:s, s:s, s:s, s:{s:s}}", "event", event, "path", "hooks/x", "observer", observer, "env",
			 "JUJU_RELATION_ID", "db:1");
}

static void test_queue_ids_snapshots_and_foreign_rows(void)
{
	struct store *s;
	json_t *q = NULL, *empty = json_object(), *e;

	fresh();
	/* An ops charm's rows, from before the charm became a C charm. */
	ASSERT_EQ(sql("CREATE TABLE snapshot (handle TEXT PRIMARY KEY, data BLOB);"
		      "CREATE TABLE notice (sequence INTEGER PRIMARY KEY AUTOINCREMENT, event_path TEXT, "
		      "observer_path TEXT, method_name TEXT);"
		      "INSERT INTO snapshot VALUES ('C/on/install[1]', x'80049500');"
		      "INSERT INTO notice (event_path, observer_path, method_name) VALUES ('C/on/install[1]', 'C', '_on')"),
		  0);
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_notices(s, &q, NULL), 0);
	ASSERT_EQ(json_array_size(q), 0); /* not ours */
	json_array_append_new(q, notice("config_changed", "a"));
	json_array_append_new(q, notice("update_status", "b"));
	ASSERT_EQ(s->ops->commit(s, empty, q, NULL), 0);
	store_free(s);
	json_decref(q);
	ASSERT_EQ(sql_count("SELECT count(*) FROM notice"), 3);
	ASSERT_EQ(sql_count("SELECT count(*) FROM snapshot WHERE handle = 'cairn/on/config_changed[2]'"), 1);
	/* Reload: ids and snapshots come back in order; drop the first, keep the second. */
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_notices(s, &q, NULL), 0);
	ASSERT_EQ(json_array_size(q), 2);
	e = json_array_get(q, 0);
	ASSERT_EQ(json_integer_value(json_object_get(e, "id")), 2);
	ASSERT_STREQ(json_string_value(json_object_get(e, "observer")), "a");
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(e, "env"), "JUJU_RELATION_ID")), "db:1");
	json_array_remove(q, 0);
	ASSERT_EQ(s->ops->commit(s, empty, q, NULL), 0);
	store_free(s);
	json_decref(q);
	ASSERT_EQ(sql_count("SELECT count(*) FROM notice WHERE observer_path = 'cairn'"), 1);
	ASSERT_EQ(sql_count("SELECT count(*) FROM snapshot WHERE handle = 'cairn/on/config_changed[2]'"), 0);
	/* The ops rows were never touched. */
	ASSERT_EQ(sql_count("SELECT count(*) FROM notice WHERE observer_path = 'C'"), 1);
	ASSERT_EQ(sql_count("SELECT count(*) FROM snapshot WHERE handle = 'C/on/install[1]'"), 1);
	/* A queue entry whose snapshot is gone loads with a null env. */
	ASSERT_EQ(sql("DELETE FROM snapshot WHERE handle LIKE 'cairn/on/%'"), 0);
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_notices(s, &q, NULL), 0);
	ASSERT_EQ(json_array_size(q), 1);
	ASSERT_TRUE(json_object_get(json_array_get(q, 0), "env") == NULL);
	store_free(s);
	json_decref(q);
	json_decref(empty);
}

static void test_corrupt_state_is_an_error(void)
{
	struct store *s;
	struct cairn_error err;
	json_t *v = NULL;

	fresh();
	ASSERT_EQ(sql("CREATE TABLE snapshot (handle TEXT PRIMARY KEY, data BLOB);"
		      "INSERT INTO snapshot VALUES ('cairn/StoredState[ns]', 'not json');"),
		  0);
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_state(s, "ns", &v, &err), -EIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_STORE);
	ASSERT_CONTAINS(err.message, "is not a JSON map");
	store_free(s);
	/* A file that is not a database. */
	fresh();
	ASSERT_EQ(fs_write_atomic(db, "garbage garbage garbage garbage", 31, 0600), 0);
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_notices(s, &v, &err), -EIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_STORE);
	store_free(s);
}

/* The "nothing queued" hint: trusted only while the database is as our commit left it. */
static void test_queue_hint(void)
{
	struct store *s;
	json_t *state = json_pack("{s:{s:i}}", "ns", "n", 1), *q = NULL, *empty = json_array();
	char v[4096];
	ssize_t n;
	FILE *f;

	fresh();
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_notices(s, &q, NULL), 0);
	ASSERT_EQ(s->ops->commit(s, state, empty, NULL), 0);
	store_free(s);
	json_decref(q);
	n = getxattr(db, "user.cairn.queue", v, sizeof(v) - 1);
	if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP)) {
		printf("# no user xattrs on %s: hint not tested\n", dir);
		goto out;
	}
	ASSERT_TRUE(n > 0);
	v[n] = '\0';
	ASSERT_TRUE(strstr(v, " 0") != NULL);
	/* A write by anyone else (here: an event of ours queued behind our back) bumps the
	 * header's change counter: the hint is stale and the queue is read from SQLite. */
	ASSERT_EQ(sql("INSERT INTO notice (event_path, observer_path, method_name) VALUES ('cairn/on/x[9]', 'cairn', "
		      "'obs'); INSERT INTO snapshot VALUES ('cairn/on/x[9]', '{\"path\":\"hooks/x\",\"env\":{}}')"),
		  0);
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_notices(s, &q, NULL), 0);
	ASSERT_EQ(json_array_size(q), 1);
	/* Our commit drops it and records the new, empty queue. */
	json_array_clear(q);
	{
		json_t *none = json_object();

		ASSERT_EQ(s->ops->commit(s, none, q, NULL), 0);
		json_decref(none);
	}
	store_free(s);
	json_decref(q);
	/* Proof that a valid hint spares SQLite: garbage after the header goes unnoticed by the
	 * queue read (and by state reads, which the hint answers too). */
	f = fopen(db, "r+");
	fseek(f, 4096, SEEK_SET);
	fputs("not sqlite any more", f);
	fclose(f);
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_notices(s, &q, NULL), 0);
	ASSERT_EQ(json_array_size(q), 0);
	json_decref(q);
	store_free(s);
out:
	json_decref(state);
	json_decref(empty);
}

/* One dispatch: reads the queue and ns, then commits ns = {"n": n} and the queue with
 * `deferred` entries of ours (entries loaded stay, new ones are added, extra ones dropped). */
static int dispatch(const char *ns, long long n, size_t deferred)
{
	struct store *s = store_sqlite_new(dir);
	json_t *q = NULL, *v = NULL, *state = json_pack("{s:{s:I}}", ns, "n", (json_int_t)n);
	int r = s->ops->load_notices(s, &q, NULL);

	if (r == 0)
		r = s->ops->load_state(s, ns, &v, NULL);
	if (r == 0) {
		while (json_array_size(q) > deferred)
			json_array_remove(q, 0);
		while (json_array_size(q) < deferred)
			json_array_append_new(q, notice("update_status", "obs"));
		r = s->ops->commit(s, state, q, NULL);
	}
	store_free(s);
	json_decref(q);
	json_decref(v);
	json_decref(state);
	return r;
}

static long long stored_n(const char *ns)
{
	json_t *v = load(ns);
	long long n = json_is_object(v) && json_is_integer(json_object_get(v, "n")) ?
			      json_integer_value(json_object_get(v, "n")) :
			      -1;

	json_decref(v);
	return n;
}

static size_t queued(void)
{
	struct store *s = store_sqlite_new(dir);
	json_t *q = NULL;
	size_t n = s->ops->load_notices(s, &q, NULL) == 0 ? json_array_size(q) : (size_t)-1;

	store_free(s);
	json_decref(q);
	return n;
}

static bool xattrs_work(void)
{
	char v[8];

	return getxattr(db, "user.cairn.queue", v, sizeof(v)) >= 0 || (errno != ENOTSUP && errno != EOPNOTSUPP);
}

/* Whether the queue reads as empty without SQLite opening the database. */
static bool hint_trusted(void)
{
	db_opens = 0;
	return queued() == 0 && db_opens == 0;
}

static bool hint_present(void)
{
	return getxattr(db, "user.cairn.queue", NULL, 0) > 0;
}

static char *hint_get(void)
{
	char v[4096];
	ssize_t n = getxattr(db, "user.cairn.queue", v, sizeof(v) - 1);

	if (n < 0)
		return NULL;
	v[n] = '\0';
	return strdup(v);
}

/* Commits sync nothing: only the occasional one that checkpoints the log (the log and the
 * database, two) or starts its next cycle (the log header, one) does. */
static void test_commits_sync_nothing(void)
{
	int total = 0, syncing = 0, most = 0;

	fresh();
	syncs = 0;
	ASSERT_EQ(dispatch("ns", 0, 0), 0);
	/* Once per file: SQLite writes the new file's header (WAL mode) through a rollback
	 * journal, synced. */
	ASSERT_TRUE(syncs <= 3);
	for (int i = 1; i <= 300; i++) {
		syncs = 0;
		ASSERT_EQ(dispatch("ns", i, (size_t)(i % 3 == 0)), 0);
		total += syncs;
		syncing += syncs > 0;
		most = syncs > most ? syncs : most;
	}
	printf("# 300 commits: %d synced, %d syncs in all, at most %d in one\n", syncing, total, most);
	/* The counter sees real syncs: the log was checkpointed along the way. */
	ASSERT_TRUE(total > 0);
	ASSERT_TRUE(most <= 3);
	ASSERT_TRUE(syncing * 10 <= 300);
	ASSERT_EQ(stored_n("ns"), 300);
	/* A dispatch that changes nothing syncs nothing either. */
	syncs = 0;
	ASSERT_EQ(queued(), 1);
	ASSERT_EQ(stored_n("ns"), 300);
	ASSERT_EQ(syncs, 0);
}

/* A read-only dispatch writes nothing: the database and its log stay byte for byte. */
static void test_read_only_dispatch_writes_nothing(void)
{
	struct buf a0, w0, a1, w1;
	struct store *s;
	json_t *v = NULL, *q = NULL, *none = json_object();
	struct stat st0, st1;

	fresh();
	ASSERT_EQ(dispatch("ns", 7, 1), 0);
	buf_init(&a0), buf_init(&w0), buf_init(&a1), buf_init(&w1);
	ASSERT_EQ(fs_read_file(db, 1 << 24, &a0), 0);
	ASSERT_EQ(fs_read_file(wal, 1 << 24, &w0), 0);
	ASSERT_EQ(stat(wal, &st0), 0);
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_notices(s, &q, NULL), 0);
	ASSERT_EQ(json_array_size(q), 1);
	ASSERT_EQ(s->ops->load_state(s, "ns", &v, NULL), 0);
	ASSERT_EQ(s->ops->commit(s, none, q, NULL), 0);
	store_free(s);
	ASSERT_EQ(fs_read_file(db, 1 << 24, &a1), 0);
	ASSERT_EQ(fs_read_file(wal, 1 << 24, &w1), 0);
	ASSERT_EQ(stat(wal, &st1), 0);
	ASSERT_TRUE(a0.len == a1.len && !memcmp(a0.data, a1.data, a0.len));
	ASSERT_TRUE(w0.len == w1.len && !memcmp(w0.data, w1.data, w0.len));
	ASSERT_TRUE(st0.st_mtim.tv_sec == st1.st_mtim.tv_sec && st0.st_mtim.tv_nsec == st1.st_mtim.tv_nsec);
	{
		char shm[160];

		snprintf(shm, sizeof(shm), "%s-shm", db);
		ASSERT_TRUE(access(shm, F_OK) < 0); /* exclusive locking: the WAL index is in memory */
	}
	buf_done(&a0), buf_done(&w0), buf_done(&a1), buf_done(&w1);
	json_decref(v);
	json_decref(q);
	json_decref(none);
}

/* A commit survives the death of its process: right after commit() returns, and at any
 * moment of a stream of commits (the file is never corrupted, and holds at least every
 * commit that returned). */
static void test_commit_survives_sigkill(void)
{
	int p[2], status;
	long long got, last = -1;
	pid_t pid;
	FILE *f;

	fresh();
	pid = fork();
	if (pid == 0) {
		if (dispatch("ns", 41, 1) == 0)
			raise(SIGKILL);
		_exit(1);
	}
	ASSERT_TRUE(pid > 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ASSERT_EQ(stored_n("ns"), 41);
	ASSERT_EQ(queued(), 1);

	ASSERT_EQ(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (long long n = 42;; n++) {
			char line[32];
			int len;

			if (dispatch("ns", n, (size_t)(n % 2)) < 0)
				_exit(1);
			len = snprintf(line, sizeof(line), "%lld\n", n);
			if (write(p[1], line, (size_t)len) != len)
				_exit(1);
		}
	}
	ASSERT_TRUE(pid > 0);
	close(p[1]);
	f = fdopen(p[0], "r");
	/* Killed once it committed a few hundred times (past a checkpoint or two), wherever
	 * it is then. */
	while (fscanf(f, "%lld", &got) == 1) {
		last = got;
		if (got == 400)
			kill(pid, SIGKILL);
	}
	fclose(f);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ASSERT_TRUE(last >= 400);
	got = stored_n("ns");
	ASSERT_TRUE(got == last || got == last + 1);
	ASSERT_EQ(queued(), (size_t)(got % 2));
	ASSERT_EQ(sql_count("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
}

/* The hint of a commit whose process died before it could record the next one: every
 * earlier hint is stale once a later commit exists, within one log cycle and across
 * checkpoints (a commit that checkpoints leaves no hint: its log is empty). */
static void test_hint_after_a_crash_is_stale(void)
{
	enum { ROUNDS = 120 };
	char *hints[ROUNDS] = { NULL };
	int with_hint = 0;

	fresh();
	ASSERT_EQ(dispatch("ns", 0, 0), 0);
	if (!xattrs_work()) {
		printf("# no user xattrs on %s: hint not tested\n", dir);
		return;
	}
	for (int i = 0; i < ROUNDS; i++) {
		const int back[] = { 0, i, i - 1, i - 10, i - 50 };

		hints[i] = hint_get();
		with_hint += hints[i] != NULL;
		ASSERT_TRUE(!hints[i] || strstr(hints[i], " 0"));
		/* A commit that queues a deferral, then "the crash": its own hint never written,
		 * an earlier one left on the file. */
		ASSERT_EQ(dispatch("ns", i, 1), 0);
		for (size_t k = 0; k < sizeof(back) / sizeof(back[0]); k++) {
			if (back[k] < 0 || !hints[back[k]])
				continue;
			ASSERT_EQ(setxattr(db, "user.cairn.queue", hints[back[k]], strlen(hints[back[k]]), 0), 0);
			db_opens = 0;
			ASSERT_EQ(queued(), 1);
			ASSERT_EQ(db_opens, 1); /* read through SQLite */
			/* The state the old hint carries is stale with it. */
			db_opens = 0;
			ASSERT_EQ(stored_n("ns"), i);
			ASSERT_EQ(db_opens, 1);
		}
		ASSERT_EQ(dispatch("ns", i, 0), 0);
		/* The hint that commit left is trusted: SQLite is not even opened. */
		db_opens = 0;
		ASSERT_EQ(queued(), 0);
		ASSERT_EQ(db_opens, hint_present() ? 0 : 1);
		db_opens = 0;
		ASSERT_EQ(stored_n("ns"), i);
		ASSERT_EQ(db_opens, hint_present() ? 0 : 1);
	}
	printf("# %d of %d commits left a hint\n", with_hint, ROUNDS);
	ASSERT_TRUE(with_hint >= ROUNDS * 9 / 10 && with_hint < ROUNDS);
	for (int i = 0; i < ROUNDS; i++)
		free(hints[i]);
}

/* The hint carries our stored state while it fits: a dispatch that reads its state and
 * writes nothing never opens SQLite; any other writer, or state too big for it, sends the
 * reads back to SQLite, which always has the truth. */
static void test_hint_carries_state(void)
{
	struct store *s;
	json_t *q = NULL, *v = NULL, *state, *big;
	char *pad = malloc(5001);

	fresh();
	s = store_sqlite_new(dir);
	state = json_pack("{s:{s:i, s:{s:[i,b]}}, s:{s:s}}", "a", "x", 1, "nested", "l", 2, 1, "b", "y", "z");
	ASSERT_EQ(s->ops->load_notices(s, &q, NULL), 0);
	ASSERT_EQ(s->ops->commit(s, state, q, NULL), 0);
	store_free(s);
	json_decref(q);
	if (!xattrs_work()) {
		printf("# no user xattrs on %s: hint not tested\n", dir);
		json_decref(state);
		free(pad);
		return;
	}
	db_opens = 0;
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_notices(s, &q, NULL), 0);
	ASSERT_EQ(json_array_size(q), 0);
	ASSERT_EQ(s->ops->load_state(s, "a", &v, NULL), 0);
	ASSERT_TRUE(json_equal(v, json_object_get(state, "a")));
	json_decref(v);
	ASSERT_EQ(s->ops->load_state(s, "b", &v, NULL), 0);
	ASSERT_STREQ(json_string_value(json_object_get(v, "y")), "z");
	json_decref(v);
	ASSERT_EQ(s->ops->load_state(s, "never", &v, NULL), 0);
	ASSERT_EQ(json_object_size(v), 0);
	json_decref(v);
	ASSERT_EQ(db_opens, 0);
	/* Nothing changed: a rollback, no write, and the hint stays current. */
	v = json_object();
	ASSERT_EQ(s->ops->commit(s, v, q, NULL), 0);
	json_decref(v);
	store_free(s);
	json_decref(q);
	db_opens = 0;
	ASSERT_EQ(stored_n("a") == -1, true);
	ASSERT_EQ(db_opens, 0);
	/* A foreign write to our row: the next read goes to SQLite and finds it. */
	ASSERT_EQ(sql("UPDATE snapshot SET data = '{\"n\":7}' WHERE handle = 'cairn/StoredState[a]'"), 0);
	db_opens = 0;
	ASSERT_EQ(stored_n("a"), 7);
	ASSERT_EQ(db_opens, 1);
	/* Our next commit makes the hint current again, with what SQLite holds. */
	ASSERT_EQ(dispatch("c", 3, 0), 0);
	db_opens = 0;
	ASSERT_EQ(stored_n("a"), 7);
	ASSERT_EQ(stored_n("c"), 3);
	ASSERT_EQ(db_opens, 0);
	/* State too big for the hint: the hint still says the queue is empty, reads go to SQLite. */
	memset(pad, 'p', 5000);
	pad[5000] = '\0';
	big = json_pack("{s:{s:s}}", "big", "pad", pad);
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_notices(s, &q, NULL), 0);
	ASSERT_EQ(s->ops->commit(s, big, q, NULL), 0);
	store_free(s);
	json_decref(q);
	ASSERT_TRUE(hint_present());
	ASSERT_TRUE(hint_trusted());
	db_opens = 0;
	v = load("big");
	ASSERT_EQ(strlen(json_string_value(json_object_get(v, "pad"))), 5000);
	json_decref(v);
	ASSERT_EQ(stored_n("c"), 3);
	ASSERT_TRUE(db_opens >= 1);
	json_decref(big);
	json_decref(state);
	free(pad);
}

/* Foreign writers make the hint stale: Python's sqlite3 (as ops), the sqlite3 shell, and a
 * C connection that keeps its log (SQLITE_FCNTL_PERSIST_WAL: frames appended after ours). */
static void test_hint_stale_after_foreign_writes(void)
{
	static const char row[] =
		"INSERT INTO notice (event_path, observer_path, method_name) VALUES ('cairn/on/x[%d]', 'cairn', 'obs');"
		"INSERT INTO snapshot VALUES ('cairn/on/x[%d]', '{\"path\":\"hooks/x\",\"env\":{}}')";
	char q[512];
	sqlite3 *h;
	int one = 1;

	fresh();
	ASSERT_EQ(dispatch("ns", 1, 0), 0);
	if (!xattrs_work()) {
		printf("# no user xattrs on %s: hint not tested\n", dir);
		return;
	}
	/* The statements reach the shell through the environment, never through its quoting. */
	ASSERT_TRUE(hint_trusted());
	snprintf(q, sizeof(q), row, 101, 101);
	ASSERT_EQ(setenv("CAIRN_TEST_SQL", q, 1), 0);
	ASSERT_EQ(setenv("CAIRN_TEST_DB", db, 1), 0);
	ASSERT_EQ(system("python3 -c 'import os, sqlite3; c = sqlite3.connect(os.environ[\"CAIRN_TEST_DB\"]); "
			 "c.executescript(os.environ[\"CAIRN_TEST_SQL\"]); c.close()'"),
		  0);
	ASSERT_EQ(queued(), 1);
	ASSERT_EQ(dispatch("ns", 2, 0), 0);
	ASSERT_EQ(queued(), 0);

	ASSERT_TRUE(hint_trusted());
	snprintf(q, sizeof(q), row, 102, 102);
	ASSERT_EQ(setenv("CAIRN_TEST_SQL", q, 1), 0);
	ASSERT_EQ(system("sqlite3 \"$CAIRN_TEST_DB\" \"$CAIRN_TEST_SQL\""), 0);
	ASSERT_EQ(queued(), 1);
	ASSERT_EQ(dispatch("ns", 3, 0), 0);
	ASSERT_EQ(queued(), 0);

	ASSERT_TRUE(hint_trusted());
	snprintf(q, sizeof(q), row, 103, 103);
	ASSERT_EQ(sqlite3_open(db, &h), SQLITE_OK);
	ASSERT_EQ(sqlite3_file_control(h, "main", SQLITE_FCNTL_PERSIST_WAL, &one), SQLITE_OK);
	ASSERT_EQ(sqlite3_exec(h, q, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	ASSERT_TRUE(access(wal, F_OK) == 0);
	ASSERT_EQ(queued(), 1);
	unsetenv("CAIRN_TEST_SQL");
	unsetenv("CAIRN_TEST_DB");
}

/* A database ops made (rollback journal) is read as it is, switched to WAL by the first
 * commit, keeps ops' rows, and is still read by Python's sqlite3 (as ops would). */
static void test_ops_database_converted_and_readable(void)
{
	struct buf b0, b1;
	unsigned char h[20];
	FILE *f;

	fresh();
	ASSERT_EQ(sql("CREATE TABLE snapshot (handle TEXT PRIMARY KEY, data BLOB);"
		      "CREATE TABLE notice (sequence INTEGER PRIMARY KEY AUTOINCREMENT, event_path TEXT, "
		      "observer_path TEXT, method_name TEXT);"
		      "INSERT INTO snapshot VALUES ('C/on/install[1]', x'80049500');"
		      "INSERT INTO snapshot VALUES ('C/StoredState[_stored]', x'8004');"
		      "INSERT INTO notice (event_path, observer_path, method_name) VALUES ('C/on/install[1]', 'C', '_on')"),
		  0);
	/* A dispatch that only reads leaves the file as ops made it. */
	buf_init(&b0), buf_init(&b1);
	ASSERT_EQ(fs_read_file(db, 1 << 24, &b0), 0);
	ASSERT_EQ(queued(), 0);
	ASSERT_EQ(stored_n("ns"), -1);
	ASSERT_EQ(fs_read_file(db, 1 << 24, &b1), 0);
	ASSERT_TRUE(b0.len == b1.len && !memcmp(b0.data, b1.data, b0.len));
	buf_done(&b0), buf_done(&b1);
	/* A dispatch that reads and writes converts it. */
	syncs = 0;
	ASSERT_EQ(dispatch("ns", 5, 1), 0);
	f = fopen(db, "rb");
	ASSERT_TRUE(f && fread(h, 1, sizeof(h), f) == sizeof(h));
	fclose(f);
	ASSERT_EQ(h[18], 2);
	ASSERT_EQ(h[19], 2);
	/* Later commits are WAL commits. */
	syncs = 0;
	ASSERT_EQ(dispatch("ns", 6, 1), 0);
	ASSERT_EQ(syncs, 0);
	ASSERT_EQ(sql_count("SELECT count(*) FROM notice WHERE observer_path = 'C'"), 1);
	ASSERT_EQ(sql_count("SELECT count(*) FROM snapshot WHERE handle LIKE 'C/%'"), 2);
	ASSERT_EQ(dispatch("ns", 7, 1), 0);
	/* Python's sqlite3 reads ops' rows and ours (and, closing last, checkpoints the log). */
	ASSERT_EQ(setenv("CAIRN_TEST_DB", db, 1), 0);
	ASSERT_EQ(system("python3 -c '\n"
			 "import json, os, sqlite3\n"
			 "c = sqlite3.connect(os.environ[\"CAIRN_TEST_DB\"])\n"
			 "assert c.execute(\"PRAGMA journal_mode\").fetchone()[0] == \"wal\"\n"
			 "assert c.execute(\"PRAGMA integrity_check\").fetchone()[0] == \"ok\"\n"
			 "(d,) = c.execute(\"SELECT data FROM snapshot WHERE handle = ?\", (\"cairn/StoredState[ns]\",)).fetchone()\n"
			 "assert json.loads(d) == {\"n\": 7}, d\n"
			 "assert c.execute(\"SELECT count(*) FROM notice WHERE observer_path = ?\", (\"cairn\",)).fetchone()[0] == 1\n"
			 "assert c.execute(\"SELECT data FROM snapshot WHERE handle = ?\", (\"C/on/install[1]\",)).fetchone()[0] == b\"\\x80\\x04\\x95\\x00\"\n"
			 "c.close()'"),
		  0);
	unsetenv("CAIRN_TEST_DB");
	ASSERT_EQ(stored_n("ns"), 7);
	ASSERT_EQ(queued(), 1);
	ASSERT_EQ(dispatch("ns", 8, 0), 0);
	ASSERT_EQ(stored_n("ns"), 8);
}

/* A file that is not a database, or a database with a damaged page: CAIRN_ERR_STORE from
 * reads and commits, and the file is left as it was. */
static void test_bad_files_change_nothing(void)
{
	struct store *s;
	struct cairn_error err;
	json_t *v = NULL, *state = json_pack("{s:{s:i}}", "ns", "n", 1);
	struct buf b0, b1;
	FILE *f;

	buf_init(&b0), buf_init(&b1);
	fresh();
	ASSERT_EQ(fs_write_atomic(db, "garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage "
				  "garbage garbage",
				  95, 0600),
		  0);
	ASSERT_EQ(fs_read_file(db, 1 << 24, &b0), 0);
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->commit(s, state, NULL, &err), -EIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_STORE);
	ASSERT_CONTAINS(err.message, db);
	ASSERT_CONTAINS(err.message, "not a database");
	store_free(s);
	ASSERT_EQ(fs_read_file(db, 1 << 24, &b1), 0);
	ASSERT_TRUE(b0.len == b1.len && !memcmp(b0.data, b1.data, b0.len));
	ASSERT_TRUE(access(wal, F_OK) < 0);

	/* A database whose snapshot table's page is damaged (the log checkpointed away first). */
	fresh();
	ASSERT_EQ(dispatch("ns", 1, 0), 0);
	ASSERT_EQ(sql("PRAGMA wal_checkpoint(TRUNCATE)"), 0);
	ASSERT_EQ(sql_count("SELECT rootpage FROM sqlite_master WHERE name = 'snapshot'"), 2);
	f = fopen(db, "r+b");
	ASSERT_TRUE(f != NULL);
	fseek(f, 4096, SEEK_SET);
	for (int i = 0; i < 64; i++)
		fputs("damage", f);
	fclose(f);
	buf_reset(&b0);
	ASSERT_EQ(fs_read_file(db, 1 << 24, &b0), 0);
	s = store_sqlite_new(dir);
	ASSERT_EQ(s->ops->load_state(s, "ns", &v, &err), -EIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_STORE);
	ASSERT_CONTAINS(err.message, "malformed");
	ASSERT_EQ(s->ops->commit(s, state, NULL, &err), -EIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_STORE);
	store_free(s);
	buf_reset(&b1);
	ASSERT_EQ(fs_read_file(db, 1 << 24, &b1), 0);
	ASSERT_TRUE(b0.len == b1.len && !memcmp(b0.data, b1.data, b0.len));
	buf_done(&b0), buf_done(&b1);
	json_decref(state);
}

int main(void)
{
	sync_vfs_install();
	RUN(test_nothing_written_nothing_created);
	RUN(test_commit_creates_0600_with_ops_tables);
	RUN(test_abort_leaves_the_last_commit);
	RUN(test_queue_ids_snapshots_and_foreign_rows);
	RUN(test_corrupt_state_is_an_error);
	RUN(test_queue_hint);
	RUN(test_commits_sync_nothing);
	RUN(test_read_only_dispatch_writes_nothing);
	RUN(test_commit_survives_sigkill);
	RUN(test_hint_after_a_crash_is_stale);
	RUN(test_hint_carries_state);
	RUN(test_hint_stale_after_foreign_writes);
	RUN(test_ops_database_converted_and_readable);
	RUN(test_bad_files_change_nothing);
	fs_rm_rf(dir);
	return test_summary();
}
