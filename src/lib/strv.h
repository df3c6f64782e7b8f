/* strv.h - NULL-terminated string vectors (argv, envp), owned element by element.
 *
 * A vector built here is never NULL once created (strv_push on NULL allocates it) and is
 * always NULL-terminated; strv_free frees every element and the array, and accepts NULL. */
#ifndef CAIRN_STRV_H
#define CAIRN_STRV_H

#include <stddef.h>

/* Appends s (ownership passes to the vector) to *v of length *n. */
void strv_push(char ***v, size_t *n, char *s);
/* A deep copy of v (NULL: an empty vector). */
char **strv_dup(char *const *v);
void strv_free(char **v);

#endif
