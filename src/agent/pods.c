/* pods.c - the machine agent's pods: runtime, images by content, unit pods; see pods.h.
 *
 * Images.  struct img is one manifest digest some unit pod wants (or still runs): PRESENT in
 * the store, FETCHING its content, IMPORTING it, or FAILED (tried again after
 * PODS_IMAGE_RETRY_MS while wanted).  Each container holds a reference on the image it
 * should run and on the one it runs; an image at zero references is removed from the store
 * (kept when a root filesystem of it is still held, and tried again at the next sweep).
 *
 * Unit pods.  A unitpod asks the pod module for its pod once its runtime is open and every
 * image it wants is present; its state follows from that and from the pod's events (one
 * function, derive_state).  A removed pod (destroy, a container set that changed, a network
 * that failed) is freed on POD_EV_REMOVED; a destroyed unitpod lives on, invisible to its
 * owner, until then. */
#include "agent/pods.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/hmap.h"
#include "lib/log.h"
#include "pod/pod.h"

enum img_state { IMG_PRESENT, IMG_FETCHING, IMG_IMPORTING, IMG_FAILED };

struct img {
	struct pods *ps;
	char digest[IMAGE_DIGEST_MAX];
	char fingerprint[65];
	int64_t size;
	enum img_state state;
	char error[512];
	unsigned refs;
	struct fetch *fetch;
	struct image_req *import;
	struct loop_timer *retry;
	char *tar;                 /* <store>/incoming/<fingerprint>.tar */
};

struct upc {
	char *name;
	struct img *want;          /* the image the container should run (a reference) */
	struct img *run;           /* the image it was started with (a reference), or NULL */
	struct unitpod_mount *mounts;
	size_t n_mounts;
	bool ready;                /* it answered with a boot id since its last start */
	bool restart_due;          /* unitpod_restart asked, waiting for the wanted image */
	unsigned fails;            /* start failures in a row */
	struct loop_timer *timer;  /* restart after an exit or a failure */
	struct unitpod *p;
};

struct unitpod {
	struct pods *ps;
	char *unit, *id, *dir, *storage_dir;
	struct unitpod_container *spec;  /* what the owner wants (deep copy) */
	size_t n_spec;
	struct upc *ctrs;          /* instantiated from spec once the runtime is open */
	size_t n;
	struct pod *pod;
	bool net_up;
	char address[64];
	bool broken;
	char broken_msg[1024];
	unsigned net_fails;
	bool removing;             /* pod_remove asked; POD_EV_REMOVED will follow */
	bool destroyed;            /* the owner is gone: removal, then freed */
	bool owner_remove;         /* the owner asked unitpod_remove: GONE once removed */
	bool gc_counted;           /* counted off the start-up adoption set */
	enum unitpod_state reported;
	bool reported_once;
	char reported_msg[1100];
	struct loop_timer *timer;  /* start retry */
	void (*state_cb)(void *data, enum unitpod_state s, const struct unitpod_info *info, const char *msg);
	void (*ready_cb)(void *data, const char *container, const char *boot_id);
	void (*log_cb)(void *data, const char *level, const char *message);
	void *data;
};

struct pods {
	struct loop *l;
	char *machine_dir, *store_dir, *conf_path, *incoming_dir, *orphans_dir, *scree_path;
	struct fetcher *fetcher;
	struct pod_runtime *rt;
	char open_error[512];
	char prefix[16], bridge[16], network[32], subnet[32];
	struct hmap imgs;          /* digest -> struct img */
	struct hmap pods;          /* id -> struct unitpod: the live ones */
	struct hmap dying;         /* id -> struct unitpod: destroyed, being removed */
	struct hmap adopt;         /* ids found on disk at open, not yet adopted (key = value) */
	bool gc_done;
	void (*drain_cb)(void *arg);
	void *drain_arg;
	bool draining, net_removing;
	struct loop_timer *drain_timer;
};

static void derive_state(struct unitpod *p);
static void try_start(struct unitpod *p);
static void img_sweep(struct pods *ps);

/* ---- logging ---- */

