#ifndef CZ_CLI_CLI_H
#define CZ_CLI_CLI_H

/*
 * The cozypkg command line.  One file per command; the table in main.c
 * drives dispatch, --help, completion and the man page.
 *
 * Adding a command: write cmd_<name>.c with a cli_command definition,
 * declare it below, add it to the table in main.c, add e2e tests under
 * tests/e2e/ and a section in docs/.
 */

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "api/resource.h"
#include "engine/engine.h"
#include "kube/client.h"
#include "market/index.h"
#include "model/catalog.h"
#include "oci/client.h"
#include "oci/ref.h"
#include "revision/revid.h"
#include "market/validate.h"
#include "object/meta.h"
#include "util/buf.h"
#include "util/diags.h"
#include "util/duration.h"
#include "util/strmap.h"

enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILED = 1,    /* the operation failed */
	CLI_EXIT_USAGE = 2,     /* bad arguments or invalid input */
	CLI_EXIT_CANCELLED = 3, /* the user said no */
};

/* Options with an id over this have no short form. */
#define CLI_LONG_ONLY 256

typedef struct cli_opt {
	int id;                /* short option letter, or CLI_LONG_ONLY + n */
	const char *long_name;
	const char *arg;       /* argument placeholder; NULL for a flag */
	const char *help;
} cli_opt;

typedef struct cli_command {
	const char *name;
	int (*run)(const struct cli_command *cmd, int argc, char **argv);
	const char *summary;
	const char *usage;     /* after "cozypkg " */
	const char *description;
	const cli_opt *opts;   /* ends with a zero id */
	const char *examples;
	bool hidden;           /* left out of the overview and completion */
} cli_command;

extern const cli_command cmd_add;
extern const cli_command cmd_list;
extern const cli_command cmd_del;
extern const cli_command cmd_dot;
extern const cli_command cmd_status;
extern const cli_command cmd_render;
extern const cli_command cmd_version;
extern const cli_command cmd_completion;
extern const cli_command cmd_man;
extern const cli_command cmd_index;
extern const cli_command cmd_search;
extern const cli_command cmd_init;
extern const cli_command cmd_validate;
extern const cli_command cmd_push;
extern const cli_command cmd_tap;
extern const cli_command cmd_untap;
extern const cli_command cmd_history;
extern const cli_command cmd_upgrade;
extern const cli_command cmd_rollback;
extern const cli_command cmd_unpin;
extern const cli_command cmd_repo;
extern const cli_command cmd_rpkg;
extern const cli_command cmd_suspend;
extern const cli_command cmd_resume;
extern const cli_command cmd_keygen;
extern const cli_command cmd_sign;
extern const cli_command cmd_verify;
extern const cli_command cmd_dashboard;

/* The table, for help and completion. */
const cli_command *const *cli_commands(void);

/*
 * Option parsing over a command's table.  Call cli_next() until it returns
 * -1; *arg receives the option's argument.  It returns '?' after printing
 * a usage error, and 'h' for --help.
 */
typedef struct cli_parser {
	const cli_command *cmd;
	int argc;
	char **argv;
	void *longopts;
	char shortopts[128];
} cli_parser;

void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc,
		     char **argv);
int cli_next(cli_parser *p, const char **arg);
/* Index of the first positional argument once cli_next() returned -1. */
int cli_optind(const cli_parser *p);
void cli_parser_release(cli_parser *p);

/*
 * Parses argv over cmd's options, calling on_opt(ctx, id, arg) for each
 * (it returns CLI_EXIT_OK or a usage error it printed).  --help prints the
 * help and returns CLI_HELP_SHOWN; otherwise CLI_EXIT_OK or
 * CLI_EXIT_USAGE.  *first receives the index of the first positional
 * argument.
 */
#define CLI_HELP_SHOWN (-1)
typedef int (*cli_opt_fn)(void *ctx, int id, const char *arg);
int cli_parse(const cli_command *cmd, int argc, char **argv,
	      cli_opt_fn on_opt, void *ctx, int *first);
/* CLI_EXIT_OK when format is one of allowed (NULL-terminated), else a
 * usage error "-o: expected a, b or c, got ...". */
int cli_check_format(const cli_command *cmd, const char *format,
		     const char *const *allowed);

