/* cli_files.c - the file verbs of the scree CLI (§23), as Pebble's cmd_push.go,
 * cmd_pull.go, cmd_ls.go, cmd_mkdir.go and cmd_rm.go and its Go client (client/files.go)
 * behave:
 *
 *   push [-p] [-m <mode>] [--uid <id>] [--user <name>] [--gid <id>] [--group <name>] <local-path> <remote-path>
 *   pull <remote-path> <local-path>
 *   ls [-d] [-l] [--abs-time] <path>
 *   mkdir [-p] [-m <mode>] [--uid <id>] [--user <name>] [--gid <id>] [--group <name>] <path>
 *   rm [-r] <path>
 *
 * push and pull stream: the local file goes out as a chunked multipart body read piece by
 * piece, and a pulled file is written as its bytes arrive, so neither holds a file in
 * memory.  A failed pull removes the local file it created.
 *
 * Options go through the CLI's go-flags parser (cli_opts.h). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/mediatype.h"
#include "http/multipart.h"
#include "lib/gofmt.h"
#include "lib/gopath.h"
#include "lib/strnum.h"

/* ---- options ---- */

/* The owner options shared by push and mkdir (--uid and --gid are *int in upstream). */
struct owner_opts {
	const char *uid, *user, *gid, *group;
	bool uid_set, gid_set;
	int64_t uid_v, gid_v;
};

static int owner_check(struct owner_opts *o, struct errbuf *eb)
{
	if (o->uid && cli_flag_int("uid", o->uid, &o->uid_v, eb) < 0)
		return -1;
	if (o->gid && cli_flag_int("gid", o->gid, &o->gid_v, eb) < 0)
		return -1;
	o->uid_set = o->uid != NULL;
	o->gid_set = o->gid != NULL;
	return 0;
}

/* ---- shared client pieces ---- */

/* Sends a JSON action to POST /v1/files and unwraps the single path result. */
static int post_one(json_t *body, struct errbuf *eb)
{
	json_t *env = NULL, *res, *err;
	struct cli c;
	int rv;

	if (cli_open(&c, eb) < 0)
		return -1;
	rv = cli_call(&c, "POST", "/v1/files", body, &env, eb);
	cli_close(&c);
	if (rv < 0)
		return -1;
	res = json_object_get(env, "result");
	if (!json_is_array(res) || json_array_size(res) != 1) {
		errbuf_set(eb, "expected exactly one result from API, got %zu", json_is_array(res) ? json_array_size(res) : 0);
		json_decref(env);
		return -1;
	}
	err = json_object_get(json_array_get(res, 0), "error");
	if (err && !json_is_null(err)) {
		const char *msg = json_string_value(json_object_get(err, "message"));

		errbuf_set(eb, "%s", msg ? msg : "");
		json_decref(env);
		return -1;
	}
	json_decref(env);
	return 0;
}

/* Owner fields as the Go client encodes them (null when not given). */
static void put_owner(json_t *o, const struct owner_opts *w)
{
	json_object_set_new(o, "user-id", w->uid_set ? json_integer(w->uid_v) : json_null());
	json_object_set_new(o, "user", json_string(w->user ? w->user : ""));
	json_object_set_new(o, "group-id", w->gid_set ? json_integer(w->gid_v) : json_null());
	json_object_set_new(o, "group", json_string(w->group ? w->group : ""));
}

static void sys_error(struct errbuf *eb, const char *op, const char *path, int err)
{
	char text[128];

	errbuf_set(eb, "%s %s: %s", op, path, gofmt_strerror(err, text, sizeof(text)));
}

/* ---- rm ---- */

