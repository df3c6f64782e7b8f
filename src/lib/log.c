/* log.c - timestamped daemon log lines on stderr; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "loop.h"

static char log_prefix[32] = "cairn";
static bool log_debug_on;

void log_set_prefix(const char *prefix)
{
	snprintf(log_prefix, sizeof(log_prefix), "%s", prefix);
}

void log_set_debug(bool on)
{
	log_debug_on = on;
}

bool log_debug_enabled(void)
{
	return log_debug_on;
}

void log_fmt_ms(uint64_t wall_ns, char *out, size_t n)
{
	time_t s = (time_t)(wall_ns / 1000000000u);
	struct tm tm;
	char base[32];

	gmtime_r(&s, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%03uZ", base, (unsigned)((wall_ns / 1000000u) % 1000u));
}

void log_fmt_rfc3339nano(uint64_t wall_ns, char *out, size_t n)
{
	time_t s = (time_t)(wall_ns / 1000000000u);
	unsigned frac = (unsigned)(wall_ns % 1000000000u);
	struct tm tm;
	char base[32], fs[16];

	gmtime_r(&s, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	if (!frac) {
		snprintf(out, n, "%sZ", base);
		return;
	}
	snprintf(fs, sizeof(fs), "%09u", frac);
	for (int i = 8; i > 0 && fs[i] == '0'; i--)
		fs[i] = '\0';
	snprintf(out, n, "%s.%sZ", base, fs);
}

void logf_(enum log_level lvl, const char *fmt, ...)
{
	char ts[40], line[4096];
	va_list ap;
	int off;

	if (lvl == LOG_DEBUG && !log_debug_on)
		return;
	log_fmt_ms(loop_wall_ns(), ts, sizeof(ts));
	off = snprintf(line, sizeof(line), "%s [%s] %s", ts, log_prefix,
		       lvl == LOG_DEBUG ? "DEBUG " : "");
	va_start(ap, fmt);
	if (off >= 0 && (size_t)off < sizeof(line))
		vsnprintf(line + off, sizeof(line) - (size_t)off, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
