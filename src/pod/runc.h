/* runc.h - Debian's runc driven as children of the loop, under a root directory of the pod
 * runtime's own (`runc --root`), so its `list` and `state` see only our containers.
 *
 * runc has no shim: `runc run --detach` starts the container's init (here the scree) and
 * exits, the init being re-parented to the nearest subreaper.  The supervisor therefore
 * watches each init through a pidfd and finds running ones again after a restart with
 * `runc state`. */
#ifndef CAIRN_POD_RUNC_H
#define CAIRN_POD_RUNC_H

#include <sys/types.h>

#include "lib/errbuf.h"
#include "lib/loop.h"
#include "tool.h"

#define RUNC_ID_MAX 64
#define RUNC_TIMEOUT_MS 60000

struct runc {
	char *bin;    /* the runc binary */
	char *root;   /* --root: state directory of our containers */
};

enum runc_status { RUNC_CREATING, RUNC_CREATED, RUNC_RUNNING, RUNC_PAUSED, RUNC_STOPPED, _RUNC_STATUS_MAX };

struct runc_state {
	enum runc_status status;
	pid_t pid;          /* the init's host pid (0 when stopped) */
};

/* Whether id is a valid runc container id ([A-Za-z0-9_.+-], 1..RUNC_ID_MAX). */
int runc_id_ok(const char *id);

/* Parses `runc state` output.  Returns 0 or -EBADMSG. Pure. */
int runc_state_parse(const char *json, size_t len, struct runc_state *ret, struct errbuf *eb);

/* Whether a failed runc call's stderr says the container does not exist. Pure. */
int runc_says_missing(const char *err_tail);

/* `runc run --detach --bundle <bundle> --pid-file <pid_file> [--preserve-fds 1] <id>`, its
 * output (and the container's stdout/stderr, which inherit it) appended to log_path; pass_fd
 * >= 0 becomes fd 3 of the container's process.  cb as for tool_run. */
int runc_run(struct loop *l, const struct runc *rc, const char *id, const char *bundle, const char *pid_file,
	     const char *log_path, int pass_fd, tool_cb cb, void *data, struct tool_req **ret, struct errbuf *eb);
/* `runc state <id>` (parse the output with runc_state_parse). */
int runc_state(struct loop *l, const struct runc *rc, const char *id, tool_cb cb, void *data,
	       struct tool_req **ret, struct errbuf *eb);
/* `runc delete --force <id>`. */
int runc_delete(struct loop *l, const struct runc *rc, const char *id, tool_cb cb, void *data,
		struct tool_req **ret, struct errbuf *eb);

#endif
