/*
 * GET /market/search?q=TERM: the marketplace index as the server reads it,
 * so that the dashboard can search it and tap an entry with the user's own
 * token.  The server only reads: tapping is the page's requests to the
 * resource API, judged by the same policy as kubectl's.
 *
 * The index is held for a short while, so that typing in the search box
 * does not fetch a git repository or an OCI artifact per keystroke, yet a
 * new entry shows within a minute.
 */

#include "market.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "market/tap.h"
#include "util/mem.h"

#define NS_PER_SECOND 1000000000LL
#define LOADED_TTL_NS (30 * NS_PER_SECOND)
/* A failure is kept for less time: the fix is usually on its way. */
#define FAILED_TTL_NS (5 * NS_PER_SECOND)

struct cz_search_index {
	pthread_mutex_t lock;
	char *location;
	bool insecure;
	cz_market_index idx;
	bool have;         /* idx or failure holds a result */
	cz_error failure;  /* code != CZ_OK: the last load failed */
	int64_t loaded_ns; /* monotonic time of that result */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SECOND + ts.tv_nsec;
}

int cz_search_index_open(const char *flag, bool insecure,
			 cz_search_index **out, cz_error *err)
{
	cz_search_index *c = NULL;
	char *location = NULL;
	int rc;

	*out = NULL;
	if ((rc = cz_market_location(flag, &location, NULL, err)) < 0)
		goto cleanup;
	c = cz_xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->location = location;
	location = NULL;
	c->insecure = insecure;
	c->idx = (cz_market_index)CZ_MARKET_INDEX_INIT;
	*out = c;
cleanup:
	free(location);
	return rc;
}

void cz_search_index_free(cz_search_index *c)
{
	if (!c)
		return;
	cz_market_index_release(&c->idx);
	pthread_mutex_destroy(&c->lock);
	free(c->location);
	free(c);
}

/* Loads the index again when what is held is too old; c->lock held. */
static void refresh(cz_search_index *c)
{
	cz_market_load_opts o;
	cz_market_index idx = CZ_MARKET_INDEX_INIT;
	cz_error err = CZ_ERROR_INIT;
	cz_diags d;
	int64_t now = now_ns();
	int64_t ttl = c->failure.code != CZ_OK ? FAILED_TTL_NS : LOADED_TTL_NS;

	if (c->have && now - c->loaded_ns < ttl)
		return;
	memset(&o, 0, sizeof(o));
	o.insecure = c->insecure;
	cz_diags_init(&d);
	if (cz_market_load(c->location, &o, &idx, &d, &err) == CZ_OK) {
		cz_market_index_release(&c->idx);
		c->idx = idx;
		c->failure = (cz_error)CZ_ERROR_INIT;
	} else {
		cz_market_index_release(&idx);
		c->failure = err;
	}
	cz_diags_release(&d);
	c->have = true;
	c->loaded_ns = now;
}

/* An item of the answer: the entry as `cozypkg search -o json` shows it,
 * and what tapping it writes. */
static json_t *item_json(const cz_search_index *c, const cz_market_entry *e)
{
	json_t *o = cz_market_entry_json(e);
	json_t *tap = NULL;
	cz_error err = CZ_ERROR_INIT;

	/* Entries were validated when the index was loaded, so the
	 * reference parses; one that did not is shown without a tap. */
	if (cz_tap_for_entry(e, c->insecure, &tap, &err) == CZ_OK)
		json_object_set_new(o, "tap", tap);
	return o;
}

int cz_handle_market_search(cz_req *req)
{
	cz_search_index *c = req->srv->search_index;
	const cz_market_entry **found = NULL;
	const char *term;
	json_t *items = NULL;
	size_t ninvalid, n;
	int rc;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD"))
		return cz_reply_status(req, 405, "MethodNotAllowed", NULL,
				       "the server does not allow this method "
				       "on the requested resource");
	if (!req->user)
		return cz_reply_status(req, 401, "Unauthorized", NULL,
				       "Unauthorized");
	term = cz_req_query(req, "q");
	if (!term)
		return cz_reply_status(req, 400, "BadRequest", NULL,
				       "q is required: the term to search "
				       "for (q= lists every entry)");
	if (strlen(term) > CZ_MARKET_MAX_TERM)
		return cz_reply_status(req, 400, "BadRequest", NULL,
				       "q is longer than %d bytes",
				       CZ_MARKET_MAX_TERM);
	if (!c)
		return cz_reply_status(req, 503, "ServiceUnavailable", NULL,
				       "this server reads no marketplace "
				       "index");
	pthread_mutex_lock(&c->lock);
	refresh(c);
	if (c->failure.code != CZ_OK) {
		pthread_mutex_unlock(&c->lock);
		return cz_reply_status(req, 503, "ServiceUnavailable", NULL,
				       "cannot read the marketplace index: "
				       "%s (cozypkgd --index or "
				       "COZYPKG_INDEX names it)",
				       c->failure.msg);
	}
	n = cz_market_search(&c->idx, term, &found);
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, item_json(c, found[i]));
	ninvalid = c->idx.ninvalid;
	pthread_mutex_unlock(&c->lock);
	rc = cz_reply_json_new(
		req, 200,
		json_pack("{s:s, s:s, s:o, s:I}", "kind", "MarketSearch",
			  "apiVersion", "cozypkg.io/v1", "items", items,
			  "invalid", (json_int_t)ninvalid));
	free(found);
	return rc;
}
