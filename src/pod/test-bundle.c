/* Unit tests for config.json generation (bundle.c) and the Juju workload-container contract
 * (podspec.c): entrypoint and args, environment from the image plus Juju's, mounts, ids and
 * capabilities, and refusals of unusable specs. */
#include "pod/bundle.h"
#include "pod/podspec.h"
#include "lib/test.h"

#include <errno.h>

static json_t *find_mount(json_t *c, const char *dest)
{
	json_t *ms = json_object_get(c, "mounts");

	for (size_t i = 0; i < json_array_size(ms); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(ms, i), "destination")), dest) == 0)
			return json_array_get(ms, i);
	return NULL;
}

static int has_str(json_t *a, const char *s)
{
	for (size_t i = 0; i < json_array_size(a); i++)
		if (strcmp(json_string_value(json_array_get(a, i)), s) == 0)
			return 1;
	return 0;
}

static char *args[] = { "/charm/bin/pebble", "run", NULL };
static char *env[] = { "PATH=/bin", "A=b", NULL };

static struct bundle_spec base_spec(void)
{
	static const gid_t groups[] = { 1000, 4 };
	static const struct bundle_mount binds[] = { { "/host/x", "/data", false }, { "/host/bin", "/opt/b", true } };
	struct bundle_spec s = {
		.rootfs = "rootfs", .hostname = "app-0", .args = args, .env = env, .cwd = "/srv",
		.uid = 1000, .gid = 1000, .groups = groups, .n_groups = 2, .netns_path = "/run/netns/cairn-app-0",
		.cgroups_path = "/cairn-app-0-web", .mounts = binds, .n_mounts = 2,
	};
	return s;
}

static void test_config_fields(void)
{
	struct bundle_spec s = base_spec();
	struct errbuf eb;
	json_t *c = NULL, *p, *lx, *ns, *m;
	int netns_found = 0;

	ASSERT_EQ(bundle_config(&s, &c, &eb), 0);
	ASSERT_STREQ(json_string_value(json_object_get(c, "ociVersion")), BUNDLE_OCI_VERSION);
	ASSERT_STREQ(json_string_value(json_object_get(c, "hostname")), "app-0");
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(c, "root"), "path")), "rootfs");
	p = json_object_get(c, "process");
	ASSERT_TRUE(json_is_false(json_object_get(p, "terminal")));
	ASSERT_STREQ(json_string_value(json_object_get(p, "cwd")), "/srv");
	ASSERT_EQ(json_integer_value(json_object_get(json_object_get(p, "user"), "uid")), 1000);
	ASSERT_EQ(json_array_size(json_object_get(json_object_get(p, "user"), "additionalGids")), 2);
	ASSERT_STREQ(json_string_value(json_array_get(json_object_get(p, "args"), 0)), "/charm/bin/pebble");
	ASSERT_STREQ(json_string_value(json_array_get(json_object_get(p, "env"), 1)), "A=b");
	/* Non-root: capabilities bounded but not effective. */
	ASSERT_TRUE(has_str(json_object_get(json_object_get(p, "capabilities"), "bounding"), "CAP_SETUID"));
	ASSERT_EQ(json_array_size(json_object_get(json_object_get(p, "capabilities"), "effective")), 0);
	lx = json_object_get(c, "linux");
	ns = json_object_get(lx, "namespaces");
	for (size_t i = 0; i < json_array_size(ns); i++) {
		json_t *n = json_array_get(ns, i);

		if (strcmp(json_string_value(json_object_get(n, "type")), "network") == 0) {
			ASSERT_STREQ(json_string_value(json_object_get(n, "path")), "/run/netns/cairn-app-0");
			netns_found = 1;
		}
	}
	ASSERT_TRUE(netns_found);
	ASSERT_EQ(json_array_size(ns), 5);
	ASSERT_STREQ(json_string_value(json_object_get(lx, "cgroupsPath")), "/cairn-app-0-web");
	ASSERT_TRUE(has_str(json_object_get(lx, "maskedPaths"), "/proc/kcore"));
	ASSERT_TRUE(find_mount(c, "/proc") && find_mount(c, "/dev/pts") && find_mount(c, "/sys/fs/cgroup"));
	m = find_mount(c, "/opt/b");
	ASSERT_TRUE(m);
	ASSERT_STREQ(json_string_value(json_object_get(m, "type")), "bind");
	ASSERT_STREQ(json_string_value(json_object_get(m, "source")), "/host/bin");
	ASSERT_TRUE(has_str(json_object_get(m, "options"), "ro"));
	ASSERT_TRUE(has_str(json_object_get(m, "options"), "rbind"));
	ASSERT_TRUE(has_str(json_object_get(find_mount(c, "/data"), "options"), "rw"));
	json_decref(c);

	s.uid = 0;
	ASSERT_EQ(bundle_config(&s, &c, &eb), 0);
	p = json_object_get(c, "process");
	ASSERT_TRUE(has_str(json_object_get(json_object_get(p, "capabilities"), "effective"), "CAP_CHOWN"));
	json_decref(c);
}

