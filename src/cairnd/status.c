/* status.c - the status document of operator-cli.md §8.3 (and the display rules of §8.2). */
#include "controller.h"

#include "cairnd/agents.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Juju formats status times as "02 Jan 2006 15:04:05Z07:00"; we report UTC. */
static json_t *fmt_since(uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;
	char out[64];

	gmtime_r(&s, &tm);
	strftime(out, sizeof(out), "%d %b %Y %H:%M:%SZ", &tm);
	return json_string(out);
}

static json_t *status_block(const char *current, const char *message, uint64_t since,
			    const char *version)
{
	json_t *o = json_object();

	json_object_set_new(o, "current", json_string(current ? current : "unknown"));
	if (message && *message)
		json_object_set_new(o, "message", json_string(message));
	if (since)
		json_object_set_new(o, "since", fmt_since(since));
	if (version)
		json_object_set_new(o, "version", json_string(version));
	return o;
}

const char *status_unit_display(const struct model_unit *u, const char **msg)
{
	if (u->agent.current && !strcmp(u->agent.current, "error")) {
		*msg = u->agent.message;
		return "error";
	}
	*msg = u->wl.message;
	return u->wl.current ? u->wl.current : "unknown";
}

static int severity(const char *s)
{
	static const struct {
		const char *name;
		int sev;
	} t[] = { { "error", 100 }, { "blocked", 90 }, { "maintenance", 80 }, { "waiting", 70 },
		  { "active", 60 }, { "terminated", 50 }, { "unknown", 40 } };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].name, s))
			return t[i].sev;
	return 0;
}

const char *status_app_display(const struct model_app *a, const char **msg, uint64_t *since)
{
	const char *best = NULL;
	int best_sev = -1;

	if (a->status_set && a->status.current) {
		*msg = a->status.message;
		*since = a->status.since_ns;
		return a->status.current;
	}
	*msg = "";
	*since = 0;
	for (size_t i = 0; i < a->n_units; i++) {
		const char *m;
		const char *s = status_unit_display(a->units[i], &m);
		int sev = severity(s);

		if (sev > best_sev) {
			best_sev = sev;
			best = s;
			*msg = m;
			*since = a->units[i]->agent.current && !strcmp(a->units[i]->agent.current, "error")
					 ? a->units[i]->agent.since_ns
					 : a->units[i]->wl.since_ns;
		}
	}
	return best ? best : "unknown";
}

static json_t *unit_doc(struct controller *c, struct model_unit *u)
{
	json_t *o = json_object();
	const char *msg;
	const char *wl = status_unit_display(u, &msg);
	bool err = !strcmp(wl, "error") && u->agent.current && !strcmp(u->agent.current, "error");
	const char *agent = u->agent.current ? u->agent.current : "allocating";
	const char *amsg = u->agent.message;
	uint64_t asince = u->agent.since_ns;
	char mach[32];
	json_object_set_new(o, "workload-status",
			    status_block(wl, msg, err ? u->agent.since_ns : u->wl.since_ns, NULL));
	/* A hook error shows in the workload column; the agent column then reads idle (§8.2). */
	if (err) {
		agent = "idle";
		amsg = "";
	}
	/* An agent gone for longer than the lease is lost (operator-cli.md §8.2). */
	if (agents_lost(c->agents, u->machine)) {
		agent = "lost";
		amsg = "agent is not communicating with the server";
		asince = agents_since_ns(c->agents, u->machine);
	}
	json_object_set_new(o, "juju-status",
			    status_block(agent, amsg, asince, CAIRN_AGENT_VERSION));
	if (u->app->leader && !strcmp(u->app->leader, u->name))
		json_object_set_new(o, "leader", json_true());
	snprintf(mach, sizeof(mach), "%d", u->machine);
	json_object_set_new(o, "machine", json_string(mach));
	if (json_array_size(u->ports))
		json_object_set_new(o, "open-ports", json_deep_copy(u->ports));
	json_object_set_new(o, "public-address", json_string(status_unit_address(c, u)));
	if (u->dying)
		json_object_set_new(o, "life", json_string("dying"));
	return o;
}

