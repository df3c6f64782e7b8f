/* files_job.c - files API work in a forked child; see files_job.h. */
#include "files_job.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/forkjob.h"

enum job_step { STEP_DONE, STEP_BUILD, STEP_WRITE };

struct files_job {
	struct forkjob *fj;
	int memfd;                /* the child's answer, as JSON text */
	files_job_fn fn;
	void *arg;
	files_job_done_fn done;
	void *data;
};

static void job_free(struct files_job *j)
{
	if (j->memfd >= 0)
		close(j->memfd);
	free(j);
}

static struct forkjob_result child_main(void *arg, int chan)
{
	struct files_job *j = arg;
	json_t *res;
	int rv;

	(void)chan;
	res = j->fn(j->arg);
	if (!res)
		return (struct forkjob_result){ STEP_BUILD, ENOMEM };
	rv = json_dumpfd(res, j->memfd, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(res);
	if (rv < 0)
		return (struct forkjob_result){ STEP_WRITE, errno ? errno : EIO };
	return (struct forkjob_result){ STEP_DONE, 0 };
}

/* The child's answer from the memfd: a new reference, or NULL with msg set. */
static json_t *read_answer(int fd, char *msg, size_t n)
{
	struct stat st;
	struct buf b = BUF_INIT;
	json_error_t jerr;
	json_t *v = NULL;
	size_t off = 0;

	if (fstat(fd, &st) < 0) {
		snprintf(msg, n, "cannot read result: %s", strerror(errno));
		return NULL;
	}
	if ((uint64_t)st.st_size > FILES_JOB_MAX_RESULT) {
		snprintf(msg, n, "result too large (%lld bytes)", (long long)st.st_size);
		return NULL;
	}
	buf_init(&b);
	buf_grow(&b, (size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		ssize_t r = pread(fd, b.data + off, (size_t)st.st_size - off, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(msg, n, "cannot read result: %s", r < 0 ? strerror(errno) : "short read");
			goto out;
		}
		off += (size_t)r;
	}
	v = json_loadb(b.data, off, JSON_DECODE_ANY, &jerr);
	if (!v)
		snprintf(msg, n, "cannot decode result: %s", jerr.text);
out:
	buf_done(&b);
	return v;
}

static void job_ended(void *data, const struct forkjob_result *r, int wstatus)
{
	struct files_job *j = data;
	char msg[256];
	json_t *v = NULL;

	if (!r) {
		if (WIFSIGNALED(wstatus))
			snprintf(msg, sizeof(msg), "file job killed by signal %d", WTERMSIG(wstatus));
		else
			snprintf(msg, sizeof(msg), "file job exited with status %d", WEXITSTATUS(wstatus));
	} else if (r->err) {
		snprintf(msg, sizeof(msg), "file job failed: %s", strerror(r->err));
	} else {
		v = read_answer(j->memfd, msg, sizeof(msg));
	}
	j->done(j->data, v, v ? NULL : msg);
	json_decref(v);
	job_free(j);
}

int files_job_start(struct loop *l, files_job_fn fn, void *arg, files_job_done_fn done, void *data,
		    struct files_job **ret, struct errbuf *eb)
{
	struct files_job *j = xcalloc(1, sizeof(*j));
	int rv;

	j->fn = fn;
	j->arg = arg;
	j->done = done;
	j->data = data;
	j->memfd = memfd_create("scree-files", MFD_CLOEXEC);
	if (j->memfd < 0) {
		rv = -errno;
		errbuf_set(eb, "cannot create result buffer: %s", strerror(-rv));
		job_free(j);
		return rv;
	}
	rv = forkjob_start(l, "scree-files", child_main, j, &j->memfd, 1, job_ended, j, &j->fj, eb);
	if (rv < 0) {
		job_free(j);
		return rv;
	}
	*ret = j;
	return 0;
}

void files_job_forget(struct files_job *j)
{
	if (!j)
		return;
	forkjob_forget(j->fj);
	job_free(j);
}

void files_job_wait(struct files_job *j)
{
	if (!j)
		return;
	forkjob_wait(j->fj);
	job_free(j);
}
