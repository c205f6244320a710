#ifndef CZ_BENCH_BENCH_H
#define CZ_BENCH_BENCH_H

/*
 * What every benchmark program needs: a monotonic clock in seconds, and
 * an exit that names the program, the step and the library's message.
 * Define BENCH_NAME before including.
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/error.h"

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void bench_die(const char *what, const cz_error *err)
{
	fprintf(stderr, "%s: %s: %s\n", BENCH_NAME, what,
		err ? err->msg : "");
	exit(1);
}

#endif
