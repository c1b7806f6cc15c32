#include "CXenPlatform.h"

// The command line as the kernel passed it to the process. glibc calls the
// functions in .init_array with main's argc, argv and envp, so the program
// learns its arguments without the Swift runtime's reading them back from
// /proc/self/cmdline (absent in a chroot or container without /proc).
// Written once, before main, and only read afterwards.
static int captured_argc;
static char **captured_argv;

static void capture_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    captured_argc = argc;
    captured_argv = argv;
}

__attribute__((section(".init_array"), used))
static void (*const capture_arguments_entry)(int, char **, char **) = capture_arguments;

int cxen_argc(void) {
    return captured_argv != NULL ? captured_argc : 0;
}

const char *cxen_argv(int index) {
    if (captured_argv == NULL || index < 0 || index >= captured_argc) return NULL;
    return captured_argv[index];
}