static void plog(struct unitpod *p, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void plog(struct unitpod *p, const char *level, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (p->log_cb && !p->destroyed)
		p->log_cb(p->data, level, b.data);
	else
		logf_(!strcmp(level, "ERROR") ? LOG_ERROR : !strcmp(level, "WARNING") ? LOG_WARN : LOG_INFO,
		      "pod %s: %s", p->id, b.data);
	buf_done(&b);
}

/* ---- ids ---- */

void pods_id_of(const char *unit, char *out, size_t n)
{
	const char *slash = strchr(unit, '/');
	size_t alen = slash ? (size_t)(slash - unit) : strlen(unit);
	const char *num = slash ? slash + 1 : "0";
	uint32_t h = 2166136261u;
	char app[POD_ID_MAX + 1];
	size_t k = 0;

	for (const char *c = unit; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	for (size_t i = 0; i < alen && k < sizeof(app) - 1; i++) {
		char c = unit[i];

		app[k++] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? c : '-';
	}
	app[k] = '\0';
	if (alen + 1 + strlen(num) <= POD_ID_MAX && k == alen) {
		snprintf(out, n, "%s-%s", app, num);
		return;
	}
	/* Too long: a prefix of the name, a hash of the whole unit name, the number. */
	int keep = (int)(POD_ID_MAX - 1 - 8 - 1 - (int)strlen(num));

	if (keep < 1)
		keep = 1;
	snprintf(out, n, "%.*s-%08x-%.8s", keep, app, h, num);
}

/* ---- the runtime ---- */

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Whether net/24 overlaps a route of the host (main table, /proc/net/route). */
static bool subnet_in_use(uint32_t net)
{
	struct buf b = BUF_INIT;
	bool used = false;
	char *line, *save = NULL;

	buf_init(&b);
	if (fs_read_file("/proc/net/route", 1 << 20, &b) < 0) {
		buf_done(&b);
		return false;
	}
	for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char ifname[64];
		unsigned dst, gw, flags, mask;

		if (sscanf(line, "%63s %x %x %x %*d %*d %*d %x", ifname, &dst, &gw, &flags, &mask) != 5)
			continue;
		uint32_t d = ntohl(dst), m = ntohl(mask), ours = 0xffffff00u;
		uint32_t common = m & ours;

		if (m == 0)
			continue; /* the default route overlaps everything and means nothing here */
		if ((d & common) == (net & common))
			used = true;
	}
	buf_done(&b);
	return used;
}

/* Reads or creates <machine dir>/pods.json. */
static int load_conf(struct pods *ps, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	json_t *v = NULL;
	int r = 0;

	buf_init(&b);
	if (fs_read_file(ps->conf_path, 65536, &b) == 0)
		v = json_loadb(b.data, b.len, 0, NULL);
	buf_done(&b);
	if (v) {
		const char *keys[] = { "prefix", "bridge", "network", "subnet" };
		char *dst[] = { ps->prefix, ps->bridge, ps->network, ps->subnet };
		size_t sz[] = { sizeof(ps->prefix), sizeof(ps->bridge), sizeof(ps->network), sizeof(ps->subnet) };

		for (size_t i = 0; i < 4; i++) {
			const char *s = json_string_value(json_object_get(v, keys[i]));

			if (!s || strlen(s) >= sz[i]) {
				json_decref(v);
				return errbuf_set(eb, "%s: field \"%s\" is missing or too long", ps->conf_path, keys[i]),
				       -EINVAL;
			}
			snprintf(dst[i], sz[i], "%s", s);
		}
		json_decref(v);
		return 0;
	}
	/* First use: names from the machine directory, a /24 no route uses. */
	uint32_t h = hash_str(ps->machine_dir) & 0xffffff, pick = 0;

	snprintf(ps->prefix, sizeof(ps->prefix), "c%06x-", h);
	snprintf(ps->bridge, sizeof(ps->bridge), "cairn%06x", h);
	snprintf(ps->network, sizeof(ps->network), "cairn-%06x", h);
	for (int i = 0; i < 512 && !pick; i++) {
		uint32_t rnd;

		if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			rnd = h * 2654435761u + (uint32_t)i;
		uint32_t net = (10u << 24) | ((100u + rnd % 150u) << 16) | (((rnd >> 8) & 0xff) << 8);

		if (!subnet_in_use(net))
			pick = net;
	}
	if (!pick)
		return errbuf_set(eb, "no free /24 for the pod network in 10.100.0.0-10.249.255.255"), -EADDRINUSE;
	snprintf(ps->subnet, sizeof(ps->subnet), "%u.%u.%u.0/24", pick >> 24, (pick >> 16) & 0xff, (pick >> 8) & 0xff);
	v = json_pack("{s:s, s:s, s:s, s:s}", "prefix", ps->prefix, "bridge", ps->bridge, "network", ps->network,
		      "subnet", ps->subnet);
	char *text = json_dumps(v, JSON_INDENT(2));

	r = fs_write_atomic(ps->conf_path, text, strlen(text), 0644);
	if (r < 0)
		errbuf_set(eb, "cannot write %s: %s", ps->conf_path, strerror(-r));
	free(text);
	json_decref(v);
	return r;
}

static int open_runtime(struct pods *ps, struct errbuf *eb)
{
	struct pod_runtime_opts o;
	DIR *d;
	struct dirent *de;
	int r;

	if (ps->rt)
		return 0;
	if (!ps->scree_path)
		return errbuf_set(eb, "no static scree to inject into containers"), -ENOENT;
	if ((r = load_conf(ps, eb)) < 0)
		return r;
	memset(&o, 0, sizeof(o));
	o.store_dir = ps->store_dir;
	o.scree_path = ps->scree_path;
	o.prefix = ps->prefix;
	o.network = ps->network;
	o.bridge = ps->bridge;
	o.subnet = ps->subnet;
	r = pod_runtime_new(ps->l, &o, &ps->rt, eb);
	if (r < 0)
		return r;
	fs_mkdir_p(ps->incoming_dir, 0700);
	/* Stale partial fetches and imports of an earlier agent. */
	d = opendir(ps->incoming_dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", ps->incoming_dir, de->d_name);

		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	/* Pods an earlier agent left: root filesystems are collected once all are adopted. */
	char *pdir = xasprintf("%s/pods", ps->store_dir);

	d = opendir(pdir);
	while (d && (de = readdir(d))) {
		/* Pods with a handle already count too: none has taken its references yet. */
		if (de->d_name[0] == '.')
			continue;
		char *id = xstrdup(de->d_name);

		hmap_put(&ps->adopt, id, id);
	}
	if (d)
		closedir(d);
	free(pdir);
	if (ps->adopt.n == 0) {
		pod_runtime_gc(ps->rt);
		ps->gc_done = true;
	}
	log_info("pod runtime open: network %s, bridge %s, subnet %s", ps->network, ps->bridge, ps->subnet);
	return 0;
}

/* An id of the start-up set is adopted (or gone): collect once none is left. */
static void adopted(struct pods *ps, const char *id)
{
	char *k = hmap_del(&ps->adopt, id);

	free(k);
	if (!ps->gc_done && ps->rt && ps->adopt.n == 0) {
		ps->gc_done = true;
		pod_runtime_gc(ps->rt);
	}
}

/* ---- images ---- */

/* Frees g (already off the map). */
static void img_free(struct img *g)
{
	fetch_cancel(g->fetch);
	image_req_cancel(g->import);
	loop_timer_free(g->retry);
	if (g->tar) {
		unlink(g->tar);
		free(g->tar);
	}
	free(g);
}

static void img_start(struct img *g);

/* Every live pod waiting for g looks again. */
static void img_changed(struct img *g)
{
	struct pods *ps = g->ps;

	for (struct hmap_iter it = hmap_iter(&ps->pods); hmap_next(&it);) {
		struct unitpod *p = it.value;

		for (size_t i = 0; i < p->n; i++)
			if (p->ctrs[i].want == g) {
				try_start(p);
				break;
			}
	}
}

static void img_failed(struct img *g, const char *msg)
{
	g->state = IMG_FAILED;
	snprintf(g->error, sizeof(g->error), "%s", msg);
	log_warn("image %.19s: %s (trying again in %d s)", g->digest, msg, PODS_IMAGE_RETRY_MS / 1000);
	if (g->tar)
		unlink(g->tar);
	loop_timer_arm_in(g->retry, PODS_IMAGE_RETRY_MS);
	img_changed(g);
}

static void on_img_imported(void *data, int status, const struct image *img, const char *msg)
{
	struct img *g = data;
	char m[700];

	g->import = NULL;
	unlink(g->tar);
	if (status < 0) {
		snprintf(m, sizeof(m), "cannot import the image: %s", msg ? msg : "failed");
		img_failed(g, m);
		return;
	}
	if (strcmp(img->digest, g->digest)) {
		snprintf(m, sizeof(m), "the resource holds image %s, not %s", img->digest, g->digest);
		img_failed(g, m);
		return;
	}
	g->state = IMG_PRESENT;
	g->error[0] = '\0';
	img_changed(g);
}

static void on_img_fetched(void *arg, const char *error)
{
	struct img *g = arg;
	struct errbuf eb;
	char m[700];

	g->fetch = NULL;
	if (error) {
		snprintf(m, sizeof(m), "cannot fetch the resource: %s", error);
		img_failed(g, m);
		return;
	}
	g->state = IMG_IMPORTING;
	if (image_import(pod_runtime_images(g->ps->rt), g->tar, on_img_imported, g, &g->import, &eb) < 0) {
		snprintf(m, sizeof(m), "cannot import the image: %s", eb.msg);
		img_failed(g, m);
	}
}

static void img_start(struct img *g)
{
	struct pods *ps = g->ps;
	struct errbuf eb;
	char m[700];

	if (image_store_get(pod_runtime_images(ps->rt), g->digest)) {
		g->state = IMG_PRESENT;
		return;
	}
	if (!g->fingerprint[0]) {
		img_failed(g, "no resource content names this image");
		return;
	}
	free(g->tar);
	g->tar = xasprintf("%s/%s.tar", ps->incoming_dir, g->fingerprint);
	g->state = IMG_FETCHING;
	if (fetch_start(ps->fetcher, g->fingerprint, g->size, g->tar, on_img_fetched, g, &g->fetch, &eb) < 0) {
		snprintf(m, sizeof(m), "cannot fetch the resource: %s", eb.msg);
		img_failed(g, m);
	}
}

static void on_img_retry(struct loop_timer *t, void *data)
{
	struct img *g = data;

	(void)t;
	if (g->state == IMG_FAILED && g->refs)
		img_start(g);
	img_changed(g);
}

/* The goal names g again (a resource attached again, perhaps with new content): a failed
 * image is tried at once rather than at its next retry. */
static void img_retry_now(struct img *g, const struct unitpod_container *c)
{
	if (g->state != IMG_FAILED)
		return;
	if (c->fingerprint && *c->fingerprint) {
		snprintf(g->fingerprint, sizeof(g->fingerprint), "%s", c->fingerprint);
		g->size = c->size;
	}
	loop_timer_disarm(g->retry);
	img_start(g);
}

/* A reference on the image of c (created, and its fetch started, as needed).  The runtime is
 * open. */
static struct img *img_ref(struct pods *ps, const struct unitpod_container *c)
{
	struct img *g = hmap_get(&ps->imgs, c->image);

	if (!g) {
		g = xcalloc(1, sizeof(*g));
		g->ps = ps;
		snprintf(g->digest, sizeof(g->digest), "%s", c->image);
		snprintf(g->fingerprint, sizeof(g->fingerprint), "%s", c->fingerprint ? c->fingerprint : "");
		g->size = c->size;
		g->retry = loop_timer_new(ps->l, on_img_retry, g);
		hmap_put(&ps->imgs, g->digest, g);
		img_start(g);
	} else {
		img_retry_now(g, c);
	}
	g->refs++;
	return g;
}

static void img_unref(struct img *g)
{
	if (g && g->refs)
		g->refs--;
}

/* Removes images nobody refers to (an image whose root filesystem a container still holds
 * stays until the next sweep). */
static void img_sweep(struct pods *ps)
{
	if (!ps->rt)
		return;
	for (struct hmap_iter it = hmap_iter(&ps->imgs); hmap_next(&it);) {
		struct img *g = it.value;
		struct errbuf eb;

		if (g->refs)
			continue;
		if (g->state == IMG_PRESENT && image_store_get(pod_runtime_images(ps->rt), g->digest) &&
		    image_store_remove(pod_runtime_images(ps->rt), g->digest, &eb) == -EBUSY)
			continue;
		hmap_iter_del(&it);
		img_free(g);
	}
}

/* ---- unit pods ---- */

static void spec_free(struct unitpod_container *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)c[i].name);
		free((char *)c[i].image);
		free((char *)c[i].fingerprint);
		for (size_t k = 0; k < c[i].n_mounts; k++) {
			free((char *)c[i].mounts[k].storage);
			free((char *)c[i].mounts[k].location);
		}
		free((void *)c[i].mounts);
	}
	free(c);
}

