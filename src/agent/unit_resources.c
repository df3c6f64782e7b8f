/* unit_resources.c - a unit's local copies of its resources; see unit_resources.h. */
#include "agent/unit_resources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_internal.h"
#include "lib/fsutil.h"

/* One resource-get waiting for a fetch. */
struct res_waiter {
	struct hook_ctx *ctx;
	void (*done)(void *arg, const char *path, const char *error);
	void *arg;
	struct res_waiter *next;
};

/* One resource of the unit: its fetch in progress and who waits for it. */
struct res_copy {
	struct unit_resources *ur;
	char *name;
	struct fetch *fetch;      /* NULL when none runs */
	char fetch_fp[65];        /* the content being fetched */
	char *fetch_path;         /* where it goes: resources/<name>/<filename> */
	char *stage_path;         /* where it is fetched: resources/.incoming/<name>/<filename> */
	struct agent_timer *timer;
	struct res_waiter *waiters, **wtail;
};

struct unit_resources {
	struct unit *u;
	struct hmap copies;       /* name -> struct res_copy */
	json_t *state;            /* resources.json: {name: {"fingerprint", "path"}} */
};

static void res_dispatch(struct res_copy *rc, struct hook_ctx *ctx,
			 void (*done)(void *arg, const char *path, const char *error), void *arg);

