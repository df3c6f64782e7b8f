/* strnum.c - checked number, boolean and Go-duration parsing; see strnum.h. */
#include "strnum.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
