/* agent_proto.h - the protocol between the controller and its machine agents: typed messages,
 * their encoding, and the validation of everything a peer sends (docs/protocol.md §3).
 *
 * One module for both sides.  A message is one frame: a 4-byte big-endian length (at most
 * PROTO_FRAME_MAX) and one JSON object whose "type" names the message.  Every message type
 * has one direction (agent -> controller or controller -> agent) and a table of fields, each
 * with its kind and limit; proto_decode() checks the direction, every field and every limit
 * and names what is wrong ("commit-hook: field \"seq\": expected an integer from 1 to ...").
 * Fields a decoder does not know are ignored, so later versions can add fields (relations,
 * actions, secrets, storage and resources are reserved, see docs/protocol.md); an unknown
 * message type is an error.
 *
 * Ownership: a decoded message borrows its strings and JSON values from the frame, which it
 * owns (proto_msg_done releases it).  A message built for sending borrows whatever the caller
 * put in it; proto_encode() copies. */
#ifndef CAIRN_AGENT_PROTO_H
#define CAIRN_AGENT_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/errbuf.h"

#define PROTO_VERSION 2  /* 2: relations, actions and exec (issue 12) */
#define PROTO_FRAME_MAX (4u * 1024u * 1024u) /* one frame's JSON, in bytes */
#define PROTO_CHUNK_MAX (256u * 1024u)       /* charm bytes in one charm-chunk */
#define PROTO_NAME_MAX 128                   /* unit, application and machine names */
#define PROTO_HOOK_MAX 95                    /* hook names */
#define PROTO_TEXT_MAX (128u * 1024u)        /* status and log messages */
#define PROTO_SECRET_MAX 256                 /* passwords and join tokens */
#define PROTO_CERT_MAX (16u * 1024u)         /* a PEM certificate */
#define PROTO_LOG_BATCH_MAX 512              /* records in one log message */
#define PROTO_UNITS_MAX 100000               /* units named in one welcome */
#define PROTO_PORTS_MAX 1024                 /* opened port ranges of a unit */
#define PROTO_STATE_KEYS_MAX 4096            /* charm state keys of a unit */
#define PROTO_STATE_KEY_MAX 256              /* quota.MaxCharmStateKeySize */
#define PROTO_STATE_VALUE_MAX (64u * 1024u)  /* quota.MaxCharmStateValueSize */
#define PROTO_ADDRESSES_MAX 64               /* addresses a machine reports */
#define PROTO_CONTAINERS_MAX 64              /* containers of a charm */
#define PROTO_RESOURCES_MAX 64               /* resources of a charm */
#define PROTO_MOUNTS_MAX 16                  /* `mounts:` of one container */
#define PROTO_PATH_MAX 1024                  /* a mount location, a resource file name */
#define PROTO_SEQ_MAX 9007199254740991LL     /* 2^53 - 1: exact in every JSON reader */
#define PROTO_RELATIONS_MAX 4096             /* relations of one unit in a goal or commit */
#define PROTO_ACTIONS_MAX 1024               /* queued tasks of one unit in a goal */
#define PROTO_RESULTS_MAX (1024u * 1024u)    /* an action's results as JSON, in bytes */

enum proto_dir { PROTO_TO_CONTROLLER, PROTO_TO_AGENT };

enum proto_type {
	/* agent -> controller */
	PROTO_HELLO,
	PROTO_JOIN,
	PROTO_SAVE_JOURNAL,
	PROTO_COMMIT_HOOK,
	PROTO_STATUS_SET,
	PROTO_STATUS_GET,
	PROTO_LOG,
	PROTO_HOOK_RAN,
	PROTO_UNIT_DEAD,
	PROTO_PROGRESS,
	PROTO_PING,
	PROTO_CHARM_GET,
	PROTO_TEARDOWN_DONE,
	PROTO_RESOURCE_GET,
	PROTO_ACTION_STARTED,
	PROTO_ACTION_LOG,
	PROTO_ACTION_RESULT,
	/* controller -> agent */
	PROTO_WELCOME,
	PROTO_JOINED,
	PROTO_REFUSED,
	PROTO_MODEL_CONFIG,
	PROTO_APP_GOAL,
	PROTO_UNIT_GOAL,
	PROTO_UNIT_REMOVED,
	PROTO_ACK,
	PROTO_NACK,
	PROTO_STATUS_RESULT,
	PROTO_PONG,
	PROTO_CHARM_CHUNK,
	PROTO_TEARDOWN,
	PROTO_RESOURCE_CHUNK,
	_PROTO_TYPE_MAX,
	_PROTO_TYPE_INVALID = -1,
};

