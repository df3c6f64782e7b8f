/* test-access.c - unit tests for the access decisions: the whole transport x class x level
 * table, caller resolution (named identities, uid defaults, basic auth) and the
 * Authorization header parser. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "scree/access.h"

/* `openssl passwd -6 -salt saltsalt test` */
#define HASH_TEST "$6$saltsalt$JcVDtuB6d1BHhCd5RPBh8g8xX/1CbY8EU2PN0MTaj2/Mypw4P./C6dN4j0HALhzBDTocyW1Jm.gYaTPjFGCV40"
#define DAEMON_UID 1234

#define U IDENT_UNTRUSTED
#define M IDENT_METRICS
#define R IDENT_READ
#define A IDENT_ADMIN

/* The expected table, written out in full: want[transport][class] lists, for untrusted,
 * metrics, read and admin callers, whether the call is allowed. */
static const bool want[ACCESS_TRANSPORT_MAX][API_ACCESS_MAX][IDENT_ACCESS_MAX] = {
	[ACCESS_UNIX] = {
		[API_OPEN] =    { [U] = 1, [M] = 1, [R] = 1, [A] = 1 },
		[API_USER] =    { [U] = 0, [M] = 0, [R] = 1, [A] = 1 },
		[API_ADMIN] =   { [U] = 0, [M] = 0, [R] = 0, [A] = 1 },
		[API_METRICS] = { [U] = 0, [M] = 1, [R] = 0, [A] = 1 },
	},
	[ACCESS_HTTP] = {
		[API_OPEN] =    { [U] = 1, [M] = 1, [R] = 1, [A] = 1 },
		[API_USER] =    { [U] = 0, [M] = 0, [R] = 0, [A] = 0 },
		[API_ADMIN] =   { [U] = 0, [M] = 0, [R] = 0, [A] = 0 },
		[API_METRICS] = { [U] = 0, [M] = 1, [R] = 0, [A] = 1 },
	},
	[ACCESS_HTTPS] = {
		[API_OPEN] =    { [U] = 1, [M] = 1, [R] = 1, [A] = 1 },
		[API_USER] =    { [U] = 0, [M] = 0, [R] = 1, [A] = 1 },
		[API_ADMIN] =   { [U] = 0, [M] = 0, [R] = 0, [A] = 1 },
		[API_METRICS] = { [U] = 0, [M] = 1, [R] = 0, [A] = 1 },
	},
};

static void test_table(void)
{
	for (int t = 0; t < ACCESS_TRANSPORT_MAX; t++)
		for (int c = 0; c < API_ACCESS_MAX; c++)
			for (int l = 0; l < IDENT_ACCESS_MAX; l++)
				if (access_allowed(t, c, l) != want[t][c][l])
					TFAIL("transport %d class %d level %d: got %d", t, c, l,
					      access_allowed(t, c, l));
	/* Out of range is refused, never read past the table. */
	ASSERT_TRUE(!access_allowed(ACCESS_TRANSPORT_MAX, API_OPEN, A));
	ASSERT_TRUE(!access_allowed(ACCESS_UNIX, API_ACCESS_MAX, A));
	ASSERT_TRUE(!access_allowed(ACCESS_UNIX, API_OPEN, IDENT_ACCESS_MAX));
}

static void add(struct ident_store *st, const char *name, const char *json)
{
	json_t *v = json_loads(json, 0, NULL);
	struct ident_req r = { name, NULL };
	struct ident_store nw;
	struct errbuf eb;

	if (ident_from_json(name, v, &r.ident, &eb) < 0 || ident_store_apply(st, IDENT_ADD, &r, 1, &nw, &eb) < 0) {
		printf("cannot add %s: %s\n", name, eb.msg);
		abort();
	}
	ident_store_swap(st, &nw);
	ident_store_done(&nw);
	ident_free(r.ident);
	json_decref(v);
}

static enum ident_access caller(const struct ident_store *st, enum access_transport t, int uid, const char *user,
				const char *password)
{
	struct access_peer p;

	memset(&p, 0, sizeof(p));
	p.transport = t;
	p.has_uid = uid >= 0;
	p.uid = uid >= 0 ? (uint32_t)uid : 0;
	p.basic = user != NULL;
	p.basic_user = user;
	p.basic_password = password;
	return access_caller(st, &p, DAEMON_UID);
}

