/* test-identities.c - unit tests for the identities model: validation messages, masking,
 * add/update/replace/remove semantics, password verification and identities files. */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "scree/identities.h"

/* A self-signed ed25519 certificate and a certificate request (valid PEM, not X.509),
 * made with `openssl req` for these tests. */
#define CERT_PEM                                                                                 \
	"-----BEGIN CERTIFICATE-----\n"                                                          \
	"MIIBQDCB86ADAgECAhQ1m80b+AAFeqAQEHijS8NsR+JvaTAFBgMrZXAwFTETMBEG\n"                     \
	"A1UEAwwKY2Fpcm4tdGVzdDAgFw0yNjEyMDEyMDIxMzBaGA8yMTI2MTEwNzIwMjEz\n"                     \
	"MFowFTETMBEGA1UEAwwKY2Fpcm4tdGVzdDAqMAUGAytlcAMhAH7mU/SpoUL3mtfA\n"                     \
	"ylVurXVaekuJmR/7y1sWrHeYaInQo1MwUTAdBgNVHQ4EFgQUxtVvYuDoBNFPwv8p\n"                     \
	"fmnCCf/INJEwHwYDVR0jBBgwFoAUxtVvYuDoBNFPwv8pfmnCCf/INJEwDwYDVR0T\n"                     \
	"AQH/BAUwAwEB/zAFBgMrZXADQQBByu6HN5N89g/7R9kOPA/nvqjS509bX/w3rbPm\n"                     \
	"vH7UVpqZWQSQ4k3vC76CTJ+++/wr/YwfWpL4x4UWEBIIou0E\n"                                     \
	"-----END CERTIFICATE-----\n"
#define CSR_PEM                                                                                  \
	"-----BEGIN CERTIFICATE REQUEST-----\n"                                                  \
	"MIGUMEgCAQAwFTETMBEGA1UEAwwKY2Fpcm4tdGVzdDAqMAUGAytlcAMhAKQNNe7b\n"                     \
	"H0M+A2hLn+PzzdWhvZiXXyl4/0mgXh7/P/q9oAAwBQYDK2VwA0EAR2fT+KZ4rUri\n"                     \
	"fU9WdWqxjVzUlI1HLNd6L8h+V/lMfTqlT0+/syPPhiF4D0lasuQc5XmCiV33BWDo\n"                     \
	"iNKD0sZpBA==\n"                                                                         \
	"-----END CERTIFICATE REQUEST-----\n"
/* `openssl passwd -6 -salt saltsalt test` */
#define HASH_TEST "$6$saltsalt$JcVDtuB6d1BHhCd5RPBh8g8xX/1CbY8EU2PN0MTaj2/Mypw4P./C6dN4j0HALhzBDTocyW1Jm.gYaTPjFGCV40"

static struct errbuf eb;

/* Parses JSON text as identity name: the identity, or NULL with eb set. */
static struct ident *parse(const char *name, const char *json)
{
	json_t *v = json_loads(json, 0, NULL);
	struct ident *id = NULL;

	errbuf_clear(&eb);
	ident_from_json(name, v, &id, &eb);
	json_decref(v);
	return id;
}

/* The error message, or "" when json parses. */
static const char *parse_err(const char *name, const char *json)
{
	struct ident *id = parse(name, json);

	if (!id)
		return eb.msg;
	ident_free(id);
	return "";
}

