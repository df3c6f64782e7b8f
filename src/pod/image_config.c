/* image_config.c - OCI index/manifest/config readers; see image_config.h. */
#include "image_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/strv.h"

int image_digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64)
		return 0;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static int load(const char *what, const char *json, size_t len, json_t **ret, struct errbuf *eb)
{
	json_error_t jerr;
	json_t *v;

	if (len > IMAGE_JSON_MAX)
		return errbuf_set(eb, "%s: larger than %u bytes", what, IMAGE_JSON_MAX), -EBADMSG;
	v = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		return errbuf_set(eb, "%s: invalid JSON: %s", what, jerr.text), -EBADMSG;
	if (!json_is_object(v)) {
		json_decref(v);
		return errbuf_set(eb, "%s: not a JSON object", what), -EBADMSG;
	}
	*ret = v;
	return 0;
}

/* Checks a descriptor's digest and copies it out. */
static int descriptor_digest(const char *what, json_t *desc, char out[IMAGE_DIGEST_MAX], struct errbuf *eb)
{
	const char *d = json_string_value(json_object_get(desc, "digest"));

	if (!json_is_object(desc))
		return errbuf_set(eb, "%s: descriptor is not an object", what), -EBADMSG;
	if (!d)
		return errbuf_set(eb, "%s: descriptor has no digest", what), -EBADMSG;
	if (!image_digest_valid(d))
		return errbuf_set(eb, "%s: unsupported digest \"%.80s\" (want sha256:<hex>)", what, d), -EBADMSG;
	snprintf(out, IMAGE_DIGEST_MAX, "%s", d);
	return 0;
}

int image_index_manifest(const char *json, size_t len, const char *ref, char ret_digest[IMAGE_DIGEST_MAX],
			 struct errbuf *eb)
{
	json_t *v = NULL, *ms, *pick = NULL;
	size_t i, nimages = 0;
	int r;

	r = load("index.json", json, len, &v, eb);
	if (r < 0)
		return r;
	ms = json_object_get(v, "manifests");
	r = -EBADMSG;
	if (json_integer_value(json_object_get(v, "schemaVersion")) != 2) {
		errbuf_set(eb, "index.json: schemaVersion is not 2");
		goto out;
	}
	if (!json_is_array(ms)) {
		errbuf_set(eb, "index.json: no \"manifests\" list");
		goto out;
	}
	for (i = 0; i < json_array_size(ms); i++) {
		json_t *m = json_array_get(ms, i);
		const char *mt = json_string_value(json_object_get(m, "mediaType"));
		const char *name = json_string_value(
			json_object_get(json_object_get(m, "annotations"), "org.opencontainers.image.ref.name"));

		if (mt && strcmp(mt, IMAGE_MT_MANIFEST) != 0)
			continue; /* nested indexes and foreign artifacts are not images here */
		nimages++;
		if (ref && (!name || strcmp(name, ref) != 0))
			continue;
		if (pick && !ref) {
			errbuf_set(eb, "index.json: holds more than one image manifest");
			goto out;
		}
		pick = m;
	}
	if (!pick) {
		if (ref && nimages)
			errbuf_set(eb, "index.json: no image manifest named \"%s\"", ref);
		else
			errbuf_set(eb, "index.json: no image manifest");
		goto out;
	}
	r = descriptor_digest("index.json", pick, ret_digest, eb);
out:
	json_decref(v);
	return r;
}

int image_manifest_config(const char *json, size_t len, char ret_digest[IMAGE_DIGEST_MAX], struct errbuf *eb)
{
	json_t *v = NULL, *cfg, *layers;
	char tmp[IMAGE_DIGEST_MAX];
	const char *mt, *cmt;
	int r;

	r = load("manifest", json, len, &v, eb);
	if (r < 0)
		return r;
	r = -EBADMSG;
	mt = json_string_value(json_object_get(v, "mediaType"));
	cfg = json_object_get(v, "config");
	layers = json_object_get(v, "layers");
	if (json_integer_value(json_object_get(v, "schemaVersion")) != 2) {
		errbuf_set(eb, "manifest: schemaVersion is not 2");
		goto out;
	}
	if (mt && strcmp(mt, IMAGE_MT_MANIFEST) != 0) {
		errbuf_set(eb, "manifest: unsupported media type \"%.100s\"", mt);
		goto out;
	}
	if (!json_is_object(cfg)) {
		errbuf_set(eb, "manifest: no config descriptor");
		goto out;
	}
	cmt = json_string_value(json_object_get(cfg, "mediaType"));
	if (!cmt || strcmp(cmt, IMAGE_MT_CONFIG) != 0) {
		errbuf_set(eb, "manifest: config media type \"%.100s\" is not an image config (not a container image?)",
			   cmt ? cmt : "");
		goto out;
	}
	if (!json_is_array(layers)) {
		errbuf_set(eb, "manifest: no \"layers\" list");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(layers); i++) {
		r = descriptor_digest("manifest layer", json_array_get(layers, i), tmp, eb);
		if (r < 0)
			goto out;
	}
	r = descriptor_digest("manifest config", cfg, ret_digest, eb);
out:
	json_decref(v);
	return r;
}

