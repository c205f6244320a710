#include "controller/informer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/mem.h"
#include "util/strmap.h"

#define DEFAULT_PAGE_SIZE 500
/* Reconnects back off from BACKOFF_MIN_MS, doubling up to BACKOFF_MAX_MS,
 * so that a restarted server is found again within a couple of seconds. */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
/* Watches ask the server to end them after 5 to 10 minutes, as client-go
 * does, so that a connection is never trusted forever. */
#define WATCH_TIMEOUT_MIN_SECONDS 300
/* A paged list whose continue token expires starts over; not forever. */
#define LIST_ATTEMPTS 3
/* A watch that ends sooner than this counts as failing fast. */
#define WATCH_HEALTHY_SECONDS 1

/* ---- a string map with removal ---------------------------------------- */

/* A chained map with removal.  The indexes by namespace and by label own
 * copies of their keys, where cz_strmap borrows them: their sets come and
 * go with the objects that name them.  The map by key and the sets borrow
 * their keys from the entries they hold (each entry outlives its nodes),
 * and save a copy per node.  cz_strmap would save about 60 bytes per node
 * in large sets and cost as much or more in the many sets of two or three
 * members (one per Package label value), whose 16-slot tables are 384
 * bytes. */
typedef struct hnode {
	struct hnode *next;
	size_t hash;
	const char *key;
	char *own_key; /* key, when the map owns it; else NULL */
	void *value;
} hnode;

typedef struct hmap {
	hnode **buckets;
	size_t nbuckets; /* a power of two, or 0 */
	size_t len;
	bool borrows_keys;
} hmap;

static hnode **hmap_link(const hmap *m, const char *key, size_t hash)
{
	hnode **link = &m->buckets[hash & (m->nbuckets - 1)];

	while (*link && ((*link)->hash != hash || strcmp((*link)->key, key)))
		link = &(*link)->next;
	return link;
}

static void *hmap_get(const hmap *m, const char *key)
{
	hnode *n;

	if (!m->len)
		return NULL;
	n = *hmap_link(m, key, cz_strhash(key));
	return n ? n->value : NULL;
}

static void hmap_grow(hmap *m)
{
	size_t nb = m->nbuckets ? m->nbuckets * 2 : 16;
	hnode **b = cz_xcalloc(nb, sizeof(*b));

	for (size_t i = 0; i < m->nbuckets; i++) {
		hnode *n = m->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = nb;
}

/* Sets key to value; returns the value it replaces, or NULL. */
static void *hmap_put(hmap *m, const char *key, void *value)
{
	size_t hash = cz_strhash(key);
	hnode **link, *n;
	void *old;

	if (m->len + 1 > m->nbuckets)
		hmap_grow(m);
	link = hmap_link(m, key, hash);
	if (*link) {
		old = (*link)->value;
		(*link)->value = value;
		/* The borrowed key may belong to the value replaced. */
		if (m->borrows_keys)
			(*link)->key = key;
		return old;
	}
	n = cz_xmalloc(sizeof(*n));
	*n = (hnode){ NULL, hash, key, NULL, value };
	if (!m->borrows_keys)
		n->key = n->own_key = cz_xstrdup(key);
	*link = n;
	m->len++;
	return NULL;
}

/* Removes key; returns its value, or NULL when it was not there. */
static void *hmap_del(hmap *m, const char *key)
{
	hnode **link, *n;
	void *value;

	if (!m->len)
		return NULL;
	link = hmap_link(m, key, cz_strhash(key));
	if (!(n = *link))
		return NULL;
	*link = n->next;
	value = n->value;
	free(n->own_key);
	free(n);
	m->len--;
	return value;
}

/* Visits every value; fn may not change the map. */
static void hmap_each(const hmap *m, void (*fn)(void *ctx, void *value),
		      void *ctx)
{
	for (size_t i = 0; i < m->nbuckets; i++)
		for (hnode *n = m->buckets[i]; n; n = n->next)
			fn(ctx, n->value);
}

static void hmap_release(hmap *m, void (*free_value)(void *))
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		hnode *n = m->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			if (free_value)
				free_value(n->value);
			free(n->own_key);
			free(n);
		}
	}
	free(m->buckets);
	m->buckets = NULL;
	m->nbuckets = m->len = 0;
}

/* ---- cache entries ---------------------------------------------------- */