static void test_validation_messages(void)
{
	ASSERT_STREQ(parse_err("x", "{\"access\": \"admin\"}"),
		     "identity must have at least one type (\"local\", \"basic\", or \"cert\")");
	ASSERT_STREQ(parse_err("x", "{\"access\": \"admin\", \"local\": {}}"), "local identity must specify user-id");
	ASSERT_STREQ(parse_err("x", "{\"access\": \"admin\", \"local\": {\"user-id\": null}}"),
		     "local identity must specify user-id");
	ASSERT_STREQ(parse_err("x", "{\"access\": \"metrics\", \"basic\": {}}"),
		     "basic identity must specify password (hashed)");
	ASSERT_STREQ(parse_err("x", "{\"access\": \"metrics\", \"basic\": {\"password\": \"\"}}"),
		     "basic identity must specify password (hashed)");
	ASSERT_STREQ(parse_err("x", "{\"access\": \"read\", \"cert\": {}}"),
		     "cert identity must include a PEM-encoded certificate");
	ASSERT_STREQ(parse_err("x", "{\"access\": \"read\", \"cert\": {\"pem\": \"...\"}}"),
		     "cert identity must include a PEM-encoded certificate");
	ASSERT_STREQ(parse_err("x", "{\"access\": \"foo\", \"local\": {\"user-id\": 42}}"),
		     "invalid access value \"foo\", must be \"admin\", \"read\", \"metrics\", or \"untrusted\"");
	ASSERT_STREQ(parse_err("x", "{\"local\": {\"user-id\": 42}}"),
		     "access value must be specified (\"admin\", \"read\", \"metrics\", or \"untrusted\")");
	ASSERT_STREQ(parse_err("x", "{\"access\": null, \"local\": {\"user-id\": 42}}"),
		     "access value must be specified (\"admin\", \"read\", \"metrics\", or \"untrusted\")");
	ASSERT_STREQ(parse_err("1x", "{\"access\": \"read\", \"local\": {\"user-id\": 42}}"),
		     "identity name \"1x\" invalid: must start with an alphabetic character and only contain "
		     "alphanumeric characters, underscore, and hyphen");
	ASSERT_STREQ(parse_err("a b", "{\"access\": \"read\", \"local\": {\"user-id\": 42}}"),
		     "identity name \"a b\" invalid: must start with an alphabetic character and only contain "
		     "alphanumeric characters, underscore, and hyphen");
	ASSERT_STREQ(parse_err("", "{\"access\": \"read\", \"local\": {\"user-id\": 42}}"),
		     "identity name \"\" invalid: must start with an alphabetic character and only contain "
		     "alphanumeric characters, underscore, and hyphen");
	/* Type-specific checks come before the name and access checks, as upstream. */
	ASSERT_STREQ(parse_err("1x", "{\"local\": {}}"), "local identity must specify user-id");
	ASSERT_STREQ(parse_err("ok_Name-2", "{\"access\": \"untrusted\", \"local\": {\"user-id\": 0}}"), "");
	ASSERT_STREQ(parse_err("x", "{\"access\": \"read\", \"local\": {\"user-id\": 4294967296}}"),
		     "local identity user-id must be an integer between 0 and 4294967295");
	ASSERT_STREQ(parse_err("x", "[1]"), "identity must be an object");
	/* Unknown keys are ignored. */
	ASSERT_STREQ(parse_err("x", "{\"access\": \"read\", \"local\": {\"user-id\": 1, \"x\": 2}, \"y\": 3}"), "");
}

static void test_certificates(void)
{
	struct ident *id;
	json_t *v;

	id = parse("olivia", "{\"access\": \"read\", \"cert\": {\"pem\": " "\"" "-----BEGIN CERTIFICATE-----\\n"
			     "MIIBQDCB86ADAgECAhQ1m80b+AAFeqAQEHijS8NsR+JvaTAFBgMrZXAwFTETMBEG\\n"
			     "A1UEAwwKY2Fpcm4tdGVzdDAgFw0yNjEyMDEyMDIxMzBaGA8yMTI2MTEwNzIwMjEz\\n"
			     "MFowFTETMBEGA1UEAwwKY2Fpcm4tdGVzdDAqMAUGAytlcAMhAH7mU/SpoUL3mtfA\\n"
			     "ylVurXVaekuJmR/7y1sWrHeYaInQo1MwUTAdBgNVHQ4EFgQUxtVvYuDoBNFPwv8p\\n"
			     "fmnCCf/INJEwHwYDVR0jBBgwFoAUxtVvYuDoBNFPwv8pfmnCCf/INJEwDwYDVR0T\\n"
			     "AQH/BAUwAwEB/zAFBgMrZXADQQBByu6HN5N89g/7R9kOPA/nvqjS509bX/w3rbPm\\n"
			     "vH7UVpqZWQSQ4k3vC76CTJ+++/wr/YwfWpL4x4UWEBIIou0E\\n"
			     "-----END CERTIFICATE-----\\n\"}}");
	ASSERT_TRUE(id != NULL);
	ASSERT_STREQ(id->id_cert_pem, CERT_PEM);
	v = ident_to_json(id, true);
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(v, "cert"), "pem")), "*****");
	json_decref(v);
	ident_free(id);

	/* Through the JSON builder, to keep the PEMs readable. */
	{
		json_t *o = json_pack("{s:s, s:{s:s}}", "access", "read", "cert", "pem", CSR_PEM);
		struct ident *x = NULL;

		errbuf_clear(&eb);
		ASSERT_EQ(ident_from_json("x", o, &x, &eb), -EINVAL);
		ASSERT_TRUE(strncmp(eb.msg, "cannot parse certificate from cert identity: x509: ", 51) == 0);
		json_decref(o);
		o = json_pack("{s:s, s:{s:s}}", "access", "read", "cert", "pem", CERT_PEM "42");
		errbuf_clear(&eb);
		ASSERT_EQ(ident_from_json("x", o, &x, &eb), -EINVAL);
		ASSERT_STREQ(eb.msg, "cert identity cannot have extra data after the PEM block");
		json_decref(o);
		/* Leading text before the block is skipped (Go's pem.Decode does the same). */
		o = json_pack("{s:s, s:{s:s}}", "access", "read", "cert", "pem", "junk\n" CERT_PEM);
		ASSERT_EQ(ident_from_json("x", o, &x, &eb), 0);
		ASSERT_STREQ(x->id_cert_pem, CERT_PEM);
		ident_free(x);
		json_decref(o);
	}
}

