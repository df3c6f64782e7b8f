/* harness.h - the testing harness's state, shared by harness.c (the object, emits and
 * inspection), harness_tools.c (the fake agent that answers hook tools) and
 * harness_pebble.c (the fake Pebble of each container).
 *
 * The harness is the unit's agent and controller: it keeps the model the charm sees (config,
 * leadership, relations and their bags, storage, statuses, ports, workload version,
 * controller state) and, per dispatch, a hook context that buffers what Juju buffers until
 * the hook succeeds (relation-set, state-set, ports, workload version) while status-set,
 * juju-log and action output apply at once. */
#ifndef CAIRN_SDK_HARNESS_H
#define CAIRN_SDK_HARNESS_H

#include <jansson.h>
#include <stdbool.h>

#include "cairn/charm.h"
#include "lib/buf.h"
#include "sdk/meta.h"
#include "sdk/pebble.h"
#include "sdk/store.h"
#include "sdk/tools.h"

struct plan;
struct plan_service;

/* The address network-get and unit-get answer until cairn_harness_set_network (ops'
 * Harness uses the same). */
#define HARNESS_DEFAULT_ADDRESS "10.0.0.10"

struct h_relation {
	int id;
	char *endpoint;
	char *remote_app;
	json_t *units;  /* remote units, array of strings */
	json_t *bags;   /* {member: {key: value}} (remote and own) */
	bool removed;
};

struct h_exec_handler {
	char **prefix;  /* NULL-terminated */
	size_t n;
	cairn_harness_exec_fn fn;
	void *data;
};

struct h_service {
	char *name;
	enum cairn_service_status current;
	int starts;
	struct plan_service *started_with; /* the config it was started with (replan) */
};

struct h_container {
	char *name;
	bool can_connect;
	char *root;              /* the fake filesystem */
	struct plan *plan;
	struct h_service *svcs;
	size_t n_svcs;
	json_t *changes;         /* {id: change} */
	int next_change;
	json_t *checks;          /* {name: {"status","failures","active"}} */
	json_t *notices;         /* [notice] */
	int next_notice;
	struct h_exec_handler *handlers;
	size_t n_handlers;
};

/* What one dispatch buffered (applied when it succeeds). */
struct h_context {
	json_t *rel_sets;        /* [{"id": N, "app": bool, "data": {...}}] */
	json_t *state;           /* the controller state as this hook sees it */
	json_t *ports;           /* the ports as this hook sees them */
	char *version;           /* application-version-set, NULL if not called */
	bool version_set;
	/* action */
	bool is_action;
	json_t *params;
	json_t *results;
	json_t *logs;            /* array of strings */
	bool failed;
	char *fail_message;
};

struct cairn_harness {
	char *md, *cfg, *act;    /* the charm's files, as text */
	struct meta meta;        /* parsed once, for checks */
	cairn_setup_fn setup;
	void *data;
	enum cairn_storage storage;
	char *dir;               /* private charm dir and container roots live under it */
	char *charm_dir;
	char *unit;
	char *app;

	bool leader;
	json_t *config;          /* current values */
	struct h_relation *rels;
	size_t n_rels;
	int next_rel;
	json_t *storage_locs;    /* {id: location} */
	enum cairn_status unit_status, app_status;
	char *unit_message, *app_message;
	char *version;
	json_t *ports;           /* committed, canonical strings */
	json_t *ctl_state;       /* committed controller state {key: string} */
	json_t *leader_settings; /* {key: string}, written at once by leader-set */
	json_t *networks;        /* {binding: address}; "" is every other binding's */
	struct buf log;
	struct buf calls;
	struct h_container *containers;
	size_t n_containers;

	struct h_context ctx;    /* valid during a dispatch */
	bool in_dispatch;

	/* Inspection scratch. */
	const char **ports_vec;
	const char **logs_vec;
	json_t *last_results;
	char *last_fail;
	json_t *scratch;
};

/* The fake agent as a hook-tool transport (harness_tools.c). */
struct tools *harness_tools_new(struct cairn_harness *h);
/* The fake Pebble of a container (harness_pebble.c). */
struct pebble *harness_pebble_new(void *harness, const char *container);

struct h_relation *harness_relation(struct cairn_harness *h, int id);
struct h_container *harness_container(struct cairn_harness *h, const char *name);
void h_container_done(struct h_container *c);

#endif
