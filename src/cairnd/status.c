/* status.c - the status document of operator-cli.md §8.3 (and the display rules of §8.2),
 * rendered as compact JSON text straight from the model (lib/jsonw.h): at 10,000 units a
 * jansson tree of it took longer to build, dump and free than the target for the whole
 * `status --format json`. */
#include "controller.h"

#include "cairnd/agents.h"
#include "cairnd/ctl_rel.h"
#include "lib/hmap.h"
#include "lib/jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One rendering: the writer and what repeats from unit to unit. */
struct render {
	struct controller *c;
	struct jsonw w;
	time_t since_s;            /* the last time formatted, and its text */
	char since[40];
	int mach_id;               /* the last machine looked up, and what it says */
	bool mach_lost;
	uint64_t mach_since;
	const char *mach_addr;
	char mach_name[16];
	/* Subordinate units show under their principal's "subordinates", not in their own
	 * application's units: principal name -> struct subs, and the units so placed. */
	struct hmap subs, placed;
};

struct subs {
	struct model_unit **v;
	size_t n;
};

/* Juju formats status times as "02 Jan 2006 15:04:05Z07:00"; we report UTC.  Units of a
 * deploy share their seconds: the last one formatted is reused. */
static const char *fmt_since(struct render *r, uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (s != r->since_s || !r->since[0]) {
		gmtime_r(&s, &tm);
		strftime(r->since, sizeof(r->since), "%d %b %Y %H:%M:%SZ", &tm);
		r->since_s = s;
	}
	return r->since;
}

static void status_block(struct render *r, const char *key, const char *current,
			 const char *message, uint64_t since, const char *version)
{
	struct jsonw *w = &r->w;

	jsonw_key(w, key);
	jsonw_obj(w);
	jsonw_kstr(w, "current", current ? current : "unknown");
	if (message && *message)
		jsonw_kstr(w, "message", message);
	if (since)
		jsonw_kstr(w, "since", fmt_since(r, since));
	if (version)
		jsonw_kstr(w, "version", version);
	jsonw_end(w);
}

const char *status_unit_address(struct controller *c, const struct model_unit *u)
{
	struct model_machine *mc = model_find_machine(c->m, u->machine);
	const char *a = mc ? json_string_value(json_array_get(mc->addresses, 0)) : NULL;

	return a ? a : "127.0.0.1";
}

/* What the unit's machine says (one lookup per machine, not per unit). */
static void machine_of(struct render *r, const struct model_unit *u)
{
	if (r->mach_id == u->machine && r->mach_addr)
		return;
	r->mach_id = u->machine;
	r->mach_lost = agents_lost(r->c->agents, u->machine);
	r->mach_since = agents_since_ns(r->c->agents, u->machine);
	r->mach_addr = status_unit_address(r->c, u);
	snprintf(r->mach_name, sizeof(r->mach_name), "%d", u->machine);
}

static void unit_doc(struct render *r, struct model_unit *u);

/* The units of subordinate applications, each under its principal. */
static void index_subordinates(struct render *r)
{
	struct controller *c = r->c;

	for (size_t i = 0; i < c->m->n_apps; i++) {
		struct model_app *a = c->m->apps[i];

		if (!a->charm || !a->charm->subordinate)
			continue;
		for (size_t k = 0; k < a->n_units; k++) {
			struct model_unit *su = a->units[k];
			const char *p = ctl_rel_principal(c, su->name);
			struct model_unit *pu = p ? model_find_unit(c->m, p) : NULL;
			struct subs *l;

			if (!pu)
				continue;
			l = hmap_get(&r->subs, pu->name);
			if (!l) {
				l = xcalloc(1, sizeof(*l));
				hmap_put(&r->subs, pu->name, l);
			}
			l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
			l->v[l->n++] = su;
			hmap_put(&r->placed, su->name, su);
		}
	}
}