static const char *jstr(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static char *state_path(struct unit *u)
{
	return xasprintf("%s/resources.json", u->dir);
}

static struct unit_resources *ur_get(struct unit *u)
{
	struct unit_resources *ur = u->resources;
	struct buf b = BUF_INIT;
	char *path;

	if (ur)
		return ur;
	ur = xcalloc(1, sizeof(*ur));
	ur->u = u;
	hmap_init(&ur->copies);
	path = state_path(u);
	buf_init(&b);
	if (fs_read_file(path, UNIT_RESOURCES_STATE_MAX, &b) == 0) {
		json_error_t je;

		ur->state = json_loadb(b.data, b.len, 0, &je);
		if (!json_is_object(ur->state)) {
			ulog(u, "WARNING", "%s is not valid: fetching resources again", path);
			json_decref(ur->state);
			ur->state = NULL;
		}
	}
	if (!ur->state)
		ur->state = json_object();
	buf_done(&b);
	free(path);
	u->resources = ur;
	return ur;
}

static void on_wait_timeout(void *arg);

static struct res_copy *copy_get(struct unit_resources *ur, const char *name)
{
	struct res_copy *rc = hmap_get(&ur->copies, name);
	struct agent *a = ur->u->a;

	if (rc)
		return rc;
	rc = xcalloc(1, sizeof(*rc));
	rc->ur = ur;
	rc->name = xstrdup(name);
	rc->wtail = &rc->waiters;
	rc->timer = a->io.timer_new(a->io.data, on_wait_timeout, rc);
	hmap_put(&ur->copies, rc->name, rc);
	return rc;
}

static void add_waiter(struct res_copy *rc, struct hook_ctx *ctx,
		       void (*done)(void *arg, const char *path, const char *error), void *arg)
{
	struct res_waiter *w = xcalloc(1, sizeof(*w));
	struct agent *a = rc->ur->u->a;

	w->ctx = ctx;
	w->done = done;
	w->arg = arg;
	*rc->wtail = w;
	rc->wtail = &w->next;
	if (!a->io.timer_armed(a->io.data, rc->timer))
		a->io.timer_arm(a->io.data, rc->timer, UNIT_RESOURCE_WAIT_MS);
}

/* Takes rc's waiters off it (the caller answers them). */
static struct res_waiter *take_waiters(struct res_copy *rc)
{
	struct res_waiter *w = rc->waiters;
	struct agent *a = rc->ur->u->a;

	rc->waiters = NULL;
	rc->wtail = &rc->waiters;
	a->io.timer_disarm(a->io.data, rc->timer);
	return w;
}

/* Answers every waiter of rc (those of ctx only, when ctx is not NULL) with error. */
static void fail_waiters(struct res_copy *rc, struct hook_ctx *ctx, const char *error)
{
	struct res_waiter *w = take_waiters(rc), *keep = NULL, **ktail = &keep, *n;

	for (; w; w = n) {
		n = w->next;
		if (ctx && w->ctx != ctx) {
			w->next = NULL;
			*ktail = w;
			ktail = &w->next;
			continue;
		}
		w->done(w->arg, NULL, error);
		free(w);
	}
	/* Those kept wait on (the timer restarts for them). */
	for (w = keep; w; w = n) {
		n = w->next;
		add_waiter(rc, w->ctx, w->done, w->arg);
		free(w);
	}
}

static void copy_free(struct res_copy *rc, const char *error)
{
	struct agent *a = rc->ur->u->a;

	fail_waiters(rc, NULL, error);
	if (rc->fetch && a->io.resource_cancel)
		a->io.resource_cancel(a->io.data, rc->fetch);
	a->io.timer_free(a->io.data, rc->timer);
	free(rc->fetch_path);
	free(rc->stage_path);
	free(rc->name);
	free(rc);
}

/* Records that path holds the content fp of resource name (best effort: a record lost only
 * costs a fetch again). */
static void state_put(struct unit_resources *ur, const char *name, const char *fp, const char *path)
{
	char *file = state_path(ur->u), *text;
	struct stat st;
	int r;

	/* Its modification time too: a file the charm rewrote in place is fetched again. */
	json_object_set_new(ur->state, name, json_pack("{s:s, s:s, s:I}", "fingerprint", fp, "path", path,
						       "mtime-ns", (json_int_t)(stat(path, &st) == 0 ? mtime_ns(&st) : -1)));
	text = json_dumps(ur->state, JSON_COMPACT | JSON_SORT_KEYS);
	r = text ? fs_write_atomic(file, text, strlen(text), 0600) : -ENOMEM;
	if (r < 0)
		ulog(ur->u, "WARNING", "cannot record resource \"%s\" in %s: %s", name, file, strerror(-r));
	free(text);
	free(file);
}

static void on_fetched(void *arg, const char *error)
{
	struct res_copy *rc = arg;
	struct unit_resources *ur = rc->ur;
	struct unit *u = ur->u;
	struct res_waiter *w, *n;
	char fp[65];

	rc->fetch = NULL;
	snprintf(fp, sizeof(fp), "%s", rc->fetch_fp);
	rc->fetch_fp[0] = '\0';
	if (error) {
		char msg[768];

		ulog(u, "WARNING", "cannot fetch resource \"%s\": %s", rc->name, error);
		snprintf(msg, sizeof(msg), "fetching resource \"%s\": %s", rc->name, error);
		fail_waiters(rc, NULL, msg);
	} else if (rename(rc->stage_path, rc->fetch_path) < 0) {
		char msg[768];

		snprintf(msg, sizeof(msg), "fetching resource \"%s\": cannot move it into place: rename %s %s: %s",
			 rc->name, rc->stage_path, rc->fetch_path, strerror(errno));
		ulog(u, "WARNING", "%s", msg);
		unlink(rc->stage_path);
		fail_waiters(rc, NULL, msg);
	} else {
		const char *old = json_string_value(json_object_get(json_object_get(ur->state, rc->name), "path"));

		/* A new revision may have another file name: the old file goes. */
		if (old && strcmp(old, rc->fetch_path))
			unlink(old);
		if (chmod(rc->fetch_path, 0644) < 0)
			ulog(u, "WARNING", "cannot chmod %s: %s", rc->fetch_path, strerror(errno));
		state_put(ur, rc->name, fp, rc->fetch_path);
		ulog(u, "INFO", "fetched resource \"%s\" (%.12s) to %s", rc->name, fp, rc->fetch_path);
		/* Each waiter looks again: the goal may have moved on meanwhile. */
		for (w = take_waiters(rc); w; w = n) {
			n = w->next;
			res_dispatch(rc, w->ctx, w->done, w->arg);
			free(w);
		}
	}
}

static void on_wait_timeout(void *arg)
{
	struct res_copy *rc = arg;
	struct agent *a = rc->ur->u->a;
	char msg[512];

	snprintf(msg, sizeof(msg), "fetching resource \"%s\": the controller did not send it within %d s",
		 rc->name, UNIT_RESOURCE_WAIT_MS / 1000);
	/* With the controller away the fetch is abandoned (nothing partial stays); while it is
	 * connected the fetch goes on, for the hook's next attempt. */
	if (rc->fetch && !a->link_up) {
		a->io.resource_cancel(a->io.data, rc->fetch);
		rc->fetch = NULL;
		rc->fetch_fp[0] = '\0';
	}
	fail_waiters(rc, NULL, msg);
}

/* The image details of an oci-image resource, as Juju writes them for the charm. */
static void answer_image(struct res_copy *rc, json_t *res, const char *dir,
			 void (*done)(void *arg, const char *path, const char *error), void *arg)
{
	const char *image = json_string_value(json_object_get(res, "image"));
	char *path = xasprintf("%s/content.yaml", dir), *text;
	char msg[600];
	int r;

	text = xasprintf("registrypath: '%s'\n", image ? image : "");
	r = fs_write_atomic(path, text, strlen(text), 0644);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "could not write resource \"%s\": %s", rc->name, strerror(-r));
		done(arg, NULL, msg);
	} else {
		done(arg, path, NULL);
	}
	free(text);
	free(path);
}

