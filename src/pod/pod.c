/* pod.c - the pod runtime and pods: network first, then the containers' machines, and
 * removal in the reverse order; see pod.h.
 *
 * A pod's own states: ATTACHING (netns + CNI ADD) -> UP -> STOPPING (every container
 * removing) -> DETACHING (CNI DEL, netns delete) -> GONE; NET_FAILED when the network could
 * not be set up (only removal leaves it). */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "pod_internal.h"
#include "podname.h"

static const char *const event_names[_POD_EV_MAX] = {
	[POD_EV_NETWORK] = "network", [POD_EV_READY] = "ready",     [POD_EV_EXITED] = "exited",
	[POD_EV_FAILED] = "failed",   [POD_EV_REMOVED] = "removed",
};

const char *pod_event_name(enum pod_event_kind k)
{
	return k < _POD_EV_MAX ? event_names[k] : "unknown";
}

/* ---- runtime ---- */

/* The scree goes into images that have no C library of their own: it must be static. */
static int check_static(const char *path, struct errbuf *eb)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0) {
		r = -errno;
		errbuf_set(eb, "scree binary %s: %s", path, strerror(-r));
		return r;
	}
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256) {
		r = (errbuf_set(eb, "scree binary %s is not a 64-bit ELF executable", path), -ENOEXEC);
		goto out;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph)) {
			r = (errbuf_set(eb, "scree binary %s: truncated program headers", path), -ENOEXEC);
			goto out;
		}
		if (ph.p_type == PT_INTERP) {
			errbuf_set(eb,
				   "scree binary %s is dynamically linked; containers need the static build "
				   "(install libc6-dev, libjansson-dev, libyaml-dev and libhttp-parser-dev, which "
				   "ship the static libraries, and rebuild)",
				   path);
			r = -ENOEXEC;
			goto out;
		}
	}
out:
	close(fd);
	return r;
}

int pod_runtime_new(struct loop *l, const struct pod_runtime_opts *o, struct pod_runtime **ret,
		    struct errbuf *eb)
{
	struct pod_runtime *rt;
	const char *prefix = o->prefix ? o->prefix : "cairn-";
	char *ipam, *conflist;
	int r;

	if (!o->store_dir || o->store_dir[0] != '/')
		return errbuf_set(eb, "pod store directory must be an absolute path"), -EINVAL;
	if (!podname_ok(prefix, POD_PREFIX_MAX, PODNAME_LOWER))
		return errbuf_set(eb, "name prefix \"%s\" is invalid ([a-z0-9-], at most %d)", prefix, POD_PREFIX_MAX),
		       -EINVAL;
	if (!o->scree_path || o->scree_path[0] != '/')
		return errbuf_set(eb, "scree path must be absolute"), -EINVAL;
	r = check_static(o->scree_path, eb);
	if (r < 0)
		return r;
	rt = xcalloc(1, sizeof(*rt));
	rt->l = l;
	rt->store_dir = xstrdup(o->store_dir);
	rt->pods_dir = xasprintf("%s/pods", o->store_dir);
	rt->net_dir = xasprintf("%s/net", o->store_dir);
	rt->scree_path = xstrdup(o->scree_path);
	rt->prefix = xstrdup(prefix);
	rt->runc.bin = xstrdup(o->runc ? o->runc : "runc");
	rt->runc.root = xasprintf("%s/runc", o->store_dir);
	{
		const char *dirs[] = { rt->pods_dir, rt->net_dir, rt->runc.root };

		for (size_t i = 0; i < 3; i++) {
			r = fs_mkdir_p(dirs[i], 0700);
			if (r < 0) {
				errbuf_set(eb, "cannot create %s: %s", dirs[i], strerror(-r));
				goto fail;
			}
		}
	}
	struct image_store_opts io = {
		.dir = o->store_dir, .skopeo = o->skopeo, .umoci = o->umoci, .tar = o->tar, .rm = o->rm,
	};
	r = image_store_open(l, &io, &rt->images, eb);
	if (r < 0)
		goto fail;
	ipam = xasprintf("%s/ipam", rt->net_dir);
	conflist = xasprintf("%s/%s.conflist", rt->net_dir, o->network ? o->network : "cairn");
	struct cni_net_opts no = {
		.name = o->network ? o->network : "cairn", .bridge = o->bridge, .subnet = o->subnet, .ipam_dir = ipam,
	};
	r = podnet_init(&rt->net, &no, o->cni_dir ? o->cni_dir : "/usr/lib/cni", o->ip ? o->ip : "ip", conflist, eb);
	free(ipam);
	free(conflist);
	if (r < 0)
		goto fail;
	*ret = rt;
	return 0;
fail:
	pod_runtime_free(rt);
	return r;
}