static void unit_doc(struct render *r, struct model_unit *u)
{
	struct jsonw *w = &r->w;
	const char *msg;
	const char *wl = model_unit_display(u, &msg);
	bool err = !strcmp(wl, "error") && u->agent.current && !strcmp(u->agent.current, "error");
	const char *agent = u->agent.current ? u->agent.current : "allocating";
	const char *amsg = u->agent.message;
	uint64_t asince = u->agent.since_ns;

	machine_of(r, u);
	jsonw_key(w, u->name);
	jsonw_obj(w);
	status_block(r, "workload-status", wl, msg, err ? u->agent.since_ns : u->wl.since_ns, NULL);
	/* A hook error shows in the workload column; the agent column then reads idle (§8.2). */
	if (err) {
		agent = "idle";
		amsg = "";
	}
	/* An agent gone for longer than the lease is lost (operator-cli.md §8.2). */
	if (r->mach_lost) {
		agent = "lost";
		amsg = "agent is not communicating with the server";
		asince = r->mach_since;
	}
	status_block(r, "juju-status", agent, amsg, asince, CAIRN_AGENT_VERSION);
	if (u->app->leader && !strcmp(u->app->leader, u->name))
		jsonw_kbool(w, "leader", true);
	jsonw_kstr(w, "machine", r->mach_name);
	if (json_array_size(u->ports)) {
		jsonw_key(w, "open-ports");
		jsonw_json(w, u->ports);
	}
	/* A pod's unit is reached at its pod's address, as a Kubernetes unit at its pod's. */
	jsonw_kstr(w, "public-address", u->address[0] ? u->address : r->mach_addr);
	if (u->dying)
		jsonw_kstr(w, "life", "dying");
	struct subs *l = r->subs.n ? hmap_get(&r->subs, u->name) : NULL;

	if (l) {
		jsonw_key(w, "subordinates");
		jsonw_obj(w);
		for (size_t i = 0; i < l->n; i++)
			unit_doc(r, l->v[i]);
		jsonw_end(w);
	}
	jsonw_end(w);
}

static void app_doc(struct render *r, struct model_app *a)
{
	struct jsonw *w = &r->w;
	const char *msg, *version = NULL;
	uint64_t since;
	const char *st = model_app_display(a, &msg, &since);
	size_t alive = 0, shown = 0;
	json_t *rel;

	for (size_t i = 0; i < a->n_units; i++) {
		struct model_unit *u = a->units[i];

		if (!r->placed.n || !hmap_get(&r->placed, u->name))
			shown++;
		if (!u->dying)
			alive++;
		if (u->workload_version && *u->workload_version &&
		    (!version || (a->leader && !strcmp(a->leader, u->name))))
			version = u->workload_version;
	}
	jsonw_key(w, a->name);
	jsonw_obj(w);
	jsonw_kstr(w, "charm", a->charm_name);
	jsonw_kstr(w, "charm-origin", "local");
	jsonw_kstr(w, "charm-name", a->charm_name);
	jsonw_kint(w, "charm-rev", a->charm_rev);
	jsonw_kbool(w, "exposed", false);
	if (version)
		jsonw_kstr(w, "version", version);
	if (a->dying)
		jsonw_kstr(w, "life", "dying");
	status_block(r, "application-status", st, msg, since, NULL);
	jsonw_kint(w, "scale", (int64_t)alive);
	if (shown) {
		jsonw_key(w, "units");
		jsonw_obj(w);
		for (size_t i = 0; i < a->n_units; i++)
			if (!r->placed.n || !hmap_get(&r->placed, a->units[i]->name))
				unit_doc(r, a->units[i]);
		jsonw_end(w);
	}
	if ((rel = ctl_rel_status_app(r->c, a->name))) {
		jsonw_key(w, "relations");
		jsonw_json(w, rel);
		json_decref(rel);
	}
	if (a->charm && a->charm->subordinate) {
		/* Which applications it serves; its units show under theirs. */
		json_t *to = ctl_rel_subordinate_to(r->c, a->name);

		jsonw_key(w, "subordinate-to");
		jsonw_json(w, to);
		json_decref(to);
	}
	jsonw_end(w);
}

/* One machine as Juju shows it (operator-cli.md §8.3): the agent's state and the host's real
 * addresses, as its agent reported them. */
