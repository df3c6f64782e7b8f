/* names.h - Juju's naming rules for applications and units (operator-cli.md §2). */
#ifndef CAIRN_CLI_NAMES_H
#define CAIRN_CLI_NAMES_H

#include <stdbool.h>

/* ^(?:[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*)$: lowercase letters, digits and single
 * hyphens, starting with a letter, no all-digit group after a hyphen. */
bool names_valid_application(const char *s);
/* <application>/<N>, N = 0 or a decimal number without leading zeros. */
bool names_valid_unit(const char *s);

#endif