typedef struct entry {
	/* key, ns, name, rv and the labels' strings share one allocation, at
	 * key: there are tens of thousands of entries. */
	char *key;      /* "ns/name" or "name" */
	const char *ns; /* "" for cluster-scoped objects */
	const char *name;
	json_t *obj;    /* one reference; NULL in a compact cache */
	/* A compact cache's object as JSON text: the transport's shared
	 * blob when it gave one (the store's own copy, in-process), else
	 * text of the cache's own.  Both NULL in a full cache. */
	cz_blob *blob;
	char *text;
	size_t len;
	const char *rv; /* metadata.resourceVersion, or NULL */
	size_t nlabels;
	const char *labels[]; /* "key=value" for each label */
} entry;

typedef struct handler {
	cz_informer_fn fn;
	void *ctx;
} handler;

struct cz_informer {
	cz_kube *kube; /* the informer thread's own connection */
	const cz_resource *res;
	char *ns;
	char *label_selector;
	char *field_selector;
	unsigned page_size;
	handler *handlers;
	size_t nhandlers, handlers_cap;

	unsigned resync_seconds;
	bool keep_managed_fields;
	/* "-metadata.managedFields" unless they are kept: what is parsed of
	 * an event or of a compact cache's text. */
	cz_projection *view;
	bool compact;
	pthread_t thread;
	pthread_t resync_thread;
	bool running;
	bool resync_running;
	volatile int stop;
	/* Used by the informer thread only (or while it is not running). */
	char *last_rv;
	bool need_list;

	/* mu guards everything below; cond signals synced and stop. */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	hmap by_key;   /* key → entry */
	hmap by_ns;    /* namespace → hmap of key → entry */
	hmap by_label; /* "key=value" → hmap of key → entry */
	bool synced;
	cz_informer_stats stats;
};

static const char *meta_string(const json_t *obj, const char *field)
{
	return json_string_value(
		json_object_get(json_object_get(obj, "metadata"), field));
}

char *cz_object_cache_key(const json_t *obj)
{
	const char *ns = meta_string(obj, "namespace");
	const char *name = meta_string(obj, "name");

	if (!name)
		return NULL;
	if (ns && *ns)
		return cz_xasprintf("%s/%s", ns, name);
	return cz_xstrdup(name);
}

static bool same_version(const entry *e, const json_t *obj)
{
	const char *rv = meta_string(obj, "resourceVersion");

	return e->rv && rv && !strcmp(e->rv, rv);
}

/* Writes a, then sep and b when sep is not NUL, then a NUL; returns the
 * byte after it. */
static char *put_parts(char *p, const char *a, char sep, const char *b)
{
	size_t la = strlen(a);

	memcpy(p, a, la);
	p += la;
	if (sep) {
		size_t lb = strlen(b);

		*p++ = sep;
		memcpy(p, b, lb);
		p += lb;
	}
	*p++ = '\0';
	return p;
}

/* The entry's strings, "ns/name" (or "name"), ns, rv ("" when none) and
 * each string label as "key=value", one after another in one allocation
 * that e->key owns. */
static void pack_strings(entry *e, const char *ns, const char *name,
			 const char *rv, json_t *labels)
{
	size_t size = 2 * strlen(ns) + strlen(name) + strlen(rv) + 4;
	const char *k;
	json_t *v;
	char *p;

	json_object_foreach(labels, k, v)
		if (json_is_string(v))
			size += strlen(k) + json_string_length(v) + 2;
	p = e->key = cz_xmalloc(size);
	p = *ns ? put_parts(p, ns, '/', name) : put_parts(p, name, 0, NULL);
	e->name = *ns ? e->key + strlen(ns) + 1 : e->key;
	e->ns = p;
	p = put_parts(p, ns, 0, NULL);
	e->rv = *rv ? p : NULL;
	p = put_parts(p, rv, 0, NULL);
	json_object_foreach(labels, k, v) {
		if (json_is_string(v)) {
			e->labels[e->nlabels++] = p;
			p = put_parts(p, k, '=', json_string_value(v));
		}
	}
}

/* A new entry for obj, or NULL for an object without a name: a reference
 * to obj, or in a compact cache a reference to blob (obj's text, may be
 * NULL) or else obj's text. */
