/* podname.c - name checks; see podname.h. */
#include "podname.h"

#include <string.h>

static bool in_class(char ch, enum podname_class cls)
{
	bool lower_digit = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';

	switch (cls) {
	case PODNAME_LOWER:
		return lower_digit;
	case PODNAME_IFACE:
		return lower_digit || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '.';
	case PODNAME_RUNC:
		return lower_digit || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '.' || ch == '+';
	default:
		return false;
	}
}

bool podname_ok(const char *s, size_t max, enum podname_class cls)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max || (cls == PODNAME_LOWER && s[0] == '-'))
		return false;
	for (; *s; s++)
		if (!in_class(*s, cls))
			return false;
	return true;
}
