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
	/* Warm the ring from the file's tail so `debug-log -n` works across restarts. */
	{
		struct buf b = BUF_INIT;
		buf_init(&b);
		if (fs_read_file(ls->path, LOGSTORE_MAX_BYTES * 2, &b) == 0) {
			char *p = b.data;
			while (p && *p) {
				char *nl = strchr(p, '\n');
				if (nl)
					*nl = '\0';
				json_t *v = json_loads(p, 0, NULL);
				if (v) {
					struct ring_rec *rr;
					size_t idx;
					if (ls->ring_len == LOGSTORE_RING) {
						idx = ls->ring_start;
						rr = &ls->ring[idx];
						free(rr->entity); free(rr->level); free(rr->module); free(rr->message);
						ls->ring_start = (ls->ring_start + 1) % LOGSTORE_RING;
					} else {
						idx = (ls->ring_start + ls->ring_len++) % LOGSTORE_RING;
						rr = &ls->ring[idx];
					}
					rr->entity = xstrdup(json_string_value(json_object_get(v, "e")));
					rr->level = xstrdup(json_string_value(json_object_get(v, "l")));
					rr->module = xstrdup(json_string_value(json_object_get(v, "m")));
					rr->message = xstrdup(json_string_value(json_object_get(v, "x")));
					rr->time_ns = (uint64_t)json_integer_value(json_object_get(v, "t"));
					json_decref(v);
				}
				p = nl ? nl + 1 : NULL;
			}
		}
		buf_done(&b);
	}
	*ret = ls;
	return 0;
}

void logstore_close(struct logstore *ls)
{
	if (!ls)
		return;
	for (size_t i = 0; i < ls->ring_len; i++) {
		struct ring_rec *rr = &ls->ring[(ls->ring_start + i) % LOGSTORE_RING];

		free(rr->entity);
		free(rr->level);
		free(rr->module);
		free(rr->message);
	}
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
	struct ring_rec *rr;
	json_t *v;
	char *s;
	char *msg = NULL;

	if (strlen(rec->message) > LOGSTORE_MSG_MAX)
		msg = xstrndup(rec->message, LOGSTORE_MSG_MAX);
	v = json_pack("{s:s, s:I, s:s, s:s, s:s}", "e", rec->entity, "t", (json_int_t)rec->time_ns,
		      "l", rec->level, "m", rec->module, "x", msg ? msg : rec->message);
	if (!v) /* not UTF-8: keep the record, escaped */
		v = json_pack("{s:s, s:I, s:s, s:s, s:s}", "e", rec->entity, "t",
			      (json_int_t)rec->time_ns, "l", rec->level, "m", rec->module, "x",
			      "(output not valid UTF-8)");
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

	if (ls->ring_len == LOGSTORE_RING) {
		rr = &ls->ring[ls->ring_start];
		free(rr->entity);
		free(rr->level);
		free(rr->module);
		free(rr->message);
		ls->ring_start = (ls->ring_start + 1) % LOGSTORE_RING;
	} else {
		rr = &ls->ring[(ls->ring_start + ls->ring_len++) % LOGSTORE_RING];
	}
	rr->entity = xstrdup(rec->entity);
	rr->level = xstrdup(rec->level);
	rr->module = xstrdup(rec->module);
	rr->message = msg ? msg : xstrdup(rec->message);
	rr->time_ns = rec->time_ns;

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
		const char *paths[2];
		char *old = xasprintf("%s.1", ls->path);

		paths[0] = old;
		paths[1] = ls->path;
		for (int i = 0; i < 2; i++) {
			struct buf b = BUF_INIT;

			buf_init(&b);
			if (fs_read_file(paths[i], LOGSTORE_MAX_BYTES * 2, &b) == 0) {
				char *p = b.data;

				while (p && *p) {
					char *nl = strchr(p, '\n');

					if (nl)
						*nl = '\0';
					json_t *v = json_loads(p, 0, NULL);

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
			}
			buf_done(&b);
		}
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
