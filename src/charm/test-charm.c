/* test-charm.c - unit tests for charm.c: loading, validation errors, .charm archives,
 * installing files into a unit. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "charm/charm.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/test.h"

#define FULL CAIRND_TESTDATA "/full"

static char *mktmp(void)
{
	char tmpl[] = "/tmp/test-charm-XXXXXX";

	if (!mkdtemp(tmpl))
		abort();
	return xstrdup(tmpl);
}

/* Writes dir/rel (parents created) with the given mode. */
static void put(const char *dir, const char *rel, const char *text, mode_t mode)
{
	char *p = xasprintf("%s/%s", dir, rel);
	char *slash = strrchr(p, '/');

	*slash = '\0';
	fs_mkdir_p(p, 0755);
	*slash = '/';
	unlink(p);
	if (fs_write_atomic(p, text, strlen(text), mode) < 0)
		abort();
	chmod(p, mode);
	free(p);
}

static char *slurp(const char *dir, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	struct buf b = BUF_INIT;

	buf_init(&b);
	if (fs_read_file(p, 1 << 20, &b) < 0) {
		buf_done(&b);
		free(p);
		return NULL;
	}
	free(p);
	return buf_detach(&b);
}

static bool exists(const char *dir, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	struct stat st;
	bool r = lstat(p, &st) == 0;

	free(p);
	return r;
}

static mode_t mode_of(const char *dir, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	struct stat st;
	mode_t m = lstat(p, &st) == 0 ? st.st_mode : 0;

	free(p);
	return m;
}

/* Loads a charm made of the given files (NULL = absent) plus an executable dispatch.
 * Returns the charm_load_dir result and the error text in msg. */
static int try_load(const char *md, const char *cfg, const char *acts, char *msg, size_t n,
		    struct charm **ret)
{
	char *d = mktmp();
	struct errbuf eb = { "" };
	struct charm *c = NULL;
	int r;

	if (md)
		put(d, "metadata.yaml", md, 0644);
	if (cfg)
		put(d, "config.yaml", cfg, 0644);
	if (acts)
		put(d, "actions.yaml", acts, 0644);
	put(d, "dispatch", "#!/bin/sh\n", 0755);
	r = charm_load_dir(d, &c, &eb);
	snprintf(msg, n, "%s", eb.msg);
	if (ret)
		*ret = c;
	else
		charm_free(c);
	fs_rm_rf(d);
	free(d);
	return r;
}

/* ---------------- names ---------------- */

static void test_app_names(void)
{
	static const char *const good[] = { "a", "custom-app", "app2-scat-23skidoo", "wiki",
					    "a1-b2", "x-1a" };
	static const char *const bad[] = { "", "myAppName", "custom--app", "app2-scat-23", "-a",
					   "a-", "1abc", "a_b", "a.b", "a/0", "Ab" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!charm_valid_app_name(good[i]))
			TFAIL("\"%s\" should be a valid application name", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (charm_valid_app_name(bad[i]))
			TFAIL("\"%s\" should be an invalid application name", bad[i]);
	ASSERT_TRUE(!charm_valid_app_name(NULL));
}

static void test_unit_names(void)
{
	ASSERT_TRUE(charm_valid_unit_name("mysql/0"));
	ASSERT_TRUE(charm_valid_unit_name("mysql/10"));
	ASSERT_TRUE(charm_valid_unit_name("custom-app/123"));
	ASSERT_TRUE(!charm_valid_unit_name("mysql/01"));
	ASSERT_TRUE(!charm_valid_unit_name("mysql/"));
	ASSERT_TRUE(!charm_valid_unit_name("mysql"));
	ASSERT_TRUE(!charm_valid_unit_name("/0"));
	ASSERT_TRUE(!charm_valid_unit_name("MySQL/0"));
	ASSERT_TRUE(!charm_valid_unit_name("mysql/-1"));
	ASSERT_TRUE(!charm_valid_unit_name("mysql/1a"));
	ASSERT_TRUE(!charm_valid_unit_name("mysql/leader"));
	ASSERT_TRUE(!charm_valid_unit_name("a/b/0"));
}

/* ---------------- loading ---------------- */

static void check_full(struct charm *c)
{
	const struct charm_option *o;
	json_t *a;

	ASSERT_STREQ(c->name, "full-charm");
	ASSERT_STREQ(c->summary, "A test charm with everything");
	ASSERT_STREQ(c->description, "Used by test-charm and test-settings.\n");
	ASSERT_TRUE(json_is_object(c->metadata));
	ASSERT_STREQ(json_string_value(json_object_get(c->metadata, "name")), "full-charm");
	ASSERT_EQ(c->n_containers, 2);
	ASSERT_STREQ(c->containers[0], "workload");
	ASSERT_STREQ(c->containers[1], "sidecar");
	ASSERT_EQ(json_object_size(c->resources), 2);
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(c->resources, "config-file"),
						       "filename")),
		     "app.conf");
	ASSERT_EQ(c->n_endpoints, 3);
	ASSERT_STREQ(c->endpoints[0].name, "db");
	ASSERT_EQ(c->endpoints[0].role, CHARM_ROLE_REQUIRES);
	ASSERT_STREQ(c->endpoints[0].interface, "mysql");
	ASSERT_EQ(c->endpoints[0].limit, 1);
	ASSERT_TRUE(c->endpoints[0].optional);
	ASSERT_STREQ(c->endpoints[1].name, "website");
	ASSERT_EQ(c->endpoints[1].role, CHARM_ROLE_PROVIDES);
	ASSERT_STREQ(c->endpoints[1].interface, "http");
	ASSERT_STREQ(c->endpoints[2].name, "cluster");
	ASSERT_EQ(c->endpoints[2].role, CHARM_ROLE_PEERS);
	ASSERT_TRUE(!c->subordinate);
	ASSERT_TRUE(c->has_dispatch);
	ASSERT_EQ(c->revision, 7);
	ASSERT_STREQ(c->version, "1.2.3");

	ASSERT_EQ(c->n_options, 7);
	ASSERT_STREQ(c->options[0].name, "port");
	o = charm_find_option(c, "port");
	ASSERT_TRUE(o && o->type == CHARM_OPT_INT && json_integer_value(o->def) == 8080);
	ASSERT_STREQ(o->description, "TCP port to listen on");
	o = charm_find_option(c, "name");
	ASSERT_TRUE(o && o->type == CHARM_OPT_STRING);
	ASSERT_STREQ(json_string_value(o->def), "Wiki");
	o = charm_find_option(c, "ratio");
	ASSERT_TRUE(o && o->type == CHARM_OPT_FLOAT && o->def == NULL);
	o = charm_find_option(c, "scale"); /* an int default of a float option */
	ASSERT_TRUE(o && json_is_real(o->def) && json_real_value(o->def) == 2.0);
	o = charm_find_option(c, "debug");
	ASSERT_TRUE(o && o->type == CHARM_OPT_BOOLEAN && json_is_false(o->def));
	o = charm_find_option(c, "creds");
	ASSERT_TRUE(o && o->type == CHARM_OPT_SECRET && !o->def);
	o = charm_find_option(c, "title"); /* no type: string; "" default kept */
	ASSERT_TRUE(o && o->type == CHARM_OPT_STRING);
	ASSERT_STREQ(json_string_value(o->def), "");
	ASSERT_TRUE(charm_find_option(c, "nope") == NULL);

	a = json_object_get(c->actions, "backup");
	ASSERT_STREQ(json_string_value(json_object_get(a, "description")), "Back up the database.");
	ASSERT_TRUE(json_is_true(json_object_get(a, "parallel")));
	ASSERT_STREQ(json_string_value(json_object_get(a, "execution-group")), "storage");
	ASSERT_TRUE(json_is_object(json_object_get(json_object_get(a, "params"), "target")));
	ASSERT_TRUE(json_is_object(json_object_get(c->actions, "noop")));
}

