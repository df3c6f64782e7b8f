/* bundle.c - config.json generation; see bundle.h. */
#include "bundle.h"

#include <errno.h>
#include <string.h>

/* The capabilities a container process gets by default from containerd and Docker (and so
 * a Kubernetes pod): enough for a root Pebble to switch to service users, chown pushed files
 * and bind low ports. */
static const char *const default_caps[] = {
	"CAP_CHOWN",     "CAP_DAC_OVERRIDE",     "CAP_FSETID", "CAP_FOWNER",    "CAP_MKNOD",
	"CAP_NET_RAW",   "CAP_SETGID",           "CAP_SETUID", "CAP_SETFCAP",   "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",  "CAP_AUDIT_WRITE",
};

static const char *const masked_paths[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
};

static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* The runtime's own mounts: destination, type, source, options (NULL-terminated). */
static const struct {
	const char *dest, *type, *source;
	const char *opts[8];
} default_mounts[] = {
	{ "/proc", "proc", "proc", { "nosuid", "noexec", "nodev", NULL } },
	{ "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k", NULL } },
	{ "/dev/pts", "devpts", "devpts",
	  { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL } },
	{ "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL } },
	{ "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev", NULL } },
	{ "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro", NULL } },
	{ "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro", NULL } },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static json_t *str_list(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *strv_list(char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

int bundle_check_target(const char *t, struct errbuf *eb)
{
	static const char *const owned[] = { "/proc", "/sys", "/dev" };

	if (!t || t[0] != '/')
		return errbuf_set(eb, "mount target \"%s\" is not an absolute path", t ? t : ""), -EINVAL;
	if (strcmp(t, "/") == 0)
		return errbuf_set(eb, "mount target \"/\" would hide the image"), -EINVAL;
	for (const char *p = t + 1; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return errbuf_set(eb, "mount target \"%s\" is not a clean path", t), -EINVAL;
		p += n + (slash ? 1 : 0);
		if (slash && !*p)
			return errbuf_set(eb, "mount target \"%s\" is not a clean path", t), -EINVAL;
	}
	for (size_t i = 0; i < N(owned); i++) {
		size_t n = strlen(owned[i]);

		if (strncmp(t, owned[i], n) == 0 && (t[n] == '\0' || t[n] == '/'))
			return errbuf_set(eb, "mount target \"%s\" is inside %s, which the runtime owns", t, owned[i]),
			       -EINVAL;
	}
	return 0;
}

static json_t *process_obj(const struct bundle_spec *s)
{
	json_t *p = json_object(), *user = json_object(), *caps = json_object(), *groups = json_array();
	json_t *none = json_array();

	json_object_set_new(p, "terminal", json_false());
	json_object_set_new(user, "uid", json_integer((json_int_t)s->uid));
	json_object_set_new(user, "gid", json_integer((json_int_t)s->gid));
	for (size_t i = 0; i < s->n_groups; i++)
		json_array_append_new(groups, json_integer((json_int_t)s->groups[i]));
	json_object_set_new(user, "additionalGids", groups);
	json_object_set_new(p, "user", user);
	json_object_set_new(p, "args", strv_list(s->args));
	json_object_set_new(p, "env", strv_list(s->env));
	json_object_set_new(p, "cwd", json_string(s->cwd));
	json_object_set_new(caps, "bounding", str_list(default_caps, N(default_caps)));
	if (s->uid == 0) {
		json_object_set_new(caps, "effective", str_list(default_caps, N(default_caps)));
		json_object_set_new(caps, "permitted", str_list(default_caps, N(default_caps)));
	} else {
		json_object_set_new(caps, "effective", json_array());
		json_object_set_new(caps, "permitted", json_array());
	}
	json_object_set_new(caps, "inheritable", json_array());
	json_object_set_new(caps, "ambient", none);
	json_object_set_new(p, "capabilities", caps);
	json_object_set_new(p, "noNewPrivileges", json_false());
	return p;
}

static json_t *mounts_list(const struct bundle_spec *s)
{
	json_t *a = json_array();

	for (size_t i = 0; i < N(default_mounts); i++) {
		json_t *m = json_object(), *o = json_array();

		json_object_set_new(m, "destination", json_string(default_mounts[i].dest));
		json_object_set_new(m, "type", json_string(default_mounts[i].type));
		json_object_set_new(m, "source", json_string(default_mounts[i].source));
		for (size_t k = 0; default_mounts[i].opts[k]; k++)
			json_array_append_new(o, json_string(default_mounts[i].opts[k]));
		json_object_set_new(m, "options", o);
		json_array_append_new(a, m);
	}
	for (size_t i = 0; i < s->n_mounts; i++) {
		json_t *m = json_object(), *o = json_array();

		json_object_set_new(m, "destination", json_string(s->mounts[i].target));
		json_object_set_new(m, "type", json_string("bind"));
		json_object_set_new(m, "source", json_string(s->mounts[i].source));
		json_array_append_new(o, json_string("rbind"));
		json_array_append_new(o, json_string(s->mounts[i].readonly ? "ro" : "rw"));
		json_array_append_new(o, json_string("nosuid"));
		json_array_append_new(o, json_string("nodev"));
		json_object_set_new(m, "options", o);
		json_array_append_new(a, m);
	}
	return a;
}

static json_t *linux_obj(const struct bundle_spec *s)
{
	static const char *const own_ns[] = { "pid", "ipc", "uts", "mount" };
	json_t *lx = json_object(), *ns = json_array(), *res = json_object(), *dev = json_array();
	json_t *deny = json_object(), *net = json_object();

	for (size_t i = 0; i < N(own_ns); i++) {
		json_t *n = json_object();

		json_object_set_new(n, "type", json_string(own_ns[i]));
		json_array_append_new(ns, n);
	}
	json_object_set_new(net, "type", json_string("network"));
	json_object_set_new(net, "path", json_string(s->netns_path));
	json_array_append_new(ns, net);
	json_object_set_new(lx, "namespaces", ns);
	/* Deny every device, then runc adds its default allowed set (null, zero, full, tty,
	 * random, urandom, ptmx, pts). */
	json_object_set_new(deny, "allow", json_false());
	json_object_set_new(deny, "access", json_string("rwm"));
	json_array_append_new(dev, deny);
	json_object_set_new(res, "devices", dev);
	json_object_set_new(lx, "resources", res);
	json_object_set_new(lx, "cgroupsPath", json_string(s->cgroups_path));
	json_object_set_new(lx, "maskedPaths", str_list(masked_paths, N(masked_paths)));
	json_object_set_new(lx, "readonlyPaths", str_list(readonly_paths, N(readonly_paths)));
	return lx;
}

int bundle_config(const struct bundle_spec *s, json_t **ret, struct errbuf *eb)
{
	json_t *c, *root;
	int r;

	if (!s->args || !s->args[0] || s->args[0][0] != '/')
		return errbuf_set(eb, "process args[0] must be an absolute path"), -EINVAL;
	if (!s->cwd || s->cwd[0] != '/')
		return errbuf_set(eb, "working directory \"%s\" is not absolute", s->cwd ? s->cwd : ""), -EINVAL;
	if (!s->netns_path || !s->cgroups_path || s->cgroups_path[0] != '/' || !s->rootfs || !s->hostname)
		return errbuf_set(eb, "bundle spec lacks its rootfs, hostname, netns or cgroups path"), -EINVAL;
	if (s->n_mounts > BUNDLE_MOUNTS_MAX)
		return errbuf_set(eb, "more than %d mounts", BUNDLE_MOUNTS_MAX), -EINVAL;
	for (size_t i = 0; i < s->n_mounts; i++) {
		if (!s->mounts[i].source || s->mounts[i].source[0] != '/')
			return errbuf_set(eb, "mount source \"%s\" is not an absolute path",
					  s->mounts[i].source ? s->mounts[i].source : ""),
			       -EINVAL;
		r = bundle_check_target(s->mounts[i].target, eb);
		if (r < 0)
			return r;
	}
	c = json_object();
	root = json_object();
	json_object_set_new(c, "ociVersion", json_string(BUNDLE_OCI_VERSION));
	json_object_set_new(c, "process", process_obj(s));
	json_object_set_new(root, "path", json_string(s->rootfs));
	json_object_set_new(root, "readonly", json_false());
	json_object_set_new(c, "root", root);
	json_object_set_new(c, "hostname", json_string(s->hostname));
	json_object_set_new(c, "mounts", mounts_list(s));
	json_object_set_new(c, "linux", linux_obj(s));
	*ret = c;
	return 0;
}
