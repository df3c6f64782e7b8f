/* userids.c - Pebble's owner rules over the passwd and group databases; see userids.h. */
#include "userids.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "gofmt.h"

#define USERIDS_NSS_BUF 16384

/* The _r lookups report "not found" as 0 or one of these (glibc's files backend). */
static bool not_found(int r)
{
	return r == 0 || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM;
}

/* 1 found, 0 not found, -errno on a failed lookup. */
static int by_name(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char *buf = xmalloc(USERIDS_NSS_BUF);
	int r = getpwnam_r(name, &pw, buf, USERIDS_NSS_BUF, &res);

	if (r == 0 && res) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
	}
	free(buf);
	if (res)
		return 1;
	return not_found(r) ? 0 : -r;
}

static int by_uid(uid_t uid, gid_t *gid, char *name, size_t n)
{
	struct passwd pw, *res = NULL;
	char *buf = xmalloc(USERIDS_NSS_BUF);
	int r = getpwuid_r(uid, &pw, buf, USERIDS_NSS_BUF, &res);

	if (r == 0 && res) {
		if (gid)
			*gid = pw.pw_gid;
		if (name)
			snprintf(name, n, "%s", pw.pw_name);
	}
	free(buf);
	if (res)
		return 1;
	return not_found(r) ? 0 : -r;
}

static int group_by_name(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char *buf = xmalloc(USERIDS_NSS_BUF);
	int r = getgrnam_r(name, &gr, buf, USERIDS_NSS_BUF, &res);

	if (r == 0 && res)
		*gid = gr.gr_gid;
	free(buf);
	if (res)
		return 1;
	return not_found(r) ? 0 : -r;
}

static int group_by_gid(gid_t gid, char *name, size_t n)
{
	struct group gr, *res = NULL;
	char *buf = xmalloc(USERIDS_NSS_BUF);
	int r = getgrgid_r(gid, &gr, buf, USERIDS_NSS_BUF, &res);

	if (r == 0 && res && name)
		snprintf(name, n, "%s", gr.gr_name);
	free(buf);
	if (res)
		return 1;
	return not_found(r) ? 0 : -r;
}

static int lookup_failed(struct errbuf *eb, const char *what, const char *arg, int r)
{
	char text[128];

	errbuf_set(eb, "user: lookup %s %s: %s", what, arg, gofmt_strerror(-r, text, sizeof(text)));
	return -1;
}

int userids_normalize(const struct userids_req *r, uid_t *ret_uid, gid_t *ret_gid, struct errbuf *eb)
{
	bool has_user = r->user && *r->user, has_group = r->group && *r->group;
	bool uid_set = r->uid_set, gid_set = r->gid_set;
	int64_t uid = r->uid, gid = r->gid;
	int k;

	if (!uid_set && !gid_set && !has_user && !has_group)
		return 0;
	if (has_user) {
		uid_t u = 0;
		gid_t g = 0;

		k = by_name(r->user, &u, &g);
		if (k < 0)
			return lookup_failed(eb, "username", r->user, k);
		if (k == 0)
			return errbuf_set(eb, "user: unknown user %s", r->user), -1;
		if (uid_set && uid != (int64_t)u)
			return errbuf_set(eb, "user \"%s\" UID (%lld) does not match user-id (%lld)", r->user,
					  (long long)u, (long long)uid), -1;
		uid = u;
		uid_set = true;
	}
	if (has_group) {
		gid_t g = 0;

		k = group_by_name(r->group, &g);
		if (k < 0)
			return lookup_failed(eb, "groupname", r->group, k);
		if (k == 0)
			return errbuf_set(eb, "group: unknown group %s", r->group), -1;
		if (gid_set && gid != (int64_t)g)
			return errbuf_set(eb, "group \"%s\" GID (%lld) does not match group-id (%lld)", r->group,
					  (long long)g, (long long)gid), -1;
		gid = g;
		gid_set = true;
	}
	if (!uid_set)
		return errbuf_set(eb, "must specify user, not just group"), -1;
	if (!gid_set) {
		gid_t g = 0;
		char arg[32];

		/* Neither group nor group-id: the user's primary group. */
		k = by_uid((uid_t)uid, &g, NULL, 0);
		snprintf(arg, sizeof(arg), "%lld", (long long)uid);
		if (k < 0)
			return lookup_failed(eb, "userid", arg, k);
		if (k == 0)
			return errbuf_set(eb, "user: unknown userid %lld", (long long)uid), -1;
		gid = g;
	}
	*ret_uid = (uid_t)uid;
	*ret_gid = (gid_t)gid;
	return 1;
}

bool userids_user_name(uid_t uid, char *out, size_t n)
{
	if (n)
		out[0] = '\0';
	return by_uid(uid, NULL, out, n) == 1;
}

bool userids_group_name(gid_t gid, char *out, size_t n)
{
	if (n)
		out[0] = '\0';
	return group_by_gid(gid, out, n) == 1;
}
