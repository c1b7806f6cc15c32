#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
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

ssize_t cxen_tee(int fd_in, int fd_out, size_t len) {
#ifdef __linux__
    return tee(fd_in, fd_out, len, 0);
#else
    (void)fd_in; (void)fd_out; (void)len;
    errno = ENOSYS;
    return -1;
#endif
}

int cxen_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
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

int cxen_open_anonymous(const char *directory) {
#ifdef O_TMPFILE
    return open(directory, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#else
    (void)directory;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

int cxen_file_type(int fd) {
    struct stat st;
#ifdef __NR_fstat
    if (syscall(__NR_fstat, fd, &st) != 0) return -1;
#else
    if (fstat(fd, &st) != 0) return -1;
#endif
    return (int)(st.st_mode & S_IFMT);
}
