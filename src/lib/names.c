/* names.c - application and unit name validation; see names.h. */
#include "names.h"

#include <stddef.h>
#include <string.h>

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Checks the application part s[0..n): the regular expression of names.h written out as
 * hyphen-separated groups of [a-z0-9], each non-empty and containing a letter (the first
 * group starts with one). */
static bool valid_app_n(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_lower(s[0]))
		return false;
	while (i < n) {
		bool letter = false;
		size_t start = i;

		while (i < n && (is_lower(s[i]) || is_digit(s[i]))) {
			letter |= is_lower(s[i]);
			i++;
		}
		if (i == start || !letter)
			return false;
		if (i == n)
			return true;
		if (s[i] != '-')
			return false;
		i++;
		if (i == n)
			return false; /* trailing hyphen */
	}
	return true;
}

bool names_valid_application(const char *s)
{
	return s && valid_app_n(s, strlen(s));
}

bool names_valid_unit(const char *s)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	const char *num;

	if (!slash || !valid_app_n(s, (size_t)(slash - s)))
		return false;
	num = slash + 1;
	if (!is_digit(num[0]))
		return false;
	if (num[0] == '0')
		return num[1] == '\0';
	for (const char *p = num; *p; p++)
		if (!is_digit(*p))
			return false;
	return true;
}
