/* Unit tests for the files API's filesystem side (files.c) and atomic writes
 * (files_atomic.c), on a real temporary directory: Go's texts and kinds, listing order and
 * fields, Pebble's mkdir and removal rules, exact modes whatever the umask, symlinks
 * replaced rather than followed, writes in pieces of any size, commits in a child. */
#include "files.h"
#include "files_atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/test.h"

static char root[64];
static struct loop *L;

static char *P(const char *rel)
{
	static char bufs[8][512];
	static int k;
	char *b = bufs[k++ % 8];

	snprintf(b, 512, "%s/%s", root, rel);
	return b;
}

static void put(const char *rel, const char *content, mode_t mode)
{
	int fd = open(P(rel), O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd >= 0) {
		if (write(fd, content, strlen(content)) < 0)
			perror("write");
		fchmod(fd, mode);
		close(fd);
	}
}

static char *slurp(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	if (fs_read_file(path, 1u << 30, &b) < 0) {
		buf_done(&b);
		return NULL;
	}
	*len = b.len;
	return buf_detach(&b);
}

static void test_permissions(void)
{
	struct files_error e;
	mode_t m = 0;

	files_error_init(&e);
	ASSERT_EQ(files_parse_permissions("", 0644, &m, &e), 0);
	ASSERT_EQ(m, 0644);
	ASSERT_EQ(files_parse_permissions("750", 0644, &m, &e), 0);
	ASSERT_EQ(m, 0750);
	ASSERT_EQ(files_parse_permissions("1000", 0644, &m, &e), -1);
	ASSERT_STREQ(e.msg.data, "permissions must be a 3-digit octal string, got \"1000\"");
	ASSERT_EQ(e.kind, FILES_GENERIC);
	ASSERT_EQ(files_parse_permissions("0644", 0644, &m, &e), -1);
	ASSERT_EQ(files_parse_permissions("789", 0644, &m, &e), -1);
	ASSERT_EQ(files_parse_permissions("64", 0644, &m, &e), -1);
	ASSERT_EQ(files_parse_permissions("+64", 0644, &m, &e), -1);
	files_error_done(&e);
}

static json_t *list(const char *path, const char *pattern, bool itself, struct files_error *e)
{
	json_t *out = NULL;

	if (files_list(path, pattern, itself, &out, e) < 0)
		return NULL;
	return out;
}

static const char *field(json_t *a, size_t i, const char *k)
{
	return json_string_value(json_object_get(json_array_get(a, i), k));
}