static struct unitpod_container *spec_copy(const struct unitpod_container *c, size_t n)
{
	struct unitpod_container *out = xcalloc(n + 1, sizeof(*out));

	for (size_t i = 0; i < n; i++) {
		struct unitpod_mount *m = xcalloc(c[i].n_mounts + 1, sizeof(*m));

		out[i].name = xstrdup(c[i].name);
		out[i].image = xstrdup(c[i].image);
		out[i].fingerprint = c[i].fingerprint ? xstrdup(c[i].fingerprint) : NULL;
		out[i].size = c[i].size;
		for (size_t k = 0; k < c[i].n_mounts && k < PODS_MOUNTS_MAX; k++) {
			m[k].storage = xstrdup(c[i].mounts[k].storage);
			m[k].location = xstrdup(c[i].mounts[k].location);
			out[i].n_mounts++;
		}
		out[i].mounts = m;
	}
	return out;
}

static void upc_done(struct upc *c)
{
	img_unref(c->want);
	img_unref(c->run);
	loop_timer_free(c->timer);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free((char *)c->mounts[i].storage);
		free((char *)c->mounts[i].location);
	}
	free(c->mounts);
	free(c->name);
	memset(c, 0, sizeof(*c));
}

static void on_upc_timer(struct loop_timer *t, void *data);