int cli_rm(int argc, char **argv, struct errbuf *eb)
{
	bool recursive = false;
	const char *path = NULL;
	const struct cli_opt opts[] = { CLI_BOOL('r', NULL, &recursive), CLI_OPT_END };
	const struct cli_arg args[] = { CLI_ARG("<path>", 1, &path), CLI_ARG_END };
	const struct cli_spec spec = { "pebble rm [rm-OPTIONS] <path>", opts, args, false };
	json_t *item, *body;
	int rv = cli_opts_parse(&spec, argc, argv, eb);

	if (rv != 0)
		return rv < 0 ? -1 : 0;
	item = json_pack("{s:s}", "path", path);
	if (!item)
		return errbuf_set(eb, "cannot encode JSON payload: path is not valid UTF-8"), -1;
	json_object_set_new(item, "recursive", json_boolean(recursive));
	body = json_pack("{s:s, s:[o]}", "action", "remove", "paths", item);
	rv = post_one(body, eb);
	json_decref(body);
	return rv;
}

/* ---- mkdir ---- */

int cli_mkdir(int argc, char **argv, struct errbuf *eb)
{
	bool parents = false;
	const char *mode = NULL, *path = NULL;
	struct owner_opts w = { 0 };
	const struct cli_opt opts[] = {
		CLI_BOOL('p', NULL, &parents),     CLI_STRING('m', NULL, &mode),
		CLI_STRING(0, "uid", &w.uid),      CLI_STRING(0, "user", &w.user),
		CLI_STRING(0, "gid", &w.gid),      CLI_STRING(0, "group", &w.group),
		CLI_OPT_END,
	};
	const struct cli_arg args[] = { CLI_ARG("<path>", 1, &path), CLI_ARG_END };
	const struct cli_spec spec = { "pebble mkdir [mkdir-OPTIONS] <path>", opts, args, false };
	char perm[32] = "";
	json_t *item, *body;
	int rv = cli_opts_parse(&spec, argc, argv, eb);

	if (rv != 0)
		return rv < 0 ? -1 : 0;
	if (owner_check(&w, eb) < 0)
		return -1;
	if (mode && *mode) {
		/* strconv.ParseUint(mode, 8, 32); sent as %03o unless zero. */
		char *end;
		unsigned long m;

		errno = 0;
		m = strtoul(mode, &end, 8);
		if (*end || errno || m > 0xffffffffUL || mode[0] == '-' || mode[0] == '+' || mode[0] == ' ') {
			struct buf q = BUF_INIT;

			buf_init(&q);
			gofmt_quote(&q, mode, strlen(mode), GOFMT_QUOTE_GO);
			errbuf_set(eb, "invalid mode for directory: %s", q.data);
			buf_done(&q);
			return -1;
		}
		if (m)
			snprintf(perm, sizeof(perm), "%03lo", m);
	}
	item = json_pack("{s:s}", "path", path);
	if (!item)
		return errbuf_set(eb, "cannot encode JSON payload: path is not valid UTF-8"), -1;
	json_object_set_new(item, "make-parents", json_boolean(parents));
	json_object_set_new(item, "permissions", json_string(perm));
	put_owner(item, &w);
	body = json_pack("{s:s, s:[o]}", "action", "make-dirs", "dirs", item);
	rv = post_one(body, eb);
	json_decref(body);
	return rv;
}

/* ---- ls ---- */

/* Go's FileMode.String() of what the client rebuilds from type and permissions. */
static void mode_string(const char *type, const char *perm, char out[12])
{
	unsigned long p = strtoul(perm ? perm : "0", NULL, 8) & 0777;
	char t = '-';
	static const char rwx[] = "rwxrwxrwx";

	if (!type || strcmp(type, "file") == 0)
		t = '-';
	else if (strcmp(type, "directory") == 0)
		t = 'd';
	else if (strcmp(type, "symlink") == 0)
		t = 'L';
	else if (strcmp(type, "socket") == 0)
		t = 'S';
	else if (strcmp(type, "named-pipe") == 0)
		t = 'p';
	else if (strcmp(type, "device") == 0)
		t = 'D';
	else
		t = '?';
	out[0] = t;
	for (int i = 0; i < 9; i++)
		out[1 + i] = (p & (1u << (8 - i))) ? rwx[i] : '-';
	out[10] = '\0';
}