static entry *entry_new(json_t *obj, bool compact, cz_blob *blob)
{
	const char *name = meta_string(obj, "name");
	const char *ns = meta_string(obj, "namespace");
	const char *rv = meta_string(obj, "resourceVersion");
	json_t *labels = json_object_get(json_object_get(obj, "metadata"),
					 "labels");
	entry *e;

	if (!name)
		return NULL;
	e = cz_xcalloc(1, sizeof(*e) + json_object_size(labels) *
					      sizeof(e->labels[0]));
	pack_strings(e, ns ? ns : "", name, rv ? rv : "", labels);
	if (compact && blob) {
		e->blob = cz_blob_ref(blob);
	} else if (compact) {
		/* No JSON_SORT_KEYS: a parse gives back the same tree. */
		e->text = json_dumps(obj, JSON_COMPACT);
		e->len = e->text ? strlen(e->text) : 0;
	} else {
		e->obj = json_incref(obj);
	}
	return e;
}

/* Frees e and its object reference. */
static void entry_free(entry *e)
{
	if (!e)
		return;
	json_decref(e->obj);
	cz_blob_unref(e->blob);
	free(e->text);
	free(e->key);
	free(e);
}

static void entry_free_value(void *value)
{
	entry_free(value);
}

static void fill_type(const cz_informer *inf, json_t *obj);

/* A shared text parsed as callers get it: through view, else through
 * the informer's own (the object without managedFields).  NULL when it
 * does not parse (it cannot: the store wrote it).  Needs no lock. */
static json_t *blob_object(const cz_informer *inf, const cz_blob *b,
			   const cz_projection *view)
{
	json_t *obj = NULL;

	cz_json_project(b->data, b->len, view ? view : inf->view, &obj, NULL);
	if (obj)
		fill_type(inf, obj);
	return obj;
}

/* The entry's object as callers get it: a new reference, or NULL when a
 * compact cache's text does not parse.  A shared blob is the object as
 * stored, so it gets here what the cache does to the objects it keeps
 * itself. */
static json_t *entry_object(const cz_informer *inf, const entry *e)
{
	if (e->text)
		return json_loadb(e->text, e->len, 0, NULL);
	if (!e->blob)
		return json_incref(e->obj);
	return blob_object(inf, e->blob, NULL);
}

/* The object an entry that leaves the cache hands to its handlers (a
 * reference the caller owns): a compact cache parses only when someone
 * is listening. */
static json_t *entry_take_object(const cz_informer *inf, entry *e)
{
	json_t *obj = e->obj;

	e->obj = NULL;
	if (!obj && inf->nhandlers)
		obj = entry_object(inf, e);
	return obj;
}

static void set_free_value(void *value)
{
	hmap_release(value, NULL);
	free(value);
}

/* ---- the indexes (callers hold mu) ------------------------------------ */

static void index_add(hmap *index, const char *k, entry *e)
{
	hmap *set = hmap_get(index, k);

	if (!set) {
		set = cz_xcalloc(1, sizeof(*set));
		set->borrows_keys = true;
		hmap_put(index, k, set);
	}
	hmap_put(set, e->key, e);
}

static void index_del(hmap *index, const char *k, entry *e)
{
	hmap *set = hmap_get(index, k);

	if (!set)
		return;
	hmap_del(set, e->key);
	if (!set->len) {
		hmap_del(index, k);
		set_free_value(set);
	}
}

static void cache_insert(cz_informer *inf, entry *e)
{
	if (e->blob)
		inf->stats.shared++;
	hmap_put(&inf->by_key, e->key, e);
	index_add(&inf->by_ns, e->ns, e);
	for (size_t i = 0; i < e->nlabels; i++)
		index_add(&inf->by_label, e->labels[i], e);
}

/* Unlinks the entry of key from every index and returns it (or NULL). */
static entry *cache_remove(cz_informer *inf, const char *key)
{
	entry *e = hmap_del(&inf->by_key, key);

	if (!e)
		return NULL;
	if (e->blob)
		inf->stats.shared--;
	index_del(&inf->by_ns, e->ns, e);
	for (size_t i = 0; i < e->nlabels; i++)
		index_del(&inf->by_label, e->labels[i], e);
	return e;
}

/* ---- changes to report ------------------------------------------------ */

/* One add, update or delete, holding a reference to each object, reported
 * to the handlers once the cache lock is released. */
typedef struct change {
	json_t *old_obj;
	json_t *new_obj;
} change;

typedef struct changes {
	change *items;
	size_t len, cap;
} changes;