static void upc_init(struct unitpod *p, struct upc *c, const struct unitpod_container *s)
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->name = xstrdup(s->name);
	c->want = img_ref(p->ps, s);
	c->mounts = xcalloc(s->n_mounts + 1, sizeof(*c->mounts));
	for (size_t i = 0; i < s->n_mounts && i < PODS_MOUNTS_MAX; i++) {
		c->mounts[i].storage = xstrdup(s->mounts[i].storage);
		c->mounts[i].location = xstrdup(s->mounts[i].location);
		c->n_mounts++;
	}
	c->timer = loop_timer_new(p->ps->l, on_upc_timer, c);
}

static void free_ctrs(struct unitpod *p)
{
	for (size_t i = 0; i < p->n; i++)
		upc_done(&p->ctrs[i]);
	free(p->ctrs);
	p->ctrs = NULL;
	p->n = 0;
}

static void unitpod_free(struct unitpod *p)
{
	struct pods *ps = p->ps;

	hmap_del(p->destroyed ? &ps->dying : &ps->pods, p->id);
	free_ctrs(p);
	spec_free(p->spec, p->n_spec);
	loop_timer_free(p->timer);
	free(p->unit);
	free(p->id);
	free(p->dir);
	free(p->storage_dir);
	free(p);
	img_sweep(ps);
}

static struct upc *find_ctr(struct unitpod *p, const char *name)
{
	for (size_t i = 0; name && i < p->n; i++)
		if (!strcmp(p->ctrs[i].name, name))
			return &p->ctrs[i];
	return NULL;
}

static void check_drain(struct pods *ps);

static void report(struct unitpod *p, enum unitpod_state s, const char *msg)
{
	struct unitpod_info info = { .address = p->address, .cidr = p->ps->subnet, .netns = NULL };

	if (p->destroyed || !p->state_cb)
		return;
	if (p->reported_once && p->reported == s && !strcmp(p->reported_msg, msg ? msg : ""))
		return;
	p->reported = s;
	p->reported_once = true;
	snprintf(p->reported_msg, sizeof(p->reported_msg), "%s", msg ? msg : "");
	if (s == UNITPOD_UP)
		info.netns = pod_netns_path(p->pod);
	p->state_cb(p->data, s, s == UNITPOD_UP ? &info : NULL, msg);
}

/* The state p is in, and why (for WAITING and BROKEN). */
static enum unitpod_state compute_state(const struct unitpod *p, char *msg, size_t n)
{
	const struct img *missing = NULL;

	msg[0] = '\0';
	if (p->owner_remove)
		return p->pod ? UNITPOD_STARTING : UNITPOD_GONE;
	for (size_t i = 0; i < p->n && !missing; i++)
		if (p->ctrs[i].want && p->ctrs[i].want->state != IMG_PRESENT)
			missing = p->ctrs[i].want;
	if (p->broken) {
		snprintf(msg, n, "%s", p->broken_msg);
		return UNITPOD_BROKEN;
	}
	if (!p->ctrs || missing) {
		if (missing && missing->state == IMG_FAILED)
			snprintf(msg, n, "waiting for resource: %s", missing->error);
		else
			snprintf(msg, n, "waiting for resource");
		return UNITPOD_WAITING;
	}
	if (!p->pod || !p->net_up || p->removing)
		return UNITPOD_STARTING;
	return UNITPOD_UP;
}

static void derive_state(struct unitpod *p)
{
	char msg[1100];
	enum unitpod_state s = compute_state(p, msg, sizeof(msg));

	report(p, s, msg[0] ? msg : NULL);
}

static void on_pod_event(void *data, struct pod *pod, const struct pod_event *ev);

static void arm_retry(struct unitpod *p, unsigned *fails, struct loop_timer *t)
{
	uint64_t d = PODS_START_RETRY_MIN_MS;

	for (unsigned i = 0; i < *fails && d < PODS_START_RETRY_MAX_MS; i++)
		d *= 2;
	if (d > PODS_START_RETRY_MAX_MS)
		d = PODS_START_RETRY_MAX_MS;
	(*fails)++;
	loop_timer_arm_in(t, d);
	(void)p;
}