void pod_runtime_free(struct pod_runtime *rt)
{
	if (!rt)
		return;
	while (rt->pods)
		pod_detach(rt->pods);
	podnet_cancel(rt->net_req);
	image_store_free(rt->images);
	podnet_done(&rt->net);
	free(rt->store_dir);
	free(rt->pods_dir);
	free(rt->net_dir);
	free(rt->scree_path);
	free(rt->prefix);
	free(rt->runc.bin);
	free(rt->runc.root);
	free(rt);
}

struct image_store *pod_runtime_images(struct pod_runtime *rt)
{
	return rt->images;
}

void pod_runtime_gc(struct pod_runtime *rt)
{
	image_store_gc(rt->images);
}

static void on_network_removed(void *data, int status, const struct cni_result *res, const char *msg)
{
	struct pod_runtime *rt = data;
	char *ipam = xasprintf("%s/ipam", rt->net_dir);

	(void)res;
	rt->net_req = NULL;
	if (status == 0)
		image_store_discard(rt->images, ipam);
	free(ipam);
	rt->net_cb(rt->net_data, status, msg);
}

int pod_runtime_remove_network(struct pod_runtime *rt, void (*cb)(void *data, int status, const char *msg),
			       void *data, struct errbuf *eb)
{
	DIR *d;
	struct dirent *de;
	bool empty = true;

	if (rt->net_req)
		return errbuf_set(eb, "the network is already being removed"), -EALREADY;
	d = opendir(rt->pods_dir);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			empty = false;
	if (d)
		closedir(d);
	if (rt->pods || !empty)
		return errbuf_set(eb, "pods remain on the network"), -EBUSY;
	rt->net_cb = cb;
	rt->net_data = data;
	return podnet_destroy(rt->l, &rt->net, on_network_removed, rt, &rt->net_req, eb);
}

/* ---- pods ---- */

void pod_emit(struct pod *p, const struct pod_event *ev)
{
	if (p->event)
		p->event(p->data, p, ev);
}

void pod_note_remove_error(struct pod *p, int status, const char *msg)
{
	if (p->remove_requested && p->remove_status == 0) {
		p->remove_status = status ? status : -EIO;
		snprintf(p->remove_msg, sizeof(p->remove_msg), "%s", msg);
	}
}

static void emit_simple(struct pod *p, enum pod_event_kind k, const char *error)
{
	struct pod_event ev = { .kind = k, .error = error && *error ? error : NULL };

	if (k == POD_EV_NETWORK)
		ev.address = p->address;
	pod_emit(p, &ev);
}

static void on_detached(void *data, int status, const struct cni_result *res, const char *msg)
{
	struct pod *p = data;

	(void)res;
	p->net_req = NULL;
	if (status < 0)
		pod_note_remove_error(p, status, msg);
	image_store_discard(p->rt->images, p->run_dir);
	for (size_t i = 0; i < p->n_ctrs; i++) {
		char *vol = xasprintf("%s/%s", p->dir, container_name(p->ctrs[i]));

		image_store_discard(p->rt->images, vol);
		free(vol);
	}
	rmdir(p->dir); /* only when nothing else of the caller's is in it */
	p->state = POD_GONE;
	emit_simple(p, POD_EV_REMOVED, p->remove_status ? p->remove_msg : NULL);
}

static void detach_network(struct pod *p)
{
	struct errbuf eb;

	p->state = POD_DETACHING;
	if (podnet_detach(p->rt->l, &p->rt->net, p->netns_name, p->net_result, on_detached, p, &p->net_req, &eb) < 0)
		on_detached(p, -EINVAL, NULL, eb.msg);
}

void pod_container_gone(struct pod *p, struct container *c)
{
	(void)c;
	for (size_t i = 0; i < p->n_ctrs; i++)
		if (!container_is_gone(p->ctrs[i]))
			return;
	if (p->state == POD_STOPPING)
		detach_network(p);
}

