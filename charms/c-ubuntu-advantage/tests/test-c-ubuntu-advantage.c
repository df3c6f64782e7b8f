/* test-c-ubuntu-advantage.c - the ubuntu-advantage-style charm through the harness:
 * stored state with set_default, idempotent reconciling (no command without a config
 * change), PPA and token changes, the token kept only hashed, failures blocking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairn/charm.h>

#include "lib/fsutil.h"
#include "lib/test.h"
#include "ua.h"

static char dir[64];
static const char *const commands[] = { "add-ppa-command", "remove-ppa-command", "install-command",
					"attach-command", "detach-command", NULL };

static void script(const char *name, int code)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fprintf(f, "#!/bin/sh\n{ printf %%s %s; for a; do printf ' %%s' \"$a\"; done; echo; } >> %s/log\nexit %d\n", name,
		dir, code);
	fclose(f);
	chmod(path, 0755);
}

/* Everything the commands logged since the last call. */
static const char *drain(void)
{
	static char buf[4096];
	char path[128];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/log", dir);
	buf[0] = '\0';
	if ((f = fopen(path, "r"))) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	unlink(path);
	return buf;
}

static struct cairn_harness *harness(int install_code)
{
	struct cairn_harness_opts o = { .charm_dir = getenv("CHARM_SRC") };
	struct cairn_harness *h = NULL;
	char path[200];

	fs_rm_rf(dir);
	mkdir(dir, 0755);
	if (cairn_harness_new(&o, ua_setup, NULL, &h, NULL) < 0)
		return NULL;
	for (int i = 0; commands[i]; i++) {
		script(commands[i], !strcmp(commands[i], "install-command") ? install_code : 0);
		snprintf(path, sizeof(path), "%s/%s", dir, commands[i]);
		cairn_harness_set_config(h, commands[i], cairn_value_string(path), NULL);
	}
	return h;
}

static void set(struct cairn_harness *h, const char *key, const char *value)
{
	cairn_harness_set_config(h, key, cairn_value_string(value), NULL);
}

static void status_is(struct cairn_harness *h, enum cairn_status want, const char *msg)
{
	enum cairn_status st;
	const char *m;

	cairn_harness_unit_status(h, &st, &m);
	if (st != want || strcmp(m, msg))
		printf("  status %s \"%s\", want %s \"%s\"\n", cairn_status_name(st), m, cairn_status_name(want), msg);
}

static void test_set_default_and_idempotence(void)
{
	struct cairn_harness *h = harness(0);
	const struct cairn_value *st;
	bool needs = true;
	enum cairn_status s;
	const char *m;

	ASSERT_TRUE(h);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(drain(), "install-command\n");
	cairn_harness_unit_status(h, &s, &m);
	ASSERT_EQ(s, CAIRN_STATUS_ACTIVE);
	ASSERT_STREQ(m, "Detached");
	st = cairn_harness_stored(h, "ubuntu-advantage");
	ASSERT_TRUE(st);
	ASSERT_EQ(cairn_value_kind(cairn_map_get(st, "hashed_token")), CAIRN_VALUE_NULL);
	ASSERT_EQ(cairn_value_kind(cairn_map_get(st, "ppa")), CAIRN_VALUE_NULL);
	ASSERT_EQ(cairn_map_bool(st, "package_needs_installing", true, &needs, NULL), 0);
	ASSERT_TRUE(!needs);
	/* No config change: nothing runs, "Configuring" then the same final status. */
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(drain(), "");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "status-set --application=false maintenance -- Configuring\n");
	cairn_harness_unit_status(h, &s, &m);
	ASSERT_STREQ(m, "Detached");
	cairn_harness_free(h);
}

static void test_ppa_changes(void)
{
	struct cairn_harness *h = harness(0);

	ASSERT_TRUE(h);
	set(h, "ppa", "ppa:ua-client/stable");
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(drain(), "add-ppa-command ppa:ua-client/stable\ninstall-command\n");
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(drain(), "");
	set(h, "ppa", "ppa:ua-client/daily");
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(drain(), "remove-ppa-command ppa:ua-client/stable\nadd-ppa-command ppa:ua-client/daily\n"
			      "install-command\n");
	set(h, "ppa", "");
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(drain(), "remove-ppa-command ppa:ua-client/daily\ninstall-command\n");
	cairn_harness_free(h);
}

static void test_token_changes_and_hashing(void)
{
	struct cairn_harness *h = harness(0);
	const char *hashed = NULL;

	ASSERT_TRUE(h);
	set(h, "token", "secret-1");
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(drain(), "install-command\nattach-command secret-1\n");
	status_is(h, CAIRN_STATUS_ACTIVE, "Attached");
	ASSERT_EQ(cairn_map_string(cairn_harness_stored(h, "ubuntu-advantage"), "hashed_token", NULL, &hashed, NULL), 0);
	/* sha256("secret-1") */
	ASSERT_STREQ(hashed, "f7e7c36e458e80e6b6a2c67d0a9ec09bd718dadd7bfa8d6bf6e7ad526e46c2f7");
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(drain(), "");
	set(h, "token", "secret-2");
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(drain(), "detach-command\nattach-command secret-2\n");
	set(h, "token", "");
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(drain(), "detach-command\n");
	status_is(h, CAIRN_STATUS_ACTIVE, "Detached");
	cairn_harness_free(h);
}

static void test_failed_install_blocks_and_is_retried(void)
{
	struct cairn_harness *h = harness(1);
	enum cairn_status s;
	const char *m;

	ASSERT_TRUE(h);
	set(h, "token", "t");
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	cairn_harness_unit_status(h, &s, &m);
	ASSERT_EQ(s, CAIRN_STATUS_BLOCKED);
	ASSERT_STREQ(m, "Failed to install ubuntu-advantage-tools");
	ASSERT_STREQ(drain(), "install-command\n"); /* no attach while blocked */
	script("install-command", 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(drain(), "install-command\nattach-command t\n");
	cairn_harness_unit_status(h, &s, &m);
	ASSERT_STREQ(m, "Attached");
	cairn_harness_free(h);
}

int main(void)
{
	int r;

	snprintf(dir, sizeof(dir), "/tmp/cairn-ua-%d", (int)getpid());
	RUN(test_set_default_and_idempotence);
	RUN(test_ppa_changes);
	RUN(test_token_changes_and_hashing);
	RUN(test_failed_install_blocks_and_is_retried);
	r = test_summary();
	fs_rm_rf(dir);
	return r;
}
