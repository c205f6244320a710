/*
 * oci_tool: the OCI client from the command line, for the end-to-end tests
 * and the benchmark.
 *
 *   oci_tool [FLAGS] ping HOST
 *   oci_tool [FLAGS] manifest REF            the exact bytes to stdout
 *   oci_tool [FLAGS] head REF                "DIGEST MEDIATYPE SIZE"
 *   oci_tool [FLAGS] pull REF DIR            manifest.json + blobs by hex
 *   oci_tool [FLAGS] push-blob FILE REF      "DIGEST existed|mounted|uploaded"
 *   oci_tool [FLAGS] push-manifest FILE REF  by REF's tag or digest
 *   oci_tool [FLAGS] push-chart TGZ REF      REF = host/namespace; the chart
 *                                            goes to namespace/NAME:VERSION
 *   oci_tool [FLAGS] push-dir DIR REF        push what `pull` (or skopeo's
 *                                            dir:) wrote
 *   oci_tool [FLAGS] tags REF                one tag a line
 *
 * FLAGS: --insecure --cacert FILE --docker-config FILE --user USER:PASS
 *   --chunk-size N --page-size N --attempts N --retry-base-ms N
 *   --retry-after-max-ms N --max-blob N --max-tags N --mount-from REPO
 *   --media-type TYPE --verbose --stats
 *
 * Exit status: 0, 1 with one line "oci_tool: message" on stderr, 2 usage.
 */

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "object/yaml.h"
#include "oci/client.h"
#include "oci/ref.h"
#include "util/fileio.h"
#include "util/mem.h"

#define MAX_FILE (64u * 1024 * 1024)
#define MAX_CHART_YAML (1024u * 1024)

typedef struct tool {
	cz_oci_opts opts;
	const char *docker_config_path;
	const char *mount_from;
	const char *media_type;
	char *user;
	bool stats;
	char *docker_config;
} tool;

static void usage(void)
{
	fputs("usage: oci_tool [FLAGS] ping HOST | manifest REF | head REF | "
	      "pull REF DIR |\n"
	      "       push-blob FILE REF | push-manifest FILE REF | push-chart "
	      "TGZ REF |\n"
	      "       push-dir DIR REF | tags REF\n",
	      stderr);
}

static bool number_arg(const char *s, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return s[0] && !*end && !errno;
}

/* Parses the flags; returns the index of the command or -1. */
static int parse_flags(tool *t, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i++) {
		const char *f = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long long n = 0;
		bool takes = true;

		if (!strcmp(f, "--insecure")) {
			t->opts.insecure = true;
			takes = false;
		} else if (!strcmp(f, "--verbose")) {
			t->opts.verbose = true;
			takes = false;
		} else if (!strcmp(f, "--stats")) {
			t->stats = true;
			takes = false;
		}
		if (!takes)
			continue;
		if (!v)
			return -1;
		if (!strcmp(f, "--cacert"))
			t->opts.ca_file = v;
		else if (!strcmp(f, "--docker-config"))
			t->docker_config_path = v;
		else if (!strcmp(f, "--user"))
			t->user = cz_xstrdup(v);
		else if (!strcmp(f, "--mount-from"))
			t->mount_from = v;
		else if (!strcmp(f, "--media-type"))
			t->media_type = v;
		else if (!number_arg(v, &n))
			return -1;
		else if (!strcmp(f, "--chunk-size"))
			t->opts.chunk_size = (size_t)n;
		else if (!strcmp(f, "--page-size"))
			t->opts.tags_page_size = (unsigned)n;
		else if (!strcmp(f, "--attempts"))
			t->opts.max_attempts = (unsigned)n;
		else if (!strcmp(f, "--retry-base-ms"))
			t->opts.retry_base_ms = (unsigned)n;
		else if (!strcmp(f, "--retry-after-max-ms"))
			t->opts.retry_after_max_ms = (unsigned)n;
		else if (!strcmp(f, "--max-blob"))
			t->opts.max_blob = n;
		else if (!strcmp(f, "--max-tags"))
			t->opts.max_tags = (size_t)n;
		else
			return -1;
		i++;
	}
	return i < argc ? i : -1;
}

