/* names.h - Juju's naming rules for applications and units (operator-cli.md §2), shared by
 * the CLI (which checks arguments before sending them) and cairnd (which checks requests). */
#ifndef CAIRN_NAMES_H
#define CAIRN_NAMES_H

#include <stdbool.h>

/* ^(?:[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*)$: lowercase letters, digits and single
 * hyphens, starting with a letter, with a letter in every hyphen-separated group (also the
 * rule for charm names).  False for NULL. */
bool names_valid_application(const char *s);
/* <application>/<N>, N = 0 or a decimal number without leading zeros.  False for NULL. */
bool names_valid_unit(const char *s);

#endif
