/* Unit tests for the agent protocol codec: every message type round-trips; every kind of
 * malformed message is refused with a message naming the type and field; random corruption of
 * valid frames never crashes the decoder (run under ASan+UBSan, see the brief). */
#include "proto/agent_proto.h"
#include "lib/test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int decode_str(const char *text, enum proto_dir dir, struct proto_msg *m, char *msg, size_t n)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_ALLOW_NUL, &je);
	struct errbuf eb;
	int r;

	errbuf_clear(&eb);
	if (!v) {
		snprintf(msg, n, "test JSON invalid: %s", je.text);
		return -100;
	}
	r = proto_decode(v, dir, m, &eb);
	json_decref(v);
	snprintf(msg, n, "%s", eb.msg);
	return r;
}

static void expect_refused(const char *text, enum proto_dir dir, const char *want)
{
	struct proto_msg m;
	char msg[512];
	int r = decode_str(text, dir, &m, msg, sizeof(msg));

	if (r == 0) {
		proto_msg_done(&m);
		TFAIL("accepted: %s", text);
	}
	if (r == -100)
		TFAIL("%s", msg);
	if (!strstr(msg, want))
		TFAIL("message \"%s\" lacks \"%s\" for %s", msg, want, text);
}

/* Encodes m, frames it, reads the frame back and decodes it. */
static int roundtrip(const struct proto_msg *m, struct proto_msg *out)
{
	struct buf b = BUF_INIT;
	struct errbuf eb;
	json_t *v = NULL;
	int r;

	buf_init(&b);
	if (proto_frame(m, &b, &eb) < 0)
		return -1;
	r = proto_next_frame(&b, &v, &eb);
	buf_done(&b);
	if (r != 1)
		return -1;
	r = proto_decode(v, proto_type_dir(m->type), out, &eb);
	if (r < 0)
		printf("decode: %s\n", eb.msg);
	json_decref(v);
	return r;
}

static void test_roundtrip_commit_hook(void)
{
	struct proto_msg m, d;
	json_t *journal = json_pack("{s:s}", "op", "continue");
	json_t *state = json_pack("{s:s}", "k", "v");
	json_t *ports = json_pack("[s]", "80/tcp");

	proto_msg_init(&m, PROTO_COMMIT_HOOK);
	m.u.commit_hook.unit = "app/3";
	m.u.commit_hook.seq = 42;
	m.u.commit_hook.hook = "config-changed";
	m.u.commit_hook.journal = journal;
	m.u.commit_hook.state = state;
	m.u.commit_hook.ports = ports;
	ASSERT_EQ(roundtrip(&m, &d), 0);
	ASSERT_EQ(d.type, PROTO_COMMIT_HOOK);
	ASSERT_STREQ(d.u.commit_hook.unit, "app/3");
	ASSERT_EQ(d.u.commit_hook.seq, 42);
	ASSERT_STREQ(d.u.commit_hook.hook, "config-changed");
	ASSERT_TRUE(json_equal(d.u.commit_hook.state, state));
	ASSERT_TRUE(json_equal(d.u.commit_hook.ports, ports));
	ASSERT_TRUE(d.u.commit_hook.app_version == NULL);
	proto_msg_done(&d);
	/* Without the optional changes. */
	m.u.commit_hook.state = NULL;
	m.u.commit_hook.ports = NULL;
	m.u.commit_hook.app_version = "1.2";
	ASSERT_EQ(roundtrip(&m, &d), 0);
	ASSERT_TRUE(d.u.commit_hook.state == NULL && d.u.commit_hook.ports == NULL);
	ASSERT_STREQ(d.u.commit_hook.app_version, "1.2");
	proto_msg_done(&d);
	json_decref(journal);
	json_decref(state);
	json_decref(ports);
}