static void machine_doc(struct render *r, struct model_machine *mc)
{
	struct controller *c = r->c;
	struct jsonw *w = &r->w;
	const char *addr = json_string_value(json_array_get(mc->addresses, 0));
	bool up = agents_connected(c->agents, mc->id), lost = agents_lost(c->agents, mc->id);
	bool enlisted = mc->password_hash != NULL;
	uint64_t since = agents_since_ns(c->agents, mc->id);
	/* started: the agent is here (or only just gone, within the lease); down: gone longer;
	 * pending: never joined. */
	const char *state = up || (enlisted && !lost) ? "started" : enlisted ? "down" : "pending";
	const char *inst = mc->id == 0 ? "localhost" : enlisted ? NULL : "pending";
	char manual[300];

	if (!inst) {
		snprintf(manual, sizeof(manual), "manual:%s", addr ? addr : mc->hostname ? mc->hostname : "");
		inst = manual;
	}
	jsonw_key(w, mc->name);
	jsonw_obj(w);
	status_block(r, "juju-status", state, !enlisted ? "waiting for the agent to join" :
		     lost ? "agent is not communicating with the server" : NULL, since,
		     CAIRN_AGENT_VERSION);
	if (mc->hostname)
		jsonw_kstr(w, "hostname", mc->hostname);
	if (addr)
		jsonw_kstr(w, "dns-name", addr);
	jsonw_key(w, "ip-addresses");
	jsonw_json(w, mc->addresses);
	jsonw_kstr(w, "instance-id", inst);
	status_block(r, "machine-status", enlisted ? (lost ? "down" : "running") : "pending", NULL, since,
		     NULL);
	status_block(r, "modification-status", "idle", NULL, mc->created_ns, NULL);
	jsonw_key(w, "base");
	jsonw_obj(w);
	jsonw_kstr(w, "name", "debian");
	jsonw_kstr(w, "channel", "12");
	jsonw_end(w);
	jsonw_end(w);
}

static void machines(struct render *r)
{
	struct model *m = r->c->m;

	jsonw_obj(&r->w);
	/* The controller's own machine shows once it hosts units; every enlisted one always. */
	for (size_t i = 0; i < m->n_machines; i++) {
		struct model_machine *mc = m->machines[i];

		if (mc->id == 0 && !mc->n_units)
			continue;
		machine_doc(r, mc);
	}
	jsonw_end(&r->w);
}

static void render_init(struct render *r, struct controller *c, struct buf *out)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->mach_id = -1;
	hmap_init(&r->subs);
	hmap_init(&r->placed);
	jsonw_init(&r->w, out);
}

static void render_done(struct render *r)
{
	for (struct hmap_iter it = hmap_iter(&r->subs); hmap_next(&it);) {
		struct subs *l = it.value;

		free(l->v);
		free(l);
	}
	hmap_done(&r->subs);
	hmap_done(&r->placed);
}

json_t *status_machines(struct controller *c)
{
	struct buf b = BUF_INIT;
	struct render r;
	json_t *v;

	buf_init(&b);
	render_init(&r, c, &b);
	machines(&r);
	render_done(&r);
	v = json_loads(buf_str(&b), 0, NULL);
	buf_done(&b);
	return v ? v : json_object();
}

void status_render(struct controller *c, struct buf *out, bool relation_rows)
{
	struct model *m = c->m;
	struct render r;
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	render_init(&r, c, out);
	jsonw_obj(&r.w);
	jsonw_key(&r.w, "model");
	jsonw_obj(&r.w);
	jsonw_kstr(&r.w, "name", m->name);
	jsonw_kstr(&r.w, "type", "iaas");
	jsonw_kstr(&r.w, "controller", "cairn");
	jsonw_kstr(&r.w, "cloud", "localhost");
	jsonw_kstr(&r.w, "region", "localhost");
	jsonw_kstr(&r.w, "version", CAIRN_AGENT_VERSION);
	jsonw_key(&r.w, "model-status");
	jsonw_obj(&r.w);
	jsonw_kstr(&r.w, "current", "available");
	jsonw_end(&r.w);
	jsonw_kstr(&r.w, "sla", "unsupported");
	jsonw_end(&r.w);
	jsonw_key(&r.w, "machines");
	machines(&r);
	jsonw_key(&r.w, "applications");
	jsonw_obj(&r.w);
	index_subordinates(&r);
	for (size_t i = 0; i < m->n_apps; i++)
		app_doc(&r, m->apps[i]);
	jsonw_end(&r.w);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%SZ", &tm);
	jsonw_key(&r.w, "controller");
	jsonw_obj(&r.w);
	jsonw_kstr(&r.w, "timestamp", ts);
	jsonw_end(&r.w);
	if (relation_rows) {
		json_t *rows = ctl_rel_status_rows(c);

		jsonw_key(&r.w, "relation-rows");
		jsonw_json(&r.w, rows);
		json_decref(rows);
	}
	jsonw_end(&r.w);
	render_done(&r);
}