static void changes_push(changes *c, json_t *old_obj, json_t *new_obj)
{
	CZ_GROW(c->items, c->len + 1, c->cap);
	c->items[c->len++] = (change){ old_obj, new_obj };
}

static void changes_release(changes *c)
{
	for (size_t i = 0; i < c->len; i++) {
		json_decref(c->items[i].old_obj);
		json_decref(c->items[i].new_obj);
	}
	free(c->items);
	*c = (changes){ NULL, 0, 0 };
}

static void notify(const cz_informer *inf, const changes *c)
{
	for (size_t i = 0; i < c->len; i++)
		for (size_t h = 0; h < inf->nhandlers; h++)
			inf->handlers[h].fn(inf->handlers[h].ctx,
					    c->items[i].old_obj,
					    c->items[i].new_obj);
}

/* Stores obj (whose text is blob, when not NULL) unless the cache has the
 * same resourceVersion already. */
static void apply_upsert(cz_informer *inf, json_t *obj, cz_blob *blob,
			 changes *c)
{
	entry *e;
	entry *old;

	if (!inf->keep_managed_fields)
		json_object_del(json_object_get(obj, "metadata"),
				"managedFields");
	e = entry_new(obj, inf->compact, blob);
	if (!e)
		return;
	old = hmap_get(&inf->by_key, e->key);
	if (old && same_version(old, obj)) {
		entry_free(e);
		return;
	}
	old = cache_remove(inf, e->key);
	cache_insert(inf, e);
	changes_push(c, old ? entry_take_object(inf, old) : NULL,
		     json_incref(obj));
	entry_free(old);
	inf->stats.events++;
}

/* Drops key; last (may be NULL: the cached object) is what handlers get
 * as the old object, the object's final state. */
static void apply_delete(cz_informer *inf, const char *key, json_t *last,
			 changes *c)
{
	entry *old = cache_remove(inf, key);

	if (!old)
		return;
	changes_push(c, last ? json_incref(last) : entry_take_object(inf, old),
		     NULL);
	entry_free(old);
	inf->stats.events++;
}

/* ---- listing ---------------------------------------------------------- */

/* The path of the informer's collection with query (may be NULL) and the
 * selectors. */
static char *collection_path(const cz_informer *inf, const char *query)
{
	cz_buf q;
	char *path, *esc;

	cz_buf_init(&q, CZ_BUF_UNLIMITED);
	if (query)
		cz_buf_puts(&q, query);
	if (inf->label_selector) {
		esc = cz_kube_escape(inf->label_selector);
		cz_buf_printf(&q, "%slabelSelector=%s", q.len ? "&" : "", esc);
		free(esc);
	}
	if (inf->field_selector) {
		esc = cz_kube_escape(inf->field_selector);
		cz_buf_printf(&q, "%sfieldSelector=%s", q.len ? "&" : "", esc);
		free(esc);
	}
	path = cz_kube_path(inf->res, inf->ns, NULL, NULL, q.data);
	cz_buf_release(&q);
	return path;
}

/* Items of a list carry no kind or apiVersion, watch events' objects do;
 * the cache holds them alike. */
static void fill_type(const cz_informer *inf, json_t *obj)
{
	if (!json_object_get(obj, "apiVersion"))
		json_object_set_new(obj, "apiVersion",
				    json_string(inf->res->group_version));
	if (!json_object_get(obj, "kind"))
		json_object_set_new(obj, "kind", json_string(inf->res->kind));
}

/* Adds the items of one page to items (key → object reference) and
 * returns the page's continue token (malloc'ed, NULL at the end). */
static char *take_page(const cz_informer *inf, json_t *page, hmap *items,
		       char **rv)
{
	json_t *list = json_object_get(page, "items");
	const char *cont = meta_string(page, "continue");
	const char *page_rv = meta_string(page, "resourceVersion");
	size_t i;
	json_t *obj;

	json_array_foreach(list, i, obj) {
		char *key = cz_object_cache_key(obj);

		if (!key || !json_is_object(obj)) {
			free(key);
			continue;
		}
		fill_type(inf, obj);
		json_decref(hmap_put(items, key, json_incref(obj)));
		free(key);
	}
	if (page_rv) {
		free(*rv);
		*rv = cz_xstrdup(page_rv);
	}
	return cont && *cont ? cz_xstrdup(cont) : NULL;
}

static void decref_value(void *value)
{
	json_decref(value);
}