void cli_print_help(const cli_command *cmd, FILE *out);
/* Prints "cozypkg: <message>" and the hint to use --help; returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Loads every -f path into cat (finished, sorted) and prints diagnostics to
 * stderr.  Returns CLI_EXIT_OK, or CLI_EXIT_USAGE when any input is
 * invalid (errors printed, nothing loaded is to be used). */
int cli_load_files(const char *const *paths, size_t npaths, cz_catalog *cat);

/* Writes len bytes to stdout; CLI_EXIT_FAILED on a write error. */
int cli_write_stdout(const char *data, size_t len);

/* Parses the --helmrelease-* engine options; CLI_EXIT_USAGE on error. */
int cli_engine_option(const cli_command *cmd, int id, const char *arg,
		      cz_engine_opts *opts, bool *handled);
#define CLI_ENGINE_OPTIONS                                                     \
	{ CLI_LONG_ONLY + 100, "helmrelease-interval", "DURATION",             \
	  "HelmRelease spec.interval (default 5m)" },                          \
	{ CLI_LONG_ONLY + 101, "helmrelease-retry-interval", "DURATION",       \
	  "install/upgrade strategy retryInterval (default 30s)" },            \
	{ CLI_LONG_ONLY + 102, "helmrelease-install-timeout", "DURATION",      \
	  "spec.install.timeout (default 10m)" },                              \
	{ CLI_LONG_ONLY + 103, "helmrelease-upgrade-timeout", "DURATION",      \
	  "spec.upgrade.timeout (default 10m)" },                              \
	{ CLI_LONG_ONLY + 104, "helmrelease-max-history", "N",                 \
	  "spec.maxHistory, 0 for unlimited (default 5)" }

/* ---- talking to a cluster (cluster.c) ---------------------------------- */

#define CLI_OPT_KUBECONFIG (CLI_LONG_ONLY + 200)
#define CLI_OPT_CONTEXT (CLI_LONG_ONLY + 201)
#define CLI_OPT_REQUEST_TIMEOUT (CLI_LONG_ONLY + 202)
#define CLI_CLUSTER_OPTIONS                                                    \
	{ CLI_OPT_KUBECONFIG, "kubeconfig", "FILE",                            \
	  "kubeconfig file (default: $KUBECONFIG merged, then "                \
	  "~/.kube/config)" },                                                 \
	{ CLI_OPT_CONTEXT, "context", "NAME",                                  \
	  "kubeconfig context (default: current-context)" },                   \
	{ CLI_OPT_REQUEST_TIMEOUT, "request-timeout", "DURATION",              \
	  "give up on one API request after this long (default 60s)" }

typedef struct cli_conn {
	const char *kubeconfig; /* --kubeconfig, or NULL */
	const char *context;    /* --context, or NULL */
	const char *timeout;    /* --request-timeout, or NULL */
	cz_kube *kube;          /* after cli_connect() */
} cli_conn;

/* Takes --kubeconfig, --context and --request-timeout; false for others. */
bool cli_conn_option(cli_conn *c, int id, const char *arg);
/* Reads the kubeconfig as kubectl does and opens the client.  Nothing is
 * sent yet.  Prints the error and returns CLI_EXIT_USAGE when the
 * kubeconfig is unusable. */
int cli_connect(cli_conn *c);
void cli_conn_close(cli_conn *c);

const cz_resource *cli_res_sources(void);
const cz_resource *cli_res_packages(void);

/* GET one object (*out owned by the caller) or a whole list (*list owned,
 * with an "items" array).  keep (NULL-terminated, or NULL for everything)
 * names the members a list is projected to (object/project.h), so that a
 * command reads only what it uses of a large list.  Errors name the
 * server, as cz_kube_* do. */
int cli_get(cli_conn *c, const cz_resource *res, const char *name,
	    json_t **out, cz_error *err);
int cli_list(cli_conn *c, const cz_resource *res, const char *const *keep,
	     json_t **list, cz_error *err);
/* Puts the objects of a list's items into cat (not finished). */
void cli_catalog_add(cz_catalog *cat, const cz_resource *res, json_t *items);
/* Which lists to read, each projected to its paths (NULL: whole). */
typedef struct cli_fetch {
	bool sources;
	const char *const *source_paths;
	bool packages;
	const char *const *package_paths;
} cli_fetch;
/* Paths that keep what the package graph needs of PackageSources (names,
 * variants, dependsOn, components and their install), and what any
 * command needs of Packages (name, spec, status). */
