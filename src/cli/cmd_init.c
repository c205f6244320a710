/* cozypkg init: scaffold a package repository that validates, pushes,
 * taps and installs as it is. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "model/names.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"

enum { OPT_APP = CLI_LONG_ONLY + 1, OPT_NAME };

static const cli_opt opts[] = {
	{ OPT_APP, "app", "LABEL",
	  "the application's name, an RFC 1123 label (default myapp)" },
	{ OPT_NAME, "name", "NAME",
	  "the PackageSource's name (default example.LABEL)" },
	{ 0, NULL, NULL, NULL },
};

typedef struct init_args {
	const char *app;
	const char *name;
} init_args;

static int on_opt(void *ctx, int id, const char *arg)
{
	init_args *a = ctx;

	if (id == OPT_APP)
		a->app = arg;
	else if (id == OPT_NAME)
		a->name = arg;
	else
		return CLI_EXIT_USAGE;
	return CLI_EXIT_OK;
}

/* Each file of the scaffold: its path under DIR and its text, where
 * @APP@ and @NAME@ stand for the two names. */
static const struct scaffold_file {
	const char *path;
	const char *text;
} files[] = {
	{ "packages/core/platform/sources/@APP@.yaml",
	  "apiVersion: cozystack.io/v1alpha1\n"
	  "kind: PackageSource\n"
	  "metadata:\n"
	  "  name: @NAME@\n"
	  "spec:\n"
	  "  # `cozypkg tap` points this at the OCIRepository it creates.\n"
	  "  sourceRef:\n"
	  "    kind: OCIRepository\n"
	  "    name: @APP@-packages\n"
	  "    namespace: cozy-system\n"
	  "    path: /\n"
	  "  variants:\n"
	  "  - name: default\n"
	  "    components:\n"
	  "    # Built as an artifact only: tenants deploy it through the\n"
	  "    # application definition below.\n"
	  "    - name: @APP@\n"
	  "      path: apps/@APP@\n"
	  "    - name: @APP@-rd\n"
	  "      path: system/@APP@-rd\n"
	  "      install:\n"
	  "        namespace: cozy-system\n"
	  "        releaseName: @APP@-rd\n" },
	{ "packages/apps/@APP@/Chart.yaml",
	  "apiVersion: v2\n"
	  "name: @APP@\n"
	  "description: The @APP@ application\n"
	  "type: application\n"
	  "version: 0.1.0\n"
	  "appVersion: \"1.0.0\"\n" },
	{ "packages/apps/@APP@/values.yaml",
	  "## @param replicas Number of replicas\n"
	  "replicas: 1\n"
	  "## @param image Container image\n"
	  "image: nginx:1.27\n" },
	{ "packages/apps/@APP@/values.schema.json",
	  "{\n"
	  "  \"$schema\": \"http://json-schema.org/draft-07/schema#\",\n"
	  "  \"type\": \"object\",\n"
	  "  \"properties\": {\n"
	  "    \"replicas\": {\"type\": \"integer\", \"minimum\": 0},\n"
	  "    \"image\": {\"type\": \"string\", \"minLength\": 1}\n"
	  "  }\n"
	  "}\n" },
	{ "packages/apps/@APP@/templates/deployment.yaml",
	  "apiVersion: apps/v1\n"
	  "kind: Deployment\n"
	  "metadata:\n"
	  "  name: {{ .Release.Name }}\n"
	  "spec:\n"
	  "  replicas: {{ .Values.replicas }}\n"
	  "  selector:\n"
	  "    matchLabels: {app: {{ .Release.Name }}}\n"
	  "  template:\n"
	  "    metadata:\n"
	  "      labels: {app: {{ .Release.Name }}}\n"
	  "    spec:\n"
	  "      containers:\n"
	  "      - name: @APP@\n"
	  "        image: {{ .Values.image }}\n" },
	{ "packages/system/@APP@-rd/Chart.yaml",
	  "apiVersion: v2\n"
	  "name: @APP@-rd\n"
	  "description: Registers the @APP@ application with the platform\n"
	  "type: application\n"
	  "version: 0.1.0\n" },
	{ "packages/system/@APP@-rd/values.yaml", "{}\n" },
	{ "packages/system/@APP@-rd/templates/cozyrd.yaml",
	  "{{ .Files.Get \"cozyrds/@APP@.yaml\" }}\n" },
	{ "packages/system/@APP@-rd/cozyrds/@APP@.yaml",
	  "apiVersion: cozystack.io/v1alpha1\n"
	  "kind: ApplicationDefinition\n"
	  "metadata:\n"
	  "  name: @APP@\n"
	  "spec:\n"
	  "  application:\n"
	  "    kind: @APP@\n"
	  "    plural: @APP@s\n"
	  "    singular: @APP@\n"
	  "  release:\n"
	  "    prefix: @APP@-\n"
	  "    chart:\n"
	  "      name: @APP@\n"
	  "      sourceRef:\n"
	  "        kind: ExternalArtifact\n"
	  "        name: @APP@\n"
	  "        namespace: cozy-system\n" },
	{ "README.md",
	  "# @NAME@\n\n"
	  "A Cozystack package repository made by `cozypkg init`.\n\n"
	  "- `packages/core/platform/sources/@APP@.yaml`: the PackageSource\n"
	  "- `packages/apps/@APP@/`: the application chart\n"
	  "- `packages/system/@APP@-rd/`: its registration chart\n\n"
	  "Check, publish, sign and install:\n\n"
	  "```sh\n"
	  "cozypkg validate .\n"
	  "cozypkg push oci://REGISTRY/ORG/@APP@:v0.1.0 --source URL "
	  "--revision REV\n"
	  "cozypkg keygen && cozypkg sign --key cosign.key "
	  "oci://REGISTRY/ORG/@APP@:v0.1.0\n"
	  "cozypkg tap oci://REGISTRY/ORG/@APP@:v0.1.0 --verify-key "
	  "cosign.pub\n"
	  "cozypkg add @NAME@\n"
	  "```\n" },
};

