/* pause.h - the pause charm's observers (pause.c). */
#ifndef PAUSE_H
#define PAUSE_H

#include <cairn/charm.h>

#define PAUSE_NAME "pause"

int pause_setup(struct cairn_charm *ch, void *data);

#endif