static void test_list(void)
{
	struct files_error e;
	json_t *a;
	struct sockaddr_un sa;
	int s;

	files_error_init(&e);
	ASSERT_EQ(mkdir(P("l"), 0755), 0);
	put("l/foo", "a", 0644);
	put("l/one.txt", "be", 0600);
	put("l/two.txt", "cee", 0755);
	ASSERT_EQ(mkdir(P("l/sub"), 0755), 0);
	ASSERT_EQ(chmod(P("l/sub"), 0751), 0);
	ASSERT_EQ(symlink("foo", P("l/link")), 0);
	ASSERT_EQ(mkfifo(P("l/fifo"), 0640), 0);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", P("l/sock"));
	ASSERT_EQ(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);

	a = list(P("l"), NULL, false, &e);
	ASSERT_TRUE(a != NULL);
	ASSERT_EQ(json_array_size(a), 7);
	/* Name order; entries as lstat sees them. */
	ASSERT_STREQ(field(a, 0, "name"), "fifo");
	ASSERT_STREQ(field(a, 0, "type"), "named-pipe");
	ASSERT_STREQ(field(a, 1, "name"), "foo");
	ASSERT_STREQ(field(a, 1, "type"), "file");
	ASSERT_EQ(json_integer_value(json_object_get(json_array_get(a, 1), "size")), 1);
	ASSERT_STREQ(field(a, 1, "permissions"), "644");
	ASSERT_STREQ(field(a, 1, "path"), P("l/foo"));
	ASSERT_STREQ(field(a, 2, "name"), "link");
	ASSERT_STREQ(field(a, 2, "type"), "symlink");
	ASSERT_TRUE(json_object_get(json_array_get(a, 2), "size") == NULL);
	ASSERT_STREQ(field(a, 3, "permissions"), "600");
	ASSERT_STREQ(field(a, 4, "type"), "socket");
	ASSERT_STREQ(field(a, 5, "type"), "directory");
	ASSERT_STREQ(field(a, 5, "permissions"), "751");
	ASSERT_TRUE(json_object_get(json_array_get(a, 5), "size") == NULL);
	ASSERT_STREQ(field(a, 6, "name"), "two.txt");
	ASSERT_EQ(json_integer_value(json_object_get(json_array_get(a, 6), "user-id")), getuid());
	ASSERT_TRUE(field(a, 6, "user") != NULL);
	ASSERT_TRUE(strlen(field(a, 6, "last-modified")) >= 20);
	json_decref(a);

	/* Pattern, itself, a file, the top path followed through a symlink. */
	a = list(P("l"), "*.txt", false, &e);
	ASSERT_EQ(json_array_size(a), 2);
	json_decref(a);
	a = list(P("l/sub"), NULL, true, &e);
	ASSERT_EQ(json_array_size(a), 1);
	ASSERT_STREQ(field(a, 0, "path"), P("l/sub"));
	ASSERT_STREQ(field(a, 0, "type"), "directory");
	json_decref(a);
	a = list(P("l/link"), NULL, false, &e);
	ASSERT_EQ(json_array_size(a), 1);
	ASSERT_STREQ(field(a, 0, "type"), "file");
	ASSERT_STREQ(field(a, 0, "name"), "link");
	json_decref(a);
	a = list("/", NULL, true, &e);
	ASSERT_STREQ(field(a, 0, "path"), "/");
	ASSERT_STREQ(field(a, 0, "name"), "/");
	json_decref(a);
	a = list(P("l/sub/"), NULL, false, &e);
	ASSERT_EQ(json_array_size(a), 0);
	json_decref(a);

	/* Errors: the path verbatim, Go's texts, kinds and statuses. */
	ASSERT_TRUE(list(P("l/nope/"), NULL, false, &e) == NULL);
	{
		char want[600];

		snprintf(want, sizeof(want), "stat %s: no such file or directory", P("l/nope/"));
		ASSERT_STREQ(e.msg.data, want);
	}
	ASSERT_EQ(e.kind, FILES_NOT_FOUND);
	ASSERT_EQ(files_error_status(&e), 404);
	ASSERT_TRUE(list(P("l/foo/x"), NULL, false, &e) == NULL);
	ASSERT_CONTAINS(e.msg.data, ": not a directory");
	ASSERT_EQ(files_error_status(&e), 400);
	ASSERT_TRUE(list(P("l"), "[", false, &e) == NULL);
	ASSERT_STREQ(e.msg.data, "syntax error in pattern");
	ASSERT_EQ(e.kind, FILES_GENERIC);
	files_error_done(&e);
}

