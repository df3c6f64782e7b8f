/* logstore.c - the model's debug-log; see logstore.h. */
#include "logstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"

struct ring_rec {
	char *entity, *level, *module, *message;
	uint64_t time_ns;
};

struct logstore_follower {
	void (*cb)(const struct log_record *, void *);
	void *data;
	struct logstore_follower *next;
};

struct logstore {
	char *path;
	int fd;
	uint64_t size;
	struct ring_rec ring[LOGSTORE_RING];
	size_t ring_start, ring_len;
	struct logstore_follower *followers;
};

static void ring_rec_done(struct ring_rec *rr)
{
	free(rr->entity);
	free(rr->level);
	free(rr->module);
	free(rr->message);
}

/* Appends a copy of rec to the ring, dropping the oldest record when it is full. */
static void ring_push(struct logstore *ls, const struct log_record *rec)
{
	struct ring_rec *rr;

	if (ls->ring_len == LOGSTORE_RING) {
		rr = &ls->ring[ls->ring_start];
		ring_rec_done(rr);
		ls->ring_start = (ls->ring_start + 1) % LOGSTORE_RING;
	} else {
		rr = &ls->ring[(ls->ring_start + ls->ring_len++) % LOGSTORE_RING];
	}
	rr->entity = xstrdup(rec->entity);
	rr->level = xstrdup(rec->level);
	rr->module = xstrdup(rec->module);
	rr->message = xstrdup(rec->message);
	rr->time_ns = rec->time_ns;
}

/* Calls cb for every well-formed record of the file at path, from byte offset on (a
 * partial first line is skipped when offset > 0). */
static void read_records(const char *path, uint64_t offset,
			 void (*cb)(const struct log_record *, void *), void *data)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	char *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	buf_init(&b);
	if (offset && lseek(fd, (off_t)offset, SEEK_SET) < 0)
		offset = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n <= 0)
			break;
		buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	p = b.data;
	if (offset) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	while (p && *p) {
		char *nl = strchr(p, '\n');
		json_t *v;

		if (nl)
			*nl = '\0';
		v = json_loads(p, 0, NULL);
		if (v) {
			struct log_record r = {
				json_string_value(json_object_get(v, "e")),
				(uint64_t)json_integer_value(json_object_get(v, "t")),
				json_string_value(json_object_get(v, "l")),
				json_string_value(json_object_get(v, "m")),
				json_string_value(json_object_get(v, "x")),
			};

			if (r.entity && r.level && r.module && r.message)
				cb(&r, data);
			json_decref(v);
		}
		p = nl ? nl + 1 : NULL;
	}
	buf_done(&b);
}

static void warm_cb(const struct log_record *rec, void *data)
{
	ring_push(data, rec);
}

int logstore_open(const char *dir, struct logstore **ret)
{
	struct logstore *ls = xcalloc(1, sizeof(*ls));
	struct stat st;
	int r;

	r = fs_mkdir_p(dir, 0755);
	if (r < 0) {
		free(ls);
		return r;
	}
	ls->path = xasprintf("%s/model.log", dir);
	ls->fd = open(ls->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (ls->fd < 0) {
		r = -errno;
		free(ls->path);
		free(ls);
		return r;
	}
	if (fstat(ls->fd, &st) == 0)
		ls->size = (uint64_t)st.st_size;
	/* Refill the ring from the file's tail so `debug-log -n` works across restarts; only
	 * the last LOGSTORE_WARM_BYTES are read, so start-up does not grow with the log. */
	read_records(ls->path, ls->size > LOGSTORE_WARM_BYTES ? ls->size - LOGSTORE_WARM_BYTES : 0,
		     warm_cb, ls);
	*ret = ls;
	return 0;
}

void logstore_close(struct logstore *ls)
{
	if (!ls)
		return;
	for (size_t i = 0; i < ls->ring_len; i++)
		ring_rec_done(&ls->ring[(ls->ring_start + i) % LOGSTORE_RING]);
	while (ls->followers) {
		struct logstore_follower *f = ls->followers;

		ls->followers = f->next;
		free(f);
	}
	close(ls->fd);
	free(ls->path);
	free(ls);
}

static void rotate(struct logstore *ls)
{
	char *old = xasprintf("%s.1", ls->path);
	int fd;

	rename(ls->path, old);
	free(old);
	fd = open(ls->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd >= 0) {
		close(ls->fd);
		ls->fd = fd;
		ls->size = 0;
	}
}

void logstore_append(struct logstore *ls, const struct log_record *rec)
{
	struct log_record kept = *rec;
	char *msg = NULL, *s;
	json_t *v;

	if (strlen(rec->message) > LOGSTORE_MSG_MAX) {
		size_t n = LOGSTORE_MSG_MAX;

		while (n && ((unsigned char)rec->message[n] & 0xc0) == 0x80)
			n--; /* cut between characters, or the record loses its text */
		kept.message = msg = xstrndup(rec->message, n);
	}
	v = json_pack("{s:s, s:I, s:s, s:s, s:s}", "e", kept.entity, "t", (json_int_t)kept.time_ns,
		      "l", kept.level, "m", kept.module, "x", kept.message);
	if (!v) { /* not UTF-8: keep the record, without its text */
		kept.message = "(output not valid UTF-8)";
		v = json_pack("{s:s, s:I, s:s, s:s, s:s}", "e", kept.entity, "t",
			      (json_int_t)kept.time_ns, "l", kept.level, "m", kept.module, "x",
			      kept.message);
	}
	s = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (s) {
		size_t n = strlen(s);

		s[n] = '\n';
		if (write(ls->fd, s, n + 1) > 0)
			ls->size += n + 1;
		free(s);
	}
	if (ls->size > LOGSTORE_MAX_BYTES)
		rotate(ls);
	ring_push(ls, &kept);
	free(msg);
	for (struct logstore_follower *f = ls->followers, *n; f; f = n) {
		n = f->next; /* a callback may unfollow itself */
		f->cb(rec, f->data);
	}
}

void logstore_format(const struct log_record *rec, struct buf *out)
{
	time_t s = (time_t)(rec->time_ns / 1000000000u);
	struct tm tm;
	char ts[16];

	localtime_r(&s, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	buf_addf(out, "%s: %s %s %s %s", rec->entity, ts, rec->level, rec->module, rec->message);
}

void logstore_tail(struct logstore *ls, long n, void (*cb)(const struct log_record *, void *),
		   void *data)
{
	if (n < 0) {
		/* --replay: everything on disk (rotated file first). */
		char *old = xasprintf("%s.1", ls->path);

		read_records(old, 0, cb, data);
		read_records(ls->path, 0, cb, data);
		free(old);
		return;
	}
	size_t k = (size_t)n > ls->ring_len ? ls->ring_len : (size_t)n;

	for (size_t i = ls->ring_len - k; i < ls->ring_len; i++) {
		struct ring_rec *rr = &ls->ring[(ls->ring_start + i) % LOGSTORE_RING];
		struct log_record r = { rr->entity, rr->time_ns, rr->level, rr->module, rr->message };

		cb(&r, data);
	}
}

struct logstore_follower *logstore_follow(struct logstore *ls,
					  void (*cb)(const struct log_record *, void *), void *data)
{
	struct logstore_follower *f = xcalloc(1, sizeof(*f));

	f->cb = cb;
	f->data = data;
	f->next = ls->followers;
	ls->followers = f;
	return f;
}

void logstore_unfollow(struct logstore *ls, struct logstore_follower *f)
{
	struct logstore_follower **pp = &ls->followers;

	while (*pp && *pp != f)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = f->next;
		free(f);
	}
}