static void test_roundtrip_goals(void)
{
	struct proto_msg m, d;
	json_t *cfg = json_pack("{s:s, s:i}", "thing", "world", "port", 80);
	json_t *ctrs = json_pack("[s, s]", "web", "db");
	json_t *state = json_object(), *ports = json_array();

	proto_msg_init(&m, PROTO_APP_GOAL);
	m.u.app_goal.app = "hello";
	m.u.app_goal.gen = 7;
	m.u.app_goal.charm_rev = 2;
	m.u.app_goal.charm_digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	m.u.app_goal.charm_size = 1234;
	m.u.app_goal.config = cfg;
	m.u.app_goal.config_hash = "abc123";
	m.u.app_goal.leader = "hello/0";
	m.u.app_goal.leader_gen = 1;
	m.u.app_goal.containers = ctrs;
	ASSERT_EQ(roundtrip(&m, &d), 0);
	ASSERT_STREQ(d.u.app_goal.leader, "hello/0");
	ASSERT_EQ(d.u.app_goal.charm_size, 1234);
	ASSERT_TRUE(json_equal(d.u.app_goal.config, cfg));
	ASSERT_EQ(json_array_size(d.u.app_goal.containers), 2);
	proto_msg_done(&d);
	m.u.app_goal.leader = ""; /* nobody leads */
	ASSERT_EQ(roundtrip(&m, &d), 0);
	ASSERT_STREQ(d.u.app_goal.leader, "");
	ASSERT_TRUE(d.u.app_goal.resources == NULL && d.u.app_goal.container_specs == NULL);
	proto_msg_done(&d);
	/* Resources: an image and a file, and the containers that use them. */
	{
		json_t *res = json_pack("{s:{s:s, s:i, s:s, s:i, s:s}, s:{s:s, s:i, s:s, s:i, s:s}}",
					"web-image", "type", "oci-image", "revision", 2, "fingerprint",
					"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
					"size", 4096, "image",
					"sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
					"conf", "type", "file", "revision", 1, "fingerprint",
					"00000000000000000000000000000000000000000000000000000000000000aa",
					"size", 3, "filename", "app.conf");
		json_t *specs = json_pack("{s:{s:s, s:[{s:s, s:s}]}, s:{}}", "web", "resource", "web-image",
					  "mounts", "storage", "data", "location", "/srv/data", "db");

		m.u.app_goal.charm_modified = 5;
		m.u.app_goal.resources = res;
		m.u.app_goal.container_specs = specs;
		ASSERT_EQ(roundtrip(&m, &d), 0);
		ASSERT_EQ(d.u.app_goal.charm_modified, 5);
		ASSERT_TRUE(json_equal(d.u.app_goal.resources, res));
		ASSERT_TRUE(json_equal(d.u.app_goal.container_specs, specs));
		proto_msg_done(&d);
		m.u.app_goal.resources = m.u.app_goal.container_specs = NULL;
		json_decref(res);
		json_decref(specs);
	}

	proto_msg_init(&m, PROTO_UNIT_GOAL);
	m.u.unit_goal.unit = "hello/0";
	m.u.unit_goal.gen = 9;
	m.u.unit_goal.alive = true;
	m.u.unit_goal.state = state;
	m.u.unit_goal.ports = ports;
	m.u.unit_goal.resolve_mode = "no-hooks";
	m.u.unit_goal.resolve_gen = 3;
	ASSERT_EQ(roundtrip(&m, &d), 0);
	ASSERT_TRUE(d.u.unit_goal.alive);
	ASSERT_STREQ(d.u.unit_goal.resolve_mode, "no-hooks");
	ASSERT_TRUE(d.u.unit_goal.journal == NULL);
	ASSERT_TRUE(d.u.unit_goal.principal == NULL);
	proto_msg_done(&d);
	m.u.unit_goal.unit = "sub/4";
	m.u.unit_goal.principal = "hello/0";
	ASSERT_EQ(roundtrip(&m, &d), 0);
	ASSERT_STREQ(d.u.unit_goal.principal, "hello/0");
	proto_msg_done(&d);
	/* A progress report carries a pod's own address (IPv4 or IPv6), or none. */
	proto_msg_init(&m, PROTO_PROGRESS);
	m.u.progress.unit = "web/0";
	m.u.progress.gen = 4;
	m.u.progress.state = "idle";
	m.u.progress.settled = true;
	ASSERT_EQ(roundtrip(&m, &d), 0);
	ASSERT_TRUE(d.u.progress.address == NULL);
	proto_msg_done(&d);
	m.u.progress.address = "10.9.8.2";
	ASSERT_EQ(roundtrip(&m, &d), 0);
	ASSERT_STREQ(d.u.progress.address, "10.9.8.2");
	proto_msg_done(&d);
	m.u.progress.address = "fd00::2";
	ASSERT_EQ(roundtrip(&m, &d), 0);
	ASSERT_STREQ(d.u.progress.address, "fd00::2");
	proto_msg_done(&d);
	json_decref(cfg);
	json_decref(ctrs);
	json_decref(state);
	json_decref(ports);
}