static int open_client(tool *t, const char *host, cz_oci **out,
		       cz_error *err)
{
	char *colon;
	int rc;

	if (t->docker_config_path) {
		if ((rc = cz_file_read(t->docker_config_path, MAX_FILE,
				       &t->docker_config, NULL, err)) < 0)
			return rc;
		t->opts.docker_config = t->docker_config;
	}
	if (t->user) {
		colon = strchr(t->user, ':');
		if (!colon)
			return cz_fail(err, CZ_EINVALID,
				       "--user wants USER:PASSWORD");
		*colon = '\0';
		t->opts.username = t->user;
		t->opts.password = colon + 1;
	}
	return cz_oci_open(host, &t->opts, out, err);
}

/* ---- commands -------------------------------------------------------- */

static int cmd_manifest(cz_oci *c, const cz_oci_ref *ref, cz_error *err)
{
	cz_oci_raw_manifest raw;
	int rc;

	if ((rc = cz_oci_manifest_get(c, ref->repo, cz_oci_ref_reference(ref),
				      &raw, err)) < 0)
		return rc;
	fwrite(raw.data, 1, raw.len, stdout);
	cz_oci_raw_manifest_release(&raw);
	return CZ_OK;
}

static int cmd_head(cz_oci *c, const cz_oci_ref *ref, cz_error *err)
{
	char *digest = NULL, *media_type = NULL;
	uint64_t size = 0;
	int rc;

	rc = cz_oci_manifest_head(c, ref->repo, cz_oci_ref_reference(ref),
				  &digest, &media_type, &size, err);
	if (rc == CZ_OK)
		printf("%s %s %llu\n", digest ? digest : "-",
		       media_type ? media_type : "-", (unsigned long long)size);
	free(digest);
	free(media_type);
	return rc;
}

static int cmd_pull(cz_oci *c, const cz_oci_ref *ref, const char *dir,
		    cz_error *err)
{
	char digest[CZ_OCI_DIGEST_BUF];
	int rc;

	if ((rc = cz_oci_pull(c, ref->repo, cz_oci_ref_reference(ref), dir,
			      digest, err)) == CZ_OK)
		printf("%s\n", digest);
	return rc;
}

static const char *how_name(cz_oci_push_how how)
{
	switch (how) {
	case CZ_OCI_PUSH_EXISTED: return "existed";
	case CZ_OCI_PUSH_MOUNTED: return "mounted";
	default: return "uploaded";
	}
}

static int cmd_push_blob(cz_oci *c, const tool *t, const char *file,
			 const cz_oci_ref *ref, cz_error *err)
{
	cz_oci_pushed p;
	int rc;

	if ((rc = cz_oci_blob_push_file(c, ref->repo, file, t->mount_from, &p,
					err)) == CZ_OK)
		printf("%s %s\n", p.digest, how_name(p.how));
	return rc;
}

static int cmd_push_manifest(cz_oci *c, const tool *t, const char *file,
			     const cz_oci_ref *ref, cz_error *err)
{
	char *data = NULL;
	size_t len = 0;
	char digest[CZ_OCI_DIGEST_BUF];
	json_t *doc = NULL;
	const char *media_type = t->media_type;
	int rc;

	if ((rc = cz_file_read(file, CZ_OCI_MANIFEST_MAX, &data, &len, err)) < 0)
		goto cleanup;
	if (!media_type) {
		doc = json_loadb(data, len, 0, NULL);
		media_type = json_string_value(json_object_get(doc, "mediaType"));
	}
	if (!media_type) {
		rc = cz_fail(err, CZ_EINVALID,
			     "%s has no mediaType; pass --media-type", file);
		goto cleanup;
	}
	if ((rc = cz_oci_manifest_put(c, ref->repo, cz_oci_ref_reference(ref),
				      media_type, data, len, digest, err)) == 0)
		printf("%s\n", digest);
cleanup:
	json_decref(doc);
	free(data);
	return rc;
}

