#ifndef CZ_SERVER_UI_H
#define CZ_SERVER_UI_H

/*
 * The dashboard: its files under /ui/ (public, they hold no data; every
 * datum the page shows comes from the API with the user's token), and the
 * two small calls the page and `cozypkg dashboard` make besides the
 * resource API: /auth/whoami and /auth/session (docs/dashboard.md).
 */

#include <stddef.h>

#include "server.h"
#include "util/assets.h"

/* Generated from the files in src/server/ui at build time (scripts/embed-assets.sh). */
extern const cz_asset cz_ui_assets[];
extern const size_t cz_ui_assets_count;

/* How long a session token issued by /auth/session lives. */
#define CZ_UI_SESSION_TTL_NS (15LL * 60 * 1000 * 1000 * 1000)

/* GET and HEAD /ui and /ui/NAME: an embedded file, or 404. */
int cz_handle_ui(cz_req *req);
/* GET /auth/whoami: the caller's identity and what the page may offer. */
int cz_handle_whoami(cz_req *req);
/* POST /auth/session: a short-lived token of the caller's own identity. */
int cz_handle_session(cz_req *req);

#endif