/* Restarts c now (with the image it should run when that is there). */
static void restart_now(struct unitpod *p, struct upc *c)
{
	const char *image = c->want && c->want->state == IMG_PRESENT ? c->want->digest : NULL;
	struct errbuf eb;

	if (!p->pod || p->removing)
		return;
	if (pod_container_restart(p->pod, c->name, image, &eb) < 0) {
		plog(p, "ERROR", "container %s: cannot restart: %s", c->name, eb.msg);
		return;
	}
	c->ready = false;
	if (image && c->run != c->want) {
		img_unref(c->run);
		c->run = c->want;
		c->run->refs++;
	}
	if (image)
		c->restart_due = false;
}

static void on_upc_timer(struct loop_timer *t, void *data)
{
	struct upc *c = data;

	(void)t;
	restart_now(c->p, c);
}

static int build_specs(struct unitpod *p, struct pod_container_spec *specs, struct bundle_mount (*mounts)[PODS_MOUNTS_MAX],
		       struct errbuf *eb)
{
	for (size_t i = 0; i < p->n; i++) {
		struct upc *c = &p->ctrs[i];

		memset(&specs[i], 0, sizeof(specs[i]));
		specs[i].name = c->name;
		specs[i].image = c->want->digest;
		for (size_t k = 0; k < c->n_mounts; k++) {
			char *src = xasprintf("%s/%s", p->storage_dir, c->mounts[k].storage);
			int r = fs_mkdir_p(src, 0755);

			/* Writable by whoever the image runs as, as a Kubernetes emptyDir is. */
			if (r == 0 && chmod(src, 0777) < 0)
				r = -errno;
			if (r < 0) {
				errbuf_set(eb, "cannot create %s: %s", src, strerror(-r));
				free(src);
				return r;
			}
			free(src);
			mounts[i][k].target = c->mounts[k].location;
			mounts[i][k].readonly = false;
		}
		specs[i].mounts = mounts[i];
		specs[i].n_mounts = c->n_mounts;
	}
	return 0;
}

static void on_start_retry(struct loop_timer *t, void *data)
{
	struct unitpod *p = data;

	(void)t;
	p->broken = false;
	try_start(p);
}

/* Moves p on as far as it can: runtime, images, pod, due restarts. */
static void try_start(struct unitpod *p)
{
	struct pods *ps = p->ps;
	struct errbuf eb;

	if (p->destroyed || p->owner_remove) {
		derive_state(p);
		return;
	}
	if (hmap_get(&ps->dying, p->id)) {
		derive_state(p); /* an earlier pod of that name goes first */
		return;
	}
	if (!ps->rt) {
		if (open_runtime(ps, &eb) < 0) {
			snprintf(ps->open_error, sizeof(ps->open_error), "%s", eb.msg);
			p->broken = true;
			snprintf(p->broken_msg, sizeof(p->broken_msg), "cannot run containers: %s", eb.msg);
			plog(p, "ERROR", "%s", p->broken_msg);
			arm_retry(p, &p->net_fails, p->timer);
			derive_state(p);
			return;
		}
	}
	if (!p->ctrs) {
		p->ctrs = xcalloc(p->n_spec, sizeof(*p->ctrs));
		p->n = p->n_spec;
		for (size_t i = 0; i < p->n; i++)
			upc_init(p, &p->ctrs[i], &p->spec[i]);
	}
	for (size_t i = 0; i < p->n; i++)
		if (p->ctrs[i].want->state != IMG_PRESENT) {
			derive_state(p);
			return;
		}
	if (!p->pod && !p->removing && !p->broken) {
		struct pod_container_spec specs[POD_CONTAINERS_MAX];
		struct bundle_mount (*mounts)[PODS_MOUNTS_MAX] = xcalloc(p->n + 1, sizeof(*mounts));
		char *paths[POD_CONTAINERS_MAX][PODS_MOUNTS_MAX];
		struct pod_opts o = { .id = p->id, .dir = p->dir, .hostname = p->id, .containers = specs,
				      .n_containers = p->n, .event = on_pod_event, .data = p };
		int r = p->n > POD_CONTAINERS_MAX ? (errbuf_set(&eb, "more than %d containers", POD_CONTAINERS_MAX), -EINVAL)
						  : 0;

		memset(paths, 0, sizeof(paths));
		if (r == 0)
			r = build_specs(p, specs, mounts, &eb);
		for (size_t i = 0; r == 0 && i < p->n; i++)
			for (size_t k = 0; k < p->ctrs[i].n_mounts; k++)
				mounts[i][k].source = paths[i][k] =
					xasprintf("%s/%s", p->storage_dir, p->ctrs[i].mounts[k].storage);
		if (r == 0)
			r = pod_start(ps->rt, &o, &p->pod, &eb);
		for (size_t i = 0; i < p->n && i < POD_CONTAINERS_MAX; i++)
			for (size_t k = 0; k < PODS_MOUNTS_MAX; k++)
				free(paths[i][k]);
		free(mounts);
		if (r < 0) {
			p->pod = NULL;
			p->broken = true;
			snprintf(p->broken_msg, sizeof(p->broken_msg), "cannot start the pod: %s", eb.msg);
			plog(p, "ERROR", "%s", p->broken_msg);
			arm_retry(p, &p->net_fails, p->timer);
			derive_state(p);
			return;
		}
		p->net_up = false;
		for (size_t i = 0; i < p->n; i++) {
			struct upc *c = &p->ctrs[i];

			c->ready = false;
			c->restart_due = false;
			img_unref(c->run);
			c->run = c->want;
			c->run->refs++;
		}
	}
	for (size_t i = 0; p->pod && i < p->n; i++)
		if (p->ctrs[i].restart_due)
			restart_now(p, &p->ctrs[i]);
	derive_state(p);
}

/* The pod is to go (destroyed, replaced, or its network failed). */
static void remove_pod(struct unitpod *p)
{
	if (!p->pod || p->removing)
		return;
	p->removing = true;
	pod_remove(p->pod);
}

