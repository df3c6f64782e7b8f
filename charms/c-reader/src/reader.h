/* reader.h - the reader charm's observers (reader.c); main.c runs them, tests/ drive them
 * through the harness. */
#ifndef READER_H
#define READER_H

#include <cairn/charm.h>

/* Observes the events reader handles (a cairn_setup_fn). */
int reader_setup(struct cairn_charm *ch, void *data);

#endif