/* One complete paged list into items; CZ_EGONE when a continue token
 * expired half-way. */
static int list_pages(cz_informer *inf, hmap *items, char **rv,
		      cz_error *err)
{
	char *cont = NULL, *path = NULL, *query = NULL, *esc = NULL;
	json_t *page = NULL;
	int rc = CZ_OK;

	do {
		esc = cont ? cz_kube_escape(cont) : NULL;
		query = cz_xasprintf("limit=%u%s%s", inf->page_size,
				     esc ? "&continue=" : "", esc ? esc : "");
		path = collection_path(inf, query);
		free(cont);
		cont = NULL;
		if ((rc = cz_kube_get(inf->kube, path, &page, err)) < 0)
			goto cleanup;
		cont = take_page(inf, page, items, rv);
		json_decref(page);
		page = NULL;
		free(esc);
		free(query);
		free(path);
		esc = query = path = NULL;
	} while (cont && !inf->stop);
cleanup:
	free(cont);
	free(esc);
	free(query);
	free(path);
	return rc;
}

typedef struct stale_ctx {
	const hmap *items;
	char **keys;
	size_t len, cap;
} stale_ctx;

static void collect_stale(void *ctx, void *value)
{
	stale_ctx *s = ctx;
	entry *e = value;

	if (!hmap_get(s->items, e->key)) {
		CZ_GROW(s->keys, s->len + 1, s->cap);
		s->keys[s->len++] = cz_xstrdup(e->key);
	}
}

typedef struct upsert_ctx {
	cz_informer *inf;
	changes *c;
} upsert_ctx;

static void upsert_value(void *ctx, void *value)
{
	upsert_ctx *u = ctx;

	apply_upsert(u->inf, value, NULL, u->c);
}

/* Makes the cache equal to items (callers hold mu), recording adds,
 * updates and deletes as changes. */
static void replace_all(cz_informer *inf, const hmap *items, changes *c)
{
	stale_ctx stale = { items, NULL, 0, 0 };
	upsert_ctx up = { inf, c };

	hmap_each(&inf->by_key, collect_stale, &stale);
	for (size_t i = 0; i < stale.len; i++) {
		apply_delete(inf, stale.keys[i], NULL, c);
		free(stale.keys[i]);
	}
	free(stale.keys);
	hmap_each(items, upsert_value, &up);
}

/* Lists everything again and reports the differences from the cache. */
static int relist(cz_informer *inf, cz_error *err)
{
	hmap items = { NULL, 0, 0, false };
	changes c = { NULL, 0, 0 };
	char *rv = NULL;
	int rc = CZ_EGONE;

	for (int i = 0; i < LIST_ATTEMPTS && rc == CZ_EGONE; i++) {
		hmap_release(&items, decref_value);
		rc = list_pages(inf, &items, &rv, err);
	}
	if (rc < 0 || inf->stop)
		goto cleanup;
	pthread_mutex_lock(&inf->mu);
	replace_all(inf, &items, &c);
	inf->synced = true;
	inf->stats.lists++;
	pthread_cond_broadcast(&inf->cond);
	pthread_mutex_unlock(&inf->mu);
	free(inf->last_rv);
	inf->last_rv = rv;
	rv = NULL;
	inf->need_list = false;
	notify(inf, &c);
cleanup:
	changes_release(&c);
	hmap_release(&items, decref_value);
	free(rv);
	return rc;
}

/* ---- watching --------------------------------------------------------- */

static void remember_rv(cz_informer *inf, const json_t *obj)
{
	const char *rv = meta_string(obj, "resourceVersion");

	if (rv && *rv) {
		free(inf->last_rv);
		inf->last_rv = cz_xstrdup(rv);
	}
}

/* An ERROR event: 410 means the history is gone and a relist is due. */
static int watch_error(const json_t *status)
{
	json_int_t code = json_integer_value(json_object_get(status, "code"));

	return code == 410 ? CZ_EGONE : CZ_ERR;
}

static int on_watch_event(void *ctx, const char *type, json_t *obj,
			  cz_blob *text)
{
	cz_informer *inf = ctx;
	changes c = { NULL, 0, 0 };
	char *key = NULL;

	if (!strcmp(type, "ERROR"))
		return watch_error(obj);
	if (strcmp(type, "BOOKMARK")) {
		fill_type(inf, obj);
		key = cz_object_cache_key(obj);
		pthread_mutex_lock(&inf->mu);
		if (!strcmp(type, "DELETED") && key)
			apply_delete(inf, key, obj, &c);
		else if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED"))
			apply_upsert(inf, obj, text, &c);
		pthread_mutex_unlock(&inf->mu);
	}
	remember_rv(inf, obj);
	notify(inf, &c);
	changes_release(&c);
	free(key);
	return CZ_OK;
}