/* ---- agent -> controller ---- */

/* First message of an enlisted agent: who it is and its credential. */
struct proto_hello {
	int64_t version;           /* PROTO_VERSION */
	const char *machine;       /* "0", "1", ... */
	const char *password;      /* the machine's credential */
	const char *agent_version;
	int64_t pid;
	const char *hostname;
	json_t *addresses;         /* [string]: the host's non-loopback addresses */
};

/* First (and only) message of `cairn-agent join`: a one-time token. */
struct proto_join {
	int64_t version;
	const char *token;         /* the secret part of the join token */
	const char *hostname;
	json_t *addresses;
};

/* Per-unit messages carry seq, a per-unit sequence number: the controller applies each seq
 * once and acknowledges it; a resend after a reconnect is acknowledged without applying. */
struct proto_save_journal {
	const char *unit;
	int64_t seq;
	json_t *journal;           /* the uniter's journal (opaque to the controller) */
};

/* A successful hook: the journal after the commit and the hook's buffered changes, applied
 * by the controller as one transaction.  Absent changes are unchanged. */
struct proto_commit_hook {
	const char *unit;
	int64_t seq;
	const char *hook;
	json_t *journal;
	json_t *state;             /* optional: {key: string}, the whole new charm state */
	json_t *ports;             /* optional: [string], the whole new set of opened ports */
	const char *app_version;   /* optional: application-version-set */
	/* optional: the hook's relation changes, [{"id", "scope"?: "enter"|"leave",
	 * "unit-bag"?: {key: string} (the unit's whole new bag), "app-bag"?: {...} (its
	 * application's, leader only)}] */
	json_t *relations;
	json_t *leader_settings;   /* optional: {key: string}, the whole new leader settings */
};

struct proto_status_set {
	const char *unit;
	int64_t seq;
	const char *kind;          /* "workload" | "agent" | "application" */
	const char *status;
	const char *message;
	json_t *data;              /* optional: {} */
	bool by_charm;             /* status-set (true) or the agent itself */
};

/* status-get --application: the controller holds every unit's status. */
struct proto_status_get {
	int64_t id;
	const char *unit;
	bool application;
	bool goal_state;           /* optional: goal-state's document instead of a status */
};

/* Tasks (actions and exec) the agent runs, all sequenced like the other unit messages. */
struct proto_action_started {
	const char *unit;
	int64_t seq;
	int64_t task;
};

struct proto_action_log {
	const char *unit;
	int64_t seq;
	int64_t task;
	int64_t time_ns;           /* wall clock */
	const char *message;
};

struct proto_action_result {
	const char *unit;
	int64_t seq;
	int64_t task;
	const char *status;        /* "completed" | "failed" | "aborted" */
	const char *message;
	json_t *results;           /* the action-set map plus return-code, stdout, stderr */
	/* optional, with "completed" only: what the task's hook context changed, as in
	 * commit-hook (relation bags, charm state, ports, leader settings) */
	json_t *relations;
	json_t *state;
	json_t *ports;
	json_t *leader_settings;
};

/* Log records: [{"unit", "time" (ns), "level", "module", "message"}]; "unit" may be "" for
 * the machine agent's own records. */
struct proto_log {
	json_t *records;
};

struct proto_hook_ran {
	const char *unit;
	int64_t seq;
	const char *hook;
	int64_t start_ns;          /* wall clock */
	int64_t duration_ns;
	int64_t code;
};