/* Chart.yaml of a chart archive (the one at depth one), as JSON text. */
static int chart_config(const char *tgz, char **json_out, cz_error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *yaml = NULL;
	cz_doc *docs = NULL;
	size_t ndocs = 0;
	int rc = CZ_ENOTFOUND;

	*json_out = NULL;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, tgz, 64 * 1024) != ARCHIVE_OK) {
		rc = cz_fail(err, CZ_EINVALID, "%s: %s", tgz,
			     archive_error_string(a));
		goto cleanup;
	}
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		const char *slash = strchr(name, '/');
		int64_t size = archive_entry_size(e);
		la_ssize_t got;

		if (!slash || strcmp(slash + 1, "Chart.yaml"))
			continue;
		if (size < 0 || size > (int64_t)MAX_CHART_YAML) {
			rc = cz_fail(err, CZ_ETOOLARGE, "%s: Chart.yaml too large",
				     tgz);
			goto cleanup;
		}
		yaml = cz_xmalloc((size_t)size + 1);
		got = archive_read_data(a, yaml, (size_t)size);
		if (got != size) {
			rc = cz_fail(err, CZ_EINVALID, "%s: cannot read %s", tgz,
				     name);
			goto cleanup;
		}
		if ((rc = cz_parse_stream(yaml, (size_t)size, name, NULL, &docs,
					  &ndocs, NULL, err)) < 0)
			goto cleanup;
		if (ndocs < 1 || !json_is_object(docs[0].root)) {
			rc = cz_fail(err, CZ_EINVALID,
				     "%s: %s is not a mapping", tgz, name);
			goto cleanup;
		}
		*json_out = json_dumps(docs[0].root, JSON_COMPACT);
		rc = CZ_OK;
		goto cleanup;
	}
	rc = cz_fail(err, CZ_ENOTFOUND, "%s: no Chart.yaml", tgz);
cleanup:
	cz_docs_free(docs, ndocs);
	free(yaml);
	archive_read_free(a);
	return rc;
}

static int cmd_push_chart(cz_oci *c, const tool *t, const char *tgz,
			  const cz_oci_ref *ref, cz_error *err)
{
	cz_oci_chart chart = { 0 };
	char *config = NULL, *repo = NULL, *tag = NULL;
	json_t *doc = NULL;
	char digest[CZ_OCI_DIGEST_BUF];
	int rc;

	if ((rc = chart_config(tgz, &config, err)) < 0)
		goto cleanup;
	doc = json_loads(config, 0, NULL);
	chart.name = json_string_value(json_object_get(doc, "name"));
	chart.version = json_string_value(json_object_get(doc, "version"));
	if (!chart.name || !chart.version) {
		rc = cz_fail(err, CZ_EINVALID,
			     "%s: Chart.yaml has no name or version", tgz);
		goto cleanup;
	}
	chart.tgz_path = tgz;
	chart.config_json = config;
	chart.mount_from = t->mount_from;
	repo = cz_xasprintf("%s/%s", ref->repo, chart.name);
	if ((rc = cz_oci_push_chart(c, repo, &chart, digest, err)) < 0)
		goto cleanup;
	tag = cz_oci_tag_from_version(chart.version);
	printf("%s/%s:%s@%s\n", cz_oci_host(c), repo, tag, digest);
cleanup:
	json_decref(doc);
	free(config);
	free(repo);
	free(tag);
	return rc;
}

/* Pushes a directory in the layout `pull` writes: blobs, then manifest. */
static int cmd_push_dir(cz_oci *c, const tool *t, const char *dir,
			const cz_oci_ref *ref, cz_error *err)
{
	char *path = NULL, *data = NULL;
	size_t len = 0;
	cz_oci_manifest m = { 0 };
	cz_oci_pushed p;
	char digest[CZ_OCI_DIGEST_BUF];
	int rc;

	path = cz_xasprintf("%s/manifest.json", dir);
	if ((rc = cz_file_read(path, CZ_OCI_MANIFEST_MAX, &data, &len, err)) < 0 ||
	    (rc = cz_oci_manifest_parse(data, len, NULL, &m, err)) < 0)
		goto cleanup;
	if (m.is_index) {
		rc = cz_fail(err, CZ_EINVALID, "%s: an index", path);
		goto cleanup;
	}
	for (size_t i = 0; i <= m.n_layers; i++) {
		const cz_oci_descriptor *d = i ? &m.layers[i - 1] : &m.config;

		free(path);
		path = cz_xasprintf("%s/%s", dir, strchr(d->digest, ':') + 1);
		if ((rc = cz_oci_blob_push_file(c, ref->repo, path,
						t->mount_from, &p, err)) < 0)
			goto cleanup;
		if (strcmp(p.digest, d->digest)) {
			rc = cz_fail(err, CZ_EINVALID, "%s: digest is %s", path,
				     p.digest);
			goto cleanup;
		}
	}
	if ((rc = cz_oci_manifest_put(c, ref->repo, cz_oci_ref_reference(ref),
				      m.media_type, data, len, digest, err)) == 0)
		printf("%s\n", digest);
cleanup:
	cz_oci_manifest_release(&m);
	free(path);
	free(data);
	return rc;
}