/* Copies a JSON list of strings (or null/absent) into a NULL-terminated vector. */
static int strv_from_json(const char *field, json_t *a, size_t max, char ***ret, size_t *ret_n, struct errbuf *eb)
{
	char **v;
	size_t n;

	if (!a || json_is_null(a)) {
		*ret = xcalloc(1, sizeof(char *));
		*ret_n = 0;
		return 0;
	}
	if (!json_is_array(a))
		return errbuf_set(eb, "image config: %s is not a list", field), -EBADMSG;
	n = json_array_size(a);
	if (n > max)
		return errbuf_set(eb, "image config: %s has more than %zu entries", field, max), -E2BIG;
	v = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		if (!s) {
			strv_free(v);
			return errbuf_set(eb, "image config: %s[%zu] is not a string", field, i), -EBADMSG;
		}
		v[i] = xstrdup(s);
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int opt_string(const char *field, json_t *v, char **ret, struct errbuf *eb)
{
	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return errbuf_set(eb, "image config: %s is not a string", field), -EBADMSG;
	if (json_string_length(v) > 0)
		*ret = xstrdup(json_string_value(v));
	return 0;
}

int image_config_parse(const char *json, size_t len, struct image_config *ret, struct errbuf *eb)
{
	struct image_config c;
	json_t *v = NULL, *cfg;
	int r;

	memset(&c, 0, sizeof(c));
	r = load("image config", json, len, &v, eb);
	if (r < 0)
		return r;
	cfg = json_object_get(v, "config");
	if (cfg && !json_is_null(cfg) && !json_is_object(cfg)) {
		r = (errbuf_set(eb, "image config: \"config\" is not an object"), -EBADMSG);
		goto fail;
	}
	if ((r = opt_string("os", json_object_get(v, "os"), &c.os, eb)) < 0 ||
	    (r = opt_string("architecture", json_object_get(v, "architecture"), &c.architecture, eb)) < 0 ||
	    (r = opt_string("WorkingDir", json_object_get(cfg, "WorkingDir"), &c.working_dir, eb)) < 0 ||
	    (r = opt_string("User", json_object_get(cfg, "User"), &c.user, eb)) < 0 ||
	    (r = strv_from_json("Env", json_object_get(cfg, "Env"), IMAGE_ENV_MAX, &c.env, &c.n_env, eb)) < 0 ||
	    (r = strv_from_json("Entrypoint", json_object_get(cfg, "Entrypoint"), IMAGE_ARGS_MAX, &c.entrypoint,
				&c.n_entrypoint, eb)) < 0 ||
	    (r = strv_from_json("Cmd", json_object_get(cfg, "Cmd"), IMAGE_ARGS_MAX, &c.cmd, &c.n_cmd, eb)) < 0)
		goto fail;
	if (!c.os || !c.architecture) {
		r = (errbuf_set(eb, "image config: no %s", c.os ? "architecture" : "os"), -EBADMSG);
		goto fail;
	}
	for (size_t i = 0; i < c.n_env; i++) {
		const char *eq = strchr(c.env[i], '=');

		if (!eq || eq == c.env[i]) {
			r = (errbuf_set(eb, "image config: Env entry \"%.100s\" is not KEY=value", c.env[i]), -EBADMSG);
			goto fail;
		}
	}
	if (c.working_dir && c.working_dir[0] != '/') {
		r = (errbuf_set(eb, "image config: WorkingDir \"%.100s\" is not absolute", c.working_dir), -EBADMSG);
		goto fail;
	}
	json_decref(v);
	*ret = c;
	return 0;
fail:
	json_decref(v);
	image_config_done(&c);
	return r;
}

void image_config_done(struct image_config *c)
{
	if (!c)
		return;
	free(c->os);
	free(c->architecture);
	strv_free(c->env);
	free(c->working_dir);
	free(c->user);
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	memset(c, 0, sizeof(*c));
}

const char *image_host_arch(void)
{
	static const struct {
		const char *machine, *goarch;
	} map[] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" }, { "armv7l", "arm" }, { "i686", "386" },
		{ "ppc64le", "ppc64le" }, { "s390x", "s390x" }, { "riscv64", "riscv64" },
	};
	struct utsname u;

	if (uname(&u) == 0)
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(u.machine, map[i].machine) == 0)
				return map[i].goarch;
	return "amd64";
}

int image_config_check_platform(const struct image_config *c, const char *host_arch, struct errbuf *eb)
{
	if (strcmp(c->os, "linux") != 0 || strcmp(c->architecture, host_arch) != 0)
		return errbuf_set(eb, "image is for %s/%s, this machine is linux/%s", c->os, c->architecture,
				  host_arch),
		       -ENOEXEC;
	return 0;
}

const char *image_env_get(char *const *env, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}
