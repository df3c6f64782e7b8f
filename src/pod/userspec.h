/* userspec.h - an image's User ("name", "uid", "name:group", "uid:gid", ...) resolved against
 * the image's own /etc/passwd and /etc/group (pure).
 *
 * runc only takes numeric ids, so names are resolved here, as containerd and Docker do when
 * they build a container's process: a name must exist in the image's passwd file (its uid,
 * primary gid and home are taken from there); a number need not (gid 0, home "/"); a group
 * part overrides the primary gid; the supplementary groups are the primary gid plus every
 * group that lists the user's name as a member.  Bad or unknown names are errors worded as
 * runc's ("unable to find user www: no matching entries in passwd file"). */
#ifndef CAIRN_POD_USERSPEC_H
#define CAIRN_POD_USERSPEC_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/errbuf.h"

#define USERSPEC_GROUPS_MAX 64
#define USERSPEC_FILE_MAX (1u << 20)  /* passwd/group files beyond this are refused */
#define USERSPEC_HOME_MAX 256

struct userspec_ids {
	uid_t uid;
	gid_t gid;
	gid_t groups[USERSPEC_GROUPS_MAX];  /* supplementary groups, primary gid first */
	size_t n_groups;
	char home[USERSPEC_HOME_MAX];       /* the user's home, "/" when unknown */
};

/* Resolves user (NULL or "" = root) with the contents of passwd and group (either may be
 * NULL: a missing file).  Writes *ret only on success.  Returns 0, or -ENOENT (unknown name)
 * / -EINVAL (malformed spec or id out of range) with eb saying which. */
int userspec_resolve(const char *user, const char *passwd, const char *group, struct userspec_ids *ret,
		     struct errbuf *eb);

#endif