static int cmd_tags(cz_oci *c, const cz_oci_ref *ref, cz_error *err)
{
	char **tags = NULL;
	size_t n = 0;
	int rc;

	if ((rc = cz_oci_tags_list(c, ref->repo, &tags, &n, err)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		printf("%s\n", tags[i]);
	cz_oci_tags_free(tags, n);
	return CZ_OK;
}

/* ---- main ------------------------------------------------------------ */

static int run(tool *t, int argc, char **argv, int at, cz_error *err)
{
	const char *cmd = argv[at];
	const char *a1 = at + 1 < argc ? argv[at + 1] : NULL;
	const char *a2 = at + 2 < argc ? argv[at + 2] : NULL;
	cz_oci_ref ref = CZ_OCI_REF_INIT;
	cz_oci *c = NULL;
	bool two = !strcmp(cmd, "pull") || !strncmp(cmd, "push-", 5);
	const char *ref_text = !strncmp(cmd, "push-", 5) ? a2 : a1;
	int rc;

	if (!a1 || (two && !a2)) {
		usage();
		return 2;
	}
	if (!strcmp(cmd, "ping")) {
		if ((rc = open_client(t, a1, &c, err)) == CZ_OK)
			rc = cz_oci_ping(c, err);
		goto cleanup;
	}
	if ((rc = cz_oci_ref_parse(ref_text, &ref, err)) < 0 ||
	    (rc = open_client(t, ref.host, &c, err)) < 0)
		goto cleanup;
	if (!strcmp(cmd, "manifest"))
		rc = cmd_manifest(c, &ref, err);
	else if (!strcmp(cmd, "head"))
		rc = cmd_head(c, &ref, err);
	else if (!strcmp(cmd, "pull"))
		rc = cmd_pull(c, &ref, a2, err);
	else if (!strcmp(cmd, "push-blob"))
		rc = cmd_push_blob(c, t, a1, &ref, err);
	else if (!strcmp(cmd, "push-manifest"))
		rc = cmd_push_manifest(c, t, a1, &ref, err);
	else if (!strcmp(cmd, "push-chart"))
		rc = cmd_push_chart(c, t, a1, &ref, err);
	else if (!strcmp(cmd, "push-dir"))
		rc = cmd_push_dir(c, t, a1, &ref, err);
	else if (!strcmp(cmd, "tags"))
		rc = cmd_tags(c, &ref, err);
	else {
		usage();
		rc = 2;
	}
cleanup:
	if (c && t->stats) {
		cz_oci_stats s;

		cz_oci_stats_get(c, &s);
		fprintf(stderr,
			"stats: requests=%u retries=%u token_fetches=%u "
			"redirects=%u\n",
			s.requests, s.retries, s.token_fetches, s.redirects);
	}
	cz_oci_free(c);
	cz_oci_ref_release(&ref);
	return rc;
}

int main(int argc, char **argv)
{
	tool t;
	cz_error err = CZ_ERROR_INIT;
	int at, rc;

	cz_json_use_project_allocator();
	memset(&t, 0, sizeof(t));
	at = parse_flags(&t, argc, argv);
	if (at < 0) {
		usage();
		return 2;
	}
	rc = run(&t, argc, argv, at, &err);
	if (t.user)
		memset(t.user, 0, strlen(t.user) + (t.opts.password
							   ? strlen(t.opts.password) + 1
							   : 0));
	free(t.user);
	free(t.docker_config);
	if (rc == 2)
		return 2;
	if (rc < 0) {
		fprintf(stderr, "oci_tool: %s\n", err.msg);
		return 1;
	}
	return 0;
}
