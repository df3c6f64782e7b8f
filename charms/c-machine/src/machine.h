/* machine.h - the machine charm's observers (machine.c). */
#ifndef MACHINE_H
#define MACHINE_H

#include <cairn/charm.h>

int machine_setup(struct cairn_charm *ch, void *data);

#endif