static void on_pod_timer(struct loop_timer *t, void *data)
{
	struct pod *p = data;

	(void)t;
	if (p->state == POD_STOPPING)
		pod_container_gone(p, NULL);
}

static void begin_removal(struct pod *p)
{
	p->state = POD_STOPPING;
	for (size_t i = 0; i < p->n_ctrs; i++)
		container_remove(p->ctrs[i]);
	/* With no container (or all gone already) the network goes next, from the loop. */
	loop_timer_arm_in(p->timer, 0);
}

static int write_small(const char *path, const char *text, struct errbuf *eb)
{
	int r = fs_write_atomic(path, text, strlen(text), 0644);

	if (r < 0)
		errbuf_set(eb, "cannot write %s: %s", path, strerror(-r));
	return r;
}

static void on_attached(void *data, int status, const struct cni_result *res, const char *msg)
{
	struct pod *p = data;
	struct errbuf eb;
	char *hosts;

	p->net_req = NULL;
	if (status < 0) {
		p->state = POD_NET_FAILED;
		if (p->remove_requested)
			begin_removal(p);
		else
			emit_simple(p, POD_EV_FAILED, msg);
		return;
	}
	snprintf(p->address, sizeof(p->address), "%s", res->address);
	hosts = xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n", p->address,
			  p->hostname);
	status = write_small(p->hosts_path, hosts, &eb);
	free(hosts);
	if (status == 0) {
		char *hn = xasprintf("%s\n", p->hostname);

		status = write_small(p->hostname_path, hn, &eb);
		free(hn);
	}
	if (status < 0) {
		p->state = POD_NET_FAILED;
		if (p->remove_requested)
			begin_removal(p);
		else
			emit_simple(p, POD_EV_FAILED, eb.msg);
		return;
	}
	p->state = POD_UP;
	if (p->remove_requested) {
		begin_removal(p);
		return;
	}
	emit_simple(p, POD_EV_NETWORK, NULL);
	for (size_t i = 0; i < p->n_ctrs && !p->remove_requested; i++)
		container_begin(p->ctrs[i]);
}

static struct pod *find_pod(struct pod_runtime *rt, const char *id)
{
	for (struct pod *p = rt->pods; p; p = p->next)
		if (strcmp(p->id, id) == 0)
			return p;
	return NULL;
}