static int watch_once(cz_informer *inf, cz_error *err)
{
	char *query = NULL, *path = NULL, *rv = NULL;
	int rc;

	rv = cz_kube_escape(inf->last_rv);
	query = cz_xasprintf("watch=1&resourceVersion=%s&allowWatchBookmarks="
			     "true&timeoutSeconds=%u",
			     rv, WATCH_TIMEOUT_MIN_SECONDS +
					 (unsigned)(rand() % WATCH_TIMEOUT_MIN_SECONDS));
	path = collection_path(inf, query);
	pthread_mutex_lock(&inf->mu);
	inf->stats.watches++;
	pthread_mutex_unlock(&inf->mu);
	rc = cz_kube_watch_projected(inf->kube, path, inf->view,
				     on_watch_event, inf, &inf->stop, err);
	free(rv);
	free(query);
	free(path);
	return rc;
}

/* Sleeps for the next backoff step, or less when asked to stop. */
static void backoff_sleep(cz_informer *inf, unsigned *ms)
{
	struct timespec ts;

	*ms = *ms ? *ms * 2 : BACKOFF_MIN_MS;
	if (*ms > BACKOFF_MAX_MS)
		*ms = BACKOFF_MAX_MS;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += *ms / 1000;
	ts.tv_nsec += (long)(*ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&inf->mu);
	while (!inf->stop &&
	       pthread_cond_timedwait(&inf->cond, &inf->mu, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&inf->mu);
}

/* The reflector: list, then watch from the last resourceVersion seen,
 * relisting on 410 Gone and backing off on failures. */
static void *run(void *arg)
{
	cz_informer *inf = arg;
	unsigned backoff = 0;

	while (!inf->stop) {
		cz_error err = CZ_ERROR_INIT;
		time_t started;
		int rc;

		if (inf->need_list) {
			if (relist(inf, &err) < 0)
				backoff_sleep(inf, &backoff);
			else
				backoff = 0;
			continue;
		}
		started = time(NULL);
		rc = watch_once(inf, &err);
		if (rc == CZ_EGONE) {
			inf->need_list = true;
			continue;
		}
		if (time(NULL) - started >= WATCH_HEALTHY_SECONDS)
			backoff = 0;
		if (rc < 0 || time(NULL) - started < WATCH_HEALTHY_SECONDS)
			backoff_sleep(inf, &backoff);
	}
	return NULL;
}

/* ---- the public face -------------------------------------------------- */

int cz_informer_new(cz_kube *kube, const cz_informer_opts *opts,
		    cz_informer **out, cz_error *err)
{
	cz_informer *inf = NULL;
	int rc;

	*out = NULL;
	if (!opts || !opts->resource)
		return cz_fail(err, CZ_EINVALID, "informer: no resource");
	inf = cz_xcalloc(1, sizeof(*inf));
	inf->by_key.borrows_keys = true;
	pthread_mutex_init(&inf->mu, NULL);
	pthread_cond_init(&inf->cond, NULL);
	inf->res = opts->resource;
	if (opts->namespace && *opts->namespace)
		inf->ns = cz_xstrdup(opts->namespace);
	if (opts->label_selector && *opts->label_selector)
		inf->label_selector = cz_xstrdup(opts->label_selector);
	if (opts->field_selector && *opts->field_selector)
		inf->field_selector = cz_xstrdup(opts->field_selector);
	inf->page_size = opts->page_size ? opts->page_size : DEFAULT_PAGE_SIZE;
	inf->resync_seconds = opts->resync_seconds;
	inf->keep_managed_fields = opts->keep_managed_fields;
	if (!inf->keep_managed_fields) {
		static const char *const no_fields[] = {
			"-metadata.managedFields"
		};

		inf->view = cz_projection_new(no_fields, 1);
	}
	inf->compact = opts->compact;
	inf->need_list = true;
	if ((rc = cz_kube_dup(kube, &inf->kube, err)) < 0) {
		cz_informer_free(inf);
		return rc;
	}
	*out = inf;
	return CZ_OK;
}

void cz_informer_free(cz_informer *inf)
{
	if (!inf)
		return;
	cz_informer_stop(inf);
	hmap_release(&inf->by_label, set_free_value);
	hmap_release(&inf->by_ns, set_free_value);
	hmap_release(&inf->by_key, entry_free_value);
	cz_kube_free(inf->kube);
	cz_projection_free(inf->view);
	free(inf->handlers);
	free(inf->ns);
	free(inf->label_selector);
	free(inf->field_selector);
	free(inf->last_rv);
	pthread_cond_destroy(&inf->cond);
	pthread_mutex_destroy(&inf->mu);
	free(inf);
}

void cz_informer_on_change(cz_informer *inf, cz_informer_fn fn, void *ctx)
{
	CZ_GROW(inf->handlers, inf->nhandlers + 1, inf->handlers_cap);
	inf->handlers[inf->nhandlers++] = (handler){ fn, ctx };
}

typedef struct resync_ctx {
	const cz_informer *inf;
	changes *c;
} resync_ctx;

static void collect_object(void *ctx, void *value)
{
	resync_ctx *u = ctx;
	entry *e = value;
	json_t *obj = entry_object(u->inf, e);

	if (obj)
		changes_push(u->c, json_incref(obj), obj);
}

void cz_informer_resync(cz_informer *inf)
{
	changes c = { NULL, 0, 0 };
	resync_ctx u = { inf, &c };

	pthread_mutex_lock(&inf->mu);
	hmap_each(&inf->by_key, collect_object, &u);
	inf->stats.resyncs++;
	pthread_mutex_unlock(&inf->mu);
	notify(inf, &c);
	changes_release(&c);
}

/* Waits out one resync period; false once stopping. */
static bool resync_wait(cz_informer *inf)
{
	struct timespec ts;
	bool stopping;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += inf->resync_seconds;
	pthread_mutex_lock(&inf->mu);
	while (!inf->stop &&
	       pthread_cond_timedwait(&inf->cond, &inf->mu, &ts) != ETIMEDOUT)
		;
	stopping = inf->stop;
	pthread_mutex_unlock(&inf->mu);
	return !stopping;
}

static void *resync_main(void *arg)
{
	cz_informer *inf = arg;

	while (resync_wait(inf))
		if (cz_informer_synced(inf))
			cz_informer_resync(inf);
	return NULL;
}

int cz_informer_start(cz_informer *inf, cz_error *err)
{
	if (inf->running)
		return cz_fail(err, CZ_EINVALID, "informer already running");
	inf->stop = 0;
	if (pthread_create(&inf->thread, NULL, run, inf))
		return cz_fail(err, CZ_ERR, "informer: cannot start a thread");
	inf->running = true;
	if (inf->resync_seconds &&
	    pthread_create(&inf->resync_thread, NULL, resync_main, inf) == 0)
		inf->resync_running = true;
	return CZ_OK;
}

void cz_informer_request_stop(cz_informer *inf)
{
	if (!inf || !inf->running)
		return;
	pthread_mutex_lock(&inf->mu);
	inf->stop = 1;
	pthread_cond_broadcast(&inf->cond);
	pthread_mutex_unlock(&inf->mu);
}

void cz_informer_stop(cz_informer *inf)
{
	if (!inf->running)
		return;
	cz_informer_request_stop(inf);
	pthread_join(inf->thread, NULL);
	if (inf->resync_running)
		pthread_join(inf->resync_thread, NULL);
	inf->running = false;
	inf->resync_running = false;
}

bool cz_informer_synced(cz_informer *inf)
{
	bool synced;

	pthread_mutex_lock(&inf->mu);
	synced = inf->synced;
	pthread_mutex_unlock(&inf->mu);
	return synced;
}

bool cz_informer_wait_synced(cz_informer *inf, volatile int *stop)
{
	bool synced;

	pthread_mutex_lock(&inf->mu);
	while (!inf->synced && !(stop && *stop)) {
		struct timespec ts;

		/* Wakes every 100 ms: *stop is raised without our lock. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&inf->cond, &inf->mu, &ts);
	}
	synced = inf->synced;
	pthread_mutex_unlock(&inf->mu);
	return synced;
}

json_t *cz_informer_get_view(cz_informer *inf, const char *ns,
			     const char *name, const cz_projection *view)
{
	char *key = ns && *ns ? cz_xasprintf("%s/%s", ns, name)
			      : cz_xstrdup(name);
	entry *e;
	cz_blob *shared = NULL;
	json_t *obj = NULL;

	pthread_mutex_lock(&inf->mu);
	e = hmap_get(&inf->by_key, key);
	/* A shared text is parsed after the lock: the other readers and the
	 * informer's thread need not wait for it. */
	if (e && e->blob)
		shared = cz_blob_ref(e->blob);
	else if (e)
		obj = entry_object(inf, e);
	pthread_mutex_unlock(&inf->mu);
	if (shared)
		obj = blob_object(inf, shared, view);
	cz_blob_unref(shared);
	free(key);
	return obj;
}

json_t *cz_informer_get(cz_informer *inf, const char *ns, const char *name)
{
	return cz_informer_get_view(inf, ns, name, NULL);
}

typedef struct pick_ctx {
	const char *ns; /* NULL: any */
	entry **items;
	size_t len, cap;
} pick_ctx;

static void pick(void *ctx, void *value)
{
	pick_ctx *p = ctx;
	entry *e = value;

	if (p->ns && strcmp(p->ns, e->ns))
		return;
	CZ_GROW(p->items, p->len + 1, p->cap);
	p->items[p->len++] = e;
}

static int by_ns_name(const void *a, const void *b)
{
	const entry *x = *(entry *const *)a, *y = *(entry *const *)b;
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->name, y->name);
}

/* The smallest set that holds every answer: the label's, the
 * namespace's, or everything. */
static const hmap *candidates(cz_informer *inf, const char *ns,
			      const char *label, bool *filter_ns)
{
	*filter_ns = false;
	if (label) {
		*filter_ns = ns != NULL;
		return hmap_get(&inf->by_label, label);
	}
	if (ns)
		return hmap_get(&inf->by_ns, ns);
	return &inf->by_key;
}

/* The cached entries in ns (NULL: all) with the label, sorted by
 * namespace then name, each made into a JSON value by make (NULL
 * results are skipped); a new array. */
static json_t *collect(cz_informer *inf, const char *ns,
		       const char *label_key, const char *label_value,
		       json_t *(*make)(const cz_informer *inf,
					const entry *e))
{
	char *label = label_key ? cz_xasprintf("%s=%s", label_key,
					       label_value ? label_value : "")
				: NULL;
	pick_ctx p = { NULL, NULL, 0, 0 };
	json_t *out = json_array();
	const hmap *set;
	bool filter_ns;

	pthread_mutex_lock(&inf->mu);
	set = candidates(inf, ns, label, &filter_ns);
	p.ns = filter_ns ? ns : NULL;
	if (set)
		hmap_each(set, pick, &p);
	if (p.len)
		qsort(p.items, p.len, sizeof(*p.items), by_ns_name);
	for (size_t i = 0; i < p.len; i++) {
		json_t *v = make(inf, p.items[i]);

		if (v)
			json_array_append_new(out, v);
	}
	pthread_mutex_unlock(&inf->mu);
	free(p.items);
	free(label);
	return out;
}

json_t *cz_informer_list(cz_informer *inf, const char *ns,
			 const char *label_key, const char *label_value)
{
	return collect(inf, ns, label_key, label_value, entry_object);
}

static json_t *entry_names(const cz_informer *inf, const entry *e)
{
	(void)inf;
	return json_pack("[s, s]", e->ns, e->name);
}

json_t *cz_informer_list_names(cz_informer *inf, const char *ns,
			       const char *label_key, const char *label_value)
{
	return collect(inf, ns, label_key, label_value, entry_names);
}

size_t cz_informer_count(cz_informer *inf)
{
	size_t n;

	pthread_mutex_lock(&inf->mu);
	n = inf->by_key.len;
	pthread_mutex_unlock(&inf->mu);
	return n;
}

void cz_informer_get_stats(cz_informer *inf, cz_informer_stats *out)
{
	pthread_mutex_lock(&inf->mu);
	*out = inf->stats;
	pthread_mutex_unlock(&inf->mu);
}

json_t *cz_informer_get_key(cz_informer *inf, const char *key)
{
	const char *slash = strchr(key, '/');
	char *ns = slash ? cz_xstrndup(key, (size_t)(slash - key)) : NULL;
	json_t *obj = cz_informer_get(inf, ns, slash ? slash + 1 : key);

	free(ns);
	return obj;
}