/* text with @APP@ and @NAME@ replaced; malloc'ed. */
static char *expand(const char *text, const init_args *a)
{
	cz_buf b;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	while (*text) {
		if (strncmp(text, "@APP@", 5) == 0) {
			cz_buf_puts(&b, a->app);
			text += 5;
		} else if (strncmp(text, "@NAME@", 6) == 0) {
			cz_buf_puts(&b, a->name);
			text += 6;
		} else {
			cz_buf_putc(&b, *text++);
		}
	}
	return cz_buf_detach(&b, NULL);
}

/* mkdir -p of path's parent. */
static int make_parents(char *path, cz_error *err)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			int rc = cz_fail(err, CZ_EIO, "%s: %m", path);

			*p = '/';
			return rc;
		}
		*p = '/';
	}
	return CZ_OK;
}

static int write_scaffold(const char *dir, const init_args *a, cz_error *err)
{
	int rc = CZ_OK;

	for (size_t i = 0; rc == CZ_OK && i < sizeof(files) / sizeof(*files);
	     i++) {
		char *rel = expand(files[i].path, a);
		char *text = expand(files[i].text, a);
		char *path = cz_xasprintf("%s/%s", dir, rel);

		rc = make_parents(path, err);
		if (rc == CZ_OK)
			rc = cz_file_write_atomic(path, text, strlen(text),
						  0644, err);
		free(path);
		free(text);
		free(rel);
	}
	return rc;
}

static void collect(void *ctx, const char *msg)
{
	cz_buf *b = ctx;

	cz_buf_printf(b, "%s%s", b->len ? "; " : "", msg);
}

/* --app and --name as the API server and the marketplace will take them. */
static int check_names(const cli_command *cmd, const init_args *a)
{
	cz_buf why;
	int rc = CLI_EXIT_OK;

	cz_buf_init(&why, CZ_BUF_UNLIMITED);
	cz_name_label_msgs(a->app, collect, &why);
	if (why.len) {
		rc = cli_usage_error(cmd, "--app \"%s\": not an RFC 1123 label: "
				     "%s", a->app, why.data);
		goto cleanup;
	}
	cz_name_subdomain_msgs(a->name, collect, &why);
	if (why.len)
		rc = cli_usage_error(cmd, "--name \"%s\": not a Kubernetes "
				     "name: %s", a->name, why.data);
	else if (cz_name_reserved(a->name))
		rc = cli_usage_error(cmd, "--name \"%s\": the prefixes "
				     "cozystack. and community. are reserved; "
				     "use your organisation's", a->name);
cleanup:
	cz_buf_release(&why);
	return rc;
}

static int init(const char *dir, const init_args *a)
{
	char *packages = cz_xasprintf("%s/packages", dir);
	cz_error err = CZ_ERROR_INIT;
	struct stat st;
	int rc = CLI_EXIT_OK;

	if (lstat(packages, &st) == 0) {
		fprintf(stderr, "cozypkg: %s already exists: init never "
				"overwrites a repository\n", packages);
		rc = CLI_EXIT_FAILED;
	} else if ((mkdir(dir, 0755) != 0 && errno != EEXIST) ||
		   write_scaffold(dir, a, &err) < 0) {
		if (!err.msg[0])
			cz_fail(&err, CZ_EIO, "%s: %m", dir);
		rc = cli_fail(&err);
	} else {
		fprintf(stderr, "Created package repository %s in %s; next: "
				"cozypkg validate %s\n", a->name, dir, dir);
	}
	free(packages);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	init_args a = { "myapp", NULL };
	char *default_name = NULL;
	int first, rc;

	rc = cli_parse(cmd, argc, argv, on_opt, &a, &first);
	if (rc == CLI_EXIT_OK && first + 1 < argc)
		rc = cli_usage_error(cmd, "unexpected argument \"%s\"",
				     argv[first + 1]);
	if (rc == CLI_EXIT_OK && !a.name)
		a.name = default_name = cz_xasprintf("example.%s", a.app);
	if (rc == CLI_EXIT_OK)
		rc = check_names(cmd, &a);
	if (rc == CLI_EXIT_OK)
		rc = init(first < argc ? argv[first] : ".", &a);
	free(default_name);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_init = {
	.name = "init",
	.run = run,
	.summary = "Scaffold a package repository",
	.usage = "init [DIR] [--app LABEL] [--name NAME]",
	.description =
		"Writes a package repository into DIR (default .): a "
		"PackageSource with one default variant in "
		"packages/core/platform/sources/LABEL.yaml, the application "
		"chart in packages/apps/LABEL/ (with a values schema), its "
		"registration chart in packages/system/LABEL-rd/ (with the "
		"ApplicationDefinition in cozyrds/), and a README.  It passes "
		"`cozypkg validate` as it is, and installs with `cozypkg add` "
		"once pushed and tapped.  A DIR that already has packages/ is "
		"refused; nothing is overwritten.",
	.opts = opts,
	.examples = "  cozypkg init hello --app hello --name acme.hello\n",
};