static void test_mkdir(void)
{
	struct files_error e;
	struct files_mkdir_opts o = { .mode = 0700, .make_parents = true, .exist_ok = true };
	struct stat st;
	mode_t old = umask(0777);
	char want[600];

	files_error_init(&e);
	ASSERT_EQ(files_mkdir(P("m/a/b/c"), &o, &e), 0);
	umask(old);
	ASSERT_EQ(stat(P("m/a/b/c"), &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0700);
	ASSERT_EQ(stat(P("m/a"), &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0700);
	ASSERT_EQ(files_mkdir(P("m/a/b/c"), &o, &e), 0); /* exist_ok */
	o.make_parents = o.exist_ok = false;
	ASSERT_EQ(files_mkdir(P("m/a/b/c/"), &o, &e), -1);
	snprintf(want, sizeof(want), "mkdir %s: file exists", P("m/a/b/c"));
	ASSERT_STREQ(e.msg.data, want);
	ASSERT_EQ(e.kind, FILES_GENERIC);
	put("m/file", "x", 0644);
	ASSERT_EQ(files_mkdir(P("m/file"), &o, &e), -1);
	snprintf(want, sizeof(want), "mkdir %s: not a directory", P("m/file"));
	ASSERT_STREQ(e.msg.data, want);
	ASSERT_EQ(files_mkdir(P("m/missing/x"), &o, &e), -1);
	snprintf(want, sizeof(want), "mkdir %s.mkdir-new: no such file or directory", P("m/missing/x"));
	ASSERT_STREQ(e.msg.data, want);
	ASSERT_EQ(e.kind, FILES_NOT_FOUND);
	files_error_done(&e);
}

static void test_remove(void)
{
	struct files_error e;
	char want[600];
	struct stat st;

	files_error_init(&e);
	ASSERT_EQ(mkdir(P("r"), 0755), 0);
	ASSERT_EQ(mkdir(P("r/full"), 0755), 0);
	put("r/full/x", "x", 0644);
	ASSERT_EQ(mkdir(P("r/outside"), 0755), 0);
	put("r/outside/keep", "k", 0644);
	ASSERT_EQ(symlink(P("r/outside"), P("r/full/link")), 0);
	ASSERT_EQ(files_remove(P("r/full"), false, &e), -1);
	snprintf(want, sizeof(want), "remove %s: directory not empty", P("r/full"));
	ASSERT_STREQ(e.msg.data, want);
	ASSERT_EQ(e.kind, FILES_GENERIC);
	ASSERT_EQ(files_remove(P("r/none"), false, &e), -1);
	snprintf(want, sizeof(want), "remove %s: no such file or directory", P("r/none"));
	ASSERT_STREQ(e.msg.data, want);
	ASSERT_EQ(e.kind, FILES_NOT_FOUND);
	ASSERT_EQ(files_remove(P("r/none"), true, &e), 0);
	/* rm -rf removes the link, not what it points to. */
	ASSERT_EQ(files_remove(P("r/full"), true, &e), 0);
	ASSERT_TRUE(lstat(P("r/full"), &st) < 0);
	ASSERT_EQ(stat(P("r/outside/keep"), &st), 0);
	ASSERT_EQ(files_remove(P("r/outside/keep"), false, &e), 0);
	ASSERT_EQ(files_remove(P("r/."), true, &e), -1);
	snprintf(want, sizeof(want), "RemoveAll %s: invalid argument", P("r/."));
	ASSERT_STREQ(e.msg.data, want);
	files_error_done(&e);
}

static void test_open_read(void)
{
	struct files_error e;
	int fd = -1;

	files_error_init(&e);
	ASSERT_EQ(files_open_read("rel/path", &fd, &e), -1);
	ASSERT_STREQ(e.msg.data, "paths must be absolute, got \"rel/path\"");
	ASSERT_EQ(files_open_read(root, &fd, &e), -1);
	ASSERT_CONTAINS(e.msg.data, "can only read a regular file: \"");
	ASSERT_EQ(e.kind, FILES_GENERIC);
	ASSERT_EQ(mkfifo(P("fifo"), 0644), 0);
	ASSERT_EQ(files_open_read(P("fifo"), &fd, &e), -1);
	ASSERT_CONTAINS(e.msg.data, "can only read a regular file");
	ASSERT_EQ(files_open_read(P("absent"), &fd, &e), -1);
	ASSERT_EQ(e.kind, FILES_NOT_FOUND);
	put("readable", "data", 0600);
	ASSERT_EQ(files_open_read(P("readable"), &fd, &e), 0);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	files_error_done(&e);
}

/* ---- atomic writes ---- */

static bool done_called;
static struct files_error done_err;

static void on_done(void *data, const struct files_error *e)
{
	(void)data;
	done_called = true;
	files_error_copy(&done_err, e);
}

static void run_until_done(void)
{
	uint64_t deadline = loop_now_ms() + 10000;

	while (!done_called && loop_now_ms() < deadline)
		loop_run_once(L, 10);
}

static void test_atomic_pieces(void)
{
	struct files_atomic *a = NULL;
	struct files_error e;
	size_t total = 5u << 20, off = 0, len = 0;
	char *data = xmalloc(total), *got;
	unsigned seed = 3;
	struct stat st;
	mode_t old;

	files_error_init(&e);
	files_error_init(&done_err);
	for (size_t i = 0; i < total; i++)
		data[i] = (char)rand_r(&seed);
	old = umask(0777);
	ASSERT_EQ(files_atomic_open(P("atomic.bin"), 0640, false, 0, 0, L, NULL, NULL, &a, &e), 0);
	umask(old);
	ASSERT_TRUE(strstr(files_atomic_tmp_path(a), "/atomic.bin.") != NULL);
	ASSERT_EQ(files_atomic_tmp_path(a)[strlen(files_atomic_tmp_path(a)) - 1], '~');
	/* Pieces of every size around the coalescing buffer's thresholds. */
	while (off < total) {
		static const size_t sizes[] = { 1, 100, 8192, 131071, 131072, 200000, 262144, 262145, 700000, 3 };
		size_t n = sizes[rand_r(&seed) % 10];

		if (n > total - off)
			n = total - off;
		files_atomic_write(a, data + off, n);
		off += n;
	}
	done_called = false;
	ASSERT_EQ(files_atomic_commit(a, on_done, NULL, &e), 0);
	run_until_done();
	ASSERT_TRUE(done_called);
	ASSERT_EQ(done_err.kind, FILES_OK);
	got = slurp(P("atomic.bin"), &len);
	ASSERT_TRUE(got != NULL);
	ASSERT_EQ(len, total);
	ASSERT_TRUE(memcmp(got, data, total) == 0);
	ASSERT_EQ(stat(P("atomic.bin"), &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0640);
	free(got);
	free(data);
	files_error_done(&e);
}

static void test_atomic_symlink_abort_errors(void)
{
	struct files_atomic *a = NULL;
	struct files_error e;
	struct stat st;
	size_t len;
	char *got, tmp[600];

	files_error_init(&e);
	/* A symlink at the target is replaced, what it pointed to is left alone. */
	put("real", "old", 0644);
	ASSERT_EQ(symlink(P("real"), P("alias")), 0);
	ASSERT_EQ(files_atomic_open(P("alias"), 0600, false, 0, 0, L, NULL, NULL, &a, &e), 0);
	files_atomic_write(a, "new", 3);
	done_called = false;
	ASSERT_EQ(files_atomic_commit(a, on_done, NULL, &e), 0);
	run_until_done();
	ASSERT_EQ(lstat(P("alias"), &st), 0);
	ASSERT_TRUE(S_ISREG(st.st_mode));
	got = slurp(P("real"), &len);
	ASSERT_TRUE(got && len == 3 && memcmp(got, "old", 3) == 0);
	free(got);

	/* Abort: the target keeps its content, the temporary file goes. */
	ASSERT_EQ(files_atomic_open(P("real"), 0644, false, 0, 0, L, NULL, NULL, &a, &e), 0);
	files_atomic_write(a, "partial", 7);
	snprintf(tmp, sizeof(tmp), "%s", files_atomic_tmp_path(a));
	ASSERT_EQ(stat(tmp, &st), 0);
	files_atomic_abort(a);
	ASSERT_TRUE(stat(tmp, &st) < 0);
	got = slurp(P("real"), &len);
	ASSERT_TRUE(got && len == 3 && memcmp(got, "old", 3) == 0);
	free(got);

	/* Forgotten commit: completes on its own. */
	ASSERT_EQ(files_atomic_open(P("forgot"), 0644, false, 0, 0, L, NULL, NULL, &a, &e), 0);
	files_atomic_write(a, "bye", 3);
	done_called = false;
	ASSERT_EQ(files_atomic_commit(a, on_done, NULL, &e), 0);
	files_atomic_forget(a);
	for (int i = 0; i < 200 && stat(P("forgot"), &st) < 0; i++)
		loop_run_once(L, 10);
	for (int i = 0; i < 20; i++)
		loop_run_once(L, 5);
	ASSERT_TRUE(!done_called);
	ASSERT_EQ(stat(P("forgot"), &st), 0);

	/* Errors with Go's texts. */
	ASSERT_EQ(files_atomic_open(P("a*b"), 0644, false, 0, 0, L, NULL, NULL, &a, &e), -1);
	ASSERT_STREQ(e.msg.data, "cannot create tempfile for filename containing '*': \"a*b\"");
	ASSERT_EQ(files_atomic_open(P("no/such/dir/f"), 0644, false, 0, 0, L, NULL, NULL, &a, &e), -1);
	ASSERT_CONTAINS(e.msg.data, "/no/such/dir/f.");
	ASSERT_CONTAINS(e.msg.data, "~: no such file or directory");
	ASSERT_EQ(e.kind, FILES_NOT_FOUND);
	files_error_done(&e);
	files_error_done(&done_err);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/test-files-XXXXXX");
	if (!mkdtemp(root) || loop_new(&L) < 0)
		return 1;
	RUN(test_permissions);
	RUN(test_list);
	RUN(test_mkdir);
	RUN(test_remove);
	RUN(test_open_read);
	RUN(test_atomic_pieces);
	RUN(test_atomic_symlink_abort_errors);
	fs_rm_rf(root);
	loop_free(L);
	return test_summary();
}