static void test_load_full(void)
{
	struct errbuf eb = { "" };
	struct charm *c = NULL;

	ASSERT_EQ(charm_load_dir(FULL, &c, &eb), 0);
	ASSERT_STREQ(c->dir, FULL);
	check_full(c);
	charm_free(c);
}

static void test_load_minimal(void)
{
	char msg[512];
	struct charm *c = NULL;

	ASSERT_EQ(try_load("name: tiny\n", NULL, NULL, msg, sizeof(msg), &c), 0);
	ASSERT_STREQ(c->name, "tiny");
	ASSERT_STREQ(c->summary, "");
	ASSERT_EQ(c->n_options, 0);
	ASSERT_EQ(c->n_containers, 0);
	ASSERT_EQ(c->n_endpoints, 0);
	ASSERT_TRUE(json_is_object(c->actions) && json_object_size(c->actions) == 0);
	ASSERT_TRUE(json_is_object(c->resources) && json_object_size(c->resources) == 0);
	ASSERT_EQ(c->revision, -1);
	ASSERT_TRUE(c->version == NULL);
	charm_free(c);

	/* options: null, an empty config.yaml, an empty actions.yaml are all fine. */
	ASSERT_EQ(try_load("name: tiny\n", "options: null\n", "", msg, sizeof(msg), NULL), 0);
	ASSERT_EQ(try_load("name: tiny\n", "", "# nothing\n", msg, sizeof(msg), NULL), 0);
	/* A bare option is a string option without default. */
	ASSERT_EQ(try_load("name: tiny\n", "options:\n  x:\n", NULL, msg, sizeof(msg), &c), 0);
	ASSERT_TRUE(c->n_options == 1 && c->options[0].type == CHARM_OPT_STRING && !c->options[0].def);
	charm_free(c);
	/* Defaults that convert: a numeric string for an int, an int for a float. */
	ASSERT_EQ(try_load("name: tiny\n",
			   "options:\n  p: {type: int, default: '8080'}\n  f: {type: float, default: 3}\n"
			   "  b: {type: boolean, default: 'true'}\n  s: {type: secret, default: ''}\n",
			   NULL, msg, sizeof(msg), &c),
		  0);
	ASSERT_EQ(json_integer_value(charm_find_option(c, "p")->def), 8080);
	ASSERT_TRUE(json_is_real(charm_find_option(c, "f")->def));
	ASSERT_TRUE(json_is_true(charm_find_option(c, "b")->def));
	ASSERT_STREQ(json_string_value(charm_find_option(c, "s")->def), "");
	charm_free(c);
	/* Subordinate with a container-scoped requires is valid. */
	ASSERT_EQ(try_load("name: sub\nsubordinate: true\nrequires:\n  juju-info-x: {interface: juju-info, scope: container}\n",
			   NULL, NULL, msg, sizeof(msg), NULL),
		  -EINVAL);
	ASSERT_CONTAINS(msg, "reserved relation name");
	ASSERT_EQ(try_load("name: sub\nsubordinate: true\nrequires:\n  host: {interface: juju-info, scope: container}\n",
			   NULL, NULL, msg, sizeof(msg), NULL),
		  0);
}