static void test_masking_and_state(void)
{
	struct ident *id = parse("nancy", "{\"access\": \"metrics\", \"basic\": {\"password\": \"" HASH_TEST "\"},"
					  " \"local\": {\"user-id\": 42}}");
	json_t *v;
	char *s;

	ASSERT_TRUE(id != NULL);
	v = ident_to_json(id, true);
	s = json_dumps(v, JSON_COMPACT);
	ASSERT_STREQ(s, "{\"access\":\"metrics\",\"local\":{\"user-id\":42},\"basic\":{\"password\":\"*****\"}}");
	free(s);
	json_decref(v);
	v = ident_to_json(id, false);
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(v, "basic"), "password")), HASH_TEST);
	json_decref(v);
	ident_free(id);
}

/* Applies a JSON request {name: identity|null} to st (replacing st on success). */
static const char *apply(struct ident_store *st, enum ident_action act, const char *json)
{
	json_t *o = json_loads(json, 0, NULL), *v;
	struct ident_req reqs[16];
	struct ident_store nw;
	const char *name;
	size_t n = 0;
	int rv;

	errbuf_clear(&eb);
	json_object_foreach(o, name, v) {
		reqs[n].name = name;
		reqs[n].ident = NULL;
		if (ident_from_json(name, v, &reqs[n].ident, &eb) < 0)
			printf("bad test identity %s: %s\n", name, eb.msg);
		n++;
	}
	rv = ident_store_apply(st, act, reqs, n, &nw, &eb);
	if (rv == 0) {
		ident_store_swap(st, &nw);
		ident_store_done(&nw);
	}
	for (size_t i = 0; i < n; i++)
		ident_free(reqs[i].ident);
	json_decref(o);
	return rv < 0 ? eb.msg : "";
}

static char *store_json(const struct ident_store *st, bool masked)
{
	json_t *v = ident_store_to_json(st, masked);
	char *s = json_dumps(v, JSON_COMPACT);

	json_decref(v);
	return s;
}

#define ASSERT_STORE(st, masked, want)                                                           \
	do {                                                                                     \
		char *_s = store_json(st, masked);                                               \
		int _ok = strcmp(_s, want) == 0;                                                 \
		if (!_ok)                                                                        \
			printf("store: %s\n", _s);                                               \
		free(_s);                                                                        \
		ASSERT_TRUE(_ok);                                                                \
	} while (0)

