/* Unit tests for walckpt: the loop's connection no longer checkpoints in its commits, the
 * thread does once the log is over the threshold, the log then starts again from its beginning
 * (its file stays small), the data is all there and sound, and a failure reaches the loop. */
#include "lib/test.h"
#include "lib/walckpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"

#define FRAME_BYTES (24 + 4096)

static int errors;
static char last_error[512];

/* The directories the tests made, removed at the end even when a test failed half-way. */
static char made[8][64];
static int n_made;

static char *keep_dir(const char *dir)
{
	if (n_made < 8)
		snprintf(made[n_made++], sizeof(made[0]), "%s", dir);
	return (char *)dir;
}

static void on_error(void *data, const char *reason)
{
	(void)data;
	errors++;
	snprintf(last_error, sizeof(last_error), "%s", reason);
}

static void open_wal(const char *path, sqlite3 **db)
{
	*db = NULL;
	ASSERT_TRUE(sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				    NULL) == SQLITE_OK);
	ASSERT_TRUE(sqlite3_exec(*db, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
				 NULL, NULL, NULL) == SQLITE_OK);
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Runs the loop until every checkpoint asked has ended. */
static void drain(struct loop *l, struct walckpt *w)
{
	struct walckpt_stats st;

	for (int i = 0; i < 200; i++) {
		walckpt_get_stats(w, &st);
		if (st.done == st.started)
			return;
		ASSERT_TRUE(loop_run_once(l, 50) >= 0);
	}
	walckpt_get_stats(w, &st);
	ASSERT_EQ(st.done, st.started);
}

/* 400 commits of a page or two each into a store with a 16-page threshold; gap_ms: the
 * loop's wait between them.  Returns the largest the log file grew. */
