#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include "CXenPlatform.h"

ssize_t cxen_splice(int fd_in, int fd_out, size_t len) {
#ifdef __linux__
    return splice(fd_in, NULL, fd_out, NULL, len, SPLICE_F_MOVE);
#else
    (void)fd_in; (void)fd_out; (void)len;
    errno = ENOSYS;
    return -1;
#endif
}

int cxen_set_pipe_size(int fd, int size) {
#ifdef F_SETPIPE_SZ
    return fcntl(fd, F_SETPIPE_SZ, size);
#else
    (void)fd; (void)size;
    errno = ENOSYS;
    return -1;
#endif
}