static void test_actions(void)
{
	struct ident_store st;

	ident_store_init(&st);
	ASSERT_STORE(&st, true, "{}");
	ASSERT_STREQ(apply(&st, IDENT_ADD,
			   "{\"mary\": {\"access\": \"admin\", \"local\": {\"user-id\": 1000}},"
			   " \"bob\": {\"access\": \"read\", \"local\": {\"user-id\": 42}}}"),
		     "");
	ASSERT_STORE(&st, true,
		     "{\"bob\":{\"access\":\"read\",\"local\":{\"user-id\":42}},"
		     "\"mary\":{\"access\":\"admin\",\"local\":{\"user-id\":1000}}}");
	ASSERT_STREQ(apply(&st, IDENT_ADD, "{\"mary\": null}"),
		     "identity value for \"mary\" must not be null for add operation");
	ASSERT_STREQ(apply(&st, IDENT_ADD,
			   "{\"mary\": {\"access\": \"read\", \"local\": {\"user-id\": 5}},"
			   " \"bob\": {\"access\": \"read\", \"local\": {\"user-id\": 6}}}"),
		     "identities already exist: bob, mary");
	ASSERT_STREQ(apply(&st, IDENT_ADD, "{\"zed\": {\"access\": \"read\", \"local\": {\"user-id\": 42}}}"),
		     "cannot have multiple identities with user ID 42 (bob, zed)");
	ASSERT_STREQ(apply(&st, IDENT_UPDATE, "{\"nope\": {\"access\": \"read\", \"local\": {\"user-id\": 7}}}"),
		     "identities do not exist: nope");
	ASSERT_STREQ(apply(&st, IDENT_UPDATE, "{\"bob\": null}"),
		     "identity value for \"bob\" must not be null for update operation");
	/* Swapping uids in one update is fine: uniqueness is checked on the result. */
	ASSERT_STREQ(apply(&st, IDENT_UPDATE,
			   "{\"bob\": {\"access\": \"admin\", \"local\": {\"user-id\": 1000}},"
			   " \"mary\": {\"access\": \"read\", \"local\": {\"user-id\": 42}}}"),
		     "");
	ASSERT_STORE(&st, true,
		     "{\"bob\":{\"access\":\"admin\",\"local\":{\"user-id\":1000}},"
		     "\"mary\":{\"access\":\"read\",\"local\":{\"user-id\":42}}}");
	ASSERT_STREQ(apply(&st, IDENT_REPLACE,
			   "{\"bob\": null, \"mary\": {\"access\": \"read\", \"local\": {\"user-id\": 43}},"
			   " \"newguy\": {\"access\": \"admin\", \"local\": {\"user-id\": 44}}, \"ghost\": null}"),
		     "");
	ASSERT_STORE(&st, true,
		     "{\"mary\":{\"access\":\"read\",\"local\":{\"user-id\":43}},"
		     "\"newguy\":{\"access\":\"admin\",\"local\":{\"user-id\":44}}}");
	ASSERT_STREQ(apply(&st, IDENT_REMOVE, "{\"mary\": {\"access\": \"read\", \"local\": {\"user-id\": 43}}}"),
		     "identity value for \"mary\" must be null for remove operation");
	ASSERT_STREQ(apply(&st, IDENT_REMOVE, "{\"mary\": null, \"x\": null, \"a\": null}"),
		     "identities do not exist: a, x");
	ASSERT_STREQ(apply(&st, IDENT_REMOVE, "{\"mary\": null}"), "");
	ASSERT_STORE(&st, true, "{\"newguy\":{\"access\":\"admin\",\"local\":{\"user-id\":44}}}");
	ident_store_done(&st);
}

static void test_masked_password_keeps_hash(void)
{
	struct ident_store st;

	ident_store_init(&st);
	ASSERT_STREQ(apply(&st, IDENT_ADD, "{\"nancy\": {\"access\": \"metrics\", \"basic\": {\"password\": \"" HASH_TEST "\"}}}"), "");
	/* A client sends back what it read: the masked password. */
	ASSERT_STREQ(apply(&st, IDENT_UPDATE, "{\"nancy\": {\"access\": \"read\", \"basic\": {\"password\": \"*****\"}}}"), "");
	ASSERT_STREQ(ident_store_get(&st, "nancy")->id_password, HASH_TEST);
	ASSERT_EQ(ident_store_get(&st, "nancy")->id_access, IDENT_READ);
	ASSERT_STREQ(apply(&st, IDENT_REPLACE, "{\"nancy\": {\"access\": \"admin\", \"basic\": {\"password\": \"*****\"}}}"), "");
	ASSERT_STREQ(ident_store_get(&st, "nancy")->id_password, HASH_TEST);
	ASSERT_TRUE(ident_store_by_basic(&st, "nancy", "test") != NULL);
	/* A new hash replaces the old one. */
	ASSERT_STREQ(apply(&st, IDENT_UPDATE, "{\"nancy\": {\"access\": \"admin\", \"basic\": {\"password\": \"$6$x$y\"}}}"), "");
	ASSERT_STREQ(ident_store_get(&st, "nancy")->id_password, "$6$x$y");
	ASSERT_TRUE(ident_store_by_basic(&st, "nancy", "test") == NULL);
	ident_store_done(&st);
}

