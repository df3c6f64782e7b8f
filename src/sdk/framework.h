/* framework.h - the framework object and the event object, shared by the SDK's modules.
 *
 * struct cairn_charm is the `ops` Framework + Model of one dispatch: the metadata, the hook
 * environment, the hook-tool transport, the store, the registered observers, and what the
 * dispatch has read or changed so far (config, leadership, relations, stored state, the
 * deferral queue).  It is built by charm_new() from a struct charm_init (cairn_main fills it
 * from the process, the harness from its fake agent) and lives for exactly one dispatch.
 *
 * Ownership: the charm owns everything reachable from it, including the transports and the
 * store handed over in charm_init. */
#ifndef CAIRN_SDK_FRAMEWORK_H
#define CAIRN_SDK_FRAMEWORK_H

#include <jansson.h>
#include <stdbool.h>

#include "cairn/charm.h"
#include "lib/buf.h"
#include "sdk/hookenv.h"
#include "sdk/meta.h"
#include "sdk/pebble.h"
#include "sdk/store.h"
#include "sdk/tools.h"

#define CHARM_MAX_OBSERVERS 1024
#define CHARM_MAX_NAMESPACE 256 /* bytes in a stored-state namespace name */

struct observer {
	enum cairn_event_kind kind;
	const char *name; /* borrowed from the metadata; NULL for static kinds */
	char *id;
	cairn_handler_fn fn;
	void *data;
};

struct cairn_relation {
	struct cairn_charm *ch;
	int id;
	char *endpoint;
	char ref[300];          /* "<endpoint>:<id>", the -r argument */
	char **units;           /* relation-list, NULL-terminated; NULL until read */
	size_t n_units;
	char *app;              /* remote application; NULL until known */
	json_t *bags;           /* {member: {key: value}} read so far */
};

/* The relations of one endpoint (relation-ids), the array cairn_relations() hands out. */
struct rel_list {
	char *endpoint;
	struct cairn_relation **v;
	size_t n;
};

/* One network-get answer: the public view and what it points into. */
struct net_entry {
	char *binding;
	int relation_id;        /* -1: asked without -r */
	json_t *doc;            /* the answer, owned */
	const char **ingress;   /* NULL-terminated, strings borrowed from doc */
	const char **egress;
	struct cairn_network pub;
};

/* The instances of one storage (storage-list), NULL-terminated. */
struct storage_list {
	char *name;
	char **ids;
	size_t n;
};

struct cairn_container {
	struct cairn_charm *ch;
	char *name;
	struct pebble *pb;      /* NULL until first used */
	int timeout_ms;
};

struct cairn_event {
	struct cairn_charm *ch;
	enum cairn_event_kind kind;
	const char *name;       /* borrowed from the metadata; NULL for static kinds */
	char hook[256];         /* "db-relation-changed", or the action name */
	json_t *env;            /* the event's snapshot (hookenv.h), owned */
	struct cairn_relation *relation;
	struct cairn_container *workload;
	const struct observer *obs; /* the handler being run */
	bool reemitted;
	bool deferred;          /* defer() was called during the current handler run */
	/* collect-status candidates: the best so far */
	bool have_status;
	enum cairn_status status;
	char *status_message;
	/* actions */
	json_t *params;         /* action-get, read on first use */
};

struct cairn_charm {
	struct meta meta;
	struct hookenv env;
	char *charm_dir;
	char *app;              /* from the unit name */
	char hook[256];         /* the dispatched hook (or action) */
	struct tools *tools;
	struct store *store;
	pebble_factory_fn pebble_factory;
	void *pebble_data;

	struct observer *obs;
	size_t n_obs;

	/* Stored state: namespaces read so far, and their values as read (change detection). */
	json_t *stored;         /* {ns: map} */
	json_t *stored_orig;    /* {ns: map as loaded} */
	json_t *notices;        /* the deferral queue as it will be committed */
	bool notices_loaded;

	/* Model caches for this dispatch. */
	json_t *config;
	int leader;             /* -1 until asked */
	struct cairn_relation **rels;
	size_t n_rels;
	struct rel_list *rel_lists; /* relation-ids per endpoint, as handed out */
	size_t n_rel_lists;
	int broken_relation;    /* id of the relation of a -relation-broken event, or -1 */
	struct cairn_container **containers;
	size_t n_containers;
	struct storage_list *storage_lists; /* storage-list per storage name */
	size_t n_storage_lists;
	json_t *storage_locs;   /* {id: location} from storage-get */
	char *status_message;   /* buffer behind cairn_*_get_status */
	json_t *leader_settings; /* leader-get, NULL until read */
	json_t *goal_state;     /* goal-state, NULL until read */
	struct net_entry **nets; /* network-get answers (stable: handed out) */
	size_t n_nets;
	char *addresses[2];     /* unit-get private-address, public-address */
	struct buf scratch;
};

struct charm_init {
	const char *charm_dir;      /* copied */
	struct meta *meta;          /* moved into the charm (left empty) */
	char *const *envp;          /* the hook environment ("KEY=VALUE"), read */
	struct tools *tools;        /* taken */
	struct store *store;        /* taken; NULL = the charm's choice (LOCAL/CONTROLLER) */
	enum cairn_storage storage; /* used when store is NULL */
	pebble_factory_fn pebble_factory; /* NULL: HTTP on the ops socket path */
	void *pebble_data;
};

int charm_new(struct charm_init *init, struct cairn_charm **ret, struct cairn_error *err);
void charm_free(struct cairn_charm *ch);

/* The dispatch (cairn/charm.h, steps 2-7).  Returns 0, or a negative errno with err
 * describing the failure (which has already been logged through juju-log). */
int charm_dispatch(struct cairn_charm *ch, cairn_setup_fn setup, void *data, struct cairn_error *err);

/* Events (event.c). */
struct cairn_event *event_new(struct cairn_charm *ch, enum cairn_event_kind kind, const char *name,
			      const char *hook, json_t *env);
void event_free(struct cairn_event *ev);
/* The event's variable from its snapshot (borrowed), or NULL. */
const char *event_var(const struct cairn_event *ev, enum hookenv_var var);

/* Model helpers shared across model_*.c. */
/* The relation object for (endpoint, id), created on first use. */
struct cairn_relation *relation_get_or_new(struct cairn_charm *ch, const char *endpoint, int id);
/* Parses a JUJU_RELATION_ID value ("db:3" or "3"); -1 when malformed. */
int relation_id_parse(const char *s);
/* Frees the network-get and unit-get answers of the dispatch (model_network.c). */
void model_network_free(struct cairn_charm *ch);
/* Maps a relation tool's "relation not found" failure to CAIRN_ERR_NOT_FOUND (ops'
 * RelationNotFoundError); other results pass through (model_relation.c). */
int model_relation_error(int r, struct cairn_error *err);

#endif
