/* userids.h - users and groups as Pebble resolves them (osutil.NormalizeUidGid and Go's
 * os/user lookups), for every API field set of user-id/user/group-id/group: files
 * (§17 "owner rules"), exec, checks and services.
 *
 * Rules: nothing given means no owner; a name must exist and, when an id is given too,
 * agree with it; a user without a group gets the user's primary group; a group without
 * a user is an error.  Names come from the passwd and group databases (scree is static
 * and reads /etc/passwd and /etc/group only, as Pebble without cgo does).  Messages are
 * Go's: "user: unknown user bob", "group: unknown group staff", "user: unknown userid
 * 4242", `user "bob" UID (1000) does not match user-id (7)`, `group "staff" GID (50)
 * does not match group-id (7)`, "must specify user, not just group". */
#ifndef CAIRN_USERIDS_H
#define CAIRN_USERIDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "errbuf.h"

/* What a request asked for; user/group NULL or "" mean "not given". */
struct userids_req {
	bool uid_set;
	int64_t uid;
	bool gid_set;
	int64_t gid;
	const char *user;
	const char *group;
};

/* Returns 1 with *ret_uid and *ret_gid when the request names an owner, 0 when it names
 * none (outputs untouched), or -1 with eb holding Go's message. */
int userids_normalize(const struct userids_req *r, uid_t *ret_uid, gid_t *ret_gid, struct errbuf *eb);

/* The name of uid (gid) into out (NUL-terminated, n bytes), as Go's user.LookupId
 * (LookupGroupId) gives it; false (out = "") when there is none. */
bool userids_user_name(uid_t uid, char *out, size_t n);
bool userids_group_name(gid_t gid, char *out, size_t n);

#endif
