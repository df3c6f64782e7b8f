/* keeper.h - the keeper charm's observers (keeper.c); main.c runs them, tests/ drive them
 * through the harness. */
#ifndef KEEPER_H
#define KEEPER_H

#include <cairn/charm.h>

/* Observes the events keeper handles (a cairn_setup_fn). */
int keeper_setup(struct cairn_charm *ch, void *data);

#endif
