/* strnum.c - checked number, boolean and Go-duration parsing; see strnum.h. */
#include "strnum.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int strnum_i64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	char *end;
	long long v;

	if (!s || !*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int strnum_f64(const char *s, double *ret)
{
	char *end;
	double v;

	if (!s || !*s || *s == ' ' || *s == '\t' || *s == '\n')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end)
		return -EINVAL;
	/* Go's ParseFloat accepts "inf"/"nan" too; strtod does as well. */
	if (errno == ERANGE && isinf(v))
		return -ERANGE;
	*ret = v;
	return 0;
}

int strnum_bool(const char *s, bool *ret)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < 6; i++) {
		if (!strcmp(s, t[i])) {
			*ret = true;
			return 0;
		}
		if (!strcmp(s, f[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct {
	const char *name;
	double ns;
} duration_units[] = {
	{ "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "\xce\xbcs", 1e3 },
	{ "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
};

int strnum_duration(const char *s, int64_t *ret_ns)
{
	const char *p = s;
	bool neg = false;
	double total = 0;

	if (!s || !*s)
		return -EINVAL;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!strcmp(p, "0")) {
		*ret_ns = 0;
		return 0;
	}
	if (!*p)
		return -EINVAL;
	while (*p) {
		const char *start = p;
		double v;
		size_t best = 0;
		int ui = -1;

		while ((*p >= '0' && *p <= '9') || *p == '.')
			p++;
		if (p == start || (p - start == 1 && *start == '.'))
			return -EINVAL;
		{
			char num[64];
			size_t n = (size_t)(p - start);

			if (n >= sizeof(num))
				return -ERANGE;
			memcpy(num, start, n);
			num[n] = '\0';
			if (strchr(num, '.') != strrchr(num, '.'))
				return -EINVAL;
			v = strtod(num, NULL);
		}
		for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
			size_t n = strlen(duration_units[i].name);

			if (!strncmp(p, duration_units[i].name, n) && n > best) {
				/* "m" must not swallow "ms". */
				best = n;
				ui = (int)i;
			}
		}
		if (ui < 0)
			return -EINVAL; /* missing unit */
		p += best;
		total += v * duration_units[ui].ns;
		if (total > 9.2e18)
			return -ERANGE;
	}
	*ret_ns = (int64_t)llround(neg ? -total : total);
	return 0;
}

/* Formats v / 10^prec with trailing zeros of the fraction trimmed. */
static int fmt_frac(char *out, size_t n, uint64_t v, int prec)
{
	uint64_t p10 = 1;
	char frac[32];

	for (int i = 0; i < prec; i++)
		p10 *= 10;
	uint64_t ip = v / p10, fp = v % p10;

	if (!fp)
		return snprintf(out, n, "%llu", (unsigned long long)ip);
	snprintf(frac, sizeof(frac), "%0*llu", prec, (unsigned long long)fp);
	for (int i = prec - 1; i > 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	return snprintf(out, n, "%llu.%s", (unsigned long long)ip, frac);
}

void strnum_fmt_duration(int64_t ns, char *out, size_t n)
{
	const char *sign = ns < 0 ? "-" : "";
	uint64_t u = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
	char num[64];

	if (u == 0) {
		snprintf(out, n, "0s");
		return;
	}
	if (u < 1000u) {
		snprintf(out, n, "%s%lluns", sign, (unsigned long long)u);
		return;
	}
	if (u < 1000000u) {
		fmt_frac(num, sizeof(num), u, 3);
		snprintf(out, n, "%s%s\xc2\xb5s", sign, num);
		return;
	}
	if (u < 1000000000u) {
		fmt_frac(num, sizeof(num), u, 6);
		snprintf(out, n, "%s%sms", sign, num);
		return;
	}
	uint64_t h = u / 3600000000000ull;
	uint64_t rem = u % 3600000000000ull;
	uint64_t m = rem / 60000000000ull;
	uint64_t sns = rem % 60000000000ull;

	fmt_frac(num, sizeof(num), sns, 9);
	if (h)
		snprintf(out, n, "%s%lluh%llum%ss", sign, (unsigned long long)h, (unsigned long long)m, num);
	else if (m)
		snprintf(out, n, "%s%llum%ss", sign, (unsigned long long)m, num);
	else
		snprintf(out, n, "%s%ss", sign, num);
}

/* Reads exactly n decimal digits at *p into *ret and advances *p. */
static bool digits(const char **p, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

int strnum_rfc3339(const char *s, int64_t *ret_ns)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int year, mon, day, hh, mm, ss, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, secs;
	const char *p = s;
	struct tm tm;

	if (!s || !digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) || *p++ != '-' ||
	    !digits(&p, 2, &day) || (*p != 'T' && *p != 't'))
		return -EINVAL;
	p++;
	if (!digits(&p, 2, &hh) || *p++ != ':' || !digits(&p, 2, &mm) || *p++ != ':' || !digits(&p, 2, &ss))
		return -EINVAL;
	if (*p == '.') {
		int nd = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, nd++)
			if (nd < 9)
				frac = frac * 10 + (*p - '0');
		if (nd == 0 || nd > 9)
			return -EINVAL;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*p || mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] || hh > 23 || mm > 59 || ss > 59)
		return -EINVAL;
	if (mon == 2 && day == 29 && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	secs = (int64_t)timegm(&tm) - (int64_t)sign * (oh * 3600 + om * 60);
	if (secs > INT64_MAX / 1000000000 - 1 || secs < INT64_MIN / 1000000000 + 1)
		return -ERANGE;
	*ret_ns = secs * 1000000000 + frac;
	return 0;
}
