#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/duration.h"
#include "util/mem.h"

/* Only async-signal-safe calls: the parent may have other threads. */
static void child(const cz_proc_opts *o, int out_fd)
{
	int devnull = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);
	if (out_fd > STDERR_FILENO)
		close(out_fd);
	if (o->cwd && chdir(o->cwd) != 0)
		_exit(126);
	execve(o->argv[0], (char *const *)o->argv, (char *const *)o->env);
	_exit(errno == ENOENT ? 127 : 126);
}

/* Keeps the last keep bytes of what was read in r->output. */
static void keep_tail(cz_proc_result *r, size_t keep, const char *data,
		      size_t n)
{
	if (n >= keep) {
		memcpy(r->output, data + n - keep, keep);
		r->output_cut = r->output_cut || r->output_len + n > keep;
		r->output_len = keep;
	} else {
		size_t drop = r->output_len + n > keep
				      ? r->output_len + n - keep
				      : 0;

		memmove(r->output, r->output + drop, r->output_len - drop);
		r->output_len -= drop;
		r->output_cut = r->output_cut || drop > 0;
		memcpy(r->output + r->output_len, data, n);
		r->output_len += n;
	}
	r->output[r->output_len] = '\0';
}

/* Reads until the pipe closes or the deadline passes. */
static void collect(int fd, const cz_proc_opts *o, pid_t pid,
		    cz_proc_result *r)
{
	int64_t deadline = cz_mono_ns() + o->timeout_ns;
	char chunk[4096];

	for (;;) {
		int64_t left = deadline - cz_mono_ns();
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		int ready;

		if (left <= 0) {
			r->timed_out = true;
			kill(-pid, SIGKILL);
			return;
		}
		ready = poll(&p, 1, (int)(left / 1000000 + 1));
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		keep_tail(r, o->output_keep, chunk, (size_t)n);
	}
}

static void reap(pid_t pid, cz_proc_result *r)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status))
		r->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->signal = WTERMSIG(status);
}

int cz_proc_run(const cz_proc_opts *o, cz_proc_result *r, cz_error *err)
{
	int fds[2] = { -1, -1 };
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->output = cz_xmalloc(o->output_keep + 1);
	r->output[0] = '\0';
	if (!o->argv || !o->argv[0] || o->timeout_ns <= 0)
		return cz_fail(err, CZ_EINVALID, "nothing to run");
	if (pipe(fds) != 0)
		return cz_fail(err, CZ_EIO, "pipe: %s", strerror(errno));
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return cz_fail(err, CZ_ERR, "fork: %s", strerror(errno));
	}
	if (pid == 0)
		child(o, fds[1]);
	close(fds[1]);
	/* Set here as well: the group must exist before a deadline kill. */
	setpgid(pid, pid);
	collect(fds[0], o, pid, r);
	close(fds[0]);
	if (!r->timed_out)
		kill(-pid, SIGKILL); /* what it left running in its group */
	reap(pid, r);
	return CZ_OK;
}

void cz_proc_result_release(cz_proc_result *r)
{
	free(r->output);
	memset(r, 0, sizeof(*r));
}

const char *cz_last_lines(const char *text, size_t len, unsigned n)
{
	size_t i = len;

	while (i > 0 && text[i - 1] == '\n')
		i--;
	while (i > 0) {
		if (text[i - 1] == '\n' && --n == 0)
			break;
		i--;
	}
	return text + i;
}