static void test_caller(void)
{
	struct ident_store st;

	ident_store_init(&st);
	/* Without identities: root and the daemon's uid are admin, others read, TCP nobody. */
	ASSERT_EQ(caller(&st, ACCESS_UNIX, 0, NULL, NULL), A);
	ASSERT_EQ(caller(&st, ACCESS_UNIX, DAEMON_UID, NULL, NULL), A);
	ASSERT_EQ(caller(&st, ACCESS_UNIX, 65534, NULL, NULL), R);
	ASSERT_EQ(caller(&st, ACCESS_UNIX, -1, NULL, NULL), U);
	ASSERT_EQ(caller(&st, ACCESS_HTTP, -1, NULL, NULL), U);

	add(&st, "bob", "{\"access\":\"admin\",\"local\":{\"user-id\":42}}");
	add(&st, "rita", "{\"access\":\"read\",\"local\":{\"user-id\":0}}");
	add(&st, "unt", "{\"access\":\"untrusted\",\"local\":{\"user-id\":" "1234" "}}");
	add(&st, "met", "{\"access\":\"metrics\",\"local\":{\"user-id\":7}}");
	add(&st, "nancy", "{\"access\":\"metrics\",\"basic\":{\"password\":\"" HASH_TEST "\"}}");
	add(&st, "alice", "{\"access\":\"admin\",\"basic\":{\"password\":\"" HASH_TEST "\"}}");

	/* A named local identity decides, even for root and the daemon's uid. */
	ASSERT_EQ(caller(&st, ACCESS_UNIX, 42, NULL, NULL), A);
	ASSERT_EQ(caller(&st, ACCESS_UNIX, 0, NULL, NULL), R);
	ASSERT_EQ(caller(&st, ACCESS_UNIX, DAEMON_UID, NULL, NULL), U);
	ASSERT_EQ(caller(&st, ACCESS_UNIX, 7, NULL, NULL), M);
	ASSERT_EQ(caller(&st, ACCESS_UNIX, 43, NULL, NULL), R);
	/* Local identities never apply over TCP. */
	ASSERT_EQ(caller(&st, ACCESS_HTTP, 42, NULL, NULL), U);

	/* Basic auth wins over the uid; a wrong password matches nobody, and then what the uid
	 * alone would get applies on the socket, and nothing over TCP. */
	ASSERT_EQ(caller(&st, ACCESS_UNIX, 42, "nancy", "test"), M);
	ASSERT_EQ(caller(&st, ACCESS_HTTP, -1, "nancy", "test"), M);
	ASSERT_EQ(caller(&st, ACCESS_HTTP, -1, "alice", "test"), A);
	ASSERT_EQ(caller(&st, ACCESS_HTTP, -1, "nancy", "wrong"), U);
	ASSERT_EQ(caller(&st, ACCESS_HTTP, -1, "bob", "test"), U);
	ASSERT_EQ(caller(&st, ACCESS_HTTP, -1, "nobody", "test"), U);
	ASSERT_EQ(caller(&st, ACCESS_HTTP, -1, "nancy", NULL), U);
	ASSERT_EQ(caller(&st, ACCESS_UNIX, 65534, "nancy", "wrong"), R);
	/* Bogus credentials never shed a restrictive local identity (upstream would fall back
	 * to the uid's default here: read for 1234's "untrusted", admin for root's "read"). */
	ASSERT_EQ(caller(&st, ACCESS_UNIX, 42, "nancy", "wrong"), A);
	ASSERT_EQ(caller(&st, ACCESS_UNIX, DAEMON_UID, "nancy", "wrong"), U);
	ASSERT_EQ(caller(&st, ACCESS_UNIX, 0, "x", "y"), R);

	/* Put together: a metrics identity over plain HTTP reaches metrics and nothing else. */
	ASSERT_TRUE(access_allowed(ACCESS_HTTP, API_METRICS, caller(&st, ACCESS_HTTP, -1, "nancy", "test")));
	ASSERT_TRUE(!access_allowed(ACCESS_HTTP, API_USER, caller(&st, ACCESS_HTTP, -1, "alice", "test")));
	ASSERT_TRUE(!access_allowed(ACCESS_HTTP, API_METRICS, caller(&st, ACCESS_HTTP, -1, "nancy", "nope")));
	ident_store_done(&st);
}

static int basic(const char *header, char **user, char **password)
{
	*user = *password = NULL;
	return access_parse_basic(header, user, password);
}

static void test_parse_basic(void)
{
	char *u, *p;

	ASSERT_EQ(basic("Basic bmFuY3k6dGVzdA==", &u, &p), 0); /* nancy:test */
	ASSERT_STREQ(u, "nancy");
	ASSERT_STREQ(p, "test");
	free(u);
	free(p);
	ASSERT_EQ(basic("basic YTpiOmM=", &u, &p), 0); /* a:b:c, any case of "Basic" */
	ASSERT_STREQ(u, "a");
	ASSERT_STREQ(p, "b:c");
	free(u);
	free(p);
	ASSERT_EQ(basic("Basic Og==", &u, &p), 0); /* ":" */
	ASSERT_STREQ(u, "");
	ASSERT_STREQ(p, "");
	free(u);
	free(p);
	ASSERT_EQ(basic("Basic YQBiOmM=", &u, &p), 0); /* "a\0b:c": matches nobody */
	ASSERT_TRUE(p == NULL);
	free(u);
	ASSERT_EQ(basic("Basic YTpiAGM=", &u, &p), 0); /* "a:b\0c" */
	ASSERT_TRUE(p == NULL);
	free(u);
	ASSERT_EQ(basic(NULL, &u, &p), -EINVAL);
	ASSERT_EQ(basic("Bearer abc", &u, &p), -EINVAL);
	ASSERT_EQ(basic("Basic", &u, &p), -EINVAL);
	ASSERT_EQ(basic("Basic bmFuY3k", &u, &p), -EINVAL);      /* unpadded */
	ASSERT_EQ(basic("Basic bmFu*3k6dGVzdA==", &u, &p), -EINVAL); /* bad character */
	ASSERT_EQ(basic("Basic bmFuY3k=", &u, &p), -EINVAL);     /* "nancy": no colon */
	ASSERT_EQ(basic("Basic =bmFuY3k", &u, &p), -EINVAL);
	ASSERT_EQ(basic("Basic ", &u, &p), -EINVAL);             /* empty: no colon */
	ASSERT_TRUE(u == NULL && p == NULL);
}

int main(void)
{
	RUN(test_table);
	RUN(test_caller);
	RUN(test_parse_basic);
	return test_summary();
}
