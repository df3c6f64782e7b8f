/* hello.h - the hello charm's observers (hello.c); main.c runs them, tests/ drive them
 * through the harness. */
#ifndef HELLO_H
#define HELLO_H

#include <cairn/charm.h>

/* Observes the events hello handles (a cairn_setup_fn). */
int hello_setup(struct cairn_charm *ch, void *data);

#endif
