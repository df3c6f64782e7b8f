/* test-c-machine.c - the machine charm through the harness, with recording stand-ins for the
 * installer and the service manager: install, the blocked path, retry on config-changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairn/charm.h>

#include "lib/fsutil.h"
#include "lib/test.h"
#include "machine.h"

static char dir[64];

/* A script that appends "<name> <args>" to dir/log and exits with code. */
static char *script(const char *name, int code)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fprintf(f, "#!/bin/sh\necho \"%s $*\" >> %s/log\nexit %d\n", name, dir, code);
	fclose(f);
	chmod(path, 0755);
	return path;
}

static char *log_text(void)
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
	return buf;
}

static struct cairn_harness *harness(int install_code, int enable_code)
{
	struct cairn_harness_opts o = { .charm_dir = getenv("CHARM_SRC") };
	struct cairn_harness *h = NULL;
	char cmd[200];

	fs_rm_rf(dir);
	mkdir(dir, 0755);
	if (cairn_harness_new(&o, machine_setup, NULL, &h, NULL) < 0)
		return NULL;
	snprintf(cmd, sizeof(cmd), "%s -y", script("installer", install_code));
	cairn_harness_set_config(h, "installer", cairn_value_string(cmd), NULL);
	snprintf(cmd, sizeof(cmd), "%s --now", script("enabler", enable_code));
	cairn_harness_set_config(h, "enable-command", cairn_value_string(cmd), NULL);
	return h;
}

static void deploy(struct cairn_harness *h)
{
	cairn_harness_emit(h, CAIRN_EVENT_INSTALL, NULL, NULL);
	cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL);
	cairn_harness_emit(h, CAIRN_EVENT_START, NULL, NULL);
}

static void test_installs_and_starts(void)
{
	struct cairn_harness *h = harness(0, 0);
	enum cairn_status st;
	const char *msg;

	ASSERT_TRUE(h);
	deploy(h);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_ACTIVE);
	ASSERT_STREQ(log_text(), "installer -y openssh-server\nenabler --now openssh-server\n");
	/* A config change with everything in place does nothing. */
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(log_text(), "installer -y openssh-server\nenabler --now openssh-server\n");
	cairn_harness_free(h);
}

static void test_failed_install_blocks_then_recovers(void)
{
	struct cairn_harness *h = harness(100, 0);
	enum cairn_status st;
	const char *msg;
	char cmd[200];

	ASSERT_TRUE(h);
	deploy(h);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_BLOCKED);
	ASSERT_STREQ(msg, "Failed to install packages");
	ASSERT_CONTAINS(cairn_harness_log(h), "DEBUG Package install failed with return code 100");
	ASSERT_TRUE(!strstr(log_text(), "enabler"));
	/* The operator fixes the installer: the next config-changed installs and starts. */
	snprintf(cmd, sizeof(cmd), "%s -y", script("installer2", 0));
	cairn_harness_set_config(h, "installer", cairn_value_string(cmd), NULL);
	cairn_harness_set_config(h, "packages", cairn_value_string("openssh-server rsync"), NULL);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_ACTIVE);
	ASSERT_CONTAINS(log_text(), "installer2 -y openssh-server rsync\nenabler --now openssh-server\n");
	cairn_harness_free(h);
}

static void test_failed_enable_blocks(void)
{
	struct cairn_harness *h = harness(0, 1);
	enum cairn_status st;
	const char *msg;

	ASSERT_TRUE(h);
	deploy(h);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_BLOCKED);
	ASSERT_STREQ(msg, "Failed to start/enable openssh-server service");
	cairn_harness_free(h);
}

static void test_missing_installer(void)
{
	struct cairn_harness *h = harness(0, 0);
	enum cairn_status st;
	const char *msg;

	ASSERT_TRUE(h);
	cairn_harness_set_config(h, "installer", cairn_value_string("/nonexistent/installer"), NULL);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_INSTALL, NULL, NULL), 0);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_STREQ(msg, "Failed to install packages");
	ASSERT_CONTAINS(cairn_harness_log(h), "fork/exec /nonexistent/installer: no such file or directory");
	cairn_harness_free(h);
}

int main(void)
{
	int r;

	snprintf(dir, sizeof(dir), "/tmp/cairn-machine-%d", (int)getpid());
	RUN(test_installs_and_starts);
	RUN(test_failed_install_blocks_then_recovers);
	RUN(test_failed_enable_blocks);
	RUN(test_missing_installer);
	r = test_summary();
	fs_rm_rf(dir);
	return r;
}
