#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "CXenPlatform.h"

// The partial files that SIGTERM, SIGINT or SIGHUP must remove before the
// process exits (libxl aborts its helper with SIGTERM). A signal handler
// reaches only what is global, so the list lives here, beside the handler,
// in slots that are set and cleared atomically: the handler, which may
// interrupt anything, sees each slot either holding a whole path or empty.
// Handled on the thread that receives the signal, with no helper thread,
// so nothing is left to start once the process is confined.

#define SLOTS 8

static char *_Atomic slots[SLOTS];

static void remove_partial_files(int signo) {
    for (int i = 0; i < SLOTS; i++) {
        char *path = atomic_load(&slots[i]);
        if (path != NULL) unlink(path);
    }
    _exit(128 + signo);
}

int cxen_cleanup_install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = remove_partial_files;
    sigfillset(&action.sa_mask);
    const int signals[] = { SIGTERM, SIGINT, SIGHUP };
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        if (sigaction(signals[i], &action, NULL) != 0) return -1;
    }
    return 0;
}

int cxen_cleanup_register(const char *path) {
    char *copy = strdup(path);
    if (copy == NULL) return -1;
    for (int i = 0; i < SLOTS; i++) {
        char *expected = NULL;
        if (atomic_compare_exchange_strong(&slots[i], &expected, copy)) return 0;
    }
    free(copy);
    return -1;
}

void cxen_cleanup_unregister(const char *path) {
    for (int i = 0; i < SLOTS; i++) {
        char *held = atomic_load(&slots[i]);
        if (held != NULL && strcmp(held, path) == 0 && atomic_compare_exchange_strong(&slots[i], &held, NULL)) {
            free(held);
            return;
        }
    }
}