extern const char *const cli_graph_source_paths[];
/* Only what the list table shows of a PackageSource. */
extern const char *const cli_list_source_paths[];
extern const char *const cli_package_paths[];
/* Lists PackageSources and/or Packages into cat and finishes it; the
 * lists are handed out when sources/packages are not NULL (caller
 * decrefs; NULL when not fetched).  Prints the error and returns
 * CLI_EXIT_FAILED on failure. */
int cli_fetch_catalog(cli_conn *c, const cli_fetch *what, cz_catalog *cat,
		      json_t **sources, json_t **packages);
/* Prints "cozypkg: <message>"; returns CLI_EXIT_FAILED. */
int cli_fail(const cz_error *err);

/* An ordered set of names: the packages a command was asked about. */
typedef struct cli_names {
	char **items; /* owned */
	size_t len;
	size_t cap;
	cz_strmap seen;
} cli_names;
void cli_names_init(cli_names *n);
void cli_names_add(cli_names *n, const char *name);
/* Adds the names of the Packages, then the PackageSources, of a catalog
 * loaded from -f files, each group in name order. */
void cli_names_from_catalog(cli_names *n, const cz_catalog *files);
void cli_names_release(cli_names *n);

/* What cli_del_packages() does besides its analysis. */
typedef struct cli_del_opts {
	bool yes;          /* no question asked */
	bool dry_run;      /* print the deletion order, delete nothing */
	bool analyse_only; /* print who would go and stop there */
	bool quiet;        /* say nothing about names not installed */
	const char *title; /* first line of the listing; NULL: the default */
} cli_del_opts;

/*
 * `cozypkg del` over conn: the installed Packages among names and every
 * installed Package that depends on them are listed, then (after a
 * confirmation unless o->yes) deleted, dependents first.  *ndoomed (may
 * be NULL) receives how many Packages that is.  Returns a CLI exit code
 * after printing any error.
 */
int cli_del_packages(cli_conn *conn, const cli_names *names,
		     const cli_del_opts *o, size_t *ndoomed);

/* Checks the values of every Package in files (loaded from -f) against
 * values.schema.json of the chart each component reaches under dir, the
 * local copy of the packages' source; the PackageSource comes from files
 * or the cluster.  Prints every violation with file, line and field path;
 * CLI_EXIT_USAGE when there is one. */
int cli_check_values(const cz_catalog *files, cli_conn *conn, const char *dir);
/* ---- the offline parts of `upgrade plan` (upgrade.c) -------------------- */

/* Every component artifact of the proposed PackageSources, assembled from
 * the tree at root into a store under scratch by the artifact
 * generator's code, against the cluster's ExternalArtifacts of the
 * current PackageSources ({name: true}): *out an array of {name, source,
 * variant, component, status (added, changed, unchanged, removed,
 * failed), from, to[, error]}. */
int cli_plan_artifacts(cli_conn *c, const char *root, const char *scratch,
		       const cz_catalog *proposed, const json_t *current,
		       json_t **out, cz_error *err);
/* The installed Packages (a JSON array) whose values would not validate
 * against the proposed charts: [{package, component, errors: [{path,
 * message}]}], a new reference. */
json_t *cli_plan_values(const char *root, const cz_catalog *proposed,
			const json_t *packages);
/* The migrations the first PackageSource of sources whose chart in root
 * has any would run on this cluster (cz_migrations_plan() and
 * "packageSource"), or *out NULL when none has. */
int cli_plan_migrations(cli_conn *c, const char *root, const json_t *sources,
			const json_t *packages, json_t **out, cz_error *err);

/* Validates values (may be NULL) merged over the defaults of component
 * comp of src, whose tree is at dir, against the chart's
 * values.schema.json: one line "PREFIX.path: message" per violation in
 * report, counted in *nerrors.  A chart without a schema passes. */
int cli_values_check(const cz_source *src, const cz_component *comp,
		     const json_t *values, const char *dir, const char *prefix,
		     cz_buf *report, size_t *nerrors);

/* Writes obj to stdout as "json" or "yaml". */
int cli_write_object(const json_t *obj, const char *format);

/* The Ready condition's status ("Unknown" without one); reason and
 * message (may be NULL) are borrowed from obj, NULL when absent. */
const char *cli_ready_status(const json_t *obj, const char **reason,
			     const char **message);

