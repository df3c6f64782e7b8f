/* charmcache.c - charm archives by digest, unpacking and installing off the loop; see
 * charmcache.h. */
#include "agent/charmcache.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "charm/charm.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/hmap.h"
#include "lib/worker.h"

enum entry_state { ENTRY_FETCHING, ENTRY_ARCHIVE, ENTRY_UNPACKING, ENTRY_READY };

struct entry {
	struct charmcache *c;
	char digest[65];
	enum entry_state state;
	int64_t size;
	/* Fetching. */
	int fd;
	int64_t offset;
	EVP_MD_CTX *md;
	bool requested;
	struct worker *unpack;
	int waiters;            /* installs that need this entry */
	bool forgotten;         /* no unit needs it: delete once nobody waits */
};

struct agent_install {
	struct charmcache *c;
	char *unit, *dir, *digest, *old_digest;
	int64_t size;
	void (*done)(void *arg, const char *error);
	void *arg;
	bool queued;            /* waiting for the install worker */
	bool in_worker;
	struct agent_install *next, *prev;
};

struct charmcache {
	struct loop *l;
	char *dir;
	int (*send)(void *data, const struct proto_msg *m);
	void *send_data;
	bool link_up;
	struct hmap entries;
	/* Every live install, oldest first: those in the worker lead, so a batch is found by
	 * skipping at most one batch (a scan of every install per request would make a deploy
	 * of n units cost n^2). */
	struct agent_install *ops, *ops_tail;
	bool install_scheduled;          /* try_install runs at the end of the iteration */
	struct worker *installer;
	struct agent_install **batch;    /* the installer's current batch */
	size_t n_batch;
	/* Tree removals: one worker at a time removes every tree queued before it started (a
	 * removal of 10,000 units costs a few forks, not 10,000). */
	struct worker *remover;
	char **rm_queue;                 /* renamed trees waiting for the next worker */
	size_t n_rm, cap_rm;
};

static char *archive_path(struct charmcache *c, const char *digest, const char *suffix)
{
	return xasprintf("%s/%s%s", c->dir, digest, suffix);
}

static void op_unlink(struct agent_install *op)
{
	struct charmcache *c = op->c;

	if (op->prev)
		op->prev->next = op->next;
	else
		c->ops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	else
		c->ops_tail = op->prev;
	op->next = op->prev = NULL;
}

static void op_free(struct agent_install *op)
{
	free(op->unit);
	free(op->dir);
	free(op->digest);
	free(op->old_digest);
	free(op);
}

static void release(struct charmcache *c, const char *digest);

/* Ends op with error (or success), releasing the entries it held. */
static void op_done(struct agent_install *op, const char *error)
{
	struct charmcache *c = op->c;

	op_unlink(op);
	release(c, op->digest);
	if (*op->old_digest)
		release(c, op->old_digest);
	op->done(op->arg, error);
	op_free(op);
}

static void try_install(struct charmcache *c);

static struct entry *entry_get(struct charmcache *c, const char *digest)
{
	return hmap_get(&c->entries, digest);
}

static void entry_drop(struct entry *e)
{
	struct charmcache *c = e->c;

	hmap_del(&c->entries, e->digest);
	if (e->fd >= 0)
		close(e->fd);
	EVP_MD_CTX_free(e->md);
	worker_cancel(e->unpack);
	free(e);
}

/* Fails every install waiting for e, and forgets e (the next install tries again). */
static void entry_fail(struct entry *e, const char *error)
{
	struct charmcache *c = e->c;
	char digest[65], msg[512];

	snprintf(digest, sizeof(digest), "%s", e->digest);
	snprintf(msg, sizeof(msg), "charm %.12s: %s", digest, error);
	{
		char *part = archive_path(c, digest, ".part");

		unlink(part);
		free(part);
	}
	entry_drop(e);
	/* The references the installs held on e died with it. */
	for (struct agent_install *op = c->ops, *n; op; op = n) {
		n = op->next;
		if (op->in_worker)
			continue;
		if (!strcmp(op->old_digest, digest)) {
			/* The old charm only serves to clean up: go on without it. */
			free(op->old_digest);
			op->old_digest = xstrdup("");
		}
		if (!strcmp(op->digest, digest))
			op_done(op, msg);
	}
	try_install(c);
}

/* ---- fetching ---- */

