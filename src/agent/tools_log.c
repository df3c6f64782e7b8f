/* tools_log.c - juju-log: write a message to the unit's log (charm-runtime.md §3.1, §3.2).
 *
 * juju-log must always succeed for valid arguments: ops routes Python logging through it
 * synchronously.  An unknown level is reported at WARNING and the message goes out at INFO,
 * as Juju does. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/tools_internal.h"

static const struct tool_info juju_log_info = {
	"juju-log", "<message>", "write a message to the juju log"
};

/* loggo.ParseLevel: case-insensitive, WARN is WARNING. */
static const char *parse_level(const char *s)
{
	static const char *const levels[] = { "TRACE", "DEBUG", "INFO", "WARNING", "ERROR",
					      "CRITICAL" };

	if (!strcasecmp(s, "WARN"))
		return "WARNING";
	if (!strcasecmp(s, "UNSPECIFIED"))
		return "INFO";
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcasecmp(s, levels[i]))
			return levels[i];
	return NULL;
}

int tool_juju_log(struct tool_call *c, int argc, char **argv)
{
	bool debug = false;
	const char *level = "INFO", *format = "", *lvl;
	struct targ_opt opts[] = {
		{ "debug", TARG_BOOL, &debug, NULL, "log at debug level", "false", false },
		{ "l|log-level", TARG_STRING, NULL, &level, "Send log message at the given level",
		  "INFO", false },
		{ "format", TARG_STRING, NULL, &format, "deprecated format flag", "", false },
	};
	struct buf msg = BUF_INIT;
	char **pos = NULL, *clean;
	int npos, code;

	if (!tool_parse(c, &juju_log_info, opts, 3, NULL, argc, argv, &pos, &npos, &code))
		return code;
	if (npos == 0) {
		free(pos);
		return tool_usage(c, "no message specified");
	}
	buf_init(&msg);
	for (int i = 0; i < npos; i++) {
		if (i)
			buf_addc(&msg, ' ');
		buf_adds(&msg, pos[i]);
	}
	if (*format)
		buf_addf(c->err, "--format flag deprecated for command \"%s\"", c->name);
	if (debug) {
		lvl = "DEBUG";
	} else if (!*level) {
		lvl = "INFO";
	} else if (!(lvl = parse_level(level))) {
		struct buf w = BUF_INIT;

		buf_init(&w);
		buf_adds(&w, "Specified log level of ");
		targ_quote(&w, level);
		buf_adds(&w, " is not valid");
		c->ctx->ops->log(c->ctx, "WARNING", buf_str(&w));
		buf_done(&w);
		lvl = "INFO";
	}
	/* The message travels on as JSON later (debug-log): keep it valid UTF-8. */
	clean = tfmt_utf8_clean(buf_str(&msg));
	if (strlen(clean) > TOOLS_MAX_MESSAGE) {
		size_t n = TOOLS_MAX_MESSAGE;

		while (n && ((unsigned char)clean[n] & 0xc0) == 0x80)
			n--; /* not inside a character */
		clean[n] = '\0';
	}
	c->ctx->ops->log(c->ctx, lvl, clean);
	free(clean);
	buf_done(&msg);
	free(pos);
	return TOOLS_EXIT_OK;
}