static void test_roundtrip_chunk(void)
{
	struct proto_msg m, d;
	struct buf b = BUF_INIT, out = BUF_INIT;
	unsigned char bytes[1000];

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 7);
	buf_init(&b);
	buf_init(&out);
	proto_b64_encode(bytes, sizeof(bytes), &b);
	proto_msg_init(&m, PROTO_CHARM_CHUNK);
	m.u.charm_chunk.digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	m.u.charm_chunk.offset = 0;
	m.u.charm_chunk.size = 1000;
	m.u.charm_chunk.data = b.data;
	ASSERT_EQ(roundtrip(&m, &d), 0);
	ASSERT_EQ(proto_b64_decode(d.u.charm_chunk.data, PROTO_CHUNK_MAX, &out), 0);
	ASSERT_EQ(out.len, sizeof(bytes));
	ASSERT_TRUE(memcmp(out.data, bytes, sizeof(bytes)) == 0);
	proto_msg_done(&d);
	/* Every length pads correctly. */
	for (size_t n = 0; n < 7; n++) {
		buf_reset(&b);
		buf_reset(&out);
		proto_b64_encode(bytes, n, &b);
		ASSERT_EQ(proto_b64_decode(b.data, 100, &out), 0);
		ASSERT_EQ(out.len, n);
	}
	buf_reset(&out);
	ASSERT_TRUE(proto_b64_decode("abc", 100, &out) < 0);
	ASSERT_TRUE(proto_b64_decode("ab=c", 100, &out) < 0);
	ASSERT_TRUE(proto_b64_decode("a*bc", 100, &out) < 0);
	ASSERT_TRUE(proto_b64_decode("AAAAAAAA", 5, &out) < 0);
	buf_done(&b);
	buf_done(&out);
}