/* Answers one resource-get of rc now, or queues it behind a fetch (started as needed). */
static void res_dispatch(struct res_copy *rc, struct hook_ctx *ctx,
			 void (*done)(void *arg, const char *path, const char *error), void *arg)
{
	struct unit_resources *ur = rc->ur;
	struct unit *u = ur->u;
	struct agent *a = u->a;
	json_t *res = u->app ? json_object_get(u->app->resources, rc->name) : NULL;
	json_t *have = json_object_get(ur->state, rc->name);
	const char *type = json_string_value(json_object_get(res, "type"));
	const char *fp = json_string_value(json_object_get(res, "fingerprint"));
	const char *fn = json_string_value(json_object_get(res, "filename"));
	int64_t size = json_integer_value(json_object_get(res, "size"));
	char *dir = NULL, *path = NULL, *stage_dir = NULL, *stage = NULL;
	char msg[768];
	struct errbuf eb;
	struct stat st;
	int r;

	if (!res || !type || !fp) {
		snprintf(msg, sizeof(msg), "resource \"%s\" not found", rc->name);
		done(arg, NULL, msg);
		return;
	}
	dir = xasprintf("%s/resources/%s", u->dir, rc->name);
	r = fs_mkdir_p(dir, 0755);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "could not create resource dir: mkdir %s: %s", dir, strerror(-r));
		done(arg, NULL, msg);
		goto out;
	}
	if (!strcmp(type, "oci-image")) {
		answer_image(rc, res, dir, done, arg);
		goto out;
	}
	path = xasprintf("%s/%s", dir, fn && *fn ? fn : rc->name);
	/* The unit has this content already: answer at once. */
	if (!rc->fetch && have && !strcmp(jstr(json_object_get(have, "fingerprint")), fp) &&
	    !strcmp(jstr(json_object_get(have, "path")), path) && stat(path, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size == size &&
	    json_integer_value(json_object_get(have, "mtime-ns")) == mtime_ns(&st)) {
		done(arg, path, NULL);
		goto out;
	}
	if (rc->fetch) {
		/* One fetch at a time per resource: this call waits for it and then looks again
		 * (the one running may be of an older revision). */
		add_waiter(rc, ctx, done, arg);
		goto out;
	}
	if (!a->io.resource_fetch) {
		done(arg, NULL, "resources cannot be fetched on this machine");
		goto out;
	}
	/* Fetched beside the resource's directory, not in it: the charm never sees a partial
	 * file (or its .part) where its resource lives, and the file appears there whole, by
	 * rename (the same file system). */
	stage_dir = xasprintf("%s/resources/.incoming/%s", u->dir, rc->name);
	r = fs_mkdir_p(stage_dir, 0700);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "could not create resource dir: mkdir %s: %s", stage_dir, strerror(-r));
		done(arg, NULL, msg);
		goto out;
	}
	stage = xasprintf("%s/%s", stage_dir, fn && *fn ? fn : rc->name);
	errbuf_clear(&eb);
	r = a->io.resource_fetch(a->io.data, fp, size, stage, on_fetched, rc, &rc->fetch, &eb);
	if (r < 0) {
		rc->fetch = NULL;
		snprintf(msg, sizeof(msg), "fetching resource \"%s\": %s", rc->name, eb.msg);
		done(arg, NULL, msg);
		goto out;
	}
	snprintf(rc->fetch_fp, sizeof(rc->fetch_fp), "%s", fp);
	free(rc->fetch_path);
	rc->fetch_path = path;
	path = NULL;
	free(rc->stage_path);
	rc->stage_path = stage;
	stage = NULL;
	add_waiter(rc, ctx, done, arg);
out:
	free(stage);
	free(stage_dir);
	free(path);
	free(dir);
}

void unit_resource_get(struct hook_ctx *ctx, const char *name,
		       void (*done)(void *arg, const char *path, const char *error), void *arg)
{
	struct unit *u = ctx->agent;
	char msg[PROTO_NAME_MAX + 64];

	/* Names come from the charm's metadata, through the goal; "." and ".." would leave the
	 * resources directory. */
	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strlen(name) > PROTO_NAME_MAX || !json_object_get(u->app ? u->app->resources : NULL, name)) {
		snprintf(msg, sizeof(msg), "resource \"%.*s\" not found", PROTO_NAME_MAX, name ? name : "");
		done(arg, NULL, msg);
		return;
	}
	res_dispatch(copy_get(ur_get(u), name), ctx, done, arg);
}

void unit_resources_ctx_done(struct unit *u)
{
	if (!u->resources)
		return;
	for (struct hmap_iter it = hmap_iter(&u->resources->copies); hmap_next(&it);)
		fail_waiters(it.value, &u->ctx, "the hook has finished");
}

void unit_resources_free(struct unit *u)
{
	struct unit_resources *ur = u->resources;

	if (!ur)
		return;
	for (struct hmap_iter it = hmap_iter(&ur->copies); hmap_next(&it);) {
		struct res_copy *rc = it.value;

		hmap_iter_del(&it);
		copy_free(rc, "the unit is going away");
	}
	hmap_done(&ur->copies);
	json_decref(ur->state);
	free(ur);
	u->resources = NULL;
}