/* quantity.FormatAmount(amount, -1) (width 5, SI suffixes). */
static void format_amount(unsigned long long amount, char *out, size_t n)
{
	static const char prefixes[] = "kMGTPEZY";
	double r = (double)amount;
	int width = 4, digits = 3, precision = 0;
	char prefix = 'k';
	char tmp[32];

	if (amount <= 5000) {
		snprintf(out, n, "%5llu", amount);
		return;
	}
	for (const char *p = prefixes; *p; p++) {
		prefix = *p;
		r /= 1000;
		if (r < 999.5)
			break;
	}
	if (r < 99.5) {
		digits--;
		if (r < 9.5) {
			digits--;
			if (r < .95)
				digits--;
		}
	}
	if (width - digits > 1)
		precision = width - digits - 1;
	snprintf(tmp, sizeof(tmp), "%*.*f%c", width, precision, r, prefix);
	snprintf(out, n, "%s", r < .95 ? tmp + 1 : tmp);
}

int cli_ls(int argc, char **argv, struct errbuf *eb)
{
	bool dir = false, longf = false, abs_time = false;
	const char *arg = NULL;
	const struct cli_opt opts[] = {
		CLI_BOOL('d', NULL, &dir), CLI_BOOL('l', NULL, &longf), CLI_BOOL(0, "abs-time", &abs_time), CLI_OPT_END,
	};
	const struct cli_arg args[] = { CLI_ARG("<path>", 1, &arg), CLI_ARG_END };
	const struct cli_spec spec = { "pebble ls [ls-OPTIONS] <path>", opts, args, false };
	char *trimmed, *slash, *path, *pattern = NULL;
	struct buf target = BUF_INIT;
	json_t *env = NULL, *res, *fi;
	struct cli c;
	struct cli_table t;
	size_t i, len;
	int rv = cli_opts_parse(&spec, argc, argv, eb);

	if (rv != 0)
		return rv < 0 ? -1 : 0;
	/* parseGlob: a pattern is allowed in the last element only. */
	trimmed = xstrdup(arg);
	len = strlen(trimmed);
	while (len > 0 && trimmed[len - 1] == '/')
		trimmed[--len] = '\0';
	slash = strrchr(trimmed, '/');
	{
		size_t dlen = slash ? (size_t)(slash - trimmed) + 1 : 0;
		char *d = xstrndup(trimmed, dlen);
		const char *file = trimmed + dlen;

		if (strpbrk(d, "*?[")) {
			free(d);
			free(trimmed);
			return errbuf_set(eb, "can only use globs on the last path element"), -1;
		}
		if (strpbrk(file, "*?[")) {
			path = d;
			pattern = xstrdup(file);
		} else {
			free(d);
			path = xstrdup(arg);
		}
	}
	free(trimmed);
	buf_init(&target);
	buf_adds(&target, "/v1/files?action=list&path=");
	cli_query_escape(&target, path);
	if (pattern && *pattern) {
		buf_adds(&target, "&pattern=");
		cli_query_escape(&target, pattern);
	}
	if (dir)
		buf_adds(&target, "&itself=true");
	free(path);
	free(pattern);
	rv = cli_open(&c, eb);
	if (rv == 0) {
		rv = cli_call(&c, "GET", target.data, NULL, &env, eb);
		cli_close(&c);
	}
	buf_done(&target);
	if (rv < 0)
		return -1;
	res = json_object_get(env, "result");
	cli_table_init(&t, longf ? 6 : 1);
	json_array_foreach(res, i, fi) {
		const char *name = json_string_value(json_object_get(fi, "name"));
		const char *type = json_string_value(json_object_get(fi, "type"));

		if (longf) {
			char mode[12], amount[40], size[48], when[96];
			const char *lm = json_string_value(json_object_get(fi, "last-modified"));
			const char *row[6];

			mode_string(type, json_string_value(json_object_get(fi, "permissions")), mode);
			if (type && strcmp(type, "file") == 0) {
				format_amount((unsigned long long)json_integer_value(json_object_get(fi, "size")), amount,
					      sizeof(amount) - 1);
				strcat(amount, "B");
				snprintf(size, sizeof(size), "%6s", amount);
			} else {
				snprintf(size, sizeof(size), "%6s", "-");
			}
			if (abs_time)
				snprintf(when, sizeof(when), "%s", lm ? lm : "");
			else
				cli_human_time(lm, when, sizeof(when));
			row[0] = mode;
			row[1] = json_string_value(json_object_get(fi, "user")) ?: "";
			row[2] = json_string_value(json_object_get(fi, "group")) ?: "";
			row[3] = size;
			row[4] = when;
			row[5] = name ? name : "";
			cli_table_add(&t, row);
		} else {
			const char *row[1] = { name ? name : "" };

			cli_table_add(&t, row);
		}
	}
	cli_table_print(&t);
	cli_table_done(&t);
	json_decref(env);
	return 0;
}