struct proto_unit_dead {
	const char *unit;
	int64_t seq;
};

/* What a unit is doing, for wait-for, status and resolved: sent when it changes.  gen is the
 * goal generation the agent has acted on. */
struct proto_progress {
	const char *unit;
	int64_t gen;
	const char *state;         /* "idle" | "busy" | "error" */
	bool settled;              /* every container runs and reported its boot id */
	/* optional: the unit's own address when it is not its machine's (a pod's), as status
	 * shows it; absent = the machine's */
	const char *address;
};

struct proto_ping {
	int64_t id;
	json_t *stats;             /* optional: the agent's hook timing figures (bench/) */
};

struct proto_charm_get {
	const char *digest;
	int64_t offset;
	int64_t length;            /* 1 .. PROTO_CHUNK_MAX */
};

/* ---- controller -> agent ---- */

struct proto_welcome {
	const char *machine;
	int64_t lease_ms;          /* leadership lease; the agent claims it for half of that */
	const char *model_name;
	const char *model_uuid;
	json_t *units;             /* [unit name]: every unit assigned to the machine */
	json_t *api_addresses;     /* optional: ["host:port"] for JUJU_API_ADDRESSES */
};

struct proto_joined {
	const char *machine;
	const char *password;
	const char *ca_cert;       /* PEM */
};

struct proto_refused {
	const char *error;
};

struct proto_model_config {
	int64_t update_status_ms;  /* update-status-hook-interval */
	bool retry_hooks;          /* automatically-retry-hooks */
	int64_t hook_timeout_ms;   /* 0 = no timeout */
};

/* An application's part of its units' goal. */
struct proto_app_goal {
	const char *app;
	int64_t gen;
	int64_t charm_rev;
	const char *charm_digest;
	int64_t charm_size;
	json_t *config;            /* effective config */
	const char *config_hash;
	const char *leader;        /* the unit holding the lease, or "" */
	int64_t leader_gen;
	json_t *containers;        /* [name] */
	/* Juju's CharmModifiedVersion: changes with every refresh and every resource change, so
	 * the uniter runs upgrade-charm for either (0 when absent: use charm_rev). */
	int64_t charm_modified;
	/* Optional (absent: {}).  resources: {name: {"type": "oci-image"|"file", "revision",
	 * "fingerprint" (SHA-256 hex of the content the agent fetches with resource-get),
	 * "size", "image" (oci-image: the manifest digest "sha256:<hex>"), "filename" (file,
	 * optional)}}: the revisions the operator supplied.  container-specs: {container:
	 * {"resource" (optional), "mounts": [{"storage", "location"}]}} from metadata.yaml. */
	json_t *resources;
	json_t *container_specs;
	json_t *leader_settings;   /* optional: {key: string} (leader-get) */
	bool dying;                /* optional: the application is being removed */
};

/* A unit's own part of its goal. */
struct proto_unit_goal {
	const char *unit;
	int64_t gen;
	bool alive;
	json_t *state;             /* committed charm state */
	json_t *ports;             /* committed opened ports */
	int64_t resolve_gen;       /* bumped by each `resolved` */
	const char *resolve_mode;  /* "retry-hooks" | "no-hooks" | "" */
	json_t *journal;           /* optional: the controller's copy (sent after a welcome) */
	json_t *workload_status;   /* optional: {"status","message","data","charm-set"} (idem) */
	json_t *relations;         /* optional: the unit's relations (agent/relgoal.h) */
	/* optional: the unit's queued and running tasks, oldest first: [{"id", "name",
	 * "params", "status": "pending"|"running"|"aborting", "kind": "action"|"exec"}] */
	json_t *actions;
	/* optional: a subordinate unit's principal unit (JUJU_PRINCIPAL_UNIT); absent for a
	 * principal */
	const char *principal;
};

struct proto_unit_removed {
	const char *unit;
};

struct proto_ack {
	const char *unit;
	int64_t seq;               /* every message of unit up to seq is applied */
};