static void on_pod_event(void *data, struct pod *pod, const struct pod_event *ev)
{
	struct unitpod *p = data;
	struct pods *ps = p->ps;
	struct upc *c = find_ctr(p, ev->container);

	switch (ev->kind) {
	case POD_EV_NETWORK:
		snprintf(p->address, sizeof(p->address), "%s", ev->address ? ev->address : "");
		p->net_up = true;
		p->net_fails = 0;
		plog(p, "INFO", "pod %s is up at %s", p->id, p->address);
		break;
	case POD_EV_READY:
		if (!c)
			break;
		c->ready = true;
		c->fails = 0;
		if (!p->destroyed && p->ready_cb)
			p->ready_cb(p->data, c->name, ev->boot_id);
		if (!p->gc_counted) {
			bool all = true;

			for (size_t i = 0; i < p->n; i++)
				all = all && p->ctrs[i].ready;
			if (all) {
				p->gc_counted = true;
				adopted(ps, p->id);
			}
		}
		img_sweep(ps); /* an image the container ran before may be unused now */
		break;
	case POD_EV_EXITED:
		if (!c)
			break;
		c->ready = false;
		if (!p->removing) {
			plog(p, "WARNING", "container %s exited%s%s; restarting it", c->name, ev->error ? ": " : "",
			     ev->error ? ev->error : "");
			loop_timer_arm_in(c->timer, PODS_RESTART_DELAY_MS);
		}
		break;
	case POD_EV_FAILED:
		if (!c) {
			/* The network: remove what there is and try again later. */
			p->broken = true;
			snprintf(p->broken_msg, sizeof(p->broken_msg), "the pod network failed: %s",
				 ev->error ? ev->error : "?");
			plog(p, "ERROR", "%s", p->broken_msg);
			remove_pod(p);
			break;
		}
		c->ready = false;
		plog(p, "ERROR", "container %s failed to start: %s", c->name, ev->error ? ev->error : "?");
		if (!p->removing)
			arm_retry(p, &c->fails, c->timer);
		break;
	case POD_EV_REMOVED:
		if (ev->error)
			plog(p, "WARNING", "pod %s removed with trouble: %s", p->id, ev->error);
		pod_free(pod);
		p->pod = NULL;
		p->removing = false;
		p->net_up = false;
		if (p->destroyed) {
			struct unitpod *next;

			adopted(ps, p->id);
			next = hmap_get(&ps->pods, p->id);
			unitpod_free(p);
			if (next)
				try_start(next); /* the same unit (name) again: it waited for this one */
			check_drain(ps);
			return;
		}
		if (p->owner_remove)
			adopted(ps, p->id);
		else if (p->broken)
			arm_retry(p, &p->net_fails, p->timer);
		else
			try_start(p); /* replaced: the new container set starts now */
		break;
	default:
		break;
	}
	derive_state(p);
}

int unitpod_start(struct pods *ps, const struct unitpod_opts *o, struct unitpod **ret, struct errbuf *eb)
{
	struct unitpod *p;
	char id[POD_ID_MAX + 1];

	if (!o->unit || !o->dir || o->dir[0] != '/' || !o->storage_dir)
		return errbuf_set(eb, "unit pod: unit, dir and storage dir are required"), -EINVAL;
	if (o->n_containers == 0 || o->n_containers > POD_CONTAINERS_MAX)
		return errbuf_set(eb, "unit pod: 1 to %d containers", POD_CONTAINERS_MAX), -EINVAL;
	for (size_t i = 0; i < o->n_containers; i++)
		if (!o->containers[i].name || !o->containers[i].image)
			return errbuf_set(eb, "unit pod: container without a name or an image"), -EINVAL;
	pods_id_of(o->unit, id, sizeof(id));
	if (hmap_get(&ps->pods, id))
		return errbuf_set(eb, "pod %s exists already", id), -EEXIST;
	p = xcalloc(1, sizeof(*p));
	p->ps = ps;
	p->unit = xstrdup(o->unit);
	p->id = xstrdup(id);
	p->dir = xstrdup(o->dir);
	p->storage_dir = xstrdup(o->storage_dir);
	p->state_cb = o->state;
	p->ready_cb = o->ready;
	p->log_cb = o->log;
	p->data = o->data;
	p->timer = loop_timer_new(ps->l, on_start_retry, p);
	hmap_put(&ps->pods, p->id, p);
	p->spec = spec_copy(o->containers, o->n_containers);
	p->n_spec = o->n_containers;
	*ret = p;
	/* From the loop: callbacks never run inside this call. */
	loop_timer_arm_in(p->timer, 0);
	return 0;
}

/* Whether c and the current containers name the same set, in any order. */
static bool same_set(const struct unitpod *p, const struct unitpod_container *c, size_t n)
{
	if (n != p->n)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t k = 0; k < p->n && !found; k++)
			found = !strcmp(p->ctrs[k].name, c[i].name);
		if (!found)
			return false;
	}
	return true;
}

/* The answer of unitpod_update, recorded as reported so the callback does not repeat it. */
static enum unitpod_state answer(struct unitpod *p)
{
	char msg[1100];
	enum unitpod_state s = compute_state(p, msg, sizeof(msg));

	p->reported = s;
	p->reported_once = true;
	snprintf(p->reported_msg, sizeof(p->reported_msg), "%s", msg);
	/* The rest (a pod to start, a restart that was waiting for an image) from the loop. */
	loop_timer_arm_in(p->timer, 0);
	return s;
}

enum unitpod_state unitpod_update(struct unitpod *p, const struct unitpod_container *c, size_t n)
{
	struct pods *ps = p->ps;