static void test_config_refusals(void)
{
	struct bundle_spec s = base_spec();
	struct bundle_mount bad[] = { { "/x", "relative", false } };
	char *rel[] = { "pebble", NULL };
	struct errbuf eb;
	json_t *c = NULL;

	s.cwd = "srv";
	ASSERT_EQ(bundle_config(&s, &c, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "not absolute");
	s = base_spec();
	s.args = rel;
	ASSERT_EQ(bundle_config(&s, &c, &eb), -EINVAL);
	s = base_spec();
	s.mounts = bad;
	s.n_mounts = 1;
	ASSERT_EQ(bundle_config(&s, &c, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "not an absolute path");
	bad[0].target = "/proc/sys";
	ASSERT_EQ(bundle_config(&s, &c, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "which the runtime owns");
	bad[0].target = "/a/../etc";
	ASSERT_EQ(bundle_config(&s, &c, &eb), -EINVAL);
	bad[0].target = "/a//b";
	ASSERT_EQ(bundle_config(&s, &c, &eb), -EINVAL);
	bad[0].target = "/a/";
	ASSERT_EQ(bundle_config(&s, &c, &eb), -EINVAL);
	bad[0].target = "/";
	ASSERT_EQ(bundle_config(&s, &c, &eb), -EINVAL);
	bad[0].target = "/devices";
	ASSERT_EQ(bundle_check_target("/devices", &eb), 0);
	bad[0].source = "rel";
	ASSERT_EQ(bundle_config(&s, &c, &eb), -EINVAL);
	ASSERT_TRUE(c == NULL);
}

static const char *env_get(char **e, const char *k)
{
	return image_env_get(e, k);
}

static void test_podspec(void)
{
	char *ienv[] = { "PATH=/usr/bin:/bin", "GREETING=hello", "PEBBLE=/elsewhere", NULL };
	struct image_config img = { .os = "linux", .architecture = "amd64", .env = ienv, .n_env = 3,
				    .working_dir = "/srv/www" };
	struct userspec_ids ids = { .uid = 1000, .gid = 1000, .home = "/srv/www" };
	struct bundle_mount binds[] = { { "/var/lib/unit/storage/data", "/var/lib/data", false } };
	struct podspec_container c = {
		.name = "web", .hostname = "app-0", .index = 1, .image = &img, .ids = &ids,
		.scree_path = "/usr/lib/cairn/scree", .volume_dir = "/pods/app-0/web", .hosts_path = "/store/hosts",
		.hostname_path = NULL, .binds = binds, .n_binds = 1,
	};
	struct podspec s;
	struct errbuf eb;

	ASSERT_EQ(podspec_build(&c, &s, &eb), 0);
	ASSERT_STREQ(s.args[0], "/charm/bin/pebble");
	ASSERT_STREQ(s.args[1], "run");
	ASSERT_STREQ(s.args[2], "--create-dirs");
	ASSERT_STREQ(s.args[3], "--hold");
	ASSERT_STREQ(s.args[4], "--http");
	ASSERT_STREQ(s.args[5], ":38814");
	ASSERT_STREQ(s.args[6], "--verbose");
	ASSERT_TRUE(s.args[7] == NULL);
	ASSERT_STREQ(env_get(s.env, "PATH"), "/usr/bin:/bin");
	ASSERT_STREQ(env_get(s.env, "GREETING"), "hello");
	ASSERT_STREQ(env_get(s.env, "PEBBLE"), "/charm/container/pebble");
	ASSERT_STREQ(env_get(s.env, "PEBBLE_SOCKET"), "/charm/container/pebble.socket");
	ASSERT_STREQ(env_get(s.env, "PEBBLE_COPY_ONCE"), "/var/lib/pebble/default");
	ASSERT_STREQ(env_get(s.env, "JUJU_CONTAINER_NAME"), "web");
	ASSERT_STREQ(env_get(s.env, "SCREE_READY_FD"), "3");
	ASSERT_STREQ(env_get(s.env, "HOME"), "/srv/www");
	ASSERT_STREQ(env_get(s.env, "HOSTNAME"), "app-0");
	{
		int npebble = 0;

		for (size_t i = 0; s.env[i]; i++)
			npebble += strncmp(s.env[i], "PEBBLE=", 7) == 0;
		ASSERT_EQ(npebble, 1); /* the image's own PEBBLE was dropped */
	}
	ASSERT_STREQ(s.cwd, "/srv/www");
	ASSERT_EQ(s.n_mounts, 4);
	ASSERT_STREQ(s.mounts[0].target, "/charm/bin/pebble");
	ASSERT_TRUE(s.mounts[0].readonly);
	ASSERT_STREQ(s.mounts[0].source, "/usr/lib/cairn/scree");
	ASSERT_STREQ(s.mounts[1].target, "/charm/container");
	ASSERT_TRUE(!s.mounts[1].readonly);
	ASSERT_STREQ(s.mounts[2].target, "/etc/hosts");
	ASSERT_STREQ(s.mounts[3].target, "/var/lib/data");
	podspec_done(&s);

	/* No PATH or WorkingDir in the image: defaults. */
	img.env = ienv + 1;
	img.n_env = 1;
	img.working_dir = NULL;
	c.index = 0;
	ASSERT_EQ(podspec_build(&c, &s, &eb), 0);
	ASSERT_STREQ(env_get(s.env, "PATH"), PODSPEC_DEFAULT_PATH);
	ASSERT_STREQ(s.cwd, "/");
	ASSERT_STREQ(s.args[5], ":38813");
	podspec_done(&s);

	binds[0].target = "/charm/container/x";
	ASSERT_EQ(podspec_build(&c, &s, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "Juju reserves");
	binds[0].target = "/dev/x";
	ASSERT_EQ(podspec_build(&c, &s, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "container web");
}

int main(void)
{
	RUN(test_config_fields);
	RUN(test_config_refusals);
	RUN(test_podspec);
	return test_summary();
}