static void request(struct entry *e)
{
	struct charmcache *c = e->c;
	struct proto_msg m;
	int64_t left = e->size - e->offset;

	if (!c->link_up || e->requested || e->state != ENTRY_FETCHING)
		return;
	proto_msg_init(&m, PROTO_CHARM_GET);
	m.u.charm_get.digest = e->digest;
	m.u.charm_get.offset = e->offset;
	m.u.charm_get.length = left > PROTO_CHUNK_MAX ? PROTO_CHUNK_MAX : (left > 0 ? left : 1);
	if (c->send(c->send_data, &m) == 0)
		e->requested = true;
}

static void start_unpack(struct entry *e, bool from_part);

static void fetched(struct entry *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[65];

	EVP_DigestFinal_ex(e->md, md, &n);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
	if (strcmp(hex, e->digest)) {
		entry_fail(e, "the fetched archive does not match its digest");
		return;
	}
	if (close(e->fd) < 0) {
		e->fd = -1;
		entry_fail(e, "cannot keep the fetched archive");
		return;
	}
	e->fd = -1;
	/* The unpacking child flushes the archive to disk and renames it into place first: the
	 * loop does not wait for the disk. */
	e->state = ENTRY_ARCHIVE;
	start_unpack(e, true);
}

void charmcache_chunk(struct charmcache *c, const struct proto_charm_chunk *ch)
{
	struct entry *e = entry_get(c, ch->digest);
	struct buf data = BUF_INIT;

	if (!e || e->state != ENTRY_FETCHING || !e->requested)
		return;
	e->requested = false;
	if (ch->error) {
		entry_fail(e, ch->error);
		return;
	}
	if (ch->offset != e->offset || ch->size != e->size) {
		entry_fail(e, "the controller sent a chunk that does not fit");
		return;
	}
	buf_init(&data);
	if (proto_b64_decode(ch->data, PROTO_CHUNK_MAX, &data) < 0 ||
	    (int64_t)data.len > e->size - e->offset || (!data.len && e->offset < e->size)) {
		buf_done(&data);
		entry_fail(e, "the controller sent a malformed chunk");
		return;
	}
	for (size_t off = 0; off < data.len;) {
		ssize_t w = pwrite(e->fd, data.data + off, data.len - off, e->offset + (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			char msg[256];

			snprintf(msg, sizeof(msg), "cannot write the archive: %s", strerror(errno));
			buf_done(&data);
			entry_fail(e, msg);
			return;
		}
		off += (size_t)w;
	}
	EVP_DigestUpdate(e->md, data.data, data.len);
	e->offset += (int64_t)data.len;
	buf_done(&data);
	if (e->offset == e->size)
		fetched(e);
	else
		request(e);
}

void charmcache_link(struct charmcache *c, bool up)
{
	c->link_up = up;
	for (struct hmap_iter it = hmap_iter(&c->entries); hmap_next(&it);) {
		struct entry *e = it.value;

		e->requested = false; /* an answer still in flight is lost with the link */
		if (up)
			request(e);
	}
}

/* ---- unpacking ---- */

struct unpack_arg {
	char *archive, *tree, *tmp;
	char *part;   /* the fetched archive, to flush and rename to archive first; or NULL */
};

/* part, whole and checked: flushed to disk and renamed to archive. */
static int keep_archive(const char *part, const char *archive, struct errbuf *eb)
{
	int fd = open(part, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		errbuf_set(eb, "cannot keep the fetched archive: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(part);
		return -1;
	}
	close(fd);
	if (rename(part, archive) < 0) {
		errbuf_set(eb, "cannot keep the fetched archive: %s", strerror(errno));
		unlink(part);
		return -1;
	}
	return 0;
}

static json_t *unpack_fn(void *arg, struct errbuf *eb)
{
	struct unpack_arg *u = arg;

	if (u->part && keep_archive(u->part, u->archive, eb) < 0)
		return NULL;
	fs_rm_rf(u->tmp);
	if (charm_unzip(u->archive, u->tmp, eb) < 0)
		return NULL;
	fs_rm_rf(u->tree);
	if (rename(u->tmp, u->tree) < 0) {
		errbuf_set(eb, "cannot rename %s: %s", u->tmp, strerror(errno));
		fs_rm_rf(u->tmp);
		return NULL;
	}
	return json_object();
}

static void unpacked(void *data, json_t *result, const char *error)
{
	struct entry *e = data;

	(void)result;
	e->unpack = NULL;
	if (error) {
		entry_fail(e, error);
		return;
	}
	e->state = ENTRY_READY;
	try_install(e->c);
}

static void start_unpack(struct entry *e, bool from_part)
{
	struct charmcache *c = e->c;
	struct unpack_arg u = {
		.archive = archive_path(c, e->digest, ".charm"),
		.tree = archive_path(c, e->digest, ".d"),
		.tmp = archive_path(c, e->digest, ".d.tmp"),
		.part = from_part ? archive_path(c, e->digest, ".part") : NULL,
	};
	struct errbuf eb;

	e->state = ENTRY_UNPACKING;
	/* The child has its own copy of u: the parent frees it at once. */
	if (worker_start(c->l, unpack_fn, &u, unpacked, e, &e->unpack, &eb) < 0) {
		if (u.part)
			unlink(u.part);
		free(u.archive);
		free(u.tree);
		free(u.tmp);
		free(u.part);
		entry_fail(e, eb.msg);
		return;
	}
	free(u.archive);
	free(u.tree);
	free(u.tmp);
	free(u.part);
}

/* Makes sure the tree of digest is (or will be) there; takes a reference. */
static int acquire(struct charmcache *c, const char *digest, int64_t size, struct errbuf *eb)
{
	struct entry *e = entry_get(c, digest);
	char *tree, *archive, *part;
	struct stat st;

	if (e) {
		e->waiters++;
		e->forgotten = false;
		return 0;
	}
	tree = archive_path(c, digest, ".d");
	archive = archive_path(c, digest, ".charm");
	part = archive_path(c, digest, ".part");
	if (size <= 0 && stat(tree, &st) < 0 && stat(archive, &st) < 0) {
		/* Unknown size and nothing cached (an old revision): cannot fetch it. */
		errbuf_set(eb, "charm %.12s is not cached", digest);
		free(tree);
		free(archive);
		free(part);
		return -ENOENT;
	}
	e = xcalloc(1, sizeof(*e));
	e->c = c;
	e->fd = -1;
	snprintf(e->digest, sizeof(e->digest), "%s", digest);
	e->size = size;
	e->waiters = 1;
	hmap_put(&c->entries, e->digest, e);
	if (stat(tree, &st) == 0 && S_ISDIR(st.st_mode)) {
		e->state = ENTRY_READY;
	} else if (stat(archive, &st) == 0) {
		e->state = ENTRY_ARCHIVE;
		start_unpack(e, false);
	} else {
		e->state = ENTRY_FETCHING;
		e->md = EVP_MD_CTX_new();
		e->fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (e->fd < 0 || !e->md || !EVP_DigestInit_ex(e->md, EVP_sha256(), NULL)) {
			errbuf_set(eb, "cannot create %s: %s", part, strerror(errno));
			free(tree);
			free(archive);
			free(part);
			entry_drop(e);
			return -EIO;
		}
		request(e);
	}
	free(tree);
	free(archive);
	free(part);
	return 0;
}

static void delete_files(struct charmcache *c, const char *digest)
{
	char *a = archive_path(c, digest, ".charm"), *t = archive_path(c, digest, ".d");

	unlink(a);
	charmcache_remove_tree(c, t);
	free(a);
	free(t);
}

static void release(struct charmcache *c, const char *digest)
{
	struct entry *e = entry_get(c, digest);

	if (!e)
		return;
	if (--e->waiters > 0)
		return;
	if (e->forgotten) {
		char d[65];

		snprintf(d, sizeof(d), "%s", e->digest);
		entry_drop(e);
		delete_files(c, d);
	} else if (e->state == ENTRY_READY) {
		entry_drop(e); /* the files stay for the next install */
	}
}

void charmcache_forget(struct charmcache *c, const char *digest)
{
	struct entry *e = entry_get(c, digest);

	if (e && e->waiters > 0) {
		e->forgotten = true;
		return;
	}
	if (e)
		entry_drop(e);
	delete_files(c, digest);
}

/* ---- installing ---- */

struct install_job {
	char *unit, *tree, *dir, *old_tree;
};

struct install_arg {
	struct install_job *jobs;
	size_t n;
};

static json_t *install_fn(void *arg, struct errbuf *eb)
{
	struct install_arg *a = arg;
	json_t *res = json_object();

	(void)eb;
	for (size_t i = 0; i < a->n; i++) {
		struct errbuf e;

		errbuf_clear(&e);
		if (charm_install_files(a->jobs[i].tree, a->jobs[i].dir, a->jobs[i].old_tree, &e) < 0)
			json_object_set_new(res, a->jobs[i].unit, json_string(e.msg[0] ? e.msg : "failed"));
		else
			json_object_set_new(res, a->jobs[i].unit, json_null());
	}
	return res;
}

static bool op_ready(struct agent_install *op)
{
	struct entry *n = entry_get(op->c, op->digest);
	struct entry *o = *op->old_digest ? entry_get(op->c, op->old_digest) : NULL;

	return n && n->state == ENTRY_READY && (!*op->old_digest || (o && o->state == ENTRY_READY));
}

static void installed(void *data, json_t *result, const char *error)
{
	struct charmcache *c = data;
	struct agent_install **batch = c->batch;
	size_t n = c->n_batch;

	c->installer = NULL;
	c->batch = NULL;
	c->n_batch = 0;
	for (size_t i = 0; i < n; i++) {
		struct agent_install *op = batch[i];
		json_t *v = result ? json_object_get(result, op->unit) : NULL;

		if (!op) /* cancelled meanwhile */
			continue;
		op->in_worker = false;
		op_done(op, error ? error : json_is_string(v) ? json_string_value(v) : NULL);
	}
	free(batch);
	try_install(c);
}

static void try_install(struct charmcache *c)
{
	struct install_arg a = { NULL, 0 };
	struct hmap dirs = HMAP_INIT;
	struct errbuf eb;

	if (c->installer)
		return;
	c->batch = xcalloc(CHARMCACHE_BATCH_MAX, sizeof(*c->batch));
	a.jobs = xcalloc(CHARMCACHE_BATCH_MAX, sizeof(*a.jobs));
	hmap_init(&dirs);
	for (struct agent_install *op = c->ops; op && a.n < CHARMCACHE_BATCH_MAX; op = op->next) {
		if (op->in_worker || !op_ready(op))
			continue;
		/* Two installs into one unit directory never share a batch. */
		if (hmap_get(&dirs, op->dir))
			continue;
		hmap_put(&dirs, op->dir, op);
		a.jobs[a.n].unit = op->unit;
		a.jobs[a.n].tree = archive_path(c, op->digest, ".d");
		a.jobs[a.n].dir = op->dir;
		a.jobs[a.n].old_tree = *op->old_digest ? archive_path(c, op->old_digest, ".d") : NULL;
		c->batch[a.n] = op;
		op->in_worker = true;
		a.n++;
	}
	hmap_done(&dirs);
	if (a.n && worker_start(c->l, install_fn, &a, installed, c, &c->installer, &eb) < 0) {
		for (size_t i = 0; i < a.n; i++)
			c->batch[i]->in_worker = false;
		for (size_t i = 0; i < a.n; i++)
			op_done(c->batch[i], eb.msg);
		a.n = 0;
	}
	for (size_t i = 0; i < a.n; i++) {
		free(a.jobs[i].tree);
		free(a.jobs[i].old_tree);
	}
	free(a.jobs);
	if (!c->installer) {
		free(c->batch);
		c->batch = NULL;
		return;
	}
	c->n_batch = a.n;
}

static void try_install_deferred(void *data)
{
	struct charmcache *c = data;

	c->install_scheduled = false;
	try_install(c);
}

int charmcache_install(struct charmcache *c, const struct agent_install_req *req,
		       void (*done)(void *arg, const char *error), void *arg,
		       struct agent_install **ret, struct errbuf *eb)
{
	struct agent_install *op;

	if (!charm_valid_digest(req->digest)) {
		errbuf_set(eb, "no charm to install (digest \"%s\")", req->digest);
		return -EINVAL;
	}
	if (acquire(c, req->digest, req->size, eb) < 0)
		return -EIO;
	bool with_old = *req->old_digest && strcmp(req->old_digest, req->digest);
	struct errbuf oeb;

	/* Without the old tree the install still works; it only cannot remove files the new
	 * charm dropped. */
	if (with_old && acquire(c, req->old_digest, 0, &oeb) < 0)
		with_old = false;
	op = xcalloc(1, sizeof(*op));
	op->c = c;
	op->unit = xstrdup(req->unit);
	op->dir = xstrdup(req->dir);
	op->digest = xstrdup(req->digest);
	op->old_digest = xstrdup(with_old ? req->old_digest : "");
	op->size = req->size;
	op->done = done;
	op->arg = arg;
	op->prev = c->ops_tail;
	if (c->ops_tail)
		c->ops_tail->next = op;
	else
		c->ops = op;
	c->ops_tail = op;
	*ret = op;
	/* Never complete inside this call: let the loop run first (once for all the installs
	 * asked for in this iteration). */
	if (!c->install_scheduled) {
		c->install_scheduled = true;
		loop_defer(c->l, try_install_deferred, c);
	}
	return 0;
}

void charmcache_cancel(struct charmcache *c, struct agent_install *op)
{
	if (op->in_worker) {
		/* The worker keeps going; its result for op is dropped. */
		for (size_t i = 0; i < c->n_batch; i++)
			if (c->batch[i] == op)
				c->batch[i] = NULL;
	}
	op_unlink(op);
	release(c, op->digest);
	if (*op->old_digest)
		release(c, op->old_digest);
	op_free(op);
}

/* ---- tree removal ---- */

static json_t *rm_fn(void *arg, struct errbuf *eb)
{
	char **paths = arg;
	json_t *failed = json_array();

	(void)eb;
	for (size_t i = 0; paths[i]; i++)
		if (fs_rm_rf(paths[i]) < 0)
			json_array_append_new(failed, json_string(paths[i]));
	return json_pack("{s:o}", "failed", failed);
}

static void start_remover(struct charmcache *c);

static void rm_done(void *data, json_t *result, const char *error)
{
	struct charmcache *c = data;

	(void)result;
	(void)error; /* a tree left behind is only litter, renamed out of every unit's way */
	c->remover = NULL;
	start_remover(c);
}

static void start_remover(struct charmcache *c)
{
	struct errbuf eb;
	char **paths;

	if (c->remover || !c->n_rm)
		return;
	paths = xcalloc(c->n_rm + 1, sizeof(*paths));
	memcpy(paths, c->rm_queue, c->n_rm * sizeof(*paths));
	if (worker_start(c->l, rm_fn, paths, rm_done, c, &c->remover, &eb) < 0)
		c->remover = NULL;
	else
		c->n_rm = 0; /* the worker has its copy; ours go */
	for (size_t i = 0; !c->n_rm && paths[i]; i++)
		free(paths[i]);
	free(paths);
}

void charmcache_remove_tree(struct charmcache *c, const char *dir)
{
	char *tmp = xasprintf("%s.removing-%llu", dir, (unsigned long long)loop_now_ns());

	/* Rename first: the path is free at once, and a crash leaves only a stray tree. */
	if (rename(dir, tmp) < 0) {
		free(tmp);
		return;
	}
	if (c->n_rm == c->cap_rm) {
		c->cap_rm = c->cap_rm ? 2 * c->cap_rm : 64;
		c->rm_queue = xrealloc(c->rm_queue, c->cap_rm * sizeof(*c->rm_queue));
	}
	c->rm_queue[c->n_rm++] = tmp;
	start_remover(c);
}

/* ---- life ---- */

int charmcache_new(struct loop *l, const char *dir,
		   int (*send)(void *data, const struct proto_msg *m), void *send_data,
		   struct charmcache **ret, struct errbuf *eb)
{
	struct charmcache *c;
	int r = fs_mkdir_p(dir, 0700);

	if (r < 0) {
		errbuf_set(eb, "cannot create %s: %s", dir, strerror(-r));
		return r;
	}
	c = xcalloc(1, sizeof(*c));
	c->l = l;
	c->dir = xstrdup(dir);
	c->send = send;
	c->send_data = send_data;
	hmap_init(&c->entries);
	*ret = c;
	return 0;
}

void charmcache_set_send(struct charmcache *c, int (*send)(void *data, const struct proto_msg *m),
			void *send_data)
{
	c->send = send;
	c->send_data = send_data;
}

void charmcache_free(struct charmcache *c)
{
	if (!c)
		return;
	while (c->ops) {
		struct agent_install *op = c->ops;

		op_unlink(op);
		op_free(op);
	}
	worker_cancel(c->installer);
	free(c->batch);
	/* Removals finish (they are quick), so nothing is left half-deleted or unreaped. */
	worker_wait(c->remover);
	for (size_t i = 0; i < c->n_rm; i++) {
		fs_rm_rf(c->rm_queue[i]);
		free(c->rm_queue[i]);
	}
	free(c->rm_queue);
	for (struct hmap_iter it = hmap_iter(&c->entries); hmap_next(&it);) {
		struct entry *e = it.value;

		hmap_iter_del(&it);
		if (e->fd >= 0)
			close(e->fd);
		EVP_MD_CTX_free(e->md);
		worker_cancel(e->unpack);
		free(e);
	}
	hmap_done(&c->entries);
	free(c->dir);
	free(c);
}