static void test_refused(void)
{
	const enum proto_dir C = PROTO_TO_CONTROLLER, A = PROTO_TO_AGENT;

	expect_refused("[1]", C, "not a JSON object");
	expect_refused("{}", C, "no \"type\"");
	expect_refused("{\"type\": \"frobnicate\"}", C, "unknown message type \"frobnicate\"");
	expect_refused("{\"type\": \"ack\", \"unit\": \"a/0\", \"seq\": 1}", C, "is not sent by an agent");
	expect_refused("{\"type\": \"hello\", \"unit\": \"a/0\"}", A, "is not sent by the controller");
	expect_refused("{\"type\": \"save-journal\", \"seq\": 1, \"journal\": {}}", C,
		       "save-journal: field \"unit\" is missing");
	expect_refused("{\"type\": \"save-journal\", \"unit\": \"A/0\", \"seq\": 1, \"journal\": {}}", C,
		       "save-journal: field \"unit\": invalid unit name \"A/0\"");
	expect_refused("{\"type\": \"save-journal\", \"unit\": \"a/0\", \"seq\": 0, \"journal\": {}}", C,
		       "field \"seq\": expected an integer from 1 to");
	expect_refused("{\"type\": \"save-journal\", \"unit\": \"a/0\", \"seq\": \"1\", \"journal\": {}}", C,
		       "field \"seq\": expected an integer");
	expect_refused("{\"type\": \"save-journal\", \"unit\": \"a/0\", \"seq\": 1, \"journal\": []}", C,
		       "field \"journal\": expected an object");
	expect_refused("{\"type\": \"commit-hook\", \"unit\": \"a/0\", \"seq\": 1, \"hook\": \"x; rm\", \"journal\": {}}", C,
		       "field \"hook\": invalid hook name");
	expect_refused("{\"type\": \"commit-hook\", \"unit\": \"a/0\", \"seq\": 1, \"hook\": \"start\", \"journal\": {}, \"state\": {\"k\": 1}}", C,
		       "field \"state\": key \"k\": expected a string");
	expect_refused("{\"type\": \"commit-hook\", \"unit\": \"a/0\", \"seq\": 1, \"hook\": \"start\", \"journal\": {}, \"ports\": [80]}", C,
		       "field \"ports\": entry 0: expected a string");
	expect_refused("{\"type\": \"status-set\", \"unit\": \"a/0\", \"seq\": 1, \"kind\": \"nonsense\", \"status\": \"active\", \"message\": \"\", \"by-charm\": true}", C,
		       "field \"kind\": \"nonsense\" is not one of \"workload\", \"agent\", \"application\"");
	expect_refused("{\"type\": \"status-set\", \"unit\": \"a/0\", \"seq\": 1, \"kind\": \"agent\", \"status\": \"idle\", \"message\": \"\", \"by-charm\": 1}", C,
		       "field \"by-charm\": expected true or false");
	expect_refused("{\"type\": \"log\", \"records\": [{\"unit\": \"a/0\", \"time\": 1, \"level\": \"LOUD\", \"module\": \"m\", \"message\": \"x\"}]}", C,
		       "record 0: field \"level\"");
	expect_refused("{\"type\": \"log\", \"records\": [{\"unit\": \"evil/x\", \"time\": 1, \"level\": \"INFO\", \"module\": \"m\", \"message\": \"x\"}]}", C,
		       "record 0: field \"unit\"");
	expect_refused("{\"type\": \"charm-get\", \"digest\": \"../../etc/passwd\", \"offset\": 0, \"length\": 10}", C,
		       "field \"digest\": not a SHA-256 digest");
	expect_refused("{\"type\": \"charm-get\", \"digest\": \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"offset\": 0, \"length\": 999999999}", C,
		       "field \"length\": expected an integer from 1 to 262144");
	expect_refused("{\"type\": \"hello\", \"version\": 1, \"machine\": \"01\", \"password\": \"x\", \"agent-version\": \"\", \"pid\": 1, \"hostname\": \"h\", \"addresses\": []}", C,
		       "field \"machine\": invalid machine id \"01\"");
	expect_refused("{\"type\": \"hello\", \"version\": 1, \"machine\": \"1\", \"password\": \"\", \"agent-version\": \"\", \"pid\": 1, \"hostname\": \"h\", \"addresses\": []}", C,
		       "field \"password\": must not be empty");
	expect_refused("{\"type\": \"join\", \"version\": 1, \"token\": \"ZZZ\", \"hostname\": \"h\", \"addresses\": []}", C,
		       "field \"token\": expected lower-case hex digits");
	expect_refused("{\"type\": \"unit-goal\", \"unit\": \"a/0\", \"gen\": 1, \"alive\": true, \"state\": {}, \"ports\": [], \"resolve-gen\": 0, \"resolve-mode\": \"sometimes\"}", A,
		       "field \"resolve-mode\"");
	expect_refused("{\"type\": \"unit-goal\", \"unit\": \"s/0\", \"gen\": 1, \"alive\": true, \"state\": {}, \"ports\": [], \"resolve-gen\": 0, \"resolve-mode\": \"\", \"principal\": \"not a unit\"}", A,
		       "field \"principal\"");
	expect_refused("{\"type\": \"progress\", \"unit\": \"a/0\", \"gen\": 1, \"state\": \"idle\", \"settled\": true, \"address\": \"10.0.0.300\"}", C,
		       "field \"address\": invalid IP address \"10.0.0.300\"");
	expect_refused("{\"type\": \"charm-chunk\", \"digest\": \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"offset\": 0, \"size\": 3, \"data\": \"!!!!\"}", A,
		       "field \"data\": not base64");
	expect_refused("{\"type\": \"welcome\", \"machine\": \"0\", \"lease-ms\": 1, \"model-name\": \"m\", \"model-uuid\": \"u\", \"units\": []}", A,
		       "field \"lease-ms\": expected an integer from 100");
	/* Resources in app goals, and their fetches. */
#define GOAL_HEAD "{\"type\": \"app-goal\", \"app\": \"x\", \"gen\": 1, \"charm-rev\": 0, \"charm-digest\": \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"charm-size\": 3, \"config\": {}, \"config-hash\": \"ab\", \"leader\": \"\", \"leader-gen\": 0, \"containers\": []"
	expect_refused(GOAL_HEAD ", \"resources\": []}", A, "field \"resources\": expected an object");
	expect_refused(GOAL_HEAD ", \"resources\": {\"r\": {\"type\": \"tarball\"}}}", A,
		       "resource \"r\": field \"type\": expected \"oci-image\" or \"file\"");
	expect_refused(GOAL_HEAD ", \"resources\": {\"r\": {\"type\": \"file\", \"revision\": -1}}}", A,
		       "resource \"r\": field \"revision\"");
	expect_refused(GOAL_HEAD ", \"resources\": {\"r\": {\"type\": \"file\", \"revision\": 1, \"size\": 1, \"fingerprint\": \"../x\"}}}", A,
		       "resource \"r\": field \"fingerprint\": not a SHA-256 digest");
	expect_refused(GOAL_HEAD ", \"resources\": {\"r\": {\"type\": \"oci-image\", \"revision\": 1, \"size\": 1, \"fingerprint\": \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"image\": \"md5:00\"}}}", A,
		       "resource \"r\": field \"image\"");
	expect_refused(GOAL_HEAD ", \"resources\": {\"r\": {\"type\": \"file\", \"revision\": 1, \"size\": 1, \"fingerprint\": \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"filename\": \"../../etc/passwd\"}}}", A,
		       "resource \"r\": field \"filename\": expected a file name");
	expect_refused(GOAL_HEAD ", \"resources\": {\"a/b\": {}}}", A, "invalid resource name \"a/b\"");
	expect_refused(GOAL_HEAD ", \"container-specs\": {\"web\": {\"mounts\": [{\"storage\": \"d\", \"location\": \"rel\"}]}}}", A,
		       "container \"web\": mount 0: field \"location\": expected an absolute path");
	expect_refused(GOAL_HEAD ", \"container-specs\": {\"web\": {\"resource\": 7}}}", A,
		       "container \"web\": field \"resource\"");
	expect_refused(GOAL_HEAD ", \"charm-modified\": -3}", A, "field \"charm-modified\"");
#undef GOAL_HEAD
	expect_refused("{\"type\": \"resource-get\", \"digest\": \"nope\", \"offset\": 0, \"length\": 10}", C,
		       "resource-get: field \"digest\": not a SHA-256 digest");
	expect_refused("{\"type\": \"resource-chunk\", \"digest\": \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"offset\": 0, \"size\": 3, \"data\": \"QUJD\"}", C,
		       "is not sent by an agent");
	/* A string with a NUL byte. */
	expect_refused("{\"type\": \"refused\", \"error\": \"a\\u0000b\"}", A, "contains a NUL byte");
}

