/* Unit tests for the OCI document readers (index, manifest, image config) and the image
 * source classification: good documents, and bad ones rejected with a message naming the
 * problem. */
#include "pod/image_config.h"
#include "pod/image_source.h"
#include "lib/buf.h"
#include "lib/test.h"

#include <errno.h>

#define D1 "sha256:5dd3813fbc259050c838da58a42b1a19c1b1bfe2e4820c1026872ae8c468a9e2"
#define D2 "sha256:aa38753205a910f50db1fd91451c8ca5321208d77a786626038561402d2b7160"

static int idx(const char *json, const char *ref, char *out, struct errbuf *eb)
{
	return image_index_manifest(json, strlen(json), ref, out, eb);
}

static void test_digest_valid(void)
{
	ASSERT_TRUE(image_digest_valid(D1));
	ASSERT_TRUE(!image_digest_valid("sha256:5DD3813fbc259050c838da58a42b1a19c1b1bfe2e4820c1026872ae8c468a9e2"));
	ASSERT_TRUE(!image_digest_valid("sha512:5dd3"));
	ASSERT_TRUE(!image_digest_valid("sha256:5dd3"));
	ASSERT_TRUE(!image_digest_valid(NULL));
	ASSERT_TRUE(!image_digest_valid(D1 "0"));
}