/* ---- push ---- */

struct push_body {
	struct buf head, foot; /* multipart framing around the file */
	size_t head_off, foot_off;
	int fd;
	const char *local;
	bool file_done;
	int err;               /* a read error of the local file */
};

/* Produces the request body: the framing, then the file in reads, then the footer. */
static ssize_t push_produce(char *out, size_t cap, void *data)
{
	struct push_body *b = data;
	ssize_t n;

	if (b->head_off < b->head.len) {
		size_t k = b->head.len - b->head_off < cap ? b->head.len - b->head_off : cap;

		memcpy(out, b->head.data + b->head_off, k);
		b->head_off += k;
		return (ssize_t)k;
	}
	while (!b->file_done) {
		n = read(b->fd, out, cap);
		if (n > 0)
			return n;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			b->err = errno;
			return -errno;
		}
		b->file_done = true;
	}
	if (b->foot_off < b->foot.len) {
		size_t k = b->foot.len - b->foot_off < cap ? b->foot.len - b->foot_off : cap;

		memcpy(out, b->foot.data + b->foot_off, k);
		b->foot_off += k;
		return (ssize_t)k;
	}
	return 0;
}

int cli_push(int argc, char **argv, struct errbuf *eb)
{
	bool parents = false;
	const char *mode = NULL, *pos[2] = { NULL, NULL };
	struct owner_opts w = { 0 };
	const struct cli_opt opts[] = {
		CLI_BOOL('p', NULL, &parents),     CLI_STRING('m', NULL, &mode),
		CLI_STRING(0, "uid", &w.uid),      CLI_STRING(0, "user", &w.user),
		CLI_STRING(0, "gid", &w.gid),      CLI_STRING(0, "group", &w.group),
		CLI_OPT_END,
	};
	const struct cli_arg args[] = { CLI_ARG("<local-path>", 1, &pos[0]), CLI_ARG("<remote-path>", 1, &pos[1]),
					CLI_ARG_END };
	const struct cli_spec spec = { "pebble push [push-OPTIONS] <local-path> <remote-path>", opts, args, false };
	char perm[16], boundary[MULTIPART_RANDOM_BOUNDARY_LEN + 1], ctype[128];
	int n = cli_opts_parse(&spec, argc, argv, eb);
	struct push_body b = { BUF_INIT, BUF_INIT, 0, 0, -1, NULL, false, 0 };
	struct http_client_req rq = { 0 };
	struct http_response resp;
	json_t *item, *meta, *env = NULL, *res, *err;
	struct stat st;
	struct cli c;
	char *meta_text = NULL;
	int rv = -1;

	if (n != 0)
		return n < 0 ? -1 : 0;
	if (owner_check(&w, eb) < 0)
		return -1;
	b.local = pos[0];
	b.fd = open(pos[0], O_RDONLY | O_CLOEXEC);
	if (b.fd < 0) {
		sys_error(eb, "open", pos[0], errno);
		return -1;
	}
	if (fstat(b.fd, &st) < 0) {
		sys_error(eb, "stat", pos[0], errno);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		sys_error(eb, "read", pos[0], EISDIR);
		goto out;
	}
	if (mode && *mode)
		snprintf(perm, sizeof(perm), "%s", mode);
	else
		snprintf(perm, sizeof(perm), "%03o", (unsigned)(st.st_mode & 0777));
	item = json_pack("{s:s}", "path", pos[1]);
	if (!item) {
		errbuf_set(eb, "cannot encode metadata: path is not valid UTF-8");
		goto out;
	}
	json_object_set_new(item, "make-dirs", json_boolean(parents));
	json_object_set_new(item, "permissions", json_string(perm));
	put_owner(item, &w);
	meta = json_pack("{s:s, s:[o]}", "action", "write", "files", item);
	meta_text = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	if (multipart_random_boundary(boundary) < 0) {
		errbuf_set(eb, "cannot create multipart boundary");
		goto out;
	}
	buf_init(&b.head);
	buf_init(&b.foot);
	{
		const char *req_lines[] = { "Content-Disposition: form-data; name=\"request\"",
					    "Content-Type: application/json" };
		const char *file_lines[2];
		struct buf disp = BUF_INIT;

		multipart_write_part_head(&b.head, boundary, true, req_lines, 2);
		buf_adds(&b.head, meta_text);
		buf_addc(&b.head, '\n');
		buf_init(&disp);
		buf_adds(&disp, "Content-Disposition: form-data; name=\"files\"; filename=\"");
		mediatype_escape_quotes(&disp, pos[1]);
		buf_addc(&disp, '"');
		file_lines[0] = disp.data;
		file_lines[1] = "Content-Type: application/octet-stream";
		multipart_write_part_head(&b.head, boundary, false, file_lines, 2);
		buf_done(&disp);
		multipart_write_close(&b.foot, boundary);
	}
	snprintf(ctype, sizeof(ctype), "multipart/form-data; boundary=%s", boundary);
	rq.method = "POST";
	rq.target = "/v1/files";
	rq.content_type = ctype;
	rq.accept = "application/json";
	rq.produce = push_produce;
	rq.data = &b;
	if (cli_open(&c, eb) < 0)
		goto out;
	rv = http_client_request_ex(c.http, &rq, &resp, eb);
	cli_close(&c);
	if (b.err) {
		sys_error(eb, "read", pos[0], b.err);
		if (rv == 0)
			http_response_done(&resp);
		rv = -1;
		goto out;
	}
	if (rv < 0) {
		errbuf_wrap(eb, "cannot communicate with server");
		goto out;
	}
	rv = -1;
	env = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	http_response_done(&resp);
	if (!json_is_object(env)) {
		errbuf_set(eb, "cannot decode server response");
		goto out;
	}
	res = json_object_get(env, "result");
	if (strcmp(json_string_value(json_object_get(env, "type")) ?: "", "error") == 0) {
		errbuf_set(eb, "%s", json_string_value(json_object_get(res, "message")) ?: "server error");
		goto out;
	}
	if (!json_is_array(res) || json_array_size(res) != 1) {
		errbuf_set(eb, "expected exactly one result from API, got %zu", json_is_array(res) ? json_array_size(res) : 0);
		goto out;
	}
	err = json_object_get(json_array_get(res, 0), "error");
	if (err && !json_is_null(err)) {
		errbuf_set(eb, "%s", json_string_value(json_object_get(err, "message")) ?: "");
		goto out;
	}
	rv = 0;
out:
	json_decref(env);
	free(meta_text);
	buf_done(&b.head);
	buf_done(&b.foot);
	if (b.fd >= 0)
		close(b.fd);
	return rv;
}

