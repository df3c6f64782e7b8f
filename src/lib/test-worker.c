/* Unit tests for worker: a result travels back, a failure carries its message, a crashed
 * child is reported, a cancelled worker never calls back. */
#include "lib/test.h"
#include "lib/worker.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static struct loop *l;
static int calls;
static char last_err[256];
static long long last_val;

static json_t *fn_ok(void *arg, struct errbuf *eb)
{
	(void)eb;
	return json_pack("{s:I, s:i}", "pid", (json_int_t)getpid(), "arg", *(int *)arg);
}

static json_t *fn_fail(void *arg, struct errbuf *eb)
{
	(void)arg;
	errbuf_set(eb, "cannot unpack: broken");
	return NULL;
}

static json_t *fn_crash(void *arg, struct errbuf *eb)
{
	(void)arg;
	(void)eb;
	raise(SIGKILL);
	return NULL;
}

static json_t *fn_sleep(void *arg, struct errbuf *eb)
{
	(void)arg;
	(void)eb;
	sleep(30);
	return json_object();
}

static int notify_fd = -1, go_fd = -1;

/* Closes the result pipe (every fd but notify_fd and go_fd), says so on notify_fd, then
 * exits once go_fd reaches EOF: the parent sees the result's EOF before the child's exit. */
static json_t *fn_close_then_wait(void *arg, struct errbuf *eb)
{
	char c;

	(void)arg;
	(void)eb;
	for (int fd = 3; fd < 1024; fd++)
		if (fd != notify_fd && fd != go_fd)
			close(fd);
	if (write(notify_fd, "x", 1) != 1)
		_exit(1);
	while (read(go_fd, &c, 1) > 0)
		;
	_exit(0);
}

static void done(void *data, json_t *result, const char *error)
{
	(void)data;
	calls++;
	last_err[0] = '\0';
	last_val = -1;
	if (error)
		snprintf(last_err, sizeof(last_err), "%s", error);
	else
		last_val = json_integer_value(json_object_get(result, "arg"));
}

static void wait_calls(int n)
{
	for (int i = 0; i < 200 && calls < n; i++)
		loop_run_once(l, 50);
}

static void test_worker(void)
{
	struct worker *w;
	struct errbuf eb;
	int arg = 42;

	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(worker_start(l, fn_ok, &arg, done, NULL, &w, &eb), 0);
	ASSERT_EQ(calls, 0); /* never from inside worker_start */
	wait_calls(1);
	ASSERT_EQ(calls, 1);
	ASSERT_EQ(last_val, 42);
	ASSERT_STREQ(last_err, "");

	ASSERT_EQ(worker_start(l, fn_fail, &arg, done, NULL, &w, &eb), 0);
	wait_calls(2);
	ASSERT_STREQ(last_err, "cannot unpack: broken");

	ASSERT_EQ(worker_start(l, fn_crash, &arg, done, NULL, &w, &eb), 0);
	wait_calls(3);
	ASSERT_CONTAINS(last_err, "killed by signal 9");

	ASSERT_EQ(worker_start(l, fn_sleep, &arg, done, NULL, &w, &eb), 0);
	loop_run_once(l, 20);
	worker_cancel(w);
	for (int i = 0; i < 10; i++)
		loop_run_once(l, 20);
	ASSERT_EQ(calls, 3);
	loop_free(l);
}

/* A worker whose pipe reached EOF but whose child is reaped only by worker_wait is freed
 * there: nothing is deferred for it (LeakSanitizer checks, `make asan`). */
static void test_wait_after_eof(void)
{
	struct worker *w;
	struct errbuf eb;
	int note[2], go[2], arg = 0;
	char c;

	calls = 0;
	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(pipe(note), 0);
	ASSERT_EQ(pipe(go), 0);
	notify_fd = note[1];
	go_fd = go[0];
	ASSERT_EQ(worker_start(l, fn_close_then_wait, &arg, done, NULL, &w, &eb), 0);
	close(note[1]);
	close(go[0]);
	ASSERT_EQ(read(note[0], &c, 1), 1); /* the child has closed its result pipe */
	close(note[0]);
	loop_run_once(l, 0);                /* the EOF is read; the child waits for go */
	close(go[1]);                       /* the child exits */
	worker_wait(w);
	loop_run_once(l, 0);
	ASSERT_EQ(calls, 0);
	loop_free(l);
}

int main(void)
{
	RUN(test_worker);
	RUN(test_wait_after_eof);
	return test_summary();
}