static void test_limits(void)
{
	struct proto_msg m;
	struct buf b = BUF_INIT;
	struct errbuf eb;
	json_t *v = NULL, *big;
	char *s;
	int r;

	/* A frame header announcing more than PROTO_FRAME_MAX is refused before anything is read. */
	buf_init(&b);
	buf_add(&b, "\x7f\xff\xff\xff{}", 6);
	r = proto_next_frame(&b, &v, &eb);
	ASSERT_EQ(r, -EPROTO);
	ASSERT_CONTAINS(eb.msg, "exceeds the limit");
	/* A partial frame waits for more bytes. */
	buf_reset(&b);
	buf_add(&b, "\0\0\0\x05{", 5);
	ASSERT_EQ(proto_next_frame(&b, &v, &eb), 0);
	buf_add(&b, "}   ", 4);
	ASSERT_EQ(proto_next_frame(&b, &v, &eb), 1);
	json_decref(v);
	/* Duplicate keys are refused (no ambiguity about which one counts). */
	buf_reset(&b);
	buf_add(&b, "\0\0\0\x11{\"a\": 1, \"a\": 2}", 21);
	ASSERT_EQ(proto_next_frame(&b, &v, &eb), -EPROTO);
	/* Too long a status message. */
	s = xcalloc(PROTO_TEXT_MAX + 2, 1);
	memset(s, 'x', PROTO_TEXT_MAX + 1);
	big = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:b}", "type", "status-set", "unit", "a/0", "seq", 1,
			"kind", "workload", "status", "active", "message", s, "by-charm", 1);
	r = proto_decode(big, PROTO_TO_CONTROLLER, &m, &eb);
	ASSERT_EQ(r, -EPROTO);
	ASSERT_CONTAINS(eb.msg, "status-set: field \"message\": longer than");
	json_decref(big);
	/* A message too large for a frame is refused on encoding. */
	proto_msg_init(&m, PROTO_REFUSED);
	char *huge = xcalloc(PROTO_FRAME_MAX + 2, 1);
	memset(huge, 'y', PROTO_FRAME_MAX + 1);
	m.u.refused.error = huge;
	buf_reset(&b);
	ASSERT_EQ(proto_frame(&m, &b, &eb), -EMSGSIZE);
	ASSERT_EQ(b.len, 0);
	free(huge);
	free(s);
	buf_done(&b);
}

