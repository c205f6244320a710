#include "api/jsontree.h"

#include <stdint.h>
#include <string.h>

cz_list_type cz_list_type_of(const cz_merge_key *keys, const char *path,
			     const char **key)
{
	*key = NULL;
	for (size_t i = 0; keys && keys[i].path; i++) {
		if (strcmp(keys[i].path, path) == 0) {
			*key = keys[i].key;
			return CZ_LIST_MAP;
		}
	}
	if (strcmp(path, "metadata.finalizers") == 0)
		return CZ_LIST_SET;
	return CZ_LIST_ATOMIC;
}

static bool numbers_same(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	return json_number_value(a) == json_number_value(b);
}

static bool objects_same(const json_t *a, const json_t *b)
{
	const char *key;
	json_t *va;

	if (json_object_size(a) != json_object_size(b))
		return false;
	/* json_object_foreach takes a non-const object; nothing is changed. */
	json_object_foreach ((json_t *)(uintptr_t)a, key, va) {
		const json_t *vb = json_object_get(b, key);

		if (!vb || !cz_json_same(va, vb))
			return false;
	}
	return true;
}

bool cz_json_same(const json_t *a, const json_t *b)
{
	if (a == b)
		return true;
	if (!a || !b)
		return false;
	if (json_is_number(a) && json_is_number(b))
		return numbers_same(a, b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_object(a))
		return objects_same(a, b);
	if (json_is_array(a)) {
		size_t n = json_array_size(a);

		if (n != json_array_size(b))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!cz_json_same(json_array_get(a, i),
					  json_array_get(b, i)))
				return false;
		return true;
	}
	return json_equal(a, b);
}

size_t cz_json_depth(const json_t *v, size_t limit)
{
	size_t deepest = 0;

	if (limit == 0)
		return 1;
	if (json_is_object(v)) {
		const char *key;
		json_t *child;

		json_object_foreach ((json_t *)(uintptr_t)v, key, child) {
			size_t d = cz_json_depth(child, limit - 1);

			if (d > deepest)
				deepest = d;
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			size_t d = cz_json_depth(json_array_get(v, i),
						 limit - 1);

			if (d > deepest)
				deepest = d;
		}
	}
	return deepest + 1;
}

static void count_into(const json_t *v, size_t limit, size_t *n)
{
	if (*n >= limit)
		return;
	(*n)++;
	if (json_is_object(v)) {
		const char *key;
		json_t *child;

		json_object_foreach ((json_t *)(uintptr_t)v, key, child)
			count_into(child, limit, n);
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			count_into(json_array_get(v, i), limit, n);
	}
}

size_t cz_json_count(const json_t *v, size_t limit)
{
	size_t n = 0;

	count_into(v, limit, &n);
	return n;
}

void cz_dpath_init(cz_dpath *p)
{
	p->s[0] = '\0';
	p->len = 0;
	p->over = 0;
}

size_t cz_dpath_push(cz_dpath *p, const char *name)
{
	size_t before = p->len;
	size_t n = strlen(name);
	size_t dot = before ? 1 : 0;

	if (p->over || before + dot + n >= sizeof(p->s)) {
		p->over++;
		return before;
	}
	if (dot)
		p->s[p->len++] = '.';
	memcpy(p->s + p->len, name, n + 1);
	p->len += n;
	return before;
}

void cz_dpath_pop(cz_dpath *p, size_t len)
{
	if (p->over) {
		p->over--;
		return;
	}
	p->len = len;
	p->s[len] = '\0';
}

const char *cz_dpath_str(const cz_dpath *p)
{
	return p->over ? "" : p->s;
}
