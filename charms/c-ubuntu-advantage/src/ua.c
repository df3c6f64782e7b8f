/* ua.c - the seed's ubuntu-advantage excerpt in C (002-running-workloads "Machine charms"):
 *
 *     _state.set_default(hashed_token=None, package_needs_installing=True, ppa=None)
 *     config_changed: MaintenanceStatus("Configuring"); handle the PPA, the package, the
 *     token; unless blocked, set the final status.
 *
 * Each step compares the configuration with what stored state says was done and acts only
 * on a difference, so a config-changed without a config change runs no command at all. */
#include "ua.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define STATE "ubuntu-advantage"

/* Runs the command configured under cmd_key with arg appended (NULL for none); returns its
 * exit code or a negative errno (logged). */
static int run(struct cairn_charm *ch, const char *cmd_key, const char *arg)
{
	const char *cmd, *args[2] = { arg, NULL };
	struct cairn_error err;
	int r, status = -1;

	if ((r = cairn_config_string(ch, cmd_key, "", &cmd, &err)) < 0 ||
	    (r = cairn_run_command_line(cmd, args, &status, &err)) < 0) {
		cairn_log(ch, CAIRN_LOG_ERROR, "%s: %s", cmd_key, err.message);
		return r;
	}
	if (status != 0)
		cairn_log(ch, CAIRN_LOG_WARNING, "%s exited with status %d", cmd_key, status);
	return status;
}

/* The hex SHA-256 of s (the token is never stored itself). */
static void sha256_hex(const char *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* A stored string, or NULL when it is null. */
static const char *stored_str(struct cairn_value *st, const char *key)
{
	const char *s = NULL;

	cairn_map_string(st, key, NULL, &s, NULL);
	return s;
}

static void stored_set_str(struct cairn_value *st, const char *key, const char *s)
{
	cairn_map_set(st, key, s && *s ? cairn_value_string(s) : cairn_value_null());
}

/* Keeps the configured PPA added (and the previous one removed). */
static int handle_ppa_state(struct cairn_charm *ch, struct cairn_value *st, bool *blocked)
{
	const char *want = "", *have = stored_str(st, "ppa");

	cairn_config_string(ch, "ppa", "", &want, NULL);
	if (!strcmp(want, have ? have : ""))
		return 0;
	if (have && run(ch, "remove-ppa-command", have) != 0) {
		*blocked = true;
		return cairn_unit_set_status(ch, CAIRN_STATUS_BLOCKED, "Failed to remove the previous PPA", NULL);
	}
	if (*want && run(ch, "add-ppa-command", want) != 0) {
		*blocked = true;
		stored_set_str(st, "ppa", NULL);
		return cairn_unit_set_status(ch, CAIRN_STATUS_BLOCKED, "Failed to add the PPA", NULL);
	}
	stored_set_str(st, "ppa", want);
	/* A new package source: install (upgrade) the tools from it. */
	cairn_map_set_bool(st, "package_needs_installing", true);
	return 0;
}

/* Installs the tools when stored state says they need it. */
static int handle_package_state(struct cairn_charm *ch, struct cairn_value *st, bool *blocked)
{
	bool needed = true;

	cairn_map_bool(st, "package_needs_installing", true, &needed, NULL);
	if (!needed)
		return 0;
	if (run(ch, "install-command", NULL) != 0) {
		*blocked = true;
		return cairn_unit_set_status(ch, CAIRN_STATUS_BLOCKED, "Failed to install ubuntu-advantage-tools", NULL);
	}
	cairn_map_set_bool(st, "package_needs_installing", false);
	return 0;
}

/* Attaches with the configured token (detaching from the previous one first). */
static int handle_token_state(struct cairn_charm *ch, struct cairn_value *st, bool *blocked)
{
	const char *token = "", *have = stored_str(st, "hashed_token");
	char want[65] = "";

	cairn_config_string(ch, "token", "", &token, NULL);
	if (*token)
		sha256_hex(token, want);
	if (!strcmp(want, have ? have : ""))
		return 0;
	if (have && run(ch, "detach-command", NULL) != 0) {
		*blocked = true;
		return cairn_unit_set_status(ch, CAIRN_STATUS_BLOCKED, "Failed to detach", NULL);
	}
	stored_set_str(st, "hashed_token", NULL);
	if (*token) {
		if (run(ch, "attach-command", token) != 0) {
			*blocked = true;
			return cairn_unit_set_status(ch, CAIRN_STATUS_BLOCKED, "Failed to attach", NULL);
		}
		stored_set_str(st, "hashed_token", want);
	}
	return 0;
}

static int handle_status_state(struct cairn_charm *ch, struct cairn_value *st)
{
	return cairn_unit_set_status(ch, CAIRN_STATUS_ACTIVE, stored_str(st, "hashed_token") ? "Attached" : "Detached",
				     NULL);
}

static int config_changed(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_value *st;
	bool blocked = false;
	int r;

	(void)data;
	r = cairn_stored(ch, STATE, &st, NULL);
	if (r < 0)
		return r;
	cairn_map_set_default(st, "hashed_token", cairn_value_null());
	cairn_map_set_default(st, "package_needs_installing", cairn_value_bool(true));
	cairn_map_set_default(st, "ppa", cairn_value_null());
	cairn_log(ch, CAIRN_LOG_INFO, "Beginning config_changed");
	r = cairn_unit_set_status(ch, CAIRN_STATUS_MAINTENANCE, "Configuring", NULL);
	if (r == 0 && !blocked)
		r = handle_ppa_state(ch, st, &blocked);
	if (r == 0 && !blocked)
		r = handle_package_state(ch, st, &blocked);
	if (r == 0 && !blocked)
		r = handle_token_state(ch, st, &blocked);
	if (r < 0 || blocked)
		return r;
	r = handle_status_state(ch, st);
	cairn_log(ch, CAIRN_LOG_INFO, "Finished config_changed");
	return r;
}

int ua_setup(struct cairn_charm *ch, void *data)
{
	(void)data;
	return CAIRN_OBSERVE(ch, CAIRN_EVENT_CONFIG_CHANGED, NULL, config_changed, NULL);
}
