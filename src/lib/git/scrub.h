#ifndef CZ_GIT_SCRUB_H
#define CZ_GIT_SCRUB_H

/*
 * Messages about git remotes must not carry secrets: this removes the user
 * information of every URL in a text ("https://u:p@h/r" -> "https://h/r")
 * and replaces each non-empty secret with "[redacted]".
 */

#include <stddef.h>

/* Returns a malloc'ed scrubbed copy of text (the caller frees it); NULL
 * entries of secrets[0..n) are skipped. */
char *cz_git_scrub(const char *text, const char *const *secrets, size_t n);

#endif
