/* fuzz_pod.c - the pod module's readers of what tools, images and peers hand it: OCI index,
 * manifest and image config (from an imported image), CNI results and errors (a plugin's
 * stdout), `runc state`, the scree's system-info answer, an image's User against its passwd
 * and group files, `tar -tf` listings and a tool's stderr.  Input: one selector byte, then
 * the document; for the User case three NUL-separated parts (user, passwd, group). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pod/cni.h"
#include "pod/image_config.h"
#include "pod/image_source.h"
#include "pod/probe.h"
#include "pod/runc.h"
#include "pod/tool.h"
#include "pod/userspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char digest[IMAGE_DIGEST_MAX], reason[512], boot[PROBE_BOOT_ID_MAX];
	struct image_config cfg;
	struct cni_result res;
	struct runc_state st;
	struct userspec_ids ids;
	enum image_source_kind kind;
	struct errbuf eb;
	const char *doc;
	size_t n;
	char *s;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	n = size - 1;
	s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, data + 1, n);
	s[n] = '\0';
	doc = s;
	switch (data[0] % 10) {
	case 0:
		image_index_manifest(doc, n, (data[0] & 0x80) ? "image" : NULL, digest, &eb);
		break;
	case 1:
		image_manifest_config(doc, n, digest, &eb);
		break;
	case 2:
		if (image_config_parse(doc, n, &cfg, &eb) == 0) {
			image_config_check_platform(&cfg, "amd64", &eb);
			image_env_get(cfg.env, "PATH");
			image_config_done(&cfg);
		}
		break;
	case 3:
		cni_result_parse(doc, n, &res, &eb);
		break;
	case 4:
		cni_error_reason(doc, n, reason, sizeof(reason));
		break;
	case 5:
		runc_state_parse(doc, n, &st, &eb);
		break;
	case 6:
		probe_parse_response(doc, n, boot, &eb);
		break;
	case 7: {
		/* user \0 passwd \0 group (the strings end at the first NUL each) */
		const char *user = s, *pw = memchr(s, '\0', n + 1), *gr;

		pw = pw && (size_t)(pw - s) < n ? pw + 1 : NULL;
		gr = pw ? memchr(pw, '\0', n + 1 - (size_t)(pw - s)) : NULL;
		gr = gr && (size_t)(gr - s) < n ? gr + 1 : NULL;
		userspec_resolve(user, pw, gr, &ids, &eb);
		break;
	}
	case 8:
		image_source_classify_tar(doc, n, &kind, &eb);
		image_source_sniff((const unsigned char *)doc, n, &eb);
		break;
	default:
		tool_stderr_reason(doc, reason, sizeof(reason));
		break;
	}
	free(s);
	return 0;
}