/* ---- pull ---- */

struct pull_state {
	struct http_response *resp;
	struct multipart *mp;
	struct buf other;      /* a body that is not multipart (kept for its error) */
	bool started;
	int fd;
	const char *local;
	size_t part;           /* parts begun */
	bool in_files;         /* the first part is the "files" part */
	struct buf meta;       /* the "response" part */
	struct buf err;        /* the first failure, in the client's words */
	int write_err;
};

static void pull_fail(struct pull_state *st, const char *msg)
{
	if (!st->err.len)
		buf_adds(&st->err, msg);
}

static int pull_begin(void *data, const struct multipart_part *part)
{
	struct pull_state *st = data;
	const char *cd = multipart_part_header(part, "Content-Disposition");
	struct mediatype mt;
	const char *name = NULL;
	struct buf msg = BUF_INIT;

	if (mediatype_parse(cd ? cd : "", &mt, NULL) == 0 && strcmp(mt.type, "form-data") == 0)
		name = mediatype_param(&mt, "name");
	if (!name)
		name = "";
	buf_init(&msg);
	if (st->part == 0 && strcmp(name, "files") != 0) {
		buf_adds(&msg, "expected first field name to be \"files\", got ");
		gofmt_quote(&msg, name, strlen(name), GOFMT_QUOTE_GO);
		pull_fail(st, msg.data);
	} else if (st->part == 1 && strcmp(name, "response") != 0) {
		buf_adds(&msg, "expected second field name to be \"response\", got ");
		gofmt_quote(&msg, name, strlen(name), GOFMT_QUOTE_GO);
		pull_fail(st, msg.data);
	}
	st->in_files = st->part == 0;
	st->part++;
	buf_done(&msg);
	mediatype_done(&mt);
	return st->err.len > 0;
}