/* ---- waiting (wait.c) ---------------------------------------------------- */

#define CLI_DEFAULT_WAIT_NS (5 * 60 * 1000000000LL)
/* Polls the named Packages until every one is Ready, printing each as it
 * becomes Ready, or until timeout_ns, printing those that are not.
 * CLI_EXIT_OK or CLI_EXIT_FAILED. */
int cli_wait_ready(cli_conn *c, const cli_names *names, int64_t timeout_ns);

/* ---- history (history.c) ------------------------------------------------ */

/* The object a history argument names: PKG (a Package) or source/NAME,
 * source/NS/NAME (an OCIRepository, else a GitRepository; NS defaults to
 * cozy-system). */
typedef struct cli_owner {
	const char *kind;       /* "Package", "OCIRepository", ... */
	const cz_resource *res;
	char *path;             /* its API path; owned */
	json_t *obj;            /* as read; owned */
	char revisions_ns[254]; /* where its ControllerRevisions are */
} cli_owner;

/* Reads the object arg names into *o (release it whatever the result);
 * CZ_ENOTFOUND names what is missing. */
int cli_owner_find(cli_conn *c, const char *arg, cli_owner *o, cz_error *err);
void cli_owner_release(cli_owner *o);
/* Its ControllerRevisions, oldest first (*out: a new array). */
int cli_owner_revisions(cli_conn *c, const cli_owner *o, json_t **out,
			cz_error *err);
/* The revision numbered n in revisions, or NULL (borrowed). */
json_t *cli_revision_find(const json_t *revisions, json_int_t n);
/* An annotation of a revision, "" when absent (borrowed). */
const char *cli_revision_annotation(const json_t *rev, const char *key);
/* "  PATH: OLD -> NEW" for every leaf that differs. */
void cli_json_diff(cz_buf *out, const char *path, const json_t *from,
		   const json_t *to);
/* CLI_EXIT_OK when yes, or when the user says y or yes to question;
 * without a terminal --yes is required (CLI_EXIT_USAGE); a no is
 * CLI_EXIT_CANCELLED. */
int cli_confirm(bool yes, const char *question);
/* Suspends (on) or resumes a Package: its suspend annotation, which the
 * controller honours, and spec.suspend of each of its HelmReleases.
 * Prints the outcome; returns a CLI exit code. */
int cli_set_suspended(cli_conn *c, const char *pkg, bool on);

/* The run of a command whose options are the cluster's and whose one
 * argument (what, for the usage error) goes to fn with a connection. */
typedef int (*cli_one_fn)(cli_conn *c, const char *arg, void *ctx);
int cli_run_on_one(const cli_command *cmd, int argc, char **argv,
		   const char *what, cli_one_fn fn, void *ctx);

/* ---- package revisions (cmd_rpkg.c) ------------------------------------- */

/* A PackageRevision's name, TARGET.REPOSITORY.REALM.PACKAGE.WORKSPACE
 * with the realm's "/" written ":" (cz_revid_name() makes it), read back
 * into its identity. */
typedef struct cli_rpkg_id {
	char *buf;  /* owned; the parts of id point into it */
	cz_revid id; /* revision "" */
} cli_rpkg_id;
/* Splits name into id and checks the parts as the server does
 * (cz_revid_check); release id whatever the result.  CZ_EINVALID names
 * the name and what is wrong with it. */
int cli_rpkg_id_parse(const char *name, cli_rpkg_id *id, cz_error *err);
void cli_rpkg_id_release(cli_rpkg_id *id);
/* True when path may name a file of a package: relative, with no empty,
 * ".", ".." or ".git" segment and no control character. */
bool cli_rpkg_path_ok(const char *path);
/* Appends resources ({path: content}) to out as `rpkg pull` prints them:
 * in path order, each after a line "--- path: PATH"; a content line that
 * starts with that or a backslash gets a backslash in front, and content
 * without a final newline is followed by "\n\\ No newline at end of
 * file\n".  CZ_EINVALID for a bad path or a value that is not a string. */
int cli_rpkg_text_write(const json_t *resources, cz_buf *out, cz_error *err);
/* Reads that text back into *out, a new object (NULL on failure);
 * CZ_EINVALID names the line, a bad or repeated path, or content that is
 * not UTF-8 text. */
int cli_rpkg_text_read(const char *text, size_t len, json_t **out,
		       cz_error *err);

