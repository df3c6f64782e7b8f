/* probe.c - a test charm for the SDK's integration tests on a real cairn agent.
 *
 * Built several times (tests/charms/CMakeLists.txt) with a different way of reaching the
 * agent (PROBE_TOOLS: the socket, the hook tools on PATH, or auto) and a different store
 * (PROBE_STORAGE: .unit-state.db or the controller's state).  Every event it observes is
 * appended to a list in stored state ("[r]" when re-emitted), and the unit status shows the
 * last events, so a test can see ordering, deferral and rollback across real dispatches:
 *   config defer-config=true   config-changed defers itself;
 *   config fail-hook=<hook>    that hook records itself, then fails (exit 1): the record
 *                              must not survive. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cairn/charm.h>

#ifndef PROBE_TOOLS
#define PROBE_TOOLS CAIRN_TOOLS_AUTO
#endif
#ifndef PROBE_STORAGE
#define PROBE_STORAGE CAIRN_STORAGE_LOCAL
#endif
#ifndef PROBE_MODE
#define PROBE_MODE "auto"
#endif

#define PROBE_SHOWN 6 /* events shown in the status */

static int on_event(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_value *st, *list;
	const char *fail = "";
	bool defer = false;
	char entry[300], msg[1024];
	size_t n, off = 0;
	int r;

	(void)data;
	if ((r = cairn_stored(ch, "probe", &st, NULL)) < 0)
		return r;
	cairn_map_set_default(st, "events", cairn_value_list());
	list = cairn_map_get(st, "events");
	snprintf(entry, sizeof(entry), "%s%s", cairn_event_hook(ev), cairn_event_reemitted(ev) ? "[r]" : "");
	cairn_list_append(list, cairn_value_string(entry));
	if ((r = cairn_config_bool(ch, "defer-config", false, &defer, NULL)) < 0 ||
	    (r = cairn_config_string(ch, "fail-hook", "", &fail, NULL)) < 0)
		return r;
	if (cairn_event_kind(ev) == CAIRN_EVENT_CONFIG_CHANGED && defer)
		cairn_event_defer(ev, NULL);
	if (!strcmp(fail, cairn_event_hook(ev))) {
		cairn_log(ch, CAIRN_LOG_ERROR, "failing %s as configured", cairn_event_hook(ev));
		return -EIO;
	}
	n = cairn_value_size(list);
	off = (size_t)snprintf(msg, sizeof(msg), "%s:", PROBE_MODE);
	for (size_t i = n > PROBE_SHOWN ? n - PROBE_SHOWN : 0; i < n && off < sizeof(msg); i++) {
		const char *s = "";

		cairn_value_get_string(cairn_list_at(list, i), &s);
		off += (size_t)snprintf(msg + off, sizeof(msg) - off, " %s", s);
	}
	return cairn_unit_set_status(ch, CAIRN_STATUS_ACTIVE, msg, NULL);
}

static int setup(struct cairn_charm *ch, void *data)
{
	static const enum cairn_event_kind kinds[] = {
		CAIRN_EVENT_INSTALL, CAIRN_EVENT_LEADER_ELECTED, CAIRN_EVENT_CONFIG_CHANGED, CAIRN_EVENT_START,
		CAIRN_EVENT_UPDATE_STATUS, CAIRN_EVENT_UPGRADE_CHARM,
	};
	int r = 0;

	(void)data;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && r == 0; i++)
		r = CAIRN_OBSERVE(ch, kinds[i], NULL, on_event, NULL);
	return r;
}

int main(void)
{
	struct cairn_charm_opts o = { .tools = PROBE_TOOLS, .storage = PROBE_STORAGE };

	return cairn_main_opts(&o, setup, NULL);
}