struct bad_case {
	const char *md, *cfg, *acts, *want;
};

static void run_bad(const struct bad_case *cases, size_t n)
{
	char msg[512];

	for (size_t i = 0; i < n; i++) {
		int r = try_load(cases[i].md, cases[i].cfg, cases[i].acts, msg, sizeof(msg), NULL);

		if (r != -EINVAL)
			TFAIL("case %zu: expected -EINVAL, got %d (%s)", i, r, msg);
		if (!strstr(msg, cases[i].want))
			TFAIL("case %zu: message \"%s\" lacks \"%s\"", i, msg, cases[i].want);
	}
}

static void test_bad_metadata(void)
{
	static const struct bad_case cases[] = {
		{ "name: 5\n", 0, 0, "metadata.yaml: field \"name\": expected string, got integer" },
		{ "summary: x\n", 0, 0, "metadata.yaml: field \"name\" is required" },
		{ "name: Foo\n", 0, 0, "metadata.yaml: field \"name\": invalid charm name \"Foo\"" },
		{ "name: a--b\n", 0, 0, "invalid charm name \"a--b\"" },
		{ "", 0, 0, "metadata.yaml: file is empty" },
		{ "- a\n", 0, 0, "metadata.yaml: expected a map at the top level, got list" },
		{ "name: [a\n", 0, 0, "metadata.yaml: yaml: line" },
		{ "name: a\nsummary: [x]\n", 0, 0, "metadata.yaml: field \"summary\": expected string, got list" },
		{ "name: a\nsubordinate: yes-please\n", 0, 0,
		  "metadata.yaml: field \"subordinate\": expected boolean, got string" },
		{ "name: a\ntags: [1]\n", 0, 0, "metadata.yaml: field \"tags[0]\": expected string, got integer" },
		{ "name: a\nrequires: [db]\n", 0, 0, "metadata.yaml: field \"requires\": expected map, got list" },
		{ "name: a\nrequires:\n  db: {limit: 1}\n", 0, 0,
		  "metadata.yaml: field \"requires.db.interface\" is required" },
		{ "name: a\nrequires:\n  db: 5\n", 0, 0, "metadata.yaml: field \"requires.db\": expected map, got integer" },
		{ "name: a\nrequires:\n  db: {interface: x, limit: many}\n", 0, 0,
		  "metadata.yaml: field \"requires.db.limit\": expected integer, got string" },
		{ "name: a\nprovides:\n  db: {interface: x, scope: planet}\n", 0, 0,
		  "field \"provides.db.scope\": expected \"global\" or \"container\", got \"planet\"" },
		{ "name: a\nprovides:\n  db: {interface: x, optional: 3}\n", 0, 0,
		  "field \"provides.db.optional\": expected boolean, got integer" },
		{ "name: a\nrequires:\n  db: x\nprovides:\n  db: y\n", 0, 0,
		  "metadata.yaml: charm \"a\" using a duplicated relation name: \"db\"" },
		{ "name: a\nprovides:\n  juju-x: y\n", 0, 0, "charm \"a\" using a reserved relation name: \"juju-x\"" },
		{ "name: a\nprovides:\n  info: juju-info\n", 0, 0,
		  "charm \"a\" relation \"info\" using a reserved interface: \"juju-info\"" },
		{ "name: a\nsubordinate: true\nrequires:\n  db: x\n", 0, 0,
		  "subordinate charm \"a\" lacks \"requires\" relation with container scope" },
		{ "name: a\nresources:\n  r: {type: tarball}\n", 0, 0,
		  "metadata.yaml: field \"resources.r.type\": unknown resource type \"tarball\"" },
		{ "name: a\nresources:\n  r: [x]\n", 0, 0, "field \"resources.r\": expected map, got list" },
		{ "name: a\ncontainers: [x]\n", 0, 0, "field \"containers\": expected map, got list" },
		{ "name: a\ncontainers:\n  c: {resource: img}\n", 0, 0,
		  "field \"containers.c.resource\": no resource named \"img\"" },
		{ "name: a\nresources:\n  img: {type: file, filename: x}\ncontainers:\n  c: {resource: img}\n", 0, 0,
		  "field \"containers.c.resource\": resource \"img\" is not an oci-image" },
		{ "name: a\ncontainers:\n  c:\n    mounts:\n      - {storage: data}\n", 0, 0,
		  "field \"containers.c.mounts[0].storage\": no storage named \"data\"" },
		{ "name: a\ncontainers:\n  c:\n    mounts: x\n", 0, 0,
		  "field \"containers.c.mounts\": expected list, got string" },
		{ "name: a\nstorage:\n  data: {location: /x}\n", 0, 0, "field \"storage.data.type\" is required" },
		{ "name: a\nstorage:\n  data: {type: tape}\n", 0, 0,
		  "field \"storage.data.type\": expected \"filesystem\" or \"block\", got \"tape\"" },
		{ "name: a\nstorage:\n  data: {type: block, shared: 1}\n", 0, 0,
		  "field \"storage.data.shared\": expected boolean, got integer" },
	};

	run_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_missing_metadata(void)
{
	char msg[512];

	ASSERT_TRUE(try_load(NULL, NULL, NULL, msg, sizeof(msg), NULL) < 0);
	ASSERT_CONTAINS(msg, "metadata.yaml: file not found");
}

static void test_bad_config(void)
{
	static const struct bad_case cases[] = {
		{ "name: a\n", "options:\n  x: {type: colour}\n", 0,
		  "config.yaml: invalid config: option \"x\" has unknown type \"colour\"" },
		{ "name: a\n", "options:\n  port: {type: int, default: abc}\n", 0,
		  "config.yaml: invalid config default: option \"port\" expected int, got \"abc\"" },
		{ "name: a\n", "options:\n  port: {type: int, default: 1.5}\n", 0,
		  "config.yaml: invalid config default: option \"port\" expected int, got 1.5" },
		{ "name: a\n", "options:\n  port: {type: int, default: ''}\n", 0,
		  "config.yaml: invalid config default: option \"port\" expected int, got \"\"" },
		{ "name: a\n", "options:\n  d: {type: boolean, default: maybe}\n", 0,
		  "config.yaml: invalid config default: option \"d\" expected boolean, got \"maybe\"" },
		{ "name: a\n", "options:\n  d: {type: boolean, default: 1}\n", 0,
		  "config.yaml: invalid config default: option \"d\" expected boolean, got 1" },
		{ "name: a\n", "options:\n  s: {type: string, default: 5}\n", 0,
		  "config.yaml: invalid config default: option \"s\" expected string, got 5" },
		{ "name: a\n", "options:\n  f: {type: float, default: [1]}\n", 0,
		  "config.yaml: invalid config default: option \"f\" expected float, got []interface {}{1}" },
		{ "name: a\n", "options: [a]\n", 0, "config.yaml: field \"options\": expected map, got list" },
		{ "name: a\n", "- a\n", 0, "config.yaml: expected a map at the top level, got list" },
		{ "name: a\n", "options:\n  x: 5\n", 0, "config.yaml: option \"x\": expected map, got integer" },
		{ "name: a\n", "options:\n  x: {type: 5}\n", 0,
		  "config.yaml: option \"x\": field \"type\": expected string, got integer" },
		{ "name: a\n", "options:\n  x: {description: [a]}\n", 0,
		  "config.yaml: option \"x\": field \"description\": expected string, got list" },
		{ "name: a\n", "options: {x: {type: int}\n", 0, "config.yaml: yaml: line" },
	};

	run_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_bad_actions(void)
{
	static const struct bad_case cases[] = {
		{ "name: a\n", 0, "- a\n", "actions.yaml: expected a map at the top level, got list" },
		{ "name: a\n", 0, "backup: 5\n", "actions.yaml: action \"backup\": expected map, got integer" },
		{ "name: a\n", 0, "backup: {params: [a]}\n",
		  "actions.yaml: field \"backup.params\": expected map, got list" },
		{ "name: a\n", 0, "backup: {params: {target: 5}}\n",
		  "actions.yaml: field \"backup.params.target\": expected map, got integer" },
		{ "name: a\n", 0, "backup: {required: [1]}\n",
		  "actions.yaml: field \"backup.required[0]\": expected string, got integer" },
		{ "name: a\n", 0, "backup: {required: target}\n",
		  "actions.yaml: field \"backup.required\": expected list, got string" },
		{ "name: a\n", 0, "backup: {parallel: maybe}\n",
		  "actions.yaml: field \"backup.parallel\": expected boolean, got string" },
		{ "name: a\n", 0, "backup: {additionalProperties: 0}\n",
		  "actions.yaml: field \"backup.additionalProperties\": expected boolean, got integer" },
		{ "name: a\n", 0, "backup: {description: [x]}\n",
		  "actions.yaml: field \"backup.description\": expected string, got list" },
		{ "name: a\n", 0, "backup: {execution-group: 1}\n",
		  "actions.yaml: field \"backup.execution-group\": expected string, got integer" },
		{ "name: a\n", 0, "back up: {}\n", "actions.yaml: invalid action name \"back up\"" },
	};

	run_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_runnable(void)
{
	char *d = mktmp();
	struct errbuf eb = { "" };
	struct charm *c = NULL;

	put(d, "metadata.yaml", "name: lazy\n", 0644);
	ASSERT_EQ(charm_load_dir(d, &c, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "charm \"lazy\" has neither an executable \"dispatch\" nor any executable hook under \"hooks/\"");
	put(d, "hooks/install", "#!/bin/sh\n", 0644); /* not executable */
	ASSERT_EQ(charm_load_dir(d, &c, &eb), -EINVAL);
	put(d, "dispatch", "#!/bin/sh\n", 0644);
	ASSERT_EQ(charm_load_dir(d, &c, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "dispatch: file is not executable");
	put(d, "hooks/install", "#!/bin/sh\n", 0755); /* a hooks-only charm */
	ASSERT_EQ(charm_load_dir(d, &c, &eb), 0);
	ASSERT_TRUE(!c->has_dispatch);
	charm_free(c);
	c = NULL;
	put(d, "dispatch", "#!/bin/sh\n", 0755);
	ASSERT_EQ(charm_load_dir(d, &c, &eb), 0);
	ASSERT_TRUE(c->has_dispatch);
	charm_free(c);
	c = NULL;
	put(d, "revision", "abc\n", 0644);
	ASSERT_EQ(charm_load_dir(d, &c, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg, "revision: invalid revision \"abc\"");
	put(d, "revision", "  12\n", 0644);
	ASSERT_EQ(charm_load_dir(d, &c, &eb), 0);
	ASSERT_EQ(c->revision, 12);
	charm_free(c);
	ASSERT_TRUE(charm_load_dir("/nonexistent/charm", &c, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "/nonexistent/charm");
	fs_rm_rf(d);
	free(d);
}

/* ---------------- archives ---------------- */

struct zent {
	const char *name;
	const char *data; /* NULL for a directory */
	unsigned mode;    /* full st_mode for the unix external attributes; 0 = none */
};

static void make_zip(const char *path, const struct zent *e, size_t n)
{
	int err = 0;
	zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);

	if (!za)
		abort();
	for (size_t i = 0; i < n; i++) {
		zip_int64_t idx;

		if (!e[i].data) {
			idx = zip_dir_add(za, e[i].name, ZIP_FL_ENC_UTF_8);
		} else {
			zip_source_t *s = zip_source_buffer(za, e[i].data, strlen(e[i].data), 0);

			idx = zip_file_add(za, e[i].name, s, ZIP_FL_ENC_UTF_8);
		}
		if (idx < 0)
			abort();
		if (e[i].mode)
			zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
							 (zip_uint32_t)e[i].mode << 16);
	}
	if (zip_close(za) < 0)
		abort();
}

static int open_zip(const struct zent *e, size_t n, char *msg, size_t msglen, char **dir_out,
		    struct charm **ret)
{
	char *d = mktmp();
	char *zp = xasprintf("%s/c.charm", d), *scratch = xasprintf("%s/unpacked", d);
	struct errbuf eb = { "" };
	int r;

	make_zip(zp, e, n);
	r = charm_open(zp, scratch, ret, &eb);
	snprintf(msg, msglen, "%s", eb.msg);
	free(zp);
	free(scratch);
	*dir_out = d;
	return r;
}

#define MD_OK "name: zipped\n"

static void test_zip_valid(void)
{
	static const struct zent e[] = {
		{ "metadata.yaml", MD_OK, S_IFREG | 0644 },
		{ "config.yaml", "options:\n  port: {type: int, default: 1}\n", S_IFREG | 0600 },
		{ "dispatch", "#!/bin/sh\n", S_IFREG | 0755 },
		{ "src/", NULL, S_IFDIR | 0755 },
		{ "src/charm.py", "#!/usr/bin/env python3\n", S_IFREG | 0775 },
		{ "lib/deep/nested/mod.py", "x = 1\n", S_IFREG | 0644 }, /* no dir entries */
		{ "hooks/install", "../dispatch", S_IFLNK | 0777 },
		{ "./README.md", "hi\n", 0 }, /* no unix attributes: plain file */
	};
	char msg[512], *d = NULL, *u;
	struct charm *c = NULL;
	char target[64];
	ssize_t n;

	ASSERT_EQ(open_zip(e, sizeof(e) / sizeof(e[0]), msg, sizeof(msg), &d, &c), 0);
	u = xasprintf("%s/unpacked", d);
	ASSERT_STREQ(c->dir, u);
	ASSERT_STREQ(c->name, "zipped");
	ASSERT_TRUE(c->has_dispatch);
	ASSERT_EQ(c->n_options, 1);
	ASSERT_EQ(mode_of(u, "dispatch") & 07777, 0755);
	ASSERT_EQ(mode_of(u, "src/charm.py") & 07777, 0755);
	ASSERT_EQ(mode_of(u, "metadata.yaml") & 07777, 0644);
	ASSERT_EQ(mode_of(u, "config.yaml") & 07777, 0644);
	ASSERT_EQ(mode_of(u, "README.md") & 07777, 0644);
	ASSERT_TRUE(S_ISREG(mode_of(u, "lib/deep/nested/mod.py")));
	ASSERT_TRUE(S_ISLNK(mode_of(u, "hooks/install")));
	{
		char *lp = xasprintf("%s/hooks/install", u);

		n = readlink(lp, target, sizeof(target) - 1);
		free(lp);
	}
	ASSERT_TRUE(n > 0);
	target[n] = '\0';
	ASSERT_STREQ(target, "../dispatch");
	charm_free(c);
	free(u);
	fs_rm_rf(d);
	free(d);
}

/* A .charm packed by the zip command from the fixture directory (as charmcraft would,
 * with unix modes and symlinks stored). */
static void test_zip_of_fixture(void)
{
	char *d = mktmp();
	char *cmd = xasprintf("cd '%s' && zip -q -r --symlinks '%s/full.charm' .", FULL, d);
	char *zp = xasprintf("%s/full.charm", d), *u = xasprintf("%s/u", d);
	struct errbuf eb = { "" };
	struct charm *c = NULL;

	ASSERT_EQ(system(cmd), 0);
	ASSERT_EQ(charm_open(zp, u, &c, &eb), 0);
	check_full(c);
	ASSERT_EQ(mode_of(u, "dispatch") & 0111, 0111);
	ASSERT_EQ(mode_of(u, "src/charm.sh") & 0111, 0111);
	ASSERT_EQ(mode_of(u, "metadata.yaml") & 0111, 0);
	ASSERT_TRUE(S_ISLNK(mode_of(u, "hooks/install")));
	charm_free(c);
	fs_rm_rf(d);
	free(d);
	free(cmd);
	free(zp);
	free(u);
}

/* charm_pack: the fixture packs to an archive that loads (without unpacking) and unpacks to
 * the same charm with modes and symlinks kept, and packing is deterministic. */
static void test_pack_and_load_archive(void)
{
	char *d = mktmp();
	char *a1 = xasprintf("%s/a1.charm", d), *a2 = xasprintf("%s/a2.charm", d);
	char *u = xasprintf("%s/u", d);
	char g1[CHARM_DIGEST_HEX], g2[CHARM_DIGEST_HEX];
	uint64_t size = 0;
	struct errbuf eb = { "" };
	struct charm *c = NULL;

	ASSERT_EQ(charm_pack(FULL, a1, &eb), 0);
	ASSERT_EQ(charm_load_archive(a1, &c, &eb), 0);
	check_full(c);
	ASSERT_STREQ(c->dir, a1);
	charm_free(c);
	c = NULL;
	ASSERT_EQ(charm_open(a1, u, &c, &eb), 0);
	check_full(c);
	ASSERT_EQ(mode_of(u, "dispatch") & 0111, 0111);
	ASSERT_EQ(mode_of(u, "metadata.yaml") & 0111, 0);
	ASSERT_TRUE(S_ISLNK(mode_of(u, "hooks/install")));
	charm_free(c);
	ASSERT_EQ(charm_pack(FULL, a2, &eb), 0);
	ASSERT_EQ(charm_digest_file(a1, g1, &size, &eb), 0);
	ASSERT_TRUE(size > 0);
	ASSERT_EQ(charm_digest_file(a2, g2, NULL, &eb), 0);
	ASSERT_STREQ(g1, g2);
	ASSERT_TRUE(charm_valid_digest(g1));
	ASSERT_TRUE(!charm_valid_digest("abc"));
	ASSERT_TRUE(!charm_valid_digest(NULL));
	fs_rm_rf(d);
	free(d);
	free(a1);
	free(a2);
	free(u);
}

/* Packing refuses what unpacking would refuse; loading an archive reports what is wrong. */
static void test_pack_refuses_escapes(void)
{
	char *d = mktmp();
	char *src = xasprintf("%s/src", d), *out = xasprintf("%s/o.charm", d);
	char *cmd = xasprintf("cp -a '%s' '%s' && ln -s ../../etc/passwd '%s/hooks/evil'", FULL, src, src);
	struct errbuf eb = { "" };
	struct charm *c = NULL;

	ASSERT_EQ(system(cmd), 0);
	ASSERT_TRUE(charm_pack(src, out, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "escapes the charm directory");
	ASSERT_TRUE(access(out, F_OK) != 0);
	ASSERT_TRUE(charm_load_archive("/nonexistent.charm", &c, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "cannot open charm archive");
	free(cmd);
	/* An archive without metadata.yaml. */
	cmd = xasprintf("cd '%s' && rm hooks/evil metadata.yaml && zip -q -r --symlinks '%s' .", src, out);
	ASSERT_EQ(system(cmd), 0);
	ASSERT_TRUE(charm_load_archive(out, &c, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "metadata.yaml: file not found in charm archive");
	fs_rm_rf(d);
	free(d);
	free(src);
	free(out);
	free(cmd);
}

static void expect_zip_error(const struct zent *e, size_t n, const char *want)
{
	char msg[512], *d = NULL, *u;
	struct charm *c = NULL;
	int r = open_zip(e, n, msg, sizeof(msg), &d, &c);

	u = xasprintf("%s/unpacked", d);
	if (r >= 0)
		TFAIL("archive with \"%s\" was accepted", e[n - 1].name);
	if (!strstr(msg, want))
		TFAIL("message \"%s\" lacks \"%s\"", msg, want);
	/* Nothing may have been written outside the scratch directory, and what was
	 * unpacked is gone again. */
	if (exists(d, "x") || exists(d, "evil"))
		TFAIL("a file escaped the scratch directory");
	if (exists(d, "unpacked"))
		TFAIL("the scratch directory created for unpacking was left behind");
	fs_rm_rf(d);
	free(d);
	free(u);
}

static void test_zip_escapes(void)
{
	const struct zent dotdot[] = { { "metadata.yaml", MD_OK, 0 }, { "../x", "boom", 0 } };
	const struct zent nested[] = { { "metadata.yaml", MD_OK, 0 }, { "a/../../x", "boom", 0 } };
	const struct zent abs[] = { { "metadata.yaml", MD_OK, 0 }, { "/tmp/evil-abs", "boom", 0 } };
	const struct zent link_abs[] = { { "metadata.yaml", MD_OK, 0 },
					 { "evil", "/etc", S_IFLNK | 0777 } };
	const struct zent link_up[] = { { "metadata.yaml", MD_OK, 0 },
					{ "hooks/evil", "../../x", S_IFLNK | 0777 } };
	/* A link that is fine on its own, then a file written through it. */
	const struct zent through[] = { { "metadata.yaml", MD_OK, 0 },
					{ "sub", ".", S_IFLNK | 0777 },
					{ "sub/x", "boom", S_IFREG | 0644 } };
	const struct zent dup[] = { { "metadata.yaml", MD_OK, 0 }, { "metadata.yaml", MD_OK, 0 } };
	const struct zent fifo[] = { { "metadata.yaml", MD_OK, 0 }, { "p", "", S_IFIFO | 0644 } };

	expect_zip_error(dotdot, 2, "charm archive entry \"../x\" escapes the charm directory");
	expect_zip_error(nested, 2, "charm archive entry \"a/../../x\" escapes the charm directory");
	expect_zip_error(abs, 2, "charm archive entry \"/tmp/evil-abs\" has an absolute path");
	ASSERT_TRUE(access("/tmp/evil-abs", F_OK) < 0);
	expect_zip_error(link_abs, 2, "charm archive entry \"evil\" (a symlink to \"/etc\") escapes the charm directory");
	expect_zip_error(link_up, 2, "charm archive entry \"hooks/evil\" (a symlink to \"../../x\") escapes the charm directory");
	expect_zip_error(through, 3, "charm archive entry \"sub/x\": cannot create its directory: a parent is not a directory");
	(void)dup; /* libzip refuses to write duplicate names, so this cannot be built here. */
	expect_zip_error(fifo, 2, "charm archive entry \"p\" is not a regular file, directory or symlink");
}

static void test_zip_limits(void)
{
	static const struct zent e[] = {
		{ "metadata.yaml", MD_OK, 0 },
		{ "dispatch", "#!/bin/sh\n", S_IFREG | 0755 },
		{ "big", "0123456789012345678901234567890123456789", 0 },
	};
	char *d = mktmp();
	char *zp = xasprintf("%s/c.charm", d), *u = xasprintf("%s/u", d);
	struct errbuf eb = { "" };

	make_zip(zp, e, 3);
	ASSERT_EQ(charm_unzip_limited(zp, u, 2, 1000, &eb), -EFBIG);
	ASSERT_CONTAINS(eb.msg, "has too many entries (more than 2)");
	ASSERT_EQ(charm_unzip_limited(zp, u, 10, 50, &eb), -EFBIG);
	ASSERT_CONTAINS(eb.msg, "is too large (more than 50 bytes unpacked)");
	ASSERT_TRUE(!exists(u, "metadata.yaml"));
	ASSERT_EQ(charm_unzip_limited(zp, u, 3, 100, &eb), 0);
	ASSERT_TRUE(exists(u, "big"));
	/* The scratch directory must be empty. */
	ASSERT_EQ(charm_unzip(zp, u, &eb), -EEXIST);
	ASSERT_CONTAINS(eb.msg, "not an empty directory");
	fs_rm_rf(d);
	free(d);
	free(zp);
	free(u);
}

static void test_not_a_zip(void)
{
	char *d = mktmp();
	struct errbuf eb = { "" };
	struct charm *c = NULL;
	char *u = xasprintf("%s/u", d), *zp = xasprintf("%s/junk.charm", d);

	put(d, "junk.charm", "this is not a zip file at all\n", 0644);
	ASSERT_EQ(charm_open(zp, u, &c, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "cannot open charm archive");
	ASSERT_TRUE(charm_open("/nonexistent.charm", u, &c, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "cannot open charm /nonexistent.charm");
	fs_rm_rf(d);
	free(d);
	free(u);
	free(zp);
}

static void test_zip_bad_charm_cleans_up(void)
{
	static const struct zent e[] = { { "metadata.yaml", "name: 5\n", 0 },
					 { "dispatch", "#!/bin/sh\n", S_IFREG | 0755 } };
	char msg[512], *d = NULL, *u;
	struct charm *c = NULL;

	ASSERT_EQ(open_zip(e, 2, msg, sizeof(msg), &d, &c), -EINVAL);
	ASSERT_STREQ(msg, "metadata.yaml: field \"name\": expected string, got integer");
	u = xasprintf("%s/unpacked", d);
	ASSERT_TRUE(!exists(d, "unpacked"));
	/* A scratch directory that existed (empty) before is emptied, not removed. */
	ASSERT_EQ(mkdir(u, 0755), 0);
	{
		char *zp = xasprintf("%s/c.charm", d);
		struct errbuf eb = { "" };

		ASSERT_EQ(charm_open(zp, u, &c, &eb), -EINVAL);
		free(zp);
	}
	ASSERT_TRUE(S_ISDIR(mode_of(d, "unpacked")));
	ASSERT_TRUE(!exists(u, "metadata.yaml"));
	fs_rm_rf(d);
	free(d);
	free(u);
}

/* ---------------- installing ---------------- */

static void test_install_fresh(void)
{
	char *d = mktmp();
	char *dst = xasprintf("%s/unit/charm", d);
	struct errbuf eb = { "" };
	char *s;

	ASSERT_EQ(charm_install_files(FULL, dst, NULL, &eb), 0);
	s = slurp(dst, "metadata.yaml");
	ASSERT_CONTAINS(s, "name: full-charm");
	free(s);
	ASSERT_EQ(mode_of(dst, "dispatch") & 07777, 0755);
	ASSERT_EQ(mode_of(dst, "metadata.yaml") & 07777, 0644);
	ASSERT_TRUE(S_ISLNK(mode_of(dst, "hooks/install")));
	ASSERT_TRUE(S_ISREG(mode_of(dst, "src/charm.sh")));
	/* Installing again over itself is idempotent. */
	ASSERT_EQ(charm_install_files(FULL, dst, FULL, &eb), 0);
	ASSERT_TRUE(S_ISREG(mode_of(dst, "src/charm.sh")));
	fs_rm_rf(d);
	free(d);
	free(dst);
}

static void test_install_refresh(void)
{
	char *d = mktmp();
	char *old = xasprintf("%s/old", d), *new = xasprintf("%s/new", d);
	char *dst = xasprintf("%s/unit", d);
	struct errbuf eb = { "" };
	char *s;

	put(old, "metadata.yaml", "name: v1\n", 0644);
	put(old, "dispatch", "#!/bin/sh\necho v1\n", 0755);
	put(old, "stale.txt", "old only\n", 0644);
	put(old, "olddir/x.py", "x\n", 0644);
	put(old, "keepdir/gone.py", "g\n", 0644);
	put(old, "keepdir/kept.py", "k1\n", 0644);
	put(old, "became-dir", "file in v1\n", 0644);
	put(old, "busy/a.py", "a\n", 0644);

	put(new, "metadata.yaml", "name: v2\n", 0644);
	put(new, "dispatch", "#!/bin/sh\necho v2\n", 0700);
	put(new, "keepdir/kept.py", "k2\n", 0644);
	put(new, "fresh.txt", "new\n", 0644);
	put(new, "became-dir/inside", "dir in v2\n", 0644);

	ASSERT_EQ(charm_install_files(old, dst, NULL, &eb), 0);
	/* Files the charm wrote itself. */
	put(dst, ".unit-state.db", "state", 0600);
	put(dst, "busy/charm-written.log", "log", 0644);
	put(dst, "keepdir/cache.bin", "c", 0644);

	ASSERT_EQ(charm_install_files(new, dst, old, &eb), 0);
	s = slurp(dst, "metadata.yaml");
	ASSERT_STREQ(s, "name: v2\n");
	free(s);
	s = slurp(dst, "dispatch");
	ASSERT_CONTAINS(s, "echo v2");
	free(s);
	ASSERT_EQ(mode_of(dst, "dispatch") & 07777, 0700);
	s = slurp(dst, "keepdir/kept.py");
	ASSERT_STREQ(s, "k2\n");
	free(s);
	ASSERT_TRUE(exists(dst, "fresh.txt"));
	ASSERT_TRUE(S_ISDIR(mode_of(dst, "became-dir")));
	ASSERT_TRUE(exists(dst, "became-dir/inside"));
	/* Old-charm files that the new charm lacks are gone. */
	ASSERT_TRUE(!exists(dst, "stale.txt"));
	ASSERT_TRUE(!exists(dst, "olddir/x.py"));
	ASSERT_TRUE(!exists(dst, "olddir"));
	ASSERT_TRUE(!exists(dst, "keepdir/gone.py"));
	ASSERT_TRUE(!exists(dst, "busy/a.py"));
	/* Files the charm wrote survive, and so does a directory holding one. */
	s = slurp(dst, ".unit-state.db");
	ASSERT_STREQ(s, "state");
	free(s);
	ASSERT_EQ(mode_of(dst, ".unit-state.db") & 07777, 0600);
	ASSERT_TRUE(exists(dst, "busy/charm-written.log"));
	ASSERT_TRUE(exists(dst, "keepdir/cache.bin"));
	/* No temporary files are left. */
	ASSERT_TRUE(!exists(dst, "metadata.yaml.cairn-new"));
	fs_rm_rf(d);
	free(d);
	free(old);
	free(new);
	free(dst);
}

static void test_install_bad_src(void)
{
	struct errbuf eb = { "" };

	ASSERT_EQ(charm_install_files("/nonexistent/src", "/tmp/never-created-xyz", NULL, &eb),
		  -ENOTDIR);
	ASSERT_CONTAINS(eb.msg, "not a directory");
	ASSERT_TRUE(access("/tmp/never-created-xyz", F_OK) < 0);
}

int main(void)
{
	RUN(test_pack_and_load_archive);
	RUN(test_pack_refuses_escapes);
	RUN(test_app_names);
	RUN(test_unit_names);
	RUN(test_load_full);
	RUN(test_load_minimal);
	RUN(test_bad_metadata);
	RUN(test_missing_metadata);
	RUN(test_bad_config);
	RUN(test_bad_actions);
	RUN(test_runnable);
	RUN(test_zip_valid);
	RUN(test_zip_of_fixture);
	RUN(test_zip_escapes);
	RUN(test_zip_limits);
	RUN(test_not_a_zip);
	RUN(test_zip_bad_charm_cleans_up);
	RUN(test_install_fresh);
	RUN(test_install_refresh);
	RUN(test_install_bad_src);
	return test_summary();
}
