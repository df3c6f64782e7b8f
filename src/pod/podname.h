/* podname.h - the names the pod module accepts or makes (pure): pod ids and container names,
 * runc container ids, network namespace and interface names.  One checker over a character
 * class, so every name is held to one rule per kind. */
#ifndef CAIRN_POD_PODNAME_H
#define CAIRN_POD_PODNAME_H

#include <stdbool.h>
#include <stddef.h>

enum podname_class {
	PODNAME_LOWER,  /* [a-z0-9-], not starting with '-': pod ids, container names, prefixes */
	PODNAME_IFACE,  /* [A-Za-z0-9_.-]: network, bridge and namespace names */
	PODNAME_RUNC,   /* [A-Za-z0-9_.+-]: runc container ids */
	_PODNAME_MAX,
};

/* Whether s is 1..max characters of class cls.  False for NULL. */
bool podname_ok(const char *s, size_t max, enum podname_class cls);

#endif
