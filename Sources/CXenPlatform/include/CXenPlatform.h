// The few Linux calls that Swift's Glibc module hides behind _GNU_SOURCE,
// the command line as the kernel passed it, and the seccomp sandbox.
#ifndef CXENPLATFORM_H
#define CXENPLATFORM_H

#include <stddef.h>
#include <sys/types.h>

/// splice(2) between two descriptors at their current offsets; -1 and errno
/// as the call sets them, or ENOSYS where the system has no splice.
ssize_t cxen_splice(int fd_in, int fd_out, size_t len);

/// tee(2): copies up to `len` bytes at the head of pipe `fd_in` into pipe
/// `fd_out` without consuming them; -1 and errno, or ENOSYS without tee.
ssize_t cxen_tee(int fd_in, int fd_out, size_t len);

/// pipe2(fds, O_CLOEXEC): 0, or -1 and errno.
int cxen_pipe_cloexec(int fds[2]);

/// fcntl(fd, F_SETPIPE_SZ, size): the new capacity, or -1 and errno.
int cxen_set_pipe_size(int fd, int size);

/// A new file without a name in `directory` (O_TMPFILE), read-write,
/// close-on-exec: the descriptor, or -1 and errno (EOPNOTSUPP, EISDIR or
/// EINVAL where the file system or kernel cannot).
int cxen_open_anonymous(const char *directory);

/// Handlers for SIGTERM, SIGINT and SIGHUP that remove the registered files
/// and exit with 128 + the signal (cleanup.c). 0, or -1 and errno.
int cxen_cleanup_install(void);
/// A file for the handlers to remove (copied); -1 if all slots are taken.
int cxen_cleanup_register(const char *path);
/// A file no longer to remove.
void cxen_cleanup_unregister(const char *path);

/// The type bits (S_IFMT) of what `fd` refers to, from fstat(2) itself
/// (glibc's fstat uses newfstatat, which also takes a path); -1 and errno.
int cxen_file_type(int fd);

/// The command line the kernel passed to the process, captured before main
/// (see arguments.c): the count, 0 where it could not be captured.
int cxen_argc(void);
/// Argument `index` (0 is the program), or NULL beyond the count.
const char *cxen_argv(int index);

/// Steps of cxen_sandbox_confine, for saying which one failed.
#define CXEN_SANDBOX_STEP_NO_NEW_PRIVS 1
#define CXEN_SANDBOX_STEP_FILTER 2

/// Whether this build has a filter for the architecture it runs on.
int cxen_sandbox_available(void);

/// Sets no_new_privs and installs the tools' seccomp filter on every thread
/// (sandbox.c has the allowlist). 0, or an errno with `*step` saying which
/// step failed: EINVAL or ENOSYS where the kernel has no seccomp filters.
int cxen_sandbox_confine(int *step);

/// What the test probe attempts.
#define CXEN_PROBE_OPENAT 1
#define CXEN_PROBE_SOCKET 2
#define CXEN_PROBE_EXECVE 3
#define CXEN_PROBE_FORK 4
#define CXEN_PROBE_EXECUTABLE_MEMORY 5
#define CXEN_PROBE_FOREIGN_ABI 6

/// Attempts one thing a confined process must not do; the errno it got, or
/// 0 if it was allowed. For the tests only.
int cxen_sandbox_probe(int which);

#endif