	if (p->destroyed || n == 0 || n > POD_CONTAINERS_MAX)
		return p->reported;
	spec_free(p->spec, p->n_spec);
	p->spec = spec_copy(c, n);
	p->n_spec = n;
	c = p->spec;
	if (!p->ctrs)
		return answer(p); /* try_start instantiates the newest spec */
	if (!same_set(p, c, n)) {
		/* Another set of containers: a new pod, as Kubernetes replaces one. */
		struct upc *old = p->ctrs;
		size_t old_n = p->n;

		p->ctrs = xcalloc(n, sizeof(*p->ctrs));
		p->n = n;
		for (size_t i = 0; i < n; i++)
			upc_init(p, &p->ctrs[i], &c[i]);
		/* The old containers keep their images referenced until the pod is gone: a
		 * running container's image is not deleted under it. */
		for (size_t i = 0; i < old_n; i++)
			if (old[i].run && p->pod)
				for (size_t k = 0; k < n; k++)
					if (!strcmp(p->ctrs[k].name, old[i].name) && !p->ctrs[k].run) {
						p->ctrs[k].run = old[i].run;
						old[i].run = NULL;
					}
		for (size_t i = 0; i < old_n; i++)
			upc_done(&old[i]);
		free(old);
		if (p->pod) {
			plog(p, "INFO", "pod %s: its containers changed; replacing it", p->id);
			remove_pod(p);
		}
		return answer(p);
	}
	for (size_t i = 0; i < n; i++) {
		struct upc *u = find_ctr(p, c[i].name);

		if (u->want && !strcmp(u->want->digest, c[i].image)) {
			img_retry_now(u->want, &c[i]);
			continue;
		}
		img_unref(u->want);
		u->want = img_ref(ps, &c[i]);
	}
	img_sweep(ps);
	return answer(p);
}

void unitpod_restart(struct unitpod *p, const char *name)
{
	struct upc *c = find_ctr(p, name);

	if (!c || p->destroyed)
		return;
	c->restart_due = true;
	if (p->pod && c->want && c->want->state == IMG_PRESENT)
		restart_now(p, c);
}

bool unitpod_settled(const struct unitpod *p, const char *name)
{
	for (size_t i = 0; name && i < p->n; i++)
		if (!strcmp(p->ctrs[i].name, name))
			return p->net_up && p->ctrs[i].ready && !p->removing;
	return false;
}

void unitpod_remove(struct unitpod *p)
{
	if (!p || p->destroyed || p->owner_remove)
		return;
	p->owner_remove = true;
	loop_timer_disarm(p->timer);
	for (size_t i = 0; i < p->n; i++)
		loop_timer_disarm(p->ctrs[i].timer);
	if (p->pod)
		remove_pod(p);
	else
		loop_timer_arm_in(p->timer, 0); /* GONE from the loop (try_start reports it) */
}

void unitpod_destroy(struct unitpod *p)
{
	if (!p)
		return;
	hmap_del(&p->ps->pods, p->id);
	p->destroyed = true;
	loop_timer_disarm(p->timer);
	for (size_t i = 0; i < p->n; i++) {
		loop_timer_disarm(p->ctrs[i].timer);
		/* What it wants no longer matters; what it runs goes with the pod. */
		img_unref(p->ctrs[i].want);
		p->ctrs[i].want = NULL;
	}
	if (p->pod) {
		hmap_put(&p->ps->dying, p->id, p);
		remove_pod(p);
		return;
	}
	adopted(p->ps, p->id);
	unitpod_free(p);
}

void unitpod_detach(struct unitpod *p)
{
	if (!p)
		return;
	if (p->pod)
		pod_detach(p->pod);
	p->pod = NULL;
	unitpod_free(p);
}

/* The containers of a pod on disk: each bundle directory with the image it was started
 * from (state.json), as the pod module records it. */
static size_t disk_containers(struct pods *ps, const char *id, struct unitpod_container *out, char names[][64],
			      char images[][IMAGE_DIGEST_MAX])
{
	char *dir = xasprintf("%s/pods/%s", ps->store_dir, id);
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)) && n < POD_CONTAINERS_MAX) {
		char *state;
		struct buf b = BUF_INIT;
		json_t *v = NULL;
		const char *img;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= 64)
			continue;
		state = xasprintf("%s/%s/state.json", dir, de->d_name);
		buf_init(&b);
		if (fs_read_file(state, 4096, &b) == 0)
			v = json_loadb(b.data, b.len, 0, NULL);
		img = json_string_value(json_object_get(v, "image"));
		if (img && image_digest_valid(img) && image_store_get(pod_runtime_images(ps->rt), img)) {
			snprintf(names[n], 64, "%s", de->d_name);
			snprintf(images[n], IMAGE_DIGEST_MAX, "%s", img);
			memset(&out[n], 0, sizeof(out[n]));
			out[n].name = names[n];
			out[n].image = images[n];
			n++;
		} else if (img) {
			log_warn("pod %s: container %s ran image %.19s, which is gone: it cannot be removed cleanly", id,
				 de->d_name, img);
		}
		json_decref(v);
		buf_done(&b);
		free(state);
	}
	if (d)
		closedir(d);
	free(dir);
	return n;
}