static int pull_data(void *data, const char *p, size_t n)
{
	struct pull_state *st = data;

	if (st->in_files) {
		while (n > 0) {
			ssize_t w = write(st->fd, p, n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				char text[128];
				struct buf msg = BUF_INIT;

				buf_init(&msg);
				buf_addf(&msg, "cannot write: write %s: %s", st->local,
					 gofmt_strerror(errno, text, sizeof(text)));
				pull_fail(st, msg.data);
				buf_done(&msg);
				return 1;
			}
			p += w;
			n -= (size_t)w;
		}
	} else if (st->part == 2 && st->meta.len + n <= 16u << 20) {
		buf_add(&st->meta, p, n);
	}
	return 0;
}

static int pull_end(void *data)
{
	struct pull_state *st = data;

	st->in_files = false;
	return 0;
}

static const struct multipart_callbacks pull_cbs = { pull_begin, pull_data, pull_end };

static int pull_on_data(const char *p, size_t n, void *data)
{
	struct pull_state *st = data;

	if (!st->started) {
		struct mediatype mt;
		const char *err = NULL;

		st->started = true;
		if (mediatype_parse(buf_str(&st->resp->content_type), &mt, &err) < 0) {
			struct buf msg = BUF_INIT;

			buf_init(&msg);
			buf_addf(&msg, "invalid Content-Type: %s", err);
			pull_fail(st, msg.data);
			buf_done(&msg);
		} else if (strcmp(mt.type, "multipart/form-data") == 0) {
			const char *b = mediatype_param(&mt, "boundary");

			if (multipart_new(b ? b : "", &pull_cbs, st, &st->mp) < 0)
				pull_fail(st, "cannot decode multipart payload: multipart: boundary is empty");
		}
		mediatype_done(&mt);
	}
	if (st->err.len)
		return 1;
	if (!st->mp) {
		if (st->other.len + n <= 1u << 20)
			buf_add(&st->other, p, n);
		return 0;
	}
	if (multipart_feed(st->mp, p, n) == -EBADMSG) {
		struct buf msg = BUF_INIT;

		buf_init(&msg);
		buf_addf(&msg, "cannot decode multipart payload: %s", multipart_error(st->mp));
		pull_fail(st, msg.data);
		buf_done(&msg);
	}
	return st->err.len > 0;
}

