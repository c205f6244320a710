/* Dependency graphs: order, cycles, closures, DOT. */

#include "helpers.h"

#include <stdlib.h>

#include "engine/dot.h"
#include "engine/graph.h"
#include "util/mem.h"

#define SRC(name, deps)                                                        \
	"---\napiVersion: cozystack.io/v1alpha1\nkind: PackageSource\n"       \
	"metadata: {name: " name "}\nspec: {variants: [{name: default, "      \
	"dependsOn: " deps "}]}\n"

static void test_toposort_ties_by_name(void **state)
{
	cz_catalog cat;
	cz_graph g;
	size_t order[8];

	(void)state;
	load_ok(&cat, SRC("c", "[a]") SRC("b", "[a]") SRC("a", "[]")
			      SRC("d", "[c, b]"));
	cz_graph_union(&g, &cat);
	assert_int_equal(g.n, 4);
	assert_int_equal(cz_graph_toposort(&g, order), 4);
	assert_string_equal(g.names[order[0]], "a");
	assert_string_equal(g.names[order[1]], "b");
	assert_string_equal(g.names[order[2]], "c");
	assert_string_equal(g.names[order[3]], "d");
	cz_graph_release(&g);
	cz_catalog_release(&cat);
}

static void test_cycles_named(void **state)
{
	cz_catalog cat;
	cz_graph g;
	cz_buf out;
	size_t order[8];

	(void)state;
	load_ok(&cat, SRC("a", "[b]") SRC("b", "[c]") SRC("c", "[a]")
			      SRC("d", "[d]") SRC("e", "[a]") SRC("f", "[]"));
	cz_graph_union(&g, &cat);
	cz_buf_init(&out, 4096);
	assert_int_equal(cz_graph_cycles(&g, &out), 2);
	assert_contains(out.data, "a -> b -> c -> a\n");
	assert_contains(out.data, "d -> d\n");
	/* only f can be ordered; the rest are on or behind a cycle */
	assert_int_equal(cz_graph_toposort(&g, order), 1);
	assert_string_equal(g.names[order[0]], "f");
	cz_buf_release(&out);
	cz_graph_release(&g);
	cz_catalog_release(&cat);
}

static void test_closures(void **state)
{
	cz_catalog cat;
	cz_graph g;
	bool reach[8] = { false };

	(void)state;
	load_ok(&cat, SRC("a", "[]") SRC("b", "[a]") SRC("c", "[b]")
			      SRC("d", "[]") SRC("e", "[missing]"));
	cz_graph_union(&g, &cat);
	assert_true(g.missing[cz_graph_find(&g, "missing")]);
	reach[cz_graph_find(&g, "a")] = true;
	cz_graph_closure(&g, reach, true);
	assert_true(reach[cz_graph_find(&g, "b")]);
	assert_true(reach[cz_graph_find(&g, "c")]);
	assert_false(reach[cz_graph_find(&g, "d")]);
	memset(reach, 0, sizeof(reach));
	reach[cz_graph_find(&g, "c")] = true;
	cz_graph_closure(&g, reach, false);
	assert_true(reach[cz_graph_find(&g, "a")]);
	assert_false(reach[cz_graph_find(&g, "e")]);
	cz_graph_release(&g);
	cz_catalog_release(&cat);
}

static void test_dot_styling(void **state)
{
	cz_catalog cat;
	cz_buf out;
	cz_dot_opts opts = { NULL, 0, false, false };

	(void)state;
	load_ok(&cat, "apiVersion: cozystack.io/v1alpha1\nkind: PackageSource\n"
		      "metadata: {name: x.engine}\nspec: {variants: ["
		      "{name: default, dependsOn: [x.net]}, "
		      "{name: oidc, dependsOn: [x.net, x.keycloak, x.gone]}]}\n"
		      SRC("x.net", "[]") SRC("x.keycloak", "[]"));
	cz_buf_init(&out, CZ_BUF_UNLIMITED);
	cz_dot_write(&cat, &opts, &out);
	assert_string_equal(
		out.data,
		"digraph  {\n"
		"\tnodesep=\"0.5\";rankdir=\"RL\";ranksep=\"1.0\";\n"
		"\tn1[fillcolor=\"lightblue\",label=\"x.engine\",shape=\"box\",style=\"rounded,filled\"];\n"
		"\tn2[fillcolor=\"lightcoral\",label=\"x.gone\",shape=\"box\",style=\"rounded,filled,dashed\"];\n"
		"\tn3[fillcolor=\"lightblue\",label=\"x.keycloak\",shape=\"box\",style=\"rounded,filled\"];\n"
		"\tn4[fillcolor=\"lightblue\",label=\"x.net\",shape=\"box\",style=\"rounded,filled\"];\n"
		"\tn1->n4[color=\"black\"];\n"
		"\tn1->n3[color=\"black\",label=\"oidc\"];\n"
		"\tn1->n2[color=\"red\",style=\"dashed\"];\n"
		"\t\n"
		"}\n");
	cz_buf_release(&out);
	cz_catalog_release(&cat);
}

static void test_dot_components(void **state)
{
	cz_catalog cat;
	cz_buf out;
	cz_dot_opts opts = { NULL, 0, false, true };

	(void)state;
	load_ok(&cat, "apiVersion: cozystack.io/v1alpha1\nkind: PackageSource\n"
		      "metadata: {name: x.cm}\nspec: {variants: [{name: default, "
		      "components: [{name: crds, path: p, install: {namespace: ns1}},"
		      " {name: cm, path: p, install: {namespace: ns1, dependsOn: [crds]}}]}]}\n");
	cz_buf_init(&out, CZ_BUF_UNLIMITED);
	cz_dot_write(&cat, &opts, &out);
	assert_contains(out.data, "n1[fillcolor=\"lightblue\",label=\"x.cm\"");
	assert_contains(out.data, "n2[fillcolor=\"lightyellow\",label=\"cm\"");
	assert_contains(out.data, "n3[fillcolor=\"lightyellow\",label=\"crds\"");
	/* cm points at crds; crds (no deps) points at its package */
	assert_contains(out.data, "\tn2->n3[color=\"green\"];\n");
	assert_contains(out.data, "\tn3->n1[color=\"green\"];\n");
	assert_null(strstr(out.data, "n2->n1"));
	cz_buf_release(&out);
	cz_catalog_release(&cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_toposort_ties_by_name),
		cmocka_unit_test(test_cycles_named),
		cmocka_unit_test(test_closures),
		cmocka_unit_test(test_dot_styling),
		cmocka_unit_test(test_dot_components),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests_name("graph", tests, NULL, NULL);
}