void pods_remove_unit(struct pods *ps, const char *unit)
{
	struct unitpod_container specs[POD_CONTAINERS_MAX];
	char names[POD_CONTAINERS_MAX][64], images[POD_CONTAINERS_MAX][IMAGE_DIGEST_MAX];
	struct pod_container_spec pspecs[POD_CONTAINERS_MAX];
	char id[POD_ID_MAX + 1], *rdir;
	struct pod_opts po;
	struct unitpod *p;
	struct stat st;
	struct errbuf eb;
	size_t n;

	pods_id_of(unit, id, sizeof(id));
	if (hmap_get(&ps->pods, id) || hmap_get(&ps->dying, id))
		return; /* it has a handle, or is being removed already */
	rdir = xasprintf("%s/pods/%s", ps->store_dir, id);
	if (stat(rdir, &st) < 0) {
		free(rdir);
		return;
	}
	free(rdir);
	if (!ps->rt && open_runtime(ps, &eb) < 0) {
		log_error("pod %s: cannot remove it: %s", id, eb.msg);
		return;
	}
	log_info("pod %s: removing what an earlier agent left of unit %s", id, unit);
	n = disk_containers(ps, id, specs, names, images);
	/* Its volumes are scratch: the unit's own directory goes by itself. */
	p = xcalloc(1, sizeof(*p));
	p->ps = ps;
	p->unit = xstrdup(unit);
	p->id = xstrdup(id);
	p->dir = xasprintf("%s/%s", ps->orphans_dir, id);
	p->storage_dir = xasprintf("%s/%s/storage", ps->orphans_dir, id);
	p->destroyed = true;
	p->timer = loop_timer_new(ps->l, on_start_retry, p);
	hmap_put(&ps->dying, p->id, p);
	memset(pspecs, 0, sizeof(pspecs));
	for (size_t i = 0; i < n; i++) {
		pspecs[i].name = specs[i].name;
		pspecs[i].image = specs[i].image;
	}
	memset(&po, 0, sizeof(po));
	po.id = id;
	po.dir = p->dir;
	po.containers = pspecs;
	po.n_containers = n;
	po.event = on_pod_event;
	po.data = p;
	if (pod_start(ps->rt, &po, &p->pod, &eb) < 0) {
		log_error("pod %s: cannot remove it: %s", id, eb.msg);
		p->pod = NULL;
		adopted(ps, id);
		unitpod_free(p);
		return;
	}
	remove_pod(p);
}

/* ---- the agent ---- */

struct pods *pods_new(struct loop *l, const struct pods_opts *o)
{
	struct pods *ps = xcalloc(1, sizeof(*ps));

	ps->l = l;
	ps->machine_dir = xstrdup(o->machine_dir);
	ps->store_dir = xasprintf("%s/pods", o->machine_dir);
	ps->conf_path = xasprintf("%s/pods.json", o->machine_dir);
	ps->incoming_dir = xasprintf("%s/pods/incoming", o->machine_dir);
	ps->orphans_dir = xasprintf("%s/pods/orphans", o->machine_dir);
	ps->scree_path = o->scree_path ? xstrdup(o->scree_path) : NULL;
	ps->fetcher = o->fetcher;
	hmap_init(&ps->imgs);
	hmap_init(&ps->pods);
	hmap_init(&ps->dying);
	hmap_init(&ps->adopt);
	return ps;
}

void pods_free(struct pods *ps)
{
	if (!ps)
		return;
	while (ps->pods.n) {
		struct hmap_iter it = hmap_iter(&ps->pods);

		hmap_next(&it);
		unitpod_detach(it.value);
	}
	while (ps->dying.n) {
		struct hmap_iter it = hmap_iter(&ps->dying);

		hmap_next(&it);
		unitpod_detach(it.value);
	}
	for (struct hmap_iter it = hmap_iter(&ps->imgs); hmap_next(&it);) {
		struct img *g = it.value;

		hmap_iter_del(&it);
		/* A partial fetch is dropped; a complete one the next agent imports again. */
		img_free(g);
	}
	for (struct hmap_iter it = hmap_iter(&ps->adopt); hmap_next(&it);)
		free(it.value);
	hmap_done(&ps->imgs);
	hmap_done(&ps->pods);
	hmap_done(&ps->dying);
	hmap_done(&ps->adopt);
	loop_timer_free(ps->drain_timer);
	pod_runtime_free(ps->rt);
	free(ps->machine_dir);
	free(ps->store_dir);
	free(ps->conf_path);
	free(ps->incoming_dir);
	free(ps->orphans_dir);
	free(ps->scree_path);
	free(ps);
}

static void drain_finish(struct pods *ps)
{
	void (*cb)(void *) = ps->drain_cb;

	ps->drain_cb = NULL;
	ps->draining = false;
	if (cb)
		cb(ps->drain_arg);
}

static void on_network_removed(void *data, int status, const char *msg)
{
	struct pods *ps = data;

	ps->net_removing = false;
	if (status < 0)
		log_warn("cannot remove the pod network: %s", msg ? msg : "?");
	drain_finish(ps);
}

static void on_store_idle(void *data)
{
	check_drain(data);
}

static void check_drain(struct pods *ps)
{
	struct errbuf eb;

	if (!ps->draining || ps->net_removing || ps->pods.n || ps->dying.n)
		return;
	if (!ps->rt) {
		drain_finish(ps);
		return;
	}
	img_sweep(ps);
	if (image_store_pending(pod_runtime_images(ps->rt)))
		return; /* on_store_idle comes back */
	ps->net_removing = true;
	if (pod_runtime_remove_network(ps->rt, on_network_removed, ps, &eb) < 0) {
		ps->net_removing = false;
		log_warn("cannot remove the pod network: %s", eb.msg);
		drain_finish(ps);
	}
}

static void on_drain_timer(struct loop_timer *t, void *data)
{
	(void)t;
	check_drain(data);
}

void pods_drain(struct pods *ps, void (*done)(void *arg), void *arg)
{
	ps->drain_cb = done;
	ps->drain_arg = arg;
	ps->draining = true;
	if (ps->rt)
		image_store_set_idle_cb(pod_runtime_images(ps->rt), on_store_idle, ps);
	if (!ps->drain_timer)
		ps->drain_timer = loop_timer_new(ps->l, on_drain_timer, ps);
	loop_timer_arm_in(ps->drain_timer, 0); /* never from inside this call */
}