static void commits(int gap_ms, struct walckpt_stats *st, off_t *ret_max_wal)
{
	char dir[] = "/tmp/cairn-test-walckpt-XXXXXX", path[600], wal[620];
	struct walckpt *w = NULL;
	struct loop *l;
	struct errbuf eb;
	off_t max_wal = 0;
	sqlite3 *db;
	sqlite3_stmt *q;
	char sql[200];
	int n_rows = 0;

	*ret_max_wal = -1;
	ASSERT_TRUE(mkdtemp(dir) != NULL && keep_dir(dir));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	ASSERT_EQ(loop_new(&l), 0);
	open_wal(path, &db);
	ASSERT_TRUE(sqlite3_exec(db, "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)", NULL, NULL, NULL) == SQLITE_OK);
	ASSERT_EQ(walckpt_attach(l, db, path, 16, on_error, NULL, &w, &eb), 0);
	for (int i = 0; i < 400; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO t(k, v) VALUES(%d, printf('%%.3000c', 'x'))", i);
		ASSERT_EQ(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
		ASSERT_TRUE(loop_run_once(l, gap_ms) >= 0);
		if (file_size(wal) > max_wal)
			max_wal = file_size(wal);
	}
	drain(l, w);
	/* Once commits pause (a few more, each after the thread is done), the log starts again
	 * however far behind the thread was. */
	walckpt_get_stats(w, st);
	for (int i = 400; i < 410 && (st->restarts == 0 || i < 402); i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO t(k, v) VALUES(%d, 'y')", i);
		ASSERT_EQ(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
		drain(l, w);
		walckpt_get_stats(w, st);
		n_rows++;
	}
	/* Everything is there, and sound, from another connection. */
	walckpt_free(w);
	ASSERT_TRUE(sqlite3_close(db) == SQLITE_OK);
	open_wal(path, &db);
	ASSERT_TRUE(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &q, NULL) == SQLITE_OK);
	ASSERT_TRUE(sqlite3_step(q) == SQLITE_ROW);
	ASSERT_EQ(sqlite3_column_int(q, 0), 400 + n_rows);
	sqlite3_finalize(q);
	ASSERT_TRUE(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL) == SQLITE_OK);
	ASSERT_TRUE(sqlite3_step(q) == SQLITE_ROW);
	ASSERT_STREQ((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
	ASSERT_TRUE(sqlite3_close(db) == SQLITE_OK);
	loop_free(l);
	ASSERT_EQ(fs_rm_rf(dir), 0);
	*ret_max_wal = max_wal;
}

/* Commits a little apart, as a daemon's are: the thread does the checkpoints, and the log
 * starts again each time (without checkpoints it would hold all 400 commits, ~1,200 pages). */
static void test_checkpoints_off_the_loop(void)
{
	struct walckpt_stats st;
	off_t max_wal;

	commits(2, &st, &max_wal);
	ASSERT_TRUE(st.started >= 5);
	ASSERT_EQ(st.done, st.started);
	ASSERT_EQ(st.failed, 0);
	ASSERT_EQ(errors, 0);
	ASSERT_TRUE(st.restarts >= 5);
	ASSERT_TRUE(st.max_log_frames < 1200 / 4);
	ASSERT_TRUE(max_wal > 0 && max_wal < 1200 / 4 * FRAME_BYTES);
}

/* Commits back to back: no round of the thread copies the whole log before the next commit,
 * so a commit copies the rest itself, and the log starts again (at the latest once commits
 * pause: commits() ends with a few, each after the thread is done). */
static void test_back_to_back_commits_restart(void)
{
	struct walckpt_stats st;
	off_t max_wal;

	commits(0, &st, &max_wal);
	ASSERT_STREQ(last_error, "");
	ASSERT_EQ(st.failed, 0);
	ASSERT_EQ(errors, 0);
	ASSERT_TRUE(st.started >= 1);
	ASSERT_TRUE(st.restarts >= 1);
	ASSERT_TRUE(st.max_log_frames < 1200);
}

/* Without a threshold or a path, walckpt takes the connection's own: the threshold its
 * wal_autocheckpoint had, the file it has open. */
static void test_connection_defaults(void)
{
	char dir[] = "/tmp/cairn-test-walckpt-XXXXXX", path[600];
	struct walckpt_stats st;
	struct walckpt *w = NULL;
	struct loop *l;
	struct errbuf eb;
	sqlite3 *db;
	int i;

	ASSERT_TRUE(mkdtemp(dir) != NULL && keep_dir(dir));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	ASSERT_EQ(loop_new(&l), 0);
	open_wal(path, &db);
	ASSERT_TRUE(sqlite3_exec(db, "PRAGMA wal_autocheckpoint=24; CREATE TABLE t(k INTEGER PRIMARY KEY)", NULL,
				 NULL, NULL) == SQLITE_OK);
	ASSERT_EQ(walckpt_attach(l, db, NULL, 0, on_error, NULL, &w, &eb), 0);
	/* One page a commit: the first request comes with the commit that makes the log 24. */
	for (i = 0; i < 100; i++) {
		ASSERT_TRUE(sqlite3_exec(db, "INSERT INTO t DEFAULT VALUES", NULL, NULL, NULL) == SQLITE_OK);
		walckpt_get_stats(w, &st);
		if (st.started)
			break;
	}
	ASSERT_EQ(st.started, 1);
	ASSERT_EQ(st.max_log_frames, 24);
	drain(l, w);
	walckpt_get_stats(w, &st);
	ASSERT_EQ(st.failed, 0);
	ASSERT_EQ(st.last_copied_frames, st.last_log_frames);
	walckpt_free(w);
	ASSERT_TRUE(sqlite3_close(db) == SQLITE_OK);
	loop_free(l);
}

/* Below the threshold nothing is asked of the thread; a store that cannot be opened a second
 * time is an error at attach, with nothing changed. */
static void test_threshold_and_errors(void)
{
	char dir[] = "/tmp/cairn-test-walckpt-XXXXXX", path[600];
	struct walckpt_stats st;
	struct walckpt *w = NULL;
	struct loop *l;
	struct errbuf eb;
	sqlite3 *db;

	ASSERT_TRUE(mkdtemp(dir) != NULL && keep_dir(dir));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	ASSERT_EQ(loop_new(&l), 0);
	open_wal(path, &db);
	ASSERT_EQ(walckpt_attach(l, db, path, 1000, on_error, NULL, &w, &eb), 0);
	ASSERT_TRUE(sqlite3_exec(db, "CREATE TABLE t(k INTEGER PRIMARY KEY)", NULL, NULL, NULL) == SQLITE_OK);
	for (int i = 0; i < 20; i++)
		ASSERT_TRUE(sqlite3_exec(db, "INSERT INTO t DEFAULT VALUES", NULL, NULL, NULL) == SQLITE_OK);
	ASSERT_TRUE(loop_run_once(l, 0) >= 0);
	walckpt_get_stats(w, &st);
	ASSERT_EQ(st.started, 0);
	walckpt_free(w);
	w = NULL;
	snprintf(path, sizeof(path), "%s/no-such-dir/store.db", dir);
	ASSERT_TRUE(walckpt_attach(l, db, path, 16, on_error, NULL, &w, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "cannot open ");
	ASSERT_CONTAINS(eb.msg, "for checkpoints");
	ASSERT_TRUE(w == NULL);
	ASSERT_TRUE(sqlite3_close(db) == SQLITE_OK);
	loop_free(l);
	ASSERT_EQ(fs_rm_rf(dir), 0);
}

int main(void)
{
	RUN(test_checkpoints_off_the_loop);
	RUN(test_back_to_back_commits_restart);
	RUN(test_threshold_and_errors);
	RUN(test_connection_defaults);
	for (int i = 0; i < n_made; i++)
		fs_rm_rf(made[i]);
	return test_summary();
}