static void test_index(void)
{
	char d[IMAGE_DIGEST_MAX];
	struct errbuf eb;

	ASSERT_EQ(idx("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" IMAGE_MT_MANIFEST "\",\"digest\":\"" D1
		      "\",\"size\":502,\"annotations\":{\"org.opencontainers.image.ref.name\":\"image\"}}]}",
		      "image", d, &eb),
		  0);
	ASSERT_STREQ(d, D1);
	/* Two images: the ref picks; without a ref it is refused. */
	const char *two = "{\"schemaVersion\":2,\"manifests\":["
			  "{\"mediaType\":\"" IMAGE_MT_MANIFEST "\",\"digest\":\"" D1
			  "\",\"annotations\":{\"org.opencontainers.image.ref.name\":\"a\"}},"
			  "{\"mediaType\":\"" IMAGE_MT_MANIFEST "\",\"digest\":\"" D2
			  "\",\"annotations\":{\"org.opencontainers.image.ref.name\":\"b\"}}]}";
	ASSERT_EQ(idx(two, "b", d, &eb), 0);
	ASSERT_STREQ(d, D2);
	ASSERT_EQ(idx(two, NULL, d, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "more than one image manifest");
	ASSERT_EQ(idx(two, "c", d, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "no image manifest named \"c\"");
}

static void test_index_bad(void)
{
	char d[IMAGE_DIGEST_MAX] = "untouched";
	struct errbuf eb;

	ASSERT_EQ(idx("", NULL, d, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "invalid JSON");
	ASSERT_EQ(idx("[1]", NULL, d, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "not a JSON object");
	ASSERT_EQ(idx("{\"schemaVersion\":1,\"manifests\":[]}", NULL, d, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "schemaVersion");
	ASSERT_EQ(idx("{\"schemaVersion\":2}", NULL, d, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "no \"manifests\" list");
	ASSERT_EQ(idx("{\"schemaVersion\":2,\"manifests\":[]}", NULL, d, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "no image manifest");
	ASSERT_EQ(idx("{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"md5:00\"}]}", NULL, d, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "unsupported digest");
	ASSERT_EQ(idx("{\"schemaVersion\":2,\"manifests\":[{\"size\":3}]}", NULL, d, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "no digest");
	/* A nested index is not an image. */
	ASSERT_EQ(idx("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" IMAGE_MT_INDEX "\",\"digest\":\"" D1
		      "\"}]}",
		      NULL, d, &eb),
		  -EBADMSG);
	ASSERT_EQ(idx("{\"schemaVersion\":2,\"schemaVersion\":2,\"manifests\":[]}", NULL, d, &eb), -EBADMSG);
	ASSERT_STREQ(d, "untouched");
}

static int man(const char *json, char *out, struct errbuf *eb)
{
	return image_manifest_config(json, strlen(json), out, eb);
}

static void test_manifest(void)
{
	char d[IMAGE_DIGEST_MAX];
	struct errbuf eb;

	ASSERT_EQ(man("{\"schemaVersion\":2,\"mediaType\":\"" IMAGE_MT_MANIFEST "\",\"config\":{\"mediaType\":\"" IMAGE_MT_CONFIG
		      "\",\"digest\":\"" D2 "\",\"size\":1},\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D1 "\"}]}",
		      d, &eb),
		  0);
	ASSERT_STREQ(d, D2);
	ASSERT_EQ(man("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.cncf.helm.config.v1+json\","
		      "\"digest\":\"" D2 "\"},\"layers\":[]}",
		      d, &eb),
		  -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "not an image config");
	ASSERT_EQ(man("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\"}", d,
		      &eb),
		  -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "unsupported media type");
	ASSERT_EQ(man("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" IMAGE_MT_CONFIG "\",\"digest\":\"" D2 "\"}}", d,
		      &eb),
		  -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "no \"layers\"");
	ASSERT_EQ(man("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" IMAGE_MT_CONFIG "\",\"digest\":\"" D2
		      "\"},\"layers\":[{\"digest\":\"sha256:zz\"}]}",
		      d, &eb),
		  -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "manifest layer");
	ASSERT_EQ(man("{\"schemaVersion\":2,\"layers\":[]}", d, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "no config descriptor");
}

static int cfg(const char *json, struct image_config *c, struct errbuf *eb)
{
	return image_config_parse(json, strlen(json), c, eb);
}

static void test_config(void)
{
	struct image_config c;
	struct errbuf eb;

	ASSERT_EQ(cfg("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"User\":\"www\",\"Env\":[\"PATH=/bin\","
		      "\"GREETING=hi=there\"],\"Entrypoint\":[\"/bin/httpd\"],\"Cmd\":[\"-f\",\"-p\",\"80\"],"
		      "\"WorkingDir\":\"/srv/www\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		      &c, &eb),
		  0);
	ASSERT_STREQ(c.os, "linux");
	ASSERT_STREQ(c.architecture, "amd64");
	ASSERT_STREQ(c.user, "www");
	ASSERT_STREQ(c.working_dir, "/srv/www");
	ASSERT_EQ(c.n_env, 2);
	ASSERT_STREQ(c.env[1], "GREETING=hi=there");
	ASSERT_TRUE(c.env[2] == NULL);
	ASSERT_STREQ(image_env_get(c.env, "GREETING"), "hi=there");
	ASSERT_TRUE(image_env_get(c.env, "GREET") == NULL);
	ASSERT_EQ(c.n_entrypoint, 1);
	ASSERT_EQ(c.n_cmd, 3);
	ASSERT_STREQ(c.cmd[2], "80");
	ASSERT_EQ(image_config_check_platform(&c, "amd64", &eb), 0);
	ASSERT_EQ(image_config_check_platform(&c, "arm64", &eb), -ENOEXEC);
	ASSERT_CONTAINS(eb.msg, "image is for linux/amd64, this machine is linux/arm64");
	image_config_done(&c);

	/* A config without "config" (FROM scratch, nothing set) is fine: all empty. */
	ASSERT_EQ(cfg("{\"architecture\":\"arm64\",\"os\":\"linux\"}", &c, &eb), 0);
	ASSERT_EQ(c.n_env, 0);
	ASSERT_TRUE(c.env && !c.env[0]);
	ASSERT_TRUE(c.user == NULL && c.working_dir == NULL);
	image_config_done(&c);
	/* Empty strings are unset. */
	ASSERT_EQ(cfg("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"User\":\"\",\"WorkingDir\":\"\","
		      "\"Env\":null}}",
		      &c, &eb),
		  0);
	ASSERT_TRUE(c.user == NULL && c.working_dir == NULL);
	image_config_done(&c);
}

static void test_config_bad(void)
{
	struct image_config c;
	struct errbuf eb;

	ASSERT_EQ(cfg("{\"os\":\"linux\"}", &c, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "no architecture");
	ASSERT_EQ(cfg("{\"architecture\":\"amd64\"}", &c, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "no os");
	ASSERT_EQ(cfg("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":\"PATH=/bin\"}}", &c, &eb),
		  -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "Env is not a list");
	ASSERT_EQ(cfg("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"NOEQUALS\"]}}", &c, &eb),
		  -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "not KEY=value");
	ASSERT_EQ(cfg("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"=x\"]}}", &c, &eb), -EBADMSG);
	ASSERT_EQ(cfg("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[1]}}", &c, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "Cmd[0] is not a string");
	ASSERT_EQ(cfg("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"WorkingDir\":\"srv\"}}", &c, &eb),
		  -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "not absolute");
	ASSERT_EQ(cfg("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"User\":7}}", &c, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "User is not a string");
	ASSERT_EQ(cfg("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":[]}", &c, &eb), -EBADMSG);
	ASSERT_EQ(cfg("{\"architecture\":\"amd64\",\"os\":\"windows\"}", &c, &eb), 0);
	ASSERT_EQ(image_config_check_platform(&c, "amd64", &eb), -ENOEXEC);
	ASSERT_CONTAINS(eb.msg, "windows/amd64");
	image_config_done(&c);
	{
		/* Past the Env limit: refused, not truncated. */
		struct buf b = BUF_INIT;

		buf_init(&b);
		buf_adds(&b, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[");
		for (int i = 0; i <= IMAGE_ENV_MAX; i++)
			buf_addf(&b, "%s\"K%d=v\"", i ? "," : "", i);
		buf_adds(&b, "]}}");
		ASSERT_EQ(image_config_parse(b.data, b.len, &c, &eb), -E2BIG);
		buf_done(&b);
	}
}

static void test_source_sniff(void)
{
	struct errbuf eb;

	ASSERT_EQ(image_source_sniff((const unsigned char *)"PK\3\4rest", 8, &eb), -EMEDIUMTYPE);
	ASSERT_CONTAINS(eb.msg, "zip archive");
	ASSERT_EQ(image_source_sniff((const unsigned char *)"\x1f\x8b\x08", 3, &eb), -EMEDIUMTYPE);
	ASSERT_CONTAINS(eb.msg, "gzip");
	ASSERT_EQ(image_source_sniff((const unsigned char *)"", 0, &eb), -EMEDIUMTYPE);
	ASSERT_CONTAINS(eb.msg, "empty file");
	ASSERT_EQ(image_source_sniff((const unsigned char *)"blobs/\0\0\0", 9, &eb), 0);
}

static void test_source_classify(void)
{
	enum image_source_kind k;
	struct errbuf eb;
	const char *docker = "abc/layer.tar\nabc/json\nmanifest.json\nrepositories\n";
	const char *oci = "blobs/\nblobs/sha256/\nblobs/sha256/aa\nindex.json\noci-layout\n";
	const char *oci_dot = "./\n./oci-layout\n./index.json\n./blobs/\n";
	const char *docker25 = "blobs/\nindex.json\nmanifest.json\noci-layout\nrepositories\n";
	const char *other = "etc/\netc/manifest.json\nsub/oci-layout\n";

	ASSERT_EQ(image_source_classify_tar(docker, strlen(docker), &k, &eb), 0);
	ASSERT_EQ(k, IMAGE_SOURCE_DOCKER_ARCHIVE);
	ASSERT_EQ(image_source_classify_tar(oci, strlen(oci), &k, &eb), 0);
	ASSERT_EQ(k, IMAGE_SOURCE_OCI_ARCHIVE);
	ASSERT_EQ(image_source_classify_tar(oci_dot, strlen(oci_dot), &k, &eb), 0);
	ASSERT_EQ(k, IMAGE_SOURCE_OCI_ARCHIVE);
	ASSERT_EQ(image_source_classify_tar(docker25, strlen(docker25), &k, &eb), 0);
	ASSERT_EQ(k, IMAGE_SOURCE_DOCKER_ARCHIVE);
	ASSERT_EQ(image_source_classify_tar(other, strlen(other), &k, &eb), -EMEDIUMTYPE);
	ASSERT_CONTAINS(eb.msg, "neither an oci-archive");
	ASSERT_EQ(image_source_classify_tar("", 0, &k, &eb), -EMEDIUMTYPE);
	ASSERT_CONTAINS(eb.msg, "empty tar");
	ASSERT_STREQ(image_source_transport(IMAGE_SOURCE_OCI_LAYOUT), "oci");
	ASSERT_STREQ(image_source_kind_name(IMAGE_SOURCE_DOCKER_ARCHIVE), "docker-archive");
}

int main(void)
{
	RUN(test_digest_valid);
	RUN(test_index);
	RUN(test_index_bad);
	RUN(test_manifest);
	RUN(test_config);
	RUN(test_config_bad);
	RUN(test_source_sniff);
	RUN(test_source_classify);
	return test_summary();
}