/* Flips, drops and inserts random bytes in valid frames: the decoder refuses or accepts, never
 * crashes or reads out of bounds. */
static void test_corruption(void)
{
	const char *samples[] = {
		"{\"type\":\"commit-hook\",\"unit\":\"a/0\",\"seq\":5,\"hook\":\"start\",\"journal\":{\"op\":\"x\"},\"state\":{\"k\":\"v\"},\"ports\":[\"80/tcp\"]}",
		"{\"type\":\"log\",\"records\":[{\"unit\":\"a/0\",\"time\":12,\"level\":\"INFO\",\"module\":\"m\",\"message\":\"hello\"}]}",
		"{\"type\":\"hello\",\"version\":1,\"machine\":\"3\",\"password\":\"abc\",\"agent-version\":\"1\",\"pid\":9,\"hostname\":\"h\",\"addresses\":[\"10.0.0.1\"]}",
		"{\"type\":\"app-goal\",\"app\":\"x\",\"gen\":1,\"charm-rev\":0,\"charm-digest\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"charm-size\":3,\"config\":{},\"config-hash\":\"ab\",\"leader\":\"x/0\",\"leader-gen\":0,\"containers\":[]}",
		"{\"type\":\"app-goal\",\"app\":\"x\",\"gen\":1,\"charm-rev\":0,\"charm-digest\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"charm-size\":3,\"config\":{},\"config-hash\":\"ab\",\"leader\":\"\",\"leader-gen\":0,\"containers\":[\"web\"],\"charm-modified\":2,\"resources\":{\"img\":{\"type\":\"oci-image\",\"revision\":1,\"size\":9,\"fingerprint\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"image\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}},\"container-specs\":{\"web\":{\"resource\":\"img\",\"mounts\":[{\"storage\":\"d\",\"location\":\"/d\"}]}}}",
		"{\"type\":\"resource-chunk\",\"digest\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"offset\":0,\"size\":3,\"data\":\"QUJD\"}",
		"{\"type\":\"charm-chunk\",\"digest\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"offset\":0,\"size\":3,\"data\":\"QUJD\"}",
	};
	unsigned seed = 12345;
	int accepted = 0, refused = 0;

	for (size_t k = 0; k < sizeof(samples) / sizeof(samples[0]); k++) {
		for (int it = 0; it < 3000; it++) {
			struct buf b = BUF_INIT;
			size_t n = strlen(samples[k]);
			char *p = xstrdup(samples[k]);
			unsigned char hdr[4];
			json_t *v = NULL;
			struct errbuf eb;
			struct proto_msg m;

			for (int f = 0; f < 1 + it % 4; f++) {
				seed = seed * 1103515245u + 12345u;
				size_t pos = (seed >> 8) % n;

				seed = seed * 1103515245u + 12345u;
				p[pos] = (char)(seed >> 16);
			}
			/* Sometimes lie about the length too. */
			size_t len = it % 7 == 0 ? n / 2 : n;
			hdr[0] = 0;
			hdr[1] = (unsigned char)(len >> 16);
			hdr[2] = (unsigned char)(len >> 8);
			hdr[3] = (unsigned char)len;
			buf_init(&b);
			buf_add(&b, hdr, 4);
			buf_add(&b, p, n);
			while (proto_next_frame(&b, &v, &eb) == 1) {
				for (int dir = 0; dir < 2; dir++) {
					if (proto_decode(v, (enum proto_dir)dir, &m, &eb) == 0) {
						accepted++;
						json_decref(proto_encode(&m));
						proto_msg_done(&m);
					} else {
						refused++;
					}
				}
				json_decref(v);
				v = NULL;
			}
			buf_done(&b);
			free(p);
		}
	}
	ASSERT_TRUE(refused > 0);
	printf("# corruption: %d accepted, %d refused\n", accepted, refused);
}