static void pod_release(struct pod *p)
{
	for (struct pod **pp = &p->rt->pods; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	podnet_cancel(p->net_req);
	loop_timer_free(p->timer);
	for (size_t i = 0; i < p->n_ctrs; i++)
		container_free(p->ctrs[i]);
	free(p->ctrs);
	free(p->id);
	free(p->dir);
	free(p->hostname);
	free(p->run_dir);
	free(p->netns_name);
	free(p->netns_path);
	free(p->net_result);
	free(p->hosts_path);
	free(p->hostname_path);
	free(p);
}

static int by_name(const void *a, const void *b)
{
	const struct pod_container_spec *x = *(const struct pod_container_spec *const *)a;
	const struct pod_container_spec *y = *(const struct pod_container_spec *const *)b;

	return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

int pod_start(struct pod_runtime *rt, const struct pod_opts *o, struct pod **ret, struct errbuf *eb)
{
	const struct pod_container_spec *sorted[POD_CONTAINERS_MAX];
	struct pod *p;
	int r;

	if (!podname_ok(o->id, POD_ID_MAX, PODNAME_LOWER))
		return errbuf_set(eb, "pod id \"%s\" is invalid ([a-z0-9-], at most %d)", o->id ? o->id : "", POD_ID_MAX),
		       -EINVAL;
	if (!o->dir || o->dir[0] != '/')
		return errbuf_set(eb, "pod %s: volume directory must be an absolute path", o->id), -EINVAL;
	if (o->n_containers > POD_CONTAINERS_MAX)
		return errbuf_set(eb, "pod %s: more than %d containers", o->id, POD_CONTAINERS_MAX), -EINVAL;
	if (find_pod(rt, o->id))
		return errbuf_set(eb, "pod %s is already attached", o->id), -EEXIST;
	for (size_t i = 0; i < o->n_containers; i++)
		sorted[i] = &o->containers[i];
	qsort(sorted, o->n_containers, sizeof(sorted[0]), by_name);
	for (size_t i = 1; i < o->n_containers; i++)
		if (sorted[i]->name && sorted[i - 1]->name && strcmp(sorted[i]->name, sorted[i - 1]->name) == 0)
			return errbuf_set(eb, "pod %s: container %s given twice", o->id, sorted[i]->name), -EINVAL;

	p = xcalloc(1, sizeof(*p));
	p->rt = rt;
	p->id = xstrdup(o->id);
	p->dir = xstrdup(o->dir);
	p->hostname = xstrdup(o->hostname ? o->hostname : o->id);
	p->run_dir = xasprintf("%s/%s", rt->pods_dir, o->id);
	p->netns_name = xasprintf("%s%s", rt->prefix, o->id);
	p->netns_path = xasprintf("%s/%s", PODNET_NETNS_DIR, p->netns_name);
	p->net_result = xasprintf("%s/net.json", p->run_dir);
	p->hosts_path = xasprintf("%s/hosts", p->run_dir);
	p->hostname_path = xasprintf("%s/hostname", p->run_dir);
	p->event = o->event;
	p->data = o->data;
	p->timer = loop_timer_new(rt->l, on_pod_timer, p);
	p->next = rt->pods;
	rt->pods = p;
	p->ctrs = xcalloc(o->n_containers + 1, sizeof(*p->ctrs));
	for (size_t i = 0; i < o->n_containers; i++) {
		p->ctrs[i] = container_new(p, sorted[i], i, eb);
		if (!p->ctrs[i]) {
			errbuf_wrap(eb, "pod %s", o->id);
			r = -EINVAL;
			goto fail;
		}
		p->n_ctrs++;
	}
	if ((r = fs_mkdir_p(p->run_dir, 0700)) < 0 || (r = fs_mkdir_p(p->dir, 0755)) < 0) {
		errbuf_set(eb, "pod %s: cannot create its directories: %s", o->id, strerror(-r));
		goto fail;
	}
	for (size_t i = 0; i < p->n_ctrs; i++) {
		r = container_make_volume(p->ctrs[i], eb);
		if (r < 0)
			goto fail;
	}
	p->state = POD_ATTACHING;
	r = podnet_attach(rt->l, &rt->net, p->netns_name, p->net_result, on_attached, p, &p->net_req, eb);
	if (r < 0)
		goto fail;
	*ret = p;
	return 0;
fail:
	pod_release(p);
	return r;
}

static struct container *find_container(const struct pod *p, const char *name)
{
	for (size_t i = 0; name && i < p->n_ctrs; i++)
		if (strcmp(container_name(p->ctrs[i]), name) == 0)
			return p->ctrs[i];
	return NULL;
}

int pod_container_restart(struct pod *p, const char *name, const char *image, struct errbuf *eb)
{
	struct container *c = find_container(p, name);

	if (!c)
		return errbuf_set(eb, "pod %s has no container %s", p->id, name ? name : ""), -ENOENT;
	if (p->remove_requested)
		return errbuf_set(eb, "pod %s is being removed", p->id), -ESHUTDOWN;
	return container_restart(c, image, eb);
}

void pod_remove(struct pod *p)
{
	if (p->remove_requested)
		return;
	p->remove_requested = true;
	switch (p->state) {
	case POD_UP:
	case POD_NET_FAILED:
		begin_removal(p);
		break;
	default:
		break; /* ATTACHING: on_attached goes on with the removal */
	}
}

void pod_detach(struct pod *p)
{
	if (p)
		pod_release(p);
}

void pod_free(struct pod *p)
{
	if (p)
		pod_release(p);
}

const char *pod_address(const struct pod *p)
{
	return p->address;
}

const char *pod_id(const struct pod *p)
{
	return p->id;
}

const char *pod_netns_path(const struct pod *p)
{
	return p->netns_path;
}

const char *pod_container_runc_id(const struct pod *p, const char *name)
{
	const struct container *c = find_container(p, name);

	return c ? container_runc_id(c) : NULL;
}

pid_t pod_container_pid(const struct pod *p, const char *name)
{
	const struct container *c = find_container(p, name);

	return c ? container_pid(c) : 0;
}
