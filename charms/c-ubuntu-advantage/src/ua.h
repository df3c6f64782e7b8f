/* ua.h - the ubuntu-advantage-style charm's observers (ua.c). */
#ifndef UA_H
#define UA_H

#include <cairn/charm.h>

int ua_setup(struct cairn_charm *ch, void *data);

#endif
