#ifndef CZ_UTIL_PROC_H
#define CZ_UTIL_PROC_H

/*
 * Running a program as a child process with an environment of our
 * choosing (nothing inherited), a deadline and its output captured.
 * The child leads its own process group, so a deadline kills everything
 * it started, and it is killed when the thread that started it dies (a
 * crash of the server does not leave it running).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct cz_proc_opts {
	const char *const *argv; /* argv[0] is the program's path */
	const char *const *env;  /* "KEY=VALUE", NULL-terminated */
	const char *cwd;         /* NULL: stay */
	int64_t timeout_ns;      /* > 0 */
	size_t output_keep;      /* bytes of output kept: the last ones */
} cz_proc_opts;

typedef struct cz_proc_result {
	int exit_code;  /* when exited */
	int signal;     /* when killed by a signal, else 0 */
	bool timed_out; /* killed at the deadline */
	char *output;   /* stdout and stderr interleaved, the last
			 * output_keep bytes; malloc'ed, NUL-terminated */
	size_t output_len;
	bool output_cut; /* earlier output was dropped */
} cz_proc_result;

/*
 * Runs o->argv and waits for it.  Returns CZ_OK when the program ran,
 * whatever its exit status (read *r), or CZ_ERR / CZ_EIO when it could
 * not be started.  *r is filled in either way and released with
 * cz_proc_result_release().
 */
int cz_proc_run(const cz_proc_opts *o, cz_proc_result *r, cz_error *err);
void cz_proc_result_release(cz_proc_result *r);

/* The last n lines of text (or all of it), as a pointer into text. */
const char *cz_last_lines(const char *text, size_t len, unsigned n);

#endif
