/* Waiting for Packages to become Ready, for add --wait and upgrade
 * --wait. */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util/duration.h"
#include "util/mem.h"

#define WAIT_POLL_NS (500 * 1000000LL)

/* One round: marks each Package that became Ready; returns how many are
 * still waited for, or -1 after an error (printed). */
static long poll_ready(cli_conn *c, const cli_names *names, bool *ready,
		       bool report)
{
	long waiting = 0;

	for (size_t i = 0; i < names->len; i++) {
		cz_error err = CZ_ERROR_INIT;
		json_t *pkg = NULL;
		const char *reason = NULL, *message = NULL, *status;

		if (ready[i])
			continue;
		if (cli_get(c, cli_res_packages(), names->items[i], &pkg,
			    &err) < 0) {
			cli_fail(&err);
			return -1;
		}
		status = cli_ready_status(pkg, &reason, &message);
		if (strcmp(status, "True") == 0) {
			ready[i] = true;
			fprintf(stderr, "✓ %s is Ready\n", names->items[i]);
		} else {
			waiting++;
			if (report)
				fprintf(stderr, "  %s: Ready=%s %s: %s\n",
					names->items[i], status,
					reason ? reason : "",
					message ? message : "no status yet");
		}
		json_decref(pkg);
	}
	return waiting;
}

int cli_wait_ready(cli_conn *c, const cli_names *names, int64_t timeout_ns)
{
	bool *ready = cz_xcalloc(names->len + 1, sizeof(*ready));
	int64_t deadline = cz_mono_ns() + timeout_ns;
	char shown[32];
	long waiting;
	int rc = CLI_EXIT_OK;

	fprintf(stderr, "Waiting for %zu Package(s) to become Ready...\n",
		names->len);
	while ((waiting = poll_ready(c, names, ready, false)) > 0) {
		struct timespec pause = { 0, WAIT_POLL_NS };

		if (cz_mono_ns() >= deadline) {
			cz_duration_format(timeout_ns, shown, sizeof(shown));
			fprintf(stderr, "cozypkg: timed out after %s; not "
					"Ready:\n",
				shown);
			poll_ready(c, names, ready, true);
			rc = CLI_EXIT_FAILED;
			break;
		}
		nanosleep(&pause, NULL);
	}
	if (waiting < 0)
		rc = CLI_EXIT_FAILED;
	free(ready);
	return rc;
}
