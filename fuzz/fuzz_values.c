/* fuzz_values.c - the small parsers of operator and charm input.  The selector byte's low
 * four bits pick an option type, the next two what is parsed:
 *   0  config values of that option type (settings_parse_string: `cairn config APP k=v`),
 *      Go durations (update-status-hook-interval, Pebble's backoff and check fields) - a
 *      parsed duration must print as a duration that parses back to the same value -,
 *      integers, floats and Go booleans;
 *   1  the CLI's config arguments: NUL-separated `k=v` pairs and file names
 *      (cfgsrc_split_pair, cfgsrc_check_flags) and the text as a YAML config file
 *      (cfgsrc_file_source, from a scratch file);
 *   2  the CLI's option parser (argv_parse) on NUL-separated arguments, against a table of
 *      every option kind, as `cairn deploy` has them. */
#include <stdlib.h>
#include <string.h>

#include "charm/settings.h"
#include "cli/argv.h"
#include "cli/cfgsrc.h"
#include "fuzz.h"
#include "lib/buf.h"
#include "lib/strnum.h"

#define MAX_ARGS 64

/* Splits s[0..n) at NULs into argv (pointers into s). */
static int split_args(char *s, size_t n, char **argv)
{
	int argc = 0;
	size_t i = 0;

	while (i <= n && argc < MAX_ARGS) {
		argv[argc++] = s + i;
		i += strlen(s + i) + 1;
	}
	return argc;
}

static void cli_config(char *s, size_t n)
{
	char *argv[MAX_ARGS], *key = NULL;
	const char *value;
	struct argv_list flags;
	struct errbuf eb;
	json_t *src = NULL;
	int argc = split_args(s, n, argv);

	argv_list_init(&flags);
	for (int i = 0; i < argc; i++) {
		if (cfgsrc_split_pair(argv[i], &key, &value, &eb) == 0) {
			if (strlen(value) > strlen(argv[i]))
				abort();
			free(key);
		}
		argv_list_add(&flags, argv[i]);
	}
	cfgsrc_check_flags(&flags, &eb);
	argv_list_done(&flags);
	if (cfgsrc_file_source(fuzz_scratch_put("config.yaml", s, n), &src, &eb) == 0)
		json_decref(src);
}

static void cli_options(char *s, size_t n)
{
	char *argv[MAX_ARGS + 1];
	bool force = false, force_seen = false;
	const char *app = NULL;
	int64_t num = 0;
	struct argv_list cfg, pos;
	struct argv_opt opts[] = {
		{ "force", 0, ARGV_BOOL, &force, &force_seen },
		{ "num-units", 'n', ARGV_INT, &num, NULL },
		{ "to", 0, ARGV_STRING, &app, NULL },
		{ "config", 0, ARGV_LIST, &cfg, NULL },
		{ NULL, 0, ARGV_BOOL, NULL, NULL },
	};
	struct errbuf eb;
	int argc;

	argv[0] = (char *)"cairn";
	argc = 1 + split_args(s, n, argv + 1);
	argv_list_init(&cfg);
	argv_list_init(&pos);
	argv_wants_help(argc, argv, 1);
	if (argv_parse(opts, argc, argv, 1, &pos, &eb) == 0 && pos.n)
		argv_unrecognized(pos.v, pos.n, &eb);
	argv_list_done(&cfg);
	argv_list_done(&pos);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct charm_option o = { .name = "opt", .description = "" };
	struct errbuf eb;
	json_t *v = NULL;
	int64_t ns, i;
	double d;
	bool b;
	char *s, fmt[64];

	if (size < 1 || size > 4096)
		return 0;
	s = malloc(size);
	if (!s)
		abort();
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch ((data[0] >> 4) & 3) {
	case 1:
		cli_config(s, size - 1);
		free(s);
		return 0;
	case 2:
		cli_options(s, size - 1);
		free(s);
		return 0;
	default:
		break;
	}
	o.type = (enum charm_opt_type)((data[0] & 0x0f) % _CHARM_OPT_MAX);
	if (settings_parse_string(&o, s, &v, &eb) == 0)
		json_decref(v);
	if (strnum_duration(s, &ns) == 0) {
		int64_t back;

		strnum_fmt_duration(ns, fmt, sizeof(fmt));
		if (strnum_duration(fmt, &back) != 0 || back != ns)
			abort(); /* a duration we print must read back as itself */
	}
	strnum_i64(s, INT64_MIN, INT64_MAX, &i);
	strnum_f64(s, &d);
	strnum_bool(s, &b);
	free(s);
	return 0;
}