/* After the body: the client's checks of the result, in order. */
static void pull_check(struct pull_state *st)
{
	json_t *env, *res, *r0, *err;

	if (st->err.len)
		return;
	if (!st->mp) {
		pull_fail(st, "expected a multipart response but didn't get one");
		return;
	}
	if (st->part < 2) {
		int f = multipart_finish(st->mp);

		if (st->part == 1 && f == MULTIPART_END_IN_BODY)
			pull_fail(st, "cannot write: unexpected EOF");
		else if (f == MULTIPART_END_CLEAN || f == MULTIPART_END_IN_HEADERS)
			pull_fail(st, "cannot decode multipart payload: EOF");
		else
			pull_fail(st, "cannot decode multipart payload: multipart: NextPart: EOF");
		return;
	}
	env = json_loadb(st->meta.data, st->meta.len, JSON_DISABLE_EOF_CHECK, NULL);
	if (!json_is_object(env)) {
		pull_fail(st, "cannot decode response: unexpected EOF");
		json_decref(env);
		return;
	}
	res = json_object_get(env, "result");
	if (strcmp(json_string_value(json_object_get(env, "type")) ?: "", "sync") != 0) {
		struct buf msg = BUF_INIT;
		const char *t = json_string_value(json_object_get(env, "type")) ?: "";

		buf_init(&msg);
		if (strcmp(t, "error") == 0) {
			buf_adds(&msg, json_string_value(json_object_get(res, "message")) ?: "server error");
		} else {
			buf_adds(&msg, "expected sync response, got ");
			gofmt_quote(&msg, t, strlen(t), GOFMT_QUOTE_GO);
		}
		pull_fail(st, msg.data);
		buf_done(&msg);
	} else if (!json_is_array(res) || json_array_size(res) != 1) {
		struct buf msg = BUF_INIT;

		buf_init(&msg);
		buf_addf(&msg, "expected exactly one result from API, got %zu", json_is_array(res) ? json_array_size(res) : 0);
		pull_fail(st, msg.data);
		buf_done(&msg);
	} else {
		r0 = json_array_get(res, 0);
		err = json_object_get(r0, "error");
		if (err && !json_is_null(err))
			pull_fail(st, json_string_value(json_object_get(err, "message")) ?: "");
	}
	json_decref(env);
}

int cli_pull(int argc, char **argv, struct errbuf *eb)
{
	const char *pos[2] = { NULL, NULL };
	const struct cli_arg args[] = { CLI_ARG("<remote-path>", 1, &pos[0]), CLI_ARG("<local-path>", 1, &pos[1]),
					CLI_ARG_END };
	const struct cli_spec spec = { "pebble pull <remote-path> <local-path>", NULL, args, false };
	int n = cli_opts_parse(&spec, argc, argv, eb);
	struct pull_state st;
	struct buf target = BUF_INIT;
	struct http_response resp;
	struct http_client_req rq = { 0 };
	struct cli c;
	int rv;

	if (n != 0)
		return n < 0 ? -1 : 0;
	memset(&st, 0, sizeof(st));
	buf_init(&st.other);
	buf_init(&st.meta);
	buf_init(&st.err);
	st.resp = &resp;
	st.local = pos[1];
	/* os.Create: truncate or create 0666 (less the umask). */
	st.fd = open(pos[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (st.fd < 0) {
		sys_error(eb, "open", pos[1], errno);
		rv = -1;
		goto out;
	}
	buf_init(&target);
	buf_adds(&target, "/v1/files?action=read&path=");
	cli_query_escape(&target, pos[0]);
	rq.method = "GET";
	rq.target = target.data;
	rq.accept = "multipart/form-data";
	rq.on_data = pull_on_data;
	rq.data = &st;
	rv = cli_open(&c, eb);
	if (rv == 0) {
		rv = http_client_request_ex(c.http, &rq, &resp, eb);
		cli_close(&c);
		if (rv < 0) {
			if (st.err.len)
				errbuf_set(eb, "%s", st.err.data); /* we stopped the transfer */
			else
				errbuf_wrap(eb, "cannot communicate with server");
		} else {
			pull_check(&st);
			http_response_done(&resp);
			if (st.err.len) {
				errbuf_set(eb, "%s", st.err.data);
				rv = -1;
			}
		}
	}
	if (rv == 0 && close(st.fd) < 0) {
		sys_error(eb, "close", pos[1], errno);
		rv = -1;
	} else if (rv < 0) {
		close(st.fd);
	}
	st.fd = -1;
	if (rv < 0)
		unlink(pos[1]); /* discard what was written */
out:
	multipart_free(st.mp);
	buf_done(&st.other);
	buf_done(&st.meta);
	buf_done(&st.err);
	buf_done(&target);
	return rv < 0 ? -1 : 0;
}
