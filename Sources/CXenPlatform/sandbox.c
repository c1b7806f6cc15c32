#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include "CXenPlatform.h"

#ifdef __linux__
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#endif

// The seccomp-bpf filter the tools install once their files are open
// (Sources/XenMigrationCLI/Sandbox.swift says when). Everything the rest of
// a run needs is in `rules` below, one entry per system call with the reason
// it is needed; every other call fails with EPERM, so a refused call shows up
// as a one-line "Operation not permitted" error rather than a dead helper.
// A call made through another architecture's entry point (x86's int 0x80,
// the x32 ABI) is killed: its numbers mean other calls.

#if defined(__linux__) && defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__linux__) && defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SANDBOX_ARCH

// Calls that AArch64 never had (it has only the *at and p* forms); -1 drops
// the entry there.
#ifndef __NR_poll
#define __NR_poll -1
#endif
#ifndef __NR_rename
#define __NR_rename -1
#endif
#ifndef __NR_unlink
#define __NR_unlink -1
#endif
#ifndef __NR_fstat
#define __NR_fstat -1
#endif

enum argument_check {
    ANY,          // the call with any arguments
    MASKED_EQUAL, // only if (args[arg] & mask) == value (low 32 bits)
    OWN_PROCESS,  // only if args[arg] is this process's id
};

struct rule {
    int nr;
    uint32_t action;
    enum argument_check check;
    int arg;
    uint32_t mask;
    uint32_t value;
};

#define ALLOW(name) { __NR_##name, SECCOMP_RET_ALLOW, ANY, 0, 0, 0 }
#define ALLOW_IF(name, arg, mask, value) { __NR_##name, SECCOMP_RET_ALLOW, MASKED_EQUAL, arg, mask, value }
#define ALLOW_OWN(name, arg) { __NR_##name, SECCOMP_RET_ALLOW, OWN_PROCESS, arg, 0, 0 }

// The allowlist. The stream's own calls come first: the filter tries the
// entries in order.
static const struct rule rules[] = {
    // Moving the stream.
    ALLOW(read),     // input, and the reader's buffered fills
    ALLOW(write),    // output, messages on standard output and error
    ALLOW(splice),   // kernel-side copies where a pipe is involved
    ALLOW(sendfile), // kernel-side copies from a regular file
    ALLOW(tee),      // looking ahead in an input pipe without consuming it
    ALLOW(lseek),    // a regular input's offset left at the end of the stream
    ALLOW(fstat),    // what kind of file a descriptor is (by descriptor only, no path)
    ALLOW(poll),     // waiting on a non-blocking descriptor after EAGAIN
    ALLOW(ppoll),    // the same on AArch64
    // Memory, as the Swift runtime and malloc manage it; never executable.
    ALLOW_IF(mmap, 2, PROT_EXEC, 0),
    ALLOW_IF(mprotect, 2, PROT_EXEC, 0),
    ALLOW(munmap),
    ALLOW(mremap),
    ALLOW(madvise), // malloc returning memory
    ALLOW(brk),
    // The process has one thread and makes no new one: no clone. Signal
    // handlers run on it: cleanup.c's end in _exit (the kernel masks
    // signals for them from sa_mask, with no call), and the Swift runtime's
    // crash handlers. These are what the runtime and libc still use.
    ALLOW(futex),          // the runtime's locks and once-initialisation, if ever contended
    ALLOW(rt_sigprocmask), // abort() unblocking SIGABRT
    ALLOW(rt_sigreturn),   // a handler that returns: the runtime's crash handlers may
    ALLOW(getpid),         // syslog's [pid]; abort()
    ALLOW(gettid),         // abort()
    ALLOW_OWN(tgkill, 0),  // abort() signals this process, no other
    ALLOW(clock_gettime),  // progress and report times (when the vDSO is not used)
    ALLOW(getrandom),      // Swift's hashing and random numbers
    // A file without a name (O_TMPFILE), the only open there is: an xend
    // image's device model data is spooled to learn its length. The flag
    // makes the kernel create a new unnamed file or fail; no existing file
    // can be opened with it.
    ALLOW_IF(openat, 2, __O_TMPFILE, __O_TMPFILE),
    // Finishing.
    ALLOW(fsync),     // the output made durable before its rename
    ALLOW(close),     // the output closed before its rename; finished descriptors
    ALLOW(rename),    // the temporary output, report or config moved into place
    ALLOW(renameat),  // the same on AArch64
    ALLOW(renameat2), // the same where glibc uses it
    ALLOW(unlink),    // a temporary file removed after a failure or a signal
    ALLOW(unlinkat),  // the same on AArch64
    ALLOW(sendto),    // --syslog: a message on the socket opened before
    ALLOW(exit_group), // the end
    ALLOW(restart_syscall), // a call interrupted by a stopped-and-continued process
};