/* Relations and tasks (protocol version 2): the new fields and messages, and what a bad
 * peer cannot send. */
static void test_relations_and_tasks(void)
{
	struct proto_msg m, d;
	struct errbuf eb;
	json_t *journal = json_pack("{s:s}", "op", "continue");
	json_t *rels = json_loads("[{\"id\": 0, \"scope\": \"enter\", \"unit-bag\": {\"a\": \"1\"}},"
				  " {\"id\": 3, \"app-bag\": {}}]", 0, NULL);
	json_t *results = json_pack("{s:i, s:s}", "return-code", 0, "stdout", "hi\n");
	json_t *tasks = json_loads("[{\"id\": 2, \"name\": \"backup\", \"params\": {},"
				   " \"status\": \"pending\", \"kind\": \"action\"}]", 0, NULL);
	json_t *v;

	proto_msg_init(&m, PROTO_COMMIT_HOOK);
	m.u.commit_hook.unit = "app/0";
	m.u.commit_hook.seq = 1;
	m.u.commit_hook.hook = "db-relation-created";
	m.u.commit_hook.journal = journal;
	m.u.commit_hook.relations = rels;
	ASSERT_EQ(roundtrip(&m, &d), 0);
	ASSERT_TRUE(json_equal(d.u.commit_hook.relations, rels));
	proto_msg_done(&d);

	proto_msg_init(&m, PROTO_ACTION_RESULT);
	m.u.action_result.unit = "app/0";
	m.u.action_result.seq = 5;
	m.u.action_result.task = 2;
	m.u.action_result.status = "failed";
	m.u.action_result.message = "exit status 3";
	m.u.action_result.results = results;
	ASSERT_EQ(roundtrip(&m, &d), 0);
	ASSERT_EQ(d.u.action_result.task, 2);
	ASSERT_STREQ(d.u.action_result.status, "failed");
	ASSERT_TRUE(json_equal(d.u.action_result.results, results));
	proto_msg_done(&d);

	proto_msg_init(&m, PROTO_UNIT_GOAL);
	m.u.unit_goal.unit = "app/0";
	m.u.unit_goal.gen = 1;
	m.u.unit_goal.alive = true;
	m.u.unit_goal.state = json_object();
	m.u.unit_goal.ports = json_array();
	m.u.unit_goal.resolve_mode = "";
	m.u.unit_goal.actions = tasks;
	ASSERT_EQ(roundtrip(&m, &d), 0);
	ASSERT_TRUE(json_equal(d.u.unit_goal.actions, tasks));
	proto_msg_done(&d);
	json_decref(m.u.unit_goal.state);
	json_decref(m.u.unit_goal.ports);

	/* Refused: a scope that is neither, a bag value that is no string, a task status the
	 * agent cannot act on, a result status that is not final, results that are no object. */
	static const char *const bad[] = {
		"{\"type\":\"commit-hook\",\"unit\":\"a/0\",\"seq\":1,\"hook\":\"x\",\"journal\":{},"
		"\"relations\":[{\"id\":0,\"scope\":\"inside\"}]}",
		"{\"type\":\"commit-hook\",\"unit\":\"a/0\",\"seq\":1,\"hook\":\"x\",\"journal\":{},"
		"\"relations\":[{\"id\":0,\"unit-bag\":{\"k\":1}}]}",
		"{\"type\":\"commit-hook\",\"unit\":\"a/0\",\"seq\":1,\"hook\":\"x\",\"journal\":{},"
		"\"relations\":[{\"scope\":\"enter\"}]}",
		"{\"type\":\"action-result\",\"unit\":\"a/0\",\"seq\":1,\"task\":1,\"status\":\"running\","
		"\"message\":\"\",\"results\":{}}",
		"{\"type\":\"action-result\",\"unit\":\"a/0\",\"seq\":1,\"task\":1,\"status\":\"completed\","
		"\"message\":\"\",\"results\":[]}",
		"{\"type\":\"action-log\",\"unit\":\"a/0\",\"seq\":1,\"task\":0,\"time\":1,\"message\":\"m\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = json_loads(bad[i], 0, NULL);
		ASSERT_TRUE(v != NULL);
		ASSERT_TRUE(proto_decode(v, PROTO_TO_CONTROLLER, &d, &eb) < 0);
		json_decref(v);
	}
	v = json_loads("{\"type\":\"unit-goal\",\"unit\":\"a/0\",\"gen\":1,\"alive\":true,\"state\":{},"
		       "\"ports\":[],\"resolve-gen\":0,\"resolve-mode\":\"\",\"actions\":[{\"id\":1,"
		       "\"name\":\"x\",\"params\":{},\"status\":\"completed\",\"kind\":\"action\"}]}", 0, NULL);
	ASSERT_TRUE(proto_decode(v, PROTO_TO_AGENT, &d, &eb) < 0);
	json_decref(v);
	json_decref(journal);
	json_decref(rels);
	json_decref(results);
	json_decref(tasks);
}

int main(void)
{
	RUN(test_roundtrip_commit_hook);
	RUN(test_roundtrip_goals);
	RUN(test_roundtrip_chunk);
	RUN(test_refused);
	RUN(test_limits);
	RUN(test_corruption);
	RUN(test_relations_and_tasks);
	return test_summary();
}
