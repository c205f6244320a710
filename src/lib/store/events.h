#ifndef CZ_STORE_EVENTS_H
#define CZ_STORE_EVENTS_H

/*
 * cz_hub: the store's window of recent events and the watches reading it.
 *
 * Every write makes exactly one event and revisions are consecutive, so the
 * event of revision r lives in slot r % cap of one shared ring: no queue per
 * watcher.  A watch is a cursor (the last revision it has looked at); a
 * write appends one slot and wakes the sleeping watches its key is under,
 * each on its own condition variable.  A cursor
 * that the ring has overtaken gets CZ_EGONE.  The hub is reference counted:
 * the store holds one reference and every watch another, so a watch closed
 * after the store still finds its hub.
 */

#include "store/store.h"

typedef struct cz_hub cz_hub;

/* A hub keeping cap events, whose window starts empty after revision
 * start_rv.  The caller owns the one reference (cz_hub_unref). */
cz_hub *cz_hub_new(size_t cap, int64_t start_rv);
void cz_hub_unref(cz_hub *hub); /* NULL-safe */

/* Appends the event of revision rv (the last one plus one), taking a new
 * reference to object, and wakes the watchers. */
void cz_hub_append(cz_hub *hub, int64_t rv, cz_event_type type,
		   cz_blob *object);
/* Makes every watcher's next call return CZ_EIO, and every new watch. */
void cz_hub_stop(cz_hub *hub);
size_t cz_hub_watch_count(cz_hub *hub);

/* A watch over hub as described for cz_store_watch. */
int cz_hub_watch(cz_hub *hub, const char *prefix, int64_t from_rv,
		 cz_watch **out, cz_error *err);

#endif
