/* log.h - daemon logging to stderr: "2006-01-02T15:04:05.000Z [prefix] message".
 *
 * Only the edges log (main loops, dispatchers); library code returns errors instead. */
#ifndef CAIRN_LOG_H
#define CAIRN_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_prefix(const char *prefix); /* e.g. "pebble", "cairnd" */
void log_set_debug(bool on);
bool log_debug_enabled(void);
void logf_(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) logf_(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) logf_(LOG_INFO, __VA_ARGS__)
#define log_warn(...) logf_(LOG_WARN, __VA_ARGS__)
#define log_error(...) logf_(LOG_ERROR, __VA_ARGS__)

/* Formats a wall-clock time (ns since the epoch) into out:
 * log_fmt_ms: "2006-01-02T15:04:05.000Z" (UTC, milliseconds), as the Pebble log uses;
 * log_fmt_rfc3339nano: RFC 3339 UTC with nanoseconds, trailing zeros trimmed ("...05.1Z"). */
void log_fmt_ms(uint64_t wall_ns, char *out, size_t n);
void log_fmt_rfc3339nano(uint64_t wall_ns, char *out, size_t n);

#endif