#define MAX_INSTRUCTIONS 512

struct program {
    struct sock_filter code[MAX_INSTRUCTIONS];
    unsigned short length;
};

static int emit(struct program *p, struct sock_filter instruction) {
    if (p->length >= MAX_INSTRUCTIONS) return -1;
    p->code[p->length++] = instruction;
    return 0;
}

#define STMT(code, k) ((struct sock_filter)BPF_STMT((unsigned short)(code), (k)))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP((unsigned short)(code), (k), (jt), (jf)))
#define LOAD(field) STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)offsetof(struct seccomp_data, field))
// The low 32 bits of an argument (both architectures are little-endian).
#define LOAD_ARG(i) STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i)))

static int build(struct program *p) {
    int failed = 0;
    failed |= emit(p, LOAD(arch));
    failed |= emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0));
    failed |= emit(p, STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
    failed |= emit(p, LOAD(nr));
#ifdef __X32_SYSCALL_BIT
    // x32 calls carry the x86-64 arch value and this bit in their number.
    failed |= emit(p, JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1));
    failed |= emit(p, STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
#endif
    uint32_t pid = (uint32_t)getpid();
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const struct rule *r = &rules[i];
        if (r->nr < 0) continue;
        if (r->check == ANY) {
            failed |= emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, 0, 1));
            failed |= emit(p, STMT(BPF_RET | BPF_K, r->action));
            continue;
        }
        uint32_t mask = r->check == OWN_PROCESS ? 0xffffffffu : r->mask;
        uint32_t value = r->check == OWN_PROCESS ? pid : r->value;
        // Not this call: skip the five instructions that check it.
        failed |= emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, 0, 5));
        failed |= emit(p, LOAD_ARG(r->arg));
        failed |= emit(p, STMT(BPF_ALU | BPF_AND | BPF_K, mask));
        failed |= emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, 0, 1));
        failed |= emit(p, STMT(BPF_RET | BPF_K, r->action));
        // The arguments do not fit: reload the number, go on (to the refusal).
        failed |= emit(p, LOAD(nr));
    }
    failed |= emit(p, STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
    return failed;
}

int cxen_sandbox_confine(int *step) {
    *step = CXEN_SANDBOX_STEP_NO_NEW_PRIVS;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    *step = CXEN_SANDBOX_STEP_FILTER;
    static struct program program;
    program.length = 0;
    if (build(&program) != 0) return E2BIG;
    struct sock_fprog fprog = { .len = program.length, .filter = program.code };
#ifdef __NR_seccomp
    // TSYNC: the tools start no thread (libdispatch is linked, but never
    // used), so this is a guard: were there another thread, it would get
    // the filter too, or none would (the call then returns the id of a
    // thread that could not take it).
    long result = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog);
    if (result < 0) return errno;
    if (result > 0) return ESRCH;
    return 0;
#else
    (void)fprog;
    return ENOSYS;
#endif
}

int cxen_sandbox_available(void) { return 1; }

#else

int cxen_sandbox_confine(int *step) {
    *step = CXEN_SANDBOX_STEP_FILTER;
    return ENOSYS;
}

int cxen_sandbox_available(void) { return 0; }

#endif

// Test probes (reached only from debug builds of the tool): each attempts
// one thing the filter must stop and returns the errno it got, 0 if it was
// allowed.

static int outcome(long result) { return result < 0 ? errno : 0; }

int cxen_sandbox_probe(int which) {
    switch (which) {
    case CXEN_PROBE_OPENAT: {
        int fd = openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) close(fd);
        return outcome(fd);
    }
    case CXEN_PROBE_SOCKET: {
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd >= 0) close(fd);
        return outcome(fd);
    }
    case CXEN_PROBE_EXECVE: {
        char *const argv[] = { "true", NULL };
        char *const envp[] = { NULL };
        return outcome(execve("/bin/true", argv, envp));
    }
    case CXEN_PROBE_FORK: {
#ifdef __NR_clone
        // A new process, not a thread: clone without CLONE_THREAD.
        long pid = syscall(__NR_clone, SIGCHLD, 0, 0, 0, 0);
        if (pid == 0) _exit(0);
        return outcome(pid);
#else
        return ENOSYS;
#endif
    }
    case CXEN_PROBE_EXECUTABLE_MEMORY: {
        void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page != MAP_FAILED) munmap(page, 4096);
        return page == MAP_FAILED ? errno : 0;
    }
    case CXEN_PROBE_FOREIGN_ABI: {
#if defined(__X32_SYSCALL_BIT) && defined(__NR_getpid)
        // getpid through the x32 ABI: the filter kills the process.
        return outcome(syscall(__X32_SYSCALL_BIT | __NR_getpid));
#else
        return ENOSYS;
#endif
    }
    default:
        return EINVAL;
    }
}
