/* machine.c - the seed's machine charm in C (002-running-workloads "Machine charms"):
 * install packages with the configured installer, BlockedStatus "Failed to install
 * packages" when it fails; on start enable and start the service, BlockedStatus when that
 * fails, else ActiveStatus.  What happened is kept in stored state, so a failed install is
 * retried on the next config-changed (an operator fixing the config) and start completes
 * then. */
#include "machine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE "machine"

/* Runs "<command option> <argument option>".  Returns the exit code, or a negative errno
 * (logged) when the command could not be built or started. */
static int run_configured(struct cairn_charm *ch, const char *cmd_key, const char *arg_key)
{
	const char *cmd, *args[2] = { NULL, NULL };
	struct cairn_error err;
	int r, status = -1;

	if ((r = cairn_config_string(ch, cmd_key, "", &cmd, &err)) < 0 ||
	    (r = cairn_config_string(ch, arg_key, "", &args[0], &err)) < 0 ||
	    (r = cairn_run_command_line(cmd, args, &status, &err)) < 0) {
		cairn_log(ch, CAIRN_LOG_ERROR, "%s: %s", cmd_key, err.message);
		return r;
	}
	return status;
}

static int state(struct cairn_charm *ch, struct cairn_value **ret)
{
	int r = cairn_stored(ch, STATE, ret, NULL);

	if (r < 0)
		return r;
	cairn_map_set_default(*ret, "installed", cairn_value_bool(false));
	cairn_map_set_default(*ret, "start-requested", cairn_value_bool(false));
	cairn_map_set_default(*ret, "running", cairn_value_bool(false));
	return 0;
}

static bool flag(struct cairn_value *st, const char *key)
{
	bool b = false;

	cairn_map_bool(st, key, false, &b, NULL);
	return b;
}

/* Installs the packages; the status says how it went. */
static int install(struct cairn_charm *ch, struct cairn_value *st)
{
	int code;

	cairn_unit_set_status(ch, CAIRN_STATUS_MAINTENANCE, "installing packages", NULL);
	code = run_configured(ch, "installer", "packages");
	if (code != 0) {
		cairn_log(ch, CAIRN_LOG_DEBUG, "Package install failed with return code %d", code);
		cairn_map_set_bool(st, "installed", false);
		return cairn_unit_set_status(ch, CAIRN_STATUS_BLOCKED, "Failed to install packages", NULL);
	}
	cairn_map_set_bool(st, "installed", true);
	return 0;
}

/* Enables and starts the service. */
static int start_service(struct cairn_charm *ch, struct cairn_value *st)
{
	const char *svc = "";
	char msg[300];
	int code;

	cairn_config_string(ch, "service", "", &svc, NULL);
	code = run_configured(ch, "enable-command", "service");
	if (code != 0) {
		cairn_log(ch, CAIRN_LOG_DEBUG, "Starting systemd unit failed with return code %d", code);
		snprintf(msg, sizeof(msg), "Failed to start/enable %s service", svc);
		cairn_map_set_bool(st, "running", false);
		return cairn_unit_set_status(ch, CAIRN_STATUS_BLOCKED, msg, NULL);
	}
	cairn_map_set_bool(st, "running", true);
	return cairn_unit_set_status(ch, CAIRN_STATUS_ACTIVE, "", NULL);
}

static int on_install(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_value *st;
	int r = state(ch, &st);

	(void)data;
	return r < 0 ? r : install(ch, st);
}

static int on_start(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_value *st;
	int r = state(ch, &st);

	(void)data;
	if (r < 0)
		return r;
	cairn_map_set_bool(st, "start-requested", true);
	/* Nothing to start until the packages are there; the status already says why. */
	if (!flag(st, "installed"))
		return 0;
	return start_service(ch, st);
}

/* A failed install or start is retried when the operator changes the configuration. */
static int on_config_changed(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_value *st;
	int r = state(ch, &st);

	(void)data;
	if (r < 0)
		return r;
	if (!flag(st, "installed")) {
		r = install(ch, st);
		if (r < 0 || !flag(st, "installed"))
			return r;
	}
	if (flag(st, "start-requested") && !flag(st, "running"))
		return start_service(ch, st);
	return 0;
}

int machine_setup(struct cairn_charm *ch, void *data)
{
	int r = 0;

	(void)data;
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_INSTALL, NULL, on_install, NULL);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_CONFIG_CHANGED, NULL, on_config_changed, NULL);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_START, NULL, on_start, NULL);
	return r;
}
