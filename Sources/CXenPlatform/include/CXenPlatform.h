// The few Linux calls that Swift's Glibc module hides behind _GNU_SOURCE.
#ifndef CXENPLATFORM_H
#define CXENPLATFORM_H

#include <stddef.h>
#include <sys/types.h>

/// splice(2) between two descriptors at their current offsets; -1 and errno
/// as the call sets them, or ENOSYS where the system has no splice.
ssize_t cxen_splice(int fd_in, int fd_out, size_t len);

/// fcntl(fd, F_SETPIPE_SZ, size): the new capacity, or -1 and errno.
int cxen_set_pipe_size(int fd, int size);

#endif
