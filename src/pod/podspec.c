/* podspec.c - the Juju workload-container contract as a bundle spec; see podspec.h. */
#include "podspec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/strv.h"

/* Variables the pod sets itself; an image's own value for them is dropped. */
static const char *const owned_env[] = {
	"JUJU_CONTAINER_NAME", "PEBBLE", "PEBBLE_SOCKET", "PEBBLE_COPY_ONCE", "SCREE_READY_FD", "HOSTNAME",
};

static int env_owned(const char *kv)
{
	for (size_t i = 0; i < sizeof(owned_env) / sizeof(owned_env[0]); i++) {
		size_t n = strlen(owned_env[i]);

		if (strncmp(kv, owned_env[i], n) == 0 && kv[n] == '=')
			return 1;
	}
	return 0;
}

int podspec_check_bind(const char *t, struct errbuf *eb)
{
	int r = bundle_check_target(t, eb);

	if (r < 0)
		return r;
	if (strcmp(t, "/charm") == 0 || strncmp(t, "/charm/", 7) == 0)
		return errbuf_set(eb, "mount target \"%s\" is inside /charm, which Juju reserves", t), -EINVAL;
	return 0;
}

int podspec_build(const struct podspec_container *c, struct podspec *ret, struct errbuf *eb)
{
	struct podspec s;
	size_t nargs = 0, nenv = 0;
	int r;

	memset(&s, 0, sizeof(s));
	if (c->n_binds + 4 > BUNDLE_MOUNTS_MAX)
		return errbuf_set(eb, "container %s: more than %d mounts", c->name, BUNDLE_MOUNTS_MAX - 4), -EINVAL;
	for (size_t i = 0; i < c->n_binds; i++) {
		r = podspec_check_bind(c->binds[i].target, eb);
		if (r < 0) {
			errbuf_wrap(eb, "container %s", c->name);
			return r;
		}
	}

	strv_push(&s.args, &nargs, xstrdup(PODSPEC_PEBBLE_PATH));
	strv_push(&s.args, &nargs, xstrdup("run"));
	strv_push(&s.args, &nargs, xstrdup("--create-dirs"));
	strv_push(&s.args, &nargs, xstrdup("--hold"));
	strv_push(&s.args, &nargs, xstrdup("--http"));
	strv_push(&s.args, &nargs, xasprintf(":%zu", (size_t)PODSPEC_HTTP_PORT_BASE + c->index));
	strv_push(&s.args, &nargs, xstrdup("--verbose"));

	for (size_t i = 0; i < c->image->n_env; i++)
		if (!env_owned(c->image->env[i]))
			strv_push(&s.env, &nenv, xstrdup(c->image->env[i]));
	if (!image_env_get(c->image->env, "PATH"))
		strv_push(&s.env, &nenv, xstrdup("PATH=" PODSPEC_DEFAULT_PATH));
	if (!image_env_get(c->image->env, "HOME"))
		strv_push(&s.env, &nenv, xasprintf("HOME=%s", c->ids->home));
	strv_push(&s.env, &nenv, xasprintf("HOSTNAME=%s", c->hostname));
	strv_push(&s.env, &nenv, xasprintf("JUJU_CONTAINER_NAME=%s", c->name));
	strv_push(&s.env, &nenv, xstrdup("PEBBLE_SOCKET=" PODSPEC_PEBBLE_SOCKET));
	strv_push(&s.env, &nenv, xstrdup("PEBBLE=" PODSPEC_PEBBLE_DIR));
	strv_push(&s.env, &nenv, xstrdup("PEBBLE_COPY_ONCE=" PODSPEC_COPY_ONCE));
	strv_push(&s.env, &nenv, xasprintf("SCREE_READY_FD=%d", PODSPEC_READY_FD));

	s.cwd = xstrdup(c->image->working_dir ? c->image->working_dir : "/");

	s.mounts[s.n_mounts++] = (struct bundle_mount){ c->scree_path, PODSPEC_PEBBLE_PATH, true };
	s.mounts[s.n_mounts++] = (struct bundle_mount){ c->volume_dir, PODSPEC_VOLUME_TARGET, false };
	if (c->hosts_path)
		s.mounts[s.n_mounts++] = (struct bundle_mount){ c->hosts_path, "/etc/hosts", false };
	if (c->hostname_path)
		s.mounts[s.n_mounts++] = (struct bundle_mount){ c->hostname_path, "/etc/hostname", false };
	for (size_t i = 0; i < c->n_binds; i++)
		s.mounts[s.n_mounts++] = c->binds[i];
	*ret = s;
	return 0;
}

void podspec_done(struct podspec *s)
{
	if (!s)
		return;
	strv_free(s->args);
	strv_free(s->env);
	free(s->cwd);
	memset(s, 0, sizeof(*s));
}