struct proto_nack {
	const char *unit;
	int64_t seq;               /* this message was refused */
	const char *error;
};

struct proto_status_result {
	int64_t id;
	json_t *result;            /* optional */
	const char *error;         /* optional */
};

struct proto_pong {
	int64_t id;
};

struct proto_charm_chunk {
	const char *digest;
	int64_t offset;
	int64_t size;              /* of the whole archive */
	const char *data;          /* base64 of at most PROTO_CHUNK_MAX bytes; "" at the end */
	const char *error;         /* optional */
};

struct proto_msg {
	enum proto_type type;
	json_t *frame;             /* owned by a decoded message; NULL for one being built */
	union {
		struct proto_hello hello;
		struct proto_join join;
		struct proto_save_journal save_journal;
		struct proto_commit_hook commit_hook;
		struct proto_status_set status_set;
		struct proto_status_get status_get;
		struct proto_log log;
		struct proto_hook_ran hook_ran;
		struct proto_unit_dead unit_dead;
		struct proto_progress progress;
		struct proto_ping ping;
		struct proto_charm_get charm_get;
		struct proto_action_started action_started;
		struct proto_action_log action_log;
		struct proto_action_result action_result;
		struct proto_welcome welcome;
		struct proto_joined joined;
		struct proto_refused refused;
		struct proto_model_config model_config;
		struct proto_app_goal app_goal;
		struct proto_unit_goal unit_goal;
		struct proto_unit_removed unit_removed;
		struct proto_ack ack;
		struct proto_nack nack;
		struct proto_status_result status_result;
		struct proto_pong pong;
		struct proto_charm_chunk charm_chunk;
		/* resource-get / resource-chunk: the same fields as charm-get / charm-chunk, for
		 * a resource's content (digest = its fingerprint). */
		struct proto_charm_get resource_get;
		struct proto_charm_chunk resource_chunk;
	} u;
};

/* "hello", "commit-hook", ...; proto_type_from_name returns _PROTO_TYPE_INVALID. */
const char *proto_type_name(enum proto_type t);
/* For a sequenced message (save-journal, commit-hook, status-set, hook-ran, unit-dead,
 * action-started, action-log, action-result: the ones an agent keeps in its outbox until
 * acknowledged), where its unit and its sequence number are; NULL for any other type. */
int64_t *proto_sequenced(struct proto_msg *m, const char **ret_unit);
enum proto_type proto_type_from_name(const char *name);
/* The direction a type travels in. */
enum proto_dir proto_type_dir(enum proto_type t);

/* Starts a message of type t with every field zeroed. */
void proto_msg_init(struct proto_msg *m, enum proto_type t);
/* Releases a decoded message's frame; a built message owns nothing.  NULL-safe. */
void proto_msg_done(struct proto_msg *m);

/* Decodes obj (borrowed; a reference is taken on success) as a message travelling in
 * direction dir.  Returns 0, or -EPROTO with eb naming the type and field at fault; *ret is
 * untouched then. */
int proto_decode(json_t *obj, enum proto_dir dir, struct proto_msg *ret, struct errbuf *eb);

/* The JSON object of m (new reference).  Absent optional fields are left out. */
json_t *proto_encode(const struct proto_msg *m);
/* Appends m's frame to out.  -EMSGSIZE (eb set) when it would exceed PROTO_FRAME_MAX (out is
 * unchanged then). */
int proto_frame(const struct proto_msg *m, struct buf *out, struct errbuf *eb);

/* Takes the next complete frame off the front of in.  Returns 1 with a new object in *ret,
 * 0 when more bytes are needed, or -EPROTO (eb set) for a frame that is too large or not a
 * JSON object; the connection must then be closed. */
int proto_next_frame(struct buf *in, json_t **ret, struct errbuf *eb);

/* Base64 for charm chunks (standard alphabet, padded). */
void proto_b64_encode(const void *data, size_t n, struct buf *out);
/* Decodes s into out (at most max bytes); -EINVAL when s is not base64 or too long. */
int proto_b64_decode(const char *s, size_t max, struct buf *out);

#endif
