/* Single-threaded stand-ins for the pthread calls dav1d and libde265 make (wasi-libc of Debian
 * 12 has no pthread.h). The worker decodes with one thread, where neither starts a thread and
 * their locks guard nothing: creating a thread fails, every lock is a no-op, and `pthread_once`
 * runs its routine the first time. */
#ifndef EDGE_CODECS_PTHREAD_SHIM_H
#define EDGE_CODECS_PTHREAD_SHIM_H

#include <errno.h>
#include <stddef.h>
/* wasi-libc (musl) declares the pthread types itself; only the functions are missing. */
#include <sys/types.h>

#define PTHREAD_ONCE_INIT 0

static inline int pthread_attr_init(pthread_attr_t *a) { (void)a; return 0; }
static inline int pthread_attr_destroy(pthread_attr_t *a) { (void)a; return 0; }
static inline int pthread_attr_setstacksize(pthread_attr_t *a, size_t s) { (void)a; (void)s; return 0; }
static inline int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg) {
    (void)t; (void)a; (void)f; (void)arg;
    return EAGAIN;
}
static inline int pthread_join(pthread_t t, void **r) { (void)t; (void)r; return EINVAL; }
static inline pthread_t pthread_self(void) { return 0; }
static inline int pthread_once(pthread_once_t *once, void (*routine)(void)) {
    if (!*once) { *once = 1; routine(); }
    return 0;
}
static inline int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a) { (void)m; (void)a; return 0; }
static inline int pthread_mutex_destroy(pthread_mutex_t *m) { (void)m; return 0; }
static inline int pthread_mutex_lock(pthread_mutex_t *m) { (void)m; return 0; }
static inline int pthread_mutex_unlock(pthread_mutex_t *m) { (void)m; return 0; }
static inline int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a) { (void)c; (void)a; return 0; }
static inline int pthread_cond_destroy(pthread_cond_t *c) { (void)c; return 0; }
static inline int pthread_cond_signal(pthread_cond_t *c) { (void)c; return 0; }
static inline int pthread_cond_broadcast(pthread_cond_t *c) { (void)c; return 0; }
static inline int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) { (void)c; (void)m; return 0; }

#endif
