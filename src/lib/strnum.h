/* strnum.h - the one checked parser for numbers, booleans and Go durations.
 *
 * Never atoi: each function parses the whole string or fails, leaving *ret untouched. */
#ifndef CAIRN_STRNUM_H
#define CAIRN_STRNUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Base-10 integer in [min, max]. 0 or -EINVAL / -ERANGE. */
int strnum_i64(const char *s, int64_t min, int64_t max, int64_t *ret);
/* 64-bit float (strtod syntax, whole string, finite). */
int strnum_f64(const char *s, double *ret);
/* Go strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False. */
int strnum_bool(const char *s, bool *ret);
/* Go time.ParseDuration ("300ms", "1.5h", "2h45m", "-1s"); result in nanoseconds. */
int strnum_duration(const char *s, int64_t *ret_ns);
/* Go Duration.String() ("1h2m3s", "500ms", "0s", "1.5s"). */
void strnum_fmt_duration(int64_t ns, char *out, size_t n);
/* RFC 3339 time as Go's time.Parse(time.RFC3339Nano, s) accepts it
 * ("2006-01-02T15:04:05Z", "...05.123456789+02:00"): an optional fraction of up to 9
 * digits, then "Z" or a numeric offset.  Result in nanoseconds since the epoch (negative
 * before 1970); -EINVAL for anything else, -ERANGE for a valid time that 64-bit
 * nanoseconds cannot hold (years before 1678 or after 2261, e.g. Go's zero time
 * "0001-01-01T00:00:00Z"). */
int strnum_rfc3339(const char *s, int64_t *ret_ns);

#endif