static void test_apply_json(void)
{
	struct ident_store st, nw;
	json_t *ids = json_loads("{\"b\": {\"access\": \"read\"}, \"a\": {\"access\": \"read\", \"local\": {}},"
				 " \"c\": {\"access\": \"read\", \"local\": {\"user-id\": 1}}}", 0, NULL);

	ident_store_init(&st);
	/* Identities are checked first (in name order), whatever the action. */
	ASSERT_EQ(ident_store_apply_json(&st, -1, ids, &nw, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg, "invalid identity for \"a\": local identity must specify user-id");
	json_object_del(ids, "a");
	ASSERT_EQ(ident_store_apply_json(&st, IDENT_ADD, ids, &nw, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg, "invalid identity for \"b\": identity must have at least one type (\"local\", "
			     "\"basic\", or \"cert\")");
	json_object_del(ids, "b");
	errbuf_set(&eb, "untouched");
	ASSERT_EQ(ident_store_apply_json(&st, -1, ids, &nw, &eb), -EOPNOTSUPP);
	ASSERT_STREQ(eb.msg, "untouched");
	ASSERT_EQ(nw.is_n, 0);
	ASSERT_EQ(ident_store_apply_json(&st, IDENT_REPLACE, ids, &nw, &eb), 0);
	ASSERT_EQ(nw.is_n, 1);
	ASSERT_EQ(st.is_n, 0);
	ident_store_done(&nw);
	json_decref(ids);
	ident_store_done(&st);
}

static void test_limit(void)
{
	struct ident_store st;
	struct ident_req reqs[IDENT_MAX_COUNT + 1];
	char names[IDENT_MAX_COUNT + 1][16];
	struct ident_store nw;

	ident_store_init(&st);
	for (int i = 0; i <= IDENT_MAX_COUNT; i++) {
		char json[64];

		snprintf(names[i], sizeof(names[i]), "u%d", i);
		snprintf(json, sizeof(json), "{\"access\":\"read\",\"local\":{\"user-id\":%d}}", i + 1);
		reqs[i].name = names[i];
		reqs[i].ident = parse(names[i], json);
	}
	ASSERT_EQ(ident_store_apply(&st, IDENT_ADD, reqs, IDENT_MAX_COUNT + 1, &nw, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg, "too many identities (at most 1000)");
	ASSERT_EQ(nw.is_n, 0);
	ASSERT_EQ(ident_store_apply(&st, IDENT_ADD, reqs, IDENT_MAX_COUNT, &nw, &eb), 0);
	ASSERT_EQ(nw.is_n, IDENT_MAX_COUNT);
	ASSERT_TRUE(ident_store_by_uid(&nw, 500) != NULL);
	ASSERT_STREQ(ident_store_by_uid(&nw, 500)->id_name, "u499");
	ASSERT_TRUE(ident_store_by_uid(&nw, 5000) == NULL);
	ident_store_done(&nw);
	for (int i = 0; i <= IDENT_MAX_COUNT; i++)
		ident_free(reqs[i].ident);
	ident_store_done(&st);
}

static void test_passwords(void)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], hash[CRYPT_OUTPUT_SIZE], rounds[160];
	struct crypt_data cd;

	ASSERT_TRUE(ident_password_ok(HASH_TEST, "test"));
	ASSERT_TRUE(!ident_password_ok(HASH_TEST, "Test"));
	ASSERT_TRUE(!ident_password_ok(HASH_TEST, ""));
	ASSERT_TRUE(!ident_password_ok("*****", "test"));
	ASSERT_TRUE(!ident_password_ok("", ""));
	/* A fresh salt from libxcrypt, and an explicit rounds count. */
	ASSERT_TRUE(crypt_gensalt_rn("$6$", 0, NULL, 0, salt, sizeof(salt)) != NULL);
	memset(&cd, 0, sizeof(cd));
	snprintf(hash, sizeof(hash), "%s", crypt_r("s3cret: with colon", salt, &cd));
	ASSERT_TRUE(ident_password_ok(hash, "s3cret: with colon"));
	ASSERT_TRUE(!ident_password_ok(hash, "s3cret"));
	ASSERT_TRUE(crypt_gensalt_rn("$6$", 6000, NULL, 0, salt, sizeof(salt)) != NULL);
	snprintf(hash, sizeof(hash), "%s", crypt_r("pw", salt, &cd));
	ASSERT_TRUE(strncmp(hash, "$6$rounds=6000$", 15) == 0);
	ASSERT_TRUE(ident_password_ok(hash, "pw"));
	/* Other hash methods never match, however valid for crypt(3). */
	ASSERT_TRUE(crypt_gensalt_rn("$5$", 0, NULL, 0, salt, sizeof(salt)) != NULL);
	snprintf(hash, sizeof(hash), "%s", crypt_r("pw", salt, &cd));
	ASSERT_TRUE(!ident_password_ok(hash, "pw"));
	/* Too many rounds: refused before hashing. */
	snprintf(rounds, sizeof(rounds), "$6$rounds=%d$saltsalt$x", IDENT_CRYPT_MAX_ROUNDS + 1);
	ASSERT_TRUE(!ident_password_ok(rounds, "pw"));
}

static void test_load_state(void)
{
	struct ident_store st;
	json_t *v;

	ident_store_init(&st);
	v = json_pack("{s:{s:s, s:{s:i}}, s:{s:s, s:{s:s}}, s:n}", "bob", "access", "read", "local", "user-id", 42,
		      "nancy", "access", "metrics", "basic", "password", HASH_TEST, "gone");
	ASSERT_EQ(ident_store_load_json(&st, v, &eb), 0);
	json_decref(v);
	ASSERT_EQ(st.is_n, 2);
	ASSERT_STORE(&st, false,
		     "{\"bob\":{\"access\":\"read\",\"local\":{\"user-id\":42}},"
		     "\"nancy\":{\"access\":\"metrics\",\"basic\":{\"password\":\"" HASH_TEST "\"}}}");
	ASSERT_TRUE(ident_store_by_basic(&st, "nancy", "test") != NULL);
	ASSERT_TRUE(ident_store_by_basic(&st, "bob", "test") == NULL);
	ASSERT_TRUE(ident_store_by_basic(&st, "nobody", "test") == NULL);
	ident_store_done(&st);

	v = json_pack("{s:{s:s}}", "bad", "access", "admin");
	ASSERT_EQ(ident_store_load_json(&st, v, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg, "identity \"bad\": identity must have at least one type (\"local\", \"basic\", or \"cert\")");
	ASSERT_EQ(st.is_n, 0);
	json_decref(v);
	ASSERT_EQ(ident_store_load_json(&st, NULL, &eb), 0);
}

static const char *file_json(const char *yaml)
{
	static char out[1024];
	json_t *v = NULL;
	char *s;

	errbuf_clear(&eb);
	if (ident_file_parse(yaml, strlen(yaml), &v, &eb) < 0)
		return eb.msg;
	s = json_dumps(v, JSON_COMPACT);
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	json_decref(v);
	return out;
}

static void test_files(void)
{
	ASSERT_STREQ(file_json("identities:\n    bob:\n        access: admin\n        local:\n            user-id: 42\n"
			       "    alice: null\n    carol:\n"),
		     "{\"bob\":{\"access\":\"admin\",\"local\":{\"user-id\":42}},\"alice\":null,\"carol\":null}");
	/* What the client marshals: an empty access, a local without user-id, scalars as text. */
	ASSERT_STREQ(file_json("identities:\n  x:\n    local: {}\n    basic: {password: 12345}\n    extra: 1\n"),
		     "{\"x\":{\"access\":\"\",\"local\":{\"user-id\":null},\"basic\":{\"password\":\"12345\"}}}");
	ASSERT_STREQ(file_json("{}"), "no identities to add; did you forget the top-level \"identities\" key?");
	ASSERT_STREQ(file_json(""), "no identities to add; did you forget the top-level \"identities\" key?");
	ASSERT_STREQ(file_json("bob:\n  access: admin\n"),
		     "no identities to add; did you forget the top-level \"identities\" key?");
	ASSERT_STREQ(file_json("identities:\n  x:\n    local:\n      user-id: -1\n"),
		     "cannot unmarshal identities: identity \"x\": user-id must be an integer between 0 and 4294967295");
	ASSERT_STREQ(file_json("identities: [1]\n"), "cannot unmarshal identities: \"identities\" must be a mapping");
	ASSERT_STREQ(file_json("- a\n"), "cannot unmarshal identities: the document must be a mapping");
	ASSERT_TRUE(strncmp(file_json("identities: {x: [}\n"), "cannot unmarshal identities: yaml: ", 35) == 0);
}

int main(void)
{
	RUN(test_validation_messages);
	RUN(test_certificates);
	RUN(test_masking_and_state);
	RUN(test_actions);
	RUN(test_masked_password_keeps_hash);
	RUN(test_apply_json);
	RUN(test_limit);
	RUN(test_passwords);
	RUN(test_load_state);
	RUN(test_files);
	return test_summary();
}