static json_t *app_doc(struct controller *c, struct model_app *a)
{
	json_t *o = json_object(), *units = json_object();
	const char *msg, *version = NULL;
	uint64_t since;
	const char *st = status_app_display(a, &msg, &since);
	size_t alive = 0;

	json_object_set_new(o, "charm", json_string(a->charm_name));
	json_object_set_new(o, "charm-origin", json_string("local"));
	json_object_set_new(o, "charm-name", json_string(a->charm_name));
	json_object_set_new(o, "charm-rev", json_integer(a->charm_rev));
	json_object_set_new(o, "exposed", json_false());
	for (size_t i = 0; i < a->n_units; i++) {
		struct model_unit *u = a->units[i];

		if (!u->dying)
			alive++;
		if (u->workload_version && *u->workload_version &&
		    (!version || (a->leader && !strcmp(a->leader, u->name))))
			version = u->workload_version;
		json_object_set_new(units, u->name, unit_doc(c, u));
	}
	if (version)
		json_object_set_new(o, "version", json_string(version));
	if (a->dying)
		json_object_set_new(o, "life", json_string("dying"));
	json_object_set_new(o, "application-status", status_block(st, msg, since, NULL));
	json_object_set_new(o, "scale", json_integer((json_int_t)alive));
	if (json_object_size(units))
		json_object_set_new(o, "units", units);
	else
		json_decref(units);
	return o;
}

const char *status_unit_address(struct controller *c, const struct model_unit *u)
{
	struct model_machine *mc = model_find_machine(c->m, u->machine);
	const char *a = mc ? json_string_value(json_array_get(mc->addresses, 0)) : NULL;

	return a ? a : "127.0.0.1";
}

/* One machine as Juju shows it (operator-cli.md §8.3): the agent's state and the host's real
 * addresses, as its agent reported them. */
static json_t *machine_doc(struct controller *c, struct model_machine *mc)
{
	const char *addr = json_string_value(json_array_get(mc->addresses, 0));
	bool up = agents_connected(c->agents, mc->id), lost = agents_lost(c->agents, mc->id);
	bool enlisted = mc->password_hash != NULL;
	uint64_t since = agents_since_ns(c->agents, mc->id);
	/* started: the agent is here (or only just gone, within the lease); down: gone longer;
	 * pending: never joined. */
	const char *state = up || (enlisted && !lost) ? "started" : enlisted ? "down" : "pending";
	const char *inst = mc->id == 0 ? "localhost" : enlisted ? NULL : "pending";
	char manual[300];
	json_t *o = json_object();

	if (!inst) {
		snprintf(manual, sizeof(manual), "manual:%s", addr ? addr : mc->hostname ? mc->hostname : "");
		inst = manual;
	}
	json_object_set_new(o, "juju-status", status_block(state, !enlisted ? "waiting for the agent to join" :
							    lost ? "agent is not communicating with the server" : NULL,
							    since, CAIRN_AGENT_VERSION));
	if (mc->hostname)
		json_object_set_new(o, "hostname", json_string(mc->hostname));
	if (addr)
		json_object_set_new(o, "dns-name", json_string(addr));
	json_object_set_new(o, "ip-addresses", json_deep_copy(mc->addresses));
	json_object_set_new(o, "instance-id", json_string(inst));
	json_object_set_new(o, "machine-status",
			    status_block(enlisted ? (lost ? "down" : "running") : "pending", NULL, since, NULL));
	json_object_set_new(o, "modification-status", status_block("idle", NULL, mc->created_ns, NULL));
	json_object_set_new(o, "base", json_pack("{s:s, s:s}", "name", "debian", "channel", "12"));
	return o;
}

json_t *status_machines(struct controller *c)
{
	json_t *machines = json_object();

	/* The controller's own machine shows once it hosts units; every enlisted one always. */
	for (size_t i = 0; i < c->m->n_machines; i++) {
		struct model_machine *mc = c->m->machines[i];

		if (mc->id == 0 && !mc->n_units)
			continue;
		json_object_set_new(machines, mc->name, machine_doc(c, mc));
	}
	return machines;
}

json_t *status_build(struct controller *c)
{
	struct model *m = c->m;
	json_t *doc = json_object(), *apps = json_object(), *machines;
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	json_object_set_new(doc, "model",
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "name", m->name, "type",
				      "iaas", "controller", "cairn", "cloud", "localhost", "region",
				      "localhost", "version", CAIRN_AGENT_VERSION, "model-status",
				      json_pack("{s:s}", "current", "available"), "sla", "unsupported"));
	machines = status_machines(c);
	for (size_t i = 0; i < m->n_apps; i++)
		json_object_set_new(apps, m->apps[i]->name, app_doc(c, m->apps[i]));
	json_object_set_new(doc, "machines", machines);
	json_object_set_new(doc, "applications", apps);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%SZ", &tm);
	json_object_set_new(doc, "controller", json_pack("{s:s}", "timestamp", ts));
	return doc;
}
