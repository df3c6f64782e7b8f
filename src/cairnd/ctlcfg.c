/* ctlcfg.c - controller config keys, defaults and checks; see ctlcfg.h. */
#include "cairnd/ctlcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/strnum.h"

static const char *const defaults[] = {
	"api-port", "17070",
	"api-address", "",
	"leadership-lease-duration", "1m",
	"hook-timeout", "1h",
	"agent-hello-timeout", "10s",
	NULL, NULL,
};

static const char *default_of(const char *key)
{
	for (size_t i = 0; defaults[i]; i += 2)
		if (!strcmp(defaults[i], key))
			return defaults[i + 1];
	return NULL;
}

int ctlcfg_check(const char *key, const char *value, struct errbuf *eb)
{
	int64_t v;

	if (!default_of(key)) {
		errbuf_set(eb, "unknown controller config key \"%s\"", key);
		return -EINVAL;
	}
	if (!strcmp(key, "api-port")) {
		if (strnum_i64(value, 0, 65535, &v) < 0) {
			errbuf_set(eb, "api-port: expected a port number from 0 to 65535, got \"%s\"", value);
			return -EINVAL;
		}
	} else if (!strcmp(key, "api-address")) {
		unsigned char buf[16];

		if (*value && inet_pton(AF_INET, value, buf) != 1 && inet_pton(AF_INET6, value, buf) != 1) {
			errbuf_set(eb, "api-address: expected an IP address, got \"%s\"", value);
			return -EINVAL;
		}
	} else if (!strcmp(key, "leadership-lease-duration")) {
		if (strnum_duration(value, &v) < 0 || v < 200000000LL || v > 86400000000000LL) {
			errbuf_set(eb, "leadership-lease-duration: expected a duration from 200ms to 24h, got \"%s\"",
				   value);
			return -EINVAL;
		}
	} else if (!strcmp(key, "agent-hello-timeout")) {
		if (strnum_duration(value, &v) < 0 || v < 100000000LL || v > 600000000000LL) {
			errbuf_set(eb, "agent-hello-timeout: expected a duration from 100ms to 10m, got \"%s\"",
				   value);
			return -EINVAL;
		}
	} else if (!strcmp(key, "hook-timeout")) {
		if (strnum_duration(value, &v) < 0 || v < 0) {
			errbuf_set(eb, "hook-timeout: expected a duration, got \"%s\"", value);
			return -EINVAL;
		}
	}
	return 0;
}

static const char *get(struct model *m, const char *key)
{
	const char *v = model_ctlcfg_get(m, key);
	struct errbuf eb;

	return v && ctlcfg_check(key, v, &eb) == 0 ? v : default_of(key);
}

void ctlcfg_read(struct model *m, struct ctlcfg *ret)
{
	int64_t v = 0;

	strnum_i64(get(m, "api-port"), 0, 65535, &v);
	ret->api_port = (int)v;
	snprintf(ret->api_address, sizeof(ret->api_address), "%s", get(m, "api-address"));
	strnum_duration(get(m, "leadership-lease-duration"), &v);
	ret->lease_ms = v / 1000000;
	strnum_duration(get(m, "hook-timeout"), &v);
	ret->hook_timeout_ms = v / 1000000;
	strnum_duration(get(m, "agent-hello-timeout"), &v);
	ret->hello_timeout_ms = v / 1000000;
}
