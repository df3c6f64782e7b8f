/* hello.c - the seed's hello charm in C: the lifecycle events, statuses, a greeting
 * rendered from config, and "started" kept in stored state. */
#include "hello.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GREETING_FILE "greeting"

/* $JUJU_CHARM_DIR/greeting */
static void greeting_path(struct cairn_charm *ch, char *out, size_t n)
{
	snprintf(out, n, "%s/" GREETING_FILE, cairn_charm_dir(ch));
}

/* Reads the rendered greeting into out; -ENOENT when none was rendered. */
static int read_greeting(struct cairn_charm *ch, char *out, size_t n)
{
	char path[4096];
	FILE *f;
	size_t len;

	greeting_path(ch, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	len = fread(out, 1, n - 1, f);
	fclose(f);
	while (len && out[len - 1] == '\n')
		len--;
	out[len] = '\0';
	return 0;
}

/* Writes "Hello, <thing>!" over the greeting file in place.  A hook that dies half-way leaves
 * its journal uncommitted, so the agent runs config-changed again before any other hook
 * reads the file: no write-and-rename is needed, and it would cost a new inode and a flush
 * of the replaced file's blocks on every change (a fifth of the hook on ext4).  The file is
 * overwritten, then cut to the new length (truncating to zero first would make ext4 flush
 * it on close). */
static int render(struct cairn_charm *ch)
{
	char path[4096], text[1024];
	const char *thing;
	struct cairn_error err;
	int r, fd, n;

	r = cairn_config_string(ch, "thing", "world", &thing, &err);
	if (r < 0) {
		cairn_log(ch, CAIRN_LOG_ERROR, "cannot read config: %s", err.message);
		return r;
	}
	n = snprintf(text, sizeof(text), "Hello, %s!\n", thing);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		cairn_log(ch, CAIRN_LOG_ERROR, "config thing is too long");
		return -ENAMETOOLONG;
	}
	greeting_path(ch, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n || ftruncate(fd, n) < 0) {
		r = errno ? -errno : -EIO;
		close(fd);
		return r;
	}
	return close(fd) < 0 ? -errno : 0;
}

static int started(struct cairn_charm *ch, bool *ret)
{
	struct cairn_value *st;
	int r = cairn_stored(ch, "hello", &st, NULL);

	return r < 0 ? r : cairn_map_bool(st, "started", false, ret, NULL);
}

static int set_started(struct cairn_charm *ch, bool v)
{
	struct cairn_value *st;
	int r = cairn_stored(ch, "hello", &st, NULL);

	return r < 0 ? r : cairn_map_set_bool(st, "started", v);
}

static int active_with_greeting(struct cairn_charm *ch)
{
	char g[512];

	if (read_greeting(ch, g, sizeof(g)) < 0)
		return cairn_unit_set_status(ch, CAIRN_STATUS_BLOCKED, "no greeting rendered", NULL);
	return cairn_unit_set_status(ch, CAIRN_STATUS_ACTIVE, g, NULL);
}

static int on_install(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	int r;

	(void)data;
	r = cairn_unit_set_status(ch, CAIRN_STATUS_MAINTENANCE, "installing hello", NULL);
	if (r < 0)
		return r;
	cairn_log(ch, CAIRN_LOG_INFO, "installing hello on %s", cairn_unit_name(ch));
	return cairn_set_workload_version(ch, "1.0", NULL);
}

static int on_leader_elected(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);

	(void)data;
	cairn_log(ch, CAIRN_LOG_INFO, "%s is the leader", cairn_unit_name(ch));
	return 0;
}

static int on_config_changed(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	bool is_started = false;
	int r;

	(void)data;
	r = cairn_unit_set_status(ch, CAIRN_STATUS_MAINTENANCE, "configuring", NULL);
	if (r == 0)
		r = render(ch);
	if (r == 0)
		r = started(ch, &is_started);
	if (r == 0 && is_started)
		r = active_with_greeting(ch);
	return r;
}

static int on_start(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	int r;

	(void)data;
	r = set_started(ch, true);
	return r < 0 ? r : active_with_greeting(ch);
}

static int on_upgrade_charm(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);

	(void)data;
	cairn_log(ch, CAIRN_LOG_INFO, "upgraded to a new revision");
	return cairn_unit_set_status(ch, CAIRN_STATUS_MAINTENANCE, "upgrading", NULL);
}

static int on_update_status(struct cairn_event *ev, void *data)
{
	(void)data;
	return active_with_greeting(cairn_event_charm(ev));
}

static int on_stop(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	int r;

	(void)data;
	r = set_started(ch, false);
	return r < 0 ? r : cairn_unit_set_status(ch, CAIRN_STATUS_MAINTENANCE, "stopping", NULL);
}

static int on_remove(struct cairn_event *ev, void *data)
{
	char path[4096];

	(void)data;
	greeting_path(cairn_event_charm(ev), path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int on_greet(struct cairn_event *ev, void *data)
{
	char g[512];

	(void)data;
	if (read_greeting(cairn_event_charm(ev), g, sizeof(g)) < 0)
		return cairn_action_fail(ev, "no greeting rendered yet", NULL);
	return cairn_action_set_result(ev, "greeting", g, NULL);
}

int hello_setup(struct cairn_charm *ch, void *data)
{
	int r = 0;

	(void)data;
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_INSTALL, NULL, on_install, NULL);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_LEADER_ELECTED, NULL, on_leader_elected, NULL);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_CONFIG_CHANGED, NULL, on_config_changed, NULL);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_START, NULL, on_start, NULL);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_UPGRADE_CHARM, NULL, on_upgrade_charm, NULL);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_UPDATE_STATUS, NULL, on_update_status, NULL);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_STOP, NULL, on_stop, NULL);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_REMOVE, NULL, on_remove, NULL);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_ACTION, "greet", on_greet, NULL);
	return r;
}
