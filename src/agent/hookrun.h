/* hookrun.h - running one hook process the way Juju's runner does (charm-runtime.md §1, §2).
 *
 * hookrun_start() picks the file (./dispatch when executable, else hooks/<name>; neither =
 * a *missing* hook), builds the hook environment from scratch, and spawns the process with
 * cwd = the charm dir, stdin = /dev/null, no arguments, in its own process group.  Its
 * stdout and stderr are read through the loop and handed, line by line, to the output
 * callback (stdout at DEBUG, stderr at WARNING).  The done callback fires once, after the
 * process has been reaped and its pipes drained. */
#ifndef CAIRN_HOOKRUN_H
#define CAIRN_HOOKRUN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/errbuf.h"
#include "lib/loop.h"

#define HOOKRUN_LINE_MAX 65536   /* longer output lines are split */
#define JUJU_VERSION_STRING "3.6.8"

struct hookrun;

struct hookrun_env {
	const char *unit;          /* "hello/0" */
	const char *hook;          /* "install" */
	const char *charm_dir;     /* absolute */
	const char *context_id;
	const char *socket_path;   /* JUJU_AGENT_SOCKET_ADDRESS */
	const char *tools_dir;     /* first on PATH */
	const char *model_name;
	const char *model_uuid;
	int machine;
	const char *principal;     /* JUJU_PRINCIPAL_UNIT: a subordinate's principal, NULL = "" */
	const char *workload;      /* JUJU_WORKLOAD_NAME for <c>-pebble-*, or NULL */
	/* Notice hooks (charm-runtime.md §2.2): JUJU_NOTICE_ID/TYPE/KEY for a custom notice,
	 * JUJU_PEBBLE_CHECK_NAME for check-failed/-recovered; NULL when not set. */
	const char *notice_id;
	const char *notice_type;
	const char *notice_key;
	const char *check_name;
	/* When set, the hook runs in a private mount namespace where /charm/containers is
	 * this directory, so /charm/containers/<c>/pebble.socket is this unit's socket. */
	const char *containers_dir;
	/* JUJU_API_ADDRESSES (space-separated host:port); NULL = none known. */
	const char *api_addresses;
	/* When set, the hook runs in this network namespace (the unit's pod's: a hook reaches
	 * its workload at localhost, as the charm container does on Kubernetes). */
	const char *netns;
	/* A relation hook (relation_id >= 0): JUJU_RELATION, JUJU_RELATION_ID ("<ep>:<id>"),
	 * JUJU_REMOTE_APP, JUJU_REMOTE_UNIT (may be ""), JUJU_DEPARTING_UNIT (departed only). */
	int relation_id;           /* -1 = not a relation hook */
	const char *relation;
	const char *remote_app;
	const char *remote_unit;
	const char *departing_unit;
	/* An action (action set): JUJU_ACTION_NAME, JUJU_ACTION_UUID and JUJU_ACTION_TAG,
	 * JUJU_HOOK_NAME empty, JUJU_DISPATCH_PATH=actions/<name>, and without dispatch the
	 * file actions/<name> runs. */
	const char *action;
	const char *action_id;     /* the task id, "7" */
	/* `exec`: the command run by /bin/bash -c (/bin/sh without bash) in the hook
	 * environment (no hook name, no dispatch path) instead of a charm file. */
	const char *command;
};

/* The path ops hard-codes for container sockets lives under this mount point. */
#define HOOKRUN_CONTAINERS_MOUNT "/charm/containers"

struct hookrun_cbs {
	/* One line of output (no newline); is_stderr tells which stream. */
	void (*output)(void *data, bool is_stderr, const char *line);
	/* The hook finished: code = exit code, or 128+signal when killed. */
	void (*done)(void *data, int code, bool signaled);
	void *data;
};

/* A hookrun_env with nothing set (relation_id -1). */
#define HOOKRUN_ENV_INIT { .relation_id = -1 }

/* Returns 1 when the hook is missing (nothing was started and no callback will fire), 0
 * when it started, or a negative errno with eb set (nothing started). */
int hookrun_start(struct loop *l, const struct hookrun_env *env, const struct hookrun_cbs *cbs,
		  struct hookrun **ret, struct errbuf *eb);
/* The hook's pid (also its process group). */
pid_t hookrun_pid(const struct hookrun *h);
/* Signals the hook's process group. */
void hookrun_kill(struct hookrun *h, int sig);
/* Frees a finished run (after its done callback), or kills and abandons a running one. */
void hookrun_free(struct hookrun *h);

/* Builds the NULL-terminated hook environment (exposed for tests); free with
 * hookrun_env_free. */
char **hookrun_env_build(const struct hookrun_env *env);
void hookrun_env_free(char **envp);

#endif
