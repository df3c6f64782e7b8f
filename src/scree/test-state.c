/* test-state.c - unit tests for the state file writer (state.h): writes off the loop by a
 * forked child, coalescing, durability waiters, failures and the directory lock. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/test.h"

static struct loop *L;
static char root[64];
static long counter;     /* the "state": written as {"n": counter} */
static int builds_in_parent;
static int befores;
static pid_t parent_pid;

static json_t *build(void *data)
{
	(void)data;
	if (getpid() == parent_pid)
		builds_in_parent++;
	return json_pack("{s:I}", "n", (json_int_t)counter);
}

static void before(void *data)
{
	(void)data;
	befores++;
}

static const struct state_hooks hooks = { before, build };

static long file_n(const char *path)
{
	struct buf b = BUF_INIT;
	json_t *v;
	long n = -1;

	buf_init(&b);
	if (fs_read_file(path, 1 << 20, &b) == 0 && (v = json_loadb(b.data, b.len, 0, NULL))) {
		n = (long)json_integer_value(json_object_get(v, "n"));
		json_decref(v);
	}
	buf_done(&b);
	return n;
}

struct sync_rec {
	bool called;
	int err;
	long n_on_disk; /* what the file held when the callback ran */
	char msg[256];
	const char *path;
};

static void synced(void *data, int err, const char *msg)
{
	struct sync_rec *r = data;

	r->called = true;
	r->err = err;
	r->n_on_disk = file_n(r->path);
	snprintf(r->msg, sizeof(r->msg), "%s", msg ? msg : "");
}

static void run_until(bool *flag)
{
	uint64_t deadline = loop_now_ms() + 20000;

	while (!*flag && loop_now_ms() < deadline)
		loop_run_once(L, 100);
}

/* Many marks while writes run: every write covers the marks before it, the file always
 * parses, and a waiter sees its own change on disk. */
static void test_coalescing_and_sync(void)
{
	char path[128];
	struct state st;
	struct sync_rec r = { 0 };
	struct errbuf eb;

	snprintf(path, sizeof(path), "%s/coalesce.state", root);
	r.path = path;
	state_init(&st, L, path, true, &hooks, NULL);
	ASSERT_EQ(state_lock(&st, &eb), 0);
	for (int i = 0; i < 2000; i++) {
		counter = i;
		state_mark_dirty(&st);
		loop_run_once(L, 0);
		ASSERT_TRUE(file_n(path) == -1 || file_n(path) <= i);
	}
	counter = 4242;
	state_mark_dirty(&st);
	state_sync(&st, synced, &r);
	ASSERT_TRUE(!r.called); /* never from inside the call */
	run_until(&r.called);
	ASSERT_TRUE(r.called);
	ASSERT_EQ(r.err, 0);
	ASSERT_EQ(r.n_on_disk, 4242);
	/* Far fewer writes than marks, and none built in the daemon. */
	ASSERT_TRUE(st.st_writes >= 1);
	ASSERT_TRUE(st.st_writes < 1000);
	ASSERT_EQ(builds_in_parent, 0);
	ASSERT_TRUE(befores >= 1);
	/* A final write in the daemon itself. */
	counter = 7;
	state_mark_dirty(&st);
	ASSERT_EQ(state_write_now(&st, &eb), 0);
	ASSERT_EQ(file_n(path), 7);
	ASSERT_EQ(builds_in_parent, 1);
	builds_in_parent = 0;
	state_done(&st);
}

/* A write that cannot happen fails its waiter with the reason; memory stays as it was. */
static void test_failure(void)
{
	char path[128];
	struct state st;
	struct sync_rec r = { 0 };

	snprintf(path, sizeof(path), "%s/no/such/dir/x.state", root);
	r.path = path;
	state_init(&st, L, path, true, &hooks, NULL);
	counter = 1;
	state_mark_dirty(&st);
	state_sync(&st, synced, &r);
	run_until(&r.called);
	ASSERT_TRUE(r.called);
	ASSERT_EQ(r.err, -ENOENT);
	ASSERT_CONTAINS(r.msg, "cannot write state file");
	ASSERT_CONTAINS(r.msg, "No such file or directory");
	ASSERT_TRUE(st.st_failing);
	state_done(&st);
}

/* Not persisting: marks only prune, nothing is forked or written. */
static void test_never(void)
{
	struct state st;
	struct errbuf eb;
	int b = befores;

	state_init(&st, L, "/nonexistent/x", false, &hooks, NULL);
	ASSERT_EQ(state_lock(&st, &eb), 0);
	for (int i = 0; i < 10; i++)
		state_mark_dirty(&st);
	loop_run_once(L, 0);
	ASSERT_EQ(befores, b + 1);
	ASSERT_EQ(st.st_writes, 0);
	ASSERT_TRUE(st.st_job == NULL);
	ASSERT_EQ(state_write_now(&st, &eb), 0);
	state_done(&st);
}

/* The lock waits for whoever holds the directory (a dead daemon's writer). */
static void test_lock_waits(void)
{
	char path[128], mark[128];
	struct state st;
	struct errbuf eb;
	int p[2], status;
	pid_t pid;
	char c;

	snprintf(path, sizeof(path), "%s/locked.state", root);
	snprintf(mark, sizeof(mark), "%s/released", root);
	ASSERT_EQ(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		int fd = open(root, O_RDONLY | O_DIRECTORY);

		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(1);
		if (write(p[1], "L", 1) != 1)
			_exit(1);
		/* Holds the lock a while, then leaves a mark and exits (which releases it)... */
		close(p[1]);
		usleep(200000);
		if (close(open(mark, O_WRONLY | O_CREAT, 0600)) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(read(p[0], &c, 1), 1);
	close(p[0]);
	state_init(&st, L, path, true, &hooks, NULL);
	ASSERT_EQ(state_lock(&st, &eb), 0);
	/* ...so the lock can only have been granted after the mark was made. */
	ASSERT_EQ(access(mark, F_OK), 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	state_done(&st);
}

int main(void)
{
	parent_pid = getpid();
	snprintf(root, sizeof(root), "/tmp/test-state-XXXXXX");
	if (!mkdtemp(root) || loop_new(&L) < 0)
		return 1;
	RUN(test_coalescing_and_sync);
	RUN(test_failure);
	RUN(test_never);
	RUN(test_lock_waits);
	fs_rm_rf(root);
	loop_free(L);
	return test_summary();
}