/* ---- the terminal (term.c) ---------------------------------------------- */

/* True when standard input is a terminal, so that prompts can be asked. */
bool cli_interactive(void);
/* Prints prompt on stderr and reads one line from stdin into a malloc'ed
 * string without its newline; NULL at end of input. */
char *cli_ask(const char *prompt);

/* A table written as Go's tabwriter does with padding 3: every cell but
 * the last of a row is padded to its column's width plus 3. */
typedef struct cli_table {
	size_t ncols;
	char **cells; /* row-major, owned */
	size_t nrows;
	size_t cap;
} cli_table;
void cli_table_init(cli_table *t, size_t ncols);
/* Adds one row of ncols cells (copied; NULL is an empty cell). */
void cli_table_row(cli_table *t, const char *const *cells);
void cli_table_write(const cli_table *t, cz_buf *out);
void cli_table_release(cli_table *t);
/* Writes t to standard output and releases it; cli_write_stdout's
 * result. */
int cli_table_print(cli_table *t);
/* s cut to keep characters plus "..." when longer than limit bytes, as
 * the reference list does; malloc'ed. */
char *cli_truncate(const char *s, size_t limit, size_t keep);

/* ---- registries (registry.c) -------------------------------------------- */

#define CLI_OPT_INSECURE (CLI_LONG_ONLY + 210)
#define CLI_REGISTRY_OPTIONS                                                   \
	{ CLI_OPT_INSECURE, "insecure", NULL,                                  \
	  "talk to the registry over plain HTTP (local registries)" }

/* An open registry client and the reference it was opened for. */
typedef struct cli_registry {
	cz_oci_ref ref; /* parsed from the argument; owned */
	cz_oci *oci;    /* owned */
} cli_registry;

/*
 * Parses text ("oci://host/repo[:tag][@digest]"; the oci:// prefix is
 * required) and opens a client for its host, with credentials from
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json as skopeo reads
 * them (a missing file is no credentials).  Nothing is sent yet.
 * CZ_EINVALID names the bad part of the reference.  Close with
 * cli_registry_close() whatever the result.
 */
int cli_registry_open(const char *text, bool insecure, cli_registry *r,
		      cz_error *err);
void cli_registry_close(cli_registry *r);

/* ---- the marketplace index (cmd_search.c) -------------------------------- */

#define CLI_OPT_INDEX (CLI_LONG_ONLY + 220)
#define CLI_INDEX_OPTION                                                       \
	{ CLI_OPT_INDEX, "index", "LOCATION",                                  \
	  "the index: a directory, a git URL or oci://REF (default: "          \
	  "$COZYPKG_INDEX, then index: in ~/.config/cozypkg/config.yaml, "     \
	  "then " CZ_MARKET_DEFAULT_INDEX ")" }

/*
 * Loads the index that flag (--index, may be NULL), $COZYPKG_INDEX, the
 * config file or the default names into idx (initialised by the caller;
 * cz_market_index_release() it), with the user's registry credentials for an
 * oci:// index.  Invalid entries are left out with one warning line; an
 * index that cannot be read is one error line naming the location and how
 * to choose another.  Returns CLI_EXIT_OK or CLI_EXIT_FAILED (printed).
 * For `cozypkg tap NAME` (cz_market_find) and `list --available`.
 */
int cli_index_load(const char *flag, bool insecure, cz_market_index *idx);

/* The spec.url of every tap's OCIRepository on the cluster, as keys of
 * urls whose values are borrowed from *list (owned by the caller, who
 * releases it after urls). */
int cli_tapped_urls(cz_kube *kube, cz_strmap *urls, json_t **list,
		    cz_error *err);

/* Validates the repository at dir (market/validate.h) and prints its
 * problems, then (unless it is clean and quiet_when_clean) a summary
 * naming it as shown and the privileged components, on stderr.  Returns
 * CLI_EXIT_OK, CLI_EXIT_FAILED (problems) or CLI_EXIT_USAGE (no
 * packages/ to validate). */
int cli_validate_print(const char *dir, const char *shown,
		       const cz_validate_opts *o, bool quiet_when_clean);
/* The manifest digest r's reference names: its digest, else the tag's
 * resolved (cmd_sign.c).  *digest_out malloc'ed. */
int cli_registry_digest(cli_registry *r, char **digest_out, cz_error *err);

#endif
